//! The send request, its validated form, per-call options and the receipt.
//!
//! ```
//! use clearline::request::{SendOptions, SendRequest};
//!
//! let request = SendRequest::new("+12025551234", "Your order is ready");
//! let prepared = request.prepare(1600)?;
//! let options = SendOptions::new().max_retries(1);
//! # Ok::<(), clearline::Error>(())
//! ```

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::segment::{Encoding, count_segments};
use crate::validate::{
    canonical_callback_url, canonical_phone, check_message, check_received_callback_url,
};

/// An SMS to send: recipient, text and optional callback URL for the delivery report.
///
/// ```
/// use clearline::SendRequest;
///
/// let request = SendRequest::new("+12025551234", "Your order is ready for pickup.")
///     .with_callback_url("https://app.example.com/webhooks/sms");
/// assert_eq!(request.phone(), "+12025551234");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    phone: String,
    message: String,
    callback_url: Option<String>,
}

impl SendRequest {
    /// Creates a request for `phone` (E.164, such as `+12025551234`) with the text `message`.
    ///
    /// ```
    /// let request = clearline::SendRequest::new("+44 20 7946 0958", "Your table is ready");
    /// assert_eq!(request.phone(), "+44 20 7946 0958"); // as given; `prepare` canonicalizes it
    /// ```
    pub fn new(phone: impl Into<String>, message: impl Into<String>) -> Self {
        SendRequest {
            phone: phone.into(),
            message: message.into(),
            callback_url: None,
        }
    }

    /// Sets the URL ClearLine POSTs the delivery report to.
    ///
    /// ```
    /// let request = clearline::SendRequest::new("+12025551234", "Hi")
    ///     .with_callback_url("https://app.example.com/webhooks/sms");
    /// assert_eq!(request.callback_url(), Some("https://app.example.com/webhooks/sms"));
    /// ```
    pub fn with_callback_url(mut self, callback_url: impl Into<String>) -> Self {
        self.callback_url = Some(callback_url.into());
        self
    }

    /// Sets or clears the callback URL.
    ///
    /// ```
    /// let mut request = clearline::SendRequest::new("+12025551234", "Hi")
    ///     .with_callback_url("https://app.example.com/webhooks/sms");
    /// request.set_callback_url(None);
    /// assert_eq!(request.callback_url(), None);
    /// ```
    pub fn set_callback_url(&mut self, callback_url: Option<String>) {
        self.callback_url = callback_url;
    }

    /// The recipient as given.
    ///
    /// ```
    /// assert_eq!(clearline::SendRequest::new("+1 202 555 1234", "Hi").phone(), "+1 202 555 1234");
    /// ```
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// The text as given.
    ///
    /// ```
    /// assert_eq!(clearline::SendRequest::new("+12025551234", "Hi 👋").message(), "Hi 👋");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The callback URL as given.
    ///
    /// ```
    /// assert_eq!(clearline::SendRequest::new("+12025551234", "Hi").callback_url(), None);
    /// ```
    pub fn callback_url(&self) -> Option<&str> {
        self.callback_url.as_deref()
    }

    /// Validates the request and builds the JSON body ClearLine receives.
    ///
    /// `max_message_chars` is the longest accepted text in Unicode characters; clients pass their
    /// configured maximum (default [`crate::validate::DEFAULT_MAX_MESSAGE_CHARS`]).
    ///
    /// ```
    /// use clearline::SendRequest;
    ///
    /// let prepared = SendRequest::new("+1 202-555-1234", "Hi").prepare(1600).unwrap();
    /// assert_eq!(prepared.phone(), "+12025551234");
    /// assert_eq!(prepared.body(), br#"{"phone":"+12025551234","message":"Hi"}"#);
    /// ```
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::Validation`] naming the field, the value and the fix. Fields are
    /// checked in the order phone, message, callback URL.
    pub fn prepare(&self, max_message_chars: usize) -> Result<PreparedSend> {
        self.prepare_with(max_message_chars, canonical_callback_url)
    }

    /// Validates the request as a server receives it, the way the sandbox does.
    ///
    /// The rules are those of [`SendRequest::prepare`], except that the callback URL's length
    /// limit applies to the URL as received (see
    /// [`crate::validate::check_received_callback_url`]).
    ///
    /// ```
    /// use clearline::SendRequest;
    ///
    /// let url = format!("https://a?{}", "0".repeat(2_038));
    /// let request = SendRequest::new("+12025551234", "Hi").with_callback_url(url);
    /// assert!(request.prepare_received(1600).is_ok());
    /// assert!(request.prepare(1600).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// As for [`SendRequest::prepare`].
    pub fn prepare_received(&self, max_message_chars: usize) -> Result<PreparedSend> {
        self.prepare_with(max_message_chars, check_received_callback_url)
    }

    fn prepare_with(
        &self,
        max_message_chars: usize,
        callback_url_rule: fn(&str) -> Result<String>,
    ) -> Result<PreparedSend> {
        let phone = canonical_phone(&self.phone)?;
        check_message(&self.message, max_message_chars)?;
        let callback_url = self
            .callback_url
            .as_deref()
            .map(callback_url_rule)
            .transpose()?;

        let body = serde_json::to_vec(&WireRequest {
            phone: &phone,
            message: &self.message,
            callback_url: callback_url.as_deref(),
        })
        .map_err(|err| {
            Error::validation("message", format!("invalid request: {err}")).with_source(err)
        })?;

        let (encoding, segments) = count_segments(&self.message);
        Ok(PreparedSend {
            phone,
            callback_url,
            body: Bytes::from(body),
            encoding,
            segments,
        })
    }
}

/// The request body of `POST /MessageSender/sms`.
#[derive(Serialize)]
struct WireRequest<'a> {
    phone: &'a str,
    message: &'a str,
    #[serde(rename = "callbackUrl", skip_serializing_if = "Option::is_none")]
    callback_url: Option<&'a str>,
}

/// A validated request: canonical phone and callback URL, and the serialized body.
///
/// Cloning is cheap: the body is reference-counted, and retries reuse it unchanged.
///
/// ```
/// use clearline::{Encoding, SendRequest};
///
/// let prepared = SendRequest::new("+1 (202) 555-1234", "Ваш код 1234").prepare(1600)?;
/// assert_eq!(prepared.phone(), "+12025551234");
/// assert_eq!(prepared.encoding(), Encoding::Ucs2);
/// # Ok::<(), clearline::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreparedSend {
    phone: String,
    callback_url: Option<String>,
    body: Bytes,
    encoding: Encoding,
    segments: u32,
}

impl PreparedSend {
    /// The canonical E.164 phone number that is sent.
    ///
    /// ```
    /// let prepared = clearline::SendRequest::new(" +49 30 901820 ", "Hi").prepare(1600)?;
    /// assert_eq!(prepared.phone(), "+4930901820");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// The normalized callback URL that is sent.
    ///
    /// ```
    /// let prepared = clearline::SendRequest::new("+12025551234", "Hi")
    ///     .with_callback_url("HTTPS://App.Example.com/hook")
    ///     .prepare(1600)?;
    /// assert_eq!(prepared.callback_url(), Some("https://app.example.com/hook"));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn callback_url(&self) -> Option<&str> {
        self.callback_url.as_deref()
    }

    /// The JSON body of the HTTP request.
    ///
    /// ```
    /// let prepared = clearline::SendRequest::new("+12025551234", "Hi").prepare(1600)?;
    /// assert_eq!(prepared.body(), br#"{"phone":"+12025551234","message":"Hi"}"#);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub(crate) fn body_bytes(&self) -> Bytes {
        self.body.clone()
    }

    /// The encoding the text needs.
    ///
    /// ```
    /// let prepared = clearline::SendRequest::new("+12025551234", "Price: 5€").prepare(1600)?;
    /// assert_eq!(prepared.encoding(), clearline::Encoding::Gsm7);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The estimated number of SMS segments (see [`crate::segment`]).
    ///
    /// ```
    /// let prepared = clearline::SendRequest::new("+12025551234", "a".repeat(161)).prepare(1600)?;
    /// assert_eq!(prepared.segments(), 2);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn segments(&self) -> u32 {
        self.segments
    }
}

/// Per-call options of [`crate::Client::send_with`].
///
/// ```
/// use std::time::Duration;
/// use clearline::SendOptions;
///
/// let options = SendOptions::new().timeout(Duration::from_secs(5)).max_retries(0);
/// assert_eq!(options.get_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    timeout: Option<Duration>,
    max_retries: Option<u32>,
}

impl SendOptions {
    /// Creates options that keep every client default.
    ///
    /// ```
    /// assert_eq!(clearline::SendOptions::new().get_timeout(), None);
    /// ```
    pub fn new() -> Self {
        SendOptions::default()
    }

    /// Sets the total time for this send, retries and their waits included.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let options = clearline::SendOptions::new().timeout(Duration::from_secs(5));
    /// assert_eq!(options.get_timeout(), Some(Duration::from_secs(5)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the number of retries for this send.
    ///
    /// ```
    /// let options = clearline::SendOptions::new().max_retries(0);
    /// assert_eq!(options.get_max_retries(), Some(0));
    /// ```
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// The timeout override, if set.
    ///
    /// ```
    /// assert_eq!(clearline::SendOptions::default().get_timeout(), None);
    /// ```
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The retry override, if set.
    ///
    /// ```
    /// assert_eq!(clearline::SendOptions::default().get_max_retries(), None);
    /// ```
    pub fn get_max_retries(&self) -> Option<u32> {
        self.max_retries
    }
}

/// ClearLine's acceptance of an SMS.
///
/// ```
/// # async fn run(client: clearline::Client) -> clearline::Result<()> {
/// let receipt = client.send(&clearline::SendRequest::new("+12025551234", "Hi")).await?;
/// println!("{} queued in {} segment(s)", receipt.message_id(), receipt.segments());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub(crate) message_id: String,
    pub(crate) phone: String,
    pub(crate) encoding: Encoding,
    pub(crate) segments: u32,
    pub(crate) attempts: u32,
}

impl SendReceipt {
    /// The `messageId` ClearLine assigned; delivery reports carry it.
    ///
    /// ```no_run
    /// # async fn run(client: clearline::Client) -> clearline::Result<()> {
    /// let receipt = client.send(&clearline::SendRequest::new("+1 202 555 1234", "Hi")).await?;
    /// // Store it: delivery reports for this SMS carry the same id.
    /// println!("{}", receipt.message_id());
    /// # Ok(()) }
    /// ```
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The canonical E.164 number the SMS was sent to.
    ///
    /// ```no_run
    /// # async fn run(client: clearline::Client) -> clearline::Result<()> {
    /// let receipt = client.send(&clearline::SendRequest::new("+1 202 555 1234", "Hi")).await?;
    /// assert_eq!(receipt.phone(), "+12025551234");
    /// # Ok(()) }
    /// ```
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// The encoding the text needs (GSM-7 or UCS-2).
    ///
    /// ```no_run
    /// # async fn run(client: clearline::Client) -> clearline::Result<()> {
    /// let receipt = client.send(&clearline::SendRequest::new("+1 202 555 1234", "Hi")).await?;
    /// assert_eq!(receipt.encoding(), clearline::Encoding::Gsm7);
    /// # Ok(()) }
    /// ```
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The estimated number of SMS segments the text takes (see [`crate::segment`]).
    ///
    /// ```no_run
    /// # async fn run(client: clearline::Client) -> clearline::Result<()> {
    /// let receipt = client.send(&clearline::SendRequest::new("+1 202 555 1234", "Hi")).await?;
    /// assert_eq!(receipt.segments(), 1);
    /// # Ok(()) }
    /// ```
    pub fn segments(&self) -> u32 {
        self.segments
    }

    /// The number of HTTP attempts made, 1 when no retry was needed.
    ///
    /// ```no_run
    /// # async fn run(client: clearline::Client) -> clearline::Result<()> {
    /// let receipt = client.send(&clearline::SendRequest::new("+1 202 555 1234", "Hi")).await?;
    /// if receipt.attempts() > 1 {
    ///     println!("accepted after {} retries", receipt.attempts() - 1);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_serializes_callback_url() {
        let prepared = SendRequest::new("+12025551234", "Hi")
            .with_callback_url("https://example.com/hook")
            .prepare(1600);
        let body = prepared.map(|p| p.body().to_vec()).unwrap_or_default();
        assert_eq!(
            body,
            br#"{"phone":"+12025551234","message":"Hi","callbackUrl":"https://example.com/hook"}"#
        );
    }

    #[test]
    fn prepare_checks_phone_first() {
        let err = SendRequest::new("bad", "").prepare(1600).err();
        assert_eq!(err.and_then(|e| e.field()), Some("phone"));
    }

    #[test]
    fn prepare_keeps_unicode_unchanged() {
        let text = "مرحبا 👋 你好";
        let prepared = SendRequest::new("+12025551234", text).prepare(1600);
        let body = prepared.map(|p| p.body().to_vec()).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["message"], text);
    }
}
