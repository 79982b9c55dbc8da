//! The bridge from Rust futures to asyncio: every awaitable `AsyncClient` returns is made here.
//!
//! [`future_into_py`] creates an `asyncio.Future` on the running loop and spawns the Rust future
//! on the shared runtime. A finished Rust future does not call into Python: it pushes a job that
//! sets the result into the [`LoopQueue`] of its event loop, and the first job of a batch wakes
//! the loop. The loop's own thread then runs every queued job, already holding the GIL. A send
//! therefore costs no GIL acquisition on another thread, and a burst of results costs one
//! wakeup.
//!
//! On Unix the wakeup is one byte written to a socket pair whose reading end is registered with
//! `loop.add_reader` (asyncio's selector loops and uvloop). Loops without `add_reader` (the
//! proactor loop on Windows) get one `call_soon_threadsafe` per batch, from a blocking-pool
//! thread.
//!
//! When the asyncio future is cancelled (`task.cancel()`, `asyncio.wait_for` timing out,
//! `asyncio.run` shutting down), a done-callback aborts the Tokio task, which drops the Rust
//! future and with it the HTTP request. A loop that closed with jobs still queued never runs
//! them, so no result is ever handed to a closed loop. Its queue is closed, and its sockets
//! freed, when the next loop of the same thread registers one.
//!
//! Why not `pyo3_async_runtimes`: see "Design notes" in bindings-python/README.md.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use pyo3::{intern, IntoPyObjectExt};
use tokio::task::AbortHandle;

use crate::error::ToException;
use crate::panic::Contained;
use crate::runtime;

/// Work to run on an event loop's thread, with the GIL.
pub(crate) type Job = Box<dyn FnOnce(Python<'_>) + Send>;

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
    current_loop(py)?.spawn(future)
}

/// The running event loop and the queue of jobs for its thread.
pub(crate) struct RunningLoop<'py> {
    event_loop: Bound<'py, PyAny>,
    queue: Arc<LoopQueue>,
}

impl<'py> RunningLoop<'py> {
    /// Returns the queue whose jobs run on this loop's thread.
    pub(crate) fn queue(&self) -> &Arc<LoopQueue> {
        &self.queue
    }

    /// Like [`future_into_py`], on this loop.
    pub(crate) fn spawn<F, T, E>(&self, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
        E: ToException,
    {
        let py = self.event_loop.py();
        let py_future = self.event_loop.call_method0(intern!(py, "create_future"))?;
        let runtime = runtime::get(py)?;
        let on_cancel = Bound::new(
            py,
            AbortOnCancel {
                task: OnceLock::new(),
            },
        )?;

        let settle = Settle {
            future: py_future.clone().unbind(),
            on_cancel: on_cancel.clone().unbind(),
        };
        let queue = Arc::clone(&self.queue);
        let task = runtime.spawn(async move {
            let result = match crate::panic::contain(future).await {
                Ok(output) => output.map_err(Contained::Failed),
                Err(panic) => Err(Contained::Panicked(panic)),
            };
            queue.push(Box::new(move |py| settle.run(py, result)));
        });

        let _ = on_cancel.get().task.set(task.abort_handle());
        if let Err(err) = py_future.call_method1(intern!(py, "add_done_callback"), (on_cancel,)) {
            task.abort();
            return Err(err);
        }
        Ok(py_future)
    }
}

/// Returns the running event loop and its job queue, registering the queue on first use.
pub(crate) fn current_loop(py: Python<'_>) -> PyResult<RunningLoop<'_>> {
    let event_loop = running_loop(py)?;
    let pid = std::process::id();
    let known = LOOP_QUEUES.with(|queues| {
        queues
            .borrow()
            .iter()
            .find(|known| known.pid == pid && known.event_loop.is(&event_loop))
            .map(|known| Arc::clone(&known.queue))
    });
    if let Some(queue) = known {
        return Ok(RunningLoop { event_loop, queue });
    }

    let queue = LoopQueue::register(&event_loop)?;

    // Close the queues of closed loops, which frees their sockets even while sends started there
    // still run. No borrow is held while Python runs (`is_closed`), in case Python code sends
    // from there.
    let previous = LOOP_QUEUES.with(|queues| std::mem::take(&mut *queues.borrow_mut()));
    let mut kept = Vec::with_capacity(previous.len() + 1);
    for known in previous {
        if known.pid != pid {
            // Inherited from the parent of a fork: a runtime thread of the parent may have held
            // the queue's lock when it forked, so the child never touches it.
            std::mem::forget(known);
        } else if is_closed(known.event_loop.bind(py)) {
            known.queue.close();
        } else {
            kept.push(known);
        }
    }
    kept.push(KnownLoop {
        pid,
        event_loop: event_loop.clone().unbind(),
        queue: Arc::clone(&queue),
    });
    LOOP_QUEUES.with(|queues| queues.borrow_mut().extend(kept));

    Ok(RunningLoop { event_loop, queue })
}

thread_local! {
    /// The loops this thread ran sends on, with their queues. A loop runs on one thread, so a
    /// per-thread list finds its queue without a lock; it rarely holds more than one loop.
    static LOOP_QUEUES: RefCell<Vec<KnownLoop>> = const { RefCell::new(Vec::new()) };
}

struct KnownLoop {
    /// The process that registered the queue; a forked child registers its own.
    pid: u32,
    event_loop: Py<PyAny>,
    queue: Arc<LoopQueue>,
}

/// Jobs for one event loop's thread, pushed from any thread without the GIL.
pub(crate) struct LoopQueue {
    state: Mutex<QueueState>,
    waker: Waker,
}

struct QueueState {
    jobs: Vec<Job>,
    /// True from the wakeup of a batch until the loop takes the batch, so that a batch costs
    /// one wakeup however many jobs it gets.
    wake_pending: bool,
    /// Set once the loop has closed: jobs pushed then are dropped.
    closed: bool,
}

/// The wakeup mechanism of a [`LoopQueue`].
enum Waker {
    /// Writes a byte to the pair's writer; the loop watches its reader with `add_reader`. The
    /// pair is `None` once the queue is closed.
    #[cfg(unix)]
    Socket(Mutex<Option<SocketPair>>),
    /// Calls `loop.call_soon_threadsafe` from a blocking-pool thread.
    Threadsafe { event_loop: Py<PyAny> },
}

#[cfg(unix)]
struct SocketPair {
    reader: std::os::unix::net::UnixStream,
    writer: std::os::unix::net::UnixStream,
}

impl LoopQueue {
    /// Creates the queue of `event_loop` and registers its wakeup there.
    fn register(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopQueue>> {
        #[cfg(unix)]
        if let Some(queue) = LoopQueue::register_reader(event_loop)? {
            return Ok(queue);
        }
        Ok(Arc::new(LoopQueue::new(Waker::Threadsafe {
            event_loop: event_loop.clone().unbind(),
        })))
    }

    /// Registers a socket pair with `loop.add_reader`; `None` when the loop has no
    /// `add_reader` or the sockets cannot be created.
    #[cfg(unix)]
    fn register_reader(event_loop: &Bound<'_, PyAny>) -> PyResult<Option<Arc<LoopQueue>>> {
        use pyo3::exceptions::{PyAttributeError, PyNotImplementedError};
        use std::os::fd::AsRawFd;

        let py = event_loop.py();
        let Ok((reader, writer)) = std::os::unix::net::UnixStream::pair() else {
            return Ok(None);
        };
        if reader.set_nonblocking(true).is_err() || writer.set_nonblocking(true).is_err() {
            return Ok(None);
        }
        let fd = reader.as_raw_fd();
        let sockets = SocketPair { reader, writer };
        let queue = Arc::new(LoopQueue::new(Waker::Socket(Mutex::new(Some(sockets)))));

        let run_jobs = RunJobs {
            queue: Arc::clone(&queue),
        };
        match event_loop.call_method1(intern!(py, "add_reader"), (fd, run_jobs)) {
            Ok(_) => Ok(Some(queue)),
            Err(err)
                if err.is_instance_of::<PyNotImplementedError>(py)
                    || err.is_instance_of::<PyAttributeError>(py) =>
            {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    fn new(waker: Waker) -> LoopQueue {
        LoopQueue {
            state: Mutex::new(QueueState {
                jobs: Vec::new(),
                wake_pending: false,
                closed: false,
            }),
            waker,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // The lock is never held while running code that could panic, but a poisoned state is
        // still consistent: a Vec and a flag.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job` to run on the loop's thread, waking the loop if no wakeup is pending. A job
    /// pushed after the loop closed is dropped, since no task is left to observe it.
    pub(crate) fn push(self: &Arc<Self>, job: Job) {
        let wake = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            state.jobs.push(job);
            !std::mem::replace(&mut state.wake_pending, true)
        };
        if wake {
            self.wake();
        }
    }

    /// Drops the queued jobs and the wakeup sockets once the loop has closed; called with the
    /// GIL, so the jobs' Python references are released at once.
    fn close(&self) {
        let jobs = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        drop(jobs);
        #[cfg(unix)]
        if let Waker::Socket(sockets) = &self.waker {
            let sockets = sockets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            drop(sockets);
        }
    }

    fn wake(self: &Arc<Self>) {
        match &self.waker {
            #[cfg(unix)]
            Waker::Socket(sockets) => {
                use std::io::Write;
                let sockets = sockets
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(sockets) = &*sockets {
                    // A full socket buffer already contains a wakeup, so a failed write loses
                    // none.
                    let _ = (&sockets.writer).write(&[1]);
                }
            }
            Waker::Threadsafe { .. } => {
                let queue = Arc::clone(self);
                let call = move || {
                    // `try_attach` returns `None` while the interpreter shuts down.
                    Python::try_attach(|py| queue.schedule_threadsafe(py));
                };
                // Waiting for the GIL on a runtime worker would stall its other tasks.
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) => drop(handle.spawn_blocking(call)),
                    Err(_) => call(),
                }
            }
        }
    }

    /// Schedules [`LoopQueue::run_jobs`] with `call_soon_threadsafe` (the `Threadsafe` waker).
    fn schedule_threadsafe(self: &Arc<Self>, py: Python<'_>) {
        let Waker::Threadsafe { event_loop } = &self.waker else {
            return;
        };
        let run_jobs = RunJobs {
            queue: Arc::clone(self),
        };
        match (run_jobs,).into_pyobject(py) {
            Ok(call) => call_soon_threadsafe(event_loop.bind(py), call),
            Err(err) => err.write_unraisable(py, Some(event_loop.bind(py))),
        }
    }

    /// Runs the queued jobs; called on the loop's thread.
    fn run_jobs(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Waker::Socket(sockets) = &self.waker {
            use std::io::{ErrorKind, Read};
            let sockets = sockets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(sockets) = &*sockets {
                // Drained before the batch is taken: a wakeup written after this belongs to a
                // job pushed after the drain, which the next call runs.
                let mut buffer = [0_u8; 64];
                loop {
                    match (&sockets.reader).read(&mut buffer) {
                        Ok(read) if read == buffer.len() => continue,
                        Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                        _ => break,
                    }
                }
            }
        }

        let jobs = {
            let mut state = self.lock();
            state.wake_pending = false;
            std::mem::take(&mut state.jobs)
        };
        for job in jobs {
            job(py);
        }
    }
}

/// The callable the loop runs to drain a [`LoopQueue`].
#[pyclass(frozen)]
struct RunJobs {
    queue: Arc<LoopQueue>,
}

#[pymethods]
impl RunJobs {
    fn __call__(&self, py: Python<'_>) {
        self.queue.run_jobs(py);
    }
}

/// Sets the result of one asyncio future; runs on its loop's thread.
struct Settle {
    future: Py<PyAny>,
    on_cancel: Py<AbortOnCancel>,
}

impl Settle {
    fn run<T, E>(self, py: Python<'_>, result: Result<T, E>)
    where
        T: for<'py> IntoPyObject<'py>,
        E: ToException,
    {
        let future = self.future.bind(py);
        // A future cancelled meanwhile is done, and nothing awaits its result.
        match future
            .call_method0(intern!(py, "done"))
            .and_then(|done| done.is_truthy())
        {
            Ok(false) => {}
            Ok(true) => return,
            Err(err) => return err.write_unraisable(py, Some(future)),
        }
        // The task has finished, so there is nothing left to abort; removing the callback spares
        // the loop one scheduled call.
        let _ = future.call_method1(intern!(py, "remove_done_callback"), (&self.on_cancel,));

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
        let set = if succeeded {
            future.call_method1(intern!(py, "set_result"), (value,))
        } else {
            future.call_method1(intern!(py, "set_exception"), (value,))
        };
        if let Err(err) = set {
            err.write_unraisable(py, Some(future));
        }
    }
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
fn call_soon_threadsafe(event_loop: &Bound<'_, PyAny>, call: Bound<'_, PyTuple>) {
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

/// The done-callback that aborts the Tokio task when its asyncio future is cancelled.
#[pyclass(frozen)]
struct AbortOnCancel {
    /// Set right after the task is spawned, before Python can cancel the future.
    task: OnceLock<AbortHandle>,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future
            .call_method0(intern!(future.py(), "cancelled"))?
            .is_truthy()?
        {
            if let Some(task) = self.task.get() {
                task.abort();
            }
        }
        Ok(())
    }
}
