//! A canary API key never shows up anywhere, with every `tracing` event captured at trace level
//! from every target (the HTTP stack included). Sends fail with a 401, a refused connection on a
//! closed loopback port and a timeout, and every rendering of the errors and the client is
//! searched together with the captured events.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clearline::{Client, SendRequest};
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;

use support::faults::refused_addr;
use support::server::{Reply, Response, TestServer};

/// An obviously fake key. Its last 4 characters may appear, as the redacted form shows them.
const CANARY: &str = "test_key_CANARY_not_real_7f3a";
const SECRET_PARTS: [&str; 2] = ["test_key_CANARY", "CANARY_not_real"];

/// A writer that appends everything to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|bytes| bytes.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Renders a value every way a user might print or log it.
fn renderings<T: std::fmt::Debug + std::fmt::Display>(value: &T) -> String {
    format!("{value}\n{value:?}\n{value:#?}\n")
}

/// Renders an error and its whole source chain.
fn error_renderings(err: &clearline::Error) -> String {
    let mut text = renderings(err);
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!("caused by: {cause}\n{cause:?}\n"));
        source = cause.source();
    }
    text
}

fn client(base_url: &str, max_retries: u32, timeout: Duration) -> Client {
    Client::builder()
        .api_key(CANARY)
        .base_url(base_url)
        .max_retries(max_retries)
        .timeout(timeout)
        .build()
        .expect("building the client failed")
}

#[test]
fn canary_key_never_shown_at_trace_level() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a runtime failed");

    let (shown, seen_key) = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let unauthorized = TestServer::always(Reply::Respond(Response::json(
                401,
                r#"{"message":"Invalid API key"}"#,
            )))
            .await;
            let stalled = TestServer::always(Reply::Stall).await;
            let refused = format!("http://{}", refused_addr().await);
            let clients = [
                (
                    "401",
                    client(&unauthorized.url(), 0, Duration::from_secs(5)),
                ),
                ("refused", client(&refused, 1, Duration::from_secs(30))),
                (
                    "timeout",
                    client(&stalled.url(), 2, Duration::from_millis(300)),
                ),
            ];

            let mut shown = String::new();
            for (label, client) in &clients {
                shown.push_str(&renderings(client));
                shown.push_str(&format!("{:?}\n", client.config()));
                let err = client
                    .send(&SendRequest::new("+12025551234", "Your code is 0420"))
                    .await
                    .expect_err("every send fails");
                shown.push_str(&format!("== {label}: {}\n", err.kind()));
                shown.push_str(&error_renderings(&err));
            }
            let seen_key = unauthorized.requests()[0]
                .header("ApiKey")
                .map(str::to_owned);
            (shown, seen_key)
        })
    });

    let output = format!("{shown}\n{}", captured.text());
    for part in SECRET_PARTS {
        assert!(!output.contains(part), "{part} found in:\n{output}");
    }
    // The output is what the test claims to search: every failure, the redacted key and events
    // at every level, the sent body included.
    for label in [
        "== 401: authentication",
        "== refused: connection",
        "== timeout: timeout",
    ] {
        assert!(output.contains(label), "{label} missing from:\n{output}");
    }
    assert!(output.contains("…7f3a"), "{output}");
    assert!(output.contains("retrying sms send"), "{output}");
    assert!(output.contains("sms send attempt failed"), "{output}");
    assert!(output.contains("Your code is 0420"), "{output}");
    // The canary did reach the server, in the ApiKey header only.
    assert_eq!(seen_key.as_deref(), Some(CANARY));
}
