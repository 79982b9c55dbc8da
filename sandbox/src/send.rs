//! `POST /MessageSender/sms`: the simulated ClearLine send endpoint.
//!
//! A request is checked in this order, and the first failure decides the response:
//!
//! 1. method `POST` (405);
//! 2. a body of at most [`send_body_limit`] bytes (413);
//! 3. then an injected fault replaces the steps below, except [`Fault::Latency`], which only
//!    holds back the response they produce;
//! 4. exactly one `ApiKey` header with the sandbox's key (401);
//! 5. `Content-Type: application/json` (415);
//! 6. a JSON object whose `phone`, `message` and optional `callbackUrl` are strings, each given
//!    once (400, naming the field when one is at fault);
//! 7. the core's validation, [`clearline::SendRequest::prepare_received`] (400 naming the field).
//!
//! An accepted message gets `{"succeed": true, "messageId": "..."}` and, when it has a
//! callback URL, gets a delivery-report task.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clearline::callback::FieldValue;
use clearline::{SendRequest, API_KEY_HEADER};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::callback::{self, redact_url, CallbackJob};
use crate::delivery::report_for;
use crate::fault::Fault;
use crate::record::{ApiKeyCheck, ReceivedMessage, RecordedRequest};
use crate::routes::{error_response, json_response, method_not_allowed_response, SEND_PATH};
use crate::server::ConnectionControl;
use crate::state::Shared;

/// Largest accepted request body, in bytes, at the default maximum message length. The longest
/// valid send (1,600 four-byte characters, a 2,048-byte callback URL and JSON escapes) fits well
/// inside it. A higher [`crate::SandboxConfig::max_message_chars`] raises the limit to 12 bytes
/// a character plus 16 KiB.
pub const MAX_SEND_BODY_BYTES: usize = 64 * 1024;

/// Bytes a message character can take in the JSON body: a surrogate pair written as two
/// `\uXXXX` escapes.
const MAX_JSON_BYTES_PER_CHAR: usize = 12;

/// Room in the body for everything but the message: the phone, a callback URL of up to 2,048
/// characters (escaped, if need be) and the JSON around them.
const NON_MESSAGE_BODY_BYTES: usize = 16 * 1024;

/// Returns the largest accepted body for messages of up to `max_message_chars` characters:
/// [`MAX_SEND_BODY_BYTES`], or more when the longest message escaped as JSON needs it.
pub(crate) fn send_body_limit(max_message_chars: usize) -> usize {
    let longest = max_message_chars
        .saturating_mul(MAX_JSON_BYTES_PER_CHAR)
        .saturating_add(NON_MESSAGE_BODY_BYTES);
    longest.max(MAX_SEND_BODY_BYTES)
}

/// The page a [`Fault::NonJsonBody`] responds with.
const NON_JSON_PAGE: &str =
    "<!DOCTYPE html>\n<html><head><title>Network login required</title></head>\
<body><h1>Network login required</h1><p>Sign in to continue.</p></body></html>\n";

/// The handler's decision: a response now, a response after a delay, or closing the
/// connection without one.
enum Handling {
    Respond(Response),
    /// The request was handled when it arrived, and any message accepted; only the response
    /// waits.
    RespondAfter(Duration, Response),
    Close,
}

/// Handles every request to the send path.
pub(crate) async fn send(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let received_at = SystemTime::now();
    let (parts, body) = request.into_parts();

    let (body, handling) = if parts.method != Method::POST {
        let response = method_not_allowed_response(parts.method.as_str(), SEND_PATH, "POST");
        (Bytes::new(), Handling::Respond(response))
    } else {
        let limit = send_body_limit(shared.config.max_message_chars);
        match read_body(&parts.headers, body, limit).await {
            Ok(body) => {
                let handling = handle(&shared, &parts.headers, &body);
                (body, handling)
            }
            Err(response) => (Bytes::new(), Handling::Respond(response)),
        }
    };

    let status = match &handling {
        Handling::Respond(response) | Handling::RespondAfter(_, response) => {
            Some(response.status().as_u16())
        }
        Handling::Close => None,
    };
    let control = parts.extensions.get::<ConnectionControl>().cloned();
    let recorded = RecordedRequest::new(parts, body, status, received_at, &shared.api_key);
    shared.record_request(recorded);

    match (handling, control) {
        (Handling::Respond(response), _) => response,
        (Handling::RespondAfter(delay, response), _) => {
            // If the client gives up and closes the connection, the connection task drops this
            // future here; the request is already recorded and its message accepted.
            tokio::time::sleep(delay).await;
            response
        }
        (Handling::Close, Some(control)) => {
            control.close();
            // The connection task drops this handler together with the connection.
            std::future::pending().await
        }
        (Handling::Close, None) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            "the close_connection fault needs the sandbox's own server; the router was run \
             without it",
        ),
    }
}

/// Reads the whole body, or returns the 413 response.
async fn read_body(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Bytes, Response> {
    let too_large = |detail: &str| {
        let message = format!(
            "the request body {detail}; a send is a small JSON object of at most \
             {limit} bytes"
        );
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            None,
            &message,
        )
    };

    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        return Err(too_large(&format!("is {length} bytes")));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large("could not be read in full or is too large"))
}

/// Applies an injected fault, or checks and accepts the send.
///
/// Nothing here waits, so a message is accepted, and its delivery report scheduled, even if the
/// client disconnects and the handler future is dropped afterwards.
fn handle(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Handling {
    let Some(fault) = shared.faults.take() else {
        return Handling::Respond(accept_or_reject(shared, headers, body));
    };
    tracing::info!(target: "clearline_sandbox", kind = fault.kind(), "injected fault applied to a send");

    let response = match fault {
        // As with a slow gateway, the SMS goes out on arrival and only the response is late.
        Fault::Latency(delay) => {
            let response = accept_or_reject(shared, headers, body);
            return Handling::RespondAfter(delay, response);
        }
        Fault::CloseConnection => return Handling::Close,
        Fault::Status {
            status,
            retry_after,
            body,
        } => status_fault(status, retry_after.as_deref(), body),
        Fault::NonJsonBody => (
            StatusCode::OK,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            NON_JSON_PAGE,
        )
            .into_response(),
        Fault::Redirect { location } => match HeaderValue::from_str(&location) {
            Ok(location) => {
                (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response()
            }
            Err(_) => invalid_fault(&format!(
                "the injected redirect location {location:?} is not a valid header value"
            )),
        },
    };
    Handling::Respond(response)
}

/// Checks the send and returns the success response, or the error response of the first
/// failed check.
fn accept_or_reject(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Response {
    match accept(shared, headers, body) {
        Ok(response) => response,
        Err(rejection) => rejection.into_response(),
    }
}

/// A send the sandbox does not accept: the status, the error code, the field at fault and
/// what to do.
struct Rejection {
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
    message: String,
}

impl Rejection {
    /// Builds a 400 rejection.
    fn invalid(field: Option<&'static str>, message: String) -> Rejection {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            field,
            message,
        }
    }

    fn into_response(self) -> Response {
        tracing::info!(
            target: "clearline_sandbox",
            status = self.status.as_u16(),
            field = self.field,
            "send rejected: {}",
            self.message
        );
        error_response(self.status, self.code, self.field, &self.message)
    }
}

/// Checks the key, the content type and the body, and accepts the message.
fn accept(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Result<Response, Rejection> {
    check_api_key(headers, &shared.api_key)?;
    check_content_type(headers)?;
    let wire = parse_body(body)?;

    let phone = text_field(
        wire.phone,
        "phone",
        "the recipient in E.164 form, such as \"+12025551234\"",
    )?;
    let message = text_field(wire.message, "message", "the text of the SMS")?;
    let callback_url = match wire.callback_url {
        FieldValue::Missing => None,
        other => Some(text_field(
            other,
            "callbackUrl",
            "an https URL for the delivery report, or no callbackUrl field at all",
        )?),
    };

    let mut request = SendRequest::new(phone, message);
    request.set_callback_url(callback_url.map(Cow::into_owned));
    let prepared = request
        .prepare_received(shared.config.max_message_chars)
        .map_err(|err| Rejection::invalid(err.field(), err.to_string()))?;

    let message_id = shared.next_message_id();
    let callback_url = prepared.callback_url().map(str::to_owned);
    let (generation, cancel) = shared.record_message(ReceivedMessage {
        message_id: message_id.clone(),
        phone: prepared.phone().to_owned(),
        message: request.message().to_owned(),
        callback_url: callback_url.clone(),
        received_at: SystemTime::now(),
    });

    tracing::info!(
        target: "clearline_sandbox",
        message_id = %message_id,
        phone = %clearline::mask_phone(prepared.phone()),
        segments = prepared.segments(),
        callback_url = %callback_url.as_deref().map(redact_url).unwrap_or_else(|| "none".into()),
        "message accepted"
    );

    if let Some(url) = callback_url {
        let report = report_for(&message_id, prepared.phone());
        let job = CallbackJob {
            url,
            report,
            generation,
        };
        callback::spawn(shared, job, cancel);
    }

    Ok(json_response(
        StatusCode::OK,
        &Accepted {
            succeed: true,
            message_id: &message_id,
        },
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted<'a> {
    succeed: bool,
    message_id: &'a str,
}

/// The send body, each field as found, so a wrong type can be named. Unknown fields are
/// ignored.
#[derive(Default)]
struct WireSend<'a> {
    phone: FieldValue<'a>,
    message: FieldValue<'a>,
    callback_url: FieldValue<'a>,
    /// The first of the three fields found more than once, so the 400 can name it.
    duplicate: Option<&'static str>,
}

impl<'de> Deserialize<'de> for WireSend<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WireSendVisitor)
    }
}

struct WireSendVisitor;

impl<'de> Visitor<'de> for WireSendVisitor {
    type Value = WireSend<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut send = WireSend::default();
        // Keys with escapes arrive owned, so `"ph\u006fne"` is `phone` too.
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let (name, slot) = match key.as_ref() {
                "phone" => ("phone", &mut send.phone),
                "message" => ("message", &mut send.message),
                "callbackUrl" => ("callbackUrl", &mut send.callback_url),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // The rest of the object is still read, so that a syntax error after the duplicate
            // is reported as one.
            let value = map.next_value::<FieldValue<'de>>()?;
            if matches!(slot, FieldValue::Missing) {
                *slot = value;
            } else {
                send.duplicate.get_or_insert(name);
            }
        }
        Ok(send)
    }
}

fn check_api_key(headers: &HeaderMap, api_key: &str) -> Result<(), Rejection> {
    let problem = match ApiKeyCheck::of(headers, api_key) {
        ApiKeyCheck::Matched => return Ok(()),
        ApiKeyCheck::Mismatched if headers.get_all(API_KEY_HEADER).iter().count() > 1 => {
            "more than one ApiKey header; send exactly one"
        }
        ApiKeyCheck::Mismatched => {
            "invalid API key in the ApiKey header; use the key the sandbox was started with \
             (Sandbox::api_key(), or the key clearline-sandbox printed at start-up)"
        }
        ApiKeyCheck::Missing if headers.contains_key(AUTHORIZATION) => {
            "missing ApiKey header; ClearLine reads the key from a header named ApiKey, not \
             from Authorization"
        }
        ApiKeyCheck::Missing => "missing ApiKey header; send the API key in a header named ApiKey",
    };
    Err(Rejection {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        field: None,
        message: problem.to_owned(),
    })
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let value = headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes);
    let essence = value.map(|value| {
        let end = value
            .iter()
            .position(|byte| *byte == b';')
            .unwrap_or(value.len());
        value[..end].trim_ascii()
    });
    if essence.is_some_and(|essence| essence.eq_ignore_ascii_case(b"application/json")) {
        return Ok(());
    }

    let message = match value {
        None => "missing Content-Type header; send the body as application/json".to_owned(),
        Some(value) => format!(
            "unsupported Content-Type {:?}; send the body as application/json",
            String::from_utf8_lossy(value)
        ),
    };
    Err(Rejection {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        field: None,
        message,
    })
}

fn parse_body(body: &[u8]) -> Result<WireSend<'_>, Rejection> {
    const EXAMPLE: &str = r#"{"phone": "+12025551234", "message": "Hi"}"#;

    let start = body.trim_ascii_start();
    if start.is_empty() {
        return Err(Rejection::invalid(
            None,
            format!("invalid request body: it is empty; send a JSON object such as {EXAMPLE}"),
        ));
    }
    // Serde would also read a struct from a JSON array, by position; the API takes objects.
    if start[0] != b'{' {
        return Err(Rejection::invalid(
            None,
            format!("invalid request body: it is not a JSON object; send one such as {EXAMPLE}"),
        ));
    }
    let wire: WireSend<'_> = serde_json::from_slice(body).map_err(|err| {
        // Data errors come from valid JSON that is not a send.
        let problem = match err.classify() {
            serde_json::error::Category::Data => "it is not a valid send",
            _ => "it is not valid JSON",
        };
        Rejection::invalid(
            None,
            format!("invalid request body: {problem} ({err}); send an object such as {EXAMPLE}"),
        )
    })?;

    if let Some(field) = wire.duplicate {
        return Err(Rejection::invalid(
            Some(field),
            format!(
                "invalid request body: the field \"{field}\" appears more than once; send each \
                 field once, such as {EXAMPLE}"
            ),
        ));
    }
    Ok(wire)
}

/// Returns a field's text, or the 400 rejection naming the field and its type.
fn text_field<'a>(
    value: FieldValue<'a>,
    field: &'static str,
    expected: &str,
) -> Result<Cow<'a, str>, Rejection> {
    let found = match value {
        FieldValue::Text(text) => return Ok(text),
        FieldValue::Missing => {
            return Err(Rejection::invalid(
                Some(field),
                format!("missing field \"{field}\"; expected {expected}"),
            ))
        }
        FieldValue::Null => "null",
        FieldValue::Other(kind) => kind,
    };
    Err(Rejection::invalid(
        Some(field),
        format!("\"{field}\" is {found}; expected a string, {expected}"),
    ))
}

fn status_fault(status: u16, retry_after: Option<&str>, body: Option<String>) -> Response {
    let Ok(code) = StatusCode::from_u16(status) else {
        return invalid_fault(&format!(
            "the injected status {status} is not an HTTP status; use one from 200 to 599"
        ));
    };

    let mut response = match body {
        Some(body) => {
            let content_type = if body.trim_start().starts_with(['{', '[']) {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            (
                code,
                [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
                body,
            )
                .into_response()
        }
        None => {
            let message = format!("fault injected by the sandbox: {code}");
            error_response(code, "injected_fault", None, &message)
        }
    };

    if let Some(retry_after) = retry_after {
        match HeaderValue::from_str(retry_after) {
            Ok(value) => {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            Err(_) => {
                return invalid_fault(&format!(
                    "the injected Retry-After {retry_after:?} is not a valid header value"
                ))
            }
        }
    }
    response
}

/// Responds with 500 for a fault that cannot be expressed in HTTP, naming the problem.
fn invalid_fault(problem: &str) -> Response {
    tracing::warn!(target: "clearline_sandbox", "invalid injected fault: {problem}");
    let message = format!("{problem}; fix the fault passed to inject_fault");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "invalid_fault",
        None,
        &message,
    )
}
