//! Bulk sending: many SMS at a bounded concurrency, with results in input order.
//!
//! A batch never fails fast: each request gets its own receipt or error. A 429 with a
//! `Retry-After` pauses the whole batch, not only the send that saw it, because every other
//! in-flight send would hit the same limit. The no-double-send rules of [`Client::send`] apply
//! to each message.
//!
//! ```no_run
//! use clearline::{BulkOptions, Client, SendRequest};
//!
//! # async fn run(client: Client) {
//! let requests = vec![
//!     SendRequest::new("+12025550101", "Doors open at 9:00"),
//!     SendRequest::new("not a number", "Doors open at 9:00"),
//! ];
//! let results = client.send_many(requests, &BulkOptions::new()).await;
//! assert!(results[1].is_err()); // rejected by validation, without I/O
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::{SendOptions, SendReceipt, SendRequest};

/// Default number of sends in flight at once in [`Client::send_many`].
///
/// ```
/// use clearline::{bulk::DEFAULT_CONCURRENCY, BulkOptions};
///
/// assert_eq!(BulkOptions::new().get_concurrency(), DEFAULT_CONCURRENCY);
/// ```
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Shortest interval between two progress calls, except the final one.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// A progress callback: `(done, total)`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use clearline::Progress;
///
/// let done = Arc::new(AtomicUsize::new(0));
/// let seen = Arc::clone(&done);
/// let progress: Progress = Arc::new(move |finished, _total| seen.store(finished, Ordering::Relaxed));
/// progress(3, 10);
/// assert_eq!(done.load(Ordering::Relaxed), 3);
/// ```
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// Options of [`Client::send_many`].
///
/// ```
/// use std::sync::Arc;
/// use clearline::BulkOptions;
///
/// let options = BulkOptions::new()
///     .concurrency(64)
///     .on_progress(Arc::new(|done, total| eprintln!("{done}/{total}")));
/// assert_eq!(options.get_concurrency(), 64);
/// ```
#[derive(Clone)]
pub struct BulkOptions {
    concurrency: usize,
    send: SendOptions,
    on_progress: Option<Progress>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            concurrency: DEFAULT_CONCURRENCY,
            send: SendOptions::default(),
            on_progress: None,
        }
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("send", &self.send)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl BulkOptions {
    /// Creates options with a concurrency of 16 and the client's send defaults.
    ///
    /// ```
    /// assert_eq!(clearline::BulkOptions::new().get_concurrency(), 16);
    /// ```
    pub fn new() -> Self {
        BulkOptions::default()
    }

    /// Sets how many sends are in flight at once (at least 1; 0 is treated as 1).
    ///
    /// ```
    /// use clearline::BulkOptions;
    ///
    /// assert_eq!(BulkOptions::new().concurrency(4).get_concurrency(), 4);
    /// assert_eq!(BulkOptions::new().concurrency(0).get_concurrency(), 1);
    /// ```
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets the options each send uses (timeout, retries).
    ///
    /// ```
    /// use std::time::Duration;
    /// use clearline::{BulkOptions, SendOptions};
    ///
    /// let options = BulkOptions::new()
    ///     .send_options(SendOptions::new().timeout(Duration::from_secs(10)).max_retries(1));
    /// ```
    pub fn send_options(mut self, options: SendOptions) -> Self {
        self.send = options;
        self
    }

    /// Sets a callback that receives `(done, total)` at most every 50 ms and once at the end.
    /// It runs on the runtime's threads, so it must return quickly.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use clearline::BulkOptions;
    ///
    /// let options = BulkOptions::new().on_progress(Arc::new(|done, total| {
    ///     eprintln!("sent {done} of {total}");
    /// }));
    /// ```
    pub fn on_progress(mut self, callback: Progress) -> Self {
        self.on_progress = Some(callback);
        self
    }

    /// The number of sends in flight at once.
    ///
    /// ```
    /// assert_eq!(clearline::BulkOptions::new().concurrency(8).get_concurrency(), 8);
    /// ```
    pub fn get_concurrency(&self) -> usize {
        self.concurrency
    }
}

/// A point in time before which no send of a batch starts, moved forward by 429 answers.
#[derive(Default)]
pub(crate) struct PauseGate {
    until: Mutex<Option<Instant>>,
}

impl PauseGate {
    /// Waits until the gate is open.
    pub(crate) async fn wait(&self) {
        loop {
            let until = *self.until.lock().await;
            match until {
                Some(until) if until > Instant::now() => {
                    tokio::time::sleep_until(until.into()).await
                }
                _ => return,
            }
        }
    }

    /// Closes the gate for `delay` from now, unless it is already closed for longer.
    pub(crate) async fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut current = self.until.lock().await;
        if current.is_none_or(|current| current < until) {
            *current = Some(until);
        }
    }
}

/// The progress of one send of a batch, from which the batch builds the send's error when it
/// stops before the send finished.
#[derive(Default)]
pub(crate) struct SendTrace {
    attempts: AtomicU32,
    maybe_sent: AtomicBool,
}

impl SendTrace {
    /// Records that attempt number `attempt` is about to send its request.
    pub(crate) fn attempt_started(&self, attempt: u32) {
        self.attempts.store(attempt, Ordering::Relaxed);
        self.maybe_sent.store(true, Ordering::Relaxed);
    }

    /// Records that the last attempt failed, and whether its request may have reached ClearLine.
    pub(crate) fn attempt_failed(&self, maybe_sent: bool) {
        self.maybe_sent.store(maybe_sent, Ordering::Relaxed);
    }

    /// Builds the error of a send stopped in this state.
    fn cancelled(&self) -> Error {
        Error::cancelled(
            self.maybe_sent.load(Ordering::Relaxed),
            self.attempts.load(Ordering::Relaxed),
        )
    }
}

/// The state a send shares with the rest of its batch.
#[derive(Clone, Copy)]
pub(crate) struct BatchSend<'a> {
    pub(crate) gate: &'a PauseGate,
    pub(crate) trace: &'a SendTrace,
}

impl Client {
    /// Sends many SMS concurrently and returns one result per request, in input order.
    ///
    /// At most `options.concurrency` sends are in flight at once, so memory stays bounded by the
    /// input and the results. A 429 with `Retry-After` pauses every send of the batch for that
    /// long, and a send that has not started yet starts its timeout when the pause ends.
    /// Dropping the returned future cancels the sends still in flight.
    ///
    /// ```no_run
    /// use clearline::{BulkOptions, Client, SendRequest};
    ///
    /// # async fn run(client: Client) {
    /// let requests: Vec<_> = ["+12025550101", "+12025550102"]
    ///     .into_iter()
    ///     .map(|phone| SendRequest::new(phone, "Service window moved to 9:00"))
    ///     .collect();
    /// for result in client.send_many(requests, &BulkOptions::new().concurrency(32)).await {
    ///     match result {
    ///         Ok(receipt) => println!("queued {}", receipt.message_id()),
    ///         Err(err) => eprintln!("failed: {err}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn send_many(
        &self,
        requests: Vec<SendRequest>,
        options: &BulkOptions,
    ) -> Vec<Result<SendReceipt>> {
        self.send_many_until(requests, options, std::future::pending())
            .await
    }

    /// Sends many SMS like [`Client::send_many`], but stops early when `stop` completes, and
    /// still returns one result per request, in input order.
    ///
    /// Once `stop` completes, no new send starts, and the sends in flight are dropped, which
    /// closes their connections. Every send that had finished keeps its receipt or error. Every
    /// other one gets an [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) error whose
    /// [`Error::maybe_sent`] is `true` only if an HTTP attempt of it was in flight, so a caller
    /// can send the others again without risking a duplicate SMS.
    ///
    /// ```
    /// use clearline::{BulkOptions, Client, ErrorKind, SendRequest};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let client = Client::builder().api_key("test_key_not_real_0000").build()?;
    /// let requests = vec![
    ///     SendRequest::new("+12025550101", "Doors open at 9:00"),
    ///     SendRequest::new("+12025550102", "Doors open at 9:00"),
    /// ];
    /// // A stop signal that is already complete: the batch stops before any send starts.
    /// let results = client.send_many_until(requests, &BulkOptions::new(), async {}).await;
    /// for result in &results {
    ///     let err = result.as_ref().unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::Cancelled);
    ///     assert!(!err.maybe_sent()); // safe to send again
    /// }
    /// # Ok::<(), clearline::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send_many_until(
        &self,
        requests: Vec<SendRequest>,
        options: &BulkOptions,
        stop: impl Future<Output = ()>,
    ) -> Vec<Result<SendReceipt>> {
        let total = requests.len();
        let concurrency = options.concurrency.max(1);
        let gate = Arc::new(PauseGate::default());
        let traces: Arc<[SendTrace]> = std::iter::repeat_with(SendTrace::default)
            .take(total)
            .collect();
        let max_chars = self.config().max_message_chars();

        // Each send is a task of its own, so a multi-threaded runtime spreads the batch over its
        // threads as it does separate sends. Dropping the set aborts the tasks still running.
        let mut queued = requests.into_iter().enumerate();
        let mut running = JoinSet::new();
        let mut results: Vec<Option<Result<SendReceipt>>> = Vec::with_capacity(total);
        results.resize_with(total, || None);
        let mut done = 0;
        let mut last_progress = Instant::now();
        let mut stop = std::pin::pin!(stop);
        loop {
            // A send starts only while the stop signal is pending, so a batch whose signal has
            // already completed sends nothing.
            let stopped = tokio::select! {
                biased;
                () = &mut stop => true,
                () = std::future::ready(()) => false,
            };
            if stopped {
                break;
            }
            while running.len() < concurrency {
                let Some((index, request)) = queued.next() else {
                    break;
                };
                let client = self.clone();
                let gate = Arc::clone(&gate);
                let traces = Arc::clone(&traces);
                let send_options = options.send;
                running.spawn(async move {
                    let batch = BatchSend {
                        gate: &gate,
                        trace: &traces[index],
                    };
                    let result = match request.prepare(max_chars) {
                        Ok(prepared) => {
                            client
                                .send_prepared_gated(&prepared, &send_options, Some(batch))
                                .await
                        }
                        Err(err) => Err(err),
                    };
                    (index, result)
                });
            }

            // `biased` polls the stop signal first, so no send finishes after it completed.
            let joined = tokio::select! {
                biased;
                () = &mut stop => break,
                joined = running.join_next() => joined,
            };
            let (index, result) = match joined {
                Some(Ok(finished)) => finished,
                // A panic in a send unwinds into the caller, as it would from a send awaited
                // directly.
                Some(Err(err)) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                // Cancelled by a runtime shutting down: the send is reported from its trace.
                Some(Err(_)) => continue,
                None => break,
            };
            results[index] = Some(result);
            done += 1;
            if let Some(progress) = &options.on_progress {
                if done == total || last_progress.elapsed() >= PROGRESS_INTERVAL {
                    last_progress = Instant::now();
                    progress(done, total);
                }
            }
        }

        // After a stop, the sends still running are aborted, and their traces are read only once
        // every task has ended, so no attempt can start after its trace was read. A send that
        // finished just before its abort keeps its result.
        running.abort_all();
        while let Some(joined) = running.join_next().await {
            if let Ok((index, result)) = joined {
                results[index] = Some(result);
            }
        }

        results
            .into_iter()
            .zip(traces.iter())
            .map(|(result, trace)| result.unwrap_or_else(|| Err(trace.cancelled())))
            .collect()
    }
}
