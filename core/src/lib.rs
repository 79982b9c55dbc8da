//! Client for the ClearLine SMS API.
//!
//! This crate is the one place where ClearLine behaviour lives: request validation, the HTTP
//! exchange, the mapping of every response to a receipt or a typed [`Error`], the retry rules
//! that never send an SMS twice, and the parser for delivery reports. The Python and Node
//! packages and the sandbox call it and add only what their language expects.
//!
//! ```no_run
//! use clearline::{Client, DeliveryReport, SendRequest};
//!
//! # async fn run() -> clearline::Result<()> {
//! let client = Client::builder().api_key("test_key_not_real_0000").build()?;
//! let receipt = client
//!     .send(&SendRequest::new("+12025551234", "Your code is 0420")
//!         .with_callback_url("https://app.example.com/webhooks/sms"))
//!     .await?;
//! println!("queued as {}", receipt.message_id());
//!
//! // Later, in the handler of https://app.example.com/webhooks/sms:
//! # let body = br#"{"messageId":"m","deliveryStatus":"Delivered"}"#;
//! let report = DeliveryReport::parse(body)?;
//! if report.is_delivered() {
//!     println!("{} delivered", report.message_id);
//! }
//! # Ok(()) }
//! ```
//!
//! Logging goes through [`tracing`] under the target `clearline`: one `debug` event per HTTP
//! attempt and one `info` event per retry. The API key never appears; the full phone number and
//! the message text appear only at `trace` level.

pub mod bulk;
pub mod callback;
mod client;
mod config;
mod error;
mod redact;
pub mod request;
pub mod response;
pub mod retry;
pub mod segment;
pub mod tls;
pub mod validate;

pub use bulk::{BulkOptions, Progress};
pub use callback::{DeliveryReport, DeliveryReportRef, DeliveryStatus};
pub use client::{API_KEY_HEADER, Client};
pub use config::{
    API_KEY_ENV, ApiKey, ClientBuilder, ClientConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    Environment, USER_AGENT,
};
pub use error::{Error, ErrorKind, MAX_BODY_SNIPPET_CHARS, Result, TimeoutPhase};
pub use redact::mask_phone;
pub use request::{PreparedSend, SendOptions, SendReceipt, SendRequest};
pub use retry::RetryPolicy;
pub use segment::Encoding;

// Compiles the README's examples with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
