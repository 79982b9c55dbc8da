//! Delivery of delivery reports: the POST to the callback URL, its retries and their records.
//!
//! Each accepted message with a callback URL gets one task. It waits `callback_delay`, then
//! POSTs the report JSON that [`clearline::DeliveryReport::to_json`] writes, retrying any response
//! but 200 and any transport error with doubling waits until `callback_max_attempts` POSTs were
//! made. Every POST is recorded as a [`CallbackAttempt`], and the end as a [`CallbackOutcome`].

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clearline::DeliveryReport;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Url;
use tokio_util::sync::CancellationToken;

use crate::record::{as_millis, CallbackAttempt, CallbackOutcome};
use crate::state::Shared;

/// Largest part of a receiver's response body read, in bytes. The rest is discarded.
const MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024;

/// Longest part of a receiver's response body quoted in an attempt's error, in characters.
const MAX_QUOTED_CHARS: usize = 200;

/// Largest exponent of the doubling backoff, so the wait cannot overflow.
const MAX_BACKOFF_DOUBLINGS: u32 = 20;

/// The report of one accepted message and where to POST it.
pub(crate) struct CallbackJob {
    pub(crate) url: String,
    pub(crate) report: DeliveryReport,
    /// The history generation the message was accepted in.
    pub(crate) generation: u64,
}

/// Builds the HTTP client of the callback POSTs: no redirects, and no proxy when only loopback
/// hosts are reached (a proxy cannot reach this machine's loopback interface).
///
/// `localhost` resolves to 127.0.0.1 and ::1 without a DNS lookup. The system resolver would run
/// on the runtime's blocking threads, which outlive a stopped sandbox by up to 10 s.
pub(crate) fn http_client(
    timeout: Duration,
    allow_remote: bool,
) -> Result<reqwest::Client, Box<dyn std::error::Error + Send + Sync>> {
    let loopback = [
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    ];
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(clearline::tls::rustls_config()?)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("clearline-sandbox/", env!("CARGO_PKG_VERSION")))
        .resolve_to_addrs("localhost", &loopback)
        .tcp_nodelay(true);
    if !allow_remote {
        builder = builder.no_proxy();
    }
    Ok(builder.build()?)
}

/// Starts the delivery task of `job`. `cancel` ends it early (on reset or stop).
pub(crate) fn spawn(shared: &Arc<Shared>, job: CallbackJob, cancel: CancellationToken) {
    let task_shared = Arc::clone(shared);
    shared.tasks.spawn(async move {
        cancel.run_until_cancelled(deliver(&task_shared, job)).await;
    });
}

async fn deliver(shared: &Shared, job: CallbackJob) {
    let config = &shared.config;
    tokio::time::sleep(config.callback_delay).await;

    let message_id = job.report.message_id.clone();
    let body = Bytes::from(job.report.to_json());
    let mut attempts = 0;
    let mut delivered = false;

    let attempt_record = |attempt, status, latency, error, at| CallbackAttempt {
        message_id: message_id.clone(),
        url: job.url.clone(),
        attempt,
        status,
        latency,
        error,
        at,
    };

    match check_target(&job.url, config.allow_remote_callbacks) {
        Err(reason) => {
            attempts = 1;
            let refused = attempt_record(1, None, Duration::ZERO, Some(reason), SystemTime::now());
            record_attempt(shared, job.generation, refused);
        }
        Ok(url) => {
            while attempts < config.callback_max_attempts {
                if attempts > 0 {
                    tokio::time::sleep(retry_wait(config.callback_retry_backoff, attempts)).await;
                }
                attempts += 1;
                let at = SystemTime::now();
                let (status, latency, error) = post(shared, &url, body.clone()).await;
                delivered = error.is_none();
                let attempt = attempt_record(attempts, status, latency, error, at);
                record_attempt(shared, job.generation, attempt);
                if delivered {
                    break;
                }
            }
        }
    }

    if !delivered {
        tracing::warn!(
            target: "clearline_sandbox",
            message_id = %message_id,
            url = %redact_url(&job.url),
            attempts,
            "delivery report not delivered: the receiver never responded with 200"
        );
    }
    shared.record_outcome(
        job.generation,
        CallbackOutcome {
            message_id,
            report: job.report,
            delivered,
            attempts,
        },
    );
}

/// Parses the callback URL and applies the loopback rule. Returns the reason on refusal.
fn check_target(url: &str, allow_remote: bool) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|err| format!("invalid callback URL ({err})"))?;
    if !allow_remote && !clearline::validate::is_loopback(&parsed) {
        return Err(format!(
            "not sent: the host {:?} is not a loopback host, and the sandbox POSTs delivery \
             reports only to localhost, 127.0.0.0/8 and [::1] unless allow_remote_callbacks is \
             set (--allow-remote-callbacks for the binary)",
            parsed.host_str().unwrap_or_default()
        ));
    }
    Ok(parsed)
}

/// Returns the wait before the POST that follows attempt `attempts_made` (1 or more).
fn retry_wait(backoff: Duration, attempts_made: u32) -> Duration {
    let doublings = (attempts_made - 1).min(MAX_BACKOFF_DOUBLINGS);
    backoff.saturating_mul(1 << doublings)
}

/// POSTs the report once. Returns the status, the latency and, unless the response was 200, the
/// reason the attempt failed.
async fn post(shared: &Shared, url: &Url, body: Bytes) -> (Option<u16>, Duration, Option<String>) {
    // The semaphore is never closed, so acquiring only waits.
    let _slot = shared.callback_slots.acquire().await.ok();
    let started = Instant::now();
    let sent = shared
        .callback_http
        .post(url.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body)
        .send()
        .await;
    let latency = started.elapsed();

    let response = match sent {
        Ok(response) => response,
        Err(err) => {
            let reason = describe_error(&err, shared.config.callback_timeout);
            return (None, latency, Some(reason));
        }
    };
    let status = response.status();
    // Reading the body lets the connection be reused, and its start explains a failure.
    let response_body = read_capped(response).await;
    if status == reqwest::StatusCode::OK {
        return (Some(200), latency, None);
    }
    let quoted = quote_body(&response_body);
    let reason =
        format!("the receiver responded with {status}{quoted}; only 200 OK counts as delivered");
    (Some(status.as_u16()), latency, Some(reason))
}

async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_RESPONSE_BODY_BYTES {
            break;
        }
    }
    body
}

fn quote_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut quoted: String = text.chars().take(MAX_QUOTED_CHARS).collect();
    if quoted.len() < text.len() {
        quoted.push('…');
    }
    format!(" ({quoted:?})")
}

fn describe_error(err: &reqwest::Error, timeout: Duration) -> String {
    let cause = root_cause(err);
    if err.is_timeout() {
        format!(
            "timed out after {} without a response",
            humantime::format_duration(timeout)
        )
    } else if err.is_connect() {
        format!("could not connect ({cause})")
    } else {
        format!("the request failed ({cause})")
    }
}

/// Returns the innermost cause of an error, such as `Connection refused (os error 111)`.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost: &(dyn std::error::Error + 'static) = err;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// Returns the URL for logs, with any query replaced by `?…`: a callback URL often carries a
/// secret token there, because delivery reports are not signed.
pub(crate) fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((start, _)) => format!("{start}?…"),
        None => url.to_owned(),
    }
}

/// Logs an attempt and records it.
fn record_attempt(shared: &Shared, generation: u64, attempt: CallbackAttempt) {
    let latency_ms = as_millis(attempt.latency);
    match &attempt.error {
        None => tracing::info!(
            target: "clearline_sandbox",
            message_id = %attempt.message_id,
            url = %redact_url(&attempt.url),
            attempt = attempt.attempt,
            latency_ms,
            "delivery report delivered"
        ),
        Some(error) => tracing::info!(
            target: "clearline_sandbox",
            message_id = %attempt.message_id,
            url = %redact_url(&attempt.url),
            attempt = attempt.attempt,
            status = attempt.status,
            latency_ms,
            error = %error,
            "delivery report attempt failed"
        ),
    }
    shared.record_attempt(generation, attempt);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_wait_doubles() {
        let backoff = Duration::from_millis(100);
        assert_eq!(retry_wait(backoff, 1), Duration::from_millis(100));
        assert_eq!(retry_wait(backoff, 2), Duration::from_millis(200));
        assert_eq!(retry_wait(backoff, 3), Duration::from_millis(400));
    }

    #[test]
    fn retry_wait_saturates() {
        let wait = retry_wait(Duration::from_secs(u64::MAX / 2), 40);
        assert_eq!(wait, Duration::MAX);
    }

    #[test]
    fn remote_host_is_refused_by_default() {
        let reason = check_target("https://app.example.com/hook", false).err();
        let reason = reason.unwrap_or_default();
        assert!(reason.contains("\"app.example.com\""), "{reason}");
        assert!(reason.contains("allow_remote_callbacks"), "{reason}");
        assert!(check_target("https://app.example.com/hook", true).is_ok());
        assert!(check_target("http://localhost:8080/hook", false).is_ok());
    }

    #[test]
    fn redact_url_hides_query() {
        assert_eq!(
            redact_url("http://127.0.0.1:9/hook?token=abc"),
            "http://127.0.0.1:9/hook?…"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:9/hook"),
            "http://127.0.0.1:9/hook"
        );
    }

    #[test]
    fn quote_body_caps_length() {
        let quoted = quote_body("x".repeat(500).as_bytes());
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 1 + 5);
        assert_eq!(quote_body(b"  "), "");
    }
}
