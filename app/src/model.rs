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
