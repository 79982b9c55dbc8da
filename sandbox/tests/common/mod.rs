//! Helpers shared by the sandbox's integration tests: a sandbox with fast callback timing, a
//! loopback callback receiver with scripted statuses, and a raw HTTP client.

#![allow(dead_code, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use clearline_sandbox::{Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;

/// The key every test sandbox accepts.
pub const API_KEY: &str = "test_key_not_real_0000";

/// Settings with short callback delays and backoff, so retry tests take milliseconds.
pub fn fast_config() -> SandboxConfig {
    SandboxConfig {
        api_key: Some(API_KEY.into()),
        callback_delay: Duration::from_millis(5),
        callback_retry_backoff: Duration::from_millis(20),
        callback_timeout: Duration::from_secs(2),
        ..SandboxConfig::default()
    }
}

pub async fn start() -> Sandbox {
    start_with(fast_config()).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(err) => panic!("the sandbox did not start: {err}"),
    }
}

/// A core client for `sandbox` that makes exactly one attempt per send.
pub fn client(sandbox: &Sandbox) -> clearline::Client {
    match sandbox.client_builder().max_retries(0).build() {
        Ok(client) => client,
        Err(err) => panic!("the client did not build: {err}"),
    }
}

/// A plain HTTP client for requests the core client would never send.
///
/// reqwest has no crypto provider of its own in this workspace, so it takes the core's TLS
/// configuration, as every client here must.
pub fn raw_client() -> reqwest::Client {
    let tls = match clearline::tls::rustls_config() {
        Ok(tls) => tls,
        Err(err) => panic!("the TLS configuration did not build: {err}"),
    };
    match reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(err) => panic!("the HTTP client did not build: {err}"),
    }
}

/// POSTs `body` to the sandbox's send endpoint with the given key and content type, and
/// returns the status and the body parsed as JSON (`Null` when it is not JSON).
pub async fn post_send(
    sandbox: &Sandbox,
    api_key: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, serde_json::Value) {
    let mut request = raw_client()
        .post(format!("{}/MessageSender/sms", sandbox.base_url()))
        .body(body);
    if let Some(key) = api_key {
        request = request.header("ApiKey", key);
    }
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => panic!("the request failed: {err}"),
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// GETs a sandbox path and parses the JSON response.
pub async fn get_json(sandbox: &Sandbox, path: &str) -> serde_json::Value {
    let url = format!("{}{path}", sandbox.base_url());
    let text = match raw_client().get(url).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(err) => panic!("GET {path} failed: {err}"),
    };
    match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(err) => panic!("GET {path} did not return JSON ({err}): {text}"),
    }
}

/// A delivery report as the receiver got it.
#[derive(Debug, Clone)]
pub struct ReceivedCallback {
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub body: Bytes,
    pub at: Instant,
}

#[derive(Default)]
struct ReceiverState {
    /// Statuses to respond with, in order, then 200 once they run out.
    script: Mutex<VecDeque<u16>>,
    /// Time each response is held back.
    delay: Mutex<Duration>,
    received: Mutex<Vec<ReceivedCallback>>,
}

/// A loopback HTTP server that receives delivery reports on any path.
pub struct Receiver {
    address: SocketAddr,
    state: Arc<ReceiverState>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver that responds with 200 to everything.
    pub async fn start() -> Receiver {
        Receiver::scripted(&[]).await
    }

    /// Starts a receiver that responds with `statuses` in order, then 200.
    pub async fn scripted(statuses: &[u16]) -> Receiver {
        let state = Arc::new(ReceiverState::default());
        *state.script.lock().unwrap_or_else(|e| e.into_inner()) =
            statuses.iter().copied().collect();
        let router = Router::new()
            .route("/{*path}", post(receive))
            .with_state(Arc::clone(&state));
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("the receiver could not bind: {err}"),
        };
        let address = match listener.local_addr() {
            Ok(address) => address,
            Err(err) => panic!("the receiver has no address: {err}"),
        };
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(err) = served {
                eprintln!("receiver failed: {err}");
            }
        });
        Receiver {
            address,
            state,
            shutdown,
            task,
        }
    }

    /// Makes every later response wait `delay`.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap_or_else(|e| e.into_inner()) = delay;
    }

    /// A callback URL on this receiver.
    pub fn url(&self) -> String {
        format!("http://{}/webhooks/sms", self.address)
    }

    pub fn received(&self) -> Vec<ReceivedCallback> {
        self.state
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    state
        .received
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(ReceivedCallback {
            content_type: header("content-type"),
            user_agent: header("user-agent"),
            body,
            at: Instant::now(),
        });
    let delay = *state.delay.lock().unwrap_or_else(|e| e.into_inner());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = state
        .script
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_front()
        .unwrap_or(200);
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Returns a loopback port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(address) => address.port(),
        Err(err) => panic!("could not find a free port: {err}"),
    }
}
