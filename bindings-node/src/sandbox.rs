//! The embedded ClearLine simulator behind the package's `Sandbox` class, for tests and demos.
//!
//! The sandbox runs on the same Tokio runtime as the clients and binds 127.0.0.1 only. Like a
//! send, it has no libuv handle, so it never keeps the process alive by itself: `stop()` (or
//! garbage collection of the object) ends its server and callback tasks.
//!
//! Times cross to JavaScript as milliseconds since the Unix epoch; `index.js` turns them into
//! `Date` objects.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clearline_sandbox::{
    CallbackAttempt as CoreAttempt, CallbackOutcome as CoreOutcome, Fault,
    ReceivedMessage as CoreMessage, RecordedRequest as CoreRequest, Sandbox, SandboxConfig,
    SandboxError,
};
use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::{Env, JsError, JsValue, Result, Status};
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::callback::DeliveryReport;
use crate::runtime::{guard, spawn_promise};

/// Options of `Sandbox.start(...)`, already type-checked by `index.js`.
#[napi(object)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; 0 or none picks a free one.
    pub port: Option<u32>,
    /// The API key the sandbox accepts; none generates an obviously fake one.
    pub api_key: Option<String>,
    /// Delay before the first POST of a delivery report, in milliseconds.
    pub callback_delay_ms: Option<f64>,
    /// POSTs per delivery report when the receiver does not respond with 200.
    pub callback_max_attempts: Option<u32>,
    /// Wait before the second POST of a report, in milliseconds; later waits double.
    pub callback_retry_backoff_ms: Option<f64>,
    /// Time allowed for one callback POST, in milliseconds.
    pub callback_timeout_ms: Option<f64>,
    /// The longest accepted message, in Unicode characters.
    pub max_message_chars: Option<u32>,
}

/// A message the sandbox accepted.
#[napi(object, use_nullable = true)]
pub struct ReceivedMessage {
    /// The `messageId` the sandbox returned.
    pub message_id: String,
    /// The recipient in canonical E.164 form.
    pub phone: String,
    /// The text as received.
    pub message: String,
    /// The callback URL, if the send had one.
    pub callback_url: Option<String>,
    /// When the sandbox accepted the message, in milliseconds since the Unix epoch.
    pub received_at_ms: f64,
}

impl From<CoreMessage> for ReceivedMessage {
    fn from(message: CoreMessage) -> Self {
        ReceivedMessage {
            message_id: message.message_id,
            phone: message.phone,
            message: message.message,
            callback_url: message.callback_url,
            received_at_ms: epoch_ms(message.received_at),
        }
    }
}

/// A request to the send endpoint as it arrived, with the API key and other secret header values
/// already replaced by `<redacted>` in the sandbox's record.
#[napi(object, use_nullable = true)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, or null when the URL had none.
    pub query: Option<String>,
    /// The headers as `[name, value]` pairs in arrival order. Names are lowercase, and values
    /// that are not valid UTF-8 have U+FFFD in place of the invalid bytes.
    pub headers: Vec<(String, String)>,
    /// `true` when the request had an `ApiKey` header, whatever its value.
    pub api_key_present: bool,
    /// `true` when the request had exactly one `ApiKey` header, with the sandbox's key.
    pub api_key_matched: bool,
    /// The body as received.
    pub body: Buffer,
    /// The status the sandbox responded with, or null when it closed the connection instead.
    pub status: Option<u32>,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub received_at_ms: f64,
}

impl From<CoreRequest> for RecordedRequest {
    fn from(request: CoreRequest) -> Self {
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        RecordedRequest {
            method: request.method.as_str().to_owned(),
            api_key_present: request.has_api_key(),
            api_key_matched: request.api_key_matched(),
            path: request.path,
            query: request.query,
            headers,
            body: Buffer::from(Vec::from(request.body)),
            status: request.status.map(u32::from),
            received_at_ms: epoch_ms(request.received_at),
        }
    }
}

/// One POST of a delivery report to a callback URL.
#[napi(object, use_nullable = true)]
pub struct CallbackAttempt {
    /// The message the report is about.
    pub message_id: String,
    /// The callback URL POSTed to.
    pub url: String,
    /// 1 for the first POST of this report, 2 for the first retry, and so on.
    pub attempt: u32,
    /// The receiver's HTTP status, or null when no response arrived.
    pub status: Option<u32>,
    /// Time until the response status or the error, in milliseconds.
    pub latency_ms: f64,
    /// Why the attempt failed, or null when the receiver responded with 200.
    pub error: Option<String>,
    /// When the attempt started, in milliseconds since the Unix epoch.
    pub at_ms: f64,
}

impl From<CoreAttempt> for CallbackAttempt {
    fn from(attempt: CoreAttempt) -> Self {
        CallbackAttempt {
            message_id: attempt.message_id,
            url: attempt.url,
            attempt: attempt.attempt,
            status: attempt.status.map(u32::from),
            latency_ms: attempt.latency.as_secs_f64() * 1000.0,
            error: attempt.error,
            at_ms: epoch_ms(attempt.at),
        }
    }
}

/// The final result of delivering one report: a 200 response, or attempts exhausted.
#[napi(object)]
pub struct CallbackOutcome {
    /// The message the report is about.
    pub message_id: String,
    /// The report that was POSTed.
    pub report: DeliveryReport,
    /// `true` when the receiver responded with 200.
    pub delivered: bool,
    /// The number of POSTs made.
    pub attempts: u32,
}

impl From<CoreOutcome> for CallbackOutcome {
    fn from(outcome: CoreOutcome) -> Self {
        CallbackOutcome {
            message_id: outcome.message_id,
            report: DeliveryReport::from(outcome.report),
            delivered: outcome.delivered,
            attempts: outcome.attempts,
        }
    }
}

/// A fault for the next sends, already checked by `index.js`: `kind` is `status`, `latency`,
/// `closeConnection`, `nonJsonBody` or `redirect`, with the fields that kind needs.
#[napi(object)]
pub struct FaultSpec {
    /// The kind of fault.
    pub kind: String,
    /// The HTTP status, for `status`.
    pub status: Option<u32>,
    /// The `Retry-After` value, for `status`.
    pub retry_after: Option<String>,
    /// The response body, for `status`.
    pub body: Option<String>,
    /// How long the response is held back, in milliseconds, for `latency`.
    pub ms: Option<f64>,
    /// The `Location` header, for `redirect`.
    pub location: Option<String>,
}

/// The native sandbox behind the JavaScript `Sandbox`.
#[napi]
pub struct NativeSandbox {
    /// `None` once stopped. Waits hold clones of the `Arc` while they run.
    sandbox: Mutex<Option<Arc<Sandbox>>>,
    /// Cancelled by `stop()`, so running waits end and release their clones.
    stopping: CancellationToken,
    base_url: String,
    port: u32,
    api_key: String,
    max_message_chars: u32,
}

/// The sandbox's reserved numbers, whose delivery reports fail with the gateway status of that
/// name; every other valid number is delivered.
#[napi(object)]
pub struct ReservedNumbers {
    /// Fails with `Failed`.
    pub failed: String,
    /// Fails with `Expired`.
    pub expired: String,
    /// Fails with `Rejected`.
    pub rejected: String,
}

/// Returns the sandbox's reserved numbers.
#[napi(js_name = "sandboxReservedNumbers")]
pub fn sandbox_reserved_numbers() -> ReservedNumbers {
    ReservedNumbers {
        failed: clearline_sandbox::delivery::FAILED_NUMBER.to_owned(),
        expired: clearline_sandbox::delivery::EXPIRED_NUMBER.to_owned(),
        rejected: clearline_sandbox::delivery::REJECTED_NUMBER.to_owned(),
    }
}

/// Starts a sandbox and resolves to its native object.
#[napi(js_name = "startSandbox")]
pub fn start_sandbox<'env>(
    env: &'env Env,
    options: SandboxOptions,
) -> Result<PromiseRaw<'env, NativeSandbox>> {
    guard(env, || {
        let config = sandbox_config(options)?;
        let future = Sandbox::start(config);
        spawn_promise(env, future, false, |env, started| {
            let sandbox = started.map_err(|err| sandbox_error(env, &err))?;
            Ok(NativeSandbox {
                base_url: sandbox.base_url().to_owned(),
                port: u32::from(sandbox.port()),
                api_key: sandbox.api_key().to_owned(),
                // The configured value came from a u32, so it fits.
                max_message_chars: u32::try_from(sandbox.config().max_message_chars)
                    .unwrap_or(u32::MAX),
                sandbox: Mutex::new(Some(Arc::new(sandbox))),
                stopping: CancellationToken::new(),
            })
        })
    })
}

#[napi]
impl NativeSandbox {
    /// The base URL to give a client, such as `http://127.0.0.1:40123`.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The port on 127.0.0.1.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.port
    }

    /// The API key the sandbox accepts.
    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    /// The longest accepted message, in Unicode characters.
    #[napi(getter)]
    pub fn max_message_chars(&self) -> u32 {
        self.max_message_chars
    }

    /// Returns the accepted messages, oldest first.
    #[napi]
    pub fn messages(&self, env: Env) -> Result<Vec<ReceivedMessage>> {
        self.with_sandbox(&env, |sandbox| {
            sandbox
                .messages()
                .into_iter()
                .map(ReceivedMessage::from)
                .collect()
        })
    }

    /// Returns the most recent requests to the send endpoint, accepted or not, oldest first.
    #[napi]
    pub fn requests(&self, env: Env) -> Result<Vec<RecordedRequest>> {
        self.with_sandbox(&env, |sandbox| {
            sandbox
                .requests()
                .into_iter()
                .map(RecordedRequest::from)
                .collect()
        })
    }

    /// Returns every callback POST, in the order they were made.
    #[napi]
    pub fn callback_attempts(&self, env: Env) -> Result<Vec<CallbackAttempt>> {
        self.with_sandbox(&env, |sandbox| {
            sandbox
                .callback_attempts()
                .into_iter()
                .map(CallbackAttempt::from)
                .collect()
        })
    }

    /// Returns the final result of each delivery report so far, in the order they were decided.
    #[napi]
    pub fn callback_outcomes(&self, env: Env) -> Result<Vec<CallbackOutcome>> {
        self.with_sandbox(&env, |sandbox| {
            sandbox
                .callback_outcomes()
                .into_iter()
                .map(CallbackOutcome::from)
                .collect()
        })
    }

    /// Waits until `count` delivery reports have a final outcome and resolves to all outcomes so
    /// far. Rejects with code `CLEARLINE_SANDBOX_TIMEOUT`, and the outcomes that did arrive in
    /// `arrived`, after `timeout_ms`.
    #[napi]
    pub fn wait_for_callbacks<'env>(
        &self,
        env: &'env Env,
        count: u32,
        timeout_ms: f64,
    ) -> Result<PromiseRaw<'env, Vec<CallbackOutcome>>> {
        guard(env, || {
            let timeout = millis(timeout_ms, "timeoutMs")?;
            let sandbox = self.sandbox(env)?;
            let stopping = self.stopping.clone();
            let future = async move {
                stopping
                    .run_until_cancelled(sandbox.wait_for_callbacks(count as usize, timeout))
                    .await
            };
            spawn_promise(env, future, false, |env, waited| match waited {
                Some(Ok(outcomes)) => Ok(outcomes.into_iter().map(CallbackOutcome::from).collect()),
                Some(Err(err)) => Err(sandbox_error(env, &err)),
                None => Err(stopped_error(env)),
            })
        })
    }

    /// Makes the next `times` sends get `fault` instead of the normal response.
    #[napi]
    pub fn inject_fault(&self, env: Env, fault: FaultSpec, times: u32) -> Result<()> {
        let fault = core_fault(fault)?;
        self.with_sandbox(&env, |sandbox| sandbox.inject_fault(fault, times))
    }

    /// Drops every injected fault not used yet.
    #[napi]
    pub fn clear_faults(&self, env: Env) -> Result<()> {
        self.with_sandbox(&env, Sandbox::clear_faults)
    }

    /// Forgets messages, callback attempts, outcomes and faults, and cancels reports not yet
    /// delivered.
    #[napi]
    pub fn reset(&self, env: Env) -> Result<()> {
        self.with_sandbox(&env, Sandbox::reset)
    }

    /// Stops the server and every callback task, and resolves once the port is free. Waits still
    /// running reject. Calling it again resolves at once.
    #[napi]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        self.stopping.cancel();
        let sandbox = lock(&self.sandbox).take();
        let future = async move {
            let Some(mut shared) = sandbox else {
                return;
            };
            // The cancelled waits drop their clones as soon as the runtime polls them.
            loop {
                match Arc::try_unwrap(shared) {
                    Ok(sandbox) => return sandbox.stop().await,
                    Err(still_shared) => {
                        shared = still_shared;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        };
        spawn_promise(env, future, false, |_, ()| Ok(()))
    }

    fn sandbox(&self, env: &Env) -> Result<Arc<Sandbox>> {
        lock(&self.sandbox)
            .clone()
            .ok_or_else(|| stopped_error(env))
    }

    fn with_sandbox<T>(&self, env: &Env, call: impl FnOnce(&Sandbox) -> T) -> Result<T> {
        guard(env, || {
            let sandbox = self.sandbox(env)?;
            Ok(call(&sandbox))
        })
    }
}

fn lock(slot: &Mutex<Option<Arc<Sandbox>>>) -> MutexGuard<'_, Option<Arc<Sandbox>>> {
    // A panic while holding the lock leaves the slot valid, so a poisoned lock is used as is.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sandbox_config(options: SandboxOptions) -> Result<SandboxConfig> {
    let mut config = SandboxConfig {
        api_key: options.api_key,
        ..SandboxConfig::default()
    };
    if let Some(port) = options.port {
        config.port = u16::try_from(port).map_err(|_| {
            napi::Error::new(Status::InvalidArg, format!("port {port} is above 65535"))
        })?;
    }
    if let Some(delay) = options.callback_delay_ms {
        config.callback_delay = millis(delay, "callbackDelayMs")?;
    }
    if let Some(attempts) = options.callback_max_attempts {
        config.callback_max_attempts = attempts;
    }
    if let Some(backoff) = options.callback_retry_backoff_ms {
        config.callback_retry_backoff = millis(backoff, "callbackRetryBackoffMs")?;
    }
    if let Some(timeout) = options.callback_timeout_ms {
        config.callback_timeout = millis(timeout, "callbackTimeoutMs")?;
    }
    if let Some(max_chars) = options.max_message_chars {
        config.max_message_chars = max_chars as usize;
    }
    Ok(config)
}

fn core_fault(fault: FaultSpec) -> Result<Fault> {
    let missing = |field: &str| {
        napi::Error::new(
            Status::InvalidArg,
            format!("a {} fault needs {field}", fault.kind),
        )
    };
    let core = match fault.kind.as_str() {
        "status" => {
            let status = fault.status.ok_or_else(|| missing("status"))?;
            Fault::Status {
                status: u16::try_from(status).map_err(|_| missing("a status below 65536"))?,
                retry_after: fault.retry_after,
                body: fault.body,
            }
        }
        "latency" => Fault::Latency(millis(fault.ms.ok_or_else(|| missing("ms"))?, "ms")?),
        "closeConnection" => Fault::CloseConnection,
        "nonJsonBody" => Fault::NonJsonBody,
        "redirect" => Fault::Redirect {
            location: fault.location.ok_or_else(|| missing("location"))?,
        },
        other => {
            return Err(napi::Error::new(
                Status::InvalidArg,
                format!("unknown fault kind {other:?}"),
            ))
        }
    };
    Ok(core)
}

fn millis(ms: f64, name: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        napi::Error::new(
            Status::InvalidArg,
            format!("{name} must be a finite, non-negative number of milliseconds"),
        )
    })
}

fn epoch_ms(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Converts a sandbox error to a JavaScript error with a `CLEARLINE_SANDBOX_*` code; a timeout
/// also carries the outcomes that arrived, in `arrived`. `index.js` rethrows it as a
/// `SandboxError`.
fn sandbox_error(env: &Env, err: &SandboxError) -> napi::Error {
    let code = match err {
        SandboxError::Bind { .. } => "CLEARLINE_SANDBOX_BIND",
        SandboxError::Timeout { .. } => "CLEARLINE_SANDBOX_TIMEOUT",
        SandboxError::InvalidConfig(_) => "CLEARLINE_SANDBOX_CONFIG",
        _ => "CLEARLINE_SANDBOX",
    };
    let value = JsError::from(napi::Error::new(code, err.to_string())).into_unknown(*env);
    if let SandboxError::Timeout { arrived, .. } = err {
        let outcomes: Vec<CallbackOutcome> =
            arrived.iter().cloned().map(CallbackOutcome::from).collect();
        // If attaching `arrived` fails, the error goes out without it.
        if let Ok(mut object) = value.coerce_to_object() {
            let _ = object.set("arrived", outcomes);
        }
    }
    napi::Error::from(value)
}

fn stopped_error(env: &Env) -> napi::Error {
    let plain = napi::Error::new(
        "CLEARLINE_SANDBOX_STOPPED",
        "the sandbox was stopped; start a new one with Sandbox.start()",
    );
    napi::Error::from(JsError::from(plain).into_unknown(*env))
}
