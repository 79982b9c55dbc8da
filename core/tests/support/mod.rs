//! Shared helpers of the integration tests: the scriptable loopback server, fault listeners and
//! the text values of the shared test vectors.
// Each test binary uses a different part of this module, and tests fail by panicking.
#![allow(dead_code, clippy::expect_used, clippy::panic)]

pub mod faults;
pub mod server;

use std::time::Duration;

use base64::Engine;
use clearline::{Client, ClientBuilder, RetryPolicy};
use serde_json::Value;

/// An obviously fake key; tests check that it never leaks.
pub const KEY: &str = "test_key_not_real_0000";

/// The part of [`KEY`] that must never appear in any output: all of it but the last 4
/// characters, which the redacted form may show.
pub const KEY_SECRET_PART: &str = "test_key_not_real_";

/// A retry policy with millisecond backoffs, so retry tests stay fast.
pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(2),
    }
}

/// A builder for `base_url` with the test key, short timeouts and fast retries.
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .retry_policy(fast_retries(2))
}

pub fn client(base_url: &str) -> Client {
    builder(base_url)
        .build()
        .expect("building a test client failed")
}

/// A text value of the shared vectors, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// UTF-16 code units, possibly with lone surrogates.
    Units(Vec<u16>),
    /// Raw bytes, from a `base64` form.
    Bytes(Vec<u8>),
}

impl Text {
    /// The text as a Rust string, or `None` when it holds a lone surrogate or invalid UTF-8.
    pub fn to_string_checked(&self) -> Option<String> {
        match self {
            Text::Units(units) => String::from_utf16(units).ok(),
            Text::Bytes(bytes) => String::from_utf8(bytes.clone()).ok(),
        }
    }

    /// The text as bytes: UTF-8 for text, as given for `base64`.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Text::Units(units) => String::from_utf16_lossy(units).into_bytes(),
            Text::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// Decodes a text value: a JSON string, or a `repeat`, `utf16`, `base64` or `concat` object.
pub fn decode_text(value: &Value) -> Text {
    if let Some(text) = value.as_str() {
        return Text::Units(text.encode_utf16().collect());
    }
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("a text value is a string or an object, not {value}"));
    if let Some(unit) = object.get("repeat") {
        let count = object
            .get("count")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("a repeat form needs a count: {value}"));
        let unit = unit
            .as_str()
            .unwrap_or_else(|| panic!("repeat takes a string: {value}"));
        let units: Vec<u16> = unit.encode_utf16().collect();
        return Text::Units(units.repeat(count as usize));
    }
    if let Some(units) = object.get("utf16") {
        let units = units
            .as_array()
            .unwrap_or_else(|| panic!("utf16 takes an array: {value}"))
            .iter()
            .map(|unit| {
                unit.as_u64()
                    .and_then(|unit| u16::try_from(unit).ok())
                    .unwrap_or_else(|| panic!("utf16 takes code units 0..=65535: {value}"))
            })
            .collect();
        return Text::Units(units);
    }
    if let Some(encoded) = object.get("base64") {
        let encoded = encoded
            .as_str()
            .unwrap_or_else(|| panic!("base64 takes a string: {value}"));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|err| panic!("invalid base64 in {value}: {err}"));
        return Text::Bytes(bytes);
    }
    if let Some(parts) = object.get("concat") {
        let parts: Vec<Text> = parts
            .as_array()
            .unwrap_or_else(|| panic!("concat takes an array: {value}"))
            .iter()
            .map(decode_text)
            .collect();
        if parts.iter().all(|part| matches!(part, Text::Units(_))) {
            let units = parts
                .into_iter()
                .flat_map(|part| match part {
                    Text::Units(units) => units,
                    Text::Bytes(_) => Vec::new(),
                })
                .collect();
            return Text::Units(units);
        }
        let bytes = parts.iter().flat_map(Text::to_bytes).collect();
        return Text::Bytes(bytes);
    }
    panic!("unknown text form: {value}");
}

/// Loads `tests/vectors/{file}` and returns its cases.
pub fn load_cases(file: &str) -> Vec<Value> {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {path} failed: {err}"));
    let root: Value =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"));
    root.get("cases")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("{path} has no \"cases\" array"))
}

/// Builds a runtime-independent description of a value for failure messages, cutting long
/// strings.
pub fn short(value: &str) -> String {
    let shown: String = value.chars().take(120).collect();
    if shown.len() < value.len() {
        format!("{shown:?}… ({} chars)", value.chars().count())
    } else {
        format!("{shown:?}")
    }
}
