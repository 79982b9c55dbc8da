//! Masking of personal data for logs and displays.

/// Masks a phone number for logs, keeping the `+`, the first two and the last two digits.
///
/// Numbers of 4 digits or fewer keep only their first digit.
///
/// ```
/// assert_eq!(clearline::mask_phone("+12025551234"), "+12*******34");
/// assert_eq!(clearline::mask_phone("+123"), "+1**");
/// ```
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let keep_end = if digits.len() > 4 { 2 } else { 0 };
    let keep_start = if digits.len() > 4 { 2 } else { 1 };

    let mut masked = String::with_capacity(digits.len() + 1);
    masked.push('+');
    for (index, digit) in digits.iter().enumerate() {
        if index < keep_start || index >= digits.len() - keep_end {
            masked.push(*digit);
        } else {
            masked.push('*');
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_phone_ignores_formatting() {
        assert_eq!(mask_phone("+44 20 7946 0958"), "+44********58");
    }

    #[test]
    fn mask_phone_empty() {
        assert_eq!(mask_phone(""), "+");
    }
}
