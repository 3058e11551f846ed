//! When to try again (pure): requests' `HTTPAdapter(max_retries=Retry(...))` at the terminal.
//! Failures to connect are retried for any method; failures after the request may have
//! reached the server only for idempotent methods; statuses only when the user listed them.

use std::time::{Duration, SystemTime};

/// The user's retry settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Extra attempts after the first.
    pub retries: u32,
    pub statuses: Vec<u16>,
    /// The first delay in seconds; doubled for each retry.
    pub backoff: f64,
    /// The cap on any delay, Retry-After included.
    pub max_wait: f64,
}

/// What happened on an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// No connection was made (refused, DNS, connect timeout, TLS handshake cut): nothing
    /// reached the server.
    ConnectFailed,
    /// The connection was made and then failed: the request may have been processed.
    ReadFailed,
    /// A response arrived, with its `Retry-After` value if any.
    Status(u16, Option<&'a str>),
}

/// Methods that can be repeated without changing the outcome (RFC 9110 §9.2.2).
pub fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
    )
}

/// `Retry-After`: delay-seconds or an HTTP-date.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before retry number `retry` (1-based), or `None` to stop. `jitter` in [0, 1)
/// spreads the exponential delay over its upper half, so clients do not retry in step.
pub fn next_wait(
    policy: &Policy,
    method: &str,
    retry: u32,
    outcome: Outcome,
    now: SystemTime,
    jitter: f64,
) -> Option<Duration> {
    if retry > policy.retries {
        return None;
    }
    let cap = Duration::from_secs_f64(policy.max_wait);
    match outcome {
        Outcome::ConnectFailed => {}
        Outcome::ReadFailed if idempotent(method) => {}
        Outcome::ReadFailed => return None,
        Outcome::Status(code, after) => {
            if !policy.statuses.contains(&code) {
                return None;
            }
            if let Some(d) = after.and_then(|a| retry_after(a, now)) {
                return Some(d.min(cap));
            }
        }
    }
    let base = policy.backoff * 2f64.powi(retry.saturating_sub(1).min(30) as i32);
    let secs = base * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    Some(Duration::from_secs_f64(secs).min(cap))
}

/// A number in [0, 1) that differs between runs (no RNG crate needed for jitter).
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            retries: 3,
            statuses: vec![503],
            backoff: 0.5,
            max_wait: 10.0,
        }
    }

    #[test]
    fn connect_failures_retry_for_any_method_with_backoff() {
        let now = SystemTime::now();
        let p = policy();
        let w = |retry, j| next_wait(&p, "POST", retry, Outcome::ConnectFailed, now, j);
        assert_eq!(w(1, 0.0), Some(Duration::from_millis(250)));
        assert_eq!(w(1, 1.0), Some(Duration::from_millis(500)));
        assert_eq!(w(2, 1.0), Some(Duration::from_secs(1)));
        assert_eq!(w(3, 1.0), Some(Duration::from_secs(2)));
        assert_eq!(w(4, 1.0), None, "only 3 retries");
        let capped = Policy {
            max_wait: 0.75,
            ..policy()
        };
        assert_eq!(
            next_wait(&capped, "GET", 3, Outcome::ConnectFailed, now, 1.0),
            Some(Duration::from_millis(750))
        );
    }

    #[test]
    fn read_failures_only_for_idempotent_methods() {
        let now = SystemTime::now();
        for (method, retried) in [
            ("GET", true),
            ("HEAD", true),
            ("OPTIONS", true),
            ("TRACE", true),
            ("PUT", true),
            ("DELETE", true),
            ("POST", false),
            ("PATCH", false),
        ] {
            let w = next_wait(&policy(), method, 1, Outcome::ReadFailed, now, 0.5);
            assert_eq!(w.is_some(), retried, "{method}");
        }
    }

    #[test]
    fn statuses_and_retry_after() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let p = policy();
        assert_eq!(
            next_wait(&p, "POST", 1, Outcome::Status(502, None), now, 0.0),
            None
        );
        assert_eq!(
            next_wait(&p, "POST", 1, Outcome::Status(503, Some("2")), now, 0.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            next_wait(&p, "GET", 1, Outcome::Status(503, Some("999")), now, 0.0),
            Some(Duration::from_secs(10))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(3));
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(
            next_wait(&p, "GET", 1, Outcome::Status(503, Some("soon")), now, 1.0),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn jitter_is_in_range_and_spread() {
        let samples: Vec<f64> = (0..200).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        // Spread over the range, so waits of concurrent clients do not line up.
        let low = samples.iter().filter(|j| **j < 0.25).count();
        let high = samples.iter().filter(|j| **j >= 0.75).count();
        assert!(low > 10 && high > 10, "{low} low, {high} high of 200");
    }
}
