//! `Debug` and `Display` of every type that holds or meets the API key, and the errors of real
//! failures, never show more of the key than its last 4 characters.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use clearline::{ApiKey, Client, Error, SendRequest};

use support::faults::refused_addr;
use support::server::{Reply, Response, TestServer};
use support::{KEY, KEY_SECRET_PART, builder, client};

/// Asserts that neither `Debug` nor `Display` of `value` shows the secret part of the key.
fn assert_hidden<T: std::fmt::Debug + std::fmt::Display>(label: &str, value: &T) {
    let debug = format!("{value:?}");
    let alternate = format!("{value:#?}");
    let display = value.to_string();
    for (form, text) in [("Debug", debug), ("{:#?}", alternate), ("Display", display)] {
        assert!(!text.contains(KEY_SECRET_PART), "{label} {form}: {text}");
    }
}

fn assert_debug_hidden<T: std::fmt::Debug>(label: &str, value: &T) {
    let debug = format!("{value:?} {value:#?}");
    assert!(!debug.contains(KEY_SECRET_PART), "{label}: {debug}");
}

#[test]
fn api_key_shows_last_four_only() {
    let key = ApiKey::new(KEY).expect("a valid key");

    assert_hidden("ApiKey", &key);
    assert_eq!(key.to_string(), "…0000");
}

#[test]
fn client_config_and_builder_hide_key() {
    let builder = builder("http://127.0.0.1:9");
    assert_debug_hidden("ClientBuilder", &builder);

    let client = builder.build().expect("client");
    assert_hidden("Client", &client);
    assert_hidden("ClientConfig", client.config());
    assert_eq!(client.config().api_key_redacted(), "…0000");
}

#[test]
fn configuration_errors_hide_key() {
    let with_newline = Client::builder()
        .api_key(format!("{KEY}\n"))
        .base_url("http://127.0.0.1:9")
        .build()
        .expect_err("a key with a newline is rejected");
    assert_hidden("whitespace error", &with_newline);

    let bad_url = Client::builder()
        .api_key(KEY)
        .base_url("http://api.example.com")
        .build()
        .expect_err("plain http off loopback is rejected");
    assert_hidden("base URL error", &bad_url);
}

async fn send_err(client: &Client) -> Error {
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect_err("the send fails")
}

#[tokio::test]
async fn transport_errors_hide_key() {
    let refused = send_err(&client(&format!("http://{}", refused_addr().await))).await;
    assert_hidden("connection error", &refused);

    let stalled = TestServer::always(Reply::Stall).await;
    let timeout = send_err(
        &builder(&stalled.url())
            .timeout(Duration::from_millis(200))
            .build()
            .expect("client"),
    )
    .await;
    assert_hidden("timeout error", &timeout);
}

#[tokio::test]
async fn response_errors_hide_key() {
    for status in [200, 302, 401, 429, 500] {
        let server = TestServer::always(Reply::Respond(
            Response::new(status).body("<html>denied</html>"),
        ))
        .await;
        let err = send_err(&client(&server.url())).await;
        assert_hidden(&format!("{status} error"), &err);
    }
}

#[tokio::test]
async fn echoed_key_is_scrubbed_from_errors() {
    // A debugging proxy that echoes the request headers back in its error page and redirect.
    let server = TestServer::start(|request, index| {
        let echoed = format!(
            "<pre>ApiKey: {}</pre>",
            request.header("ApiKey").unwrap_or("")
        );
        match index {
            0 => Reply::Respond(Response::new(502).body(echoed)),
            1 => Reply::Respond(Response::json(
                200,
                &format!(r#"{{"succeed":false,"message":"{echoed}"}}"#),
            )),
            _ => Reply::Respond(
                Response::new(307).header("Location", &format!("http://127.0.0.1:9/?k={KEY}")),
            ),
        }
    })
    .await;
    let client = client(&server.url());
    for label in ["502 echo", "rejection echo", "redirect echo"] {
        let err = send_err(&client).await;

        assert_hidden(label, &err);
        let snippet = err.body_snippet().unwrap_or_default();
        assert!(!snippet.contains(KEY_SECRET_PART), "{label}: {snippet}");
        assert!(
            err.message().contains("[API key]"),
            "{label}: the echo is visible as redacted: {err}"
        );
    }
}

#[tokio::test]
async fn key_cut_from_long_location_is_hidden() {
    // The message quotes at most 64 characters of a Location. Here the key starts at the 58th,
    // so a cut made before the key is replaced would show its first 7 characters.
    let location = format!("http://127.0.0.1:9/{}?k={KEY}", "p".repeat(35));
    let server = TestServer::always(Reply::Respond(
        Response::new(302).header("Location", &location),
    ))
    .await;
    let err = send_err(&client(&server.url())).await;

    assert_hidden("long redirect", &err);
    assert!(!err.message().contains(&KEY[..7]), "{err}");
    assert!(err.message().contains("?k=[API ke…"), "{err}");
}
