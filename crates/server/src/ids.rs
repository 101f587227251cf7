//! Resource IDs, timestamps and the ordering sequence.

use std::sync::atomic::{AtomicI64, Ordering};

/// A new ID: `prefix` + 32 lowercase hex digits of a time-ordered UUIDv7.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

/// A process-wide, strictly increasing sequence of microsecond timestamps.
///
/// Every stored object and event gets one: it orders lists and doubles as
/// the creation time, so `created_at` filters compare numbers. A clock that
/// steps back never makes a value repeat.
#[derive(Debug, Default)]
pub struct Sequence {
    last: AtomicI64,
}

impl Sequence {
    /// Starts above `floor` (the largest value already stored).
    pub fn starting_after(floor: i64) -> Self {
        Self {
            last: AtomicI64::new(floor),
        }
    }

    /// The next value: now in microseconds, or one more than the last.
    pub fn next(&self) -> i64 {
        let now = jiff::Timestamp::now().as_microsecond();
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let value = now.max(last + 1);
            match self
                .last
                .compare_exchange(last, value, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => return value,
                Err(actual) => last = actual,
            }
        }
    }
}

/// RFC 3339 text in UTC with microseconds for a sequence value.
pub fn timestamp(micros: i64) -> String {
    match jiff::Timestamp::from_microsecond(micros) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        Err(_) => "1970-01-01T00:00:00.000000Z".to_owned(),
    }
}

/// Parses an RFC 3339 timestamp into microseconds; a value without an
/// offset is taken as UTC.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_microsecond());
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    let ts = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(ts.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_32_hex_digits() {
        let id = new_id("agent_");
        let hex = id.strip_prefix("agent_").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(
            hex.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn the_sequence_strictly_increases_past_its_floor() {
        let far = jiff::Timestamp::now().as_microsecond() + 10_000_000;
        let seq = Sequence::starting_after(far);
        let a = seq.next();
        let b = seq.next();
        assert!(a > far && b > a);
    }

    #[test]
    fn timestamps_round_trip_with_and_without_offset() {
        let text = timestamp(1_780_000_000_123_456);
        assert!(text.ends_with('Z'));
        assert_eq!(parse_timestamp(&text), Some(1_780_000_000_123_456));
        let naive = parse_timestamp("2026-05-18T15:26:39.5").unwrap();
        assert_eq!(parse_timestamp("2026-05-18T15:26:39.5Z"), Some(naive));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
