//! The `/sandbox/*` endpoints: the recorded data over HTTP, fault injection and reset, for
//! tests and tools that run the standalone binary.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde::Serialize;

use crate::fault::FaultRequest;
use crate::routes::{error_response, json_response};
use crate::state::Shared;

/// `GET /sandbox/messages`: the accepted messages, oldest first.
pub(crate) async fn messages(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.messages())
}

/// `GET /sandbox/callbacks`: every callback POST, in the order they were made.
pub(crate) async fn callback_attempts(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.attempts())
}

/// `GET /sandbox/outcomes`: the final result of each delivery report, in the order they were
/// decided.
pub(crate) async fn callback_outcomes(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.outcomes())
}

/// `GET /sandbox/requests`: the most recent requests to the send endpoint, secrets redacted.
pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.requests())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingFaults {
    /// The number of sends that will still get a fault.
    pending: u64,
}

/// `GET /sandbox/faults`: how many sends will still get a fault.
pub(crate) async fn pending_faults(State(shared): State<Arc<Shared>>) -> Response {
    let pending = shared.faults.remaining();
    json_response(StatusCode::OK, &PendingFaults { pending })
}

/// `POST /sandbox/faults`: injects a fault, for example
/// `{"kind": "status", "status": 429, "retryAfter": "2", "times": 3}`.
pub(crate) async fn inject_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<FaultRequest>(&body)
        .map_err(|err| format!("invalid fault ({err})"))
        .and_then(FaultRequest::into_fault);
    match parsed {
        Ok((fault, times)) => {
            tracing::info!(target: "clearline_sandbox", kind = fault.kind(), times, "fault injected over HTTP");
            shared.faults.push(fault, times);
            let pending = shared.faults.remaining();
            json_response(StatusCode::OK, &PendingFaults { pending })
        }
        Err(message) => {
            let message = format!(
                "{message}; send an object such as {{\"kind\": \"status\", \"status\": 503, \
                 \"times\": 1}}"
            );
            error_response(StatusCode::BAD_REQUEST, "invalid_fault", None, &message)
        }
    }
}

/// `DELETE /sandbox/faults`: drops every injected fault.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.clear();
    json_response(StatusCode::OK, &PendingFaults { pending: 0 })
}

/// `POST /sandbox/reset`: clears messages, callback attempts, outcomes, requests and faults.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    tracing::info!(target: "clearline_sandbox", "sandbox reset over HTTP");
    StatusCode::NO_CONTENT
}
