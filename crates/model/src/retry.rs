//! When to try a failed request again, and how long to wait first.

use std::time::{Duration, SystemTime};

/// Retry and timeout settings of the HTTP providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Retries after the first attempt (`--max-model-request-retries`).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Longest computed wait between attempts.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a server asking for more gets this.
    pub max_retry_after: Duration,
    /// Time allowed to open the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time allowed from sending the request to the response headers.
    pub first_byte_timeout: Duration,
    /// Longest silence allowed between two chunks of the response stream.
    pub stall_timeout: Duration,
}

impl Default for HttpOptions {
    /// Three retries from 1 s doubling to at most 30 s (with jitter), up to
    /// 60 s of `Retry-After`, 10 s to connect, 10 min for the headers (a
    /// large prompt can take long before the first token) and 2 min of
    /// silence within a stream. Anthropic sends `ping` events and OpenAI
    /// servers stream tokens well within that.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(600),
            stall_timeout: Duration::from_secs(120),
        }
    }
}

impl HttpOptions {
    /// The wait before retry number `attempt` (from 1).
    ///
    /// A `Retry-After` from the server wins (capped at `max_retry_after`).
    /// Otherwise `base_delay * 2^(attempt-1)`, capped at `max_delay`, then
    /// scaled by a random factor in [0.5, 1.0) so that many clients hit by
    /// the same outage do not retry in lockstep.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exponent = attempt.saturating_sub(1).min(20);
        let backoff = self
            .base_delay
            .saturating_mul(1_u32 << exponent)
            .min(self.max_delay);
        backoff.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Reads a `Retry-After` value: whole seconds or an HTTP date (RFC 9110
/// §10.2.3). A date in the past means "now". Anything else is ignored.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Some servers send fractional seconds; accept them too.
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT").unwrap();
        let parsed: Vec<Option<Duration>> = [
            "7",
            " 2 ",
            "0.5",
            "Tue, 01 Dec 2026 12:00:30 GMT",
            "Tue, 01 Dec 2026 11:00:00 GMT",
            "soon",
            "-3",
        ]
        .into_iter()
        .map(|value| parse_retry_after(value, now))
        .collect();
        assert_eq!(
            parsed,
            vec![
                Some(Duration::from_secs(7)),
                Some(Duration::from_secs(2)),
                Some(Duration::from_millis(500)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
                None,
                None,
            ]
        );
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let options = HttpOptions {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..HttpOptions::default()
        };
        for _ in 0..50 {
            let first = options.delay(1, None);
            assert!(first >= Duration::from_millis(50) && first < Duration::from_millis(100));
            let third = options.delay(3, None);
            assert!(third >= Duration::from_millis(200) && third < Duration::from_millis(400));
            let tenth = options.delay(10, None);
            assert!(tenth >= Duration::from_millis(250) && tenth < Duration::from_millis(500));
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let options = HttpOptions {
            max_retry_after: Duration::from_secs(5),
            ..HttpOptions::default()
        };
        assert_eq!(
            options.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            options.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(5)
        );
    }
}
