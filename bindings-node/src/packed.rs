//! Packs several result values into one JavaScript string, which `lib/packed.js` unpacks.
//!
//! Creating a JavaScript object from Rust costs one Node-API call per property, and each call
//! costs about as much as parsing a short JSON value in JavaScript. One string built here and
//! read with `charCodeAt` and `slice` in JavaScript crosses the boundary once instead.
//!
//! The string is a sequence of UTF-16 code units, not text. A `unit` is one code unit and a
//! `number` is two (low half first). A `text` is its length in code units as a `number`, followed
//! by its code units. Keep the readers in `lib/packed.js` in step with these writers.

use napi::bindgen_prelude::Utf16String;

/// A packed string under construction.
#[derive(Default)]
pub(crate) struct Packer {
    units: Vec<u16>,
}

impl Packer {
    /// Creates a packer with room for `units` code units. A `text` takes at most its length in
    /// UTF-8 bytes plus 2, and a `number` 2.
    pub(crate) fn with_capacity(units: usize) -> Self {
        Packer {
            units: Vec::with_capacity(units),
        }
    }

    /// Appends a value below 65,536, such as a tag or a set of flags.
    pub(crate) fn unit(&mut self, value: u16) {
        self.units.push(value);
    }

    /// Appends a `u32`.
    pub(crate) fn number(&mut self, value: u32) {
        self.units.push(value as u16);
        self.units.push((value >> 16) as u16);
    }

    /// Appends a string: its length in UTF-16 code units, then the code units.
    pub(crate) fn text(&mut self, text: &str) {
        let length_at = self.units.len();
        self.number(0);
        if text.is_ascii() {
            // Every byte is one code unit: the common case, and a loop the compiler vectorizes.
            self.units.extend(text.bytes().map(u16::from));
        } else {
            self.units.extend(text.encode_utf16());
        }
        let length = self.units.len() - length_at - 2;
        // A JavaScript string is shorter than 2^32 code units, and so is every text packed here.
        self.units[length_at] = length as u16;
        self.units[length_at + 1] = (length >> 16) as u16;
    }

    pub(crate) fn finish(self) -> Utf16String {
        Utf16String::from(self.units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(build: impl FnOnce(&mut Packer)) -> Vec<u16> {
        let mut packer = Packer::default();
        build(&mut packer);
        packer.units
    }

    #[test]
    fn number_is_low_half_first() {
        assert_eq!(packed(|p| p.number(0x0001_0002)), [2, 1]);
    }

    #[test]
    fn text_counts_utf16_units() {
        // "é" is one code unit and "🔐" two.
        let units = packed(|p| p.text("é🔐"));
        assert_eq!(units[..2], [3, 0]);
        assert_eq!(units[2..], "é🔐".encode_utf16().collect::<Vec<_>>()[..]);
    }

    #[test]
    fn ascii_text_is_one_unit_per_byte() {
        assert_eq!(packed(|p| p.text("m1")), [2, 0, 0x6D, 0x31]);
    }

    #[test]
    fn empty_text_is_its_length_only() {
        assert_eq!(packed(|p| p.text("")), [0, 0]);
    }
}
