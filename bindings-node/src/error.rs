//! The one place where core errors become JavaScript errors.
//!
//! `index.js` defines `ClearLineError`, a subclass of `Error`, and registers its constructor here
//! when it loads, once per JavaScript environment (the main thread and each worker have their
//! own). Every `clearline::Error` then becomes `new ClearLineError(message, details)`, with the
//! stable `code` of its kind from `clearline::ErrorKind::code`. Rejecting a Promise or throwing
//! with that object keeps it intact, so JavaScript sees `instanceof ClearLineError`.

use std::any::Any;

use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Unknown};
use napi::{Env, JsError};
use napi_derive::napi;

use crate::runtime::env_state;

/// Code of the error for a bug in the SDK itself (a Rust panic), which has no core kind.
pub(crate) const INTERNAL_CODE: &str = "CLEARLINE_INTERNAL";

/// The structured details of a `ClearLineError`, the second argument of its constructor.
///
/// `index.js` copies these fields onto the error; keep the two in step.
#[napi(object, use_nullable = true)]
pub struct ErrorDetails {
    /// The stable code of the error kind, such as `CLEARLINE_RATE_LIMITED`.
    pub code: String,
    /// The HTTP status of the response, when the failure came from one.
    pub status: Option<u32>,
    /// `true` when the SMS may have gone out despite the error.
    pub maybe_sent: bool,
    /// The delay ClearLine asked for in `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<f64>,
    /// The request or report field at fault, such as `phone` or `messageId`.
    pub field: Option<String>,
    /// The start of the response body.
    pub body_snippet: Option<String>,
    /// `connect` or `response`, for timeouts.
    pub timeout_phase: Option<String>,
    /// How many HTTP attempts the send made (0 when it failed before any I/O).
    pub attempts: u32,
}

/// The constructor's return type is unused: it is only called with `new`.
pub(crate) type ErrorConstructor = FunctionRef<FnArgs<(String, ErrorDetails)>, ()>;

/// Registers the `ClearLineError` class of this environment. `index.js` calls it once at load.
#[napi(js_name = "registerErrorClass")]
pub fn register_error_class(
    env: Env,
    #[napi(ts_arg_type = "new (message: string, details: ErrorDetails) => Error")]
    error_class: Function<FnArgs<(String, ErrorDetails)>, ()>,
) -> napi::Result<()> {
    env_state(&env)?.error_class = Some(error_class.create_ref()?);
    Ok(())
}

/// Conversion of core errors to JavaScript errors.
pub(crate) trait ErrorExt {
    /// Builds the `ClearLineError` object for this error.
    fn to_js_value<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>>;

    /// Converts this error to a `napi::Error` that throws or rejects with its `ClearLineError`.
    fn into_napi(self, env: &Env) -> napi::Error;
}

impl ErrorExt for clearline::Error {
    fn to_js_value<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let details = ErrorDetails {
            code: self.kind().code().to_owned(),
            status: self.status().map(u32::from),
            maybe_sent: self.maybe_sent(),
            retry_after_ms: self.retry_after().map(|delay| delay.as_millis() as f64),
            field: self.field().map(str::to_owned),
            body_snippet: self.body_snippet().map(str::to_owned),
            timeout_phase: self.timeout_phase().map(|phase| phase.as_str().to_owned()),
            attempts: self.attempts(),
        };
        new_error(env, self.message(), details)
    }

    fn into_napi(self, env: &Env) -> napi::Error {
        match self.to_js_value(env) {
            Ok(value) => napi::Error::from(value),
            Err(err) => err,
        }
    }
}

/// Builds the error for a panic caught at the boundary: a bug in the SDK, not in the caller.
///
/// `maybe_sent` is true when a send was in flight when it happened.
pub(crate) fn internal_error(
    env: &Env,
    payload: &(dyn Any + Send),
    maybe_sent: bool,
) -> napi::Error {
    match internal_error_value(env, payload, maybe_sent) {
        Ok(value) => napi::Error::from(value),
        Err(err) => err,
    }
}

/// Builds the `ClearLineError` object of [`internal_error`].
pub(crate) fn internal_error_value<'env>(
    env: &'env Env,
    payload: &(dyn Any + Send),
    maybe_sent: bool,
) -> napi::Result<Unknown<'env>> {
    let reason = panic_message(payload);
    let consequence = if maybe_sent {
        "; the SMS may have been sent, so check before sending it again"
    } else {
        ""
    };
    let message = format!(
        "internal error in the ClearLine SDK ({reason}){consequence}. This is a bug: please \
         report it with this message"
    );
    let details = ErrorDetails {
        code: INTERNAL_CODE.to_owned(),
        status: None,
        maybe_sent,
        retry_after_ms: None,
        field: None,
        body_snippet: None,
        timeout_phase: None,
        attempts: 0,
    };
    new_error(env, &message, details)
}

fn new_error<'env>(
    env: &'env Env,
    message: &str,
    details: ErrorDetails,
) -> napi::Result<Unknown<'env>> {
    if let Some(error_class) = &env_state(env)?.error_class {
        let constructor = error_class.borrow_back(env)?;
        return constructor.new_instance(FnArgs::from((message.to_owned(), details)));
    }

    // The native module was loaded without `index.js`: fall back to a plain `Error` that still
    // carries the code.
    let plain = napi::Error::new(details.code, message);
    Ok(JsError::from(plain).into_unknown(*env))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        return format!("panic: {text}");
    }
    if let Some(text) = payload.downcast_ref::<String>() {
        return format!("panic: {text}");
    }
    "panic".to_owned()
}
