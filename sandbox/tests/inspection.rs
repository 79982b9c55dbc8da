//! The `/sandbox/*` HTTP endpoints: the same records as the Rust API, never the key.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use clearline::SendRequest;
use common::{get_json, Receiver, API_KEY};
use serde_json::json;

#[tokio::test]
async fn http_messages_match_rust_api() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    let request =
        SendRequest::new("+12025551234", "Code 0420").with_callback_url("http://127.0.0.1:9/hook");
    let receipt = client.send(&request).await.expect("send");

    let listed = get_json(&sandbox, "/sandbox/messages").await;

    let expected = serde_json::to_value(sandbox.messages()).expect("serialize");
    assert_eq!(listed, expected);
    let first = &listed[0];
    assert_eq!(first["messageId"], receipt.message_id());
    assert_eq!(first["phone"], "+12025551234");
    assert_eq!(first["message"], "Code 0420");
    assert_eq!(first["callbackUrl"], "http://127.0.0.1:9/hook");
    let received_at = first["receivedAt"].as_str().unwrap_or_default();
    assert!(
        received_at.ends_with('Z') && received_at.contains('T'),
        "{received_at}"
    );
    assert!(!listed.to_string().contains(API_KEY));
    sandbox.stop().await;
}

#[tokio::test]
async fn http_callbacks_and_outcomes_list_attempts() {
    let sandbox = common::start().await;
    let receiver = Receiver::scripted(&[500]).await;
    let client = common::client(&sandbox);
    let request = SendRequest::new("+12025550101", "Hi").with_callback_url(receiver.url());
    let receipt = client.send(&request).await.expect("send");
    sandbox
        .wait_for_callbacks(1, Duration::from_secs(10))
        .await
        .expect("outcome");

    let attempts = get_json(&sandbox, "/sandbox/callbacks").await;
    let outcomes = get_json(&sandbox, "/sandbox/outcomes").await;

    assert_eq!(attempts.as_array().map(Vec::len), Some(2));
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[0]["attempt"], 1);
    assert!(attempts[0]["error"].is_string());
    assert_eq!(attempts[1]["status"], 200);
    assert_eq!(attempts[1]["error"], serde_json::Value::Null);
    assert!(attempts[1]["latencyMs"].as_f64().is_some_and(|ms| ms > 0.0));

    assert_eq!(outcomes[0]["messageId"], receipt.message_id());
    assert_eq!(outcomes[0]["delivered"], true);
    assert_eq!(outcomes[0]["attempts"], 2);
    assert_eq!(
        outcomes[0]["report"],
        json!({
            "messageId": receipt.message_id(),
            "deliveryStatus": "DeliveredFailed",
            "externalDeliveryStatus": "Failed",
            "reasonText": clearline_sandbox::delivery::RESERVED_NUMBERS[0].reason,
        })
    );
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn http_requests_show_key_only_as_present() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("send");
    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    common::post_send(&sandbox, None, Some("application/json"), body).await;

    let requests = get_json(&sandbox, "/sandbox/requests").await;

    assert!(!requests.to_string().contains(API_KEY), "{requests}");
    let first = &requests[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/MessageSender/sms");
    assert_eq!(first["apiKeyPresent"], true);
    assert_eq!(first["status"], 200);
    let body: serde_json::Value =
        serde_json::from_str(first["body"].as_str().unwrap_or_default()).expect("JSON body");
    assert_eq!(body, json!({"phone": "+12025551234", "message": "Hi"}));
    let headers = first["headers"].as_array().cloned().unwrap_or_default();
    assert!(
        headers.contains(&json!(["apikey", "<redacted>"])),
        "{headers:?}"
    );
    assert!(
        headers.contains(&json!(["content-type", "application/json"])),
        "{headers:?}"
    );

    assert_eq!(requests[1]["apiKeyPresent"], false);
    assert_eq!(requests[1]["status"], 401);
    sandbox.stop().await;
}

#[tokio::test]
async fn http_fault_injection_and_clearing() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    let faults_url = format!("{}/sandbox/faults", sandbox.base_url());
    let http = common::raw_client();

    let injected = http
        .post(&faults_url)
        .body(r#"{"kind": "status", "status": 503, "times": 2}"#)
        .send()
        .await
        .expect("inject");
    assert_eq!(injected.status().as_u16(), 200);
    assert_eq!(
        get_json(&sandbox, "/sandbox/faults").await,
        json!({"pending": 2})
    );

    let err = client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect_err("injected 503");
    assert_eq!(err.status(), Some(503));

    let cleared = http.delete(&faults_url).send().await.expect("clear");
    assert_eq!(cleared.status().as_u16(), 200);
    assert_eq!(sandbox.pending_faults(), 0);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("normal again");
    sandbox.stop().await;
}

#[tokio::test]
async fn http_invalid_fault_is_400() {
    let sandbox = common::start().await;
    let faults_url = format!("{}/sandbox/faults", sandbox.base_url());

    for body in [r#"{"kind": "status"}"#, r#"{"kind": "boom"}"#, "not json"] {
        let response = common::raw_client()
            .post(&faults_url)
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 400, "{body}");
        let text = response.text().await.unwrap_or_default();
        assert!(text.contains("invalid_fault"), "{text}");
    }
    assert_eq!(sandbox.pending_faults(), 0);
    sandbox.stop().await;
}

#[tokio::test]
async fn http_reset_clears_records() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("send");
    sandbox.inject_fault(clearline_sandbox::Fault::NonJsonBody, 1);

    let response = common::raw_client()
        .post(format!("{}/sandbox/reset", sandbox.base_url()))
        .send()
        .await
        .expect("reset");

    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(get_json(&sandbox, "/sandbox/messages").await, json!([]));
    assert_eq!(get_json(&sandbox, "/sandbox/requests").await, json!([]));
    assert_eq!(sandbox.pending_faults(), 0);
    sandbox.stop().await;
}

#[tokio::test]
async fn recorded_requests_never_hold_key() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("send");
    let http = common::raw_client();
    let url = format!("{}/MessageSender/sms", sandbox.base_url());
    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    // A wrong key, then the right key under the wrong header name, in the query and in the body.
    let wrong_key = "test_key_not_real_9999";
    let attempts = [
        http.post(&url).header("ApiKey", wrong_key),
        http.post(&url).header("X-Api-Key", API_KEY),
        http.post(format!("{url}?apikey={API_KEY}")),
        http.post(&url)
            .header("ApiKey", API_KEY)
            .header("ApiKey", API_KEY),
    ];
    for request in attempts {
        request
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("request");
    }
    let (status, _) = common::post_send(
        &sandbox,
        None,
        Some("application/json"),
        json!({"phone": "+12025551234", "message": API_KEY}).to_string(),
    )
    .await;
    assert_eq!(status, 401);

    let requests = sandbox.requests();
    let debug = format!("{requests:?}");
    let serialized = serde_json::to_string(&requests).expect("serialize");
    let over_http = get_json(&sandbox, "/sandbox/requests").await.to_string();

    for shown in [&debug, &serialized, &over_http] {
        assert!(!shown.contains(API_KEY), "{shown}");
        assert!(!shown.contains(wrong_key), "{shown}");
    }
    let held = requests.iter().any(|request| {
        let in_headers = request.headers.values().any(|value| {
            value
                .as_bytes()
                .windows(API_KEY.len())
                .any(|w| w == API_KEY.as_bytes())
        });
        let in_query = request
            .query
            .as_deref()
            .is_some_and(|query| query.contains(API_KEY));
        let in_body = String::from_utf8_lossy(&request.body).contains(API_KEY);
        in_headers || in_query || in_body
    });
    assert!(!held, "a record holds the key: {debug}");

    let checks: Vec<_> = requests
        .iter()
        .map(|request| (request.has_api_key(), request.api_key_matched()))
        .collect();
    assert_eq!(
        checks,
        [
            (true, true),
            (true, false),
            (false, false),
            (false, false),
            (true, false),
            (false, false),
        ]
    );
    assert_eq!(requests[0].status, Some(200));
    sandbox.stop().await;
}
