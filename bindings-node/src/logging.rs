//! Optional logging of the core's events to stderr, switched on by `CLEARLINE_LOG`.
//!
//! The core logs through `tracing` under the target `clearline`: one `debug` event per HTTP
//! attempt, one `info` event per retry, and at `trace` the full phone number and message text.
//! The API key never appears at any level. Only that target is shown, so the events of reqwest
//! and hyper stay out of the output.

use std::io::IsTerminal;
use std::sync::Once;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// The environment variable read when the addon loads: `error`, `warn`, `info`, `debug`, `trace`
/// or `off`.
const LOG_ENV: &str = "CLEARLINE_LOG";

static INIT: Once = Once::new();

/// Installs a stderr subscriber at the level `CLEARLINE_LOG` names, once per process.
///
/// An unknown value prints one warning and logs nothing. Another global subscriber installed
/// first (by another addon) wins, and this one is dropped.
pub(crate) fn init_from_env() {
    INIT.call_once(|| {
        let Ok(value) = std::env::var(LOG_ENV) else {
            return;
        };
        let level = match value.trim().parse::<LevelFilter>() {
            Ok(level) => level,
            Err(_) => {
                eprintln!(
                    "clearline: ignoring {LOG_ENV}={value:?}: expected error, warn, info, debug, \
                     trace or off"
                );
                return;
            }
        };
        if level == LevelFilter::OFF {
            return;
        }

        let layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal());
        let subscriber = tracing_subscriber::registry()
            .with(Targets::new().with_target("clearline", level))
            .with(layer);
        // Fails only when a global subscriber is already set, which then receives the events.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}
