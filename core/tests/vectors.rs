//! Runs every case of the shared test vectors in `tests/vectors/`: send inputs through
//! `SendRequest::prepare`, responses through `response::interpret` and over a real loopback
//! server, and delivery-report bodies through `DeliveryReport::parse`.
//!
//! Each test checks every case and then fails once, listing every case that did not match.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use clearline::response::{MAX_RESPONSE_BYTES, ResponseParts, interpret};
use clearline::{DeliveryReport, DeliveryReportRef, Error, SendOptions, SendRequest};
use serde_json::Value;

use support::server::{Reply, Response, TestServer};
use support::{Text, decode_text, load_cases, short};

/// The fixed clock `interpret` runs with: 2026-12-04T12:00:00Z.
fn fixed_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_385_600)
}

fn name(case: &Value) -> &str {
    case["name"].as_str().unwrap_or("<unnamed>")
}

fn report_failures(file: &str, total: usize, failures: &[String]) {
    assert!(total > 0, "{file} has no cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases in {file} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks the optional `contains` of an error expectation against the message.
fn check_contains(expect: &Value, err: &Error, problems: &mut Vec<String>) {
    if let Some(needle) = expect.get("contains").and_then(Value::as_str) {
        if !err.message().contains(needle) {
            problems.push(format!("message {} lacks {needle:?}", short(err.message())));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// send_inputs.json

/// Decodes an argument the way a binding converts it: text that is not valid Unicode becomes
/// the error `Error::invalid_unicode` gives for that field.
fn argument(case: &Value, key: &str, field: &'static str) -> Result<Option<String>, Error> {
    match case.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => decode_text(value)
            .to_string_checked()
            .map(Some)
            .ok_or_else(|| Error::invalid_unicode(field)),
    }
}

fn prepare_case(case: &Value) -> Result<Value, Error> {
    let phone = argument(case, "phone", "phone")?.unwrap_or_default();
    let message = argument(case, "message", "message")?.unwrap_or_default();
    let callback_url = argument(case, "callback_url", "callbackUrl")?;
    let max_chars = case
        .get("max_message_chars")
        .and_then(Value::as_u64)
        .map_or(clearline::validate::DEFAULT_MAX_MESSAGE_CHARS, |max| {
            max as usize
        });

    let mut request = SendRequest::new(phone, message);
    request.set_callback_url(callback_url);
    let prepared = request.prepare(max_chars)?;
    Ok(serde_json::from_slice(prepared.body()).expect("the prepared body is JSON"))
}

/// Decodes the text values inside an expected request body.
fn expected_body(body: &Value) -> Value {
    let object = body.as_object().expect("expect.body is an object");
    let decoded = object
        .iter()
        .map(|(key, value)| {
            let text = decode_text(value)
                .to_string_checked()
                .expect("an expected body holds valid Unicode");
            (key.clone(), Value::String(text))
        })
        .collect();
    Value::Object(decoded)
}

fn check_send_input(case: &Value) -> Vec<String> {
    let expect = &case["expect"];
    let outcome = prepare_case(case);
    let mut problems = Vec::new();

    match (outcome, expect.get("body")) {
        (Ok(body), Some(expected)) => {
            let expected = expected_body(expected);
            if body != expected {
                problems.push(format!(
                    "body {} != expected {}",
                    short(&body.to_string()),
                    short(&expected.to_string())
                ));
            }
        }
        (Ok(body), None) => problems.push(format!(
            "expected a validation error, got the body {}",
            short(&body.to_string())
        )),
        (Err(err), Some(_)) => problems.push(format!("expected a body, got the error {err}")),
        (Err(err), None) => {
            let kind = expect["error"].as_str().unwrap_or_default();
            if err.kind().name() != kind {
                problems.push(format!("kind {} != {kind}", err.kind().name()));
            }
            let field = expect["field"].as_str();
            if err.field() != field {
                problems.push(format!("field {:?} != {field:?}", err.field()));
            }
            if err.maybe_sent() {
                problems.push("a validation error claims maybe_sent".to_owned());
            }
            check_contains(expect, &err, &mut problems);
        }
    }
    problems
}

#[test]
fn send_inputs_vectors() {
    let cases = load_cases("send_inputs.json");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let problems = check_send_input(case);
            (!problems.is_empty()).then(|| format!("  {}: {}", name(case), problems.join("; ")))
        })
        .collect();
    report_failures("send_inputs.json", cases.len(), &failures);
}

// ---------------------------------------------------------------------------------------------
// responses.json

/// Replaces `{http_date+N}` with the HTTP-date N seconds after `now`.
fn expand_header(value: &str, now: SystemTime) -> String {
    let Some(start) = value.find("{http_date+") else {
        return value.to_owned();
    };
    let end = value[start..]
        .find('}')
        .map(|offset| start + offset)
        .expect("an {http_date+N} placeholder is closed");
    let seconds: u64 = value[start + "{http_date+".len()..end]
        .parse()
        .expect("{http_date+N} holds whole seconds");
    let date = httpdate::fmt_http_date(now + Duration::from_secs(seconds));
    format!("{}{date}{}", &value[..start], &value[end + 1..])
}

fn response_headers(case: &Value, now: SystemTime) -> Vec<(String, String)> {
    case.get("headers")
        .and_then(Value::as_object)
        .map(|headers| {
            headers
                .iter()
                .map(|(name, value)| {
                    let value = value.as_str().expect("header values are strings");
                    (name.clone(), expand_header(value, now))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn response_body(case: &Value) -> Vec<u8> {
    case.get("body")
        .map(decode_text)
        .map_or_else(Vec::new, |text| text.to_bytes())
}

/// Checks an outcome against `expect`. `slack` is how far `retry_after_seconds` may be off
/// (one second when the runner's clock moves between serving and parsing an HTTP-date).
fn check_outcome(
    expect: &Value,
    outcome: Result<String, Error>,
    slack: u64,
    problems: &mut Vec<String>,
) {
    let err = match (outcome, expect.get("message_id")) {
        (Ok(id), Some(expected)) => {
            if Some(id.as_str()) != expected.as_str() {
                problems.push(format!("message_id {id:?} != {expected}"));
            }
            return;
        }
        (Ok(id), None) => {
            problems.push(format!("expected an error, got the message_id {id:?}"));
            return;
        }
        (Err(err), Some(_)) => {
            problems.push(format!("expected a receipt, got the error {err}"));
            return;
        }
        (Err(err), None) => err,
    };

    let kind = expect["error"].as_str().unwrap_or_default();
    if err.kind().name() != kind {
        problems.push(format!("kind {} != {kind} ({err})", err.kind().name()));
    }
    let maybe_sent = expect["maybe_sent"].as_bool();
    if Some(err.maybe_sent()) != maybe_sent {
        problems.push(format!("maybe_sent {} != {maybe_sent:?}", err.maybe_sent()));
    }
    if let Some(status) = expect.get("status").and_then(Value::as_u64) {
        if err.status().map(u64::from) != Some(status) {
            problems.push(format!("status {:?} != {status}", err.status()));
        }
    }
    match expect.get("retry_after_seconds") {
        None => {}
        Some(Value::Null) => {
            if let Some(wait) = err.retry_after() {
                problems.push(format!("retry_after {wait:?}, expected none"));
            }
        }
        Some(seconds) => {
            let seconds = seconds
                .as_u64()
                .expect("retry_after_seconds is whole seconds");
            let got = err.retry_after().map(|wait| wait.as_secs());
            let close = got.is_some_and(|got| got.abs_diff(seconds) <= slack);
            if !close {
                problems.push(format!("retry_after {got:?} s != {seconds} s"));
            }
        }
    }
    check_contains(expect, &err, problems);
}

#[test]
fn responses_vectors_interpret() {
    let cases = load_cases("responses.json");
    let now = fixed_now();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let status = case["status"].as_u64().expect("status is a number") as u16;
            let headers = response_headers(case, now);
            let mut body = response_body(case);
            let truncated = body.len() > MAX_RESPONSE_BYTES;
            body.truncate(MAX_RESPONSE_BYTES);

            let outcome = interpret(&ResponseParts {
                status,
                retry_after: header(&headers, "Retry-After"),
                location: header(&headers, "Location"),
                body: &body,
                truncated,
                now: Some(now),
            });
            let mut problems = Vec::new();
            check_outcome(&case["expect"], outcome, 0, &mut problems);
            (!problems.is_empty()).then(|| format!("  {}: {}", name(case), problems.join("; ")))
        })
        .collect();
    report_failures("responses.json", cases.len(), &failures);
}

/// Serves every case under its own path prefix (`/CASE/MessageSender/sms`) from one server,
/// and sends each with a client whose base URL is `http://127.0.0.1:PORT/CASE`.
#[tokio::test]
async fn responses_vectors_over_http() {
    let cases = load_cases("responses.json");
    let replies: HashMap<String, Value> = cases
        .iter()
        .map(|case| (format!("/{}/MessageSender/sms", name(case)), case.clone()))
        .collect();
    let server = TestServer::start(move |request, _| {
        let Some(case) = replies.get(&request.path) else {
            return Reply::Respond(Response::new(404));
        };
        let status = case["status"].as_u64().expect("status is a number") as u16;
        let mut response = Response::new(status).body(response_body(case));
        // HTTP-dates are computed when the response is sent, as the README asks.
        response.headers = response_headers(case, SystemTime::now());
        Reply::Respond(response)
    })
    .await;

    let mut failures = Vec::new();
    for case in &cases {
        let client = support::builder(&format!("{}/{}", server.url(), name(case)))
            .max_retries(0)
            .build()
            .expect("building the client failed");
        let request = SendRequest::new("+12025551234", "vector test");
        let outcome = client
            .send_with(&request, &SendOptions::new().max_retries(0))
            .await
            .map(|receipt| receipt.message_id().to_owned());

        let mut problems = Vec::new();
        check_outcome(&case["expect"], outcome, 1, &mut problems);
        let path = format!("/{}/MessageSender/sms", name(case));
        let posts = server.posts_to(&path);
        let expected_posts = case.get("posts").and_then(Value::as_u64).unwrap_or(1);
        if posts as u64 != expected_posts {
            problems.push(format!(
                "the server saw {posts} POSTs, expected {expected_posts}"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("  {}: {}", name(case), problems.join("; ")));
        }
    }
    report_failures("responses.json (over HTTP)", cases.len(), &failures);
}

// ---------------------------------------------------------------------------------------------
// callbacks.json

fn check_report(expect: &Value, outcome: Result<DeliveryReport, Error>) -> Vec<String> {
    let mut problems = Vec::new();
    match (outcome, expect.get("report")) {
        (Ok(report), Some(expected)) => {
            let got = serde_json::json!({
                "message_id": report.message_id,
                "status": report.status.as_str(),
                "known_status": !matches!(report.status, clearline::DeliveryStatus::Unknown(_)),
                "external_status": report.external_status,
                "reason": report.reason,
            });
            if &got != expected {
                problems.push(format!(
                    "report {} != expected {}",
                    short(&got.to_string()),
                    short(&expected.to_string())
                ));
            }
            if report.is_delivered() != (report.status.as_str() == "Delivered") {
                problems.push("is_delivered() disagrees with the status".to_owned());
            }
        }
        (Ok(report), None) => problems.push(format!("expected an error, got {report:?}")),
        (Err(err), Some(_)) => problems.push(format!("expected a report, got the error {err}")),
        (Err(err), None) => {
            let kind = expect["error"].as_str().unwrap_or_default();
            if err.kind().name() != kind {
                problems.push(format!("kind {} != {kind}", err.kind().name()));
            }
            let field = expect["field"].as_str();
            if err.field() != field {
                problems.push(format!("field {:?} != {field:?} ({err})", err.field()));
            }
            check_contains(expect, &err, &mut problems);
        }
    }
    problems
}

#[test]
fn callbacks_vectors() {
    let cases = load_cases("callbacks.json");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let body = decode_text(&case["body"]);
            let bytes = body.to_bytes();
            let mut problems = check_report(&case["expect"], DeliveryReport::parse(&bytes));
            // The owned parse copies what the borrowing one returns, so the two must agree.
            let borrowed = DeliveryReportRef::parse(&bytes).map(DeliveryReportRef::into_owned);
            let borrowed = check_report(&case["expect"], borrowed);
            problems.extend(
                borrowed
                    .into_iter()
                    .map(|p| format!("DeliveryReportRef: {p}")),
            );
            // Text bodies must give the same result through the `&str` entry point.
            if let (Text::Units(_), Some(text)) = (&body, body.to_string_checked()) {
                let from_str = check_report(&case["expect"], DeliveryReport::parse_str(&text));
                problems.extend(from_str.into_iter().map(|p| format!("parse_str: {p}")));
            }
            (!problems.is_empty()).then(|| format!("  {}: {}", name(case), problems.join("; ")))
        })
        .collect();
    report_failures("callbacks.json", cases.len(), &failures);
}

#[test]
fn vectors_have_enough_unique_cases() {
    let mut total = 0;
    for file in [
        "send_inputs.json",
        "responses.json",
        "callbacks.json",
        "faults.json",
    ] {
        let cases = load_cases(file);
        let mut names: Vec<&str> = cases.iter().map(name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "{file} repeats a case name");
        total += count;
    }
    assert!(total >= 80, "only {total} vector cases");
}
