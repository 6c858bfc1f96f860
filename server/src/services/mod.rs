//! One implementation per port of `app::ports`: thin, orchestrating the modules below.

pub mod accounts;
pub mod ai;
pub mod analytics;
pub mod audit;
pub mod inbox;
pub mod knowledge;
pub mod retention;
pub mod settings;
pub mod system;

use chrono::{DateTime, SecondsFormat, Utc};

/// Times as the API sends them: RFC 3339, UTC, whole seconds.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
