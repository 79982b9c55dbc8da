//! `clearline.testing.Sandbox`: the in-process ClearLine simulator, for tests and demos.
//!
//! The sandbox (crate `clearline-sandbox`) runs on the same shared runtime as the clients, so
//! it serves requests while a blocking `Client.send` waits with the GIL released, and while an
//! asyncio loop runs. This module only converts its configuration, records and errors.
//!
//! The records it returns are in `record.rs`, and the faults it injects in `fault.rs`.
//!
//! A sandbox does not survive `fork()`: its server runs on the parent's runtime, whose threads
//! the child does not have. In a forked child its methods raise `RuntimeError` saying so, rather
//! than return the records the parent had at the fork, and `stop()` leaks the server without
//! stopping it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clearline_sandbox::{SandboxConfig, SandboxError};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::asyncio::{future_into_py, running_loop};
use crate::client::{AsyncClient, Client};
use crate::convert::{self, py_repr, Arg};
use crate::error::ToException;
use crate::runtime;

mod fault;
mod record;

pub(crate) use fault::Fault;
pub(crate) use record::{CallbackAttempt, CallbackOutcome, ReceivedMessage};

/// A ClearLine simulator on 127.0.0.1, for tests and demos.
///
/// Start it with `with` / `async with` or `start()`.
#[pyclass(frozen, subclass, module = "clearline.testing")]
pub(crate) struct Sandbox {
    config: SandboxConfig,
    /// Locked only while attached and without calling Python, like the runtime's slot, so a
    /// fork never leaves it locked in the child.
    running: Mutex<Option<Running>>,
}

/// A started server and the id of the process that started it.
struct Running {
    pid: u32,
    sandbox: Arc<clearline_sandbox::Sandbox>,
}

impl Sandbox {
    /// Returns the running sandbox, or the error for one not started, already stopped, or
    /// started before a fork.
    fn running(&self) -> PyResult<Arc<clearline_sandbox::Sandbox>> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*running {
            Some(running) if running.pid == std::process::id() => Ok(running.sandbox.clone()),
            Some(running) => Err(forked_error(running.pid)),
            None => Err(PyRuntimeError::new_err(
                "the sandbox is not running; use it inside `with Sandbox() as sandbox:` (or \
                 `async with`), or call start() first",
            )),
        }
    }

    fn start_blocking(&self, py: Python<'_>) -> PyResult<()> {
        {
            let running = self
                .running
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match &*running {
                Some(running) if running.pid == std::process::id() => return Ok(()),
                Some(running) => return Err(forked_error(running.pid)),
                None => {}
            }
        }
        let config = self.config.clone();
        let started = runtime::block_on(py, clearline_sandbox::Sandbox::start(config))?;
        let sandbox = started.map_err(|err| sandbox_error(&err))?;
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *running = Some(Running {
            pid: std::process::id(),
            sandbox: Arc::new(sandbox),
        });
        Ok(())
    }

    fn make_client<'py>(
        &self,
        class: Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sandbox = self.running()?;
        let kwargs = match options {
            Some(options) => options.copy()?,
            None => PyDict::new(class.py()),
        };
        kwargs.set_item("base_url", sandbox.base_url())?;
        // The client checks lengths before sending, so it gets the sandbox's maximum unless the
        // caller passes one.
        let max_chars_given = kwargs
            .get_item("max_message_chars")?
            .is_some_and(|value| !value.is_none());
        if !max_chars_given {
            kwargs.set_item("max_message_chars", sandbox.config().max_message_chars)?;
        }
        class.call((sandbox.api_key(),), Some(&kwargs))
    }

    /// Takes the running sandbox to stop it; `None` when there is none in this process.
    fn take_running(&self) -> Option<Arc<clearline_sandbox::Sandbox>> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()?;
        forget_if_forked(running)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(running) = running {
            // Dropped at the end of the statement when this process started it.
            forget_if_forked(running);
        }
    }
}

/// Returns the sandbox when this process started it. In a forked child it leaks it instead:
/// stopping or dropping it would wait on the parent's runtime, whose threads the child does not
/// have (see `runtime.rs`).
fn forget_if_forked(running: Running) -> Option<Arc<clearline_sandbox::Sandbox>> {
    if running.pid == std::process::id() {
        Some(running.sandbox)
    } else {
        std::mem::forget(running.sandbox);
        None
    }
}

/// Builds the error for a sandbox used in a process forked after it started.
fn forked_error(owner: u32) -> PyErr {
    PyRuntimeError::new_err(format!(
        "this Sandbox was started in process {owner} and cannot be used after fork(), because \
         its server runs on that process's threads; create and start a new Sandbox in this \
         process"
    ))
}

/// Stops a sandbox that no other reference keeps, waiting for its tasks; otherwise cancels them
/// when the last reference drops.
async fn stop(sandbox: Arc<clearline_sandbox::Sandbox>) {
    if let Ok(sandbox) = Arc::try_unwrap(sandbox) {
        sandbox.stop().await;
    }
}

#[pymethods]
impl Sandbox {
    #[new]
    #[pyo3(signature = (
        *, api_key=None, port=0, callback_delay=None, callback_max_attempts=None,
        callback_retry_backoff=None, callback_timeout=None, max_message_chars=None
    ))]
    fn new(
        api_key: Option<&Bound<'_, PyAny>>,
        port: u16,
        callback_delay: Option<&Bound<'_, PyAny>>,
        callback_max_attempts: Option<&Bound<'_, PyAny>>,
        callback_retry_backoff: Option<&Bound<'_, PyAny>>,
        callback_timeout: Option<&Bound<'_, PyAny>>,
        max_message_chars: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let arg = |name| Arg::new("Sandbox", name);
        let mut config = SandboxConfig {
            port,
            api_key: convert::option_text(api_key, arg("api_key"))?,
            ..SandboxConfig::default()
        };
        if let Some(delay) = callback_delay.filter(|value| !value.is_none()) {
            config.callback_delay = seconds_or_zero(delay, arg("callback_delay"))?;
        }
        if let Some(attempts) = callback_max_attempts.filter(|value| !value.is_none()) {
            config.callback_max_attempts =
                convert::count(attempts, arg("callback_max_attempts"), 1)?;
        }
        if let Some(backoff) = callback_retry_backoff.filter(|value| !value.is_none()) {
            config.callback_retry_backoff =
                seconds_or_zero(backoff, arg("callback_retry_backoff"))?;
        }
        if let Some(timeout) = convert::optional_seconds(callback_timeout, arg("callback_timeout"))?
        {
            config.callback_timeout = timeout;
        }
        if let Some(max_chars) = max_message_chars.filter(|value| !value.is_none()) {
            config.max_message_chars =
                convert::count(max_chars, arg("max_message_chars"), 1)? as usize;
        }

        Ok(Sandbox {
            config,
            running: Mutex::new(None),
        })
    }

    /// Start the server; does nothing when it is already running.
    fn start(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        slf.get().start_blocking(slf.py())?;
        Ok(slf.clone().unbind())
    }

    /// Stop the server and every callback task, and wait for them to end.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(sandbox) = self.take_running() {
            runtime::block_on(py, stop(sandbox))?;
        }
        Ok(())
    }

    fn __enter__(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        Sandbox::start(slf)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.stop(py)
    }

    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let event_loop = running_loop(py)?;
        // Binding a loopback port takes well under a millisecond, so starting blocks briefly.
        slf.get().start_blocking(py)?;
        let future = event_loop.call_method0("create_future")?;
        future.call_method1("set_result", (slf,))?;
        Ok(future)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_info: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sandbox = self.take_running();
        future_into_py(py, async move {
            if let Some(sandbox) = sandbox {
                stop(sandbox).await;
            }
            Ok::<_, SandboxError>(())
        })
    }

    /// The number whose SMS fails with the gateway status `Failed`.
    #[classattr]
    const FAILED_NUMBER: &'static str = clearline_sandbox::delivery::FAILED_NUMBER;

    /// The number whose SMS fails with the gateway status `Expired`.
    #[classattr]
    const EXPIRED_NUMBER: &'static str = clearline_sandbox::delivery::EXPIRED_NUMBER;

    /// The number whose SMS fails with the gateway status `Rejected`.
    #[classattr]
    const REJECTED_NUMBER: &'static str = clearline_sandbox::delivery::REJECTED_NUMBER;

    /// Create a `clearline.Client` for this sandbox; `options` are the client's keywords, and
    /// `max_message_chars` defaults to the sandbox's.
    #[pyo3(signature = (**options))]
    fn client<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.make_client(py.get_type::<Client>().into_any(), options)
    }

    /// Create a `clearline.AsyncClient` for this sandbox; `options` are the client's keywords,
    /// and `max_message_chars` defaults to the sandbox's.
    #[pyo3(signature = (**options))]
    fn async_client<'py>(
        &self,
        py: Python<'py>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.make_client(py.get_type::<AsyncClient>().into_any(), options)
    }

    /// The base URL to give a client, such as "http://127.0.0.1:PORT".
    #[getter]
    fn base_url(&self) -> PyResult<String> {
        Ok(self.running()?.base_url().to_owned())
    }

    /// The API key the sandbox accepts.
    #[getter]
    fn api_key(&self) -> PyResult<String> {
        Ok(self.running()?.api_key().to_owned())
    }

    /// The port on 127.0.0.1.
    #[getter]
    fn port(&self) -> PyResult<u16> {
        Ok(self.running()?.port())
    }

    /// The longest accepted message, in Unicode characters; `client()` uses it too.
    #[getter]
    fn max_message_chars(&self) -> usize {
        self.config.max_message_chars
    }

    /// The number of sends that will still get an injected fault.
    #[getter]
    fn pending_faults(&self) -> PyResult<u64> {
        Ok(self.running()?.pending_faults())
    }

    /// Return the accepted messages, oldest first.
    fn messages(&self) -> PyResult<Vec<ReceivedMessage>> {
        let messages = self.running()?.messages();
        Ok(messages.into_iter().map(ReceivedMessage::from).collect())
    }

    /// Return every POST of a delivery report, in the order they were made.
    fn callback_attempts(&self) -> PyResult<Vec<CallbackAttempt>> {
        let attempts = self.running()?.callback_attempts();
        Ok(attempts.into_iter().map(CallbackAttempt::from).collect())
    }

    /// Return the final result of each delivery report so far, in the order they were decided.
    fn callback_outcomes(&self) -> PyResult<Vec<CallbackOutcome>> {
        let outcomes = self.running()?.callback_outcomes();
        Ok(outcomes.into_iter().map(CallbackOutcome::from).collect())
    }

    /// Wait until `count` delivery reports have a final outcome; blocks the calling thread.
    #[pyo3(signature = (count, timeout=None))]
    fn wait_for_callbacks(
        &self,
        py: Python<'_>,
        count: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<CallbackOutcome>> {
        let function = "Sandbox.wait_for_callbacks";
        let count = convert::count(count, Arg::new(function, "count"), 0)? as usize;
        let timeout = wait_timeout(timeout, function)?;
        let sandbox = self.running()?;
        let waited = runtime::block_on(py, async move {
            sandbox.wait_for_callbacks(count, timeout).await
        })?;
        let outcomes = waited.map_err(|err| sandbox_error(&err))?;
        Ok(outcomes.into_iter().map(CallbackOutcome::from).collect())
    }

    /// Like `wait_for_callbacks`, as an awaitable that leaves the event loop running.
    #[pyo3(signature = (count, timeout=None))]
    fn wait_for_callbacks_async<'py>(
        &self,
        py: Python<'py>,
        count: &Bound<'py, PyAny>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let function = "Sandbox.wait_for_callbacks_async";
        let count = convert::count(count, Arg::new(function, "count"), 0)? as usize;
        let timeout = wait_timeout(timeout, function)?;
        let sandbox = self.running()?;
        future_into_py(py, async move {
            let outcomes = sandbox.wait_for_callbacks(count, timeout).await?;
            Ok::<_, SandboxError>(
                outcomes
                    .into_iter()
                    .map(CallbackOutcome::from)
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// Make the next `times` sends get `fault` instead of the normal response.
    #[pyo3(signature = (fault, times=None), text_signature = "($self, fault, times=1)")]
    fn inject_fault(&self, fault: &Fault, times: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let times = match times {
            Some(times) => convert::count(times, Arg::new("Sandbox.inject_fault", "times"), 0)?,
            None => 1,
        };
        self.running()?.inject_fault(fault.fault.clone(), times);
        Ok(())
    }

    /// Drop every injected fault not used yet.
    fn clear_faults(&self) -> PyResult<()> {
        self.running()?.clear_faults();
        Ok(())
    }

    /// Forget messages, callback attempts, outcomes and faults.
    fn reset(&self) -> PyResult<()> {
        self.running()?.reset();
        Ok(())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        match self.running() {
            Ok(sandbox) => Ok(format!(
                "<clearline.testing.Sandbox base_url={}>",
                py_repr(py, sandbox.base_url())?
            )),
            Err(_) => Ok("<clearline.testing.Sandbox not running>".to_owned()),
        }
    }
}

fn wait_timeout(timeout: Option<&Bound<'_, PyAny>>, function: &str) -> PyResult<Duration> {
    let timeout = convert::optional_seconds(timeout, Arg::new(function, "timeout"))?;
    Ok(timeout.unwrap_or(Duration::from_secs(5)))
}

/// Extracts a duration that may be zero (a callback delay, a backoff).
fn seconds_or_zero(value: &Bound<'_, PyAny>, arg: Arg<'_>) -> PyResult<Duration> {
    let zero = value.extract::<f64>().is_ok_and(|seconds| seconds == 0.0);
    if zero && !value.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(Duration::ZERO);
    }
    convert::seconds(value, arg)
}

/// Converts a sandbox error: a timed-out wait becomes `TimeoutError`, a bad setting
/// `ValueError`, and a failed start `RuntimeError`.
fn sandbox_error(err: &SandboxError) -> PyErr {
    let message = err.to_string();
    match err {
        SandboxError::Timeout { .. } => PyTimeoutError::new_err(message),
        SandboxError::InvalidConfig(_) => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

impl ToException for SandboxError {
    fn to_exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(sandbox_error(self).into_value(py).into_bound(py).into_any())
    }
}
