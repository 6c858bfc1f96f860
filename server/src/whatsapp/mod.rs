//! The WhatsApp Cloud API channel: the webhook (signature over the raw body, payloads, ingest
//! in one transaction), the Graph API client, the outbound queue with its rate limit and
//! 24-hour window, media downloads, and the credentials the owner saves.

pub mod client;
pub mod credentials;
pub mod ingest;
pub mod media;
pub mod outbound;
pub mod payload;
pub mod signature;
pub mod webhook;

/// WhatsApp ids of simulated customers (the dashboard's test chat) start with this; Meta's
/// never do (digits, or a country-coded username id such as `US.123`).
pub const SIMULATED_PREFIX: &str = "simulator-";
