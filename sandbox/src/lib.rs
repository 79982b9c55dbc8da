//! An in-process ClearLine simulator for demos and tests.
//!
//! A [`Sandbox`] listens on `127.0.0.1` and behaves like ClearLine's send API: it checks the
//! `ApiKey` header, validates the body with the same rules as the `clearline` client, returns
//! `{"succeed": true, "messageId": ...}`, and after a short delay POSTs a delivery report to
//! the message's callback URL, retrying until the receiver responds with 200. Reserved test numbers
//! ([`delivery`]) produce failed reports. Everything it receives and sends is recorded for
//! inspection, and [`Fault`]s make the next sends fail in chosen ways.
//!
//! The ClearLine rules come from the `clearline` crate
//! ([`clearline::SendRequest::prepare_received`] for validation,
//! [`clearline::DeliveryReport::to_json`] for report bodies), so the simulator and the client
//! cannot drift apart.
//!
//! ```
//! use std::time::Duration;
//! use clearline::SendRequest;
//! use clearline_sandbox::{delivery, Sandbox, SandboxConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! let client = sandbox.client_builder().build()?;
//!
//! // With no receiver listening, every POST of the report fails and is recorded.
//! let request = SendRequest::new(delivery::EXPIRED_NUMBER, "Your code is 0420")
//!     .with_callback_url("http://127.0.0.1:9/webhooks/sms");
//! let receipt = client.send(&request).await?;
//!
//! let outcomes = sandbox.wait_for_callbacks(1, Duration::from_secs(5)).await?;
//! assert_eq!(outcomes[0].message_id, receipt.message_id());
//! assert_eq!(outcomes[0].report.external_status.as_deref(), Some("Expired"));
//! assert!(!outcomes[0].delivered);
//!
//! sandbox.stop().await;
//! # Ok(()) }
//! ```
//!
//! Logging goes through [`tracing`] under the target `clearline_sandbox`: one `info` event per
//! message, rejected send and callback attempt. The API key never appears; phone numbers are
//! masked, and callback URLs lose their query string.

mod callback;
mod config;
pub mod delivery;
mod error;
mod fault;
mod inspect;
mod record;
mod routes;
mod sandbox;
mod send;
mod server;
mod state;

pub use config::{
    SandboxConfig, DEFAULT_CALLBACK_DELAY, DEFAULT_CALLBACK_MAX_ATTEMPTS,
    DEFAULT_CALLBACK_RETRY_BACKOFF, DEFAULT_CALLBACK_TIMEOUT, DEFAULT_HISTORY_LIMIT,
    DEFAULT_MAX_CONCURRENT_CALLBACKS,
};
pub use error::SandboxError;
pub use fault::{Fault, FAULT_STATUSES};
pub use record::{ApiKeyCheck, CallbackAttempt, CallbackOutcome, ReceivedMessage, RecordedRequest};
pub use routes::SEND_PATH;
pub use sandbox::Sandbox;
pub use send::MAX_SEND_BODY_BYTES;
pub use state::REQUEST_LOG_LIMIT;
