//! serde_json's own reading of a body, to cross-check the core's parsers.

use serde::de::IgnoredAny;
use serde_json::Value;

/// serde_json's reading of a body.
#[derive(Debug)]
pub enum Reading {
    /// The body is JSON that a `Value` can hold.
    Value(Value),
    /// The body is JSON that serde_json reads when it skips every value, as `IgnoredAny` does,
    /// but a `Value` cannot hold: a string with a lone surrogate escape such as `"\udc00"`, or a
    /// number beyond `f64` such as `1e400`. The core's parsers skip members they do not need in
    /// that way, so they may accept such a body.
    Unrepresentable,
    /// The body is not JSON, even with every value skipped.
    Invalid(String),
}

/// Reads `body`, after a UTF-8 byte order mark if there is one, with serde_json alone.
pub fn read(body: &[u8]) -> Reading {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Reading::Value(value),
        Err(err) => match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Reading::Unrepresentable,
            Err(_) => Reading::Invalid(err.to_string()),
        },
    }
}
