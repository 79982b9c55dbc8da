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
//!
//! Sends settle through one completion queue per JavaScript environment rather than one
//! Promise each: [`spawn_promise`] creates a threadsafe function per call, which costs more
//! than the rest of a send's work on the JavaScript thread. A finished send is pushed onto the
//! queue, and the first push into an empty queue wakes the JavaScript thread through the
//! environment's one threadsafe function. `lib/runtime.js` then takes everything queued in one
//! call and settles the Promises it keeps by id.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use clearline::{Encoding, SendReceipt};
use futures_util::FutureExt;
use napi::bindgen_prelude::{Array, Function, PromiseRaw, ToNapiValue};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Result, Status};
use napi_derive::napi;

use crate::error::{internal_error, internal_error_value, ErrorConstructor, ErrorExt};
use crate::packed::Packer;

/// State kept per JavaScript environment (the main thread and each worker have their own),
/// touched only on that environment's thread.
#[derive(Default)]
pub(crate) struct EnvState {
    /// The `ClearLineError` constructor `lib/error.js` registered.
    pub(crate) error_class: Option<ErrorConstructor>,
    /// The queue of finished sends, once `lib/runtime.js` registered its handler.
    completions: Option<Completions>,
}

/// Returns this environment's state, creating it on first use.
pub(crate) fn env_state(env: &Env) -> Result<&'static mut EnvState> {
    if env.get_instance_data::<EnvState>()?.is_none() {
        env.set_instance_data(EnvState::default(), (), |_| {})?;
    }
    env.get_instance_data::<EnvState>()?
        .ok_or_else(|| napi::Error::from_reason("the per-environment state could not be stored"))
}

/// The outcome of a finished send, waiting in the queue for the JavaScript thread.
pub(crate) enum Outcome {
    Sent(SendReceipt),
    Failed(clearline::Error),
    /// Its cancellation token was cancelled first.
    Aborted,
    /// The future panicked; the payload describes the panic.
    Panicked(Box<dyn Any + Send>),
}

/// Tags of the packed completions; `lib/runtime.js` reads the same values.
const TAG_SENT: u16 = 0;
const TAG_FAILED: u16 = 1;
const TAG_ABORTED: u16 = 2;

/// Wakes the JavaScript thread. Weak, so an idle queue never keeps the event loop alive;
/// `holdEventLoop` references it while sends are pending.
type Notify = ThreadsafeFunction<(), (), (), Status, false, true>;

struct Queue {
    finished: Vec<(u32, Outcome)>,
    notify: Notify,
}

/// The queue of one environment, shared with the futures of its sends.
#[derive(Clone)]
pub(crate) struct Completions {
    queue: Arc<Mutex<Queue>>,
}

impl Completions {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The lock is never held across code that can panic, so a poisoned queue is intact.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues the outcome of send `id`, and wakes the JavaScript thread if the queue was empty.
    fn push(&self, id: u32, outcome: Outcome) {
        let mut queue = self.lock();
        queue.finished.push((id, outcome));
        if queue.finished.len() == 1 {
            // A failed call means the environment is shutting down, so no Promise is waiting any more.
            queue
                .notify
                .call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// Returns the completion queue of this environment.
pub(crate) fn completions(env: &Env) -> Result<Completions> {
    env_state(env)?.completions.clone().ok_or_else(|| {
        napi::Error::from_reason(
            "the completion handler is not registered; load the package through index.js",
        )
    })
}

/// Runs a send's `future` on the runtime and queues its outcome as send `id`. `None` means the
/// send was aborted.
pub(crate) fn spawn_send<F>(completions: Completions, id: u32, future: F)
where
    F: Future<Output = Option<clearline::Result<SendReceipt>>> + Send + 'static,
{
    napi::bindgen_prelude::spawn(async move {
        let outcome = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(Some(Ok(receipt))) => Outcome::Sent(receipt),
            Ok(Some(Err(err))) => Outcome::Failed(err),
            Ok(None) => Outcome::Aborted,
            Err(payload) => Outcome::Panicked(payload),
        };
        completions.push(id, outcome);
    });
}

/// Registers the function the queue calls, without arguments, when finished sends are waiting.
/// `lib/runtime.js` calls it once per environment when it loads.
#[napi(js_name = "registerCompletionHandler")]
pub fn register_completion_handler(env: Env, handler: Function<(), ()>) -> Result<()> {
    let notify: Notify = handler
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    env_state(&env)?.completions = Some(Completions {
        queue: Arc::new(Mutex::new(Queue {
            finished: Vec::new(),
            notify,
        })),
    });
    Ok(())
}

/// Makes the completion queue keep the event loop alive (`true`, while sends are pending) or not
/// (`false`, when none is).
#[napi(js_name = "holdEventLoop")]
#[allow(deprecated)] // napi-rs 3.16 deprecates `refer` and `unref` but has no replacement for them.
pub fn hold_event_loop(env: Env, hold: bool) -> Result<()> {
    let completions = completions(&env)?;
    let mut queue = completions.lock();
    if hold {
        queue.notify.refer(&env)
    } else {
        queue.notify.unref(&env)
    }
}

/// Takes every queued completion, packed by [`pack_outcomes`].
#[napi(js_name = "takeCompletions")]
pub fn take_completions(env: &Env) -> Result<Array<'_>> {
    guard(env, || {
        let finished = std::mem::take(&mut completions(env)?.lock().finished);
        pack_outcomes(env, finished)
    })
}

/// Packs outcomes into an array whose first element is a packed string (see `src/packed.rs`)
/// with, per outcome, its id as a number and a tag. Receipts follow the sent tag as messageId,
/// phone, segments, encoding (0 for GSM-7, 1 for UCS-2) and attempts. The failed tag takes its
/// `ClearLineError` from the array's next element, in order. `lib/runtime.js` reads it.
pub(crate) fn pack_outcomes(
    env: &Env,
    outcomes: impl IntoIterator<Item = (u32, Outcome)>,
) -> Result<Array<'_>> {
    let outcomes = outcomes.into_iter();
    // A receipt packs into about 60 code units.
    let mut packer = Packer::with_capacity(outcomes.size_hint().0 * 64);
    let mut errors = Vec::new();
    for (id, outcome) in outcomes {
        packer.number(id);
        match outcome {
            Outcome::Sent(receipt) => {
                packer.unit(TAG_SENT);
                packer.text(receipt.message_id());
                packer.text(receipt.phone());
                packer.number(receipt.segments());
                packer.unit(match receipt.encoding() {
                    Encoding::Gsm7 => 0,
                    Encoding::Ucs2 => 1,
                });
                packer.number(receipt.attempts());
            }
            Outcome::Failed(err) => {
                packer.unit(TAG_FAILED);
                errors.push(err.to_js_value(env)?);
            }
            Outcome::Aborted => packer.unit(TAG_ABORTED),
            Outcome::Panicked(payload) => {
                packer.unit(TAG_FAILED);
                errors.push(internal_error_value(env, payload.as_ref(), true)?);
            }
        }
    }

    let mut array = env.create_array(1 + errors.len() as u32)?;
    array.set(0, packer.finish())?;
    for (index, error) in errors.into_iter().enumerate() {
        array.set(1 + index as u32, error)?;
    }
    Ok(array)
}

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
