//! Listeners on 127.0.0.1 that fail below HTTP: a closed port, a full accept queue, a server that
//! is not TLS, and a CONNECT proxy that records what it was asked and hangs up.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;

/// Returns an address on 127.0.0.1 where nothing listens, so connecting is refused.
///
/// The port comes from a listener that is closed again; another process could take it in
/// between, which on a test machine is unlikely enough.
pub async fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0 failed");
    listener
        .local_addr()
        .expect("reading the local address failed")
}

/// A listening socket whose accept queue is full, so a new connection attempt hangs in the
/// TCP handshake until the client gives up: the way to produce a connect timeout on loopback.
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<std::net::TcpStream>,
}

impl FullBacklog {
    /// Creates the listener with a backlog of 0 and fills its queue. Returns `None` when the
    /// kernel keeps accepting handshakes (it should not on Linux, which drops SYNs to a full
    /// queue).
    pub fn start() -> Option<FullBacklog> {
        let socket = TcpSocket::new_v4().ok()?;
        socket.bind("127.0.0.1:0".parse().ok()?).ok()?;
        let listener = socket.listen(0).ok()?;
        let addr = listener.local_addr().ok()?;

        let mut queued = Vec::new();
        for _ in 0..16 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(err) if err.kind() == std::io::ErrorKind::TimedOut => {
                    return Some(FullBacklog {
                        addr,
                        _listener: listener,
                        _queued: queued,
                    });
                }
                Err(_) => return None,
            }
        }
        None
    }
}

/// A listener that accepts connections, counts them, reads what the client sends, and then
/// answers with `reply` (possibly nothing) and closes.
pub struct RawListener {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    task: JoinHandle<()>,
}

impl RawListener {
    pub async fn start(reply: &'static [u8]) -> RawListener {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 failed");
        let addr = listener
            .local_addr()
            .expect("reading the local address failed");
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));

        let counter = Arc::clone(&connections);
        let store = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 4096];
                    let read =
                        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buffer))
                            .await;
                    if let Ok(Ok(read)) = read {
                        buffer.truncate(read);
                        if let Ok(mut store) = store.lock() {
                            store.push(buffer);
                        }
                    }
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        RawListener {
            addr,
            connections,
            received,
            task,
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The first bytes read on each connection.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for RawListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request head (request line and headers) a proxy received, as text.
pub fn heads(listener: &RawListener) -> Vec<String> {
    listener
        .received()
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .collect()
}
