//! `clearline.testing.Fault`: a fault the sandbox injects into the next sends.
//!
//! A fault is checked when it is built (`clearline_sandbox::Fault::check`), so a status or header
//! value HTTP cannot carry raises at once instead of turning into a 500 at send time.

use std::time::Duration;

use clearline_sandbox::FAULT_STATUSES;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::convert::{self, py_repr, Arg};
use crate::error::configuration_error;

/// The longest `Fault.latency`: a delay beyond it is a mistake in a test, not a slow server.
const MAX_LATENCY: Duration = Duration::from_secs(3600);

/// A fault the sandbox injects into the next sends; build one with the static methods.
#[pyclass(frozen, module = "clearline.testing")]
pub(crate) struct Fault {
    pub(crate) fault: clearline_sandbox::Fault,
}

impl Fault {
    /// Wraps `fault` after checking that HTTP can carry it.
    fn checked(py: Python<'_>, fault: clearline_sandbox::Fault) -> PyResult<Self> {
        match fault.check() {
            Ok(()) => Ok(Fault { fault }),
            Err(problem) => Err(configuration_error(py, format!("invalid fault: {problem}"))),
        }
    }
}

#[pymethods]
impl Fault {
    /// Respond with `status`, an optional `Retry-After` and an optional body.
    #[staticmethod]
    #[pyo3(signature = (status, *, retry_after=None, body=None))]
    fn status(
        status: &Bound<'_, PyAny>,
        retry_after: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = status.py();
        let arg = |name| Arg::new("Fault.status", name);
        if !status.is_instance_of::<PyInt>() || status.is_instance_of::<PyBool>() {
            return Err(arg("status").type_error("int", status));
        }
        let Ok(status) = status.extract::<u16>() else {
            let status_text = convert::number_repr(status);
            return Err(configuration_error(
                py,
                format!(
                    "invalid fault: status {status_text} cannot be injected; pass an HTTP status from \
                     {} to {}, such as 429, 500 or 503",
                    FAULT_STATUSES.start(),
                    FAULT_STATUSES.end()
                ),
            ));
        };
        let retry_after = match retry_after.filter(|value| !value.is_none()) {
            None => None,
            // A number of seconds becomes its decimal text, as the header carries it.
            Some(value) => Some(convert::plain_text(
                value.str()?.as_any(),
                arg("retry_after"),
            )?),
        };
        let body = convert::option_text(body, arg("body"))?;

        Fault::checked(
            py,
            clearline_sandbox::Fault::Status {
                status,
                retry_after,
                body,
            },
        )
    }

    /// Handle the send normally, but hold the response back `seconds`, at most an hour.
    #[staticmethod]
    fn latency(seconds: &Bound<'_, PyAny>) -> PyResult<Self> {
        let arg = Arg::new("Fault.latency", "seconds");
        let delay = convert::seconds_up_to(seconds, arg, MAX_LATENCY)?;
        Ok(Fault {
            fault: clearline_sandbox::Fault::Latency(delay),
        })
    }

    /// Read the request, then close the connection without a response.
    #[staticmethod]
    fn close_connection() -> Self {
        Fault {
            fault: clearline_sandbox::Fault::CloseConnection,
        }
    }

    /// Respond with 200 and an HTML page instead of JSON.
    #[staticmethod]
    fn non_json_body() -> Self {
        Fault {
            fault: clearline_sandbox::Fault::NonJsonBody,
        }
    }

    /// Respond with 307 Temporary Redirect to `location`.
    #[staticmethod]
    fn redirect(location: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = location.py();
        let location = convert::plain_text(location, Arg::new("Fault.redirect", "location"))?;
        Fault::checked(py, clearline_sandbox::Fault::Redirect { location })
    }

    /// Returns the call that builds this fault, such as `Fault.status(429, retry_after='2')`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let call = match &self.fault {
            clearline_sandbox::Fault::Status {
                status,
                retry_after,
                body,
            } => {
                let mut arguments = vec![status.to_string()];
                if let Some(retry_after) = retry_after {
                    arguments.push(format!("retry_after={}", py_repr(py, retry_after)?));
                }
                if let Some(body) = body {
                    arguments.push(format!("body={}", py_repr(py, body)?));
                }
                format!("status({})", arguments.join(", "))
            }
            clearline_sandbox::Fault::Latency(delay) => {
                let seconds = PyFloat::new(py, delay.as_secs_f64()).repr()?;
                format!("latency({seconds})")
            }
            clearline_sandbox::Fault::Redirect { location } => {
                format!("redirect({})", py_repr(py, location)?)
            }
            other => format!("{}()", other.kind()),
        };
        Ok(format!("Fault.{call}"))
    }
}
