//! The state one sandbox shares between its HTTP handlers, its callback tasks and its owner.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{watch, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::SandboxConfig;
use crate::fault::FaultQueue;
use crate::record::{CallbackAttempt, CallbackOutcome, ReceivedMessage, RecordedRequest, Ring};

/// Number of requests to the send endpoint kept for `GET /sandbox/requests`.
pub const REQUEST_LOG_LIMIT: usize = 1_000;

/// Locks a mutex, recovering the data if a thread panicked while holding it. Every critical
/// section here only pushes to or clears a list, so the data is consistent after a panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) api_key: String,
    pub(crate) faults: FaultQueue,
    pub(crate) callback_http: reqwest::Client,
    /// Limits the callback POSTs in flight to `config.max_concurrent_callbacks`.
    pub(crate) callback_slots: Semaphore,
    /// Runs the connection and callback tasks, so `stop` can wait for all of them.
    pub(crate) tasks: TaskTracker,
    /// Cancelled by `stop`: ends the accept loop, the connections and the callback tasks.
    pub(crate) shutdown: CancellationToken,

    /// Random per sandbox, so message ids of two sandboxes (or two runs) never collide.
    id_prefix: u32,
    next_id: AtomicU64,

    history: Mutex<History>,
    requests: Mutex<Ring<RecordedRequest>>,
    /// The number of outcomes recorded since the last reset, for `wait_for_callbacks`.
    outcome_count: watch::Sender<usize>,
    /// The number of accepted messages with a callback URL since the last reset.
    with_callback_url: AtomicUsize,
}

/// The records a reset clears. The generation lets a callback task of a message accepted
/// before the reset detect that its results are no longer wanted.
struct History {
    generation: u64,
    /// Parent of every callback task of this generation; a reset cancels it.
    callbacks: CancellationToken,
    messages: Ring<ReceivedMessage>,
    attempts: Ring<CallbackAttempt>,
    outcomes: Ring<CallbackOutcome>,
}

impl Shared {
    pub(crate) fn new(
        config: SandboxConfig,
        api_key: String,
        callback_http: reqwest::Client,
    ) -> Shared {
        let limit = config.history_limit;
        let shutdown = CancellationToken::new();
        Shared {
            callback_slots: Semaphore::new(config.max_concurrent_callbacks),
            config,
            api_key,
            faults: FaultQueue::default(),
            callback_http,
            tasks: TaskTracker::new(),
            history: Mutex::new(History {
                generation: 0,
                callbacks: shutdown.child_token(),
                messages: Ring::new(limit),
                attempts: Ring::new(limit),
                outcomes: Ring::new(limit),
            }),
            shutdown,
            id_prefix: fastrand::u32(..),
            next_id: AtomicU64::new(1),
            requests: Mutex::new(Ring::new(REQUEST_LOG_LIMIT)),
            outcome_count: watch::Sender::new(0),
            with_callback_url: AtomicUsize::new(0),
        }
    }

    /// Returns a new unique `messageId`, such as `msg_5f0c2a9e_000042`.
    pub(crate) fn next_message_id(&self) -> String {
        let number = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("msg_{:08x}_{number:06}", self.id_prefix)
    }

    /// Records an accepted message. Returns the generation and the cancellation token its
    /// callback task belongs to.
    pub(crate) fn record_message(&self, message: ReceivedMessage) -> (u64, CancellationToken) {
        let mut history = lock(&self.history);
        if message.callback_url.is_some() {
            self.with_callback_url.fetch_add(1, Ordering::Relaxed);
        }
        history.messages.push(message);
        (history.generation, history.callbacks.clone())
    }

    /// Records a callback attempt, unless a reset happened since its message was accepted.
    pub(crate) fn record_attempt(&self, generation: u64, attempt: CallbackAttempt) {
        let mut history = lock(&self.history);
        if history.generation == generation {
            history.attempts.push(attempt);
        }
    }

    /// Records a final outcome and wakes `wait_for_callbacks`, unless a reset happened since
    /// its message was accepted.
    pub(crate) fn record_outcome(&self, generation: u64, outcome: CallbackOutcome) {
        let mut history = lock(&self.history);
        if history.generation != generation {
            return;
        }
        history.outcomes.push(outcome);
        // Sent under the history lock, so a reset cannot slip between the push and the count.
        self.outcome_count.send_modify(|count| *count += 1);
    }

    pub(crate) fn record_request(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub(crate) fn messages(&self) -> Vec<ReceivedMessage> {
        lock(&self.history).messages.to_vec()
    }

    pub(crate) fn attempts(&self) -> Vec<CallbackAttempt> {
        lock(&self.history).attempts.to_vec()
    }

    pub(crate) fn outcomes(&self) -> Vec<CallbackOutcome> {
        lock(&self.history).outcomes.to_vec()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).to_vec()
    }

    pub(crate) fn with_callback_url(&self) -> usize {
        self.with_callback_url.load(Ordering::Relaxed)
    }

    pub(crate) fn subscribe_outcomes(&self) -> watch::Receiver<usize> {
        self.outcome_count.subscribe()
    }

    /// Clears messages, attempts, outcomes, requests and faults, and cancels the callback
    /// tasks of messages accepted so far.
    pub(crate) fn reset(&self) {
        {
            let mut history = lock(&self.history);
            history.generation += 1;
            history.callbacks.cancel();
            history.callbacks = self.shutdown.child_token();
            history.messages.clear();
            history.attempts.clear();
            history.outcomes.clear();
            self.with_callback_url.store(0, Ordering::Relaxed);
            self.outcome_count.send_replace(0);
        }
        lock(&self.requests).clear();
        self.faults.clear();
    }
}
