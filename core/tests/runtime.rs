//! One client shared by OS threads that each run their own Tokio runtime, as an application with
//! several runtimes (or a runtime per thread) would share it.
// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;

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

    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("building a thread's runtime failed");
                runtime.block_on(async {
                    let mut ids = Vec::new();
                    for index in 0..25 {
                        let request =
                            SendRequest::new("+12025551234", format!("thread {thread} #{index}"));
                        let receipt = client.send(&request).await.expect("the send succeeds");
                        ids.push(receipt.message_id().to_owned());
                    }
                    ids
                })
            })
        })
        .collect();
    let ids: Vec<String> = threads
        .into_iter()
        .flat_map(|thread| thread.join().expect("a sending thread panicked"))
        .collect();

    assert_eq!(ids.len(), 100);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100);
    assert_eq!(server.posts(), 100);
    drop(server);
}
