//! The native client: configuration, `send` and `sendMany` returning Promises, and the
//! cancellation token `index.js` connects to an `AbortSignal`.
//!
//! `index.js` checks argument types and ranges before calling in, so the functions here receive
//! the types they declare. Text arguments arrive as JavaScript strings and go through
//! [`crate::text::read`], so a lone surrogate becomes a validation error instead of a U+FFFD.

use std::sync::Arc;
use std::time::Duration;

use clearline::{BulkOptions, SendOptions, SendReceipt, SendRequest};
use napi::bindgen_prelude::{Array, FnArgs, Function, JsObjectValue, Object, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsString, Result, Status};
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::error::ErrorExt;
use crate::runtime::{completions, guard, pack_outcomes, spawn_promise, spawn_send, Outcome};
use crate::text;

/// Product token appended to the core's `User-Agent`: `clearline-node/<version>`.
const USER_AGENT_SUFFIX: &str = concat!("clearline-node/", env!("CARGO_PKG_VERSION"));

/// Options of `new Client(...)`, already type-checked by `index.js`.
#[napi(object)]
pub struct ClientOptions {
    /// The API key; without it the core reads `CLEARLINE_API_KEY`.
    pub api_key: Option<String>,
    /// `production` or `staging`.
    pub environment: Option<String>,
    /// A custom base URL, such as the sandbox's.
    pub base_url: Option<String>,
    /// Total time of a send in milliseconds, retries included.
    pub timeout_ms: Option<f64>,
    /// Time allowed to open a connection in milliseconds, per attempt.
    pub connect_timeout_ms: Option<f64>,
    /// How many times a send that provably did not reach ClearLine is retried.
    pub max_retries: Option<u32>,
    /// The longest accepted message, in Unicode characters.
    pub max_message_chars: Option<u32>,
}

/// The non-secret configuration of a client, for `util.inspect`.
#[napi(object, use_nullable = true)]
pub struct ClientDescription {
    /// The base URL, ending with `/`.
    pub base_url: String,
    /// `production`, `staging`, or null for a custom base URL.
    pub environment: Option<String>,
    /// The API key with all but its last 4 characters hidden.
    pub api_key: String,
    /// Total time of a send in milliseconds.
    pub timeout_ms: f64,
    /// Time allowed to open a connection in milliseconds.
    pub connect_timeout_ms: f64,
    /// Retries of a send that provably did not reach ClearLine.
    pub max_retries: u32,
    /// The longest accepted message, in Unicode characters.
    pub max_message_chars: u32,
    /// The `User-Agent` header value.
    pub user_agent: String,
}

/// A cancellation token: `index.js` creates one per call that has an `AbortSignal` and cancels
/// it when the signal aborts. Cancelling drops the call's future, which closes its connection.
#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    /// Creates a token that is not cancelled.
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    /// Cancels the call this token was passed to. Calling it again does nothing.
    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// The native client behind the JavaScript `Client`.
#[napi]
pub struct NativeClient {
    client: clearline::Client,
}

#[napi]
impl NativeClient {
    /// Builds the core client.
    #[napi(constructor)]
    pub fn new(env: Env, options: ClientOptions) -> Result<Self> {
        guard(&env, || {
            let mut builder = clearline::Client::builder().user_agent_suffix(USER_AGENT_SUFFIX);
            if let Some(api_key) = options.api_key {
                builder = builder.api_key(api_key);
            }
            if let Some(environment) = options.environment {
                let environment = environment
                    .parse::<clearline::Environment>()
                    .map_err(|err| err.into_napi(&env))?;
                builder = builder.environment(environment);
            }
            if let Some(base_url) = options.base_url {
                builder = builder.base_url(base_url);
            }
            if let Some(timeout_ms) = options.timeout_ms {
                builder = builder.timeout(duration_from_ms(timeout_ms, "timeoutMs")?);
            }
            if let Some(connect_timeout_ms) = options.connect_timeout_ms {
                builder = builder
                    .connect_timeout(duration_from_ms(connect_timeout_ms, "connectTimeoutMs")?);
            }
            if let Some(max_retries) = options.max_retries {
                builder = builder.max_retries(max_retries);
            }
            if let Some(max_message_chars) = options.max_message_chars {
                builder = builder.max_message_chars(max_message_chars as usize);
            }

            let client = builder.build().map_err(|err| err.into_napi(&env))?;
            Ok(NativeClient { client })
        })
    }

    /// Returns the configuration without the key.
    #[napi]
    pub fn describe(&self) -> ClientDescription {
        let config = self.client.config();
        ClientDescription {
            base_url: config.base_url().to_string(),
            environment: config.environment().map(|env| env.as_str().to_owned()),
            api_key: config.api_key_redacted(),
            timeout_ms: config.timeout().as_secs_f64() * 1000.0,
            connect_timeout_ms: config.connect_timeout().as_secs_f64() * 1000.0,
            max_retries: config.retry_policy().max_retries,
            // The value came from a u32 option, or is the core's default of 1,600.
            max_message_chars: u32::try_from(config.max_message_chars()).unwrap_or(u32::MAX),
            user_agent: config.user_agent().to_owned(),
        }
    }

    /// Validates and starts sending one SMS as send `id`. Validation errors are thrown before any
    /// I/O; the outcome of everything after reaches `lib/runtime.js` through the completion
    /// queue under `id`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &self,
        env: Env,
        id: u32,
        phone: JsString,
        message: JsString,
        callback_url: Option<JsString>,
        timeout_ms: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        guard(&env, || {
            let request = match read_request(phone, message, callback_url)? {
                Ok(request) => request,
                Err(err) => return Err(err.into_napi(&env)),
            };
            let prepared = request
                .prepare(self.client.config().max_message_chars())
                .map_err(|err| err.into_napi(&env))?;
            let options = send_options(timeout_ms)?;
            let completions = completions(&env)?;

            let client = self.client.clone();
            let token = cancel.map(|cancel| cancel.token.clone());
            let future = async move {
                let send = client.send_prepared(&prepared, &options);
                match token {
                    Some(token) => token.run_until_cancelled(send).await,
                    None => Some(send.await),
                }
            };
            spawn_send(completions, id, future);
            Ok(())
        })
    }

    /// Sends many SMS in the core at a bounded concurrency and resolves to their results packed
    /// by `pack_outcomes`, with each message's index as its id; `lib/client.js` turns them into
    /// `{ ok: true, receipt }` and `{ ok: false, error }` objects in input order. Cancelling
    /// `cancel` stops the batch early; it still resolves, with a `CLEARLINE_CANCELLED` error for
    /// each message that did not finish.
    ///
    /// `messages` contains objects with `phone`, `message` and an optional `callbackUrl`, all strings
    /// (checked by `index.js`). `on_progress` receives `(done, total)` through a weak threadsafe
    /// function, so it never keeps the event loop alive on its own.
    #[napi]
    pub fn send_many<'env>(
        &self,
        env: &'env Env,
        messages: Array,
        concurrency: Option<u32>,
        timeout_ms: Option<f64>,
        on_progress: Option<Function<FnArgs<(u32, u32)>, ()>>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Array<'env>>> {
        guard(env, || {
            let total = messages.len() as usize;
            let mut requests = Vec::with_capacity(total);
            let mut unreadable = Vec::new();
            for index in 0..messages.len() {
                let item: Object = messages.get(index)?.ok_or_else(|| {
                    napi::Error::new(Status::InvalidArg, format!("messages[{index}] is missing"))
                })?;
                let phone: JsString = item.get_named_property("phone")?;
                let message: JsString = item.get_named_property("message")?;
                let callback_url: Option<JsString> = item.get_named_property("callbackUrl")?;
                match read_request(phone, message, callback_url)? {
                    Ok(request) => requests.push(request),
                    Err(err) => unreadable.push((index as usize, err)),
                }
            }

            let mut bulk = BulkOptions::new().send_options(send_options(timeout_ms)?);
            if let Some(concurrency) = concurrency {
                bulk = bulk.concurrency(concurrency as usize);
            }
            if let Some(on_progress) = on_progress {
                // Messages with a lone surrogate never reach the core, so they count as done from
                // the start and the core's counts are shifted to cover the whole input.
                let skipped = unreadable.len();
                let progress = on_progress
                    .build_threadsafe_function::<FnArgs<(u32, u32)>>()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build()?;
                bulk = bulk.on_progress(Arc::new(move |done, _| {
                    progress.call(
                        FnArgs::from(((done + skipped) as u32, total as u32)),
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                }));
            }

            let client = self.client.clone();
            let token = cancel.map(|cancel| cancel.token.clone());
            let future = async move {
                match token {
                    // The core stops the batch when the token is cancelled and still returns a
                    // result for every message: the unfinished ones as `CLEARLINE_CANCELLED`.
                    Some(token) => {
                        client
                            .send_many_until(requests, &bulk, token.cancelled())
                            .await
                    }
                    None => client.send_many(requests, &bulk).await,
                }
            };
            spawn_promise(env, future, true, move |env, results| {
                bulk_results(env, total, results, unreadable)
            })
        })
    }
}

/// Reads the three text fields of a send. The outer error is a failed Node-API call; the inner
/// one is the validation error for a lone surrogate.
fn read_request(
    phone: JsString,
    message: JsString,
    callback_url: Option<JsString>,
) -> Result<std::result::Result<SendRequest, clearline::Error>> {
    let Some(phone) = text::read(phone)? else {
        return Ok(Err(clearline::Error::invalid_unicode("phone")));
    };
    let Some(message) = text::read(message)? else {
        return Ok(Err(clearline::Error::invalid_unicode("message")));
    };
    let mut request = SendRequest::new(phone, message);
    if let Some(callback_url) = callback_url {
        let Some(callback_url) = text::read(callback_url)? else {
            return Ok(Err(clearline::Error::invalid_unicode("callbackUrl")));
        };
        request = request.with_callback_url(callback_url);
    }
    Ok(Ok(request))
}

fn send_options(timeout_ms: Option<f64>) -> Result<SendOptions> {
    let mut options = SendOptions::new();
    if let Some(timeout_ms) = timeout_ms {
        options = options.timeout(duration_from_ms(timeout_ms, "timeoutMs")?);
    }
    Ok(options)
}

/// Converts milliseconds to a duration. `index.js` has already rejected values that are not
/// finite and non-negative, so the error only guards direct calls to the native module.
fn duration_from_ms(ms: f64, name: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        napi::Error::new(
            Status::InvalidArg,
            format!("{name} must be a finite, non-negative number of milliseconds"),
        )
    })
}

/// Packs the results of `sendMany` with [`pack_outcomes`], with the index of each message as its
/// id: the core's results for the readable messages, and a validation error at the index of each
/// message whose text had a lone surrogate.
fn bulk_results<'env>(
    env: &'env Env,
    total: usize,
    results: Vec<clearline::Result<SendReceipt>>,
    unreadable: Vec<(usize, clearline::Error)>,
) -> Result<Array<'env>> {
    let mut sent = results.into_iter();
    let mut unreadable = unreadable.into_iter().peekable();
    let mut outcomes = Vec::with_capacity(total);
    for index in 0..total {
        let result = match unreadable.next_if(|(bad_index, _)| *bad_index == index) {
            Some((_, err)) => Err(err),
            None => sent.next().ok_or_else(|| {
                napi::Error::from_reason("the core returned fewer results than messages")
            })?,
        };
        let outcome = match result {
            Ok(receipt) => Outcome::Sent(receipt),
            Err(err) => Outcome::Failed(err),
        };
        outcomes.push((index as u32, outcome));
    }
    pack_outcomes(env, outcomes)
}
