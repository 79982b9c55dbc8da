//! The one error type of the crate.
//!
//! Every failure, from a rejected phone number to a connection reset, is an [`Error`] with an
//! [`ErrorKind`]. The bindings map each kind to one Python exception class and one Node error
//! `code`, so the kinds, their codes and the message texts are defined here and nowhere else.

use std::fmt;
use std::time::Duration;

/// Result type of this crate.
///
/// ```
/// fn report_id(body: &[u8]) -> clearline::Result<String> {
///     Ok(clearline::DeliveryReport::parse(body)?.message_id)
/// }
/// assert!(report_id(b"[]").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in categories a caller can act on.
///
/// ```
/// use clearline::{ErrorKind, SendRequest};
///
/// let err = SendRequest::new("2025551234", "Hi").prepare(1600).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Validation);
/// assert_eq!(err.kind().code(), "CLEARLINE_VALIDATION");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client could not be built: no API key, a base URL that is not `https`, and so on.
    Configuration,
    /// A send request failed validation before any I/O (phone, message or callback URL).
    Validation,
    /// ClearLine answered 401 or 403: the API key is missing, wrong or revoked.
    Authentication,
    /// ClearLine answered `"succeed": false`, or a 4xx other than 401, 403 and 429.
    Rejected,
    /// ClearLine answered 429; [`Error::retry_after`] carries its `Retry-After`.
    RateLimited,
    /// ClearLine answered 5xx.
    Server,
    /// The response was not what the API promises: a redirect, a 1xx, or a 2xx whose body is not
    /// the expected JSON (an HTML page from a proxy, a missing `messageId`).
    UnexpectedResponse,
    /// A connect or response timeout; [`Error::timeout_phase`] says which.
    Timeout,
    /// The connection could not be made (DNS, refused, TLS, proxy) or broke during the exchange.
    Connection,
    /// A delivery-report body could not be parsed.
    CallbackParse,
    /// A send of a batch did not finish because the batch was stopped early (see
    /// [`Client::send_many_until`](crate::Client::send_many_until)); [`Error::maybe_sent`] says
    /// whether it was in flight.
    Cancelled,
}

impl ErrorKind {
    /// Returns the stable code of this kind, the `code` of Node errors, for example
    /// `CLEARLINE_RATE_LIMITED`.
    ///
    /// ```
    /// assert_eq!(clearline::ErrorKind::Timeout.code(), "CLEARLINE_TIMEOUT");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Configuration => "CLEARLINE_CONFIGURATION",
            ErrorKind::Validation => "CLEARLINE_VALIDATION",
            ErrorKind::Authentication => "CLEARLINE_AUTH",
            ErrorKind::Rejected => "CLEARLINE_REJECTED",
            ErrorKind::RateLimited => "CLEARLINE_RATE_LIMITED",
            ErrorKind::Server => "CLEARLINE_SERVER",
            ErrorKind::UnexpectedResponse => "CLEARLINE_UNEXPECTED_RESPONSE",
            ErrorKind::Timeout => "CLEARLINE_TIMEOUT",
            ErrorKind::Connection => "CLEARLINE_CONNECTION",
            ErrorKind::CallbackParse => "CLEARLINE_CALLBACK_PARSE",
            ErrorKind::Cancelled => "CLEARLINE_CANCELLED",
        }
    }

    /// Returns the snake_case name of this kind, as used in the shared test vectors.
    ///
    /// ```
    /// assert_eq!(clearline::ErrorKind::RateLimited.name(), "rate_limited");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Configuration => "configuration",
            ErrorKind::Validation => "validation",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Rejected => "rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::UnexpectedResponse => "unexpected_response",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::CallbackParse => "callback_parse",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// Every kind, in declaration order.
    ///
    /// ```
    /// use clearline::ErrorKind;
    ///
    /// assert!(ErrorKind::ALL.iter().all(|kind| kind.code().starts_with("CLEARLINE_")));
    /// ```
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Configuration,
        ErrorKind::Validation,
        ErrorKind::Authentication,
        ErrorKind::Rejected,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::UnexpectedResponse,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::CallbackParse,
        ErrorKind::Cancelled,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The phase of an HTTP exchange in which a timeout fired.
///
/// ```
/// assert_eq!(clearline::TimeoutPhase::Connect.as_str(), "connect");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the TCP connection or the TLS session. The request was not sent.
    Connect,
    /// Sending the request or waiting for, or reading, the response. The SMS may have been sent.
    Response,
}

impl TimeoutPhase {
    /// Returns `"connect"` or `"response"`.
    ///
    /// ```
    /// assert_eq!(clearline::TimeoutPhase::Response.as_str(), "response");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::Response => "response",
        }
    }
}

/// Maximum number of characters of a response body quoted in an error.
///
/// ```
/// use clearline::response::{interpret, ResponseParts};
/// use clearline::MAX_BODY_SNIPPET_CHARS;
///
/// let body = "x".repeat(1000);
/// let err = interpret(&ResponseParts { status: 500, body: body.as_bytes(), ..Default::default() })
///     .unwrap_err();
/// let snippet = err.body_snippet().unwrap();
/// assert_eq!(snippet.chars().count(), MAX_BODY_SNIPPET_CHARS + 1); // with the closing "…"
/// ```
pub const MAX_BODY_SNIPPET_CHARS: usize = 200;

/// An error from the ClearLine client or the delivery-report parser.
///
/// Its message says what failed, on which value, and what to do next. It never contains the API
/// key. The accessors give the structured details the bindings expose as attributes.
///
/// ```
/// use clearline::{ErrorKind, SendRequest};
///
/// let err = SendRequest::new("+1202555", "").prepare(1600).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Validation);
/// assert_eq!(err.field(), Some("message"));
/// assert!(!err.maybe_sent());
/// println!("{err}");
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    maybe_sent: bool,
    body_snippet: Option<String>,
    retry_after: Option<Duration>,
    field: Option<&'static str>,
    timeout_phase: Option<TimeoutPhase>,
    attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// Creates an error of `kind` with `message`; the other details start empty.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                maybe_sent: false,
                body_snippet: None,
                retry_after: None,
                field: None,
                timeout_phase: None,
                attempts: 0,
                source: None,
            }),
        }
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Configuration, message)
    }

    pub(crate) fn validation(field: &'static str, message: impl Into<String>) -> Self {
        let mut err = Error::new(ErrorKind::Validation, message);
        err.inner.field = Some(field);
        err
    }

    pub(crate) fn callback_parse(field: Option<&'static str>, message: impl Into<String>) -> Self {
        let mut err = Error::new(ErrorKind::CallbackParse, message);
        err.inner.field = field;
        err
    }

    /// Creates the error of a send that a stopped batch did not finish. `maybe_sent` is true when
    /// an HTTP attempt of it was in flight; `attempts` counts the attempts it started.
    pub(crate) fn cancelled(maybe_sent: bool, attempts: u32) -> Self {
        let message = if maybe_sent {
            "the batch was stopped while this SMS was in flight; it may have been sent, so check \
             before sending it again"
        } else {
            "the batch was stopped before this SMS was sent; it was not sent, so it can be sent \
             again"
        };
        Error::new(ErrorKind::Cancelled, message)
            .with_maybe_sent(maybe_sent)
            .with_attempts(attempts)
    }

    /// Creates the validation error for a text argument that is not valid Unicode, such as a
    /// Python `str` or a JavaScript string holding a lone surrogate.
    ///
    /// `field` is the API field name (`phone`, `message` or `callbackUrl`). The bindings call this
    /// when they cannot convert an argument to UTF-8, so the message is the same in every language.
    ///
    /// ```
    /// let err = clearline::Error::invalid_unicode("message");
    /// assert_eq!(err.kind(), clearline::ErrorKind::Validation);
    /// assert!(err.to_string().contains("lone surrogate"));
    /// ```
    pub fn invalid_unicode(field: &'static str) -> Self {
        Error::validation(
            field,
            format!(
                "invalid {}: the text is not valid Unicode (it contains a lone surrogate or \
                 invalid UTF-8); remove or replace the broken character",
                crate::validate::field_label(field)
            ),
        )
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_maybe_sent(mut self, maybe_sent: bool) -> Self {
        self.inner.maybe_sent = maybe_sent;
        self
    }

    pub(crate) fn with_body_snippet(mut self, snippet: Option<String>) -> Self {
        self.inner.body_snippet = snippet;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_timeout_phase(mut self, phase: TimeoutPhase) -> Self {
        self.inner.timeout_phase = Some(phase);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Replaces every occurrence of `secret` in the message and the body snippet, for a server
    /// or proxy that echoes the request's headers back in its body.
    pub(crate) fn redact_secret(mut self, secret: &str, replacement: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        if self.inner.message.contains(secret) {
            self.inner.message = self.inner.message.replace(secret, replacement);
        }
        if let Some(snippet) = &mut self.inner.body_snippet {
            if snippet.contains(secret) {
                *snippet = snippet.replace(secret, replacement);
            }
        }
        self
    }

    /// Appends a sentence to the message, for context added after the error was made.
    pub(crate) fn append_message(mut self, sentence: &str) -> Self {
        self.inner.message.push(' ');
        self.inner.message.push_str(sentence);
        self
    }

    /// The category of the failure.
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 503, body: b"<html>maintenance</html>", ..Default::default() };
    /// let err = interpret(&parts).unwrap_err();
    /// assert_eq!(err.kind(), clearline::ErrorKind::Server);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human-readable message, the same text as `Display`.
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 503, body: b"<html>maintenance</html>", ..Default::default() };
    /// let err = interpret(&parts).unwrap_err();
    /// assert_eq!(err.message(), err.to_string());
    /// assert!(err.message().starts_with("ClearLine failed with 503 Service Unavailable"));
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status ClearLine answered, when the failure came from a response.
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 503, body: b"<html>maintenance</html>", ..Default::default() };
    /// let err = interpret(&parts).unwrap_err();
    /// assert_eq!(err.status(), Some(503));
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// `true` when the SMS may have gone out despite the error.
    ///
    /// It is `false` only when the request provably did not reach ClearLine, or ClearLine
    /// answered that it did not accept the message (validation, connect failures, 401, 403, 429,
    /// other 4xx, `"succeed": false`, redirects). A caller that retries an error with
    /// `maybe_sent() == true` risks a duplicate SMS.
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 503, body: b"<html>maintenance</html>", ..Default::default() };
    /// let err = interpret(&parts).unwrap_err();
    /// // A 5xx may come after ClearLine queued the SMS, so sending again could duplicate it.
    /// assert!(err.maybe_sent());
    /// ```
    pub fn maybe_sent(&self) -> bool {
        self.inner.maybe_sent
    }

    /// The first characters (at most [`MAX_BODY_SNIPPET_CHARS`]) of the response body, or
    /// `None` when the body was empty or blank.
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 503, body: b"<html>maintenance</html>", ..Default::default() };
    /// let err = interpret(&parts).unwrap_err();
    /// assert_eq!(err.body_snippet(), Some("<html>maintenance</html>"));
    /// ```
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.body_snippet.as_deref()
    }

    /// The delay ClearLine asked for in `Retry-After`, for [`ErrorKind::RateLimited`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 429, retry_after: Some("7"), ..Default::default() };
    /// assert_eq!(interpret(&parts).unwrap_err().retry_after(), Some(Duration::from_secs(7)));
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The request or report field at fault (`phone`, `message`, `callbackUrl`, `messageId`,
    /// ...), for validation and callback-parse errors.
    ///
    /// ```
    /// let err = clearline::SendRequest::new("+12025551234", "Hi")
    ///     .with_callback_url("http://app.example.com/hook")
    ///     .prepare(1600)
    ///     .unwrap_err();
    /// assert_eq!(err.field(), Some("callbackUrl"));
    /// ```
    pub fn field(&self) -> Option<&'static str> {
        self.inner.field
    }

    /// The phase in which a timeout fired, for [`ErrorKind::Timeout`].
    ///
    /// ```
    /// use clearline::{Error, TimeoutPhase};
    ///
    /// fn describe(err: &Error) -> &'static str {
    ///     match err.timeout_phase() {
    ///         Some(TimeoutPhase::Connect) => "ClearLine was not reached; the SMS was not sent",
    ///         Some(_) => "no answer in time; the SMS may have been sent",
    ///         None => "not a timeout",
    ///     }
    /// }
    /// assert_eq!(describe(&Error::invalid_unicode("message")), "not a timeout");
    /// ```
    pub fn timeout_phase(&self) -> Option<TimeoutPhase> {
        self.inner.timeout_phase
    }

    /// How many HTTP attempts the send made before failing (0 when it failed before any I/O).
    ///
    /// ```
    /// let err = clearline::SendRequest::new("", "Hi").prepare(1600).unwrap_err();
    /// assert_eq!(err.attempts(), 0); // validation fails before any HTTP attempt
    /// ```
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// `true` for [`ErrorKind::Timeout`].
    ///
    /// ```
    /// assert!(!clearline::Error::invalid_unicode("phone").is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// `true` for [`ErrorKind::Connection`].
    ///
    /// ```
    /// assert!(!clearline::Error::invalid_unicode("phone").is_connection());
    /// ```
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }

    /// `true` for [`ErrorKind::RateLimited`].
    ///
    /// ```
    /// use clearline::response::{interpret, ResponseParts};
    ///
    /// let parts = ResponseParts { status: 429, ..Default::default() };
    /// assert!(interpret(&parts).unwrap_err().is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
    }

    /// `true` for [`ErrorKind::Validation`].
    ///
    /// ```
    /// assert!(clearline::Error::invalid_unicode("message").is_validation());
    /// ```
    pub fn is_validation(&self) -> bool {
        self.inner.kind == ErrorKind::Validation
    }

    /// `true` for [`ErrorKind::Cancelled`].
    ///
    /// ```
    /// assert!(!clearline::Error::invalid_unicode("message").is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.inner.kind == ErrorKind::Cancelled
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("maybe_sent", &self.inner.maybe_sent);
        if let Some(status) = self.inner.status {
            debug.field("status", &status);
        }
        if let Some(field) = self.inner.field {
            debug.field("field", &field);
        }
        if let Some(retry_after) = self.inner.retry_after {
            debug.field("retry_after", &retry_after);
        }
        if let Some(phase) = self.inner.timeout_phase {
            debug.field("timeout_phase", &phase);
        }
        if self.inner.attempts > 0 {
            debug.field("attempts", &self.inner.attempts);
        }
        if let Some(source) = &self.inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source = self.inner.source.as_deref()?;
        Some(source)
    }
}

/// Quotes the start of a response body for an error message: at most
/// [`MAX_BODY_SNIPPET_CHARS`] characters, invalid UTF-8 replaced, whitespace runs collapsed.
/// Returns `None` for a body that is empty or holds only whitespace and control characters.
pub(crate) fn body_snippet(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if text.chars().all(|ch| ch.is_whitespace() || ch.is_control()) {
        return None;
    }
    let mut snippet = String::new();
    let mut count = 0;
    let mut last_was_space = false;
    for ch in text.trim().chars() {
        if count == MAX_BODY_SNIPPET_CHARS {
            snippet.push('…');
            break;
        }
        let is_space = ch.is_whitespace();
        if is_space && last_was_space {
            continue;
        }
        last_was_space = is_space;
        snippet.push(if is_space || ch.is_control() { ' ' } else { ch });
        count += 1;
    }
    Some(snippet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_prefixed() {
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|kind| kind.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        assert!(codes.iter().all(|code| code.starts_with("CLEARLINE_")));
    }

    #[test]
    fn body_snippet_blank_is_none() {
        assert_eq!(body_snippet(b"  \n\t "), None);
        assert_eq!(body_snippet(b"\x01\x02"), None);
        let nul_run = [&[0u8; 300][..], b" \n\t "].concat();
        assert_eq!(body_snippet(&nul_run), None);
    }

    #[test]
    fn body_snippet_caps_and_collapses() {
        let body = format!("<html>\n\n  {}</html>", "x".repeat(500));
        let snippet = body_snippet(body.as_bytes()).unwrap_or_default();
        assert!(snippet.starts_with("<html> xxx"));
        assert_eq!(snippet.chars().count(), MAX_BODY_SNIPPET_CHARS + 1);
        assert!(snippet.ends_with('…'));
    }

    #[test]
    fn body_snippet_replaces_invalid_utf8() {
        let snippet = body_snippet(b"bad \xff byte").unwrap_or_default();
        assert_eq!(snippet, "bad \u{fffd} byte");
    }

    #[test]
    fn body_snippet_empty_is_none() {
        assert!(body_snippet(b"").is_none());
    }

    #[test]
    fn redact_secret_scrubs_message_and_snippet() {
        let body = b"echo: ApiKey: test_key_not_real_0000";
        let err = Error::new(ErrorKind::Server, "failed: test_key_not_real_0000")
            .with_body_snippet(body_snippet(body))
            .redact_secret("test_key_not_real_0000", "[API key]");
        assert_eq!(err.message(), "failed: [API key]");
        assert_eq!(err.body_snippet(), Some("echo: ApiKey: [API key]"));
    }

    #[test]
    fn error_source_is_exposed() {
        let io = std::io::Error::other("boom");
        let err = Error::new(ErrorKind::Connection, "failed").with_source(io);
        let source = std::error::Error::source(&err).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("boom"));
    }
}
