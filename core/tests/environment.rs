//! Settings read from environment variables: `CLEARLINE_API_KEY`, `HTTPS_PROXY` and `NO_PROXY`.
//!
//! The environment is global to a process, and changing it while other threads read it is
//! unsound, so each case runs this test binary again as a child process with the variables set
//! (`Command::env`). The child runs one `#[ignore]`d test, named `child_*`, which prints a
//! `RESULT` line that the parent checks. The parent also runs the servers the child talks to.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;
use std::time::Duration;

use clearline::{Client, Environment, SendRequest};

use support::KEY;
use support::faults::{RawListener, heads, refused_addr};
use support::server::{Reply, Response, TestServer};

/// Set in the child's environment, so that a `child_*` test runs only when a parent started it.
const CHILD_MARKER: &str = "CLEARLINE_TEST_CHILD";

/// Runs the ignored test `name` in a child process with `vars` set (an empty value removes
/// the variable) and returns its `RESULT` line.
async fn run_child(name: &str, vars: &[(&str, String)]) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command.env(CHILD_MARKER, "1");
    for variable in [
        "CLEARLINE_API_KEY",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ] {
        command.env_remove(variable);
    }
    for (variable, value) in vars {
        command.env(variable, value);
    }

    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the child's task did not panic")
        .expect("the child process started");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child {name} failed:\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains(support::KEY_SECRET_PART), "{stdout}");
    stdout
        .lines()
        .find_map(|line| line.split_once("RESULT ").map(|(_, result)| result))
        .unwrap_or_else(|| panic!("child {name} printed no RESULT line:\n{stdout}\n{stderr}"))
        .to_owned()
}

/// Returns `true` in a child started by [`run_child`]. A `child_*` test does nothing otherwise.
fn in_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}

/// Sends one SMS with `client` and prints the outcome as `RESULT ok ID` or
/// `RESULT KIND maybe_sent=BOOL attempts=N`.
/// `CHILD_MAX_RETRIES` sets the retries (default 0).
async fn print_send_result(client: &Client) {
    let max_retries = std::env::var("CHILD_MAX_RETRIES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let options = clearline::SendOptions::new().max_retries(max_retries);
    let outcome = client
        .send_with(&SendRequest::new("+12025551234", "Hi"), &options)
        .await;
    match outcome {
        Ok(receipt) => println!("RESULT ok {}", receipt.message_id()),
        Err(err) => println!(
            "RESULT {} maybe_sent={} attempts={} message={}",
            err.kind(),
            err.maybe_sent(),
            err.attempts(),
            err
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// CLEARLINE_API_KEY

#[test]
#[ignore = "run as a child process by api_key_env_* tests"]
fn child_build_client_from_env() {
    if !in_child() {
        return;
    }
    let base_url = std::env::var("CHILD_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:9".into());
    let mut builder = Client::builder().base_url(base_url);
    if let Ok(key) = std::env::var("CHILD_EXPLICIT_KEY") {
        builder = builder.api_key(key);
    }
    match builder.build() {
        Ok(client) => println!("RESULT built {}", client.config().api_key_redacted()),
        Err(err) => println!("RESULT {} {}", err.kind(), err),
    }
}

#[tokio::test]
async fn api_key_env_is_read_when_none_given() {
    let result = run_child(
        "child_build_client_from_env",
        &[("CLEARLINE_API_KEY", "test_key_not_real_1234".into())],
    )
    .await;

    assert_eq!(result, "built …1234");
}

#[tokio::test]
async fn api_key_explicit_wins_over_env() {
    let result = run_child(
        "child_build_client_from_env",
        &[
            ("CLEARLINE_API_KEY", "test_key_not_real_1234".into()),
            ("CHILD_EXPLICIT_KEY", KEY.into()),
        ],
    )
    .await;

    assert_eq!(result, "built …0000");
}

#[tokio::test]
async fn api_key_missing_names_option_and_variable() {
    let result = run_child("child_build_client_from_env", &[]).await;

    assert!(result.starts_with("configuration "), "{result}");
    assert!(result.contains("api_key"), "{result}");
    assert!(result.contains("CLEARLINE_API_KEY"), "{result}");
}

#[tokio::test]
async fn api_key_env_with_newline_names_variable() {
    let result = run_child(
        "child_build_client_from_env",
        &[("CLEARLINE_API_KEY", format!("{KEY}\n"))],
    )
    .await;

    assert!(result.starts_with("configuration "), "{result}");
    assert!(result.contains("whitespace"), "{result}");
    assert!(result.contains("read from CLEARLINE_API_KEY"), "{result}");
}

#[tokio::test]
async fn api_key_env_is_used_for_sends() {
    let server = TestServer::always(Reply::Respond(Response::accepted("msg_env"))).await;
    let result = run_child(
        "child_send_with_env_key",
        &[
            ("CLEARLINE_API_KEY", KEY.into()),
            ("CHILD_BASE_URL", server.url()),
        ],
    )
    .await;

    assert_eq!(result, "ok msg_env");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("ApiKey"), Some(KEY));
}

#[test]
#[ignore = "run as a child process by api_key_env_is_used_for_sends"]
fn child_send_with_env_key() {
    if !in_child() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let base_url = std::env::var("CHILD_BASE_URL").expect("CHILD_BASE_URL is set");
        let client = Client::builder()
            .base_url(base_url)
            .build()
            .expect("the key comes from CLEARLINE_API_KEY");
        print_send_result(&client).await;
    });
}

// ---------------------------------------------------------------------------------------------
// HTTPS_PROXY and NO_PROXY

/// A host name that is reserved for testing (RFC 2606) and never resolves: with a proxy the
/// client does not resolve it, and without one the test pins it to 127.0.0.1.
const REMOTE_HOST: &str = "api.clearline.test";

#[test]
#[ignore = "run as a child process by the proxy tests"]
fn child_send_through_env_proxy() {
    if !in_child() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let base_url = std::env::var("CHILD_BASE_URL").expect("CHILD_BASE_URL is set");
        let mut builder = Client::builder()
            .api_key(KEY)
            .base_url(base_url)
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5));
        if let Ok(addr) = std::env::var("CHILD_PIN_ADDR") {
            let addr = addr.parse().expect("CHILD_PIN_ADDR is a socket address");
            builder = builder.resolve(REMOTE_HOST, addr);
        }
        print_send_result(&builder.build().expect("client")).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_tunnels_remote_base_url() {
    let proxy = RawListener::start(b"").await;
    let result = run_child(
        "child_send_through_env_proxy",
        &[
            ("HTTPS_PROXY", format!("http://{}", proxy.addr)),
            ("CHILD_BASE_URL", format!("https://{REMOTE_HOST}")),
        ],
    )
    .await;

    let heads = heads(&proxy);
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT {REMOTE_HOST}:443 HTTP/1.1\r\n")),
        "{heads:?}"
    );
    assert!(
        !heads[0].contains("ApiKey"),
        "the key went to the proxy: {heads:?}"
    );
    assert!(
        result.starts_with("connection maybe_sent=false attempts=1"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_https_proxy_is_retried_without_post() {
    let dead_proxy = refused_addr().await;
    let result = run_child(
        "child_send_through_env_proxy",
        &[
            ("HTTPS_PROXY", format!("http://{dead_proxy}")),
            ("CHILD_BASE_URL", format!("https://{REMOTE_HOST}")),
            ("CHILD_MAX_RETRIES", "2".into()),
        ],
    )
    .await;

    // A proxy that refuses the connection provably got nothing, so the client retries.
    assert!(
        result.starts_with("connection maybe_sent=false attempts=3"),
        "{result}"
    );
    assert!(result.contains("HTTPS_PROXY"), "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowercase_https_proxy_is_honoured() {
    let proxy = RawListener::start(b"").await;
    run_child(
        "child_send_through_env_proxy",
        &[
            ("https_proxy", format!("http://{}", proxy.addr)),
            ("CHILD_BASE_URL", format!("https://{REMOTE_HOST}")),
        ],
    )
    .await;

    assert_eq!(proxy.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_bypasses_https_proxy() {
    let proxy = RawListener::start(b"").await;
    // Stands in for the host: it reads the TLS ClientHello and hangs up.
    let direct = RawListener::start(b"").await;
    let result = run_child(
        "child_send_through_env_proxy",
        &[
            ("HTTPS_PROXY", format!("http://{}", proxy.addr)),
            ("NO_PROXY", "localhost, .clearline.test".into()),
            ("CHILD_BASE_URL", format!("https://{REMOTE_HOST}")),
            ("CHILD_PIN_ADDR", direct.addr.to_string()),
        ],
    )
    .await;

    assert_eq!(proxy.connections(), 0, "NO_PROXY was ignored");
    assert_eq!(direct.connections(), 1, "{result}");
    let hello = direct.received();
    assert_eq!(hello[0].first(), Some(&0x16), "a TLS handshake record");
    assert!(
        result.starts_with("connection maybe_sent=false"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_base_url_ignores_https_proxy() {
    let proxy = RawListener::start(b"").await;
    let server = TestServer::always(Reply::Respond(Response::accepted("msg_direct"))).await;
    let result = run_child(
        "child_send_through_env_proxy",
        &[
            ("HTTPS_PROXY", format!("http://{}", proxy.addr)),
            ("HTTP_PROXY", format!("http://{}", proxy.addr)),
            ("ALL_PROXY", format!("http://{}", proxy.addr)),
            ("CHILD_BASE_URL", server.url()),
        ],
    )
    .await;

    assert_eq!(result, "ok msg_direct");
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn staging_endpoint_is_remote_https() {
    // The proxy rules apply only to base URLs like this one, which is not on loopback.
    let client = Client::builder()
        .api_key(KEY)
        .environment(Environment::Staging)
        .build()
        .expect("client");

    assert!(!client.config().is_loopback());
    assert_eq!(
        client.config().endpoint().as_str(),
        "https://apistage.clearline.me/MessageSender/sms"
    );
}
