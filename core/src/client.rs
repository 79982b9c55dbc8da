//! The ClearLine client: one HTTP attempt, the retry loop around it, and their logging.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};

use crate::bulk::BatchSend;
use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{Error, ErrorKind, Result, TimeoutPhase};
use crate::redact::mask_phone;
use crate::request::{PreparedSend, SendOptions, SendReceipt, SendRequest};
use crate::response::{MAX_RESPONSE_BYTES, ResponseParts, interpret};

/// Name of the header that carries the API key.
///
/// ```
/// assert_eq!(clearline::API_KEY_HEADER, "ApiKey");
/// ```
pub const API_KEY_HEADER: &str = "ApiKey";

/// A ClearLine client.
///
/// Cloning is cheap (an `Arc`), and clones share one connection pool. The client is `Send` and
/// `Sync`, so one instance can serve a whole application. It needs a Tokio runtime with the
/// time and I/O drivers enabled.
///
/// ```no_run
/// use clearline::{Client, SendRequest};
///
/// # async fn run() -> clearline::Result<()> {
/// let client = Client::builder().build()?; // reads CLEARLINE_API_KEY
/// let request = SendRequest::new("+12025551234", "Your order is ready for pickup.")
///     .with_callback_url("https://app.example.com/webhooks/sms");
/// let receipt = client.send(&request).await?;
/// println!("queued as {}", receipt.message_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    api_key: HeaderValue,
    /// `scheme://host:port` of the base URL, for error messages.
    origin: String,
}

impl Client {
    /// Creates a builder with the defaults: production, the key from `CLEARLINE_API_KEY`, 10 s
    /// connect timeout, 30 s total timeout, 2 retries.
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .build()?;
    /// assert_eq!(client.config().base_url().as_str(), "https://api.clearline.me/");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_config(config: ClientConfig) -> Result<Client> {
        let mut api_key = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            Error::configuration("the API key contains characters an HTTP header cannot carry")
        })?;
        api_key.set_sensitive(true);

        let tls = crate::tls::rustls_config().map_err(|err| {
            Error::configuration(format!("failed to set up TLS for the HTTP client: {err}"))
                .with_source(err)
        })?;
        let mut http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(config.connect_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent())
            .tcp_nodelay(true);
        // A proxy cannot reach this machine's loopback interface, so the sandbox and other
        // local servers are always contacted directly, whatever HTTPS_PROXY says.
        if config.is_loopback() {
            http = http.no_proxy();
        }
        for (domain, addr) in &config.resolve {
            http = http.resolve(domain, *addr);
        }
        let http = http.build().map_err(|err| {
            Error::configuration(format!("failed to create the HTTP client: {err}"))
                .with_source(err)
        })?;

        let origin = config.base_url().origin().ascii_serialization();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                api_key,
                origin,
            }),
        })
    }

    /// The checked configuration.
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .max_retries(0)
    ///     .build()?;
    /// assert_eq!(client.config().retry_policy().max_retries, 0);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Sends an SMS with the client's default timeout and retries.
    ///
    /// # Errors
    ///
    /// Any [`ErrorKind`] but `Configuration` and `CallbackParse`; see [`Error::maybe_sent`]
    /// before retrying one yourself.
    ///
    /// ```
    /// use clearline::{Client, ErrorKind, SendRequest};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let client = Client::builder().api_key("test_key_not_real_0000").build()?;
    /// // Validation fails before any I/O, so this example sends nothing.
    /// let err = client.send(&SendRequest::new("2025551234", "Hi")).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert!(!err.maybe_sent());
    /// # Ok::<(), clearline::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send(&self, request: &SendRequest) -> Result<SendReceipt> {
        self.send_with(request, &SendOptions::default()).await
    }

    /// Sends an SMS with per-call options.
    ///
    /// The request is validated before any I/O. The send is retried only when it provably did
    /// not reach ClearLine (connect failures and connect timeouts) or was rate-limited (429,
    /// after its `Retry-After`), with exponential backoff and jitter. The timeout covers the
    /// whole call, retries and waits included.
    ///
    /// # Errors
    ///
    /// As for [`Client::send`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use clearline::{Client, SendOptions, SendRequest};
    ///
    /// # async fn run(client: Client) -> clearline::Result<()> {
    /// let options = SendOptions::new().timeout(Duration::from_secs(5)).max_retries(0);
    /// let receipt = client
    ///     .send_with(&SendRequest::new("+12025551234", "Your code is 0420"), &options)
    ///     .await?;
    /// println!("queued as {}", receipt.message_id());
    /// # Ok(()) }
    /// ```
    pub async fn send_with(
        &self,
        request: &SendRequest,
        options: &SendOptions,
    ) -> Result<SendReceipt> {
        let prepared = request.prepare(self.config().max_message_chars())?;
        self.send_prepared(&prepared, options).await
    }

    /// Sends a request validated by [`SendRequest::prepare`].
    ///
    /// # Errors
    ///
    /// As for [`Client::send`].
    ///
    /// ```no_run
    /// use clearline::{Client, SendOptions, SendRequest};
    ///
    /// # async fn run(client: Client) -> clearline::Result<()> {
    /// let prepared = SendRequest::new("+12025551234", "Hi")
    ///     .prepare(client.config().max_message_chars())?;
    /// println!("sending {} segment(s) to {}", prepared.segments(), prepared.phone());
    /// let receipt = client.send_prepared(&prepared, &SendOptions::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_prepared(
        &self,
        prepared: &PreparedSend,
        options: &SendOptions,
    ) -> Result<SendReceipt> {
        self.send_prepared_gated(prepared, options, None).await
    }

    /// Runs the retry loop. In a batch, each attempt first waits for the batch's gate, a
    /// rate-limit wait closes the gate for every send sharing it, and the send's trace records
    /// each attempt for the error reported if the batch stops early.
    pub(crate) async fn send_prepared_gated(
        &self,
        prepared: &PreparedSend,
        options: &SendOptions,
        batch: Option<BatchSend<'_>>,
    ) -> Result<SendReceipt> {
        let gate = batch.map(|batch| batch.gate);
        let trace = batch.map(|batch| batch.trace);
        let config = self.config();
        let timeout = options.get_timeout().unwrap_or(config.timeout());
        let mut policy = *config.retry_policy();
        if let Some(max_retries) = options.get_max_retries() {
            policy.max_retries = max_retries;
        }
        let masked_phone = mask_phone(prepared.phone());

        // In a batch paused by a 429, the timeout of a send starts when the pause ends.
        if let Some(gate) = gate {
            gate.wait().await;
        }
        let deadline = Instant::now() + timeout;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let remaining = deadline.saturating_duration_since(started);
            if let Some(trace) = trace {
                trace.attempt_started(attempt);
            }
            let outcome = self.attempt(prepared, remaining, timeout).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;

            let err = match outcome {
                Ok(message_id) => {
                    tracing::debug!(
                        target: "clearline",
                        attempt,
                        elapsed_ms,
                        message_id = %message_id,
                        phone = %masked_phone,
                        "sms accepted"
                    );
                    return Ok(SendReceipt {
                        message_id,
                        phone: prepared.phone().to_owned(),
                        encoding: prepared.encoding(),
                        segments: prepared.segments(),
                        attempts: attempt,
                    });
                }
                Err(err) => err.with_attempts(attempt),
            };
            if let Some(trace) = trace {
                trace.attempt_failed(err.maybe_sent());
            }
            tracing::debug!(
                target: "clearline",
                attempt,
                elapsed_ms,
                kind = %err.kind(),
                status = err.status(),
                maybe_sent = err.maybe_sent(),
                phone = %masked_phone,
                "sms send attempt failed"
            );

            // A retry must start before the deadline, so the wait has to end before it. The
            // check runs again after the wait, which may have taken longer than asked (a
            // batch's shared pause), and then the error of the last attempt made is returned.
            //
            // After a connect failure the retry opens a new connection, so it also needs time
            // for a whole connect phase. Otherwise the total timeout could fire while
            // connecting, which reqwest reports like a response timeout (maybe_sent).
            let room = if err.is_rate_limited() {
                Duration::ZERO
            } else {
                config.connect_timeout()
            };
            let delay = policy
                .retry_delay(&err, attempt)
                .filter(|delay| Instant::now() + *delay + room < deadline);
            let Some(delay) = delay else {
                return Err(gave_up(err, attempt));
            };
            tracing::info!(
                target: "clearline",
                attempt,
                retry_in_ms = delay.as_millis() as u64,
                kind = %err.kind(),
                error = %err,
                phone = %masked_phone,
                "retrying sms send: the previous attempt provably did not send the SMS"
            );
            match gate {
                Some(gate) if err.is_rate_limited() => gate.pause(delay).await,
                _ => tokio::time::sleep(delay).await,
            }
            if let Some(gate) = gate {
                gate.wait().await;
            }
            if Instant::now() >= deadline {
                return Err(gave_up(err, attempt));
            }
        }
    }

    /// Builds the HTTP request of one attempt, allowed `timeout` from start to the last byte of
    /// the response.
    fn build_request(
        &self,
        prepared: &PreparedSend,
        timeout: Duration,
    ) -> reqwest::Result<reqwest::Request> {
        let inner = &*self.inner;
        inner
            .http
            .post(inner.config.endpoint().clone())
            .header(API_KEY_HEADER, inner.api_key.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(timeout)
            .body(prepared.body_bytes())
            .build()
    }

    /// Makes one HTTP attempt and returns the accepted `messageId`.
    async fn attempt(
        &self,
        prepared: &PreparedSend,
        remaining: Duration,
        total_timeout: Duration,
    ) -> Result<String> {
        let inner = &*self.inner;
        tracing::trace!(
            target: "clearline",
            endpoint = %inner.config.endpoint(),
            phone = %prepared.phone(),
            body = %String::from_utf8_lossy(prepared.body()),
            "sending sms"
        );

        let request = self.build_request(prepared, remaining).map_err(|err| {
            Error::configuration(format!(
                "failed to build the HTTP request to {}: {err}; the SMS was not sent",
                inner.origin
            ))
            .with_source(err)
        })?;
        let mut response = inner
            .http
            .execute(request)
            .await
            .map_err(|err| self.transport_error(err, total_timeout))?;

        let status = response.status().as_u16();
        let retry_after = header_text(response.headers(), RETRY_AFTER);
        let location = header_text(response.headers(), LOCATION);
        let (body, truncated) = match read_body(&mut response).await {
            Ok(read) => read,
            // The status alone decides a non-2xx outcome, so a broken body only matters on 2xx.
            Err((partial, _)) if !(200..300).contains(&status) => (partial, true),
            Err((_, err)) => return Err(self.transport_error(err, total_timeout)),
        };

        // A proxy or a debugging server may echo the request headers in its body or in a
        // redirect's Location. The key is replaced before either is quoted in an error message,
        // because the quote is cut to a maximum length and a cut key would no longer match.
        let key = inner.config.api_key.expose();
        let body = replace_bytes(&body, key.as_bytes(), REDACTED_KEY.as_bytes());
        let location = location.map(|location| location.replace(key, REDACTED_KEY));
        interpret(&ResponseParts {
            status,
            retry_after: retry_after.as_deref(),
            location: location.as_deref(),
            body: &body,
            truncated,
            now: None,
        })
        .map_err(|err| err.redact_secret(key, REDACTED_KEY))
    }

    /// Maps a reqwest failure to a connection or timeout error, deciding whether the request
    /// may have reached ClearLine.
    fn transport_error(&self, err: reqwest::Error, total_timeout: Duration) -> Error {
        let origin = &self.inner.origin;
        let cause = root_causes(&err);

        if err.is_timeout() && err.is_connect() {
            let connect_timeout = self.config().connect_timeout();
            return Error::new(
                ErrorKind::Timeout,
                format!(
                    "connecting to ClearLine at {origin} timed out after {}; the SMS was not \
                     sent. Check the network and any proxy, or raise the connect timeout",
                    seconds(connect_timeout)
                ),
            )
            .with_timeout_phase(TimeoutPhase::Connect)
            .with_source(err);
        }
        if err.is_timeout() {
            return response_timeout(total_timeout).with_source(err);
        }
        if err.is_connect() {
            return Error::new(
                ErrorKind::Connection,
                format!(
                    "could not connect to ClearLine at {origin} ({cause}); the SMS was not sent. \
                     Check the base URL, the network, and HTTPS_PROXY and NO_PROXY"
                ),
            )
            .with_source(err);
        }
        if has_io_error_kind(&err, std::io::ErrorKind::InvalidData) {
            // The body's Content-Encoding (gzip) does not decode. The exchange completed, so the
            // response is unreadable rather than the connection broken.
            return Error::new(
                ErrorKind::UnexpectedResponse,
                format!(
                    "ClearLine's response from {origin} could not be decoded ({cause}); the SMS \
                     may have been sent, so check before sending it again"
                ),
            )
            .with_maybe_sent(true)
            .with_source(err);
        }
        Error::new(
            ErrorKind::Connection,
            format!(
                "the connection to ClearLine at {origin} failed after the request was sent \
                 ({cause}); the SMS may have been sent, so check before sending it again"
            ),
        )
        .with_maybe_sent(true)
        .with_source(err)
    }
}

/// Completes the error of the last attempt of a send that made several.
fn gave_up(err: Error, attempts: u32) -> Error {
    if attempts > 1 {
        err.append_message(&format!("(gave up after {attempts} attempts)"))
    } else {
        err
    }
}

/// Builds the error for a send whose total time ran out after the request may have been sent.
///
/// NOTE: when the total timeout fires while the connection is still opening, reqwest does not
/// say so, and this error claims `maybe_sent`. Retries after connect failures leave room for a
/// whole connect phase, so this happens only when a send's timeout is shorter than the connect
/// timeout, or when a retry after a 429 has to open a new connection.
fn response_timeout(total_timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "the send timed out after {} waiting for ClearLine's response; the SMS may have \
             been sent, so check before sending it again, or raise the timeout",
            seconds(total_timeout)
        ),
    )
    .with_timeout_phase(TimeoutPhase::Response)
    .with_maybe_sent(true)
}

/// Placeholder for the API key wherever a response echoes it.
const REDACTED_KEY: &str = "[API key]";

/// Returns `haystack` with every occurrence of `needle` replaced, borrowing it when there is
/// none (the usual case).
fn replace_bytes<'a>(haystack: &'a [u8], needle: &[u8], replacement: &[u8]) -> Cow<'a, [u8]> {
    if needle.is_empty()
        || !haystack
            .windows(needle.len())
            .any(|window| window == needle)
    {
        return Cow::Borrowed(haystack);
    }
    let mut replaced = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(needle) {
            replaced.extend_from_slice(replacement);
            rest = &rest[needle.len()..];
        } else {
            replaced.push(rest[0]);
            rest = &rest[1..];
        }
    }
    Cow::Owned(replaced)
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.to_owned())
}

/// Reads the body up to [`MAX_RESPONSE_BYTES`]. Returns it and whether it was cut, or what was
/// read before the failure and the failure.
async fn read_body(
    response: &mut reqwest::Response,
) -> std::result::Result<(Vec<u8>, bool), (Vec<u8>, reqwest::Error)> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_RESPONSE_BYTES - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Ok((body, true));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((body, false)),
            Err(err) => return Err((body, err)),
        }
    }
}

/// Returns `true` when an `std::io::Error` of `kind` is in the source chain of `err`.
fn has_io_error_kind(err: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    let mut current = err.source();
    while let Some(source) = current {
        if source
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
        {
            return true;
        }
        current = source.source();
    }
    false
}

/// Returns the innermost one or two causes of an error, such as
/// `tcp connect error: Connection refused (os error 111)`.
fn root_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(source) = current {
        let text = source.to_string();
        if !chain.last().is_some_and(|last| last.contains(&text)) {
            chain.push(text);
        }
        current = source.source();
    }
    if chain.is_empty() {
        return err.to_string();
    }
    let start = chain.len().saturating_sub(2);
    chain[start..].join(": ")
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.config, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Result<Client> {
        Client::builder()
            .api_key("test_key_not_real_0000")
            .base_url("http://127.0.0.1:9")
            .build()
    }

    #[test]
    fn debug_and_display_hide_key() {
        let client = client();
        let debug = client
            .as_ref()
            .map(|c| format!("{c:?} {c}"))
            .unwrap_or_default();
        assert!(!debug.contains("test_key_not_real"), "{debug}");
        assert!(debug.contains("…0000"), "{debug}");
    }

    #[test]
    fn request_marks_api_key_sensitive() {
        let client = client();
        let prepared = SendRequest::new("+12025551234", "Hi").prepare(1600);
        let request = match (&client, &prepared) {
            (Ok(client), Ok(prepared)) => {
                client.build_request(prepared, Duration::from_secs(1)).ok()
            }
            _ => None,
        };
        let headers = request.as_ref().map(reqwest::Request::headers);
        let key = headers.and_then(|headers| headers.get(API_KEY_HEADER));
        assert_eq!(
            key.and_then(|value| value.to_str().ok()),
            Some("test_key_not_real_0000")
        );
        assert_eq!(key.map(HeaderValue::is_sensitive), Some(true));
        let content_type = headers.and_then(|headers| headers.get(CONTENT_TYPE));
        assert_eq!(
            content_type.and_then(|value| value.to_str().ok()),
            Some("application/json")
        );
    }

    #[test]
    fn replace_bytes_replaces_every_occurrence() {
        let replaced = replace_bytes(b"k1 and k1k1", b"k1", b"[x]");
        assert_eq!(&*replaced, b"[x] and [x][x]");
        assert!(matches!(
            replace_bytes(b"none", b"k1", b"[x]"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn client_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Client>();
    }
}
