//! Runs core futures on napi-rs's Tokio runtime and settles their Promises on the JavaScript
//! thread, with panics contained.
//!
//! napi-rs (3.16) creates one multi-threaded Tokio runtime per process when the first environment
//! loads the addon, and shuts it down when the last environment exits. A process that loads the
//! addon only in `worker_threads` workers therefore gets a fresh runtime whenever a worker starts
//! after all others exited. The runtime's threads are not libuv handles: only a pending Promise
//! keeps the event loop alive, so the process exits once the last one settles.
//!
//! A panic in a future rejects its Promise with a `CLEARLINE_INTERNAL` error, and a panic in a
//! synchronous call throws one, instead of leaving the Promise pending or aborting Node.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures_util::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, Result};
use napi_derive::napi;

use crate::error::internal_error;

/// Spawns `future` on the runtime and returns its Promise, which `settle` resolves or rejects on
/// the JavaScript thread with the future's output.
///
/// `maybe_sent` is true when a panic in the future could happen with a send in flight.
pub(crate) fn spawn_promise<'env, T, V, F, S>(
    env: &'env Env,
    future: F,
    maybe_sent: bool,
    settle: S,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = T> + Send + 'static,
    S: FnOnce(&'env Env, T) -> Result<V> + 'static,
{
    let guarded = async move { Ok(AssertUnwindSafe(future).catch_unwind().await) };
    env.spawn_future_with_callback(guarded, move |env, outcome| match outcome {
        Ok(output) => settle(env, output),
        Err(payload) => Err(internal_error(env, payload.as_ref(), maybe_sent)),
    })
}

/// Runs a synchronous call and turns a panic in it into a thrown `CLEARLINE_INTERNAL` error.
pub(crate) fn guard<T>(env: &Env, call: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result,
        Err(payload) => Err(internal_error(env, payload.as_ref(), false)),
    }
}

/// Panics on purpose, so the package's tests can check that a panic becomes a
/// `CLEARLINE_INTERNAL` error: thrown for `"sync"`, a rejected Promise for `"async"`.
///
/// Not part of the public API: `index.js` does not export it.
#[napi(js_name = "__panicForTesting")]
#[allow(clippy::panic)]
pub fn panic_for_testing<'env>(env: &'env Env, kind: String) -> Result<PromiseRaw<'env, ()>> {
    if kind == "async" {
        return spawn_promise(
            env,
            async { panic!("panic requested by a test") },
            false,
            |_, ()| Ok(()),
        );
    }
    guard(env, || panic!("panic requested by a test"))
}
