//! Invariant checks behind the cargo-fuzz targets in `fuzz_targets/`.
//!
//! Each target hands its input to a `check` function here. The function calls the ClearLine core
//! and panics, which libFuzzer records as a crash, when a result breaks a rule the core promises:
//! a round trip that changes a report, a request body whose phone is not E.164, an error message
//! that is too long or quotes a secret, a `maybe_sent` flag that contradicts the error kind. The
//! checks live in a library so that the targets stay one line long.

pub mod callback;
pub mod errors;
pub mod frame;
pub mod json;
pub mod response;
pub mod send;

/// An obviously fake API key. Inputs may contain it, and the checks decide where an error message
/// may quote it back.
pub const FAKE_KEY: &str = "test_key_not_real_0000";
