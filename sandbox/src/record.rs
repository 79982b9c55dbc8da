//! What the sandbox records for inspection: accepted messages, callback attempts, their final
//! outcomes, and the raw requests to the send endpoint.
//!
//! The records serialize in camelCase for the `/sandbox/*` endpoints. None of them carries the
//! API key: a recorded request only records whether an `ApiKey` header was present.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use clearline::DeliveryReport;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A message the sandbox accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedMessage {
    /// The `messageId` the sandbox returned.
    pub message_id: String,
    /// The recipient in canonical E.164 form (formatting characters removed).
    pub phone: String,
    /// The text as received.
    pub message: String,
    /// The normalized callback URL, if the send had one.
    pub callback_url: Option<String>,
    /// When the sandbox accepted the message.
    #[serde(serialize_with = "rfc3339")]
    pub received_at: SystemTime,
}

/// One POST of a delivery report to a callback URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackAttempt {
    /// The message the report is about.
    pub message_id: String,
    /// The callback URL POSTed to.
    pub url: String,
    /// 1 for the first POST of this report, 2 for the first retry, and so on.
    pub attempt: u32,
    /// The receiver's HTTP status, or `None` when no response arrived.
    pub status: Option<u16>,
    /// Time from sending the request to receiving the response status or the error.
    #[serde(rename = "latencyMs", serialize_with = "millis")]
    pub latency: Duration,
    /// Why the attempt failed, or `None` when the receiver responded with 200.
    pub error: Option<String>,
    /// When the attempt started.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
}

/// The final result of delivering one report: a 200 response, or attempts exhausted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackOutcome {
    /// The message the report is about.
    pub message_id: String,
    /// The report that was POSTed.
    #[serde(serialize_with = "report_fields")]
    pub report: DeliveryReport,
    /// `true` when the receiver responded with 200.
    pub delivered: bool,
    /// The number of POSTs made.
    pub attempts: u32,
}

/// A request to the send endpoint as it arrived, for checking what a client sends.
///
/// Header values are kept, except those of `ApiKey`, `Authorization`, `Proxy-Authorization`
/// and `Cookie`, which serialize as `"<redacted>"`.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The body as received (at most the send endpoint's body limit).
    pub body: Bytes,
    /// The status the sandbox responded with, or `None` when it closed the connection instead.
    pub status: Option<u16>,
    /// When the request arrived.
    pub received_at: SystemTime,
}

/// Header names whose values never leave the sandbox.
const REDACTED_HEADERS: [&str; 4] = ["apikey", "authorization", "proxy-authorization", "cookie"];

impl RecordedRequest {
    /// `true` when the request had an `ApiKey` header, whatever its value.
    pub fn has_api_key(&self) -> bool {
        self.headers.contains_key(clearline::API_KEY_HEADER)
    }
}

impl Serialize for RecordedRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("query", &self.query)?;
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("apiKeyPresent", &self.has_api_key())?;
        map.serialize_entry("body", &String::from_utf8_lossy(&self.body))?;
        map.serialize_entry("status", &self.status)?;
        let received_at = humantime::format_rfc3339_millis(self.received_at).to_string();
        map.serialize_entry("receivedAt", &received_at)?;
        map.end()
    }
}

/// Headers as a list of `[name, value]` pairs in arrival order, secrets redacted.
struct Headers<'a>(&'a HeaderMap);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (name, value) in self.0 {
            let shown = if REDACTED_HEADERS.contains(&name.as_str()) {
                "<redacted>".into()
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            seq.serialize_element(&(name.as_str(), shown))?;
        }
        seq.end()
    }
}

fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*time))
}

/// Serializes a duration as milliseconds with microsecond precision.
fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(as_millis(*duration))
}

/// Returns a duration in milliseconds, rounded to the microsecond.
pub(crate) fn as_millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

/// Serializes a report exactly as the callback body is: the core's wire form.
fn report_fields<S: Serializer>(report: &DeliveryReport, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(4))?;
    map.serialize_entry("messageId", &report.message_id)?;
    map.serialize_entry("deliveryStatus", report.status.as_str())?;
    map.serialize_entry("externalDeliveryStatus", &report.external_status)?;
    map.serialize_entry("reasonText", &report.reason)?;
    map.end()
}

/// A list that keeps the most recent `limit` entries.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    entries: VecDeque<T>,
    limit: usize,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(limit: usize) -> Self {
        Ring {
            entries: VecDeque::new(),
            limit,
        }
    }

    pub(crate) fn push(&mut self, entry: T) {
        if self.entries.len() == self.limit {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn ring_keeps_most_recent() {
        let mut ring = Ring::new(2);
        for value in 1..=3 {
            ring.push(value);
        }
        assert_eq!(ring.to_vec(), vec![2, 3]);
    }

    #[test]
    fn recorded_request_redacts_api_key() {
        let mut headers = HeaderMap::new();
        headers.insert("apikey", HeaderValue::from_static("test_key_not_real_0000"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let request = RecordedRequest {
            method: Method::POST,
            path: "/MessageSender/sms".into(),
            query: None,
            headers,
            body: Bytes::from_static(b"{}"),
            status: Some(401),
            received_at: SystemTime::UNIX_EPOCH,
        };
        let json = serde_json::to_string(&request).unwrap_or_default();
        assert!(!json.contains("test_key_not_real"), "{json}");
        assert!(json.contains(r#"["apikey","<redacted>"]"#), "{json}");
        assert!(json.contains(r#""apiKeyPresent":true"#), "{json}");
        assert!(
            json.contains(r#"["content-type","application/json"]"#),
            "{json}"
        );
    }

    #[test]
    fn attempt_serializes_latency_in_ms() {
        let attempt = CallbackAttempt {
            message_id: "msg_1".into(),
            url: "http://127.0.0.1:9/hook".into(),
            attempt: 1,
            status: Some(200),
            latency: Duration::from_micros(1500),
            error: None,
            at: SystemTime::UNIX_EPOCH,
        };
        let json = serde_json::to_string(&attempt).unwrap_or_default();
        assert!(json.contains(r#""latencyMs":1.5"#), "{json}");
        assert!(
            json.contains(r#""at":"1970-01-01T00:00:00.000Z""#),
            "{json}"
        );
    }
}
