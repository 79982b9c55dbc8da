//! [`Sandbox`]: start, inspect, inject faults, reset and stop.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::callback;
use crate::config::{redact_key, SandboxConfig};
use crate::error::SandboxError;
use crate::fault::Fault;
use crate::record::{CallbackAttempt, CallbackOutcome, ReceivedMessage, RecordedRequest};
use crate::routes;
use crate::server;
use crate::state::Shared;

/// A running ClearLine simulator on `127.0.0.1`.
///
/// It accepts sends at `{base_url}/MessageSender/sms` with its API key, POSTs a delivery report
/// to each message's callback URL, and records everything for inspection. All its tasks run on
/// the Tokio runtime that called [`Sandbox::start`]; it starts no thread of its own.
///
/// [`Sandbox::stop`] ends the server and every callback task and waits for them. Dropping a
/// sandbox cancels them too, without waiting: its tasks end, and its port is freed, as soon as
/// the runtime next polls them.
///
/// ```
/// use std::time::Duration;
/// use clearline::SendRequest;
/// use clearline_sandbox::{Sandbox, SandboxConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
/// let client = sandbox.client_builder().build()?;
///
/// let receipt = client.send(&SendRequest::new("+12025551234", "Hello")).await?;
/// let messages = sandbox.messages();
/// assert_eq!(messages[0].message_id, receipt.message_id());
///
/// sandbox.stop().await;
/// # Ok(()) }
/// ```
pub struct Sandbox {
    shared: Arc<Shared>,
    base_url: String,
    port: u16,
}

impl Sandbox {
    /// Starts a sandbox on the current Tokio runtime, bound to `127.0.0.1:config.port`.
    ///
    /// The runtime needs the I/O and time drivers (`enable_all`), and must keep running while
    /// the sandbox is in use: the sandbox serves requests and delivers reports on it.
    /// `#[tokio::main]` and `#[tokio::test]` enable both.
    ///
    /// # Errors
    ///
    /// [`SandboxError::NoRuntime`] outside a Tokio runtime, [`SandboxError::InvalidConfig`]
    /// for an invalid setting, and [`SandboxError::Bind`] when the port is taken.
    ///
    /// # Panics
    ///
    /// NOTE: on a runtime built without the I/O driver, binding the port panics inside Tokio
    /// ("IO is disabled") instead of returning an error, because Tokio 1.x has no stable way to
    /// ask a runtime which drivers it has. Without the time driver, `start` succeeds but each
    /// connection's task panics when it starts its timer, so clients see the connection reset.
    /// Build the runtime with `enable_all()`, or with `enable_io()` and `enable_time()`.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SandboxError::NoRuntime);
        }
        let api_key = config.check()?;
        let callback_http =
            callback::http_client(config.callback_timeout, config.allow_remote_callbacks).map_err(
                |err| {
                    SandboxError::InvalidConfig(format!(
                        "failed to create the HTTP client for callbacks ({err})"
                    ))
                },
            )?;

        let listener = server::bind(config.port)?;
        let port = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                port: config.port,
                source,
            })?
            .port();

        let shared = Arc::new(Shared::new(config, api_key, callback_http));
        let router = routes::router(Arc::clone(&shared));
        shared.tasks.spawn(server::accept_loop(
            listener,
            router,
            shared.shutdown.clone(),
            shared.tasks.clone(),
        ));

        let base_url = format!("http://127.0.0.1:{port}");
        tracing::info!(target: "clearline_sandbox", base_url = %base_url, "sandbox started");
        Ok(Sandbox {
            shared,
            base_url,
            port,
        })
    }

    /// Returns the base URL to give a client, such as `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the port the sandbox listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns the API key the sandbox accepts in the `ApiKey` header.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// Returns the settings the sandbox was started with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Returns a client builder set to this sandbox's base URL, API key and maximum message
    /// length.
    ///
    /// ```
    /// # async fn run(sandbox: &clearline_sandbox::Sandbox) -> clearline::Result<()> {
    /// let client = sandbox.client_builder().max_retries(0).build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn client_builder(&self) -> clearline::ClientBuilder {
        clearline::Client::builder()
            .api_key(self.api_key())
            .base_url(self.base_url())
            .max_message_chars(self.shared.config.max_message_chars)
    }

    /// Returns the accepted messages, oldest first (at most `history_limit` of them).
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared.messages()
    }

    /// Returns every callback POST, in the order they were made (at most `history_limit`).
    pub fn callback_attempts(&self) -> Vec<CallbackAttempt> {
        self.shared.attempts()
    }

    /// Returns the final result of each delivery report so far, in the order they were decided.
    pub fn callback_outcomes(&self) -> Vec<CallbackOutcome> {
        self.shared.outcomes()
    }

    /// Returns the most recent requests to the send endpoint, accepted or not (at most
    /// [`crate::REQUEST_LOG_LIMIT`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Waits until `count` delivery reports have a final outcome (a 200 response, or attempts
    /// exhausted) since the start or the last reset, and returns all outcomes so far, in the
    /// order they were decided.
    ///
    /// Only messages sent with a callback URL get a report.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Timeout`] when fewer than `count` outcomes arrive within `timeout`; it
    /// carries the outcomes that did arrive.
    pub async fn wait_for_callbacks(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<CallbackOutcome>, SandboxError> {
        let started = Instant::now();
        let mut outcome_count = self.shared.subscribe_outcomes();
        let reached = tokio::time::timeout(timeout, outcome_count.wait_for(|n| *n >= count)).await;
        if let Ok(Ok(_)) = reached {
            return Ok(self.shared.outcomes());
        }
        Err(SandboxError::Timeout {
            expected: count,
            arrived: self.shared.outcomes(),
            with_callback_url: self.shared.with_callback_url(),
            waited: started.elapsed(),
        })
    }

    /// Makes the next `times` sends get `fault` instead of the normal response.
    ///
    /// Faults queue up in the order they are injected. A fault applies to `POST` requests to
    /// the send endpoint before the API key is checked.
    pub fn inject_fault(&self, fault: Fault, times: u32) {
        tracing::info!(target: "clearline_sandbox", kind = fault.kind(), times, "fault injected");
        self.shared.faults.push(fault, times);
    }

    /// Drops every injected fault that was not used yet.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Returns the number of sends that will still get an injected fault.
    pub fn pending_faults(&self) -> u64 {
        self.shared.faults.remaining()
    }

    /// Clears messages, callback attempts, outcomes, recorded requests and faults, and cancels
    /// the delivery of reports not yet decided. Message ids keep counting up.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server and every callback task, and waits until they have ended and the port
    /// is free. Requests in progress get up to a second to finish; reports not yet delivered
    /// are dropped.
    pub async fn stop(self) {
        self.shared.shutdown.cancel();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
        tracing::info!(target: "clearline_sandbox", base_url = %self.base_url, "sandbox stopped");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
        self.shared.tasks.close();
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("api_key", &redact_key(self.api_key()))
            .finish_non_exhaustive()
    }
}
