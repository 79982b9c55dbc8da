//! The native module `clearline._native` behind the Python package `clearline`.
//!
//! Every ClearLine rule lives in the Rust core; this crate converts Python arguments to core
//! types, runs the core's futures on a shared Tokio runtime, and turns core errors into the
//! exception classes defined in `clearline/error.py`. The Python package re-exports what is
//! public; `_native` itself is private.

mod asyncio;
mod bulk;
mod callback;
mod client;
mod convert;
mod error;
mod logging;
mod panic;
mod runtime;
mod sandbox;

use pyo3::prelude::*;

/// The version of the package, the same as the Rust crate's.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();

    module.add("__version__", VERSION)?;
    module.add_class::<client::Client>()?;
    module.add_class::<client::AsyncClient>()?;
    module.add_class::<client::SendReceipt>()?;
    module.add_class::<callback::DeliveryReport>()?;
    module.add_function(wrap_pyfunction!(callback::parse_callback, module)?)?;
    module.add_function(wrap_pyfunction!(panic::panic_for_testing, module)?)?;
    module.add_class::<sandbox::Sandbox>()?;
    module.add_class::<sandbox::Fault>()?;
    module.add_class::<sandbox::ReceivedMessage>()?;
    module.add_class::<sandbox::CallbackAttempt>()?;
    module.add_class::<sandbox::CallbackOutcome>()?;
    Ok(())
}
