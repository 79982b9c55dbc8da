//! The one place where core errors become Python exceptions.
//!
//! The exception classes are defined in Python (`clearline/error.py`) because several of them
//! derive from both `ClearLineError` and a builtin (`ValueError`, `TimeoutError`,
//! `ConnectionError`), which is simplest to express there. This module looks the classes up
//! lazily, the first time an error is raised, so importing `clearline._native` never imports
//! `clearline.error` (and the package can import the native module first).

use clearline::ErrorKind;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// Converts a core result into a Python one, raising the matching `clearline` exception.
pub(crate) trait ErrorExt<T> {
    /// Returns the value, or the core error as a `ClearLineError` subclass.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> ErrorExt<T> for Result<T, clearline::Error> {
    fn or_raise(self) -> PyResult<T> {
        // Attaching is cheap when the thread is already attached, the usual case here.
        self.map_err(|err| Python::attach(|py| to_pyerr(py, &err)))
    }
}

/// Builds the Python exception for a core error.
pub(crate) fn to_pyerr(py: Python<'_>, err: &clearline::Error) -> PyErr {
    match exception_instance(py, err) {
        Ok(instance) => PyErr::from_value(instance),
        Err(lookup_failed) => lookup_failed,
    }
}

/// Builds the exception instance for a core error, for callers that return it rather than raise
/// it (`send_many` results).
pub(crate) fn exception_instance<'py>(
    py: Python<'py>,
    err: &clearline::Error,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = err.kind();
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", err.status())?;
    kwargs.set_item("maybe_sent", err.maybe_sent())?;
    kwargs.set_item("body_snippet", err.body_snippet())?;
    kwargs.set_item("attempts", err.attempts())?;
    match kind {
        ErrorKind::Validation | ErrorKind::CallbackParse => {
            kwargs.set_item("field", err.field())?;
        }
        ErrorKind::RateLimited => {
            kwargs.set_item("retry_after", err.retry_after().map(|d| d.as_secs_f64()))?;
        }
        ErrorKind::Timeout => {
            kwargs.set_item("timeout_phase", err.timeout_phase().map(|p| p.as_str()))?;
        }
        _ => {}
    }

    let class = error_module(py)?.getattr(class_name(kind))?;
    class.call((err.message(),), Some(&kwargs))
}

/// An error that becomes a Python exception instance, for results handed to asyncio.
pub(crate) trait ToException: Send + 'static {
    /// Builds the exception instance.
    fn to_exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

impl ToException for clearline::Error {
    fn to_exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        exception_instance(py, self)
    }
}

/// Builds a `ConfigurationError` for an invalid client or call option the binding checks itself
/// (a negative timeout, an out-of-range `max_retries`), before the core sees it.
pub(crate) fn configuration_error(py: Python<'_>, message: String) -> PyErr {
    let instance = error_module(py)
        .and_then(|module| module.getattr("ConfigurationError"))
        .and_then(|class| class.call1((message,)));
    match instance {
        Ok(instance) => PyErr::from_value(instance),
        Err(lookup_failed) => lookup_failed,
    }
}

/// Builds the error raised when a closed client is used.
pub(crate) fn client_closed(class: &str) -> PyErr {
    PyRuntimeError::new_err(format!(
        "this {class} is closed; create a new clearline.{class} to send again"
    ))
}

/// Returns the name of the Python class of a kind.
///
/// The names must match the classes defined in `clearline/error.py`.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Configuration => "ConfigurationError",
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::Rejected => "RejectedError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Server => "ServerError",
        ErrorKind::UnexpectedResponse => "UnexpectedResponseError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Connection => "ConnectionError",
        ErrorKind::CallbackParse => "CallbackParseError",
        // A kind added to the core after this binding was built still gets the common base.
        _ => "ClearLineError",
    }
}

fn error_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("clearline.error")?.unbind())
        })
        .map(|module| module.bind(py))
}
