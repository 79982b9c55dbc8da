//! `clearline-sandbox`: runs the ClearLine simulator standalone for local development, and logs
//! each message and delivery-report attempt on stdout.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use clearline::validate::DEFAULT_MAX_MESSAGE_CHARS;
use clearline::ApiKey;
use clearline_sandbox::{Sandbox, SandboxConfig};
use tracing_subscriber::filter::LevelFilter;

/// Runs a ClearLine simulator on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM).
///
/// Point a client at the printed base URL with the printed API key. Sends are validated like
/// ClearLine's API, and each message with a callback URL gets a delivery report POSTed to it.
/// Numbers +12025550101, +12025550102 and +12025550103 fail with Failed, Expired and Rejected.
#[derive(Debug, Parser)]
#[command(name = "clearline-sandbox", version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// API key to accept in the ApiKey header; by default a fake one is generated and printed.
    #[arg(long, env = "CLEARLINE_SANDBOX_API_KEY", hide_env_values = true)]
    api_key: Option<String>,

    /// Delay between accepting a message and POSTing its delivery report, in milliseconds.
    #[arg(long, default_value_t = 20)]
    callback_delay_ms: u64,

    /// POSTs per delivery report, the first included, when the receiver does not respond with 200.
    #[arg(long, default_value_t = 3)]
    callback_max_attempts: u32,

    /// Wait before the second POST of a report, in milliseconds; each later wait doubles.
    #[arg(long, default_value_t = 100)]
    callback_retry_backoff_ms: u64,

    /// Also POST delivery reports to hosts other than localhost, 127.0.0.0/8 and [::1].
    #[arg(long)]
    allow_remote_callbacks: bool,

    /// Longest accepted message, in Unicode characters; match the client's max_message_chars.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE_CHARS)]
    max_message_chars: usize,

    /// Log only warnings and errors, not each message and callback (for benchmarks).
    #[arg(long, short)]
    quiet: bool,
}

/// The environment variable `--api-key` falls back to.
const API_KEY_ENV: &str = "CLEARLINE_SANDBOX_API_KEY";

impl Args {
    /// Checks the values clap does not, with messages that name this binary's flags rather than
    /// the `SandboxConfig` fields.
    fn check(&self, matches: &ArgMatches) -> Result<(), String> {
        if let Some(key) = &self.api_key {
            check_api_key(key, matches.value_source("api_key"))?;
        }
        if self.callback_max_attempts == 0 {
            return Err(
                "invalid value 0 for --callback-max-attempts; pass at least 1 (the first POST \
                 counts)"
                    .into(),
            );
        }
        if self.max_message_chars == 0 {
            return Err(format!(
                "invalid value 0 for --max-message-chars; pass at least 1 (the client's \
                 default is {DEFAULT_MAX_MESSAGE_CHARS})"
            ));
        }
        Ok(())
    }
}

/// Checks a key with the core's rules. The message names where the key came from and never
/// quotes it.
fn check_api_key(key: &str, source: Option<ValueSource>) -> Result<(), String> {
    let origin = match source {
        Some(ValueSource::EnvVariable) => format!("the key in {API_KEY_ENV}"),
        _ => "the key passed to --api-key".to_owned(),
    };
    if key.is_empty() {
        // The core's message for an empty key points at the client's environment variable.
        return Err(format!(
            "{origin} is empty; pass a key with --api-key or {API_KEY_ENV}, or set neither to \
             have one generated"
        ));
    }
    match ApiKey::new(key) {
        Ok(_) => Ok(()),
        Err(err) => Err(format!("{origin} is invalid: {}", err.message())),
    }
}

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(err) => err.exit(),
    };
    if let Err(message) = args.check(&matches) {
        Args::command()
            .error(ErrorKind::ValueValidation, message)
            .exit();
    }
    let level = if args.quiet {
        LevelFilter::WARN
    } else {
        LevelFilter::INFO
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(std::io::stdout)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("clearline-sandbox: failed to start the Tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let config = SandboxConfig {
        port: args.port,
        api_key: args.api_key,
        callback_delay: Duration::from_millis(args.callback_delay_ms),
        callback_max_attempts: args.callback_max_attempts,
        callback_retry_backoff: Duration::from_millis(args.callback_retry_backoff_ms),
        allow_remote_callbacks: args.allow_remote_callbacks,
        max_message_chars: args.max_message_chars,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("clearline-sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };

    // The key is printed once, here, because the user needs it to send; it is a sandbox key,
    // generated or given for this run. Nothing else prints or logs it.
    println!("ClearLine sandbox listening on {}", sandbox.base_url());
    println!("API key: {}", sandbox.api_key());
    println!(
        "Send:    curl -X POST {}/MessageSender/sms -H 'ApiKey: <key>' \
         -H 'Content-Type: application/json' -d '{{\"phone\": \"+12025551234\", \"message\": \"Hi\"}}'",
        sandbox.base_url()
    );
    println!("Inspect: curl {}/sandbox/messages", sandbox.base_url());

    wait_for_stop_signal().await;
    println!("Stopping the sandbox");
    sandbox.stop().await;
    ExitCode::SUCCESS
}

/// Waits for Ctrl-C, or SIGTERM on Unix.
async fn wait_for_stop_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            eprintln!("clearline-sandbox: failed to listen for Ctrl-C ({err})");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                eprintln!("clearline-sandbox: failed to listen for SIGTERM ({err})");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
