//! `parse_callback` and the `DeliveryReport` it returns.
//!
//! The core parses the body and applies every rule. This module only accepts the forms web
//! frameworks hand a body over in (`bytes`, `bytearray`, `memoryview`, `str`, or a `dict` they
//! already decoded) and exposes the report's fields. The core's borrowing parse reads the fields
//! out of the body without copying them, and the report copies them into one buffer inside the
//! Python object, so a parse of a typical report allocates only that object. The getters create
//! Python strings on access.

use std::borrow::Cow;
use std::ops::Range;

use clearline::callback::{DeliveryReportRef, FieldValue, ReportFields};
use clearline::DeliveryStatus;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType,
};
use smallvec::SmallVec;

use crate::convert::{is_mapping, mapping_get, option_text, plain_text, py_repr, Arg};
use crate::error::ErrorExt;

/// Parse a delivery report from a callback body.
#[pyfunction]
pub(crate) fn parse_callback(body: &Bound<'_, PyAny>) -> PyResult<DeliveryReport> {
    crate::panic::guard(body.py(), || parse_body(body))
}

fn parse_body(body: &Bound<'_, PyAny>) -> PyResult<DeliveryReport> {
    // `bytes`, what most frameworks hand over, is checked first and read without a copy.
    if let Ok(bytes) = body.cast::<PyBytes>() {
        return parse_bytes(bytes.as_bytes());
    }
    if let Ok(text) = body.cast::<PyString>() {
        return match text.to_cow() {
            Ok(text) => parse_bytes(text.as_bytes()),
            // A lone surrogate: pass the text through as the invalid UTF-8 it encodes to, and
            // let the core report it like any other broken body.
            Err(_) => {
                let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
                parse_bytes(encoded.cast::<PyBytes>()?.as_bytes())
            }
        };
    }
    if let Ok(bytes) = body.cast::<PyByteArray>() {
        return parse_bytes(&bytes.to_vec());
    }
    if body.is_instance_of::<PyMemoryView>() {
        let bytes = body.call_method0("tobytes")?;
        return parse_bytes(bytes.cast::<PyBytes>()?.as_bytes());
    }

    let report = if is_mapping(body) {
        DeliveryReportRef::from_fields(ReportFields {
            message_id: mapping_field(body, "messageId")?,
            delivery_status: mapping_field(body, "deliveryStatus")?,
            external_delivery_status: mapping_field(body, "externalDeliveryStatus")?,
            reason_text: mapping_field(body, "reasonText")?,
        })
    } else {
        return Err(Arg::new("parse_callback", "body")
            .type_error("bytes, bytearray, memoryview, str or dict", body));
    };
    Ok(DeliveryReport::from(&report.or_raise()?))
}

fn parse_bytes(body: &[u8]) -> PyResult<DeliveryReport> {
    let report = DeliveryReportRef::parse(body).or_raise()?;
    Ok(DeliveryReport::from(&report))
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

/// Bytes of text stored inside a report's Python object; longer text moves to the heap.
/// A typical report's `messageId`, gateway status and reason take about 100.
const INLINE_TEXT_BYTES: usize = 128;

/// A parsed delivery report.
#[pyclass(frozen, eq, hash, module = "clearline")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct DeliveryReport {
    /// The UTF-8 text of the fields back to back: `messageId`, then the raw status when it is
    /// unknown, then the external status and the reason when present.
    text: SmallVec<[u8; INLINE_TEXT_BYTES]>,
    message_id: Range<usize>,
    status: Status,
    external_status: Option<Range<usize>>,
    reason: Option<Range<usize>>,
}

/// The resolved status, with the raw text of an unknown one in the report's `text`.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Status {
    Delivered,
    DeliveredFailed,
    Unknown(Range<usize>),
}

impl DeliveryReport {
    fn new_from_parts(
        message_id: &str,
        status: &DeliveryStatus,
        external_status: Option<&str>,
        reason: Option<&str>,
    ) -> DeliveryReport {
        let mut text = SmallVec::new();
        let mut push = |value: &str| {
            let start = text.len();
            text.extend_from_slice(value.as_bytes());
            start..text.len()
        };
        let message_id = push(message_id);
        let status = match status {
            DeliveryStatus::Delivered => Status::Delivered,
            DeliveryStatus::DeliveredFailed => Status::DeliveredFailed,
            DeliveryStatus::Unknown(raw) => Status::Unknown(push(raw)),
        };
        let external_status = external_status.map(&mut push);
        let reason = reason.map(&mut push);
        DeliveryReport {
            text,
            message_id,
            status,
            external_status,
            reason,
        }
    }

    /// Returns the text of a field. Each range was recorded around whole `&str`s, so the bytes
    /// are valid UTF-8.
    fn field(&self, range: &Range<usize>) -> &str {
        let bytes = self.text.get(range.clone()).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Creates the Python string of a field, which CPython decodes from the UTF-8 bytes.
    fn py_field<'py>(
        &self,
        py: Python<'py>,
        range: &Range<usize>,
    ) -> PyResult<Bound<'py, PyString>> {
        let bytes = self.text.get(range.clone()).unwrap_or_default();
        PyString::from_bytes(py, bytes)
    }

    fn raw_status_text(&self) -> &str {
        match &self.status {
            Status::Delivered => DeliveryStatus::Delivered.as_str(),
            Status::DeliveredFailed => DeliveryStatus::DeliveredFailed.as_str(),
            Status::Unknown(range) => self.field(range),
        }
    }
}

impl From<&DeliveryReportRef<'_>> for DeliveryReport {
    fn from(report: &DeliveryReportRef<'_>) -> Self {
        DeliveryReport::new_from_parts(
            &report.message_id,
            &report.status,
            report.external_status.as_deref(),
            report.reason.as_deref(),
        )
    }
}

impl From<clearline::DeliveryReport> for DeliveryReport {
    fn from(report: clearline::DeliveryReport) -> Self {
        DeliveryReport::new_from_parts(
            &report.message_id,
            &report.status,
            report.external_status.as_deref(),
            report.reason.as_deref(),
        )
    }
}

#[pymethods]
impl DeliveryReport {
    /// Builds a report by hand, for tests and mocks.
    #[new]
    #[pyo3(signature = (message_id, status, external_status=None, reason=None))]
    fn new(
        message_id: &Bound<'_, PyAny>,
        status: &Bound<'_, PyAny>,
        external_status: Option<&Bound<'_, PyAny>>,
        reason: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let arg = |name| Arg::new("DeliveryReport", name);
        let message_id = plain_text(message_id, arg("message_id"))?;
        // A DeliveryStatus member is a str, so both forms take this path.
        if !status.is_instance_of::<PyString>() {
            return Err(arg("status").type_error("str or DeliveryStatus", status));
        }
        let status = plain_text(status, arg("status"))?;
        let external_status = option_text(external_status, arg("external_status"))?;
        let reason = option_text(reason, arg("reason"))?;
        Ok(DeliveryReport::new_from_parts(
            &message_id,
            &DeliveryStatus::parse(&status),
            external_status.as_deref(),
            reason.as_deref(),
        ))
    }

    /// The `messageId` the send returned.
    #[getter]
    fn message_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        self.py_field(py, &self.message_id)
    }

    /// The resolved status, `DeliveryStatus.UNKNOWN` for a value this version does not know.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let members = status_members(py)?;
        let member = match self.status {
            Status::Delivered => &members[0],
            Status::DeliveredFailed => &members[1],
            Status::Unknown(_) => &members[2],
        };
        Ok(member.bind(py).clone())
    }

    /// The `deliveryStatus` text: the API's spelling of a known status, or the raw value.
    #[getter]
    fn raw_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        match &self.status {
            Status::Unknown(range) => self.py_field(py, range),
            _ => Ok(PyString::new(py, self.raw_status_text())),
        }
    }

    /// The raw gateway status (`Delivered`, `Failed`, `Expired`, `Rejected`, ...), if given.
    #[getter]
    fn external_status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.external_status
            .as_ref()
            .map(|range| self.py_field(py, range))
            .transpose()
    }

    /// The gateway's human-readable result, if given.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.reason
            .as_ref()
            .map(|range| self.py_field(py, range))
            .transpose()
    }

    /// True when the status is `DeliveryStatus.DELIVERED`.
    #[getter]
    fn is_delivered(&self) -> bool {
        self.status == Status::Delivered
    }

    /// True when the status is `DeliveryStatus.DELIVERED_FAILED`.
    #[getter]
    fn is_failed(&self) -> bool {
        self.status == Status::DeliveredFailed
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = |range: Option<&Range<usize>>| -> PyResult<String> {
            match range {
                Some(range) => py_repr(py, self.field(range)),
                None => Ok("None".to_owned()),
            }
        };
        Ok(format!(
            "DeliveryReport(message_id={}, status={}, external_status={}, reason={})",
            text(Some(&self.message_id))?,
            py_repr(py, self.raw_status_text())?,
            text(self.external_status.as_ref())?,
            text(self.reason.as_ref())?,
        ))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let report = slf.get();
        let optional =
            |range: &Option<Range<usize>>| range.as_ref().map(|range| report.field(range));
        let args = (
            report.field(&report.message_id),
            report.raw_status_text(),
            optional(&report.external_status),
            optional(&report.reason),
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
