//! `POST /MessageSender/sms`: authentication, validation with the core's rules, and accepted
//! messages.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use clearline::{ErrorKind, SendRequest};
use common::{post_send, API_KEY};
use serde_json::json;

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn send_returns_unique_message_ids() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);

    let mut ids = Vec::new();
    for index in 0..50 {
        let request = SendRequest::new("+12025551234", format!("message {index}"));
        let receipt = client.send(&request).await.expect("send");
        ids.push(receipt.message_id().to_owned());
    }

    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    let recorded: Vec<_> = sandbox
        .messages()
        .into_iter()
        .map(|message| message.message_id)
        .collect();
    assert_eq!(recorded, ids, "messages() lists sends in arrival order");
    sandbox.stop().await;
}

#[tokio::test]
async fn send_returns_documented_success_body() {
    let sandbox = common::start().await;

    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 200);
    assert_eq!(json["succeed"], true);
    let message_id = json["messageId"].as_str().unwrap_or_default();
    assert!(!message_id.is_empty(), "{json}");
    assert_eq!(json.as_object().map(|o| o.len()), Some(2), "{json}");
    sandbox.stop().await;
}

#[tokio::test]
async fn send_records_canonical_phone_and_text() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new(" +1 (202) 555-1234 ", "Grüße 👋")
        .with_callback_url("http://127.0.0.1:9/hook?token=abc");
    let receipt = client.send(&request).await.expect("send");

    let messages = sandbox.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.message_id, receipt.message_id());
    assert_eq!(message.phone, "+12025551234");
    assert_eq!(message.message, "Grüße 👋");
    assert_eq!(
        message.callback_url.as_deref(),
        Some("http://127.0.0.1:9/hook?token=abc")
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn wrong_key_is_401_with_json_error() {
    let sandbox = common::start().await;

    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    let (status, json) = post_send(&sandbox, Some("wrong_key_not_real_1111"), JSON, body).await;

    assert_eq!(status, 401);
    assert_eq!(json["succeed"], false);
    assert_eq!(json["error"], "unauthorized");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(message.contains("invalid API key"), "{message}");
    assert!(!json.to_string().contains("wrong_key_not_real"), "{json}");
    assert!(sandbox.messages().is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn missing_key_is_401_and_client_sees_authentication() {
    let sandbox = common::start().await;

    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();
    let (status, json) = post_send(&sandbox, None, JSON, body).await;
    assert_eq!(status, 401);
    let message = json["message"].as_str().unwrap_or_default();
    assert!(message.contains("missing ApiKey header"), "{message}");

    let client = clearline::Client::builder()
        .api_key("wrong_key_not_real_1111")
        .base_url(sandbox.base_url())
        .build()
        .expect("client");
    let err = client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect_err("a wrong key must fail");
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(!err.maybe_sent());
    sandbox.stop().await;
}

#[tokio::test]
async fn authorization_header_gets_apikey_hint() {
    let sandbox = common::start().await;

    let response = common::raw_client()
        .post(format!("{}/MessageSender/sms", sandbox.base_url()))
        .header("Authorization", format!("Bearer {API_KEY}"))
        .header("Content-Type", "application/json")
        .body(json!({"phone": "+12025551234", "message": "Hi"}).to_string())
        .send()
        .await
        .expect("request");

    assert_eq!(response.status().as_u16(), 401);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("not from Authorization"), "{text}");
    assert!(!text.contains(API_KEY), "{text}");
    sandbox.stop().await;
}

#[tokio::test]
async fn invalid_fields_are_400_naming_the_field() {
    let sandbox = common::start().await;
    let long_text = "x".repeat(1601);
    let cases = [
        (json!({"phone": "2025551234", "message": "Hi"}), "phone"),
        (json!({"phone": "+1", "message": "Hi"}), "phone"),
        (json!({"message": "Hi"}), "phone"),
        (json!({"phone": 12025551234_u64, "message": "Hi"}), "phone"),
        (json!({"phone": null, "message": "Hi"}), "phone"),
        (json!({"phone": "+12025551234"}), "message"),
        (json!({"phone": "+12025551234", "message": ""}), "message"),
        (
            json!({"phone": "+12025551234", "message": "   "}),
            "message",
        ),
        (
            json!({"phone": "+12025551234", "message": "a\u{0}b"}),
            "message",
        ),
        (
            json!({"phone": "+12025551234", "message": long_text}),
            "message",
        ),
        (
            json!({"phone": "+12025551234", "message": ["Hi"]}),
            "message",
        ),
        (
            json!({"phone": "+12025551234", "message": "Hi", "callbackUrl": "http://example.com/h"}),
            "callbackUrl",
        ),
        (
            json!({"phone": "+12025551234", "message": "Hi", "callbackUrl": "not a url"}),
            "callbackUrl",
        ),
        (
            json!({"phone": "+12025551234", "message": "Hi", "callbackUrl": null}),
            "callbackUrl",
        ),
        (
            json!({"phone": "+12025551234", "message": "Hi", "callbackUrl": 5}),
            "callbackUrl",
        ),
    ];

    for (body, field) in cases {
        let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body.to_string()).await;
        assert_eq!(status, 400, "{body} -> {json}");
        assert_eq!(json["error"], "invalid_request", "{body} -> {json}");
        assert_eq!(json["field"], field, "{body} -> {json}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body} -> {json}"
        );
    }
    assert!(sandbox.messages().is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn validation_message_is_the_cores() {
    let sandbox = common::start().await;
    let cases = [
        SendRequest::new("+0 20 7946 0958", "Hi"),
        SendRequest::new("+12025551234", "x".repeat(1700)),
        SendRequest::new("+12025551234", "Hi").with_callback_url("ftp://example.com/hook"),
    ];

    for request in cases {
        let expected = request
            .prepare(1600)
            .expect_err("the core rejects this request");
        let mut body = json!({"phone": request.phone(), "message": request.message()});
        if let Some(url) = request.callback_url() {
            body["callbackUrl"] = json!(url);
        }
        let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body.to_string()).await;
        assert_eq!(status, 400);
        assert_eq!(json["field"], expected.field().unwrap_or_default());
        assert_eq!(json["message"], expected.to_string());
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn malformed_bodies_are_400_without_field() {
    let sandbox = common::start().await;
    let bodies = [
        "",
        "   ",
        "not json",
        "{\"phone\": ",
        "[\"+12025551234\", \"Hi\"]",
        "\"Hi\"",
        "null",
    ];

    for body in bodies {
        let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;
        assert_eq!(status, 400, "{body:?} -> {json}");
        assert_eq!(json["field"], serde_json::Value::Null, "{body:?}");
        let message = json["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("invalid request body"), "{message}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn duplicate_field_is_400_naming_it() {
    let sandbox = common::start().await;
    let cases = [
        (
            r#"{"phone": "+12025551234", "phone": "+12025551234", "message": "Hi"}"#,
            "phone",
        ),
        (
            r#"{"phone": null, "message": "Hi", "phone": "+12025551234"}"#,
            "phone",
        ),
        (
            r#"{"phone": "+12025551234", "message": "Hi", "message": 5}"#,
            "message",
        ),
        (
            r#"{"phone": "+12025551234", "message": "Hi", "callbackUrl": "http://127.0.0.1:9/a", "callbackUrl": "http://127.0.0.1:9/b"}"#,
            "callbackUrl",
        ),
        // An escaped key is the same key.
        (
            r#"{"phone": "+12025551234", "ph\u006fne": "+12025551234", "message": "Hi"}"#,
            "phone",
        ),
    ];

    for (body, field) in cases {
        let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;
        assert_eq!(status, 400, "{body} -> {json}");
        assert_eq!(json["error"], "invalid_request", "{body} -> {json}");
        assert_eq!(json["field"], field, "{body} -> {json}");
        let message = json["message"].as_str().unwrap_or_default();
        assert!(message.contains("more than once"), "{message}");
        assert!(message.contains(&format!("\"{field}\"")), "{message}");
    }
    assert!(sandbox.messages().is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn duplicate_unknown_field_is_ignored() {
    let sandbox = common::start().await;

    let body = r#"{"phone": "+12025551234", "message": "Hi", "tag": 1, "tag": 2}"#;
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 200, "{json}");
    sandbox.stop().await;
}

#[tokio::test]
async fn syntax_error_after_duplicate_is_bad_json() {
    let sandbox = common::start().await;

    let body = r#"{"phone": "+12025551234", "phone": "+12025551234", "message": "Hi""#;
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 400);
    assert_eq!(json["field"], serde_json::Value::Null);
    let message = json["message"].as_str().unwrap_or_default();
    assert!(message.contains("not valid JSON"), "{message}");
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let sandbox = common::start().await;

    let body = json!({"phone": "+12025551234", "message": "Hi", "priority": "high"}).to_string();
    let (status, _) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 200);
    sandbox.stop().await;
}

#[tokio::test]
async fn content_type_must_be_json() {
    let sandbox = common::start().await;
    let body = json!({"phone": "+12025551234", "message": "Hi"}).to_string();

    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let (status, json) = post_send(&sandbox, Some(API_KEY), content_type, body.clone()).await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(json["error"], "unsupported_media_type");
    }
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let (status, _) =
            post_send(&sandbox, Some(API_KEY), Some(content_type), body.clone()).await;
        assert_eq!(status, 200, "{content_type}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let sandbox = common::start().await;
    let url = format!("{}/MessageSender/sms", sandbox.base_url());

    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = common::raw_client()
            .request(method.clone(), &url)
            .header("ApiKey", API_KEY)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 405, "{method}");
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok());
        assert_eq!(allow, Some("POST"));
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let sandbox = common::start().await;

    let body = json!({"phone": "+12025551234", "message": "x".repeat(70_000)}).to_string();
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 413);
    assert_eq!(json["error"], "payload_too_large");
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_path_is_404_json() {
    let sandbox = common::start().await;

    let response = common::raw_client()
        .post(format!("{}/MessageSender/sms/", sandbox.base_url()))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status().as_u16(), 404);
    let text = response.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["error"], "not_found");
    sandbox.stop().await;
}

#[tokio::test]
async fn max_message_chars_raises_the_limit() {
    let sandbox = common::start_with(clearline_sandbox::SandboxConfig {
        max_message_chars: 5000,
        ..common::fast_config()
    })
    .await;
    let client = common::client(&sandbox);

    let receipt = client
        .send(&SendRequest::new("+12025551234", "x".repeat(2000)))
        .await
        .expect("a 2,000-character message is within the sandbox's and the client's maximum");
    assert_eq!(sandbox.messages()[0].message_id, receipt.message_id());
    assert_eq!(client.config().max_message_chars(), 5000);

    // Emoji escaped as JSON surrogate pairs take 12 bytes a character, past the default
    // 64 KiB body limit.
    let escaped = "\\ud83d\\ude00".repeat(5000);
    let body = format!(r#"{{"phone": "+12025551234", "message": "{escaped}"}}"#);
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;
    assert_eq!(status, 200, "{json}");

    let (status, json) = post_send(
        &sandbox,
        Some(API_KEY),
        JSON,
        json!({"phone": "+12025551234", "message": "x".repeat(5001)}).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(json["field"], "message");
    sandbox.stop().await;
}

#[tokio::test]
async fn max_message_chars_defaults_to_cores() {
    let sandbox = common::start().await;
    assert_eq!(
        sandbox.config().max_message_chars,
        clearline::validate::DEFAULT_MAX_MESSAGE_CHARS
    );

    let body = json!({"phone": "+12025551234", "message": "x".repeat(2000)}).to_string();
    let (status, json) = post_send(&sandbox, Some(API_KEY), JSON, body).await;

    assert_eq!(status, 400);
    assert_eq!(json["field"], "message");
    sandbox.stop().await;
}
