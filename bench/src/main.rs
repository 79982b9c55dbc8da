//! `clearline-bench`: throughput and latency of the ClearLine SDK against a running sandbox.
//!
//! `clearline-bench send` sends N SMS at concurrency C through the Rust core's
//! [`clearline::Client`] and prints messages per second and latency percentiles. It is the
//! Rust baseline that the Python and Node benchmarks are compared with, so it measures exactly
//! what a user's `client.send(...)` costs: validation, the HTTP exchange and the response
//! parsing, with no retries.
//!
//! `clearline-bench parse` times [`clearline::DeliveryReport::parse`] on a callback body, the
//! baseline of the bindings' `parse_callback`; with `--borrowed` it times
//! [`clearline::DeliveryReportRef::parse`], the parse the bindings call.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use clearline::{Client, DeliveryReport, DeliveryReportRef, SendRequest};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(
    name = "clearline-bench",
    version,
    about = "Benchmarks of the ClearLine SDK"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends SMS through the Rust client and reports throughput and latency.
    Send(SendArgs),
    /// Times the parsing of one delivery report body.
    Parse(ParseArgs),
}

#[derive(Debug, Args)]
struct SendArgs {
    /// Base URL of the sandbox (or any ClearLine-compatible server), such as
    /// http://127.0.0.1:8080.
    #[arg(long)]
    base_url: String,

    /// API key to send; by default read from CLEARLINE_API_KEY.
    #[arg(long, env = "CLEARLINE_API_KEY", hide_env_values = true)]
    api_key: String,

    /// Number of measured sends.
    #[arg(long, default_value_t = 20_000)]
    count: usize,

    /// Sends in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,

    /// Unmeasured sends made first, to open connections and warm caches; by default one per
    /// concurrent sender.
    #[arg(long)]
    warmup: Option<usize>,

    /// Recipient of every send.
    #[arg(long, default_value = "+12025551234")]
    phone: String,

    /// Text of every send.
    #[arg(long, default_value = "Your verification code is 042042")]
    message: String,

    /// Callback URL of every send; none by default, so the server delivers no reports.
    #[arg(long)]
    callback_url: Option<String>,

    /// Tokio worker threads; by default one per CPU core.
    #[arg(long)]
    threads: Option<usize>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ParseArgs {
    /// File with the callback body to parse, such as bench/callback-report.json.
    #[arg(long)]
    body_file: PathBuf,

    /// Parses per round.
    #[arg(long, default_value_t = 200_000)]
    iterations: u32,

    /// Timed rounds; the fastest one is reported, since noise on a shared machine only adds
    /// time.
    #[arg(long, default_value_t = 7)]
    rounds: u32,

    /// Time `DeliveryReportRef::parse`, which borrows the report's text from the body, instead
    /// of `DeliveryReport::parse`, which copies it.
    #[arg(long)]
    borrowed: bool,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The result of a `parse` run.
#[derive(Debug, Serialize)]
struct ParseSummary {
    mode: &'static str,
    body_bytes: usize,
    iterations: u32,
    rounds: u32,
    /// Nanoseconds per parse in the fastest round.
    ns_per_call: f64,
}

/// The result of a `send` run, printed as text or JSON.
#[derive(Debug, Serialize)]
struct SendSummary {
    mode: &'static str,
    count: usize,
    concurrency: usize,
    succeeded: usize,
    failed: usize,
    elapsed_s: f64,
    msgs_per_s: f64,
    latency_ms: Percentiles,
    /// Failed sends per error kind (`rate_limited`, `connection`, ...).
    errors: BTreeMap<&'static str, usize>,
    first_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

/// The measurements of one sender task.
#[derive(Default)]
struct SenderResult {
    latencies_us: Vec<u64>,
    errors: BTreeMap<&'static str, usize>,
    first_error: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Send(args) => main_send(&args),
        Command::Parse(args) => main_parse(&args),
    }
}

fn main_parse(args: &ParseArgs) -> ExitCode {
    match run_parse(args) {
        Ok(summary) => {
            print_parse_summary(&summary, args.json);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("clearline-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_parse(args: &ParseArgs) -> Result<ParseSummary, String> {
    if args.iterations == 0 || args.rounds == 0 {
        return Err("--iterations and --rounds must be at least 1".into());
    }
    let body = std::fs::read(&args.body_file)
        .map_err(|err| format!("failed to read {}: {err}", args.body_file.display()))?;
    // A body the parser rejects would time the error path, not a report.
    DeliveryReport::parse(&body).map_err(|err| {
        format!(
            "{} is not a valid delivery report: {err}",
            args.body_file.display()
        )
    })?;

    let mut fastest = Duration::MAX;
    for _ in 0..args.rounds {
        let started = Instant::now();
        if args.borrowed {
            for _ in 0..args.iterations {
                let _ = black_box(DeliveryReportRef::parse(black_box(&body)));
            }
        } else {
            for _ in 0..args.iterations {
                let _ = black_box(DeliveryReport::parse(black_box(&body)));
            }
        }
        fastest = fastest.min(started.elapsed());
    }

    Ok(ParseSummary {
        mode: if args.borrowed {
            "parse_borrowed"
        } else {
            "parse"
        },
        body_bytes: body.len(),
        iterations: args.iterations,
        rounds: args.rounds,
        ns_per_call: fastest.as_nanos() as f64 / f64::from(args.iterations),
    })
}

fn print_parse_summary(summary: &ParseSummary, json: bool) {
    if json {
        match serde_json::to_string(summary) {
            Ok(text) => println!("{text}"),
            Err(err) => eprintln!("clearline-bench: failed to write JSON: {err}"),
        }
        return;
    }
    println!(
        "parse: {} bytes, {:.0} ns per parse (fastest of {} rounds of {})",
        summary.body_bytes, summary.ns_per_call, summary.rounds, summary.iterations
    );
}

fn main_send(args: &SendArgs) -> ExitCode {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("clearline-bench: failed to start the Tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };

    match runtime.block_on(run_send(args)) {
        Ok(summary) => {
            print_summary(&summary, args.json);
            if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("clearline-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_send(args: &SendArgs) -> Result<SendSummary, String> {
    if args.count == 0 || args.concurrency == 0 {
        return Err("--count and --concurrency must be at least 1".into());
    }
    let client = Client::builder()
        .api_key(args.api_key.as_str())
        .base_url(args.base_url.as_str())
        .max_retries(0)
        .build()
        .map_err(|err| err.to_string())?;
    let mut request = SendRequest::new(args.phone.as_str(), args.message.as_str());
    request.set_callback_url(args.callback_url.clone());
    // A request the client rejects would measure nothing but validation.
    request
        .prepare(client.config().max_message_chars())
        .map_err(|err| err.to_string())?;
    let request = Arc::new(request);

    let warmup = args.warmup.unwrap_or(args.concurrency);
    if warmup > 0 {
        let warmed = send_all(&client, &request, warmup, args.concurrency).await;
        if let Some(err) = warmed.first_error {
            return Err(format!("a warm-up send failed: {err}"));
        }
    }

    let started = Instant::now();
    let result = send_all(&client, &request, args.count, args.concurrency).await;
    let elapsed = started.elapsed();

    Ok(summarize(args, result, elapsed))
}

/// Sends `count` requests from `concurrency` tasks and merges what they measured.
async fn send_all(
    client: &Client,
    request: &Arc<SendRequest>,
    count: usize,
    concurrency: usize,
) -> SenderResult {
    let next = Arc::new(AtomicUsize::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(count) {
        let client = client.clone();
        let request = Arc::clone(request);
        let next = Arc::clone(&next);
        senders.spawn(async move {
            let mut result = SenderResult::default();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let started = Instant::now();
                let sent = client.send(&request).await;
                result
                    .latencies_us
                    .push(started.elapsed().as_micros() as u64);
                if let Err(err) = sent {
                    *result.errors.entry(err.kind().name()).or_default() += 1;
                    result.first_error.get_or_insert_with(|| err.to_string());
                }
            }
            result
        });
    }

    let mut merged = SenderResult::default();
    while let Some(joined) = senders.join_next().await {
        let result = match joined {
            Ok(result) => result,
            Err(err) => {
                *merged.errors.entry("sender_task").or_default() += 1;
                merged
                    .first_error
                    .get_or_insert_with(|| format!("a sender task failed: {err}"));
                continue;
            }
        };
        merged.latencies_us.extend(result.latencies_us);
        for (kind, count) in result.errors {
            *merged.errors.entry(kind).or_default() += count;
        }
        if merged.first_error.is_none() {
            merged.first_error = result.first_error;
        }
    }
    merged
}

fn summarize(args: &SendArgs, mut result: SenderResult, elapsed: Duration) -> SendSummary {
    result.latencies_us.sort_unstable();
    let failed: usize = result.errors.values().sum();
    let elapsed_s = elapsed.as_secs_f64();
    SendSummary {
        mode: "send",
        count: args.count,
        concurrency: args.concurrency,
        succeeded: args.count.saturating_sub(failed),
        failed,
        elapsed_s,
        msgs_per_s: args.count as f64 / elapsed_s,
        latency_ms: Percentiles {
            p50: percentile_ms(&result.latencies_us, 50.0),
            p90: percentile_ms(&result.latencies_us, 90.0),
            p99: percentile_ms(&result.latencies_us, 99.0),
            max: percentile_ms(&result.latencies_us, 100.0),
        },
        errors: result.errors,
        first_error: result.first_error,
    }
}

/// Returns the nearest-rank percentile of sorted microsecond values, in milliseconds.
fn percentile_ms(sorted_us: &[u64], percent: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us[index] as f64 / 1000.0
}

fn print_summary(summary: &SendSummary, json: bool) {
    if json {
        match serde_json::to_string(summary) {
            Ok(text) => println!("{text}"),
            Err(err) => eprintln!("clearline-bench: failed to write JSON: {err}"),
        }
        return;
    }

    println!(
        "send: {} SMS at concurrency {} in {:.3} s, {} failed",
        summary.count, summary.concurrency, summary.elapsed_s, summary.failed
    );
    println!("  throughput  {:.0} msgs/s", summary.msgs_per_s);
    let latency = &summary.latency_ms;
    println!(
        "  latency     p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latency.p50, latency.p90, latency.p99, latency.max
    );
    for (kind, count) in &summary.errors {
        println!("  errors      {count} {kind}");
    }
    if let Some(error) = &summary.first_error {
        println!("  first error {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_nearest_rank() {
        let values: Vec<u64> = (1..=100).map(|v| v * 1000).collect();
        assert_eq!(percentile_ms(&values, 50.0), 50.0);
        assert_eq!(percentile_ms(&values, 99.0), 99.0);
        assert_eq!(percentile_ms(&values, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
