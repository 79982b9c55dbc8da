//! What the client puts on the wire: endpoint path, headers and body, and connection reuse.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use clearline::{Client, SendRequest};
use serde_json::json;

use support::server::{Recorded, Reply, Response, TestServer};
use support::{KEY, builder, client};

async fn accepting_server() -> TestServer {
    TestServer::always(Reply::Respond(Response::accepted("msg_wire"))).await
}

async fn sent_request(client: &Client, server: &TestServer, request: &SendRequest) -> Recorded {
    client.send(request).await.expect("the send succeeds");
    server
        .requests()
        .pop()
        .expect("the server recorded the request")
}

#[tokio::test]
async fn request_has_contract_headers_and_body() {
    let server = accepting_server().await;
    let client = client(&server.url());
    let request = SendRequest::new("+1 (202) 555-1234", "Hello! Your order is ready.")
        .with_callback_url("https://app.example.com/webhooks/sms");
    let recorded = sent_request(&client, &server, &request).await;

    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/MessageSender/sms");
    assert_eq!(recorded.header("ApiKey"), Some(KEY));
    assert_eq!(recorded.header("Content-Type"), Some("application/json"));
    assert_eq!(recorded.header("Authorization"), None);
    assert_eq!(
        recorded.json(),
        json!({
            "phone": "+12025551234",
            "message": "Hello! Your order is ready.",
            "callbackUrl": "https://app.example.com/webhooks/sms",
        })
    );
}

#[tokio::test]
async fn body_omits_absent_callback_url() {
    let server = accepting_server().await;
    let recorded = sent_request(
        &client(&server.url()),
        &server,
        &SendRequest::new("+12025551234", "Hi"),
    )
    .await;

    assert_eq!(
        recorded.json(),
        json!({"phone": "+12025551234", "message": "Hi"})
    );
}

#[tokio::test]
async fn user_agent_carries_suffix() {
    let server = accepting_server().await;
    let client = builder(&server.url())
        .user_agent_suffix("clearline-python/0.1.0")
        .build()
        .expect("client");
    let recorded = sent_request(&client, &server, &SendRequest::new("+12025551234", "Hi")).await;

    let expected = format!("{} clearline-python/0.1.0", clearline::USER_AGENT);
    assert_eq!(recorded.header("User-Agent"), Some(expected.as_str()));
    assert!(expected.starts_with("clearline-rust/"));
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = accepting_server().await;
    for (base, path) in [
        ("/clearline", "/clearline/MessageSender/sms"),
        ("/clearline/", "/clearline/MessageSender/sms"),
        ("/a/b/v1", "/a/b/v1/MessageSender/sms"),
    ] {
        let client = client(&format!("{}{base}", server.url()));
        let recorded =
            sent_request(&client, &server, &SendRequest::new("+12025551234", "Hi")).await;

        assert_eq!(recorded.path, path, "base URL path {base:?}");
    }
}

#[tokio::test]
async fn unicode_message_is_sent_unchanged() {
    let server = accepting_server().await;
    let text = "مرحبا 👋🏽 你好 Cafe\u{301} \u{200f}#1";
    let recorded = sent_request(
        &client(&server.url()),
        &server,
        &SendRequest::new("+12025551234", text),
    )
    .await;

    assert_eq!(recorded.json()["message"], text);
}

#[tokio::test]
async fn sequential_sends_reuse_one_connection() {
    let server = accepting_server().await;
    let client = client(&server.url());
    let clone = client.clone();
    for sender in [&client, &clone, &client] {
        sender
            .send(&SendRequest::new("+12025551234", "Hi"))
            .await
            .expect("the send succeeds");
    }

    assert_eq!(server.posts(), 3);
    assert_eq!(server.connections(), 1, "clones share one connection pool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_is_shared_across_tasks() {
    let server = accepting_server().await;
    let client = Arc::new(client(&server.url()));
    let tasks: Vec<_> = (0..8)
        .map(|index| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let phone = format!("+1202555{index:04}");
                client.send(&SendRequest::new(phone, "Hi")).await
            })
        })
        .collect();
    for task in tasks {
        let result = task.await.expect("the task did not panic");
        assert!(result.is_ok(), "{result:?}");
    }

    assert_eq!(server.posts(), 8);
}

#[tokio::test]
async fn idle_connection_closed_by_server_is_replaced() {
    let server = TestServer::always(Reply::RespondThenClose(Response::accepted("msg_fresh"))).await;
    let client = client(&server.url());
    for _ in 0..3 {
        let receipt = client
            .send(&SendRequest::new("+12025551234", "Hi"))
            .await
            .expect("a closed idle connection is not reused");
        assert_eq!(receipt.attempts(), 1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    assert_eq!(server.posts(), 3);
    assert_eq!(server.connections(), 3);
}
