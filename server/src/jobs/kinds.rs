//! Every kind of background work and its payload, in one neutral place: the module that
//! enqueues a job need not import the module that runs it (the webhook enqueues AI replies
//! without depending on the AI). Each kind's handler is registered at startup.

use serde::{Deserialize, Serialize};

use super::Job;

/// Answer a customer's message (run by `ai::reply_job`). Messages arriving during the burst
/// window join the same reply.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Reply {
    pub conversation_id: i32,
    pub message_id: i32,
}

impl Job for Reply {
    const KIND: &'static str = "ai_reply";
    const MAX_ATTEMPTS: i32 = 4;
}

/// Send one stored outbound message through the Graph API (run by `whatsapp::outbound`).
#[derive(Debug, Serialize, Deserialize)]
pub struct SendMessage {
    pub message_id: i32,
}

impl Job for SendMessage {
    const KIND: &'static str = "whatsapp_send";
    const MAX_ATTEMPTS: i32 = 8;
}

/// Download a received photo, voice note or file from Meta (run by `whatsapp::media`).
#[derive(Debug, Serialize, Deserialize)]
pub struct DownloadMedia {
    pub message_id: i32,
}

impl Job for DownloadMedia {
    const KIND: &'static str = "whatsapp_media";
    const MAX_ATTEMPTS: i32 = 6;
}

/// Extract, split and index an uploaded document (run by `knowledge::pipeline`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ExtractDocument {
    pub document_id: i32,
    /// The version this job processes; a newer upload makes it moot.
    pub version: i32,
}

impl Job for ExtractDocument {
    const KIND: &'static str = "knowledge_extract";
    const MAX_ATTEMPTS: i32 = 4;
}

/// Embeds the passages that have no vector from the current embeddings model (run by
/// `ai::embeddings`; does nothing without a provider that embeds).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct EmbedPassages {}

impl Job for EmbedPassages {
    const KIND: &'static str = "embed_passages";
    const MAX_ATTEMPTS: i32 = 5;
}
