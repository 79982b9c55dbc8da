//! Starting and stopping: ports, keys, many sandboxes in one process, and nothing left behind.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use clearline::SendRequest;
use clearline_sandbox::{Sandbox, SandboxConfig, SandboxError};
use futures_util::FutureExt;

#[tokio::test]
async fn start_reports_base_url_and_port() {
    let sandbox = common::start().await;

    assert_ne!(sandbox.port(), 0);
    assert_eq!(
        sandbox.base_url(),
        format!("http://127.0.0.1:{}", sandbox.port())
    );
    assert_eq!(sandbox.api_key(), common::API_KEY);
    sandbox.stop().await;
}

#[tokio::test]
async fn generated_key_is_accepted_and_fake() {
    let sandbox = common::start_with(SandboxConfig::default()).await;
    let key = sandbox.api_key().to_owned();

    assert!(key.starts_with("sandbox_key_"), "{key}");
    let client = common::client(&sandbox);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("the generated key works");
    assert!(!format!("{sandbox:?}").contains(&key));

    let other = common::start_with(SandboxConfig::default()).await;
    assert_ne!(other.api_key(), key, "each sandbox generates its own key");
    other.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn port_is_free_again_after_stop() {
    let sandbox = common::start().await;
    let port = sandbox.port();
    let client = common::client(&sandbox);
    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("send");

    sandbox.stop().await;

    // The client's pooled connection was closed by the stop, so it cannot reach the port.
    let err = client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect_err("nothing listens any more");
    assert_eq!(err.kind(), clearline::ErrorKind::Connection);

    let again = common::start_with(SandboxConfig {
        port,
        ..common::fast_config()
    })
    .await;
    assert_eq!(again.port(), port);
    again.stop().await;
}

#[tokio::test]
async fn taken_port_is_bind_error() {
    let sandbox = common::start().await;

    let err = Sandbox::start(SandboxConfig {
        port: sandbox.port(),
        ..common::fast_config()
    })
    .await
    .expect_err("the port is taken");

    assert!(matches!(err, SandboxError::Bind { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}", sandbox.port())),
        "{message}"
    );
    assert!(message.contains("pass port 0"), "{message}");
    sandbox.stop().await;
}

#[tokio::test]
async fn invalid_config_is_rejected() {
    let err = Sandbox::start(SandboxConfig {
        callback_max_attempts: 0,
        ..SandboxConfig::default()
    })
    .await
    .expect_err("zero attempts");

    assert!(matches!(err, SandboxError::InvalidConfig(_)), "{err:?}");
    assert!(err.to_string().contains("callback_max_attempts"), "{err}");
}

#[test]
fn start_outside_runtime_is_error() {
    let started = Sandbox::start(SandboxConfig::default()).now_or_never();

    match started {
        Some(Err(SandboxError::NoRuntime)) => {}
        other => panic!("expected NoRuntime, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sandboxes_run_at_once() {
    const SANDBOXES: usize = 24;
    let mut sandboxes = Vec::new();
    for _ in 0..SANDBOXES {
        sandboxes.push(common::start().await);
    }
    let receiver = common::Receiver::start().await;

    let mut sends = tokio::task::JoinSet::new();
    for sandbox in &sandboxes {
        let client = common::client(sandbox);
        let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
        sends.spawn(async move { client.send(&request).await });
    }
    while let Some(joined) = sends.join_next().await {
        joined.expect("task").expect("send");
    }

    let mut ports = std::collections::HashSet::new();
    for sandbox in &sandboxes {
        assert_eq!(
            sandbox.messages().len(),
            1,
            "each sandbox keeps its own records"
        );
        let outcomes = sandbox
            .wait_for_callbacks(1, Duration::from_secs(10))
            .await
            .expect("outcome");
        assert!(outcomes[0].delivered);
        ports.insert(sandbox.port());
    }
    assert_eq!(ports.len(), SANDBOXES);
    assert_eq!(receiver.received().len(), SANDBOXES);

    for sandbox in sandboxes {
        sandbox.stop().await;
    }
    receiver.stop().await;
}

#[tokio::test]
async fn stop_ends_pending_callbacks_promptly() {
    let sandbox = common::start_with(SandboxConfig {
        callback_delay: Duration::from_secs(30),
        ..common::fast_config()
    })
    .await;
    let receiver = common::Receiver::start().await;
    let client = common::client(&sandbox);
    for _ in 0..20 {
        let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
        client.send(&request).await.expect("send");
    }

    let started = Instant::now();
    sandbox.stop().await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(receiver.received().is_empty());
    receiver.stop().await;
}

#[tokio::test]
async fn stop_cuts_off_slow_requests() {
    let sandbox = common::start().await;
    sandbox.inject_fault(
        clearline_sandbox::Fault::Latency(Duration::from_secs(30)),
        1,
    );
    let client = common::client(&sandbox);
    let slow_send =
        tokio::spawn(async move { client.send(&SendRequest::new("+12025551234", "Hi")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    sandbox.stop().await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let sent = slow_send.await.expect("task");
    assert!(sent.is_err(), "the slow request was cut off");
}

#[test]
fn stop_leaves_no_task_behind() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    runtime.block_on(async {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();

        let receiver = common::Receiver::scripted(&[500]).await;
        let sandbox = common::start().await;
        {
            let client = common::client(&sandbox);
            for _ in 0..10 {
                let request =
                    SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
                client.send(&request).await.expect("send");
            }
            sandbox
                .wait_for_callbacks(10, Duration::from_secs(10))
                .await
                .expect("outcomes");
        }
        sandbox.stop().await;
        receiver.stop().await;

        // Connection tasks of dropped HTTP clients end on their next poll.
        let deadline = Instant::now() + Duration::from_secs(5);
        while metrics.num_alive_tasks() > before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(metrics.num_alive_tasks(), before);
    });
}

#[tokio::test]
async fn dropped_sandbox_frees_its_port() {
    let sandbox = common::start().await;
    let port = sandbox.port();

    drop(sandbox);

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let connected = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
        if connected.is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "port {port} still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn zero_max_message_chars_is_rejected() {
    let err = Sandbox::start(SandboxConfig {
        max_message_chars: 0,
        ..SandboxConfig::default()
    })
    .await
    .expect_err("a zero maximum");

    assert!(matches!(err, SandboxError::InvalidConfig(_)), "{err:?}");
    assert!(err.to_string().contains("max_message_chars"), "{err}");
}

/// Pins the behaviour documented on `Sandbox::start`: Tokio offers no way to detect a runtime
/// without the I/O driver, so binding panics there. If this starts failing, `start` can return
/// an error instead, and its documentation should say so.
#[test]
#[should_panic(expected = "IO is disabled")]
fn start_without_io_driver_panics() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime without the I/O driver");

    let _ = runtime.block_on(Sandbox::start(SandboxConfig::default()));
}
