//! The owner's actions, as the audit log records them.

use serde::{Deserialize, Serialize};

/// The actions recorded, with how Settings names them.
pub const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("signed_in", "Signed in"),
    ("signed_out", "Signed out"),
    ("password_changed", "Password changed"),
    ("two_factor_enabled", "Two-step sign-in turned on"),
    ("two_factor_disabled", "Two-step sign-in turned off"),
    ("settings_changed", "Settings changed"),
    ("document_uploaded", "Document uploaded"),
    ("document_replaced", "Document replaced"),
    ("document_saved", "Entry saved"),
    ("document_deleted", "Document deleted"),
    ("ai_switched", "AI switched"),
    ("exported", "Exported"),
    ("customer_erased", "Customer erased"),
    ("backup_downloaded", "Backup downloaded"),
];

/// How Settings names an action (the action itself when unknown).
pub fn audit_label(action: &str) -> &str {
    AUDIT_ACTIONS
        .iter()
        .find(|(key, _)| *key == action)
        .map_or(action, |(_, label)| label)
}

/// Entries per page of the audit log.
pub const AUDIT_PAGE: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i32,
    /// RFC 3339, UTC.
    pub at: String,
    pub action: String,
    /// What it was about ("Conversation 12: AI off", "menu.pdf").
    pub detail: String,
    /// The address the request came from.
    pub ip: Option<String>,
}
