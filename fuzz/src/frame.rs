//! The framing of structured inputs: fields separated by the byte 0xFF.
//!
//! 0xFF never occurs in UTF-8, so a text field cannot contain it by accident, and a seed such as
//! `1600\xFF+12025551234\xFFHi` stays readable in a hex dump. A field that is not valid UTF-8 is
//! decoded lossily: its broken bytes become U+FFFD, which is still a useful input.

use std::borrow::Cow;

/// The byte between two fields.
pub const SEPARATOR: u8 = 0xFF;

/// Splits `data` into at most `max_fields` fields; the last one keeps any further separators.
pub fn split(data: &[u8], max_fields: usize) -> Vec<&[u8]> {
    data.splitn(max_fields, |&byte| byte == SEPARATOR).collect()
}

/// Decodes a field as text, replacing invalid UTF-8 with U+FFFD.
pub fn text(field: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// Reads the leading ASCII digits of a field as a number, saturating at `u64::MAX`. Returns
/// `None` when the field does not start with a digit.
pub fn number(field: &[u8]) -> Option<u64> {
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let value = digits.iter().fold(0u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    Some(value)
}

/// Joins fields with [`SEPARATOR`]; the inverse of [`split`], used to build seeds in tests.
pub fn join(fields: &[&[u8]]) -> Vec<u8> {
    fields.join(&SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_separators_in_last_field() {
        let data = join(&[b"a", b"b", b"c\xFFd"]);
        assert_eq!(split(&data, 3), vec![&b"a"[..], b"b", b"c\xFFd"]);
    }

    #[test]
    fn number_saturates_and_stops_at_non_digit() {
        assert_eq!(number(b"429+"), Some(429));
        assert_eq!(number(b"99999999999999999999999"), Some(u64::MAX));
        assert_eq!(number(b"x1"), None);
    }
}
