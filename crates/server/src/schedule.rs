//! Cron schedules of deployments (`cloud-api.md` §12): a standard 5-field
//! expression evaluated in an IANA time zone, and its next fire times.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::ids;

/// How many future fire times a deployment shows.
pub(crate) const UPCOMING: usize = 5;

/// A parsed `{type: "cron", expression, timezone}` schedule.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    cron: Cron,
    zone: TimeZone,
}

impl Schedule {
    /// Parses an expression and a zone name; the error names the field.
    pub(crate) fn parse(expression: &str, timezone: &str) -> Result<Self, ApiError> {
        let fields = expression.split_whitespace().count();
        if fields != 5 {
            return Err(ApiError::field(
                "schedule.expression",
                format!(
                    "Invalid cron expression '{expression}': expected 5 fields \
                     (minute hour day-of-month month day-of-week), got {fields}."
                ),
            ));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map_err(|error| {
                ApiError::field(
                    "schedule.expression",
                    format!("Invalid cron expression '{expression}': {error}."),
                )
            })?;
        let zone = TimeZone::get(timezone).map_err(|_| {
            ApiError::field(
                "schedule.timezone",
                format!("Unknown IANA time zone '{timezone}'."),
            )
        })?;
        Ok(Self { cron, zone })
    }

    /// Reads and validates a request's `schedule` object (all of `type`,
    /// `expression` and `timezone` are required) into its stored form.
    pub(crate) fn from_request(value: &Value) -> Result<Value, ApiError> {
        let Some(map) = value.as_object() else {
            return Err(ApiError::field(
                "schedule",
                "Field 'schedule' must be an object {type, expression, timezone}.",
            ));
        };
        let text = |name: &str| -> Result<String, ApiError> {
            match map.get(name) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                None | Some(Value::Null) => Err(ApiError::required(&format!("schedule.{name}"))),
                Some(_) => Err(ApiError::field(
                    &format!("schedule.{name}"),
                    format!("Field 'schedule.{name}' must be a non-empty string."),
                )),
            }
        };
        if text("type")? != "cron" {
            return Err(ApiError::field(
                "schedule.type",
                "Field 'schedule.type' must be \"cron\".",
            ));
        }
        let expression = text("expression")?;
        let timezone = text("timezone")?;
        Self::parse(&expression, &timezone)?;
        let mut stored = Map::new();
        stored.insert("type".into(), json!("cron"));
        stored.insert("expression".into(), json!(expression));
        stored.insert("timezone".into(), json!(timezone));
        Ok(Value::Object(stored))
    }

    /// The stored schedule of a deployment body, when it has one.
    pub(crate) fn of(body: &Value) -> Option<Self> {
        let schedule = &body["schedule"];
        Self::parse(
            schedule["expression"].as_str()?,
            schedule["timezone"].as_str()?,
        )
        .ok()
    }

    /// The first fire time strictly after `micros` (microseconds, UTC).
    pub(crate) fn next_after(&self, micros: i64) -> Option<i64> {
        let start = Timestamp::from_microsecond(micros)
            .ok()?
            .to_zoned(self.zone.clone());
        let next = self.cron.find_next_occurrence(&start, false).ok()?;
        Some(next.timestamp().as_microsecond())
    }

    /// The next `count` fire times after `micros`.
    pub(crate) fn upcoming(&self, micros: i64, count: usize) -> Vec<i64> {
        let mut out = Vec::with_capacity(count);
        let mut from = micros;
        while out.len() < count {
            match self.next_after(from) {
                Some(next) => {
                    out.push(next);
                    from = next;
                }
                None => break,
            }
        }
        out
    }
}

/// Fire times as the API shows them: RFC 3339 UTC without fractions.
pub(crate) fn times(micros: &[i64]) -> Value {
    micros
        .iter()
        .map(|m| json!(whole_seconds(*m)))
        .collect::<Vec<_>>()
        .into()
}

/// RFC 3339 UTC text of a fire time (`2026-06-15T01:00:00Z`).
pub(crate) fn whole_seconds(micros: i64) -> String {
    match Timestamp::from_microsecond(micros) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => ids::timestamp(micros),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        ids::parse_timestamp(text).unwrap()
    }

    #[test]
    fn daily_in_shanghai_fires_at_one_utc() {
        let schedule = Schedule::parse("0 9 * * *", "Asia/Shanghai").unwrap();
        let next = schedule.upcoming(at("2026-06-14T08:53:32Z"), UPCOMING);
        let texts: Vec<String> = next.iter().map(|m| whole_seconds(*m)).collect();
        assert_eq!(
            texts,
            [
                "2026-06-15T01:00:00Z",
                "2026-06-16T01:00:00Z",
                "2026-06-17T01:00:00Z",
                "2026-06-18T01:00:00Z",
                "2026-06-19T01:00:00Z"
            ]
        );
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // 2026-06-13 is a Saturday.
        let schedule = Schedule::parse("30 9 * * 1-5", "Asia/Shanghai").unwrap();
        let next = schedule.upcoming(at("2026-06-13T00:00:00Z"), 2);
        assert_eq!(whole_seconds(next[0]), "2026-06-15T01:30:00Z");
        assert_eq!(whole_seconds(next[1]), "2026-06-16T01:30:00Z");
    }

    #[test]
    fn next_is_strictly_after_a_fire_time() {
        let schedule = Schedule::parse("*/15 * * * *", "UTC").unwrap();
        let fire = at("2026-01-01T10:15:00Z");
        assert_eq!(
            whole_seconds(schedule.next_after(fire).unwrap()),
            "2026-01-01T10:30:00Z"
        );
        assert_eq!(
            whole_seconds(schedule.next_after(fire - 1).unwrap()),
            "2026-01-01T10:15:00Z"
        );
    }

    #[test]
    fn daylight_saving_shifts_the_utc_time() {
        // New York leaves DST on 2026-11-01: 09:00 local moves from 13:00 to 14:00 UTC.
        let schedule = Schedule::parse("0 9 * * *", "America/New_York").unwrap();
        let next = schedule.upcoming(at("2026-10-31T00:00:00Z"), 2);
        assert_eq!(whole_seconds(next[0]), "2026-10-31T13:00:00Z");
        assert_eq!(whole_seconds(next[1]), "2026-11-01T14:00:00Z");
    }

    #[test]
    fn bad_expressions_and_zones_name_the_field() {
        for bad in ["* * * *", "0 0 9 * * *", "61 * * * *", "a b c d e", ""] {
            let error = Schedule::parse(bad, "UTC").unwrap_err();
            assert_eq!(error.param.as_deref(), Some("schedule.expression"), "{bad}");
        }
        let error = Schedule::parse("0 9 * * *", "Mars/Olympus").unwrap_err();
        assert_eq!(error.param.as_deref(), Some("schedule.timezone"));
        let missing = Schedule::from_request(&json!({"type": "cron", "expression": "0 9 * * *"}));
        assert_eq!(
            missing.unwrap_err().param.as_deref(),
            Some("schedule.timezone")
        );
        let kind = Schedule::from_request(
            &json!({"type": "rate", "expression": "0 9 * * *", "timezone": "UTC"}),
        );
        assert_eq!(kind.unwrap_err().param.as_deref(), Some("schedule.type"));
    }
}
