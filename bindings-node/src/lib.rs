//! Node.js bindings of the ClearLine SMS client, loaded by the npm package `clearline`.
//!
//! This crate only converts: JavaScript values to core types, core results to JavaScript values,
//! and `clearline::Error` to `ClearLineError`. Every ClearLine rule lives in the core crate. The
//! hand-written `index.js` wraps these native functions with what JavaScript callers expect
//! (argument type checks, `AbortSignal`, `util.inspect`), so the names exported here are private
//! to the package.
//!
//! Modules mirror the core and the Python binding: `client`, `callback`, `error`, `runtime`, plus
//! `text` (reading JavaScript strings), `packed` (results packed into one string) and `logging`.

// The `#[napi]` macro registers exports only outside `cfg(test)`, so in the unit-test build the
// exported functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod callback;
mod client;
mod error;
mod logging;
mod packed;
mod runtime;
mod sandbox;
mod text;

#[napi_derive::module_init]
fn init() {
    logging::init_from_env();
}
