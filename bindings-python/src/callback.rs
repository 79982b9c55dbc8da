//! `parse_callback` and the `DeliveryReport` it returns.
//!
//! The core parses the body and applies every rule. This module only accepts the forms web
//! frameworks hand a body over in (`bytes`, `bytearray`, `memoryview`, `str`, or a `dict` they
//! already decoded) and exposes the report's fields. The report keeps the core value and builds
//! Python objects on attribute access, so parsing allocates only the report itself.

use std::borrow::Cow;

use clearline::callback::{FieldValue, ReportFields};
use clearline::DeliveryStatus;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType,
};

use crate::convert::{is_mapping, mapping_get, py_repr, Arg};
use crate::error::ErrorExt;

/// Parse a delivery report from a callback body.
#[pyfunction]
pub(crate) fn parse_callback(body: &Bound<'_, PyAny>) -> PyResult<DeliveryReport> {
    crate::panic::guard(body.py(), || parse_body(body))
}

fn parse_body(body: &Bound<'_, PyAny>) -> PyResult<DeliveryReport> {
    let report = if let Ok(bytes) = body.cast::<PyBytes>() {
        clearline::DeliveryReport::parse(bytes.as_bytes())
    } else if let Ok(text) = body.cast::<PyString>() {
        match text.to_cow() {
            Ok(text) => clearline::DeliveryReport::parse_str(&text),
            // A lone surrogate: pass the text through as the invalid UTF-8 it encodes to, and
            // let the core report it like any other broken body.
            Err(_) => {
                let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
                clearline::DeliveryReport::parse(encoded.cast::<PyBytes>()?.as_bytes())
            }
        }
    } else if let Ok(bytes) = body.cast::<PyByteArray>() {
        clearline::DeliveryReport::parse(&bytes.to_vec())
    } else if body.is_instance_of::<PyMemoryView>() {
        let bytes = body.call_method0("tobytes")?;
        clearline::DeliveryReport::parse(bytes.cast::<PyBytes>()?.as_bytes())
    } else if is_mapping(body) {
        clearline::DeliveryReport::from_fields(ReportFields {
            message_id: mapping_field(body, "messageId")?,
            delivery_status: mapping_field(body, "deliveryStatus")?,
            external_delivery_status: mapping_field(body, "externalDeliveryStatus")?,
            reason_text: mapping_field(body, "reasonText")?,
        })
    } else {
        return Err(Arg::new("parse_callback", "body")
            .type_error("bytes, bytearray, memoryview, str or dict", body));
    };
    Ok(DeliveryReport {
        report: report.or_raise()?,
    })
}

/// Reads one report field from a decoded body, naming the JSON type of a non-string value.
fn mapping_field(mapping: &Bound<'_, PyAny>, key: &str) -> PyResult<FieldValue<'static>> {
    let Some(value) = mapping_get(mapping, key)? else {
        return Ok(FieldValue::Missing);
    };
    let field = if value.is_none() {
        FieldValue::Null
    } else if let Ok(text) = value.cast::<PyString>() {
        match text.to_cow() {
            Ok(text) => FieldValue::Text(Cow::Owned(text.into_owned())),
            Err(_) => FieldValue::Other("text that is not valid Unicode"),
        }
    } else if value.is_instance_of::<PyBool>() {
        FieldValue::Other("a boolean")
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        FieldValue::Other("a number")
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        FieldValue::Other("an array")
    } else if is_mapping(&value) {
        FieldValue::Other("an object")
    } else {
        FieldValue::Other("a value JSON cannot hold")
    };
    Ok(field)
}

/// A parsed delivery report.
#[pyclass(frozen, eq, hash, module = "clearline")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct DeliveryReport {
    report: clearline::DeliveryReport,
}

impl From<clearline::DeliveryReport> for DeliveryReport {
    fn from(report: clearline::DeliveryReport) -> Self {
        DeliveryReport { report }
    }
}

#[pymethods]
impl DeliveryReport {
    /// Builds a report by hand, for tests and mocks.
    #[new]
    #[pyo3(signature = (message_id, status, external_status=None, reason=None))]
    fn new(
        message_id: String,
        status: &Bound<'_, PyAny>,
        external_status: Option<String>,
        reason: Option<String>,
    ) -> PyResult<Self> {
        let Ok(status) = status.cast::<PyString>() else {
            return Err(
                Arg::new("DeliveryReport", "status").type_error("str or DeliveryStatus", status)
            );
        };
        Ok(DeliveryReport {
            report: clearline::DeliveryReport {
                message_id,
                status: DeliveryStatus::parse(&status.to_string_lossy()),
                external_status,
                reason,
            },
        })
    }

    /// The `messageId` the send returned.
    #[getter]
    fn message_id(&self) -> &str {
        &self.report.message_id
    }

    /// The resolved status, `DeliveryStatus.UNKNOWN` for a value this version does not know.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let members = status_members(py)?;
        let member = match self.report.status {
            DeliveryStatus::Delivered => &members[0],
            DeliveryStatus::DeliveredFailed => &members[1],
            DeliveryStatus::Unknown(_) => &members[2],
        };
        Ok(member.bind(py).clone())
    }

    /// The `deliveryStatus` text: the API's spelling of a known status, or the raw value.
    #[getter]
    fn raw_status(&self) -> &str {
        self.report.status.as_str()
    }

    /// The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given.
    #[getter]
    fn external_status(&self) -> Option<&str> {
        self.report.external_status.as_deref()
    }

    /// The gateway's human-readable result, if given.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.report.reason.as_deref()
    }

    /// True when the status is `DeliveryStatus.DELIVERED`.
    #[getter]
    fn is_delivered(&self) -> bool {
        self.report.is_delivered()
    }

    /// True when the status is `DeliveryStatus.DELIVERED_FAILED`.
    #[getter]
    fn is_failed(&self) -> bool {
        self.report.is_failed()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = |value: Option<&str>| -> PyResult<String> {
            match value {
                Some(value) => py_repr(py, value),
                None => Ok("None".to_owned()),
            }
        };
        Ok(format!(
            "DeliveryReport(message_id={}, status={}, external_status={}, reason={})",
            text(Some(&self.report.message_id))?,
            text(Some(self.report.status.as_str()))?,
            text(self.report.external_status.as_deref())?,
            text(self.report.reason.as_deref())?,
        ))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let report = &slf.get().report;
        let args = (
            report.message_id.clone(),
            report.status.as_str().to_owned(),
            report.external_status.clone(),
            report.reason.clone(),
        )
            .into_pyobject(slf.py())?;
        Ok((slf.get_type(), args))
    }
}

/// Returns `DeliveryStatus.DELIVERED`, `DELIVERED_FAILED` and `UNKNOWN` from
/// `clearline/callback.py`, looked up once.
fn status_members(py: Python<'_>) -> PyResult<&[Py<PyAny>; 3]> {
    static MEMBERS: PyOnceLock<[Py<PyAny>; 3]> = PyOnceLock::new();
    MEMBERS.get_or_try_init(py, || {
        let class = py.import("clearline.callback")?.getattr("DeliveryStatus")?;
        Ok::<_, PyErr>([
            class.getattr("DELIVERED")?.unbind(),
            class.getattr("DELIVERED_FAILED")?.unbind(),
            class.getattr("UNKNOWN")?.unbind(),
        ])
    })
}
