//! The Tokio runtime every client shares, and what happens to it across `fork()`.
//!
//! A Tokio runtime does not survive `fork()`: the child gets the runtime's memory but none of
//! its worker threads, so a task spawned there would never run. The runtime is therefore tied to
//! the process id that created it. When [`get`] sees another process id, it is in a forked child
//! and builds a fresh runtime. The old one is leaked on purpose, because dropping it would wait
//! for worker threads that do not exist in the child. Clients rebuild their connection pool in
//! the same situation (see `client.rs`).

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a blocking call wakes up to let Python handle signals such as Ctrl-C.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// The runtime and the process id that built it.
///
/// Locked only while attached to the interpreter and without calling Python inside, so no other
/// thread holds it when Python's `os.fork()` runs (the forking thread holds the GIL then), and
/// the child never finds it locked by a thread that no longer exists.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// Returns the runtime of the current process, building it on first use and after a fork.
pub(crate) fn get(_attached: Python<'_>) -> PyResult<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot {
        if owner == pid {
            return Ok(runtime);
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("clearline-worker")
        .enable_all()
        .build()
        .map_err(|err| {
            PyRuntimeError::new_err(format!(
                "failed to start the ClearLine I/O runtime: {err}; check the process limits on \
                 threads"
            ))
        })?;
    // Leaked: the runtime lives as long as the process, and a forked child leaks its parent's
    // (see the module docs).
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    Ok(runtime)
}

/// Runs `future` to completion on the calling thread without holding the GIL.
///
/// Every [`SIGNAL_CHECK_INTERVAL`] it re-attaches to let Python run signal handlers; when one
/// raises (Ctrl-C raises `KeyboardInterrupt`), the future is dropped, which aborts its HTTP
/// request, and the exception propagates.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    block_on_with(py, future, std::future::pending::<()>, |_| Ok(()))
}

/// Like [`block_on`], and calls `on_wake` on the calling thread, attached, each time the future
/// made by `wake` completes.
pub(crate) fn block_on_with<F, W, WF>(
    py: Python<'_>,
    future: F,
    mut wake: W,
    mut on_wake: impl FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
    W: FnMut() -> WF + Send,
    WF: Future<Output = ()> + Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a blocking clearline.Client call was made on a ClearLine runtime thread (from a \
             logging handler, for example); use clearline.AsyncClient there, or hand the call \
             to another thread",
        ));
    }
    let runtime = get(py)?;

    let mut future = std::pin::pin!(crate::panic::contain(future));
    loop {
        let step = py.detach(|| {
            runtime.block_on(async {
                tokio::select! {
                    output = future.as_mut() => Step::Done(output),
                    () = wake() => Step::Woken,
                    () = tokio::time::sleep(SIGNAL_CHECK_INTERVAL) => Step::CheckSignals,
                }
            })
        });
        match step {
            Step::Done(Ok(output)) => return Ok(output),
            Step::Done(Err(panic)) => return Err(panic.into_pyerr(py, true)),
            Step::Woken => on_wake(py)?,
            Step::CheckSignals => py.check_signals()?,
        }
    }
}

enum Step<T> {
    Done(T),
    Woken,
    CheckSignals,
}
