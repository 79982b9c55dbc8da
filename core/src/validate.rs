//! Validation of send requests: phone numbers, message texts and callback URLs.
//!
//! These rules run before any I/O, so a bad request never reaches ClearLine. The sandbox uses the
//! same functions to decide its 400 answers, which keeps the simulator and the SDK in step.
//!
//! ```
//! use clearline::validate::{canonical_callback_url, canonical_phone, check_message};
//!
//! assert_eq!(canonical_phone("+1 (202) 555-1234")?, "+12025551234");
//! check_message("Your code is 1234", 1600)?;
//! assert!(canonical_callback_url("javascript:alert(1)").is_err());
//! # Ok::<(), clearline::Error>(())
//! ```

use url::{Host, Url};

use crate::error::{Error, Result};

/// Default maximum length of a message, in Unicode characters (code points).
///
/// 1,600 characters is ten concatenated GSM-7 segments of 160 characters, a common carrier
/// limit. [`crate::ClientBuilder::max_message_chars`] changes it.
///
/// ```
/// use clearline::validate::{check_message, DEFAULT_MAX_MESSAGE_CHARS};
///
/// assert!(check_message(&"a".repeat(DEFAULT_MAX_MESSAGE_CHARS), DEFAULT_MAX_MESSAGE_CHARS).is_ok());
/// assert!(check_message(&"a".repeat(DEFAULT_MAX_MESSAGE_CHARS + 1), DEFAULT_MAX_MESSAGE_CHARS).is_err());
/// ```
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 1_600;

/// Maximum length of a callback URL, in bytes.
///
/// ```
/// use clearline::validate::{canonical_callback_url, MAX_CALLBACK_URL_LEN};
///
/// let long = format!("https://app.example.com/{}", "a".repeat(MAX_CALLBACK_URL_LEN));
/// assert!(canonical_callback_url(&long).is_err());
/// ```
pub const MAX_CALLBACK_URL_LEN: usize = 2_048;

/// Minimum and maximum number of digits after the `+` of an E.164 number.
///
/// ```
/// use clearline::validate::{canonical_phone, PHONE_DIGITS};
///
/// assert_eq!(PHONE_DIGITS, 2..=15);
/// assert!(canonical_phone("+123456789012345").is_ok());
/// assert!(canonical_phone("+1234567890123456").is_err());
/// ```
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 2..=15;

/// Longest part of a rejected value quoted back in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// Returns the words used for an API field in messages: `callbackUrl` reads "callback URL".
pub(crate) fn field_label(field: &str) -> &str {
    match field {
        "callbackUrl" => "callback URL",
        other => other,
    }
}

/// Quotes a rejected value for an error message: Rust string escapes (so control characters and
/// NUL are visible) and at most [`MAX_QUOTED_CHARS`] characters.
pub(crate) fn quote(value: &str) -> String {
    let mut shown: String = value.chars().take(MAX_QUOTED_CHARS).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// Hides the secrets a URL may carry before it is quoted in a message: the `user:password@`
/// part and, with `hide_query`, the query string. Works on text that does not parse as a URL.
///
/// The authority is taken to start after the first `:` and any slashes, backslashes, tabs and
/// newlines that follow it, because URL parsers (the WHATWG URL Standard, the `url` crate)
/// accept `https:user:pw@host` and `https:\\user:pw@host` as URLs with credentials. It ends
/// at the first `/`, `?` or `#`. Everything before its last `@` is hidden, which may hide more
/// than the credentials of text that is not a URL, but never less.
pub(crate) fn redact_url_secrets(raw: &str, hide_query: bool) -> String {
    let mut redacted = raw.to_owned();
    if hide_query {
        if let Some(query_start) = redacted.find('?') {
            let fragment_start = redacted[query_start..]
                .find('#')
                .map_or(redacted.len(), |offset| query_start + offset);
            redacted.replace_range(query_start + 1..fragment_start, "***");
        }
    }
    let Some(scheme_end) = redacted.find(':') else {
        return redacted;
    };
    let after_scheme = scheme_end + 1;
    let authority_start = redacted[after_scheme..]
        .find(|ch| !matches!(ch, '/' | '\\' | '\t' | '\n' | '\r'))
        .map_or(redacted.len(), |offset| after_scheme + offset);
    let authority_end = redacted[authority_start..]
        .find(['/', '?', '#'])
        .map_or(redacted.len(), |offset| authority_start + offset);
    if let Some(at) = redacted[authority_start..authority_end].rfind('@') {
        redacted.replace_range(authority_start..authority_start + at, "***");
    }
    redacted
}

/// Validates a phone number and returns its canonical E.164 form.
///
/// The number is a `+` followed by 2 to 15 ASCII digits, the first of which is not 0. Spaces,
/// hyphens, dots and parentheses after the `+` are accepted and removed, and whitespace around
/// the whole number is trimmed. A number without `+` is rejected with a hint: the country code is
/// never guessed.
///
/// ```
/// use clearline::validate::canonical_phone;
///
/// assert_eq!(canonical_phone("+1 (202) 555-1234").unwrap(), "+12025551234");
/// assert!(canonical_phone("2025551234").is_err());
/// ```
///
/// # Errors
///
/// [`crate::ErrorKind::Validation`] with `field() == Some("phone")`; the message quotes the
/// value and says how to fix it.
pub fn canonical_phone(phone: &str) -> Result<String> {
    let trimmed = phone.trim();
    let invalid = |reason: String| {
        Error::validation("phone", format!("invalid phone {}: {reason}", quote(phone)))
    };

    if trimmed.is_empty() {
        return Err(invalid(
            "it is empty; pass the recipient in E.164 form, for example \"+12025551234\"".into(),
        ));
    }

    let Some(rest) = trimmed.strip_prefix('+') else {
        return Err(invalid(missing_plus_hint(trimmed)));
    };

    let mut canonical = String::with_capacity(rest.len() + 1);
    canonical.push('+');
    for ch in rest.chars() {
        match ch {
            '0'..='9' => canonical.push(ch),
            ' ' | '-' | '.' | '(' | ')' => {}
            other => {
                return Err(invalid(format!(
                    "{other:?} is not allowed; E.164 numbers contain only digits after the \"+\" \
                     (spaces, hyphens, dots and parentheses are removed)"
                )));
            }
        }
    }

    let digits = canonical.len() - 1;
    if digits < *PHONE_DIGITS.start() {
        return Err(invalid(format!(
            "it has {digits} digit(s) after the \"+\", and E.164 numbers have 2 to 15; \
             check that the number is complete"
        )));
    }
    if digits > *PHONE_DIGITS.end() {
        return Err(invalid(format!(
            "it has {digits} digits after the \"+\", and E.164 numbers have at most 15; \
             check for an extra digit or a national prefix left in"
        )));
    }
    if canonical.as_bytes()[1] == b'0' {
        return Err(invalid(
            "country codes never start with 0; remove the national trunk prefix \
             (for example \"+44 07700 900123\" becomes \"+447700900123\")"
                .into(),
        ));
    }
    Ok(canonical)
}

/// Builds the fix for a number given without its `+`.
fn missing_plus_hint(trimmed: &str) -> String {
    let digits_only = trimmed
        .chars()
        .all(|ch| ch.is_ascii_digit() || matches!(ch, ' ' | '-' | '.' | '(' | ')'));
    if !digits_only {
        return "E.164 numbers start with \"+\" and the country code, and contain only digits, \
                for example \"+12025551234\""
            .into();
    }
    if let Some(international) = trimmed.strip_prefix("00") {
        return format!(
            "E.164 numbers start with \"+\" and the country code; replace the international \
             prefix 00 with \"+\": {}",
            quote(&format!("+{international}"))
        );
    }
    "E.164 numbers start with \"+\" and the country code; add the recipient's country code, \
     for example \"+1\" for the United States (the SDK never guesses it)"
        .into()
}

/// Validates the text of an SMS.
///
/// The text must not be empty or only whitespace, must not contain NUL, and must have at most
/// `max_chars` Unicode characters (code points). Everything else, emoji, CJK and right-to-left
/// text included, is sent unchanged.
///
/// ```
/// use clearline::validate::check_message;
///
/// assert!(check_message("Your code is 1234 🔐", 1600).is_ok());
/// assert!(check_message("   ", 1600).is_err());
/// ```
///
/// # Errors
///
/// [`crate::ErrorKind::Validation`] with `field() == Some("message")`. The message text itself
/// is not quoted back (it may hold a one-time code); its length is.
pub fn check_message(message: &str, max_chars: usize) -> Result<()> {
    if message.trim().is_empty() {
        let what = if message.is_empty() {
            "it is empty"
        } else {
            "it contains only whitespace"
        };
        return Err(Error::validation(
            "message",
            format!("invalid message: {what}; pass the text of the SMS"),
        ));
    }
    if let Some(position) = message.chars().position(|ch| ch == '\0') {
        return Err(Error::validation(
            "message",
            format!(
                "invalid message: it contains a NUL character at position {position}; \
                 remove it (SMS cannot carry NUL)"
            ),
        ));
    }
    let chars = message.chars().count();
    if chars > max_chars {
        return Err(Error::validation(
            "message",
            format!(
                "invalid message: it has {chars} characters, more than the maximum of \
                 {max_chars}; shorten it, split it into several SMS, or raise the client's \
                 maximum message length"
            ),
        ));
    }
    Ok(())
}

/// Validates a callback URL and returns its normalized form.
///
/// The URL must be absolute, use `https` (plain `http` only for a loopback host), carry no
/// `user:password@` part, and be at most [`MAX_CALLBACK_URL_LEN`] bytes long both as given and
/// once normalized. Normalizing percent-encodes spaces and non-ASCII characters, so it can make
/// a URL longer.
///
/// ```
/// use clearline::validate::canonical_callback_url;
///
/// let url = canonical_callback_url("https://app.example.com/webhooks/sms").unwrap();
/// assert_eq!(url, "https://app.example.com/webhooks/sms");
/// assert!(canonical_callback_url("http://app.example.com/webhooks/sms").is_err());
/// assert!(canonical_callback_url("http://127.0.0.1:8080/hook").is_ok());
/// ```
///
/// # Errors
///
/// [`crate::ErrorKind::Validation`] with `field() == Some("callbackUrl")`.
pub fn canonical_callback_url(callback_url: &str) -> Result<String> {
    callback_url_rules(callback_url, true)
}

/// Validates a callback URL as a server receives it and returns its normalized form.
///
/// The rules are those of [`canonical_callback_url`], except that the length limit applies
/// only to the URL as received, the wire value that the OpenAPI document's `maxLength` describes.
/// The sandbox uses it, so a request that a client other than this SDK sends is judged by the
/// documented contract.
///
/// ```
/// use clearline::validate::{canonical_callback_url, check_received_callback_url};
///
/// // 2,048 bytes as received, one more once normalized (the path gets its "/").
/// let url = format!("https://a?{}", "0".repeat(2_038));
/// assert!(check_received_callback_url(&url).is_ok());
/// assert!(canonical_callback_url(&url).is_err());
/// ```
///
/// # Errors
///
/// [`crate::ErrorKind::Validation`] with `field() == Some("callbackUrl")`.
pub fn check_received_callback_url(callback_url: &str) -> Result<String> {
    callback_url_rules(callback_url, false)
}

/// Applies the callback URL rules; `limit_normalized` also applies the length limit to the
/// normalized form, which is the form a client sends.
fn callback_url_rules(callback_url: &str, limit_normalized: bool) -> Result<String> {
    let invalid = |reason: &str| {
        Error::validation(
            "callbackUrl",
            format!(
                "invalid callback URL {}: {reason}",
                quote(&redact_url_secrets(callback_url, false))
            ),
        )
    };

    if callback_url.len() > MAX_CALLBACK_URL_LEN {
        return Err(invalid(&format!(
            "it is {} bytes long, more than the maximum of {MAX_CALLBACK_URL_LEN}; use a shorter \
             URL and keep per-message data on your side, keyed by messageId",
            callback_url.len()
        )));
    }
    if callback_url.trim() != callback_url || callback_url.is_empty() {
        return Err(invalid(
            "it is empty or has whitespace around it; pass an absolute https URL",
        ));
    }
    // URL parsing silently drops tabs and newlines inside a URL, which would send a different
    // URL from the one given, so ASCII control characters are rejected first.
    if let Some(position) = callback_url.chars().position(|ch| ch.is_ascii_control()) {
        return Err(invalid(&format!(
            "it contains a control character (such as a newline or tab) at position {position}; \
             remove it"
        )));
    }

    let url = Url::parse(callback_url).map_err(|err| {
        invalid(&format!(
            "it is not an absolute URL ({err}); pass one such as \
             \"https://app.example.com/webhooks/sms\""
        ))
    })?;
    check_secure_url(&url).map_err(|reason| invalid(&reason))?;

    let canonical: String = url.into();
    if limit_normalized && canonical.len() > MAX_CALLBACK_URL_LEN {
        return Err(invalid(&format!(
            "it is {} bytes long once normalized (percent-encoded), more than the maximum of \
             {MAX_CALLBACK_URL_LEN}; use a shorter URL and keep per-message data on your side, \
             keyed by messageId",
            canonical.len()
        )));
    }
    Ok(canonical)
}

/// Checks the rules that base URLs and callback URLs share: `https`, or `http` on a loopback
/// host; a host; no credentials. Returns the reason on failure.
pub(crate) fn check_secure_url(url: &Url) -> std::result::Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(
                "plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1]); \
                 use https"
                    .into(),
            );
        }
        other => {
            // A scheme may be as long as the URL, so it is quoted with the length cap.
            return Err(format!(
                "the scheme {} is not supported; use https",
                quote(other)
            ));
        }
    }
    if url.host().is_none() {
        return Err("it has no host; pass an absolute https URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "it contains a user name or password; remove the \"user:password@\" part".into(),
        );
    }
    Ok(())
}

/// Returns `true` for `localhost`, 127.0.0.0/8 and `[::1]`.
///
/// ```
/// use url::Url;
///
/// let url = Url::parse("http://127.0.0.2:9000/").unwrap();
/// assert!(clearline::validate::is_loopback(&url));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_formatted_is_canonical() {
        let canonical = canonical_phone(" +44 (20) 7946.0958 ");
        assert_eq!(canonical.ok().as_deref(), Some("+442079460958"));
    }

    #[test]
    fn phone_without_plus_is_rejected_with_hint() {
        let err = canonical_phone("2025551234").err().map(|e| e.to_string());
        let message = err.unwrap_or_default();
        assert!(message.contains("\"2025551234\""), "{message}");
        assert!(message.contains("country code"), "{message}");
    }

    #[test]
    fn phone_with_00_prefix_suggests_plus() {
        let message = canonical_phone("0044 20 7946 0958")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("\"+44 20 7946 0958\""), "{message}");
    }

    #[test]
    fn phone_00_prefix_suggestion_is_capped() {
        let phone = format!("00{}", "1".repeat(5_000));
        let message = canonical_phone(&phone)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("with \"+\": \"+111"), "{message}");
        assert!(message.chars().count() < 500, "{message}");
    }

    #[test]
    fn phone_digit_bounds() {
        assert!(canonical_phone("+12").is_ok());
        assert!(canonical_phone("+1").is_err());
        assert!(canonical_phone(&format!("+1{}", "2".repeat(14))).is_ok());
        assert!(canonical_phone(&format!("+1{}", "2".repeat(15))).is_err());
    }

    #[test]
    fn phone_rejects_unicode_digits() {
        assert!(canonical_phone("+١٢٣٤٥٦").is_err());
    }

    #[test]
    fn message_nul_is_rejected() {
        let err = check_message("a\0b", 10).err();
        assert_eq!(err.as_ref().and_then(Error::field), Some("message"));
    }

    #[test]
    fn message_length_counts_code_points() {
        assert!(check_message(&"😀".repeat(5), 5).is_ok());
        assert!(check_message(&"😀".repeat(6), 5).is_err());
    }

    #[test]
    fn callback_url_rejects_credentials() {
        let err = canonical_callback_url("https://user:pw@example.com/hook").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("user name or password"), "{message}");
    }

    #[test]
    fn callback_url_error_hides_password() {
        let err = canonical_callback_url("https://user:hunter2@example.com/hook").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains("https://***@example.com/hook"),
            "{message}"
        );
    }

    #[test]
    fn redact_url_secrets_hides_query_when_asked() {
        let url = "https://u:p@host.example/path?key=secret#top";
        assert_eq!(
            redact_url_secrets(url, true),
            "https://***@host.example/path?***#top"
        );
        assert_eq!(
            redact_url_secrets(url, false),
            "https://***@host.example/path?key=secret#top"
        );
        assert_eq!(redact_url_secrets("no scheme@here", true), "no scheme@here");
    }

    #[test]
    fn callback_url_error_hides_password_without_slashes() {
        // The url crate reads each of these as https with the password "hunter2".
        for raw in [
            "https:user:hunter2@example.com/hook",
            "https:\\\\user:hunter2@example.com/hook",
            "https:/\t/user:hunter2@example.com/hook",
            "https:\u{1}user:hunter2@example.com/hook",
        ] {
            let parsed = Url::parse(raw).ok();
            assert_eq!(
                parsed.as_ref().and_then(Url::password),
                Some("hunter2"),
                "{raw:?}"
            );
            let message = canonical_callback_url(raw)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            // A tab or another control character is rejected before the credentials are.
            let expected = if raw.contains(|ch: char| ch.is_ascii_control()) {
                "control character"
            } else {
                "user name or password"
            };
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn callback_url_length_counts_normalized_form() {
        // Each space becomes "%20", so 700 of them take 2,100 bytes once normalized.
        let raw = format!("https://app.example.com/a{}b", " ".repeat(700));
        assert!(raw.len() <= MAX_CALLBACK_URL_LEN);
        let message = canonical_callback_url(&raw)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("2126 bytes long once normalized"),
            "{message}"
        );
    }

    #[test]
    fn callback_url_long_scheme_is_capped() {
        let raw = format!("{}://app.example.com/hook", "a".repeat(1_000));
        let message = canonical_callback_url(&raw)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("the scheme \"aaa"), "{message}");
        assert!(message.chars().count() < 500, "{message}");
    }

    #[test]
    fn callback_url_rejects_inner_newline() {
        let err = canonical_callback_url("https://example.com/web\nhooks").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("control character"), "{message}");
    }

    #[test]
    fn callback_url_allows_ipv6_loopback_http() {
        assert!(canonical_callback_url("http://[::1]:8080/hook").is_ok());
    }

    #[test]
    fn quote_truncates_long_values() {
        let quoted = quote(&"a".repeat(100));
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 3);
    }
}
