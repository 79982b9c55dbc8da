//! Fault injection: the next sends get an error, a delay, a dropped connection, a non-JSON body
//! or a redirect instead of the normal response, for testing a client's retry and error handling.

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::HeaderValue;
use serde::Deserialize;

use crate::state::lock;

/// The statuses a [`Fault::Status`] may carry.
///
/// A 1xx status cannot end an HTTP response: the sandbox's server (hyper 1) sends 500 in place
/// of most of them, and 101 would switch protocols. RFC 9110 defines no class above 5xx. A 2xx
/// status with a `body` makes a malformed success response; without one, the JSON error object
/// contains `"succeed": false`.
pub const FAULT_STATUSES: RangeInclusive<u16> = 200..=599;

/// A replacement for the send endpoint's normal handling.
///
/// ```
/// use std::time::Duration;
/// use clearline_sandbox::Fault;
///
/// let rate_limited = Fault::Status { status: 429, retry_after: Some("2".into()), body: None };
/// let slow = Fault::Latency(Duration::from_millis(300));
/// # let _ = (rate_limited, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Responds with `status`, an optional `Retry-After` header and an optional body. Without a
    /// body, the response is a JSON error object naming the injected status.
    Status {
        /// The HTTP status, such as 429, 500 or 503.
        status: u16,
        /// The `Retry-After` value: seconds (`"2"`) or an HTTP date.
        retry_after: Option<String>,
        /// The body, sent as `text/plain` unless it starts with `{` or `[`.
        body: Option<String>,
    },
    /// Handles the request normally when it arrives, then holds the response back this long.
    ///
    /// A message is accepted, and its delivery report sent, before the delay. A client whose
    /// timeout is shorter gives up with a timeout (`maybe_sent`), although the SMS went out;
    /// this is the case a retry must not send twice.
    Latency(Duration),
    /// Reads the whole request, then closes the connection without responding.
    CloseConnection,
    /// Responds with 200 and an HTML page, as a captive portal or a misconfigured proxy would.
    NonJsonBody,
    /// Responds with 307 Temporary Redirect to `location`.
    Redirect {
        /// The `Location` header.
        location: String,
    },
}

impl Fault {
    /// Returns the fault's kind as used over HTTP: `status`, `latency`, `close_connection`,
    /// `non_json_body` or `redirect`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Latency(_) => "latency",
            Fault::CloseConnection => "close_connection",
            Fault::NonJsonBody => "non_json_body",
            Fault::Redirect { .. } => "redirect",
        }
    }

    /// Checks that the fault can be sent as HTTP: a status in [`FAULT_STATUSES`], and a
    /// `Retry-After` or `Location` that is a valid header value.
    ///
    /// A send that gets a fault failing this check gets a 500 `invalid_fault` response, so code
    /// that builds faults from user input should call this first and report the message.
    ///
    /// ```
    /// use clearline_sandbox::Fault;
    ///
    /// let informational = Fault::Status { status: 103, retry_after: None, body: None };
    /// assert!(informational.check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        match self {
            Fault::Status {
                status,
                retry_after,
                ..
            } => {
                if !FAULT_STATUSES.contains(status) {
                    return Err(format!(
                        "status {status} cannot be injected; pass an HTTP status from {} to {}, \
                         such as 429, 500 or 503",
                        FAULT_STATUSES.start(),
                        FAULT_STATUSES.end()
                    ));
                }
                match retry_after {
                    Some(value) if HeaderValue::from_str(value).is_err() => Err(format!(
                        "the Retry-After {value:?} is not a valid header value; pass seconds \
                         such as \"2\" or an HTTP date"
                    )),
                    _ => Ok(()),
                }
            }
            Fault::Redirect { location } if HeaderValue::from_str(location).is_err() => {
                Err(format!(
                    "the redirect location {location:?} is not a valid header value; pass a \
                     URL without control characters"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// The body of `POST /sandbox/faults`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultRequest {
    kind: String,
    #[serde(default = "one")]
    times: u32,
    status: Option<u16>,
    retry_after: Option<String>,
    body: Option<String>,
    latency_ms: Option<u64>,
    location: Option<String>,
}

fn one() -> u32 {
    1
}

impl FaultRequest {
    /// Converts the request into a fault and a count, or explains what is wrong with it.
    pub(crate) fn into_fault(self) -> Result<(Fault, u32), String> {
        let fault = match self.kind.as_str() {
            "status" => {
                let status = self
                    .status
                    .ok_or("kind \"status\" needs \"status\", such as 429, 500 or 503")?;
                if !FAULT_STATUSES.contains(&status) {
                    return Err(format!(
                        "\"status\" is {status}; pass an HTTP status from {} to {}",
                        FAULT_STATUSES.start(),
                        FAULT_STATUSES.end()
                    ));
                }
                Fault::Status {
                    status,
                    retry_after: self.retry_after,
                    body: self.body,
                }
            }
            "latency" => {
                let millis = self
                    .latency_ms
                    .ok_or("kind \"latency\" needs \"latencyMs\", the delay in milliseconds")?;
                Fault::Latency(Duration::from_millis(millis))
            }
            "close_connection" => Fault::CloseConnection,
            "non_json_body" => Fault::NonJsonBody,
            "redirect" => {
                let location = self
                    .location
                    .ok_or("kind \"redirect\" needs \"location\", the redirect target")?;
                Fault::Redirect { location }
            }
            other => {
                return Err(format!(
                    "unknown fault kind {other:?}; use \"status\", \"latency\", \
                     \"close_connection\", \"non_json_body\" or \"redirect\""
                ))
            }
        };
        Ok((fault, self.times))
    }
}

/// The injected faults, in the order they were injected, each with its remaining count.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: Mutex<VecDeque<(Fault, u32)>>,
    /// The sum of the remaining counts, so the send path skips the lock when it is 0.
    remaining: AtomicU64,
}

impl FaultQueue {
    pub(crate) fn push(&self, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        let mut queue = lock(&self.queue);
        queue.push_back((fault, times));
        self.remaining
            .fetch_add(u64::from(times), Ordering::Release);
    }

    /// Takes the fault for the next send, if one is queued.
    pub(crate) fn take(&self) -> Option<Fault> {
        if self.remaining.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut queue = lock(&self.queue);
        let (fault, times) = queue.front_mut()?;
        let fault = fault.clone();
        *times -= 1;
        if *times == 0 {
            queue.pop_front();
        }
        self.remaining.fetch_sub(1, Ordering::Release);
        Some(fault)
    }

    pub(crate) fn clear(&self) {
        let mut queue = lock(&self.queue);
        queue.clear();
        self.remaining.store(0, Ordering::Release);
    }

    /// The number of sends that will still get a fault.
    pub(crate) fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order_and_count_down() {
        let faults = FaultQueue::default();
        faults.push(Fault::NonJsonBody, 2);
        faults.push(Fault::CloseConnection, 1);
        faults.push(Fault::NonJsonBody, 0);

        assert_eq!(faults.take(), Some(Fault::NonJsonBody));
        assert_eq!(faults.take(), Some(Fault::NonJsonBody));
        assert_eq!(faults.take(), Some(Fault::CloseConnection));
        assert_eq!(faults.take(), None);
        assert_eq!(faults.remaining(), 0);
    }

    #[test]
    fn clear_drops_every_fault() {
        let faults = FaultQueue::default();
        faults.push(Fault::NonJsonBody, 5);
        faults.clear();
        assert_eq!(faults.take(), None);
    }

    #[test]
    fn fault_request_without_status_is_explained() {
        let request: Result<FaultRequest, _> = serde_json::from_str(r#"{"kind": "status"}"#);
        let message = request
            .map_err(|err| err.to_string())
            .and_then(FaultRequest::into_fault)
            .err()
            .unwrap_or_default();
        assert!(message.contains("needs \"status\""), "{message}");
    }

    #[test]
    fn fault_check_rejects_unsendable_statuses() {
        let status = |status| Fault::Status {
            status,
            retry_after: None,
            body: None,
        };
        for rejected in [0, 100, 199, 600, 999] {
            assert!(status(rejected).check().is_err(), "{rejected}");
        }
        for accepted in [200, 307, 429, 599] {
            assert_eq!(status(accepted).check(), Ok(()), "{accepted}");
        }
    }

    #[test]
    fn fault_check_rejects_header_values_with_newlines() {
        let retry_after = Fault::Status {
            status: 429,
            retry_after: Some("2\n".into()),
            body: None,
        };
        let redirect = Fault::Redirect {
            location: "http://127.0.0.1/\r\nX: y".into(),
        };
        assert!(retry_after.check().is_err());
        assert!(redirect.check().is_err());
    }

    #[test]
    fn fault_request_parses_latency() {
        let request: Result<FaultRequest, _> =
            serde_json::from_str(r#"{"kind": "latency", "latencyMs": 250, "times": 2}"#);
        let parsed = request
            .map_err(|err| err.to_string())
            .and_then(FaultRequest::into_fault);
        assert_eq!(parsed, Ok((Fault::Latency(Duration::from_millis(250)), 2)));
    }
}
