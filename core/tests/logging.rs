//! The `tracing` events of a send, captured through a real subscriber: the key never appears at
//! any level, the phone number is masked except at trace level, and retries are logged.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use clearline::SendRequest;
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;

use support::server::{Reply, Response, TestServer};
use support::{KEY_SECRET_PART, client};

const PHONE: &str = "+12025551234";
const MASKED_PHONE: &str = "+12*******34";
const MESSAGE: &str = "Your code is 0420";

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

/// Runs a send that is rate-limited once and then accepted, capturing every event at `level`
/// and above from every target (the HTTP stack included).
fn capture_send(level: Level) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a runtime failed");

    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let server = TestServer::start(|_, index| match index {
                0 => Reply::Respond(Response::new(429).header("Retry-After", "0")),
                _ => Reply::Respond(Response::accepted("msg_logged")),
            })
            .await;
            let receipt = client(&server.url())
                .send(&SendRequest::new(PHONE, MESSAGE))
                .await
                .expect("the send succeeds after one retry");
            assert_eq!(receipt.attempts(), 2);
        });
    });
    captured.text()
}

#[test]
fn trace_level_shows_phone_never_key() {
    let output = capture_send(Level::TRACE);

    assert!(output.contains("sending sms"), "{output}");
    assert!(output.contains(PHONE), "{output}");
    assert!(output.contains(MESSAGE), "{output}");
    assert!(!output.contains(KEY_SECRET_PART), "{output}");
}

#[test]
fn debug_level_masks_phone_and_hides_text() {
    let output = capture_send(Level::DEBUG);

    assert!(output.contains("sms send attempt failed"), "{output}");
    assert!(output.contains("sms accepted"), "{output}");
    assert!(output.contains(MASKED_PHONE), "{output}");
    assert!(!output.contains(PHONE), "{output}");
    assert!(!output.contains(MESSAGE), "{output}");
    assert!(!output.contains(KEY_SECRET_PART), "{output}");
}

#[test]
fn info_level_logs_each_retry() {
    let output = capture_send(Level::INFO);

    assert_eq!(output.matches("retrying sms send").count(), 1, "{output}");
    assert!(output.contains("kind=rate_limited"), "{output}");
    assert!(!output.contains("sms accepted"), "{output}");
    assert!(!output.contains(PHONE), "{output}");
    assert!(!output.contains(KEY_SECRET_PART), "{output}");
}
