//! The `clearline-sandbox` binary: its flags and the messages of its configuration errors.

#![cfg(feature = "cli")]
#![allow(clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_clearline-sandbox");
const API_KEY: &str = "test_key_not_real_0000";

/// A running `clearline-sandbox` process, killed when dropped.
struct Running {
    child: Child,
    base_url: String,
}

impl Running {
    /// Starts the binary with `args` and waits for the line with its base URL.
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(BINARY)
            .args(["--port", "0", "--api-key", API_KEY])
            .args(args)
            .env_remove("CLEARLINE_SANDBOX_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut running = Running {
            child,
            base_url: String::new(),
        };

        for line in BufReader::new(stdout).lines() {
            let line = line.expect("stdout is readable");
            if let Some(url) = line.strip_prefix("ClearLine sandbox listening on ") {
                running.base_url = url.trim().to_owned();
                return running;
            }
        }
        panic!("the binary exited without printing its base URL");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `args` until it exits, with no key in the environment.
fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env_remove("CLEARLINE_SANDBOX_API_KEY")
        .output()
        .expect("the binary runs")
}

async fn post_message(base_url: &str, message: &str) -> (u16, serde_json::Value) {
    let tls = clearline::tls::rustls_config().expect("the TLS configuration builds");
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .build()
        .expect("HTTP client");
    let response = client
        .post(format!("{base_url}/MessageSender/sms"))
        .header("ApiKey", API_KEY)
        .header("Content-Type", "application/json")
        .body(json!({"phone": "+12025551234", "message": message}).to_string())
        .send()
        .await
        .expect("the sandbox responds");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

#[tokio::test]
async fn max_message_chars_flag_raises_limit() {
    let sandbox = Running::start(&["--quiet", "--max-message-chars", "5000"]);

    let (status, json) = post_message(&sandbox.base_url, &"x".repeat(2000)).await;
    assert_eq!(status, 200, "{json}");
    let (status, json) = post_message(&sandbox.base_url, &"x".repeat(5001)).await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(json["field"], "message");
}

#[tokio::test]
async fn max_message_chars_defaults_to_cores() {
    let sandbox = Running::start(&["--quiet"]);

    let (status, json) = post_message(&sandbox.base_url, &"x".repeat(1600)).await;
    assert_eq!(status, 200, "{json}");
    let (status, json) = post_message(&sandbox.base_url, &"x".repeat(1601)).await;
    assert_eq!(status, 400, "{json}");
}

#[test]
fn zero_max_message_chars_names_the_flag() {
    let output = run(&["--max-message-chars", "0"]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--max-message-chars"), "{stderr}");
}

#[test]
fn empty_api_key_names_the_flag() {
    let output = run(&["--api-key", ""]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--api-key"), "{stderr}");
    assert!(!stderr.contains("CLEARLINE_API_KEY"), "{stderr}");
}

#[test]
fn invalid_env_api_key_names_the_variable() {
    let output = Command::new(BINARY)
        .env("CLEARLINE_SANDBOX_API_KEY", "has spaces SECRETPART")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CLEARLINE_SANDBOX_API_KEY"), "{stderr}");
    assert!(!stderr.contains("SECRETPART"), "{stderr}");
    assert!(!stderr.contains("CLEARLINE_API_KEY"), "{stderr}");
}

#[test]
fn zero_callback_attempts_names_the_flag() {
    let output = run(&["--callback-max-attempts", "0"]);

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--callback-max-attempts"), "{stderr}");
    assert!(!stderr.contains("callback_max_attempts"), "{stderr}");
}
