//! Settings of a sandbox: port, API key, callback timing and how much history is kept.

use std::fmt;
use std::time::Duration;

use clearline::validate::DEFAULT_MAX_MESSAGE_CHARS;
use clearline::ApiKey;

use crate::error::SandboxError;

/// Default delay between accepting a message and POSTing its delivery report.
pub const DEFAULT_CALLBACK_DELAY: Duration = Duration::from_millis(20);

/// Default number of POSTs per delivery report when the receiver does not respond with 200.
pub const DEFAULT_CALLBACK_MAX_ATTEMPTS: u32 = 3;

/// Default wait before the second POST of a report; each later wait doubles.
pub const DEFAULT_CALLBACK_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Default time allowed for one callback POST, connecting included.
pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Default number of callback POSTs in flight at once, over all messages.
pub const DEFAULT_MAX_CONCURRENT_CALLBACKS: usize = 64;

/// Default number of messages, callback attempts and outcomes each kept for inspection.
pub const DEFAULT_HISTORY_LIMIT: usize = 100_000;

/// Settings of a [`crate::Sandbox`].
///
/// ```
/// use std::time::Duration;
/// use clearline_sandbox::SandboxConfig;
///
/// let config = SandboxConfig {
///     api_key: Some("test_key_not_real_0000".into()),
///     callback_delay: Duration::from_millis(5),
///     ..SandboxConfig::default()
/// };
/// assert_eq!(config.port, 0);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 (the default) picks a free ephemeral port.
    pub port: u16,
    /// The API key the sandbox accepts; `None` generates an obviously fake one
    /// (`sandbox_key_` and 24 hex digits).
    pub api_key: Option<String>,
    /// Delay between accepting a message and the first POST of its delivery report.
    pub callback_delay: Duration,
    /// POSTs per delivery report, the first included, when the receiver does not respond with 200.
    /// At least 1.
    pub callback_max_attempts: u32,
    /// Wait before the second POST of a report; each later wait doubles.
    pub callback_retry_backoff: Duration,
    /// Time allowed for one callback POST, connecting included.
    pub callback_timeout: Duration,
    /// Callback POSTs in flight at once, over all messages; further reports wait their turn.
    pub max_concurrent_callbacks: usize,
    /// `false` (the default) delivers reports only to loopback hosts (`localhost`,
    /// 127.0.0.0/8, `[::1]`) and records any other callback URL as a failed attempt without
    /// connecting, so a test suite never reaches a real server by mistake.
    pub allow_remote_callbacks: bool,
    /// Messages, callback attempts and outcomes each kept for inspection; the oldest are
    /// dropped past it.
    pub history_limit: usize,
    /// The longest accepted message, in Unicode characters (default
    /// [`DEFAULT_MAX_MESSAGE_CHARS`], as the client's). Set it to the client's
    /// `max_message_chars` when that is raised; [`crate::Sandbox::client_builder`] does.
    pub max_message_chars: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            api_key: None,
            callback_delay: DEFAULT_CALLBACK_DELAY,
            callback_max_attempts: DEFAULT_CALLBACK_MAX_ATTEMPTS,
            callback_retry_backoff: DEFAULT_CALLBACK_RETRY_BACKOFF,
            callback_timeout: DEFAULT_CALLBACK_TIMEOUT,
            max_concurrent_callbacks: DEFAULT_MAX_CONCURRENT_CALLBACKS,
            allow_remote_callbacks: false,
            history_limit: DEFAULT_HISTORY_LIMIT,
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
        }
    }
}

impl SandboxConfig {
    /// Checks the settings and returns the API key to accept, generating one when none is set.
    pub(crate) fn check(&self) -> Result<String, SandboxError> {
        if self.callback_max_attempts == 0 {
            return Err(SandboxError::InvalidConfig(
                "callback_max_attempts is 0; set it to at least 1 (the first POST counts)".into(),
            ));
        }
        if self.callback_timeout.is_zero() {
            return Err(SandboxError::InvalidConfig(
                "callback_timeout is zero; pass a positive duration".into(),
            ));
        }
        if self.max_concurrent_callbacks == 0 {
            return Err(SandboxError::InvalidConfig(
                "max_concurrent_callbacks is 0; set it to at least 1".into(),
            ));
        }
        if self.history_limit == 0 {
            return Err(SandboxError::InvalidConfig(
                "history_limit is 0; set it to at least 1".into(),
            ));
        }
        if self.max_message_chars == 0 {
            return Err(SandboxError::InvalidConfig(format!(
                "max_message_chars is 0; set it to at least 1 (the client's default is \
                 {DEFAULT_MAX_MESSAGE_CHARS})"
            )));
        }

        match &self.api_key {
            // The core's key rules apply, so every key the sandbox accepts is one the client
            // can send. Its error never quotes the key.
            Some(key) => match ApiKey::new(key.as_str()) {
                Ok(_) => Ok(key.clone()),
                Err(err) => Err(SandboxError::InvalidConfig(err.to_string())),
            },
            None => Ok(generate_api_key()),
        }
    }
}

/// Generates an obviously fake key: `sandbox_key_` and 24 random hex digits.
fn generate_api_key() -> String {
    format!(
        "sandbox_key_{:08x}{:016x}",
        fastrand::u32(..),
        fastrand::u64(..)
    )
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let api_key = self.api_key.as_ref().map(|key| redact_key(key));
        f.debug_struct("SandboxConfig")
            .field("port", &self.port)
            .field("api_key", &api_key)
            .field("callback_delay", &self.callback_delay)
            .field("callback_max_attempts", &self.callback_max_attempts)
            .field("callback_retry_backoff", &self.callback_retry_backoff)
            .field("callback_timeout", &self.callback_timeout)
            .field("max_concurrent_callbacks", &self.max_concurrent_callbacks)
            .field("allow_remote_callbacks", &self.allow_remote_callbacks)
            .field("history_limit", &self.history_limit)
            .field("max_message_chars", &self.max_message_chars)
            .finish()
    }
}

/// Returns the core's redacted form of a key (its last 4 characters at most), or `****` for a
/// key the core would reject.
pub(crate) fn redact_key(key: &str) -> String {
    ApiKey::new(key)
        .map(|key| key.redacted())
        .unwrap_or_else(|_| "****".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_obviously_fake() {
        let key = SandboxConfig::default().check().unwrap_or_default();
        assert!(key.starts_with("sandbox_key_"), "{key}");
        assert_eq!(key.len(), "sandbox_key_".len() + 24);
    }

    #[test]
    fn debug_hides_api_key() {
        let config = SandboxConfig {
            api_key: Some("test_key_not_real_0000".into()),
            ..SandboxConfig::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("test_key_not_real"), "{debug}");
    }

    #[test]
    fn key_with_space_is_rejected_without_quoting_it() {
        let config = SandboxConfig {
            api_key: Some("secret value".into()),
            ..SandboxConfig::default()
        };
        let message = config
            .check()
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default();
        assert!(message.contains("API key"), "{message}");
        assert!(!message.contains("secret value"), "{message}");
    }

    #[test]
    fn zero_attempts_is_rejected() {
        let config = SandboxConfig {
            callback_max_attempts: 0,
            ..SandboxConfig::default()
        };
        assert!(config.check().is_err());
    }
}
