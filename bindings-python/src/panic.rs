//! Keeps Rust panics from reaching Python as `pyo3_runtime.PanicException`.
//!
//! pyo3 raises a panic that reaches a Python call as `PanicException`, which derives from
//! `BaseException` and so escapes `except Exception`. A panic inside a task on the shared runtime
//! would instead leave its asyncio future pending forever. The entry points that run core code
//! (`runtime::block_on`, `asyncio::future_into_py` and `parse_callback`) contain panics here and
//! raise `clearline.InternalError`, the counterpart of the Node package's `CLEARLINE_INTERNAL`.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures_util::FutureExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::ToException;

/// A panic caught at the boundary, with its message.
pub(crate) struct Panic {
    reason: String,
}

impl Panic {
    fn from_payload(payload: Box<dyn Any + Send>) -> Panic {
        let reason = if let Some(text) = payload.downcast_ref::<&str>() {
            format!("panic: {text}")
        } else if let Some(text) = payload.downcast_ref::<String>() {
            format!("panic: {text}")
        } else {
            "panic".to_owned()
        };
        Panic { reason }
    }

    /// Builds the `InternalError` instance. `maybe_sent` is true when a send could have been in
    /// flight when the panic happened.
    pub(crate) fn exception<'py>(
        &self,
        py: Python<'py>,
        maybe_sent: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let consequence = if maybe_sent {
            "; an SMS being sent may have gone out, so check before sending it again"
        } else {
            ""
        };
        let message = format!(
            "internal error in the ClearLine SDK ({}){consequence}. This is a bug: please report \
             it with this message",
            self.reason
        );
        let kwargs = PyDict::new(py);
        kwargs.set_item("maybe_sent", maybe_sent)?;
        py.import("clearline.error")?
            .getattr("InternalError")?
            .call((message,), Some(&kwargs))
    }

    pub(crate) fn into_pyerr(self, py: Python<'_>, maybe_sent: bool) -> PyErr {
        match self.exception(py, maybe_sent) {
            Ok(instance) => PyErr::from_value(instance),
            Err(lookup_failed) => lookup_failed,
        }
    }
}

/// Runs `future` and returns its output, or the panic it raised.
pub(crate) async fn contain<F: Future>(future: F) -> Result<F::Output, Panic> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(Panic::from_payload)
}

/// Runs a synchronous call, raising `InternalError` if it panics.
pub(crate) fn guard<T>(py: Python<'_>, call: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result,
        Err(payload) => Err(Panic::from_payload(payload).into_pyerr(py, false)),
    }
}

/// The error of a future run by [`contain`]: its own error, or a panic.
pub(crate) enum Contained<E> {
    Failed(E),
    Panicked(Panic),
}

impl<E: ToException> ToException for Contained<E> {
    fn to_exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Contained::Failed(err) => err.to_exception(py),
            Contained::Panicked(panic) => panic.exception(py, true),
        }
    }
}

/// Panics on purpose, so the package's tests can check that no panic reaches Python: in a
/// synchronous call for `"sync"`, in a blocking call on the runtime for `"blocking"`, and in an
/// awaitable for `"async"`. Not part of the public API.
#[pyfunction]
#[pyo3(name = "_panic_for_testing")]
pub(crate) fn panic_for_testing<'py>(py: Python<'py>, kind: &str) -> PyResult<Bound<'py, PyAny>> {
    match kind {
        "blocking" => {
            crate::runtime::block_on(py, async { requested_panic::<()>() })?;
            Ok(py.None().into_bound(py))
        }
        "async" => crate::asyncio::future_into_py(py, async {
            requested_panic::<Result<(), clearline::Error>>()
        }),
        _ => guard(py, requested_panic),
    }
}

#[allow(clippy::panic)]
fn requested_panic<T>() -> T {
    panic!("panic requested by a test")
}
