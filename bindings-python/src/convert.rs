//! Conversion of Python arguments to Rust values, with errors that name the argument.
//!
//! A wrong type raises `TypeError` ("Client.send() argument 'phone' must be str, not int"). A
//! `str` holding a lone surrogate raises the core's `invalid_unicode` validation error when it is
//! a request field, and `ConfigurationError` naming the argument otherwise, never a
//! `UnicodeEncodeError` or a panic. Out-of-range numbers raise `ConfigurationError`. No message
//! quotes the value of a text argument, so an API key passed in the wrong place is never echoed.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyMapping, PyString};

use crate::error::{configuration_error, to_pyerr};

/// Names the function and argument in error messages, such as `Client.send()` and `phone`.
#[derive(Clone, Copy)]
pub(crate) struct Arg<'a> {
    pub(crate) function: &'a str,
    pub(crate) name: &'a str,
}

impl<'a> Arg<'a> {
    pub(crate) fn new(function: &'a str, name: &'a str) -> Self {
        Arg { function, name }
    }

    /// Builds the `TypeError` for a value of the wrong type.
    pub(crate) fn type_error(self, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
        PyTypeError::new_err(format!(
            "{}() argument '{}' must be {expected}, not {}",
            self.function,
            self.name,
            type_name(value)
        ))
    }
}

/// Returns the name of a value's type for messages: `int`, `bytes`, `None`.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    if value.is_none() {
        return "None".to_owned();
    }
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".to_owned())
}

/// Extracts a `str` argument that is sent to ClearLine as the API field `field`.
pub(crate) fn text(
    value: &Bound<'_, PyAny>,
    arg: Arg<'_>,
    field: &'static str,
) -> PyResult<String> {
    let Ok(text) = value.cast::<PyString>() else {
        return Err(arg.type_error("str", value));
    };
    match text.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        Err(_) => Err(to_pyerr(
            value.py(),
            &clearline::Error::invalid_unicode(field),
        )),
    }
}

/// Like [`text`] for an argument that may be omitted or `None`.
pub(crate) fn optional_text(
    value: Option<&Bound<'_, PyAny>>,
    arg: Arg<'_>,
    field: &'static str,
) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => text(value, arg, field)
            .map(Some)
            .map_err(|err| retype(err, arg, "str or None", value)),
    }
}

/// Rewrites a `TypeError` from [`text`] to name the types an optional argument accepts.
fn retype(err: PyErr, arg: Arg<'_>, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
    if err.is_instance_of::<PyTypeError>(value.py()) {
        arg.type_error(expected, value)
    } else {
        err
    }
}

/// Extracts a `str` argument that is not sent as a request field: a client option (the API key,
/// the environment, the base URL), a field of a hand-built receipt, or a sandbox fault setting.
pub(crate) fn plain_text(value: &Bound<'_, PyAny>, arg: Arg<'_>) -> PyResult<String> {
    let Ok(text) = value.cast::<PyString>() else {
        return Err(arg.type_error("str", value));
    };
    match text.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        Err(_) => Err(configuration_error(
            value.py(),
            format!(
                "{}() argument '{}' is not valid Unicode (it contains a lone surrogate); remove \
                 or replace the broken character",
                arg.function, arg.name
            ),
        )),
    }
}

/// Like [`plain_text`] for an argument that may be omitted or `None`.
pub(crate) fn option_text(
    value: Option<&Bound<'_, PyAny>>,
    arg: Arg<'_>,
) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => plain_text(value, arg)
            .map(Some)
            .map_err(|err| retype(err, arg, "str or None", value)),
    }
}

/// Extracts a positive duration given in seconds as an `int` or a `float`.
pub(crate) fn seconds(value: &Bound<'_, PyAny>, arg: Arg<'_>) -> PyResult<Duration> {
    seconds_up_to(value, arg, Duration::MAX)
}

/// Like [`seconds`], and rejects a duration above `max`.
pub(crate) fn seconds_up_to(
    value: &Bound<'_, PyAny>,
    arg: Arg<'_>,
    max: Duration,
) -> PyResult<Duration> {
    let is_number = (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<PyBool>();
    if !is_number {
        return Err(arg.type_error("a number of seconds (int or float)", value));
    }
    let value_text = number_repr(value);
    let invalid = |reason: String| {
        configuration_error(
            value.py(),
            format!("invalid {}: {value_text} {reason}", arg.name),
        )
    };
    let too_large = || {
        let max_text = if max == Duration::MAX {
            "such as 30".to_owned()
        } else {
            format!("of at most {}", max.as_secs_f64())
        };
        invalid(format!(
            "seconds is too large; pass a number of seconds {max_text}"
        ))
    };

    // An int too large for a float fails to extract; it is too large in any case.
    let Ok(seconds) = value.extract::<f64>() else {
        return Err(too_large());
    };
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(invalid(
            "is not a positive number of seconds; pass a value above 0".to_owned(),
        ));
    }
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if duration <= max => Ok(duration),
        _ => Err(too_large()),
    }
}

/// Returns Python's `repr()` of a number for messages, shortened when it is very long.
///
/// Python's repr keeps 1e300 short, where Rust's `Display` of the f64 prints 301 digits, but an
/// `int` such as `10**400` still needs shortening.
pub(crate) fn number_repr(value: &Bound<'_, PyAny>) -> String {
    const MAX_CHARS: usize = 24;
    let full = value
        .repr()
        .map(|text| text.to_string())
        .unwrap_or_default();
    match full.get(..MAX_CHARS) {
        Some(start) if full.len() > MAX_CHARS => {
            format!("{start}... ({} characters)", full.chars().count())
        }
        _ => full,
    }
}

/// Like [`seconds`] for an argument that may be omitted or `None`.
pub(crate) fn optional_seconds(
    value: Option<&Bound<'_, PyAny>>,
    arg: Arg<'_>,
) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => seconds(value, arg)
            .map(Some)
            .map_err(|err| retype(err, arg, "a number of seconds or None", value)),
    }
}

/// Extracts a whole number of at least `min`, such as `max_retries` or `concurrency`.
pub(crate) fn count(value: &Bound<'_, PyAny>, arg: Arg<'_>, min: u32) -> PyResult<u32> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(arg.type_error("int", value));
    }
    let in_range = value
        .extract::<u64>()
        .ok()
        .and_then(|number| u32::try_from(number).ok())
        .filter(|number| *number >= min);
    in_range.ok_or_else(|| {
        let value_text = number_repr(value);
        configuration_error(
            value.py(),
            format!(
                "invalid {}: {value_text}; pass a whole number from {min} to {}",
                arg.name,
                u32::MAX
            ),
        )
    })
}

/// Returns true for a `dict` or any other `collections.abc.Mapping`.
pub(crate) fn is_mapping(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyDict>() || value.cast::<PyMapping>().is_ok()
}

/// Looks `key` up in a mapping checked with [`is_mapping`]; `None` when it is absent.
pub(crate) fn mapping_get<'py>(
    mapping: &Bound<'py, PyAny>,
    key: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = mapping.cast::<PyDict>() {
        return dict.get_item(key);
    }
    if mapping.contains(key)? {
        mapping.get_item(key).map(Some)
    } else {
        Ok(None)
    }
}

/// Returns Python's `repr()` of a string, for `__repr__` methods.
pub(crate) fn py_repr(py: Python<'_>, text: &str) -> PyResult<String> {
    Ok(PyString::new(py, text).repr()?.to_string())
}
