//! Checks that every error of the core passes, whatever produced it.

use clearline::{Error, ErrorKind};

use crate::FAKE_KEY;

/// Maximum length of an error message, in characters. The core quotes at most 64 characters of
/// a rejected value and at most 200 of a response body, so its longest message is about 800
/// characters once escapes are counted. A longer one means some input is quoted without a cap.
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// Checks what holds for every error: a non-empty message of bounded length, the same text from
/// `Display` and `message()`, and `maybe_sent` matching the kind.
///
/// `input` describes what produced the error, for the panic message.
pub fn check_error(err: &Error, input: &dyn std::fmt::Debug) {
    let message = err.to_string();
    assert_eq!(
        message,
        err.message(),
        "Display differs from message() for {input:?}"
    );
    assert!(
        !message.trim().is_empty(),
        "empty error message for {input:?}"
    );

    let chars = message.chars().count();
    assert!(
        chars <= MAX_MESSAGE_CHARS,
        "error message of {chars} characters (maximum {MAX_MESSAGE_CHARS}) for {input:?}: \
         {message:?}"
    );

    check_maybe_sent(err, input);
    if err.kind() != ErrorKind::RateLimited {
        assert_eq!(
            err.retry_after(),
            None,
            "retry_after on {err:?} for {input:?}"
        );
    }
    assert_eq!(err.attempts(), 0, "attempts without any HTTP for {input:?}");
    assert_eq!(
        err.timeout_phase(),
        None,
        "timeout phase without any HTTP for {input:?}"
    );
}

/// Checks that `maybe_sent` agrees with the kind: kinds that prove the SMS was not sent never
/// set it, a 5xx always does, and an unexpected response sets it unless it was a redirect.
fn check_maybe_sent(err: &Error, input: &dyn std::fmt::Debug) {
    let expected = match err.kind() {
        ErrorKind::Validation
        | ErrorKind::CallbackParse
        | ErrorKind::Authentication
        | ErrorKind::Rejected
        | ErrorKind::RateLimited => false,
        ErrorKind::Server => true,
        ErrorKind::UnexpectedResponse => !err
            .status()
            .is_some_and(|status| (300..=399).contains(&status)),
        other => panic!("no HTTP exchange, yet the kind is {other:?} for {input:?}"),
    };
    assert_eq!(
        err.maybe_sent(),
        expected,
        "maybe_sent disagrees with the kind {:?} for {input:?}",
        err.kind()
    );
}

/// Checks that neither the message nor the `Debug` form of `err` contains [`FAKE_KEY`].
pub fn assert_no_key(err: &Error, input: &dyn std::fmt::Debug) {
    let message = err.to_string();
    assert!(
        !message.contains(FAKE_KEY),
        "the error message quotes the key for {input:?}: {message:?}"
    );
    let debug = format!("{err:?}");
    assert!(
        !debug.contains(FAKE_KEY),
        "the error's Debug form quotes the key for {input:?}: {debug}"
    );
}
