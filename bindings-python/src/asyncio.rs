//! The bridge from Rust futures to asyncio: every awaitable `AsyncClient` returns is made here.
//!
//! [`future_into_py`] creates an `asyncio.Future` on the running loop and spawns the Rust future
//! on the shared runtime. When the Rust future finishes, its result is handed back to the loop
//! with `call_soon_threadsafe`. When the asyncio future is cancelled (`task.cancel()`,
//! `asyncio.wait_for` timing out, `asyncio.run` shutting down), a done-callback aborts the Tokio
//! task, which drops the Rust future and with it the HTTP request.
//!
//! This replaces `pyo3_async_runtimes::tokio::future_into_py` for three reasons: its runtime
//! cannot be rebuilt in a forked child; a result that arrives after the loop closed makes it
//! print "RuntimeError: Event loop is closed" (PyO3/pyo3-async-runtimes#90, open), which
//! [`complete`] checks for; and its two spawns per call are overhead a send does not need.

use std::future::Future;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyTuple};
use pyo3::{intern, IntoPyObjectExt};
use tokio::task::AbortHandle;

use crate::error::ToException;
use crate::panic::Contained;
use crate::runtime;

/// Runs `future` on the shared runtime and returns an `asyncio.Future` for its result.
///
/// `Ok` values are converted with `IntoPyObject`; `Err` values become exceptions through
/// [`ToException`] (the `clearline` classes for core errors).
pub(crate) fn future_into_py<F, T, E>(py: Python<'_>, future: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
    E: ToException,
{
    let event_loop = running_loop(py)?;
    let py_future = event_loop.call_method0(intern!(py, "create_future"))?;
    let runtime = runtime::get(py)?;

    let loop_ref = event_loop.unbind();
    let future_ref = py_future.clone().unbind();
    let task = runtime.spawn(async move {
        let result = match crate::panic::contain(future).await {
            Ok(output) => output.map_err(Contained::Failed),
            Err(panic) => Err(Contained::Panicked(panic)),
        };
        // Waiting for the GIL on a worker thread would stall the worker's other tasks, so a
        // blocking-pool thread delivers the result.
        // NOTE: this costs a thread hand-off per call; batching completions would cut it.
        tokio::task::spawn_blocking(move || complete(loop_ref, future_ref, result));
    });

    let abort = AbortOnCancel {
        task: task.abort_handle(),
    };
    if let Err(err) = py_future.call_method1(intern!(py, "add_done_callback"), (abort,)) {
        task.abort();
        return Err(err);
    }
    Ok(py_future)
}

/// Returns the running event loop, or a clear error when there is none.
pub(crate) fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get_running_loop = GET_RUNNING_LOOP.import(py, "asyncio", "get_running_loop")?;
    get_running_loop.call0().map_err(|_| {
        PyRuntimeError::new_err(
            "clearline.AsyncClient methods must be awaited inside a running asyncio event loop; \
             outside async code, use clearline.Client",
        )
    })
}

/// Schedules a call on `event_loop` from any thread, unless the loop is closed.
///
/// `call` is the tuple `(callable, *args)`. A closed loop has no task left that could observe
/// the call, so it is skipped silently, also when the loop closes between the check and the call.
pub(crate) fn call_soon_threadsafe(event_loop: &Bound<'_, PyAny>, call: Bound<'_, PyTuple>) {
    let py = event_loop.py();
    if is_closed(event_loop) {
        return;
    }
    if let Err(err) = event_loop.call_method1(intern!(py, "call_soon_threadsafe"), call) {
        if !is_closed(event_loop) {
            err.write_unraisable(py, Some(event_loop));
        }
    }
}

fn is_closed(event_loop: &Bound<'_, PyAny>) -> bool {
    event_loop
        .call_method0(intern!(event_loop.py(), "is_closed"))
        .and_then(|closed| closed.is_truthy())
        .unwrap_or(true)
}

/// Hands a finished result to the loop that awaits it.
fn complete<T, E>(event_loop: Py<PyAny>, future: Py<PyAny>, result: Result<T, E>)
where
    T: for<'py> IntoPyObject<'py>,
    E: ToException,
{
    // `try_attach` returns `None` while the interpreter shuts down; the result is dropped then.
    let _ = Python::try_attach(|py| {
        let event_loop = event_loop.bind(py);
        if is_closed(event_loop) {
            return;
        }

        let outcome = match result {
            Ok(value) => value.into_bound_py_any(py).map(|value| (true, value)),
            Err(err) => err.to_exception(py).map(|exception| (false, exception)),
        };
        let (succeeded, value) = match outcome {
            Ok(pair) => pair,
            Err(conversion_failed) => (
                false,
                conversion_failed.into_value(py).into_bound(py).into_any(),
            ),
        };

        let call = set_future_result(py).and_then(|setter| {
            (setter.bind(py), future.bind(py), succeeded, value).into_pyobject(py)
        });
        match call {
            Ok(call) => call_soon_threadsafe(event_loop, call),
            Err(err) => err.write_unraisable(py, Some(event_loop)),
        }
    });
}

/// Returns the `_set_future_result(future, succeeded, value)` function, built once.
fn set_future_result(py: Python<'_>) -> PyResult<&Py<PyCFunction>> {
    static SETTER: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();
    SETTER.get_or_try_init(py, || {
        Ok::<_, PyErr>(wrap_pyfunction!(set_future_result_on_loop, py)?.unbind())
    })
}

/// Sets the result or exception of `future`, unless it is already done (cancelled meanwhile).
/// Runs on the loop's thread.
#[pyfunction]
fn set_future_result_on_loop(
    future: &Bound<'_, PyAny>,
    succeeded: bool,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = future.py();
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    if succeeded {
        future.call_method1(intern!(py, "set_result"), (value,))?;
    } else {
        future.call_method1(intern!(py, "set_exception"), (value,))?;
    }
    Ok(())
}

/// The done-callback that aborts the Tokio task when its asyncio future is cancelled.
#[pyclass(frozen)]
struct AbortOnCancel {
    task: AbortHandle,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future
            .call_method0(intern!(future.py(), "cancelled"))?
            .is_truthy()?
        {
            self.task.abort();
        }
        Ok(())
    }
}
