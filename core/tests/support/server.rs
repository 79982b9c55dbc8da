//! A scriptable HTTP/1.1 server on 127.0.0.1 that records every request it reads.
//!
//! It is written on raw Tokio sockets rather than on a server framework because the tests need
//! replies no well-behaved server sends: a connection closed after the request was read, a reset
//! in the middle of a response, headers followed by a body that never comes.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the last byte of the request was read.
    pub received_at: Instant,
}

impl Recorded {
    /// Returns the first header named `name`, ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the body parsed as JSON, or `Value::Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sends the body with `Transfer-Encoding: chunked` in chunks of this many bytes, instead of
    /// with a `Content-Length`.
    pub chunk_size: Option<usize>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            chunk_size: None,
        }
    }

    /// A response with a JSON body and its `Content-Type`.
    pub fn json(status: u16, body: &str) -> Response {
        Response::new(status)
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// ClearLine's success body with `message_id`.
    pub fn accepted(message_id: &str) -> Response {
        let body = serde_json::json!({"succeed": true, "messageId": message_id});
        Response::json(200, &body.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    pub fn chunked(mut self, chunk_size: usize) -> Response {
        self.chunk_size = Some(chunk_size.max(1));
        self
    }

    /// Compresses the body with gzip and sets `Content-Encoding`.
    pub fn gzip(mut self) -> Response {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let compressed = encoder
            .write_all(&self.body)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        self.body = compressed;
        self.header("Content-Encoding", "gzip")
    }

    /// The status line and the headers, ending with the blank line.
    pub fn head_bytes(&self) -> Vec<u8> {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Unknown");
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let bodyless = matches!(self.status, 100..=199 | 204 | 304);
        if !bodyless {
            match self.chunk_size {
                Some(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
                None => head.push_str(&format!("Content-Length: {}\r\n", self.body.len())),
            }
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The whole response as sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.head_bytes();
        if matches!(self.status, 100..=199 | 204 | 304) {
            return bytes;
        }
        match self.chunk_size {
            Some(size) => {
                for chunk in self.body.chunks(size) {
                    bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    bytes.extend_from_slice(chunk);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
            }
            None => bytes.extend_from_slice(&self.body),
        }
        bytes
    }
}

/// What the server does with a request it has read.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Sends the response and keeps the connection open for the next request.
    Respond(Response),
    /// Waits, then does the inner reply.
    Delay(Duration, Box<Reply>),
    /// Closes the connection without answering (a FIN).
    Close,
    /// Writes these bytes, then resets the connection (an RST).
    WriteThenReset(Vec<u8>),
    /// Writes these bytes, then holds the connection open without writing anything more.
    WriteThenStall(Vec<u8>),
    /// Never answers, and holds the connection open until the server is dropped.
    Stall,
    /// Sends the response, then closes the connection without a `Connection: close` header,
    /// as a server does when a keep-alive connection idles out.
    RespondThenClose(Response),
}

impl Reply {
    pub fn delayed(delay: Duration, reply: Reply) -> Reply {
        Reply::Delay(delay, Box::new(reply))
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running test server; dropping it stops it and every connection it holds.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
}

impl TestServer {
    /// Starts a server that answers request number `index` (0-based, over all connections)
    /// with `handler(&request, index)`.
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|err| panic!("binding a test server on 127.0.0.1 failed: {err}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|err| panic!("reading the test server's address failed: {err}"));
        let state = Arc::new(State::default());
        let handler: Arc<Handler> = Arc::new(handler);

        let accept_state = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accept_state.connections.fetch_add(1, Ordering::SeqCst);
                let connection_state = Arc::clone(&accept_state);
                let handler = Arc::clone(&handler);
                let task = tokio::spawn(serve_connection(stream, connection_state, handler));
                lock(&accept_state.tasks).push(task);
            }
        });
        lock(&state.tasks).push(accept);
        TestServer { addr, state }
    }

    /// Starts a server that gives every request the same reply.
    pub async fn always(reply: Reply) -> TestServer {
        TestServer::start(move |_, _| reply.clone()).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request read so far, in the order they were read.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// How many POST requests the server read.
    pub fn posts(&self) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|request| request.method == "POST")
            .count()
    }

    /// How many POST requests the server read for `path`.
    pub fn posts_to(&self, path: &str) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|request| request.method == "POST" && request.path == path)
            .count()
    }

    /// How many TCP connections the server accepted.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// The largest number of requests the server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for task in lock(&self.state.tasks).drain(..) {
            task.abort();
        }
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<State>, handler: Arc<Handler>) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let index = {
            let mut requests = lock(&state.requests);
            requests.push(request.clone());
            requests.len() - 1
        };
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);

        let mut reply = handler(&request, index);
        let keep_open = loop {
            match reply {
                Reply::Delay(delay, inner) => {
                    tokio::time::sleep(delay).await;
                    reply = *inner;
                }
                Reply::Respond(response) => {
                    break stream.write_all(&response.to_bytes()).await.is_ok();
                }
                Reply::Close => break false,
                Reply::RespondThenClose(response) => {
                    let _ = stream.write_all(&response.to_bytes()).await;
                    let _ = stream.flush().await;
                    break false;
                }
                Reply::WriteThenReset(bytes) => {
                    let _ = stream.write_all(&bytes).await;
                    let _ = stream.flush().await;
                    // A zero linger turns the close into an RST.
                    let _ = stream.set_zero_linger();
                    break false;
                }
                Reply::WriteThenStall(bytes) => {
                    let _ = stream.write_all(&bytes).await;
                    let _ = stream.flush().await;
                    state.in_flight.fetch_sub(1, Ordering::SeqCst);
                    return std::future::pending::<()>().await;
                }
                Reply::Stall => {
                    state.in_flight.fetch_sub(1, Ordering::SeqCst);
                    return std::future::pending::<()>().await;
                }
            }
        };
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !keep_open {
            return;
        }
    }
}

/// Reads one request with a `Content-Length` body. Returns `None` at end of stream or on a
/// request the server cannot parse.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Recorded> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(buffer) {
            let method = parsed.method.unwrap_or_default().to_owned();
            let path = parsed.path.unwrap_or_default().to_owned();
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|header| {
                    let value = String::from_utf8_lossy(header.value).into_owned();
                    (header.name.to_owned(), value)
                })
                .collect();
            let body_len = headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buffer.len() < head_len + body_len {
                if !read_more(stream, buffer).await {
                    return None;
                }
            }
            let body = buffer[head_len..head_len + body_len].to_vec();
            buffer.drain(..head_len + body_len);
            return Some(Recorded {
                method,
                path,
                headers,
                body,
                received_at: Instant::now(),
            });
        }
        if !read_more(stream, buffer).await {
            return None;
        }
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(read) => {
            buffer.extend_from_slice(&chunk[..read]);
            true
        }
    }
}
