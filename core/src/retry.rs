//! Retry decisions: which failures are safe to retry, and how long to wait.
//!
//! A send is retried only when the SMS provably did not go out: the connection was never made
//! (DNS failure, refused, TLS handshake failure, connect timeout) or ClearLine answered 429. A
//! timeout after the request was written, a reset mid-response and every 5xx are not retried,
//! because ClearLine may have queued the message, and a second POST would send it twice.
//!
//! ```
//! use clearline::response::{interpret, ResponseParts};
//! use clearline::RetryPolicy;
//!
//! let server_error = interpret(&ResponseParts { status: 500, ..Default::default() }).unwrap_err();
//! assert_eq!(RetryPolicy::default().retry_delay(&server_error, 1), None);
//! ```

use std::time::{Duration, SystemTime};

use crate::error::{Error, ErrorKind, TimeoutPhase};

/// How a client retries sends.
///
/// ```
/// use std::time::Duration;
/// use clearline::RetryPolicy;
///
/// let policy = RetryPolicy {
///     max_retries: 3,
///     initial_backoff: Duration::from_millis(50),
///     ..RetryPolicy::default()
/// };
/// assert_eq!(policy.max_retry_after, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// Wait before the first retry when the server gave no `Retry-After` (default 200 ms). Each
    /// later retry doubles it, up to `max_backoff`, and a random jitter of up to half the wait
    /// is taken off so that many clients do not retry in step.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts without `Retry-After` (default 5 s).
    pub max_backoff: Duration,
    /// Longest `Retry-After` the client waits for (default 30 s). A 429 asking for a longer
    /// wait is returned to the caller at once as [`ErrorKind::RateLimited`].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Returns the wait before retry number `retry` (1 for the first retry) after `error`, or
    /// `None` when the error must not be retried.
    ///
    /// ```
    /// use clearline::RetryPolicy;
    ///
    /// let policy = RetryPolicy::default();
    /// let err = clearline::SendRequest::new("bad", "x").prepare(10).unwrap_err();
    /// assert_eq!(policy.retry_delay(&err, 1), None);
    /// ```
    pub fn retry_delay(&self, error: &Error, retry: u32) -> Option<Duration> {
        if retry > self.max_retries || error.maybe_sent() {
            return None;
        }
        match error.kind() {
            ErrorKind::Connection => Some(self.backoff(retry)),
            ErrorKind::Timeout if error.timeout_phase() == Some(TimeoutPhase::Connect) => {
                Some(self.backoff(retry))
            }
            ErrorKind::RateLimited => match error.retry_after() {
                Some(wait) if wait > self.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(self.backoff(retry)),
            },
            _ => None,
        }
    }

    /// Returns the jittered exponential backoff before retry number `retry`.
    fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let jitter = ceiling.mul_f64(fastrand::f64() / 2.0);
        ceiling.saturating_sub(jitter)
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date, measured from `now`.
///
/// A date in the past gives zero. Anything else (negative numbers, fractions, garbage) gives
/// `None`, and the client falls back to its own backoff.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use clearline::retry::parse_retry_after;
///
/// assert_eq!(parse_retry_after("120", SystemTime::now()), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Values past u64 are absurd but valid; they saturate and exceed any cap.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection_error() -> Error {
        Error::new(ErrorKind::Connection, "refused")
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        for _ in 0..100 {
            let first = policy.retry_delay(&connection_error(), 1);
            assert!(first >= Some(Duration::from_millis(50)));
            assert!(first <= Some(Duration::from_millis(100)));
            let fifth = policy.retry_delay(&connection_error(), 5);
            assert!(fifth >= Some(Duration::from_millis(200)));
            assert!(fifth <= Some(Duration::from_millis(400)));
        }
    }

    #[test]
    fn maybe_sent_errors_are_never_retried() {
        let err = connection_error().with_maybe_sent(true);
        assert_eq!(RetryPolicy::default().retry_delay(&err, 1), None);
    }

    #[test]
    fn response_timeout_is_not_retried() {
        let err = Error::new(ErrorKind::Timeout, "t").with_timeout_phase(TimeoutPhase::Response);
        assert_eq!(RetryPolicy::default().retry_delay(&err, 1), None);
    }

    #[test]
    fn rate_limit_waits_retry_after_unless_too_long() {
        let policy = RetryPolicy::default();
        let short = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(2)));
        assert_eq!(policy.retry_delay(&short, 1), Some(Duration::from_secs(2)));
        let long = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(31)));
        assert_eq!(policy.retry_delay(&long, 1), None);
    }

    #[test]
    fn retries_stop_at_max() {
        let policy = RetryPolicy::default();
        assert!(policy.retry_delay(&connection_error(), 2).is_some());
        assert!(policy.retry_delay(&connection_error(), 3).is_none());
    }

    #[test]
    fn retry_after_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT");
        let now = now.unwrap_or(SystemTime::UNIX_EPOCH);
        let wait = parse_retry_after("Wed, 21 Oct 2026 07:28:05 GMT", now);
        assert_eq!(wait, Some(Duration::from_secs(5)));
        let past = parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now);
        assert_eq!(past, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_rejects_negative_and_fractions() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
