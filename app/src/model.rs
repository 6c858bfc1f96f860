//! Data the browser and the server exchange. Plain serde types: no behaviour beyond validation.

use serde::{Deserialize, Serialize};

pub type OwnerId = i32;

/// The owner as the dashboard sees them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub id: OwnerId,
    pub email: String,
}

/// What the dashboard needs to know before it can show anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthState {
    /// No owner exists yet: the setup page is the only way in.
    pub needs_setup: bool,
    pub owner: Option<OwnerView>,
    pub business_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupInput {
    pub business_name: String,
    pub email: String,
    pub password: String,
}

/// `GET /api/health`: what a load balancer and the home page read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// "ok" or "degraded".
    pub status: String,
    pub version: String,
    /// "sqlite" or "postgres".
    pub database: String,
    pub db_ok: bool,
    pub uptime_s: u64,
}

/// The home page: real state of this deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub health: Health,
    pub business_name: String,
    pub public_url: Option<String>,
    pub whatsapp_configured: bool,
    pub ai_configured: bool,
    pub jobs: JobCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
}

/// A stored change, as pushed to open dashboards (`GET /api/events`, server-sent events). The
/// dashboard refetches what a change names; the change itself stays small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    MessageCreated {
        conversation_id: i32,
        message_id: i32,
    },
    MessageStatus {
        conversation_id: i32,
        message_id: i32,
        status: String,
    },
    /// Something else about a message changed (its media finished downloading, or failed to).
    MessageUpdated {
        conversation_id: i32,
        message_id: i32,
    },
    ConversationUpdated {
        conversation_id: i32,
    },
}

impl Change {
    /// The name stored in `events.kind` and sent as the SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MessageCreated { .. } => "message_created",
            Self::MessageStatus { .. } => "message_status",
            Self::MessageUpdated { .. } => "message_updated",
            Self::ConversationUpdated { .. } => "conversation_updated",
        }
    }
}

/// A change with its place in the sequence: ids only increase, and a client that reconnects with
/// the last id it saw receives everything after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEvent {
    pub id: i32,
    pub change: Change,
}
