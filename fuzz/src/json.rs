//! serde_json's own reading of a body, to cross-check the core's parsers.

use serde_json::Value;

/// What serde_json makes of a body.
#[derive(Debug)]
pub enum Reading {
    /// The body is JSON that a `Value` can hold.
    Value(Value),
    /// The body is JSON, but a member holds what a `Value` cannot: a lone surrogate escape such
    /// as `"\udc00"` or a number beyond `f64` such as `1e400`. The core's parsers skip members
    /// they do not need without decoding them, as serde_json's `IgnoredAny` does, so they may
    /// accept such a body.
    Unrepresentable,
    /// The body is not JSON.
    Invalid(String),
}

/// Reads `body`, after a UTF-8 byte order mark if there is one, with serde_json alone.
pub fn read(body: &[u8]) -> Reading {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Reading::Value(value),
        Err(err) => {
            let message = err.to_string();
            if message.contains("surrogate") || message.contains("number out of range") {
                Reading::Unrepresentable
            } else {
                Reading::Invalid(message)
            }
        }
    }
}
