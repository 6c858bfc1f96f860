//! The WhatsApp Cloud API channel: the webhook (signature, payloads, ingest). The Graph API
//! client, media downloads and the push of events follow.

pub mod client;
pub mod credentials;
pub mod ingest;
pub mod media;
pub mod outbound;
pub mod payload;
pub mod signature;
pub mod webhook;
