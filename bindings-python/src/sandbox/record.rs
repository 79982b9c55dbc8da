//! The records a sandbox returns: accepted messages, callback attempts and their outcomes.
//!
//! Times are seconds since the epoch and durations are seconds, as floats, like `time.time()`.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;

use crate::callback::DeliveryReport;
use crate::convert::py_repr;

/// A message the sandbox accepted.
#[pyclass(frozen, get_all, module = "clearline.testing")]
pub(crate) struct ReceivedMessage {
    /// The `messageId` the sandbox returned.
    message_id: String,
    /// The recipient in canonical E.164 form.
    phone: String,
    /// The text as received.
    message: String,
    /// The normalized callback URL, or None.
    callback_url: Option<String>,
    /// When the sandbox accepted the message, in seconds since the epoch (like `time.time()`).
    received_at: f64,
}

impl From<clearline_sandbox::ReceivedMessage> for ReceivedMessage {
    fn from(message: clearline_sandbox::ReceivedMessage) -> Self {
        ReceivedMessage {
            message_id: message.message_id,
            phone: message.phone,
            message: message.message,
            callback_url: message.callback_url,
            received_at: epoch_seconds(message.received_at),
        }
    }
}

#[pymethods]
impl ReceivedMessage {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ReceivedMessage(message_id={}, phone={}, message={})",
            py_repr(py, &self.message_id)?,
            py_repr(py, &self.phone)?,
            py_repr(py, &self.message)?
        ))
    }
}

/// One POST of a delivery report to a callback URL.
#[pyclass(frozen, get_all, module = "clearline.testing")]
pub(crate) struct CallbackAttempt {
    /// The message the report is about.
    message_id: String,
    /// The callback URL POSTed to.
    url: String,
    /// 1 for the first POST of this report, 2 for the first retry, and so on.
    attempt: u32,
    /// The receiver's HTTP status, or None when no response arrived.
    status: Option<u16>,
    /// Seconds from sending the request to the response status or the error.
    latency: f64,
    /// Why the attempt failed, or None when the receiver answered 200.
    error: Option<String>,
    /// When the attempt started, in seconds since the epoch.
    at: f64,
}

impl From<clearline_sandbox::CallbackAttempt> for CallbackAttempt {
    fn from(attempt: clearline_sandbox::CallbackAttempt) -> Self {
        CallbackAttempt {
            message_id: attempt.message_id,
            url: attempt.url,
            attempt: attempt.attempt,
            status: attempt.status,
            latency: attempt.latency.as_secs_f64(),
            error: attempt.error,
            at: epoch_seconds(attempt.at),
        }
    }
}

#[pymethods]
impl CallbackAttempt {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let status = self
            .status
            .map_or_else(|| "None".to_owned(), |status| status.to_string());
        Ok(format!(
            "CallbackAttempt(message_id={}, attempt={}, status={status})",
            py_repr(py, &self.message_id)?,
            self.attempt
        ))
    }
}

/// The final result of delivering one report.
#[pyclass(frozen, get_all, module = "clearline.testing")]
pub(crate) struct CallbackOutcome {
    /// The message the report is about.
    message_id: String,
    /// The report that was POSTed.
    report: DeliveryReport,
    /// True when the receiver answered 200.
    delivered: bool,
    /// The number of POSTs made.
    attempts: u32,
}

impl From<clearline_sandbox::CallbackOutcome> for CallbackOutcome {
    fn from(outcome: clearline_sandbox::CallbackOutcome) -> Self {
        CallbackOutcome {
            message_id: outcome.message_id,
            report: DeliveryReport::from(outcome.report),
            delivered: outcome.delivered,
            attempts: outcome.attempts,
        }
    }
}

#[pymethods]
impl CallbackOutcome {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "CallbackOutcome(message_id={}, delivered={}, attempts={})",
            py_repr(py, &self.message_id)?,
            if self.delivered { "True" } else { "False" },
            self.attempts
        ))
    }
}

fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs_f64())
        .unwrap_or(0.0)
}
