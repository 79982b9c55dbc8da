//! `Client` (blocking), `AsyncClient` (asyncio) and the `SendReceipt` both return.
//!
//! Both clients wrap one core `clearline::Client` and share its connection pool between threads
//! and tasks. The blocking client releases the GIL while it waits; the async client returns
//! asyncio futures (see `asyncio.rs`). After a fork, a client rebuilds its core client, because
//! the parent's pooled connections belong to the parent's runtime (see `runtime.rs`).

use std::sync::Mutex;

use clearline::{mask_phone, ClientBuilder, Environment, SendOptions, SendRequest};
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

use crate::asyncio::{future_into_py, running_loop};
use crate::bulk::{self, BulkCall};
use crate::convert::{self, py_repr, Arg};
use crate::error::{client_closed, ErrorExt};
use crate::{logging, runtime, VERSION};

/// The state both client classes share: the configuration and the core client built from it.
struct Shared {
    /// The Python class name, for messages.
    class: &'static str,
    builder: ClientBuilder,
    state: Mutex<State>,
}

enum State {
    Open { pid: u32, client: clearline::Client },
    Closed,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    fn new(
        class: &'static str,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_message_chars: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Shared> {
        let arg = |name| Arg::new(class, name);
        let mut builder =
            clearline::Client::builder().user_agent_suffix(format!("clearline-python/{VERSION}"));

        if let Some(api_key) = convert::option_text(api_key, arg("api_key"))? {
            builder = builder.api_key(api_key);
        }
        if let Some(environment) = convert::option_text(environment, arg("environment"))? {
            builder = builder.environment(environment.parse::<Environment>().or_raise()?);
        }
        if let Some(base_url) = convert::option_text(base_url, arg("base_url"))? {
            builder = builder.base_url(base_url);
        }
        if let Some(timeout) = convert::optional_seconds(timeout, arg("timeout"))? {
            builder = builder.timeout(timeout);
        }
        if let Some(timeout) = convert::optional_seconds(connect_timeout, arg("connect_timeout"))? {
            builder = builder.connect_timeout(timeout);
        }
        if let Some(max_retries) = max_retries.filter(|value| !value.is_none()) {
            builder = builder.max_retries(convert::count(max_retries, arg("max_retries"), 0)?);
        }
        if let Some(max_chars) = max_message_chars.filter(|value| !value.is_none()) {
            let max_chars = convert::count(max_chars, arg("max_message_chars"), 1)?;
            builder = builder.max_message_chars(max_chars as usize);
        }

        let client = builder.clone().build().or_raise()?;
        Ok(Shared {
            class,
            builder,
            state: Mutex::new(State::Open {
                pid: std::process::id(),
                client,
            }),
        })
    }

    /// Returns the core client of this process, rebuilding it in a forked child.
    fn client(&self, _attached: Python<'_>) -> PyResult<clearline::Client> {
        let pid = std::process::id();
        // Locked only while attached and without calling Python, like the runtime's slot, so a
        // fork never leaves it locked in the child.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let rebuilt = match &mut *state {
            State::Closed => return Err(client_closed(self.class)),
            State::Open { pid: owner, client } if *owner == pid => return Ok(client.clone()),
            State::Open { pid: owner, client } => {
                let fresh = self.builder.clone().build();
                if let Ok(fresh) = &fresh {
                    // The parent's client holds connections registered with the parent's
                    // runtime; dropping them here could block on its locks, so it is leaked.
                    std::mem::forget(std::mem::replace(client, fresh.clone()));
                    *owner = pid;
                }
                fresh
            }
        };
        drop(state);
        rebuilt.or_raise()
    }

    fn close(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *state = State::Closed;
    }

    fn repr(&self) -> String {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*state {
            State::Open { client, .. } => {
                let config = client.config();
                format!(
                    "<clearline.{} base_url='{}' api_key='{}'>",
                    self.class,
                    config.base_url(),
                    config.api_key_redacted()
                )
            }
            State::Closed => format!("<clearline.{} closed>", self.class),
        }
    }

    fn base_url(&self) -> Option<String> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*state {
            State::Open { client, .. } => Some(client.config().base_url().to_string()),
            State::Closed => None,
        }
    }
}

/// The converted arguments of one `send` call.
struct SendCall {
    request: SendRequest,
    options: SendOptions,
}

impl SendCall {
    fn from_args(
        function: &str,
        phone: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        callback_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SendCall> {
        let arg = |name| Arg::new(function, name);
        let phone = convert::text(phone, arg("phone"), "phone")?;
        let message = convert::text(message, arg("message"), "message")?;
        let callback_url =
            convert::optional_text(callback_url, arg("callback_url"), "callbackUrl")?;
        let timeout = convert::optional_seconds(timeout, arg("timeout"))?;

        let mut request = SendRequest::new(phone, message);
        request.set_callback_url(callback_url);
        let mut options = SendOptions::new();
        if let Some(timeout) = timeout {
            options = options.timeout(timeout);
        }
        Ok(SendCall { request, options })
    }
}

/// A blocking ClearLine client, safe to share between threads.
#[pyclass(frozen, module = "clearline")]
pub(crate) struct Client {
    shared: Shared,
}

#[pymethods]
impl Client {
    // One parameter per Python keyword argument.
    // NOTE: pyo3 0.30 names the constructor `Client.__new__()` in its own argument errors (an
    // unknown keyword, too many positional arguments), and has no option to rename it.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(
        signature = (
            api_key=None, *, environment=None, base_url=None, timeout=None, connect_timeout=None,
            max_retries=None, max_message_chars=None
        ),
        // `None` means the default, shown here as `inspect.signature` reports it.
        text_signature = "(api_key=None, *, environment='production', base_url=None, \
                          timeout=30.0, connect_timeout=10.0, max_retries=2, \
                          max_message_chars=1600)"
    )]
    fn new(
        py: Python<'_>,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_message_chars: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        logging::refresh_log_level(py);
        let shared = Shared::new(
            "Client",
            api_key,
            environment,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            max_message_chars,
        )?;
        Ok(Client { shared })
    }

    /// Send one SMS and wait for ClearLine to accept it.
    #[pyo3(signature = (phone, message, *, callback_url=None, timeout=None))]
    fn send(
        &self,
        py: Python<'_>,
        phone: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        callback_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SendReceipt> {
        let call = SendCall::from_args("Client.send", phone, message, callback_url, timeout)?;
        let client = self.shared.client(py)?;
        logging::refresh_log_level_if_stale(py);

        let result = runtime::block_on(py, async move {
            client.send_with(&call.request, &call.options).await
        })?;
        result.map(SendReceipt::from).or_raise()
    }

    /// Send many SMS concurrently; return one receipt or one exception per message, in order.
    #[pyo3(signature = (messages, *, concurrency=None, on_progress=None, timeout=None))]
    fn send_many(
        &self,
        py: Python<'_>,
        messages: &Bound<'_, PyAny>,
        concurrency: Option<&Bound<'_, PyAny>>,
        on_progress: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let call = BulkCall::from_args(
            "Client.send_many",
            messages,
            concurrency,
            on_progress,
            timeout,
        )?;
        let client = self.shared.client(py)?;
        logging::refresh_log_level_if_stale(py);
        bulk::run_blocking(py, client, call)
    }

    /// Close the client and its connection pool; sends in flight finish first.
    fn close(&self) {
        self.shared.close();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, _exc_info: &Bound<'_, PyTuple>) {
        self.shared.close();
    }

    /// The base URL sends go to, or None once the client is closed.
    #[getter]
    fn base_url(&self) -> Option<String> {
        self.shared.base_url()
    }

    fn __repr__(&self) -> String {
        self.shared.repr()
    }
}

/// An asyncio ClearLine client; its methods return awaitables.
#[pyclass(frozen, module = "clearline")]
pub(crate) struct AsyncClient {
    shared: Shared,
}

#[pymethods]
impl AsyncClient {
    // One parameter per Python keyword argument.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(
        signature = (
            api_key=None, *, environment=None, base_url=None, timeout=None, connect_timeout=None,
            max_retries=None, max_message_chars=None
        ),
        // `None` means the default, shown here as `inspect.signature` reports it.
        text_signature = "(api_key=None, *, environment='production', base_url=None, \
                          timeout=30.0, connect_timeout=10.0, max_retries=2, \
                          max_message_chars=1600)"
    )]
    fn new(
        py: Python<'_>,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_message_chars: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        logging::refresh_log_level(py);
        let shared = Shared::new(
            "AsyncClient",
            api_key,
            environment,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            max_message_chars,
        )?;
        Ok(AsyncClient { shared })
    }

    /// Send one SMS; the awaitable resolves once ClearLine accepted it.
    #[pyo3(signature = (phone, message, *, callback_url=None, timeout=None))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        phone: &Bound<'py, PyAny>,
        message: &Bound<'py, PyAny>,
        callback_url: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = SendCall::from_args("AsyncClient.send", phone, message, callback_url, timeout)?;
        let client = self.shared.client(py)?;
        logging::refresh_log_level_if_stale(py);

        future_into_py(py, async move {
            let receipt = client.send_with(&call.request, &call.options).await?;
            Ok::<_, clearline::Error>(SendReceipt::from(receipt))
        })
    }

    /// Send many SMS concurrently; the awaitable resolves to one receipt or one exception per
    /// message, in input order.
    #[pyo3(signature = (messages, *, concurrency=None, on_progress=None, timeout=None))]
    fn send_many<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        concurrency: Option<&Bound<'py, PyAny>>,
        on_progress: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = BulkCall::from_args(
            "AsyncClient.send_many",
            messages,
            concurrency,
            on_progress,
            timeout,
        )?;
        let client = self.shared.client(py)?;
        logging::refresh_log_level_if_stale(py);
        bulk::run_async(py, client, call)
    }

    /// Close the client and its connection pool; sends in flight finish first.
    fn close(&self) {
        self.shared.close();
    }

    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        done_future(slf.py(), slf.clone().into_any())
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc_info: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.shared.close();
        done_future(py, py.None().into_bound(py))
    }

    /// The base URL sends go to, or None once the client is closed.
    #[getter]
    fn base_url(&self) -> Option<String> {
        self.shared.base_url()
    }

    fn __repr__(&self) -> String {
        self.shared.repr()
    }
}

/// Returns an asyncio future that is already done with `value`, for `__aenter__` and `__aexit__`.
fn done_future<'py>(py: Python<'py>, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let future = running_loop(py)?.call_method0("create_future")?;
    future.call_method1("set_result", (value,))?;
    Ok(future)
}

/// ClearLine's acceptance of an SMS, returned by `send` and `send_many`.
#[pyclass(frozen, eq, hash, module = "clearline")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SendReceipt {
    /// The `messageId` ClearLine assigned; delivery reports carry it.
    #[pyo3(get)]
    message_id: String,
    /// The canonical E.164 number the SMS was sent to.
    #[pyo3(get)]
    phone: String,
    /// The estimated number of SMS segments the text takes.
    #[pyo3(get)]
    segments: u32,
    /// The encoding the text needs: `"GSM-7"` or `"UCS-2"`.
    #[pyo3(get)]
    encoding: String,
    /// The number of HTTP attempts the send made, 1 when no retry was needed.
    #[pyo3(get)]
    attempts: u32,
}

impl From<clearline::SendReceipt> for SendReceipt {
    fn from(receipt: clearline::SendReceipt) -> Self {
        SendReceipt {
            message_id: receipt.message_id().to_owned(),
            phone: receipt.phone().to_owned(),
            segments: receipt.segments(),
            encoding: receipt.encoding().as_str().to_owned(),
            attempts: receipt.attempts(),
        }
    }
}

#[pymethods]
impl SendReceipt {
    /// Builds a receipt by hand, for tests and mocks.
    // One parameter per Python keyword argument.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (message_id, phone, segments=1, encoding=None, attempts=1))]
    fn new(
        message_id: &Bound<'_, PyAny>,
        phone: &Bound<'_, PyAny>,
        segments: u32,
        encoding: Option<&Bound<'_, PyAny>>,
        attempts: u32,
    ) -> PyResult<Self> {
        let arg = |name| Arg::new("SendReceipt", name);
        let encoding = convert::option_text(encoding, arg("encoding"))?;
        Ok(SendReceipt {
            message_id: convert::plain_text(message_id, arg("message_id"))?,
            phone: convert::plain_text(phone, arg("phone"))?,
            segments,
            encoding: encoding.unwrap_or_else(|| "GSM-7".to_owned()),
            attempts,
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // The phone is masked as in the core's logs: reprs end up in logs too.
        Ok(format!(
            "SendReceipt(message_id={}, phone={}, segments={}, encoding={}, attempts={})",
            py_repr(py, &self.message_id)?,
            py_repr(py, &mask_phone(&self.phone))?,
            self.segments,
            py_repr(py, &self.encoding)?,
            self.attempts
        ))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let receipt = slf.get();
        let args = (
            receipt.message_id.clone(),
            receipt.phone.clone(),
            receipt.segments,
            receipt.encoding.clone(),
            receipt.attempts,
        )
            .into_pyobject(slf.py())?;
        Ok((slf.get_type(), args))
    }
}
