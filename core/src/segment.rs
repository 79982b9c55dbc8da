//! SMS encoding and segment count of a message text.
//!
//! Carriers bill per segment, so a receipt reports the count the text needs. The rules are the
//! GSM 03.38 ones: a text that fits the GSM-7 alphabet uses 160 septets in one segment and 153 per
//! segment once split; any other text is sent as UCS-2 with 70 UTF-16 code units in one segment
//! and 67 per segment once split.
//!
//! NOTE: ClearLine does not document its own segmentation, so these figures are an estimate of
//! what the carrier bills. A GSM-7 escape pair that straddles a segment boundary can add one
//! segment that this count does not see.
//!
//! ```
//! use clearline::segment::count_segments;
//! use clearline::Encoding;
//!
//! assert_eq!(count_segments("Hello"), (Encoding::Gsm7, 1));
//! assert_eq!(count_segments(&"Привет ".repeat(20)), (Encoding::Ucs2, 3));
//! ```

/// Characters of the GSM 03.38 basic alphabet, each one septet.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Characters of the GSM 03.38 extension table, each two septets (an escape and the character).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{0c}";

/// The encoding an SMS text needs.
///
/// ```
/// use clearline::Encoding;
///
/// assert_eq!(Encoding::of("Hello"), Encoding::Gsm7);
/// assert_eq!(Encoding::of("Привет"), Encoding::Ucs2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The 7-bit GSM default alphabet.
    Gsm7,
    /// UTF-16 (UCS-2 on older handsets), needed by any character outside GSM-7.
    Ucs2,
}

impl Encoding {
    /// Returns the encoding a text needs: GSM-7 when every character is in the GSM 03.38
    /// alphabet or its extension table, otherwise UCS-2.
    ///
    /// ```
    /// use clearline::Encoding;
    ///
    /// assert_eq!(Encoding::of("Price: 5€ [sale]"), Encoding::Gsm7);
    /// assert_eq!(Encoding::of("Your code 🔐"), Encoding::Ucs2);
    /// ```
    pub fn of(text: &str) -> Encoding {
        if text.chars().all(|ch| gsm7_septets(ch).is_some()) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }

    /// Returns `"GSM-7"` or `"UCS-2"`.
    ///
    /// ```
    /// assert_eq!(clearline::Encoding::Ucs2.as_str(), "UCS-2");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// Returns the number of septets `ch` takes in GSM-7, or `None` when it is not in the alphabet.
fn gsm7_septets(ch: char) -> Option<usize> {
    if ch.is_ascii_alphanumeric() || ch == ' ' {
        return Some(1);
    }
    if GSM7_BASIC.contains(ch) {
        Some(1)
    } else if GSM7_EXTENSION.contains(ch) {
        Some(2)
    } else {
        None
    }
}

/// Returns the encoding a text needs and the number of SMS segments it takes.
///
/// ```
/// use clearline::{segment::count_segments, Encoding};
///
/// assert_eq!(count_segments(&"a".repeat(160)), (Encoding::Gsm7, 1));
/// assert_eq!(count_segments(&"a".repeat(161)), (Encoding::Gsm7, 2));
/// assert_eq!(count_segments(&"é".repeat(10)), (Encoding::Gsm7, 1));
/// assert_eq!(count_segments(&"日".repeat(71)), (Encoding::Ucs2, 2));
/// ```
pub fn count_segments(text: &str) -> (Encoding, u32) {
    let septets: Option<usize> = text.chars().map(gsm7_septets).sum();
    let (encoding, units, single, per_part) = match septets {
        Some(septets) => (Encoding::Gsm7, septets, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = if units <= single {
        1
    } else {
        units.div_ceil(per_part)
    };
    (encoding, u32::try_from(segments).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_alphabet_has_128_characters() {
        assert_eq!(GSM7_BASIC.chars().count(), 128);
    }

    #[test]
    fn extension_characters_count_double() {
        assert_eq!(count_segments(&"€".repeat(80)), (Encoding::Gsm7, 1));
        assert_eq!(count_segments(&"€".repeat(81)), (Encoding::Gsm7, 2));
    }

    #[test]
    fn emoji_counts_two_utf16_units() {
        assert_eq!(count_segments(&"😀".repeat(35)), (Encoding::Ucs2, 1));
        assert_eq!(count_segments(&"😀".repeat(36)), (Encoding::Ucs2, 2));
    }

    #[test]
    fn long_gsm7_text_splits_by_153() {
        assert_eq!(count_segments(&"a".repeat(306)), (Encoding::Gsm7, 2));
        assert_eq!(count_segments(&"a".repeat(307)), (Encoding::Gsm7, 3));
    }
}
