//! The sandbox's log events: one per message, rejection and callback attempt, and never the
//! API key, a full phone number or a callback URL's query.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clearline::SendRequest;
use serde_json::json;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[test]
fn logs_events_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    // INFO is the binary's level. The core logs full numbers at TRACE, by its own design.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A current-thread runtime keeps every sandbox task on this thread, where the subscriber is
    // the default.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let sandbox = common::start().await;
            let receiver = common::Receiver::scripted(&[500]).await;
            let client = common::client(&sandbox);
            let callback_url = format!("{}?token=secret_token_value", receiver.url());
            let request =
                SendRequest::new("+12025559876", "Hi").with_callback_url(callback_url.as_str());
            client.send(&request).await.expect("send");
            sandbox
                .wait_for_callbacks(1, Duration::from_secs(10))
                .await
                .expect("outcome");
            let body = json!({"phone": "+12025559876", "message": "Hi"}).to_string();
            common::post_send(&sandbox, Some("wrong_key_not_real_1111"), None, body).await;
            receiver.stop().await;
            sandbox.stop().await;
        });
    });

    let logs = captured.text();
    assert!(logs.contains("message accepted"), "{logs}");
    assert!(logs.contains("delivery report attempt failed"), "{logs}");
    assert!(logs.contains("delivery report delivered"), "{logs}");
    assert!(logs.contains("send rejected"), "{logs}");
    assert!(!logs.contains(common::API_KEY), "{logs}");
    assert!(!logs.contains("wrong_key_not_real_1111"), "{logs}");
    assert!(!logs.contains("secret_token_value"), "{logs}");
    assert!(!logs.contains("+12025559876"), "{logs}");
}
