//! `clearline-soak`: N sends through the Rust client against a running sandbox, sampling the
//! process's RSS and open file descriptors, to show whether they stay flat.
//!
//! Usage: `clearline-soak BASE_URL API_KEY SENDS SAMPLE_EVERY`. It sends through one
//! [`clearline::Client`] with 16 sends in flight and prints one JSON line per sample:
//! `{"language", "sends", "rss_kib", "fds", "elapsed_s"}`. Linux only (reads `/proc/self`).
//! `bench/soak/run.sh` starts the sandbox and runs it.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clearline::{Client, SendRequest};

const CONCURRENCY: usize = 16;

/// Returns the resident set size in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn sample(sends: usize, started: Instant) {
    let line = serde_json::json!({
        "language": "rust",
        "sends": sends,
        "rss_kib": rss_kib(),
        "fds": open_fds(),
        "elapsed_s": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    });
    println!("{line}");
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, api_key, sends, sample_every] = arguments.as_slice() else {
        eprintln!("usage: clearline-soak BASE_URL API_KEY SENDS SAMPLE_EVERY");
        return ExitCode::from(2);
    };
    let (Ok(sends), Ok(sample_every @ 1..)) =
        (sends.parse::<usize>(), sample_every.parse::<usize>())
    else {
        eprintln!("SENDS must be a whole number and SAMPLE_EVERY a whole number above 0");
        return ExitCode::from(2);
    };
    let client = match Client::builder()
        .api_key(api_key.as_str())
        .base_url(base_url.as_str())
        .max_retries(0)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("failed to start a Tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };

    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    sample(0, started);
    runtime.block_on(async {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|index| {
                let share = sends / CONCURRENCY + usize::from(index < sends % CONCURRENCY);
                let client = client.clone();
                let done = Arc::clone(&done);
                let failures = Arc::clone(&failures);
                tokio::spawn(async move {
                    let request = SendRequest::new("+12025551234", "Soak test message");
                    for _ in 0..share {
                        if client.send(&request).await.is_err() {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if now % sample_every == 0 {
                            sample(now, started);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.await;
        }
    });
    let failures = failures.load(Ordering::Relaxed);
    if failures > 0 {
        println!(
            "{}",
            serde_json::json!({"language": "rust", "failures": failures})
        );
    }
    ExitCode::SUCCESS
}
