//! Fault injection, seen through the core client as a user's retry test would see it.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use clearline::{ErrorKind, SendOptions, SendRequest};
use clearline_sandbox::Fault;
use common::Receiver;

fn request() -> SendRequest {
    SendRequest::new("+12025551234", "Hi")
}

fn status(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
        body: None,
    }
}

#[tokio::test]
async fn rate_limit_fault_carries_retry_after() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(status(429, Some("7")), 1);

    let err = client.send(&request()).await.expect_err("rate-limited");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(!err.maybe_sent());

    client
        .send(&request())
        .await
        .expect("the fault applied once");
    assert_eq!(sandbox.messages().len(), 1);
    sandbox.stop().await;
}

#[tokio::test]
async fn client_retries_through_rate_limit() {
    let sandbox = common::start().await;
    let client = sandbox
        .client_builder()
        .max_retries(2)
        .build()
        .expect("client");
    sandbox.inject_fault(status(429, Some("0")), 2);

    let receipt = client
        .send(&request())
        .await
        .expect("the third attempt succeeds");

    assert_eq!(receipt.attempts(), 3);
    assert_eq!(sandbox.messages().len(), 1);
    assert_eq!(sandbox.pending_faults(), 0);
    sandbox.stop().await;
}

#[tokio::test]
async fn server_error_faults_are_maybe_sent() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);

    for code in [500, 502, 503] {
        sandbox.inject_fault(status(code, None), 1);
        let err = client.send(&request()).await.expect_err("server error");
        assert_eq!(err.kind(), ErrorKind::Server, "{code}");
        assert_eq!(err.status(), Some(code));
        assert!(err.maybe_sent(), "{code}");
    }
    assert!(
        sandbox.messages().is_empty(),
        "a fault replaces the normal handling"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn status_fault_uses_given_body() {
    let sandbox = common::start().await;
    sandbox.inject_fault(
        Fault::Status {
            status: 400,
            retry_after: None,
            body: Some(r#"{"succeed": false, "message": "Number blocked"}"#.into()),
        },
        1,
    );

    let body = serde_json::json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    let (code, json) = common::post_send(
        &sandbox,
        Some(common::API_KEY),
        Some("application/json"),
        body,
    )
    .await;

    assert_eq!(code, 400);
    assert_eq!(json["message"], "Number blocked");
    sandbox.stop().await;
}

#[tokio::test]
async fn latency_fault_delays_then_accepts() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    let delay = Duration::from_millis(300);
    sandbox.inject_fault(Fault::Latency(delay), 1);

    let started = Instant::now();
    client.send(&request()).await.expect("send");
    assert!(started.elapsed() >= delay);

    let timed_out = client
        .send_with(
            &request(),
            &SendOptions::new().timeout(Duration::from_secs(5)),
        )
        .await;
    assert!(timed_out.is_ok());
    assert_eq!(sandbox.messages().len(), 2);
    sandbox.stop().await;
}

#[tokio::test]
async fn latency_fault_trips_client_timeout() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(Fault::Latency(Duration::from_secs(2)), 1);

    let err = client
        .send_with(
            &request(),
            &SendOptions::new().timeout(Duration::from_millis(200)),
        )
        .await
        .expect_err("the client gives up first");

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.maybe_sent());
    sandbox.stop().await;
}

#[tokio::test]
async fn latency_fault_accepts_before_client_gives_up() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(Fault::Latency(Duration::from_secs(1)), 1);
    let request = request().with_callback_url(receiver.url());

    let err = client
        .send_with(
            &request,
            &SendOptions::new().timeout(Duration::from_millis(300)),
        )
        .await
        .expect_err("the client gives up during the latency");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.maybe_sent());

    // The client has closed its connection; the sandbox must not forget the request.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let requests = sandbox.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, Some(200));
    let messages = sandbox.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].callback_url.as_deref(),
        Some(receiver.url().as_str())
    );
    let outcomes = sandbox
        .wait_for_callbacks(1, Duration::from_secs(5))
        .await
        .expect("the delivery report goes out although the answer came too late");
    assert_eq!(outcomes[0].message_id, messages[0].message_id);
    assert!(outcomes[0].delivered);
    assert_eq!(receiver.received().len(), 1);

    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn latency_fault_delays_rejections_too() {
    let sandbox = common::start().await;
    let delay = Duration::from_millis(300);
    sandbox.inject_fault(Fault::Latency(delay), 1);
    let body = serde_json::json!({"phone": "+12025551234", "message": "Hi"}).to_string();

    let started = Instant::now();
    let (code, json) = common::post_send(
        &sandbox,
        Some("test_key_not_real_9999"),
        Some("application/json"),
        body,
    )
    .await;

    assert!(started.elapsed() >= delay);
    assert_eq!(code, 401);
    assert_eq!(json["error"], "unauthorized");
    assert!(sandbox.messages().is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn close_connection_fault_is_connection_error() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(Fault::CloseConnection, 1);

    let err = client
        .send(&request())
        .await
        .expect_err("connection closed");
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(err.maybe_sent(), "the request was read before the close");

    let requests = sandbox.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, None);
    assert!(!requests[0].body.is_empty(), "the body was read in full");

    client
        .send(&request())
        .await
        .expect("the next send is normal");
    sandbox.stop().await;
}

#[tokio::test]
async fn non_json_fault_is_unexpected_response() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(Fault::NonJsonBody, 1);

    let err = client.send(&request()).await.expect_err("HTML response");

    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("HTML page"), "{err}");
    sandbox.stop().await;
}

#[tokio::test]
async fn redirect_fault_is_not_followed() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(
        Fault::Redirect {
            location: receiver.url(),
        },
        1,
    );

    let err = client.send(&request()).await.expect_err("redirect");

    assert_eq!(err.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(err.status(), Some(307));
    assert!(err.to_string().contains(&receiver.url()), "{err}");
    assert!(
        receiver.received().is_empty(),
        "the client did not follow it"
    );
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn faults_apply_in_injection_order() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(status(503, None), 2);
    sandbox.inject_fault(Fault::NonJsonBody, 1);
    assert_eq!(sandbox.pending_faults(), 3);

    let mut kinds = Vec::new();
    for _ in 0..4 {
        let kind = client.send(&request()).await.err().map(|err| err.kind());
        kinds.push(kind);
    }

    assert_eq!(
        kinds,
        [
            Some(ErrorKind::Server),
            Some(ErrorKind::Server),
            Some(ErrorKind::UnexpectedResponse),
            None
        ]
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn clear_faults_restores_normal_responses() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(status(500, None), 10);

    sandbox.clear_faults();

    assert_eq!(sandbox.pending_faults(), 0);
    client.send(&request()).await.expect("send");
    sandbox.stop().await;
}

#[tokio::test]
async fn fault_does_not_apply_to_other_methods() {
    let sandbox = common::start().await;
    sandbox.inject_fault(status(500, None), 1);

    let response = common::raw_client()
        .get(format!("{}/MessageSender/sms", sandbox.base_url()))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(sandbox.pending_faults(), 1);
    sandbox.stop().await;
}

#[tokio::test]
async fn invalid_injected_status_is_explained() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    sandbox.inject_fault(status(42, None), 1);

    let err = client.send(&request()).await.expect_err("invalid fault");

    assert_eq!(err.status(), Some(500));
    assert!(
        err.to_string().contains("42 is not an HTTP status"),
        "{err}"
    );
    sandbox.stop().await;
}
