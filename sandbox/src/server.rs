//! The HTTP/1.1 server: the listening socket, the accept loop and one task per connection.
//!
//! The sandbox runs its own accept loop on hyper instead of `axum::serve` for two reasons:
//! a connection task can drop its connection without responding (the
//! [`crate::Fault::CloseConnection`] fault), and `stop` can end every connection within a
//! bounded time.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::error::SandboxError;

/// Pending connections the kernel queues before the accept loop takes them.
const LISTEN_BACKLOG: u32 = 1024;

/// Time a request in progress gets to finish once the sandbox stops.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Pause after an accept error such as "too many open files", so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Lets a request handler close its connection without responding.
#[derive(Clone)]
pub(crate) struct ConnectionControl {
    close: CancellationToken,
}

impl ConnectionControl {
    /// Makes the connection task drop the connection; the client sees it closed before any
    /// response.
    pub(crate) fn close(&self) {
        self.close.cancel();
    }
}

/// Binds `127.0.0.1:port` with `SO_REUSEADDR`, so a stopped sandbox's port can be bound again
/// at once even while its closed connections linger in TIME_WAIT.
pub(crate) fn bind(port: u16) -> Result<TcpListener, SandboxError> {
    let bind_error = |source| SandboxError::Bind { port, source };
    let socket = TcpSocket::new_v4().map_err(bind_error)?;
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .map_err(bind_error)?;
    socket.listen(LISTEN_BACKLOG).map_err(bind_error)
}

/// Accepts connections until `shutdown` is cancelled, then drops the listener, which frees
/// the port.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!(
                    target: "clearline_sandbox",
                    error = %err,
                    "failed to accept a connection; retrying"
                );
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        // Small JSON responses go out at once instead of waiting for Nagle's algorithm.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(target: "clearline_sandbox", error = %err, "failed to set TCP_NODELAY");
        }
        tasks.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    shutdown: CancellationToken,
) {
    let control = ConnectionControl {
        close: CancellationToken::new(),
    };
    let close = control.close.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(control.clone());
        router.clone().oneshot(request)
    });

    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);

    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(target: "clearline_sandbox", error = %err, "connection ended with an error");
            }
        }
        // Returning drops the connection, which closes the socket without a response.
        () = close.cancelled() => {}
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            if tokio::time::timeout(STOP_GRACE, connection).await.is_err() {
                tracing::debug!(target: "clearline_sandbox", "closed a connection whose request did not finish in time");
            }
        }
    }
}
