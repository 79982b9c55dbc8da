//! What the sandbox records for inspection: accepted messages, callback attempts, their final
//! outcomes, and the raw requests to the send endpoint.
//!
//! The records serialize in camelCase for the `/sandbox/*` endpoints. No record stores the API
//! key: a recorded request keeps only whether its `ApiKey` header was present and matched, and
//! the key is replaced by `<redacted>` before a request is stored, so neither `Debug`, the JSON
//! form nor the bindings can show it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, SystemTime};

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
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
/// The API key is not stored: [`RecordedRequest::api_key`] keeps only whether the `ApiKey`
/// header was present and matched the sandbox's key. The values of `ApiKey`, `Authorization`,
/// `Proxy-Authorization` and `Cookie` are replaced by `<redacted>`, and so is the sandbox's key
/// wherever else it appears in a header value, the query or the body (a client that sends it in
/// the wrong place).
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers, secrets redacted.
    pub headers: HeaderMap,
    /// How the `ApiKey` header compared with the sandbox's key.
    pub api_key: ApiKeyCheck,
    /// The body as received (at most the send endpoint's body limit).
    pub body: Bytes,
    /// The status the sandbox responded with, or `None` when it closed the connection instead.
    /// Under a [`crate::Fault::Latency`] it is the status the response carries after the delay,
    /// even when the client disconnected before it was sent.
    pub status: Option<u16>,
    /// When the request arrived.
    pub received_at: SystemTime,
}

/// How a recorded request's `ApiKey` header compared with the sandbox's key. The header's value
/// is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyCheck {
    /// No `ApiKey` header.
    Missing,
    /// Exactly one `ApiKey` header, with the sandbox's key: the key check of the send endpoint
    /// passes.
    Matched,
    /// An `ApiKey` header with another key, or more than one `ApiKey` header.
    Mismatched,
}

impl ApiKeyCheck {
    /// Compares the `ApiKey` headers of a request with the sandbox's key.
    pub(crate) fn of(headers: &HeaderMap, api_key: &str) -> ApiKeyCheck {
        let mut values = headers.get_all(clearline::API_KEY_HEADER).iter();
        match (values.next(), values.next()) {
            (None, _) => ApiKeyCheck::Missing,
            (Some(value), None) if value.as_bytes() == api_key.as_bytes() => ApiKeyCheck::Matched,
            _ => ApiKeyCheck::Mismatched,
        }
    }
}

/// Header names whose values never leave the sandbox.
const REDACTED_HEADERS: [&str; 4] = ["apikey", "authorization", "proxy-authorization", "cookie"];

/// What replaces a secret in a record.
const REDACTED: &str = "<redacted>";

impl RecordedRequest {
    /// Records a request to the send endpoint, removing `api_key` and the secret header values
    /// before anything is stored.
    pub(crate) fn new(
        parts: Parts,
        body: Bytes,
        status: Option<u16>,
        received_at: SystemTime,
        api_key: &str,
    ) -> RecordedRequest {
        let check = ApiKeyCheck::of(&parts.headers, api_key);
        let mut headers = parts.headers;
        for (name, value) in headers.iter_mut() {
            if REDACTED_HEADERS.contains(&name.as_str()) {
                *value = HeaderValue::from_static(REDACTED);
            } else if let Cow::Owned(scrubbed) = scrub(value.as_bytes(), api_key) {
                *value = HeaderValue::from_bytes(&scrubbed)
                    .unwrap_or_else(|_| HeaderValue::from_static(REDACTED));
            }
        }
        let query = parts
            .uri
            .query()
            .map(|query| String::from_utf8_lossy(&scrub(query.as_bytes(), api_key)).into_owned());
        let body = match scrub(&body, api_key) {
            Cow::Borrowed(_) => body,
            Cow::Owned(scrubbed) => Bytes::from(scrubbed),
        };

        RecordedRequest {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query,
            headers,
            api_key: check,
            body,
            status,
            received_at,
        }
    }

    /// `true` when the request had an `ApiKey` header, whatever its value.
    pub fn has_api_key(&self) -> bool {
        self.api_key != ApiKeyCheck::Missing
    }

    /// `true` when the request had exactly one `ApiKey` header, with the sandbox's key.
    pub fn api_key_matched(&self) -> bool {
        self.api_key == ApiKeyCheck::Matched
    }
}

/// Returns `bytes` with every occurrence of `secret` replaced by `<redacted>`, borrowed when
/// there is none.
fn scrub<'a>(bytes: &'a [u8], secret: &str) -> Cow<'a, [u8]> {
    if secret.is_empty() || memchr::memmem::find(bytes, secret.as_bytes()).is_none() {
        return Cow::Borrowed(bytes);
    }
    let mut scrubbed = Vec::with_capacity(bytes.len());
    let mut rest = 0;
    // The matches do not overlap.
    for start in memchr::memmem::find_iter(bytes, secret.as_bytes()) {
        scrubbed.extend_from_slice(&bytes[rest..start]);
        scrubbed.extend_from_slice(REDACTED.as_bytes());
        rest = start + secret.len();
    }
    scrubbed.extend_from_slice(&bytes[rest..]);
    Cow::Owned(scrubbed)
}

impl fmt::Debug for RecordedRequest {
    /// Shows the headers as the JSON form does, with secret header values redacted again, so
    /// a record whose headers were changed after it was returned cannot show one either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &DebugHeaders(&self.headers))
            .field("api_key", &self.api_key)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("status", &self.status)
            .field("received_at", &self.received_at)
            .finish()
    }
}

impl Serialize for RecordedRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(9))?;
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("query", &self.query)?;
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("apiKeyPresent", &self.has_api_key())?;
        map.serialize_entry("apiKeyMatched", &self.api_key_matched())?;
        map.serialize_entry("body", &String::from_utf8_lossy(&self.body))?;
        map.serialize_entry("status", &self.status)?;
        let received_at = humantime::format_rfc3339_millis(self.received_at).to_string();
        map.serialize_entry("receivedAt", &received_at)?;
        map.end()
    }
}

/// Returns a header's value for display: `<redacted>` for a secret header, else its text.
fn shown_value<'a>(name: &HeaderName, value: &'a HeaderValue) -> Cow<'a, str> {
    if REDACTED_HEADERS.contains(&name.as_str()) {
        Cow::Borrowed(REDACTED)
    } else {
        String::from_utf8_lossy(value.as_bytes())
    }
}

/// Headers as a list of `[name, value]` pairs in arrival order, secrets redacted.
struct Headers<'a>(&'a HeaderMap);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (name, value) in self.0 {
            seq.serialize_element(&(name.as_str(), shown_value(name, value)))?;
        }
        seq.end()
    }
}

/// Headers as a `Debug` map in arrival order, secrets redacted.
struct DebugHeaders<'a>(&'a HeaderMap);

impl fmt::Debug for DebugHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name.as_str(), shown_value(name, value))),
            )
            .finish()
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

    #[test]
    fn ring_keeps_most_recent() {
        let mut ring = Ring::new(2);
        for value in 1..=3 {
            ring.push(value);
        }
        assert_eq!(ring.to_vec(), vec![2, 3]);
    }

    const KEY: &str = "test_key_not_real_0000";

    fn recorded(request: axum::http::request::Builder, body: &'static str) -> RecordedRequest {
        let (parts, ()) = request
            .body(())
            .unwrap_or_else(|_| axum::http::Request::new(()))
            .into_parts();
        let body = Bytes::from_static(body.as_bytes());
        RecordedRequest::new(parts, body, Some(401), SystemTime::UNIX_EPOCH, KEY)
    }

    #[test]
    fn recorded_request_drops_api_key() {
        let request = recorded(
            axum::http::Request::post("/MessageSender/sms?token=abc")
                .header("apikey", KEY)
                .header("content-type", "application/json")
                .header("authorization", "Bearer other_secret_value"),
            "{}",
        );

        assert_eq!(request.api_key, ApiKeyCheck::Matched);
        assert_eq!(request.headers["apikey"], REDACTED);
        assert_eq!(request.headers["authorization"], REDACTED);
        assert_eq!(request.query.as_deref(), Some("token=abc"));
        let json = serde_json::to_string(&request).unwrap_or_default();
        assert!(!json.contains("test_key_not_real"), "{json}");
        assert!(json.contains(r#"["apikey","<redacted>"]"#), "{json}");
        assert!(json.contains(r#""apiKeyPresent":true"#), "{json}");
        assert!(json.contains(r#""apiKeyMatched":true"#), "{json}");
        assert!(
            json.contains(r#"["content-type","application/json"]"#),
            "{json}"
        );
        let debug = format!("{request:?}");
        assert!(!debug.contains("test_key_not_real"), "{debug}");
        assert!(!debug.contains("other_secret_value"), "{debug}");
        assert!(
            debug.contains(r#""content-type": "application/json""#),
            "{debug}"
        );
    }

    #[test]
    fn recorded_request_scrubs_key_elsewhere() {
        let request = recorded(
            axum::http::Request::post(format!("/MessageSender/sms?apikey={KEY}&x=1"))
                .header("x-api-key", format!("{KEY},{KEY}")),
            r#"{"message": "test_key_not_real_0000"}"#,
        );

        assert_eq!(request.api_key, ApiKeyCheck::Missing);
        assert_eq!(request.headers["x-api-key"], "<redacted>,<redacted>");
        assert_eq!(request.query.as_deref(), Some("apikey=<redacted>&x=1"));
        assert_eq!(&request.body[..], br#"{"message": "<redacted>"}"#);
    }

    #[test]
    fn debug_redacts_headers_set_after_recording() {
        let mut request = recorded(axum::http::Request::post("/MessageSender/sms"), "{}");
        request
            .headers
            .insert("apikey", HeaderValue::from_static("inserted_secret_value"));

        let debug = format!("{request:?}");
        assert!(!debug.contains("inserted_secret_value"), "{debug}");
    }

    #[test]
    fn api_key_check_needs_one_matching_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(ApiKeyCheck::of(&headers, KEY), ApiKeyCheck::Missing);
        headers.append("apikey", HeaderValue::from_static("test_key_not_real_9999"));
        assert_eq!(ApiKeyCheck::of(&headers, KEY), ApiKeyCheck::Mismatched);
        headers.insert("apikey", HeaderValue::from_static(KEY));
        assert_eq!(ApiKeyCheck::of(&headers, KEY), ApiKeyCheck::Matched);
        headers.append("apikey", HeaderValue::from_static(KEY));
        assert_eq!(ApiKeyCheck::of(&headers, KEY), ApiKeyCheck::Mismatched);
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
