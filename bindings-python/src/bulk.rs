//! `send_many` on both clients: the argument conversion and the progress hand-off around the
//! core's `Client::send_many`, which does the sending, the ordering and the rate-limit pauses.
//!
//! A message whose text cannot be sent (a `str` with a lone surrogate) gets its validation error
//! in its result slot like any other invalid message, rather than failing the whole call. A
//! message of the wrong shape or type raises `TypeError` before anything is sent, since that is
//! a bug in the calling code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clearline::{BulkOptions, SendOptions, SendReceipt as CoreReceipt, SendRequest};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use tokio::sync::Notify;

use crate::asyncio::{current_loop, LoopQueue};
use crate::client::SendReceipt;
use crate::convert::{self, type_name, Arg};
use crate::error::exception_instance;
use crate::runtime;

/// The converted arguments of one `send_many` call.
pub(crate) struct BulkCall {
    /// One entry per input message: the request, or the error that rejected it up front.
    entries: Vec<Result<SendRequest, clearline::Error>>,
    options: BulkOptions,
    on_progress: Option<Py<PyAny>>,
}

impl BulkCall {
    pub(crate) fn from_args(
        function: &str,
        messages: &Bound<'_, PyAny>,
        concurrency: Option<&Bound<'_, PyAny>>,
        on_progress: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<BulkCall> {
        let arg = |name| Arg::new(function, name);
        if messages.is_instance_of::<PyString>() || convert::is_mapping(messages) {
            return Err(arg("messages").type_error("an iterable of messages", messages));
        }
        let items = messages
            .try_iter()
            .map_err(|_| arg("messages").type_error("an iterable of messages", messages))?;
        let mut entries = Vec::new();
        for (index, item) in items.enumerate() {
            entries.push(message_entry(function, index, &item?)?);
        }

        let mut options = BulkOptions::new();
        if let Some(concurrency) = concurrency.filter(|value| !value.is_none()) {
            let concurrency = convert::count(concurrency, arg("concurrency"), 1)?;
            options = options.concurrency(concurrency as usize);
        }
        if let Some(timeout) = convert::optional_seconds(timeout, arg("timeout"))? {
            options = options.send_options(SendOptions::new().timeout(timeout));
        }
        let on_progress = match on_progress.filter(|value| !value.is_none()) {
            Some(callback) if callback.is_callable() => Some(callback.clone().unbind()),
            Some(other) => return Err(arg("on_progress").type_error("callable or None", other)),
            None => None,
        };

        Ok(BulkCall {
            entries,
            options,
            on_progress,
        })
    }
}

/// Splits the entries into the requests to send and the slots of the final results, where
/// `None` marks a slot the core's results fill.
fn split(
    entries: Vec<Result<SendRequest, clearline::Error>>,
) -> (Vec<SendRequest>, Vec<Option<clearline::Error>>) {
    let mut requests = Vec::with_capacity(entries.len());
    let mut rejected = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry {
            Ok(request) => {
                requests.push(request);
                rejected.push(None);
            }
            Err(err) => rejected.push(Some(err)),
        }
    }
    (requests, rejected)
}

/// The keys of a message dict.
const MESSAGE_KEYS: [&str; 3] = ["phone", "message", "callback_url"];

/// Raises `TypeError` for a key of a message dict that is a known key in another spelling
/// (`callbackUrl`, `Phone`), so a misspelled callback URL is not dropped without a word. Other
/// extra keys are allowed. `known` is how many known keys the dict has: only a dict with more
/// keys than that is read.
fn check_lookalike_keys(
    function: &str,
    index: usize,
    item: &Bound<'_, PyAny>,
    known: usize,
) -> PyResult<()> {
    let Ok(dict) = item.cast::<PyDict>() else {
        return Ok(());
    };
    if dict.len() <= known {
        return Ok(());
    }
    for key in dict.keys() {
        let Ok(key) = key.cast::<PyString>() else {
            continue;
        };
        let key = key.to_string_lossy();
        if MESSAGE_KEYS.contains(&key.as_ref()) {
            continue;
        }
        let folded: String = key
            .chars()
            .filter(|ch| !matches!(ch, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        if let Some(meant) = MESSAGE_KEYS
            .iter()
            .find(|name| name.replace('_', "") == folded)
        {
            return Err(PyTypeError::new_err(format!(
                "{function}() argument 'messages': item {index} has the key '{key}', which is not \
                 a known key; did you mean '{meant}'? Keys are case-sensitive"
            )));
        }
    }
    Ok(())
}

/// Converts one message: a dict with `phone`, `message` and optional `callback_url`, or a
/// `(phone, message[, callback_url])` tuple or list.
fn message_entry(
    function: &str,
    index: usize,
    item: &Bound<'_, PyAny>,
) -> PyResult<Result<SendRequest, clearline::Error>> {
    let shape_error = || {
        PyTypeError::new_err(format!(
            "{function}() argument 'messages': item {index} must be a dict with 'phone' and \
             'message' keys or a (phone, message[, callback_url]) tuple, not {}",
            type_name(item)
        ))
    };

    let (phone, message, callback_url) = if convert::is_mapping(item) {
        let required = |key: &str| {
            convert::mapping_get(item, key)?.ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "{function}() argument 'messages': item {index} has no '{key}' key"
                ))
            })
        };
        let fields = (
            required("phone")?,
            required("message")?,
            convert::mapping_get(item, "callback_url")?,
        );
        check_lookalike_keys(function, index, item, 2 + usize::from(fields.2.is_some()))?;
        fields
    } else if item.is_instance_of::<PyTuple>() || item.is_instance_of::<PyList>() {
        let fields: Vec<Bound<'_, PyAny>> = item.try_iter()?.collect::<PyResult<_>>()?;
        match <[Bound<'_, PyAny>; 3]>::try_from(fields) {
            Ok([phone, message, callback_url]) => (phone, message, Some(callback_url)),
            Err(fields) => match <[Bound<'_, PyAny>; 2]>::try_from(fields) {
                Ok([phone, message]) => (phone, message, None),
                Err(_) => return Err(shape_error()),
            },
        }
    } else {
        return Err(shape_error());
    };

    let name = |field: &str| format!("messages[{index}].{field}");
    let phone_arg = name("phone");
    let message_arg = name("message");
    let callback_arg = name("callback_url");
    let converted = (|| {
        let phone = convert::text(&phone, Arg::new(function, &phone_arg), "phone")?;
        let message = convert::text(&message, Arg::new(function, &message_arg), "message")?;
        let callback_url = convert::optional_text(
            callback_url.as_ref(),
            Arg::new(function, &callback_arg),
            "callbackUrl",
        )?;
        Ok::<_, PyErr>((phone, message, callback_url))
    })();
    match converted {
        Ok((phone, message, callback_url)) => {
            let mut request = SendRequest::new(phone, message);
            request.set_callback_url(callback_url);
            Ok(Ok(request))
        }
        Err(err) if err.is_instance_of::<PyTypeError>(item.py()) => Err(err),
        // Only a lone surrogate fails past the type checks: keep its error for this slot.
        Err(_) => {
            let field = if convert::text(&phone, Arg::new(function, &phone_arg), "phone").is_err() {
                "phone"
            } else if convert::text(&message, Arg::new(function, &message_arg), "message").is_err()
            {
                "message"
            } else {
                "callbackUrl"
            };
            Ok(Err(clearline::Error::invalid_unicode(field)))
        }
    }
}

/// Progress shared between the core's callback (on a runtime thread) and the thread that
/// reports it to Python.
struct ProgressState {
    /// Messages done, those rejected before sending included.
    done: AtomicUsize,
    total: usize,
    /// Messages rejected before sending, which the core never sees.
    rejected: usize,
    changed: Notify,
}

impl ProgressState {
    fn new(total: usize, rejected: usize) -> Arc<ProgressState> {
        Arc::new(ProgressState {
            done: AtomicUsize::new(rejected),
            total,
            rejected,
            changed: Notify::new(),
        })
    }

    /// Adds a core progress callback to `options` that updates this state.
    fn attach_to(self: &Arc<Self>, options: BulkOptions) -> BulkOptions {
        let state = Arc::clone(self);
        options.on_progress(Arc::new(move |done, _total| {
            state.done.store(done + state.rejected, Ordering::Release);
            state.changed.notify_one();
        }))
    }

    fn done(&self) -> usize {
        self.done.load(Ordering::Acquire)
    }
}

/// Runs a batch on the calling thread, calling `on_progress` there between waits.
pub(crate) fn run_blocking(
    py: Python<'_>,
    client: clearline::Client,
    call: BulkCall,
) -> PyResult<Py<PyAny>> {
    let BulkCall {
        entries,
        options,
        on_progress,
    } = call;
    let (requests, rejected) = split(entries);
    let progress = ProgressState::new(rejected.len(), rejected.len() - requests.len());
    let options = match &on_progress {
        Some(_) => progress.attach_to(options),
        None => options,
    };

    let mut reported = None;
    let mut report = |py: Python<'_>| -> PyResult<()> {
        let Some(callback) = &on_progress else {
            return Ok(());
        };
        let done = progress.done();
        if reported != Some(done) {
            reported = Some(done);
            // An exception in the callback is reported, not raised: it must not stop the batch.
            if let Err(err) = callback.call1(py, (done, progress.total)) {
                err.write_unraisable(py, Some(callback.bind(py)));
            }
        }
        Ok(())
    };

    let results = runtime::block_on_with(
        py,
        client.send_many(requests, &options),
        || progress.changed.notified(),
        &mut report,
    )?;
    progress.done.store(progress.total, Ordering::Release);
    report(py)?;

    let results = BulkResults { rejected, results };
    Ok(results.into_pyobject(py)?.into_any().unbind())
}

/// Runs a batch on the runtime and returns an awaitable for its results. `on_progress` runs on
/// the event loop's thread, each report before the batch's result.
pub(crate) fn run_async<'py>(
    py: Python<'py>,
    client: clearline::Client,
    call: BulkCall,
) -> PyResult<Bound<'py, PyAny>> {
    let BulkCall {
        entries,
        options,
        on_progress,
    } = call;
    let (requests, rejected) = split(entries);
    let total = rejected.len();
    let rejected_count = total - requests.len();
    let running = current_loop(py)?;
    let reporter = on_progress.map(|callback| {
        Arc::new(LoopReporter {
            queue: Arc::clone(running.queue()),
            callback: Arc::new(callback),
            last_done: AtomicUsize::new(usize::MAX),
        })
    });
    let options = match &reporter {
        Some(reporter) => {
            let reporter = Arc::clone(reporter);
            options.on_progress(Arc::new(move |done, _total| {
                reporter.report(done + rejected_count, total);
            }))
        }
        None => options,
    };

    running.spawn(async move {
        let results = client.send_many(requests, &options).await;
        // The core reports its last message itself; a batch without sends still gets one report.
        // Either way it is queued before the result, so the loop runs it first.
        if let Some(reporter) = &reporter {
            reporter.report(total, total);
        }
        Ok::<_, clearline::Error>(BulkResults { rejected, results })
    })
}

/// Queues progress calls to run on an event loop's thread.
struct LoopReporter {
    queue: Arc<LoopQueue>,
    callback: Arc<Py<PyAny>>,
    /// The `done` of the last report, so that the final one is not repeated.
    last_done: AtomicUsize,
}

impl LoopReporter {
    fn report(&self, done: usize, total: usize) {
        if self.last_done.swap(done, Ordering::AcqRel) == done {
            return;
        }
        let callback = Arc::clone(&self.callback);
        self.queue.push(Box::new(move |py| {
            // An exception in the callback is reported, not raised: it must not stop the batch.
            if let Err(err) = callback.call1(py, (done, total)) {
                err.write_unraisable(py, Some(callback.bind(py)));
            }
        }));
    }
}

/// The results of a batch in input order, ready to become a Python list.
struct BulkResults {
    rejected: Vec<Option<clearline::Error>>,
    results: Vec<Result<CoreReceipt, clearline::Error>>,
}

impl<'py> IntoPyObject<'py> for BulkResults {
    type Target = PyList;
    type Output = Bound<'py, PyList>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        let mut sent = self.results.into_iter();
        for slot in self.rejected {
            let result = match slot {
                Some(err) => Err(err),
                // The core returns one result per request it was given, in order.
                None => sent.next().ok_or_else(|| {
                    PyRuntimeError::new_err(
                        "internal error: the core returned fewer results than messages",
                    )
                })?,
            };
            match result {
                Ok(receipt) => list.append(SendReceipt::from(receipt))?,
                Err(err) => list.append(exception_instance(py, &err)?)?,
            }
        }
        Ok(list)
    }
}
