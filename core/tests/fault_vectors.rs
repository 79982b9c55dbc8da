//! Runs every case of `tests/vectors/faults.json`: a server fault on loopback, a client with the
//! default retry policy, and the outcome, the attempts and the POSTs the server saw.
//!
//! Every case also runs a trap listener on another loopback port, which the redirect cases name
//! as their `Location`. It must never see a connection: the key and the message stay with the
//! server they were sent to.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, SystemTime};

use clearline::{Client, Error, SendRequest, TimeoutPhase};
use serde_json::Value;

use support::faults::{RawListener, refused_addr};
use support::server::{Reply, Response, TestServer};
use support::{KEY, decode_text, load_cases, short};

fn name(case: &Value) -> &str {
    case["name"].as_str().unwrap_or("<unnamed>")
}

/// Replaces `{http_date+N}` with the HTTP-date N seconds from now.
fn expand_header(value: &str) -> String {
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
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds));
    format!("{}{date}{}", &value[..start], &value[end + 1..])
}

fn headers(reply: &Value) -> Vec<(String, String)> {
    reply
        .get("headers")
        .and_then(Value::as_object)
        .map(|headers| {
            headers
                .iter()
                .map(|(name, value)| {
                    let value = value.as_str().expect("header values are strings");
                    (name.clone(), expand_header(value))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn body(reply: &Value) -> Vec<u8> {
    reply
        .get("body")
        .map(decode_text)
        .map_or_else(Vec::new, |text| text.to_bytes())
}

fn status(reply: &Value) -> u16 {
    let status = reply["status"]
        .as_u64()
        .expect("a reply's status is a number");
    u16::try_from(status).expect("a reply's status fits in u16")
}

/// The head of a response that promises `content_length` bytes, and the start of its body.
fn partial_response(reply: &Value) -> Vec<u8> {
    let length = reply["content_length"]
        .as_u64()
        .expect("content_length is a number");
    let mut head = format!("HTTP/1.1 {} Status\r\n", status(reply));
    for (name, value) in headers(reply) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    let mut bytes = head.into_bytes();
    bytes.extend(body(reply));
    bytes
}

/// Builds the server's reply for one `replies` entry. `trap` is the URL of the trap listener.
fn reply_for(reply: &Value, trap: &str) -> Reply {
    let action = reply["action"].as_str().expect("a reply has an action");
    match action {
        "respond" => {
            let mut response = Response::new(status(reply)).body(body(reply));
            response.headers = headers(reply);
            if reply["gzip"].as_bool() == Some(true) {
                response = response.gzip();
            }
            if reply["chunked"].as_bool() == Some(true) {
                response = response.chunked(7);
            }
            Reply::Respond(response)
        }
        "stall" => Reply::Stall,
        "stall_body" => Reply::WriteThenStall(partial_response(reply)),
        "close" => Reply::Close,
        "reset" => Reply::WriteThenReset(Vec::new()),
        "reset_body" => Reply::WriteThenReset(partial_response(reply)),
        "redirect_to_trap" => Reply::Respond(
            Response::new(status(reply)).header("Location", &format!("{trap}/MessageSender/sms")),
        ),
        other => panic!("unknown reply action {other:?}"),
    }
}

fn client(case: &Value, base_url: &str) -> Client {
    let settings = &case["client"];
    let max_retries = settings["max_retries"].as_u64().unwrap_or(2);
    let mut builder = Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .max_retries(u32::try_from(max_retries).expect("max_retries fits in u32"));
    if let Some(timeout_ms) = settings["timeout_ms"].as_u64() {
        builder = builder.timeout(Duration::from_millis(timeout_ms));
    }
    builder.build().expect("building the client failed")
}

fn check_error(expect: &Value, err: &Error, problems: &mut Vec<String>) {
    let kind = expect["error"].as_str().unwrap_or_default();
    if err.kind().name() != kind {
        problems.push(format!("kind {} != {kind} ({err})", err.kind().name()));
    }
    if Some(err.maybe_sent()) != expect["maybe_sent"].as_bool() {
        problems.push(format!(
            "maybe_sent {} != {}",
            err.maybe_sent(),
            expect["maybe_sent"]
        ));
    }
    // `status` null means no status at all, a number that status.
    if let Some(status) = expect.get("status") {
        let got = err.status().map(u64::from);
        if got != status.as_u64() {
            problems.push(format!("status {got:?} != {status}"));
        }
    }
    if let Some(phase) = expect.get("timeout_phase").and_then(Value::as_str) {
        let got = err.timeout_phase().map(TimeoutPhase::as_str);
        if got != Some(phase) {
            problems.push(format!("timeout_phase {got:?} != {phase}"));
        }
    }
    if let Some(seconds) = expect.get("retry_after_seconds").and_then(Value::as_u64) {
        let got = err.retry_after().map(|wait| wait.as_secs());
        // An HTTP-date has whole seconds and the clock moves between serving and parsing it.
        if got.is_none_or(|got| got.abs_diff(seconds) > 1) {
            problems.push(format!("retry_after {got:?} s != {seconds} s"));
        }
    }
    if let Some(needle) = expect.get("contains").and_then(Value::as_str) {
        if !err.message().contains(needle) {
            problems.push(format!("message {} lacks {needle:?}", short(err.message())));
        }
    }
}

/// Runs one case and returns what did not match.
async fn run_case(case: &Value) -> Vec<String> {
    let trap = RawListener::start(b"").await;
    let trap_url = format!("http://{}", trap.addr);
    let replies: Vec<Value> = case["replies"]
        .as_array()
        .expect("replies is an array")
        .clone();

    // No replies means nothing listens: the port of a closed listener. The replies are built
    // when a request arrives, so an HTTP-date is computed as the response is sent.
    let server = if replies.is_empty() {
        None
    } else {
        let last = replies.len() - 1;
        let server =
            TestServer::start(move |_, index| reply_for(&replies[index.min(last)], &trap_url))
                .await;
        Some(server)
    };
    let base_url = match &server {
        Some(server) => server.url(),
        None => format!("http://{}", refused_addr().await),
    };

    let outcome = client(case, &base_url)
        .send(&SendRequest::new("+12025551234", "Your code is 0420"))
        .await;

    let expect = &case["expect"];
    let mut problems = Vec::new();
    let attempts = match (&outcome, expect.get("message_id")) {
        (Ok(receipt), Some(expected)) => {
            if Some(receipt.message_id()) != expected.as_str() {
                problems.push(format!(
                    "message_id {:?} != {expected}",
                    receipt.message_id()
                ));
            }
            receipt.attempts()
        }
        (Ok(receipt), None) => {
            problems.push(format!("expected an error, got {receipt:?}"));
            receipt.attempts()
        }
        (Err(err), Some(_)) => {
            problems.push(format!("expected a receipt, got the error {err}"));
            err.attempts()
        }
        (Err(err), None) => {
            check_error(expect, err, &mut problems);
            err.attempts()
        }
    };
    if Some(u64::from(attempts)) != expect["attempts"].as_u64() {
        problems.push(format!("attempts {attempts} != {}", expect["attempts"]));
    }
    let posts = server.as_ref().map_or(0, TestServer::posts);
    if Some(posts as u64) != expect["posts"].as_u64() {
        problems.push(format!(
            "the server saw {posts} POSTs, expected {}",
            expect["posts"]
        ));
    }
    if trap.connections() != 0 {
        problems.push(format!(
            "the trap port saw {} connections",
            trap.connections()
        ));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_vectors() {
    let cases = load_cases("faults.json");
    assert!(!cases.is_empty(), "faults.json has no cases");

    // One case at a time: run together, the cases with a short timeout fail on a busy machine.
    let mut failures = Vec::new();
    for case in &cases {
        let problems = run_case(case).await;
        if !problems.is_empty() {
            failures.push(format!("  {}: {}", name(case), problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases in faults.json failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
