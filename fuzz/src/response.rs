//! Checks of `clearline::response::interpret`, the mapping of a response to a `messageId` or an
//! error.

use std::time::{Duration, SystemTime};

use clearline::response::{ResponseParts, interpret};
use clearline::retry::parse_retry_after;
use clearline::{Error, ErrorKind, MAX_BODY_SNIPPET_CHARS};
use serde_json::Value;

use crate::errors::{assert_no_key, check_error};
use crate::json::{self, Reading};
use crate::{FAKE_KEY, frame};

/// Returns the clock `Retry-After` dates are measured from, fixed so that a crash replays the
/// same way.
fn fixed_now() -> SystemTime {
    // 2026-12-01T00:00:00Z.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_083_200)
}

/// A decoded response.
#[derive(Debug)]
struct Response {
    status: u16,
    truncated: bool,
    retry_after: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

impl Response {
    /// Decodes `status[+] 0xFF retry_after 0xFF location 0xFF body`. The status is read modulo
    /// 65,536 (200 when missing), a `+` after it marks the body as cut at the read limit, an
    /// empty header field is an absent header, and the body is every byte after the third
    /// separator.
    fn decode(data: &[u8]) -> Response {
        let fields = frame::split(data, 4);
        let field = |index: usize| fields.get(index).copied().unwrap_or_default();
        let status = frame::number(field(0)).map_or(200, |status| (status % 65_536) as u16);
        let header = |index: usize| {
            let value = field(index);
            (!value.is_empty()).then(|| frame::text(value).into_owned())
        };
        Response {
            status,
            truncated: field(0).contains(&b'+'),
            retry_after: header(1),
            location: header(2),
            body: field(3).to_vec(),
        }
    }
}

/// Interprets a framed response and checks the outcome against the status table.
///
/// The input is `status[+] 0xFF retry_after 0xFF location 0xFF body`. A `messageId` may come
/// only from a complete 2xx body that serde_json reads as `"succeed": true` with that id. An
/// error must carry the status, the kind and `maybe_sent` of the table in `interpret`'s
/// documentation, `Retry-After` only on a 429, a bounded message and a bounded body snippet,
/// and the key only when the response itself contained it.
pub fn check(data: &[u8]) {
    let response = Response::decode(data);
    let parts = ResponseParts {
        status: response.status,
        retry_after: response.retry_after.as_deref(),
        location: response.location.as_deref(),
        body: &response.body,
        truncated: response.truncated,
        now: Some(fixed_now()),
    };

    match interpret(&parts) {
        Ok(message_id) => check_accepted(&response, &message_id),
        Err(err) => check_failure(&response, &err),
    }
}

/// Reads the body with serde_json alone. Invalid UTF-8 is replaced first: the core reads only
/// `succeed` and `messageId` and skips other members undecoded, so it tolerates broken bytes
/// there.
fn body_json(response: &Response) -> Reading {
    json::read(String::from_utf8_lossy(&response.body).as_bytes())
}

fn check_accepted(response: &Response, message_id: &str) {
    assert!(
        (200..=299).contains(&response.status),
        "accepted {response:?}"
    );
    assert!(!response.truncated, "accepted a cut body: {response:?}");
    assert!(
        !message_id.trim().is_empty(),
        "accepted a blank messageId: {response:?}"
    );

    let value = match body_json(response) {
        Reading::Value(value) => value,
        Reading::Unrepresentable => return,
        Reading::Invalid(err) => panic!("accepted a body serde_json rejects ({err}): {response:?}"),
    };
    let field = |name: &str| value.get(name);
    assert_eq!(
        field("succeed"),
        Some(&Value::Bool(true)),
        "succeed of {response:?}"
    );
    assert_eq!(
        field("messageId").and_then(Value::as_str),
        Some(message_id),
        "messageId of {response:?}"
    );
}

fn check_failure(response: &Response, err: &Error) {
    check_error(err, response);
    let status = response.status;
    assert_eq!(
        err.status(),
        Some(status),
        "status of the error for {response:?}"
    );

    let allowed: &[ErrorKind] = match status {
        200..=299 => &[ErrorKind::Rejected, ErrorKind::UnexpectedResponse],
        300..=399 => &[ErrorKind::UnexpectedResponse],
        401 | 403 => &[ErrorKind::Authentication],
        429 => &[ErrorKind::RateLimited],
        400..=499 => &[ErrorKind::Rejected],
        500..=599 => &[ErrorKind::Server],
        _ => &[ErrorKind::UnexpectedResponse],
    };
    assert!(
        allowed.contains(&err.kind()),
        "kind {:?} for the status {status}: {response:?}",
        err.kind()
    );

    // On a 2xx, only the body's own "succeed": false is a rejection.
    if (200..=299).contains(&status) && err.kind() == ErrorKind::Rejected {
        assert!(!response.truncated, "rejected a cut body: {response:?}");
        match body_json(response) {
            Reading::Value(value) => {
                let succeed = value.get("succeed");
                assert_eq!(succeed, Some(&Value::Bool(false)), "rejected {response:?}");
            }
            Reading::Unrepresentable => {}
            Reading::Invalid(err) => {
                panic!("rejected a body that is not JSON ({err}): {response:?}")
            }
        }
    }

    if status == 429 {
        let expected = response
            .retry_after
            .as_deref()
            .and_then(|value| parse_retry_after(value, fixed_now()));
        assert_eq!(err.retry_after(), expected, "retry_after of {response:?}");
    }

    check_snippet(response, err);

    let key_in_response = response
        .location
        .as_deref()
        .is_some_and(|l| l.contains(FAKE_KEY))
        || String::from_utf8_lossy(&response.body).contains(FAKE_KEY);
    if !key_in_response {
        assert_no_key(err, response);
    }
}

/// Checks that the body snippet is absent only for a blank body (empty, or only whitespace and
/// control characters), is capped, and contains no control characters.
fn check_snippet(response: &Response, err: &Error) {
    let snippet = err.body_snippet();
    let blank = String::from_utf8_lossy(&response.body)
        .chars()
        .all(|ch| ch.is_whitespace() || ch.is_control());
    assert_eq!(
        snippet.is_none(),
        blank,
        "body snippet {snippet:?} for {response:?}"
    );
    let Some(snippet) = snippet else {
        return;
    };
    let chars = snippet.chars().count();
    assert!(
        chars <= MAX_BODY_SNIPPET_CHARS + 1,
        "a snippet of {chars} characters for {response:?}"
    );
    assert!(
        !snippet.chars().any(char::is_control),
        "control characters in the snippet {snippet:?}"
    );
}
