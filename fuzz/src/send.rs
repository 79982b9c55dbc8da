//! Checks of send validation: `SendRequest::prepare` and the `clearline::validate` functions.

use std::net::Ipv6Addr;

use clearline::validate::{
    DEFAULT_MAX_MESSAGE_CHARS, MAX_CALLBACK_URL_LEN, PHONE_DIGITS, canonical_callback_url,
    canonical_phone, check_message,
};
use clearline::{Error, ErrorKind, SendRequest};
use serde_json::Value;
use url::{Host, Url};

use crate::errors::{assert_no_key, check_error};
use crate::{FAKE_KEY, frame};

/// A decoded send input.
#[derive(Debug)]
struct SendInput {
    max_message_chars: usize,
    phone: String,
    message: String,
    callback_url: Option<String>,
}

impl SendInput {
    /// Decodes `max_message_chars 0xFF phone 0xFF message [0xFF callback_url]`. A maximum that
    /// does not start with a digit is the default of 1,600.
    fn decode(data: &[u8]) -> SendInput {
        let fields = frame::split(data, 4);
        let field = |index: usize| fields.get(index).copied();
        let max_message_chars = field(0)
            .and_then(frame::number)
            .map_or(DEFAULT_MAX_MESSAGE_CHARS, |max| {
                usize::try_from(max).unwrap_or(usize::MAX)
            });
        SendInput {
            max_message_chars,
            phone: field(1).map(frame::text).unwrap_or_default().into_owned(),
            message: field(2).map(frame::text).unwrap_or_default().into_owned(),
            callback_url: field(3).map(|url| frame::text(url).into_owned()),
        }
    }
}

/// Validates a framed send input and checks each validator and `prepare` against the rules.
///
/// The input is `max_message_chars 0xFF phone 0xFF message [0xFF callback_url]`. Each validator
/// must accept exactly what its rule allows and return a canonical form it accepts unchanged.
/// `prepare` must fail with the first failing validator's error, in the order phone, message,
/// callback URL, or build a JSON body whose phone is E.164 and whose message is the input.
pub fn check(data: &[u8]) {
    let input = SendInput::decode(data);

    let phone = canonical_phone(&input.phone);
    check_phone(&input.phone, &phone);
    let message = check_message(&input.message, input.max_message_chars);
    check_message_rules(&input, &message);
    let callback_url = input.callback_url.as_deref().map(|url| {
        let canonical = canonical_callback_url(url);
        check_callback_url(url, &canonical);
        canonical
    });

    let mut request = SendRequest::new(input.phone.as_str(), input.message.as_str());
    request.set_callback_url(input.callback_url.clone());
    let prepared = request.prepare(input.max_message_chars);

    let first_error = phone
        .as_ref()
        .err()
        .or(message.as_ref().err())
        .or(callback_url.as_ref().and_then(|url| url.as_ref().err()));
    match (&prepared, first_error) {
        (Err(err), Some(expected)) => {
            assert_eq!(
                err.field(),
                expected.field(),
                "prepare checked out of order: {input:?}"
            );
            assert_eq!(
                err.to_string(),
                expected.to_string(),
                "prepare's message for {input:?}"
            );
        }
        (Ok(prepared), None) => {
            let phone = phone.as_deref().unwrap_or_default();
            let url = callback_url.and_then(Result::ok);
            check_body(&input, prepared.body(), phone, url.as_deref());
            assert_eq!(prepared.phone(), phone, "prepared phone for {input:?}");
            assert_eq!(
                prepared.callback_url(),
                url.as_deref(),
                "prepared URL for {input:?}"
            );
            assert!(prepared.segments() >= 1, "no segment for {input:?}");
        }
        (Ok(_), Some(expected)) => panic!("prepare accepted {input:?} despite: {expected}"),
        (Err(err), None) => {
            panic!("prepare rejected {input:?}, which every validator accepts: {err}")
        }
    }
}

/// Returns the canonical E.164 form the phone rule gives: `+`, then 2 to 15 ASCII digits not
/// starting with 0, with spaces, hyphens, dots and parentheses removed and the whole trimmed.
fn expected_phone(phone: &str) -> Option<String> {
    let rest = phone.trim().strip_prefix('+')?;
    let mut digits = String::new();
    for ch in rest.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let valid = PHONE_DIGITS.contains(&digits.len()) && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    PHONE_DIGITS.contains(&digits.len())
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0')
}

fn check_phone(phone: &str, outcome: &clearline::Result<String>) {
    assert_eq!(
        outcome.as_ref().ok(),
        expected_phone(phone).as_ref(),
        "canonical_phone({phone:?}) breaks the E.164 rule: {:?}",
        outcome.as_ref().map_err(ToString::to_string)
    );
    match outcome {
        Ok(canonical) => {
            assert!(is_e164(canonical), "{canonical:?} is not E.164");
            let again = canonical_phone(canonical);
            assert_eq!(
                again.ok().as_ref(),
                Some(canonical),
                "not idempotent: {canonical:?}"
            );
        }
        Err(err) => {
            check_validation_error(err, "phone", "invalid phone ", &phone);
            // A phone is quoted back, so the key may show only when the phone contains it.
            if !phone.contains(FAKE_KEY) {
                assert_no_key(err, &phone);
            }
        }
    }
}

fn check_message_rules(input: &SendInput, outcome: &clearline::Result<()>) {
    let text = &input.message;
    let valid = !text.trim().is_empty()
        && !text.contains('\0')
        && text.chars().count() <= input.max_message_chars;
    assert_eq!(
        outcome.is_ok(),
        valid,
        "check_message breaks the message rule for {input:?}"
    );
    if let Err(err) = outcome {
        check_validation_error(err, "message", "invalid message: ", &input);
        // The text of an SMS may hold a one-time code, so it is never quoted back.
        assert_no_key(err, &input);
    }
}

/// Returns the canonical callback URL the rule gives: at most the maximum length as given and
/// once normalized, no whitespace around it, no ASCII control character, an absolute URL with a
/// host and no credentials, and https or a loopback http.
fn expected_callback_url(raw: &str) -> Option<String> {
    let control = raw.contains(|ch: char| ch.is_ascii_control());
    if raw.is_empty() || raw.len() > MAX_CALLBACK_URL_LEN || raw.trim() != raw || control {
        return None;
    }
    let url = Url::parse(raw).ok()?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.octets()[0] == 127,
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        None => return None,
    };
    let scheme_allowed = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    let credentials = !url.username().is_empty() || url.password().is_some();
    let canonical: String = url.into();
    let valid = scheme_allowed && !credentials && canonical.len() <= MAX_CALLBACK_URL_LEN;
    valid.then_some(canonical)
}

fn check_callback_url(raw: &str, outcome: &clearline::Result<String>) {
    assert_eq!(
        outcome.as_ref().ok(),
        expected_callback_url(raw).as_ref(),
        "canonical_callback_url({raw:?}) breaks the URL rule: {:?}",
        outcome.as_ref().map_err(ToString::to_string)
    );
    match outcome {
        Ok(canonical) => {
            let again = canonical_callback_url(canonical);
            assert_eq!(
                again.as_ref().ok(),
                Some(canonical),
                "canonical_callback_url is not idempotent on {canonical:?} (from {raw:?}): {:?}",
                again.as_ref().map_err(ToString::to_string)
            );
        }
        Err(err) => {
            check_validation_error(err, "callbackUrl", "invalid callback URL ", &raw);
            if key_only_in_credentials(raw) {
                assert_no_key(err, &raw);
            }
        }
    }
}

/// Returns `true` when a URL parser finds the key in the user name or password and the key
/// occurs nowhere else in `raw`, so an error has no reason to show it.
fn key_only_in_credentials(raw: &str) -> bool {
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    let in_credentials = url.username().contains(FAKE_KEY)
        || url
            .password()
            .is_some_and(|password| password.contains(FAKE_KEY));
    in_credentials && raw.matches(FAKE_KEY).count() == 1
}

fn check_validation_error(err: &Error, field: &str, prefix: &str, input: &dyn std::fmt::Debug) {
    check_error(err, input);
    assert_eq!(err.kind(), ErrorKind::Validation, "kind for {input:?}");
    assert_eq!(err.field(), Some(field), "field for {input:?}");
    assert_eq!(
        err.status(),
        None,
        "an HTTP status on a validation error for {input:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(prefix),
        "message {message:?} does not start with {prefix:?}"
    );
}

/// Checks that the body is a JSON object with exactly the request fields, holding the canonical
/// phone, the message unchanged and the canonical callback URL.
fn check_body(input: &SendInput, body: &[u8], phone: &str, callback_url: Option<&str>) {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => panic!("the body is not JSON ({err}) for {input:?}"),
    };
    let Some(object) = value.as_object() else {
        panic!("the body is not a JSON object for {input:?}");
    };

    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let expected_keys: &[&str] = match callback_url {
        Some(_) => &["callbackUrl", "message", "phone"],
        None => &["message", "phone"],
    };
    assert_eq!(keys, expected_keys, "body keys for {input:?}");

    let body_phone = object.get("phone").and_then(Value::as_str);
    assert_eq!(body_phone, Some(phone), "body phone for {input:?}");
    assert!(is_e164(phone), "body phone {phone:?} is not E.164");
    assert_eq!(
        object.get("message").and_then(Value::as_str),
        Some(input.message.as_str()),
        "the body changed the message of {input:?}"
    );
    assert_eq!(
        object.get("callbackUrl").and_then(Value::as_str),
        callback_url,
        "body callbackUrl for {input:?}"
    );
}
