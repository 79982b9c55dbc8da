//! Reading JavaScript strings without losing broken text.
//!
//! Node-API converts a string to UTF-8 by replacing each lone surrogate with U+FFFD, without an
//! error. A send must never carry a replaced character, so text is read as UTF-8 and, only when
//! the result contains U+FFFD, read again as UTF-16 to tell a real U+FFFD from a replaced lone
//! surrogate. Well-formed strings, the common case, are read once.

use napi::{JsString, Result};

/// Reads the text of a JavaScript string, or returns `None` when it contains a lone surrogate.
pub(crate) fn read(value: JsString<'_>) -> Result<Option<String>> {
    let utf8 = value.into_utf8()?.into_owned()?;
    if !utf8.contains(char::REPLACEMENT_CHARACTER) {
        return Ok(Some(utf8));
    }
    Ok(String::from_utf16(&utf16_units(value)?).ok())
}

/// Calls `use_bytes` with the bytes of a JavaScript string in UTF-8, with each lone surrogate
/// encoded as its own three-byte sequence (WTF-8).
///
/// Those sequences are invalid UTF-8, so a parser rejects them as it rejects any other invalid
/// byte, rather than accepting a U+FFFD that was never in the string. The bytes of a well-formed
/// string are lent from the conversion's buffer without a copy.
pub(crate) fn with_bytes<T>(value: JsString<'_>, use_bytes: impl FnOnce(&[u8]) -> T) -> Result<T> {
    // Only ASCII text is as long in UTF-8 bytes as in UTF-16 code units, and its Latin-1 bytes
    // are its UTF-8 bytes. Node-API copies those out of a one-byte string (how V8 stores ASCII
    // text) in one pass, where the UTF-8 conversion measures the string and then encodes it.
    // NOTE: other text pays for one more UTF-8 measurement than before this check.
    if value.utf8_len()? == value.utf16_len()? {
        return Ok(use_bytes(value.into_latin1()?.as_slice()));
    }
    let utf8 = value.into_utf8()?;
    let replacement = "\u{FFFD}".as_bytes();
    if memchr::memmem::find(utf8.as_slice(), replacement).is_none() {
        return Ok(use_bytes(utf8.as_slice()));
    }
    Ok(use_bytes(&encode_wtf8(&utf16_units(value)?)))
}

/// Reads the UTF-16 code units of a string.
fn utf16_units(value: JsString<'_>) -> Result<Vec<u16>> {
    let utf16 = value.into_utf16()?;
    // napi-rs 3.16 returns the units followed by the NUL terminator Node-API wrote.
    let units = match utf16.as_slice().split_last() {
        Some((0, units)) => units,
        _ => utf16.as_slice(),
    };
    Ok(units.to_vec())
}

/// Encodes UTF-16 code units as UTF-8, writing each lone surrogate as the three bytes UTF-8
/// would use for its code point.
fn encode_wtf8(units: &[u16]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(units.len() * 3);
    let mut buffer = [0u8; 4];
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(ch) => bytes.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes()),
            Err(err) => {
                let unit = err.unpaired_surrogate();
                bytes.extend_from_slice(&[
                    0xE0 | (unit >> 12) as u8,
                    0x80 | ((unit >> 6) & 0x3F) as u8,
                    0x80 | (unit & 0x3F) as u8,
                ]);
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_wtf8_keeps_valid_text() {
        let units: Vec<u16> = "héllo 🔐".encode_utf16().collect();
        assert_eq!(encode_wtf8(&units), "héllo 🔐".as_bytes());
    }

    #[test]
    fn encode_wtf8_marks_lone_surrogate() {
        let bytes = encode_wtf8(&[0x68, 0xD83D, 0x69]);
        assert_eq!(bytes, [0x68, 0xED, 0xA0, 0xBD, 0x69]);
        assert!(std::str::from_utf8(&bytes).is_err());
    }
}
