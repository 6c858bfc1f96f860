//! The inbox beyond the list and the thread: the customer panel, bulk actions, WhatsApp
//! templates, exports.

use serde::{Deserialize, Serialize};

/// A customer as the panel beside a conversation shows them. Times are RFC 3339 (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub id: i32,
    pub conversation_id: i32,
    /// The name the inbox shows: the owner's, else the WhatsApp profile's, else the phone.
    pub name: String,
    /// The name the owner gave (empty when none).
    pub display_name: String,
    /// The name on their WhatsApp profile.
    pub profile_name: Option<String>,
    pub phone: Option<String>,
    pub wa_id: String,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub messages_received: u64,
    pub messages_sent: u64,
    pub notes: String,
    pub tags: Vec<String>,
    pub opted_out: bool,
}

/// What the owner edits about a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInput {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What a bulk action does to each selected conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    Close,
    Archive,
    Reopen,
    AiOn,
    AiOff,
    /// Adds a tag to each conversation's customer.
    Tag {
        tag: String,
    },
}

impl BulkAction {
    /// How the dashboard names it, for "3 conversations closed".
    pub fn done(&self) -> &'static str {
        match self {
            Self::Close => "closed",
            Self::Archive => "archived",
            Self::Reopen => "reopened",
            Self::AiOn => "handed to the AI",
            Self::AiOff => "taken off the AI",
            Self::Tag { .. } => "tagged",
        }
    }
}

/// An approved WhatsApp message template, as the owner registered it: the only kind of message
/// that may start a conversation or answer outside the 24-hour window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaTemplate {
    /// The template's name in WhatsApp Manager ("order_update").
    pub name: String,
    /// The language it was approved in ("en_US", "pt_BR").
    pub language: String,
    /// Its body as approved, with `{{1}}`, `{{2}}`… where the parameters go.
    pub body: String,
}

/// A template to send, with the values of its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub params: Vec<String>,
}

/// The files a conversation can be exported to.
pub const EXPORT_FORMATS: &[(&str, &str)] = &[
    ("json", "JSON"),
    ("csv", "CSV"),
    ("txt", "Plain-text transcript"),
];

/// A knowledge passage an AI answer was given, to read beside the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedPassage {
    pub id: i32,
    pub document_id: i32,
    pub document_title: String,
    /// Headings above the passage, outermost first, joined with " › ".
    pub heading_path: String,
    pub content: String,
}
