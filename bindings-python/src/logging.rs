//! Forwarding of the core's log events to Python's `logging` module, logger `clearline`.
//!
//! The core logs through `tracing` under the target `clearline`; with tracing's `log` feature
//! and no tracing subscriber, each event becomes a `log` record, which [`Bridge`] hands to
//! `logging.getLogger("clearline")`. Records of other crates (reqwest, hyper) are dropped.
//!
//! Whether a level is enabled is decided without the GIL, from `log::max_level()`, which mirrors
//! the Python logger's effective level. The mirror is refreshed when a client is created and
//! at most once per [`REFRESH_INTERVAL`] when a send starts, so a level set with
//! `logging.getLogger("clearline").setLevel(...)` takes effect within that interval.
//!
//! The core never puts the API key in an event, so no record carries it; the full phone number
//! and the message text appear only at Python level 5 (`TRACE`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The longest time a change of the Python logger's level goes unnoticed while sending.
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// The Python logger name, and the tracing target of the core's events.
const TARGET: &str = "clearline";

static BRIDGE: Bridge = Bridge;

/// Milliseconds since [`epoch`] at the last refresh, plus one (0 means never).
static LAST_REFRESH: AtomicU64 = AtomicU64::new(0);

/// Installs the bridge as the `log` logger of this extension module. Called once at import.
pub(crate) fn install() {
    // Fails only if a logger is already installed, which cannot happen: this crate's `log` is
    // private to the extension module.
    let _ = log::set_logger(&BRIDGE);
    log::set_max_level(LevelFilter::Off);
}

/// Copies the Python logger's effective level into `log::max_level()`.
pub(crate) fn refresh_log_level(py: Python<'_>) {
    let level = python_logger(py)
        .ok()
        .map(|logger| enabled_filter(logger.bind(py)))
        .unwrap_or(LevelFilter::Off);
    log::set_max_level(level);
    LAST_REFRESH.store(elapsed_millis() + 1, Ordering::Relaxed);
}

/// Refreshes the level when the last refresh is older than [`REFRESH_INTERVAL`].
pub(crate) fn refresh_log_level_if_stale(py: Python<'_>) {
    let last = LAST_REFRESH.load(Ordering::Relaxed);
    let interval = REFRESH_INTERVAL.as_millis() as u64;
    if last == 0 || elapsed_millis() + 1 >= last + interval {
        refresh_log_level(py);
    }
}

/// Returns the most verbose level the logger has enabled, asking `isEnabledFor` so that
/// `logging.disable()` and disabled loggers count too.
fn enabled_filter(logger: &Bound<'_, PyAny>) -> LevelFilter {
    let levels = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ];
    for level in levels {
        let enabled = logger
            .call_method1("isEnabledFor", (python_level(level),))
            .and_then(|enabled| enabled.is_truthy());
        if matches!(enabled, Ok(true)) {
            return level.to_level_filter();
        }
    }
    LevelFilter::Off
}

/// Maps a `log` level to the Python level number; `Trace` becomes 5, below `DEBUG`.
fn python_level(level: Level) -> u8 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

fn python_logger(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOGGER.get_or_try_init(py, || {
        let logging = py.import("logging")?;
        Ok::<_, PyErr>(logging.call_method1("getLogger", (TARGET,))?.unbind())
    })
}

fn elapsed_millis() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The `log` logger that forwards `clearline` records to Python.
struct Bridge;

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        let ours = target == TARGET
            || target
                .strip_prefix(TARGET)
                .is_some_and(|rest| rest.starts_with("::"));
        ours && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        let level = python_level(record.level());
        // `try_attach` returns `None` while the interpreter shuts down; the record is dropped.
        let _ = Python::try_attach(|py| {
            // A handler that raises is Python's to report (`logging.raiseExceptions`); anything
            // else that fails here has nowhere to go, so it is dropped.
            if let Ok(logger) = python_logger(py) {
                let _ = logger.call_method1(py, "log", (level, "%s", message));
            }
        });
    }

    fn flush(&self) {}
}
