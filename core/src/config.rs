//! Client configuration: API key, environment or base URL, timeouts, retries and limits.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::validate::{
    DEFAULT_MAX_MESSAGE_CHARS, check_secure_url, is_loopback, quote, redact_url_secrets,
};

/// Name of the environment variable read when no API key is given.
///
/// ```
/// assert_eq!(clearline::API_KEY_ENV, "CLEARLINE_API_KEY");
/// ```
pub const API_KEY_ENV: &str = "CLEARLINE_API_KEY";

/// Default time allowed to open a connection (TCP and TLS), per attempt.
///
/// ```
/// use std::time::Duration;
///
/// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
/// assert_eq!(client.config().connect_timeout(), clearline::DEFAULT_CONNECT_TIMEOUT);
/// assert_eq!(clearline::DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(10));
/// # Ok::<(), clearline::Error>(())
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default total time of a send, retries and their waits included.
///
/// ```
/// use std::time::Duration;
///
/// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
/// assert_eq!(client.config().timeout(), clearline::DEFAULT_TIMEOUT);
/// assert_eq!(clearline::DEFAULT_TIMEOUT, Duration::from_secs(30));
/// # Ok::<(), clearline::Error>(())
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Product token at the start of every `User-Agent` the SDK sends.
///
/// ```
/// assert!(clearline::USER_AGENT.starts_with("clearline-rust/"));
/// ```
pub const USER_AGENT: &str = concat!("clearline-rust/", env!("CARGO_PKG_VERSION"));

/// A ClearLine environment and its base URL.
///
/// ```
/// use clearline::Environment;
///
/// assert_eq!(Environment::default(), Environment::Production);
/// assert_eq!("staging".parse::<Environment>().unwrap().base_url(), "https://apistage.clearline.me");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://api.clearline.me`, where real SMS are sent.
    #[default]
    Production,
    /// `https://apistage.clearline.me`, ClearLine's staging service.
    Staging,
}

impl Environment {
    /// The base URL of the environment.
    ///
    /// ```
    /// assert_eq!(clearline::Environment::Production.base_url(), "https://api.clearline.me");
    /// ```
    pub fn base_url(self) -> &'static str {
        match self {
            Environment::Production => "https://api.clearline.me",
            Environment::Staging => "https://apistage.clearline.me",
        }
    }

    /// Returns `"production"` or `"staging"`.
    ///
    /// ```
    /// assert_eq!(clearline::Environment::Staging.as_str(), "staging");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;

    /// Parses `production` or `staging`, ignoring ASCII case.
    fn from_str(name: &str) -> Result<Self> {
        if name.eq_ignore_ascii_case("production") {
            Ok(Environment::Production)
        } else if name.eq_ignore_ascii_case("staging") {
            Ok(Environment::Staging)
        } else {
            Err(Error::configuration(format!(
                "invalid environment {}: expected \"production\" or \"staging\"; for the sandbox \
                 or a proxy, set a base URL instead",
                quote(name)
            )))
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ClearLine API key. `Debug` and `Display` show at most its last 4 characters.
///
/// ```
/// use clearline::ApiKey;
///
/// let key = ApiKey::new("test_key_not_real_0000").unwrap();
/// assert_eq!(format!("{key:?}"), "ApiKey(\"…0000\")");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks and wraps a key.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::Configuration`] when the key is empty, has whitespace around it, or
    /// contains characters an HTTP header cannot carry. The message never quotes the key.
    ///
    /// ```
    /// use clearline::ApiKey;
    ///
    /// assert!(ApiKey::new("test_key_not_real_0000").is_ok());
    /// assert!(ApiKey::new("test_key_not_real_0000\n").is_err());
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() {
            return Err(Error::configuration(format!(
                "the API key is empty; pass your ClearLine API key or set {API_KEY_ENV}"
            )));
        }
        if key.trim() != key {
            return Err(Error::configuration(
                "the API key has whitespace around it; remove it (a trailing newline from a \
                 secrets file is a common cause)",
            ));
        }
        if !key.bytes().all(|byte| (0x21..=0x7e).contains(&byte)) {
            return Err(Error::configuration(
                "the API key contains characters an HTTP header cannot carry (spaces, control or \
                 non-ASCII characters); check that the whole key was copied and nothing else",
            ));
        }
        Ok(ApiKey(key))
    }

    /// Returns a form safe to log: the last 4 characters after an ellipsis, or `****` for keys
    /// shorter than 12 characters.
    ///
    /// ```
    /// use clearline::ApiKey;
    ///
    /// assert_eq!(ApiKey::new("test_key_not_real_0000").unwrap().redacted(), "…0000");
    /// assert_eq!(ApiKey::new("short").unwrap().redacted(), "****");
    /// ```
    pub fn redacted(&self) -> String {
        redact_key(&self.0)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// Redacts a key that may not have been checked yet, so it may hold any characters.
fn redact_key(key: &str) -> String {
    let chars = key.chars().count();
    if chars < 12 {
        return "****".into();
    }
    let last_four: String = key.chars().skip(chars - 4).collect();
    format!("…{last_four}")
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiKey").field(&self.redacted()).finish()
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where the client sends requests.
#[derive(Debug, Clone)]
enum Target {
    Environment(Environment),
    BaseUrl(String),
}

/// Builder of a [`Client`]; [`Client::builder`] creates one.
///
/// ```
/// use std::time::Duration;
/// use clearline::{Client, Environment};
///
/// let client = Client::builder()
///     .api_key("test_key_not_real_0000")
///     .environment(Environment::Staging)
///     .timeout(Duration::from_secs(10))
///     .max_retries(3)
///     .build()
///     .unwrap();
/// assert_eq!(client.config().base_url().as_str(), "https://apistage.clearline.me/");
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<String>,
    target: Target,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    max_message_chars: usize,
    resolve: Vec<(String, SocketAddr)>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            target: Target::Environment(Environment::Production),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
            resolve: Vec::new(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.api_key.as_deref().map(redact_key);
        let target = match &self.target {
            Target::Environment(environment) => environment.as_str().to_owned(),
            Target::BaseUrl(url) => redact_url_secrets(url, true),
        };
        f.debug_struct("ClientBuilder")
            .field("api_key", &key)
            .field("target", &target)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("max_message_chars", &self.max_message_chars)
            .field("resolve", &self.resolve)
            .finish()
    }
}

impl ClientBuilder {
    /// Sets the API key. Without one, `build` reads [`API_KEY_ENV`].
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().api_key_redacted(), "…0000");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Selects a ClearLine environment (default [`Environment::Production`]). Replaces any base
    /// URL set before.
    ///
    /// ```
    /// use clearline::{Client, Environment};
    ///
    /// let client = Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .environment(Environment::Staging)
    ///     .build()?;
    /// assert_eq!(client.config().environment(), Some(Environment::Staging));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn environment(mut self, environment: Environment) -> Self {
        self.target = Target::Environment(environment);
        self
    }

    /// Sends to a custom base URL, such as the sandbox or a proxy in front of ClearLine. Replaces
    /// any environment set before.
    ///
    /// The URL must use `https`, except on loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`),
    /// so the key never travels in clear text. A path is kept: requests go to
    /// `{base_url}/MessageSender/sms`.
    ///
    /// ```
    /// use clearline::Client;
    ///
    /// let client = Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("https://gateway.example.com/clearline")
    ///     .build()?;
    /// assert_eq!(
    ///     client.config().endpoint().as_str(),
    ///     "https://gateway.example.com/clearline/MessageSender/sms"
    /// );
    /// assert!(Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("http://gateway.example.com")
    ///     .build()
    ///     .is_err());
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.target = Target::BaseUrl(base_url.into());
        self
    }

    /// Sets the time allowed to open a connection, per attempt (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .build()?;
    /// assert_eq!(client.config().connect_timeout(), Duration::from_secs(3));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the total time of a send, retries and their waits included (default 30 s).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .timeout(Duration::from_secs(15))
    ///     .build()?;
    /// assert_eq!(client.config().timeout(), Duration::from_secs(15));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many times a send is retried when it provably did not reach ClearLine, or was
    /// rate-limited (default 2).
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .max_retries(5)
    ///     .build()?;
    /// assert_eq!(client.config().retry_policy().max_retries, 5);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// Replaces the whole retry policy: count, backoff and the longest `Retry-After` honoured.
    ///
    /// ```
    /// use std::time::Duration;
    /// use clearline::{Client, RetryPolicy};
    ///
    /// let client = Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .retry_policy(RetryPolicy {
    ///         max_retry_after: Duration::from_secs(5),
    ///         ..RetryPolicy::default()
    ///     })
    ///     .build()?;
    /// assert_eq!(client.config().retry_policy().max_retry_after, Duration::from_secs(5));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Appends a product token to the `User-Agent`, such as `clearline-python/0.1.0`.
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .user_agent_suffix("myapp/1.2")
    ///     .build()?;
    /// assert!(client.config().user_agent().ends_with(" myapp/1.2"));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets the longest accepted message, in Unicode characters (default 1,600).
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .max_message_chars(480)
    ///     .build()?;
    /// assert_eq!(client.config().max_message_chars(), 480);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn max_message_chars(mut self, max_chars: usize) -> Self {
        self.max_message_chars = max_chars;
        self
    }

    /// Connects to `addr` for the host name `domain` instead of resolving it through DNS.
    ///
    /// The URL, the TLS server name and the proxy rules still use `domain`; only the address
    /// changes. This pins ClearLine to a known address (a private endpoint, a firewall rule) or
    /// points a real host name at a test server. The port of `addr` is used as given.
    ///
    /// ```
    /// use std::net::SocketAddr;
    ///
    /// let address: SocketAddr = "192.0.2.10:443".parse().unwrap();
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .resolve("api.clearline.me", address)
    ///     .build()?;
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn resolve(mut self, domain: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((domain.into(), addr));
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::Configuration`] when no API key is given or set in
    /// `CLEARLINE_API_KEY`, when the key or the base URL is invalid, when a timeout or the
    /// maximum message length is zero, or when the HTTP client cannot be created.
    ///
    /// ```
    /// use clearline::{Client, ErrorKind};
    ///
    /// let err = Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("ftp://files.example.com")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Configuration);
    /// ```
    pub fn build(self) -> Result<Client> {
        let config = self.into_config()?;
        Client::from_config(config)
    }

    fn into_config(self) -> Result<ClientConfig> {
        let api_key = match self.api_key {
            Some(key) => ApiKey::new(key)?,
            None => match std::env::var(API_KEY_ENV) {
                Ok(key) => ApiKey::new(key).map_err(|err| {
                    err.append_message(&format!("(The key was read from {API_KEY_ENV}.)"))
                })?,
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::configuration(format!(
                        "invalid API key in {API_KEY_ENV}: it is not valid UTF-8; set it to your \
                         ClearLine API key, or pass the key to the client (api_key)"
                    )));
                }
                Err(std::env::VarError::NotPresent) => {
                    return Err(Error::configuration(format!(
                        "no API key: pass one to the client (api_key) or set the {API_KEY_ENV} \
                         environment variable"
                    )));
                }
            },
        };

        let (base_url, environment) = match &self.target {
            Target::Environment(environment) => {
                (parse_base_url(environment.base_url())?, Some(*environment))
            }
            Target::BaseUrl(url) => (parse_base_url(url)?, None),
        };
        let endpoint = base_url.join("MessageSender/sms").map_err(|err| {
            Error::configuration(format!(
                "invalid base URL {}: {err}",
                quote(base_url.as_str())
            ))
        })?;

        for (name, value) in [
            ("connect timeout", self.connect_timeout),
            ("timeout", self.timeout),
        ] {
            if value.is_zero() {
                return Err(Error::configuration(format!(
                    "invalid {name}: it is zero; pass a positive duration"
                )));
            }
        }
        if self.max_message_chars == 0 {
            return Err(Error::configuration(
                "invalid maximum message length: it is zero; pass a positive number of characters",
            ));
        }

        let user_agent = match &self.user_agent_suffix {
            Some(suffix) if !suffix.is_empty() => {
                if !suffix.bytes().all(|byte| (0x20..=0x7e).contains(&byte)) {
                    return Err(Error::configuration(format!(
                        "invalid user-agent suffix {}: use printable ASCII, such as \
                         \"myapp/1.2\"",
                        quote(suffix)
                    )));
                }
                format!("{USER_AGENT} {suffix}")
            }
            _ => USER_AGENT.to_owned(),
        };

        Ok(ClientConfig {
            api_key,
            environment,
            base_url,
            endpoint,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            retry: self.retry,
            user_agent,
            max_message_chars: self.max_message_chars,
            resolve: self.resolve,
        })
    }
}

/// Parses a base URL and checks that it is safe to send the key to. The path gets a trailing
/// slash so that joining `MessageSender/sms` keeps it.
fn parse_base_url(raw: &str) -> Result<Url> {
    let invalid = |reason: &str| {
        Error::configuration(format!(
            "invalid base URL {}: {reason}",
            quote(&redact_url_secrets(raw, true))
        ))
    };
    let trimmed = raw.trim();
    // URL parsing silently drops tabs and newlines inside a URL; a base URL with one is a
    // copy-and-paste accident, not the address meant.
    if trimmed.chars().any(|ch| ch.is_ascii_control()) {
        return Err(invalid(
            "it contains a control character (such as a newline or tab); remove it",
        ));
    }
    let mut url = Url::parse(trimmed).map_err(|err| {
        invalid(&format!(
            "{err}; pass an absolute URL such as \"https://api.clearline.me\" or the sandbox's \
             \"http://127.0.0.1:PORT\""
        ))
    })?;
    check_secure_url(&url).map_err(|reason| invalid(&reason))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it has a query or fragment; remove it"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    if url
        .path()
        .to_ascii_lowercase()
        .ends_with("/messagesender/sms/")
    {
        return Err(invalid(
            "it already ends with the endpoint path /MessageSender/sms, which the client adds; \
             pass the URL without it",
        ));
    }
    Ok(url)
}

/// The checked configuration of a [`Client`]. `Debug` never shows the API key.
///
/// ```
/// let client = clearline::Client::builder()
///     .api_key("test_key_not_real_0000")
///     .base_url("http://127.0.0.1:8080")
///     .build()
///     .unwrap();
/// let config = client.config();
/// assert_eq!(config.endpoint().as_str(), "http://127.0.0.1:8080/MessageSender/sms");
/// assert!(!format!("{config:?}").contains("test_key_not_real"));
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) api_key: ApiKey,
    environment: Option<Environment>,
    base_url: Url,
    endpoint: Url,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    max_message_chars: usize,
    pub(crate) resolve: Vec<(String, SocketAddr)>,
}

impl ClientConfig {
    /// The environment, or `None` for a custom base URL.
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("http://127.0.0.1:8080")
    ///     .build()?;
    /// assert_eq!(client.config().environment(), None);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn environment(&self) -> Option<Environment> {
        self.environment
    }

    /// The base URL, always ending with `/`.
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("http://localhost:8080/sandbox")
    ///     .build()?;
    /// assert_eq!(client.config().base_url().as_str(), "http://localhost:8080/sandbox/");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The URL sends are POSTed to: `{base_url}MessageSender/sms`.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(
    ///     client.config().endpoint().as_str(),
    ///     "https://api.clearline.me/MessageSender/sms"
    /// );
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// `true` when the base URL is on a loopback host (the sandbox, a local proxy).
    ///
    /// ```
    /// let client = clearline::Client::builder()
    ///     .api_key("test_key_not_real_0000")
    ///     .base_url("http://[::1]:8080")
    ///     .build()?;
    /// assert!(client.config().is_loopback());
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.base_url)
    }

    /// The time allowed to open a connection, per attempt.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().connect_timeout(), std::time::Duration::from_secs(10));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The default total time of a send.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().timeout(), std::time::Duration::from_secs(30));
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The retry policy.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(*client.config().retry_policy(), clearline::RetryPolicy::default());
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The `User-Agent` header value.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().user_agent(), clearline::USER_AGENT);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The longest accepted message, in Unicode characters.
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().max_message_chars(), 1600);
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn max_message_chars(&self) -> usize {
        self.max_message_chars
    }

    /// The API key in its redacted form (see [`ApiKey::redacted`]).
    ///
    /// ```
    /// let client = clearline::Client::builder().api_key("test_key_not_real_0000").build()?;
    /// assert_eq!(client.config().api_key_redacted(), "…0000");
    /// # Ok::<(), clearline::Error>(())
    /// ```
    pub fn api_key_redacted(&self) -> String {
        self.api_key.redacted()
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_key", &self.api_key)
            .field("environment", &self.environment)
            .field("base_url", &self.base_url.as_str())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("max_message_chars", &self.max_message_chars)
            .field("resolve", &self.resolve)
            .finish()
    }
}

impl fmt::Display for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClearLine client for {} (API key {})",
            self.base_url, self.api_key
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ClientBuilder {
        ClientBuilder::default().api_key("test_key_not_real_0000")
    }

    #[test]
    fn base_url_rejects_plain_http_off_loopback() {
        let err = builder().base_url("http://api.example.com").build().err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("plain http"), "{message}");
    }

    #[test]
    fn base_url_error_hides_credentials_and_query() {
        let err = builder()
            .base_url("http://user:hunter2@api.example.com/?key=swordfish")
            .build()
            .err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("\"http://***@api.example.com/?***\""),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!message.contains("swordfish"), "{message}");
    }

    #[test]
    fn builder_debug_hides_key_and_url_secrets() {
        let debug = format!(
            "{:?}",
            ClientBuilder::default()
                .api_key("ключ_секретный_ключ_ё")
                .base_url("https://user:hunter2@proxy.example.com")
        );
        assert!(!debug.contains("секретный"), "{debug}");
        assert!(debug.contains("\"…юч_ё\""), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn base_url_with_endpoint_path_is_rejected() {
        let err = builder()
            .base_url("https://api.clearline.me/MessageSender/sms")
            .build()
            .err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("pass the URL without it"), "{message}");
    }

    #[test]
    fn base_url_keeps_path_prefix() {
        let client = builder()
            .base_url("https://proxy.example.com/clearline")
            .build();
        let endpoint = client.map(|c| c.config().endpoint().to_string());
        assert_eq!(
            endpoint.ok().as_deref(),
            Some("https://proxy.example.com/clearline/MessageSender/sms")
        );
    }

    #[test]
    fn base_url_accepts_loopback_forms() {
        for url in ["http://localhost:1", "http://127.0.0.9:1", "http://[::1]:1"] {
            assert!(builder().base_url(url).build().is_ok(), "{url}");
        }
    }

    #[test]
    fn api_key_redaction_hides_short_keys() {
        let short = ApiKey::new("abcdefgh").map(|k| k.redacted());
        assert_eq!(short.ok().as_deref(), Some("****"));
    }

    #[test]
    fn api_key_with_newline_is_rejected_without_echo() {
        let err = ApiKey::new("test_key_secret\n").err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("whitespace"), "{message}");
        assert!(!message.contains("test_key_secret"), "{message}");
    }

    #[test]
    fn base_url_with_inner_newline_is_rejected() {
        let err = builder()
            .base_url("https://api.clear\nline.me")
            .build()
            .err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("control character"), "{message}");
    }

    #[test]
    fn zero_timeout_is_rejected() {
        let err = builder().timeout(Duration::ZERO).build().err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("invalid timeout"), "{message}");
    }

    #[test]
    fn environment_parse_rejects_unknown_name() {
        assert!("prod".parse::<Environment>().is_err());
        assert_eq!(
            "STAGING".parse::<Environment>().ok(),
            Some(Environment::Staging)
        );
    }
}
