//! Invariant checks behind the cargo-fuzz targets in `fuzz_targets/`.
//!
//! Each target hands its input to a `check` function here, which calls the ClearLine core. When a
//! result breaks a rule the core promises, the function panics and libFuzzer records a crash.
//! Such rules are a round trip that keeps a report unchanged, a request body whose phone is
//! E.164, error messages of bounded length that do not quote a secret, and a `maybe_sent` flag
//! that matches the error kind. The checks live in a library so that the targets stay one line
//! long.

pub mod callback;
pub mod errors;
pub mod frame;
pub mod json;
pub mod response;
pub mod send;

/// An obviously fake API key. Inputs may contain it, and the checks decide where an error message
/// may quote it back.
pub const FAKE_KEY: &str = "test_key_not_real_0000";
