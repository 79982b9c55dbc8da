//! The sandbox's error type.

use std::fmt::Write as _;
use std::time::Duration;

use crate::record::CallbackOutcome;

/// An error from starting a sandbox or waiting on it.
///
/// ```
/// # async fn run() -> Result<(), clearline_sandbox::SandboxError> {
/// use std::time::Duration;
/// use clearline_sandbox::{Sandbox, SandboxConfig, SandboxError};
///
/// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
/// match sandbox.wait_for_callbacks(1, Duration::from_millis(50)).await {
///     Err(SandboxError::Timeout { arrived, .. }) => assert!(arrived.is_empty()),
///     other => panic!("expected a timeout, got {other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A [`crate::SandboxConfig`] value is invalid; the message names it and the fix.
    #[error("invalid sandbox configuration: {0}")]
    InvalidConfig(String),

    /// `127.0.0.1:port` could not be bound.
    #[error(
        "failed to bind the sandbox to 127.0.0.1:{port} ({source}); choose another port, or \
         pass port 0 for a free one"
    )]
    Bind {
        /// The requested port (0 for an ephemeral one).
        port: u16,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// [`crate::Sandbox::start`] ran outside a Tokio runtime.
    #[error(
        "the sandbox needs a Tokio runtime with the I/O and time drivers; call \
         Sandbox::start from inside one (for example under #[tokio::main] or #[tokio::test])"
    )]
    NoRuntime,

    /// [`crate::Sandbox::wait_for_callbacks`] ran out of time.
    #[error("{}", timeout_message(*.expected, .arrived, *.with_callback_url, *.waited))]
    Timeout {
        /// The number of outcomes waited for.
        expected: usize,
        /// The outcomes that did arrive, in the order they were decided.
        arrived: Vec<CallbackOutcome>,
        /// How many accepted messages had a callback URL (messages without one get no report).
        with_callback_url: usize,
        /// How long the wait lasted.
        waited: Duration,
    },
}

/// Builds the message of [`SandboxError::Timeout`]: what arrived and what to check next.
fn timeout_message(
    expected: usize,
    arrived: &[CallbackOutcome],
    with_callback_url: usize,
    waited: Duration,
) -> String {
    let mut message = format!(
        "timed out after {} waiting for {expected} delivery-report outcome(s): {} arrived",
        // Whole milliseconds: "801ms" reads better than "801ms 882us 18ns".
        humantime::format_duration(Duration::from_millis(
            u64::try_from(waited.as_millis()).unwrap_or(u64::MAX)
        )),
        arrived.len()
    );

    const SHOWN: usize = 5;
    if !arrived.is_empty() {
        message.push_str(" (");
        for (index, outcome) in arrived.iter().take(SHOWN).enumerate() {
            if index > 0 {
                message.push_str(", ");
            }
            let result = if outcome.delivered {
                "delivered"
            } else {
                "not delivered"
            };
            let _ = write!(
                message,
                "{} {} after {} attempt(s)",
                outcome.message_id, result, outcome.attempts
            );
        }
        if arrived.len() > SHOWN {
            let _ = write!(message, ", and {} more", arrived.len() - SHOWN);
        }
        message.push(')');
    }

    if with_callback_url < expected {
        let _ = write!(
            message,
            ". Only {with_callback_url} accepted message(s) had a callback URL, and messages \
             without one get no delivery report: send with a callback URL, or wait for fewer"
        );
    } else {
        message.push_str(
            ". The other reports are still being delivered or retried: check that the callback \
             URL points at a running receiver (callback_attempts() lists every POST), or raise \
             the timeout",
        );
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearline::{DeliveryReport, DeliveryStatus};

    fn outcome(message_id: &str, delivered: bool) -> CallbackOutcome {
        CallbackOutcome {
            message_id: message_id.into(),
            report: DeliveryReport {
                message_id: message_id.into(),
                status: DeliveryStatus::Delivered,
                external_status: Some("Delivered".into()),
                reason: None,
            },
            delivered,
            attempts: 3,
        }
    }

    #[test]
    fn timeout_lists_arrived_outcomes() {
        let err = SandboxError::Timeout {
            expected: 3,
            arrived: vec![outcome("msg_a", true), outcome("msg_b", false)],
            with_callback_url: 3,
            waited: Duration::from_secs(2),
        };
        let message = err.to_string();
        assert!(message.contains("timed out after 2s"), "{message}");
        assert!(message.contains("msg_a delivered after 3"), "{message}");
        assert!(message.contains("msg_b not delivered"), "{message}");
        assert!(message.contains("running receiver"), "{message}");
    }

    #[test]
    fn timeout_hints_at_missing_callback_urls() {
        let err = SandboxError::Timeout {
            expected: 2,
            arrived: Vec::new(),
            with_callback_url: 1,
            waited: Duration::from_millis(500),
        };
        let message = err.to_string();
        assert!(message.contains("Only 1 accepted message(s)"), "{message}");
    }
}
