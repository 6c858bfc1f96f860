//! The WhatsApp Cloud API channel: webhook signature and payloads (Graph API client, ingest and
//! media follow).

pub mod payload;
pub mod signature;
