//! Logging: readable lines locally, JSON for log collectors (`LOG_FORMAT=json`), filtered by
//! `RUST_LOG` (default: info for Replydesk, warnings for libraries).

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,replydesk=info,sqlx=warn,sea_orm=warn,tower_sessions=warn";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_target(true);
    // `try_init`: tests and the CLI may initialise more than once; the first one wins.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
