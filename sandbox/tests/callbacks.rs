//! Delivery reports: the body, the outcome rules on phone numbers, retries with backoff, and
//! many reports at once.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use clearline::{DeliveryReport, DeliveryStatus, SendRequest};
use clearline_sandbox::delivery::{
    self, DELIVERED_REASON, EXPIRED_NUMBER, FAILED_NUMBER, REJECTED_NUMBER,
};
use clearline_sandbox::{SandboxConfig, SandboxError};
use common::Receiver;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn report_body_is_the_cores_json() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    let receipt = client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let callback = &received[0];
    assert_eq!(callback.content_type.as_deref(), Some("application/json"));
    assert!(
        callback
            .user_agent
            .as_deref()
            .is_some_and(|agent| agent.starts_with("clearline-sandbox/")),
        "{:?}",
        callback.user_agent
    );

    let report = DeliveryReport::parse(&callback.body).expect("the core parses the report");
    assert_eq!(report.message_id, receipt.message_id());
    assert_eq!(report.status, DeliveryStatus::Delivered);
    assert_eq!(report.external_status.as_deref(), Some("Delivered"));
    assert_eq!(report.reason.as_deref(), Some(DELIVERED_REASON));
    assert_eq!(callback.body, report.to_json().as_bytes());

    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].report, report);
    assert!(outcomes[0].delivered);
    assert_eq!(outcomes[0].attempts, 1);
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn reserved_numbers_fail_with_their_status() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);
    let cases = [
        (FAILED_NUMBER, DeliveryStatus::DeliveredFailed, "Failed"),
        (EXPIRED_NUMBER, DeliveryStatus::DeliveredFailed, "Expired"),
        (REJECTED_NUMBER, DeliveryStatus::DeliveredFailed, "Rejected"),
        ("+447700900123", DeliveryStatus::Delivered, "Delivered"),
    ];

    let mut expected = HashMap::new();
    for (phone, status, external) in cases {
        let request = SendRequest::new(phone, "Hi").with_callback_url(receiver.url());
        let receipt = client.send(&request).await.expect("send");
        expected.insert(receipt.message_id().to_owned(), (phone, status, external));
    }
    sandbox.wait_for_callbacks(4, WAIT).await.expect("outcomes");

    for callback in receiver.received() {
        let report = DeliveryReport::parse(&callback.body).expect("report");
        let (phone, status, external) = &expected[&report.message_id];
        assert_eq!(&report.status, status, "{phone}");
        assert_eq!(
            report.external_status.as_deref(),
            Some(*external),
            "{phone}"
        );
        let reserved = delivery::RESERVED_NUMBERS
            .iter()
            .find(|number| number.phone == *phone);
        let reason = reserved.map_or(DELIVERED_REASON, |number| number.reason);
        assert_eq!(report.reason.as_deref(), Some(reason), "{phone}");
    }
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn formatted_reserved_number_still_fails() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+1 (202) 555-0103", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert_eq!(
        outcomes[0].report.external_status.as_deref(),
        Some("Rejected")
    );
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn receiver_failing_twice_then_200_gets_three_attempts() {
    let backoff = Duration::from_millis(50);
    let sandbox = common::start_with(SandboxConfig {
        callback_retry_backoff: backoff,
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::scripted(&[500, 503]).await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    let receipt = client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(outcomes[0].delivered);
    assert_eq!(outcomes[0].attempts, 3);

    let attempts = sandbox.callback_attempts();
    let statuses: Vec<_> = attempts.iter().map(|attempt| attempt.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    let numbers: Vec<_> = attempts.iter().map(|attempt| attempt.attempt).collect();
    assert_eq!(numbers, [1, 2, 3]);
    for attempt in &attempts {
        assert_eq!(attempt.message_id, receipt.message_id());
        assert_eq!(attempt.url, receiver.url());
    }
    let first_error = attempts[0].error.as_deref().unwrap_or_default();
    assert!(
        first_error.contains("500 Internal Server Error"),
        "{first_error}"
    );
    assert_eq!(attempts[2].error, None);

    // The receiver saw the same body three times, with doubling waits in between.
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received
        .iter()
        .all(|callback| callback.body == received[0].body));
    let first_wait = received[1].at - received[0].at;
    let second_wait = received[2].at - received[1].at;
    assert!(first_wait >= backoff, "{first_wait:?}");
    assert!(second_wait >= backoff * 2, "{second_wait:?}");
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn exhausted_attempts_record_failed_outcome() {
    let sandbox = common::start_with(SandboxConfig {
        callback_max_attempts: 4,
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::scripted(&[503, 503, 503, 503, 503]).await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(!outcomes[0].delivered);
    assert_eq!(outcomes[0].attempts, 4);
    assert_eq!(receiver.received().len(), 4);
    for attempt in sandbox.callback_attempts() {
        assert_eq!(attempt.status, Some(503));
        let error = attempt.error.unwrap_or_default();
        assert!(error.contains("only 200 OK counts"), "{error}");
    }
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn non_200_success_status_is_retried() {
    let sandbox = common::start().await;
    let receiver = Receiver::scripted(&[204]).await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert_eq!(outcomes[0].attempts, 2);
    let statuses: Vec<_> = sandbox
        .callback_attempts()
        .iter()
        .map(|attempt| attempt.status)
        .collect();
    assert_eq!(statuses, [Some(204), Some(200)]);
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn refused_connection_is_recorded_per_attempt() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);
    let url = format!("http://127.0.0.1:{}/hook", common::closed_port());

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(url.as_str());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(!outcomes[0].delivered);
    let attempts = sandbox.callback_attempts();
    assert_eq!(attempts.len(), 3);
    for attempt in attempts {
        assert_eq!(attempt.status, None);
        let error = attempt.error.unwrap_or_default();
        assert!(error.starts_with("could not connect"), "{error}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn slow_receiver_times_out() {
    let sandbox = common::start_with(SandboxConfig {
        callback_timeout: Duration::from_millis(100),
        callback_max_attempts: 1,
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.set_delay(Duration::from_secs(2));
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(!outcomes[0].delivered);
    let attempt = &sandbox.callback_attempts()[0];
    let error = attempt.error.as_deref().unwrap_or_default();
    assert!(error.starts_with("timed out after 100ms"), "{error}");
    assert!(attempt.latency >= Duration::from_millis(100));
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn concurrent_callbacks_are_all_delivered_once() {
    const MESSAGES: usize = 300;
    let sandbox = common::start_with(SandboxConfig {
        max_concurrent_callbacks: 16,
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let mut sends = tokio::task::JoinSet::new();
    for index in 0..MESSAGES {
        let client = client.clone();
        let request = SendRequest::new("+12025551234", format!("message {index}"))
            .with_callback_url(receiver.url());
        sends.spawn(async move { client.send(&request).await });
    }
    let mut sent = HashSet::new();
    while let Some(joined) = sends.join_next().await {
        let receipt = joined.expect("task").expect("send");
        sent.insert(receipt.message_id().to_owned());
    }

    let outcomes = sandbox
        .wait_for_callbacks(MESSAGES, WAIT)
        .await
        .expect("outcomes");
    assert_eq!(outcomes.len(), MESSAGES);
    assert!(outcomes
        .iter()
        .all(|outcome| outcome.delivered && outcome.attempts == 1));

    let delivered: Vec<_> = receiver
        .received()
        .iter()
        .map(|callback| {
            DeliveryReport::parse(&callback.body)
                .expect("report")
                .message_id
        })
        .collect();
    let unique: HashSet<_> = delivered.iter().cloned().collect();
    assert_eq!(delivered.len(), MESSAGES, "each report is POSTed once");
    assert_eq!(unique, sent);
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn callback_waits_for_the_configured_delay() {
    let delay = Duration::from_millis(200);
    let sandbox = common::start_with(SandboxConfig {
        callback_delay: delay,
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let sent_at = Instant::now();
    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    let received = receiver.received();
    assert!(received[0].at - sent_at >= delay);
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn message_without_callback_url_gets_no_report() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);

    client
        .send(&SendRequest::new("+12025551234", "Hi"))
        .await
        .expect("send");
    let err = sandbox
        .wait_for_callbacks(1, Duration::from_millis(200))
        .await
        .expect_err("no report can arrive");

    let message = err.to_string();
    assert!(
        message.contains("Only 0 accepted message(s) had a callback URL"),
        "{message}"
    );
    assert!(sandbox.callback_attempts().is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn wait_timeout_lists_what_arrived() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    let receipt = client.send(&request).await.expect("send");
    sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    let err = sandbox
        .wait_for_callbacks(2, Duration::from_millis(100))
        .await
        .expect_err("only one report exists");
    match &err {
        SandboxError::Timeout {
            expected, arrived, ..
        } => {
            assert_eq!(*expected, 2);
            assert_eq!(arrived.len(), 1);
            assert_eq!(arrived[0].message_id, receipt.message_id());
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(receipt.message_id()), "{message}");
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn remote_callback_url_is_not_contacted() {
    let sandbox = common::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi")
        .with_callback_url("https://app.example.com/webhooks/sms");
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(!outcomes[0].delivered);
    assert_eq!(outcomes[0].attempts, 1);
    let attempt = &sandbox.callback_attempts()[0];
    assert_eq!(attempt.status, None);
    assert_eq!(attempt.latency, Duration::ZERO);
    let error = attempt.error.as_deref().unwrap_or_default();
    assert!(error.contains("not a loopback host"), "{error}");
    sandbox.stop().await;
}

#[tokio::test]
async fn reset_clears_history_and_pending_reports() {
    let sandbox = common::start_with(SandboxConfig {
        callback_delay: Duration::from_millis(300),
        ..common::fast_config()
    })
    .await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(receiver.url());
    client.send(&request).await.expect("send");
    assert_eq!(sandbox.messages().len(), 1);
    sandbox.reset();

    assert!(sandbox.messages().is_empty());
    assert!(sandbox.requests().is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.received().is_empty(),
        "the pending report was cancelled"
    );
    assert!(sandbox.callback_attempts().is_empty());
    assert!(sandbox.callback_outcomes().is_empty());

    // Reports of messages sent after the reset are delivered as usual.
    let receipt = client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");
    assert_eq!(outcomes[0].message_id, receipt.message_id());
    receiver.stop().await;
    sandbox.stop().await;
}

#[tokio::test]
async fn localhost_callback_url_is_delivered() {
    let sandbox = common::start().await;
    let receiver = Receiver::start().await;
    let client = common::client(&sandbox);
    let url = receiver.url().replace("127.0.0.1", "localhost");

    let request = SendRequest::new("+12025551234", "Hi").with_callback_url(url.as_str());
    client.send(&request).await.expect("send");
    let outcomes = sandbox.wait_for_callbacks(1, WAIT).await.expect("outcome");

    assert!(outcomes[0].delivered, "{:?}", sandbox.callback_attempts());
    assert_eq!(receiver.received().len(), 1);
    receiver.stop().await;
    sandbox.stop().await;
}
