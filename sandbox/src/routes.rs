//! The sandbox's HTTP routes and the JSON body of every error response.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use serde::Serialize;

use crate::inspect;
use crate::send;
use crate::state::Shared;

/// Path of ClearLine's send endpoint.
pub const SEND_PATH: &str = "/MessageSender/sms";

/// Builds the router: the ClearLine API and the sandbox's own `/sandbox/*` endpoints.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(SEND_PATH, any(send::send))
        .route("/sandbox/messages", get(inspect::messages))
        .route("/sandbox/callbacks", get(inspect::callback_attempts))
        .route("/sandbox/outcomes", get(inspect::callback_outcomes))
        .route("/sandbox/requests", get(inspect::requests))
        .route(
            "/sandbox/faults",
            get(inspect::pending_faults)
                .post(inspect::inject_fault)
                .delete(inspect::clear_faults),
        )
        .route("/sandbox/reset", post(inspect::reset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

/// The body of every error response: `{"succeed": false, "error": CODE, "field": ..., "message": ...}`.
///
/// `succeed` mirrors the success body, `error` is a stable code, `field` names the request
/// field at fault (or is `null`), and `message` states what failed and what to do next.
#[derive(Serialize)]
struct ErrorBody<'a> {
    succeed: bool,
    error: &'a str,
    field: Option<&'a str>,
    message: &'a str,
}

/// Builds a JSON error response.
pub(crate) fn error_response(
    status: StatusCode,
    code: &str,
    field: Option<&str>,
    message: &str,
) -> Response {
    let body = ErrorBody {
        succeed: false,
        error: code,
        field,
        message,
    };
    json_response(status, &body)
}

/// Serializes `value` as the JSON body of a response with `status`.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(target: "clearline_sandbox", error = %err, "failed to serialize a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Builds the 405 response for `path`, with the `Allow` header listing `allowed`.
pub(crate) fn method_not_allowed_response(method: &str, path: &str, allowed: &str) -> Response {
    let message = format!("{path} does not accept {method}; use {allowed}");
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
        &message,
    );
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

async fn not_found(request: Request) -> Response {
    let message = format!(
        "no route for {} {}; the sandbox serves POST {SEND_PATH} and the GET /sandbox/... \
         inspection endpoints listed in its README",
        request.method(),
        request.uri().path()
    );
    error_response(StatusCode::NOT_FOUND, "not_found", None, &message)
}

/// Responds to a known `/sandbox/...` path requested with a method it does not serve. Axum adds
/// the `Allow` header.
async fn method_not_allowed(request: Request) -> Response {
    let message = format!(
        "{} does not accept {}; see the Allow header",
        request.uri().path(),
        request.method()
    );
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
        &message,
    )
}
