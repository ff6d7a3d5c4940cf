//! Diagnostics on stderr, off unless `MILVUS_NATIVE_LOG` is set to a filter such as `debug` or
//! `warn,h2=trace`. The binding itself logs only its retries (target `milvus_native::retry`:
//! method, attempt, wait); the rest comes from the transport crates (tonic, hyper, h2), whose
//! output never includes header values marked sensitive, such as `authorization`.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The environment variable holding the log filter.
const LOG_VARIABLE: &str = "MILVUS_NATIVE_LOG";

#[napi_derive::module_init]
fn init_logging() {
    let Ok(filter) = std::env::var(LOG_VARIABLE) else {
        return;
    };
    let targets = match filter.parse::<Targets>() {
        Ok(targets) => targets,
        Err(e) => {
            eprintln!("milvus-native: ignoring {LOG_VARIABLE}={filter:?}: {e}");
            return;
        }
    };
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    // Fails only when another subscriber is installed already; that one then wins.
    let _ = tracing_subscriber::registry()
        .with(targets)
        .with(output)
        .try_init();
}
