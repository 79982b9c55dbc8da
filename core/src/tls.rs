//! The TLS configuration of the crate's HTTP clients, and of the sandbox's.
//!
//! reqwest is built without a crypto provider of its own (its `rustls-no-provider` feature),
//! because its default provider, aws-lc-rs, is about 1.5 MB of every binary that links the
//! crate, the Node addon and the Python extension included. Each client gets the configuration
//! below instead: rustls with the *ring* provider and the platform's certificate verifier.
//! Nothing is installed as the process-wide rustls default, so an application that installs
//! its own keeps it.

use std::sync::Arc;

use rustls_platform_verifier::BuilderVerifierExt;

/// Builds the rustls client configuration of the crate's HTTP clients: the *ring* crypto
/// provider, TLS 1.2 and 1.3, the platform's certificate verifier, and ALPN for HTTP/2 and
/// HTTP/1.1.
///
/// It is public for the sandbox crate, and not part of the stable API.
///
/// # Errors
///
/// When the platform's certificate verifier cannot be created.
///
/// ```
/// let config = clearline::tls::rustls_config()?;
/// assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// # Ok::<(), rustls::Error>(())
/// ```
#[doc(hidden)]
pub fn rustls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    // What reqwest offers with its `http2` feature when it builds the configuration itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
