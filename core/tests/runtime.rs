//! One client shared by OS threads that each run their own Tokio runtime, as an application with
//! several runtimes (or a runtime per thread) would share it.
//!
//! NOTE: every runtime stays alive until all threads are done. A connection pooled while a
//! runtime that has since shut down was sending fails the next send that takes it from the pool
//! (hyper's "runtime dropped the dispatch task"), and the core reports that as a `Connection`
//! error with `maybe_sent`, although nothing was sent.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use clearline::SendRequest;

use support::client;
use support::server::{Reply, Response, TestServer};

#[test]
fn client_shared_across_threads_and_runtimes() {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("building the server's runtime failed");
    let server = server_runtime.block_on(TestServer::start(|_, index| {
        Reply::Respond(Response::accepted(&format!("msg_{index}")))
    }));
    let client = Arc::new(client(&server.url()));
    let all_done = Arc::new(Barrier::new(4));

    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let client = Arc::clone(&client);
            let all_done = Arc::clone(&all_done);
            std::thread::spawn(move || {
                // A multi-threaded runtime keeps serving the connections it pooled while this
                // thread waits for the others. A current-thread one would not, so a send from
                // another thread that took such a connection would never finish.
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("building a thread's runtime failed");
                let ids = runtime.block_on(async {
                    let mut ids = Vec::new();
                    for index in 0..25 {
                        let request =
                            SendRequest::new("+12025551234", format!("thread {thread} #{index}"));
                        let receipt = client.send(&request).await?;
                        ids.push(receipt.message_id().to_owned());
                    }
                    Ok::<_, clearline::Error>(ids)
                });
                // Reached on failure too, so that no thread waits for one that gave up.
                all_done.wait();
                ids
            })
        })
        .collect();
    let ids: Vec<String> = threads
        .into_iter()
        .flat_map(|thread| {
            thread
                .join()
                .expect("a sending thread panicked")
                .unwrap_or_else(|err| panic!("a send failed: {err:?}"))
        })
        .collect();

    assert_eq!(ids.len(), 100);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100);
    assert_eq!(server.posts(), 100);
    drop(server);
}
