//! `Client::send_many` against a loopback server: input order, the concurrency bound as the
//! server sees it, a 429 pausing the whole batch, progress, and validation errors without I/O.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clearline::{BulkOptions, ErrorKind, SendRequest};

use support::client;
use support::server::{Recorded, Reply, Response, TestServer};

fn phone(index: usize) -> String {
    format!("+1202555{index:04}")
}

/// Answers with the request's phone as the `messageId`, after `delay`.
fn echo_phone(request: &Recorded, delay: Duration) -> Reply {
    let phone = request.json()["phone"].as_str().unwrap_or("?").to_owned();
    Reply::delayed(delay, Reply::Respond(Response::accepted(&phone)))
}

#[tokio::test]
async fn results_keep_input_order() {
    // Earlier requests take longer, so they finish last.
    let server = TestServer::start(|request, _| {
        let phone = request.json()["phone"].as_str().unwrap_or("").to_owned();
        let index: u64 = phone[phone.len() - 2..].parse().unwrap_or(0);
        echo_phone(request, Duration::from_millis(10 * (10 - index.min(10))))
    })
    .await;
    let requests: Vec<_> = (0..10)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let results = client(&server.url())
        .send_many(requests, &BulkOptions::new().concurrency(10))
        .await;

    assert_eq!(results.len(), 10);
    for (index, result) in results.iter().enumerate() {
        let receipt = result.as_ref().expect("every send succeeds");
        assert_eq!(receipt.message_id(), phone(index));
    }
}

#[tokio::test]
async fn concurrency_bound_is_observed() {
    let server =
        TestServer::start(|request, _| echo_phone(request, Duration::from_millis(40))).await;
    let requests: Vec<_> = (0..20)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let results = client(&server.url())
        .send_many(requests, &BulkOptions::new().concurrency(3))
        .await;

    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.posts(), 20);
    assert!(server.max_in_flight() <= 3, "{}", server.max_in_flight());
    assert!(server.max_in_flight() >= 2, "{}", server.max_in_flight());
}

#[tokio::test]
async fn rate_limit_pauses_whole_batch() {
    let server = TestServer::start(|request, index| match index {
        0 => Reply::Respond(Response::new(429).header("Retry-After", "1")),
        _ => echo_phone(request, Duration::from_millis(20)),
    })
    .await;
    let requests: Vec<_> = (0..6)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let results = client(&server.url())
        .send_many(requests, &BulkOptions::new().concurrency(2))
        .await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 7, "6 sends and one retry after the 429");
    // The 429 was answered at once; every send started after it waited for Retry-After.
    let limited_at = requests[0].received_at;
    for later in &requests[2..] {
        let waited = later.received_at - limited_at;
        assert!(
            waited >= Duration::from_millis(900),
            "started {waited:?} after the 429"
        );
    }
}

#[tokio::test]
async fn progress_reports_final_count() {
    let server = TestServer::start(|request, _| echo_phone(request, Duration::ZERO)).await;
    let calls = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&calls);
    let options = BulkOptions::new()
        .concurrency(4)
        .on_progress(Arc::new(move |done, total| {
            if let Ok(mut calls) = recorder.lock() {
                calls.push((done, total));
            }
        }));
    let requests: Vec<_> = (0..12)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    client(&server.url()).send_many(requests, &options).await;

    let calls = calls.lock().map(|calls| calls.clone()).unwrap_or_default();
    assert_eq!(calls.last(), Some(&(12, 12)));
    assert!(
        calls.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "{calls:?}"
    );
    assert!(calls.iter().all(|&(_, total)| total == 12));
}

#[tokio::test]
async fn invalid_items_fail_without_io() {
    let server = TestServer::start(|request, _| echo_phone(request, Duration::ZERO)).await;
    let requests = vec![
        SendRequest::new(phone(0), "Hi"),
        SendRequest::new("2025550001", "no plus"),
        SendRequest::new(phone(2), ""),
        SendRequest::new(phone(3), "Hi").with_callback_url("http://app.example.com/hook"),
        SendRequest::new(phone(4), "Hi"),
    ];
    let results = client(&server.url())
        .send_many(requests, &BulkOptions::new())
        .await;

    assert_eq!(server.posts(), 2);
    let fields: Vec<Option<&str>> = results
        .iter()
        .map(|result| result.as_ref().err().and_then(clearline::Error::field))
        .collect();
    assert_eq!(
        fields,
        [
            None,
            Some("phone"),
            Some("message"),
            Some("callbackUrl"),
            None
        ]
    );
    for err in results.iter().filter_map(|result| result.as_ref().err()) {
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.attempts(), 0);
    }
}

#[tokio::test]
async fn empty_batch_returns_nothing() {
    let server = TestServer::always(Reply::Respond(Response::accepted("never"))).await;
    let results = client(&server.url())
        .send_many(Vec::new(), &BulkOptions::new())
        .await;

    assert!(results.is_empty());
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn pause_does_not_count_against_timeout() {
    // The first send is rate-limited for 1 s. The third waits out that pause before it starts,
    // and its 1.2 s timeout must still cover its 0.4 s answer.
    let server = TestServer::start(|request, index| {
        let phone = request.json()["phone"].as_str().unwrap_or("").to_owned();
        match (index, phone.as_str()) {
            (0, _) => Reply::Respond(Response::new(429).header("Retry-After", "1")),
            (_, "+12025550002") => echo_phone(request, Duration::from_millis(400)),
            _ => echo_phone(request, Duration::from_millis(20)),
        }
    })
    .await;
    let requests: Vec<_> = (0..3)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let options = BulkOptions::new()
        .concurrency(2)
        .send_options(clearline::SendOptions::new().timeout(Duration::from_millis(1200)));
    let results = client(&server.url()).send_many(requests, &options).await;

    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
}

/// Kind, `maybe_sent` and attempts of each result, with `None` for a receipt.
fn outcomes(
    results: &[clearline::Result<clearline::SendReceipt>],
) -> Vec<Option<(ErrorKind, bool, u32)>> {
    results
        .iter()
        .map(|result| {
            let err = result.as_ref().err()?;
            Some((err.kind(), err.maybe_sent(), err.attempts()))
        })
        .collect()
}

#[tokio::test]
async fn stop_keeps_finished_and_marks_the_rest() {
    // The first message is answered at once; every other one never is.
    let server = TestServer::start(|request, _| {
        if request.json()["phone"] == phone(0) {
            echo_phone(request, Duration::ZERO)
        } else {
            Reply::Stall
        }
    })
    .await;
    let requests: Vec<_> = (0..5)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let started = std::time::Instant::now();
    let results = client(&server.url())
        .send_many_until(
            requests,
            &BulkOptions::new().concurrency(3),
            tokio::time::sleep(Duration::from_millis(300)),
        )
        .await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        results[0].as_ref().map(|receipt| receipt.message_id()).ok(),
        Some(phone(0).as_str())
    );
    let in_flight = Some((ErrorKind::Cancelled, true, 1));
    let not_started = Some((ErrorKind::Cancelled, false, 0));
    assert_eq!(
        outcomes(&results),
        [None, in_flight, in_flight, in_flight, not_started]
    );
    assert_eq!(server.posts(), 4);
}

#[tokio::test]
async fn stop_in_rate_limit_pause_is_not_sent() {
    // The 429 pauses the batch for 1 s; the stop comes during the pause.
    let server = TestServer::start(|request, index| match index {
        0 => Reply::Respond(Response::new(429).header("Retry-After", "1")),
        _ => echo_phone(request, Duration::ZERO),
    })
    .await;
    let requests: Vec<_> = (0..2)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let results = client(&server.url())
        .send_many_until(
            requests,
            &BulkOptions::new().concurrency(1),
            tokio::time::sleep(Duration::from_millis(300)),
        )
        .await;

    assert_eq!(
        outcomes(&results),
        [
            Some((ErrorKind::Cancelled, false, 1)),
            Some((ErrorKind::Cancelled, false, 0))
        ]
    );
    let message = results[0].as_ref().err().map(ToString::to_string);
    assert!(
        message
            .as_deref()
            .is_some_and(|text| text.contains("it was not sent")),
        "{message:?}"
    );
    assert_eq!(server.posts(), 1);
}

#[tokio::test]
async fn stop_after_the_batch_changes_nothing() {
    let server = TestServer::start(|request, _| echo_phone(request, Duration::ZERO)).await;
    let requests: Vec<_> = (0..3)
        .map(|index| SendRequest::new(phone(index), "Hi"))
        .collect();
    let results = client(&server.url())
        .send_many_until(
            requests,
            &BulkOptions::new(),
            tokio::time::sleep(Duration::from_secs(60)),
        )
        .await;

    assert_eq!(outcomes(&results), [None, None, None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_already_complete_sends_nothing() {
    // On a multi-threaded runtime a spawned send could start at once on another thread, so the
    // batch must check the stop signal before it starts any.
    let server = TestServer::start(|request, _| echo_phone(request, Duration::ZERO)).await;
    for _ in 0..20 {
        let requests: Vec<_> = (0..4)
            .map(|index| SendRequest::new(phone(index), "Hi"))
            .collect();
        let results = client(&server.url())
            .send_many_until(requests, &BulkOptions::new(), async {})
            .await;
        let not_sent = Some((ErrorKind::Cancelled, false, 0));
        assert_eq!(outcomes(&results), [not_sent; 4]);
    }
    assert_eq!(server.posts(), 0);
}
