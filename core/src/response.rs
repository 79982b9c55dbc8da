//! Interpretation of ClearLine's answer to a send: a `messageId`, or a typed error.
//!
//! The API documents only the success body, so every other status and body must become a clear
//! error. The mapping is a pure function of the response, which the shared test vectors exercise
//! directly.
//!
//! ```
//! use clearline::response::{interpret, ResponseParts};
//!
//! let parts = ResponseParts { status: 401, ..Default::default() };
//! assert_eq!(interpret(&parts).unwrap_err().kind(), clearline::ErrorKind::Authentication);
//! ```

use std::borrow::Cow;
use std::time::SystemTime;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result, body_snippet};
use crate::retry::parse_retry_after;
use crate::validate::quote;

/// Largest response body read, in bytes. Bytes past it are not read.
///
/// ```
/// use clearline::response::{interpret, ResponseParts, MAX_RESPONSE_BYTES};
///
/// let parts = ResponseParts { status: 200, body: b"{", truncated: true, ..Default::default() };
/// let err = interpret(&parts).unwrap_err();
/// assert!(err.to_string().contains(&MAX_RESPONSE_BYTES.to_string()));
/// ```
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The parts of an HTTP response that decide the outcome of a send.
///
/// ```
/// use clearline::response::{interpret, ResponseParts};
///
/// let parts = ResponseParts {
///     status: 200,
///     body: br#"{"succeed": true, "messageId": "msg_123"}"#,
///     ..ResponseParts::default()
/// };
/// assert_eq!(interpret(&parts).unwrap(), "msg_123");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseParts<'a> {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
    /// The `Location` header, if any.
    pub location: Option<&'a str>,
    /// The body, at most [`MAX_RESPONSE_BYTES`] of it.
    pub body: &'a [u8],
    /// `true` when the body was longer than [`MAX_RESPONSE_BYTES`] and was cut.
    pub truncated: bool,
    /// The time `Retry-After` dates are measured from; `None` means now.
    pub now: Option<SystemTime>,
}

/// The success body of `POST /MessageSender/sms`. Unknown fields are ignored.
#[derive(Deserialize)]
struct WireResponse<'a> {
    succeed: Option<bool>,
    #[serde(rename = "messageId", borrow)]
    message_id: Option<Cow<'a, str>>,
}

/// Maps a response to the accepted `messageId` or to a typed error.
///
/// # Errors
///
/// | response | kind | `maybe_sent` |
/// | --- | --- | --- |
/// | 2xx, `succeed: false` | [`ErrorKind::Rejected`] | false |
/// | 2xx, not the expected JSON, or no `messageId` | [`ErrorKind::UnexpectedResponse`] | true |
/// | 1xx, or a status above 599 | [`ErrorKind::UnexpectedResponse`] | true |
/// | 3xx (never followed) | [`ErrorKind::UnexpectedResponse`] | false |
/// | 401, 403 | [`ErrorKind::Authentication`] | false |
/// | 429 | [`ErrorKind::RateLimited`] with `retry_after` | false |
/// | other 4xx | [`ErrorKind::Rejected`] | false |
/// | 5xx | [`ErrorKind::Server`] | true |
///
/// ```
/// use clearline::response::{interpret, ResponseParts};
/// use clearline::ErrorKind;
///
/// let accepted = ResponseParts {
///     status: 200,
///     body: br#"{"succeed":true,"messageId":"msg_1"}"#,
///     ..Default::default()
/// };
/// assert_eq!(interpret(&accepted)?, "msg_1");
///
/// let html = ResponseParts { status: 200, body: b"<html>Sign in</html>", ..Default::default() };
/// let err = interpret(&html).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
/// assert!(err.maybe_sent());
/// # Ok::<(), clearline::Error>(())
/// ```
pub fn interpret(parts: &ResponseParts<'_>) -> Result<String> {
    let status = parts.status;
    let snippet = body_snippet(parts.body);
    let label = status_label(status);
    let quoted = match &snippet {
        Some(text) => format!(": {text}"),
        None if parts.body.is_empty() => " (empty body)".to_owned(),
        None => " (blank body)".to_owned(),
    };
    let fail = |kind: ErrorKind, maybe_sent: bool, message: String| {
        Error::new(kind, message)
            .with_status(status)
            .with_maybe_sent(maybe_sent)
            .with_body_snippet(snippet.clone())
    };

    match status {
        200..=299 => interpret_success(parts, &label, &quoted, fail),
        300..=399 => {
            // The header is quoted with a length cap, because any server on the way may set it.
            let target = parts
                .location
                .map(|location| format!(" to {}", quote(location)))
                .unwrap_or_default();
            Err(fail(
                ErrorKind::UnexpectedResponse,
                false,
                format!(
                    "ClearLine answered {label}, a redirect{target}, which the SDK does not \
                     follow so that the API key and the message never reach another host; the \
                     SMS was not sent. Check the base URL, and use the final URL directly"
                ),
            ))
        }
        401 | 403 => Err(fail(
            ErrorKind::Authentication,
            false,
            format!(
                "ClearLine rejected the API key with {label}; the SMS was not sent. Check the key \
                 you pass or CLEARLINE_API_KEY, and that it belongs to this environment \
                 (production and staging keys differ)"
            ),
        )),
        429 => {
            let now = parts.now.unwrap_or_else(SystemTime::now);
            let retry_after = parts
                .retry_after
                .and_then(|value| parse_retry_after(value, now));
            let advice = match retry_after {
                Some(wait) => format!("retry after {} s", wait.as_secs()),
                None => "slow down and retry later".to_owned(),
            };
            Err(fail(
                ErrorKind::RateLimited,
                false,
                format!(
                    "ClearLine rate-limited the send with {label}; the SMS was not sent, {advice}"
                ),
            )
            .with_retry_after(retry_after))
        }
        400..=499 => Err(fail(
            ErrorKind::Rejected,
            false,
            format!("ClearLine rejected the request with {label}; the SMS was not sent{quoted}"),
        )),
        500..=599 => Err(fail(
            ErrorKind::Server,
            true,
            format!(
                "ClearLine failed with {label}; the SMS may have been sent, so check before \
                 sending it again{quoted}"
            ),
        )),
        _ => Err(fail(
            ErrorKind::UnexpectedResponse,
            true,
            format!(
                "ClearLine answered with the unexpected status {label}; the SMS may have been \
                 sent{quoted}"
            ),
        )),
    }
}

/// Handles a 2xx: the documented success body, `succeed: false`, or something else.
fn interpret_success(
    parts: &ResponseParts<'_>,
    label: &str,
    quoted: &str,
    fail: impl Fn(ErrorKind, bool, String) -> Error,
) -> Result<String> {
    // An empty body is named by the problem itself, so it is not repeated after it.
    let quoted = if parts.body.is_empty() { "" } else { quoted };
    let unexpected = |problem: &str| {
        fail(
            ErrorKind::UnexpectedResponse,
            true,
            format!(
                "ClearLine answered {label} but {problem}; the SMS may have been sent, so check \
                 before sending it again{quoted}"
            ),
        )
    };

    if parts.truncated {
        return Err(unexpected(&format!(
            "the body is larger than {MAX_RESPONSE_BYTES} bytes, not the expected small JSON"
        )));
    }
    // A UTF-8 byte order mark is not JSON, but some servers (notably on .NET) write one.
    let body = parts
        .body
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(parts.body);
    let wire: WireResponse<'_> = match serde_json::from_slice(body) {
        Ok(wire) => wire,
        Err(err) => {
            let problem = if looks_like_html(body) {
                "the body is an HTML page, not JSON (a proxy, load balancer or captive portal may \
                 have answered)"
                    .to_owned()
            } else if body.is_empty() {
                "the body is empty, not the expected JSON".to_owned()
            } else {
                format!(
                    "the body is not the expected JSON ({})",
                    json_error_text(&err)
                )
            };
            return Err(unexpected(&problem).with_source(err));
        }
    };

    match (wire.succeed, wire.message_id) {
        (Some(true), Some(message_id)) if !message_id.trim().is_empty() => {
            Ok(message_id.into_owned())
        }
        (Some(true), _) => Err(unexpected(
            "the body has \"succeed\": true without a non-empty \"messageId\"",
        )),
        (Some(false), _) => Err(fail(
            ErrorKind::Rejected,
            false,
            format!(
                "ClearLine did not accept the message (\"succeed\": false); the SMS was not \
                 sent{}",
                reason_from_body(body)
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_else(|| quoted.to_owned())
            ),
        )),
        (None, _) => Err(unexpected("the body has no \"succeed\" field")),
    }
}

/// Maximum length of a serde_json error text quoted in a message, in characters.
const MAX_JSON_ERROR_CHARS: usize = 120;

/// Describes a serde_json error in at most [`MAX_JSON_ERROR_CHARS`] characters plus its position.
/// An "invalid type" error quotes the offending string whole, and the body may be 1 MiB.
fn json_error_text(err: &serde_json::Error) -> String {
    let text = err.to_string();
    if text.chars().count() <= MAX_JSON_ERROR_CHARS {
        return text;
    }
    let head: String = text.chars().take(MAX_JSON_ERROR_CHARS).collect();
    format!("{head}… at line {} column {}", err.line(), err.column())
}

/// Returns the first error text a rejection body carries under a common field name.
fn reason_from_body(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    [
        "message",
        "error",
        "errorMessage",
        "reason",
        "detail",
        "title",
    ]
    .iter()
    .find_map(|field| value.get(*field)?.as_str())
    .and_then(|text| body_snippet(text.as_bytes()))
}

/// Returns `true` when the body starts like markup (`<!DOCTYPE html>`, `<html>`, XML).
fn looks_like_html(body: &[u8]) -> bool {
    body.trim_ascii_start().starts_with(b"<")
}

/// Formats a status as `503 Service Unavailable`.
fn status_label(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason());
    match reason {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Result<String> {
        interpret(&ResponseParts {
            status,
            body: body.as_bytes(),
            ..ResponseParts::default()
        })
    }

    #[test]
    fn rejection_quotes_reason_field() {
        let err = response(200, r#"{"succeed": false, "message": "Number blocked"}"#).err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.ends_with(": Number blocked"), "{message}");
    }

    #[test]
    fn html_body_is_named() {
        let err = response(200, "<!DOCTYPE html><html>Login</html>").err();
        let message = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("HTML page"), "{message}");
        assert_eq!(err.map(|e| e.maybe_sent()), Some(true));
    }

    #[test]
    fn whitespace_message_id_is_unexpected() {
        let err = response(200, r#"{"succeed": true, "messageId": "  "}"#).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::UnexpectedResponse));
    }

    #[test]
    fn redirect_location_is_capped() {
        let location = format!("https://elsewhere.example/{}", "a".repeat(10_000));
        let err = interpret(&ResponseParts {
            status: 302,
            location: Some(&location),
            ..ResponseParts::default()
        })
        .err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("a redirect to \"https://elsewhere.example/aaa"),
            "{message}"
        );
        assert!(message.chars().count() < 500, "{message}");
    }

    #[test]
    fn json_error_quote_is_capped() {
        let body = format!("\"{}\"", "x".repeat(5_000));
        let err = response(200, &body).err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("(invalid type: string \"xxx"), "{message}");
        assert!(message.contains("xxx… at line 1 column 5002)"), "{message}");
        assert!(message.chars().count() < 800, "{message}");
    }

    #[test]
    fn status_label_has_reason() {
        assert_eq!(status_label(503), "503 Service Unavailable");
        assert_eq!(status_label(599), "599");
    }
}
