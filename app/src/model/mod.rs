//! Data the browser and the server exchange. Plain serde types: no behaviour beyond validation.

use serde::{Deserialize, Serialize};

mod ai;
mod analytics;
mod audit;
mod inbox;
mod settings;
pub use ai::*;
pub use analytics::*;
pub use audit::*;
pub use inbox::*;
pub use settings::*;

pub type OwnerId = i32;

/// The owner as the dashboard sees them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerView {
    pub id: OwnerId,
    pub email: String,
    /// Whether logging in also asks for a code from an authenticator app.
    #[serde(default)]
    pub two_factor: bool,
}

/// A new authenticator key, shown while two-step sign-in is being turned on (it is stored
/// only once a code from the app proves it was added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// The key in base32, for apps that cannot scan.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub otpauth_url: String,
    /// The QR code, an SVG as a `data:` URL.
    pub qr_image: String,
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
    /// The token printed in the server's log while no owner exists: whoever can read that log
    /// runs this server, and only they can create its owner.
    #[serde(default)]
    pub setup_token: String,
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
    /// A WhatsApp problem the owner must fix (an invalid access token), in words.
    pub whatsapp_problem: Option<String>,
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
    /// The conversation is gone (its customer was erased, or the simulator was cleared).
    ConversationDeleted {
        conversation_id: i32,
    },
    /// A knowledge document was added, changed state (processing, ready, error) or was edited.
    DocumentUpdated {
        document_id: i32,
        status: String,
    },
    DocumentDeleted {
        document_id: i32,
    },
    /// The search index was rebuilt (its language changed).
    KnowledgeReindexed,
    /// The AI is writing a reply in this conversation (WhatsApp shows the customer typing dots).
    Typing {
        conversation_id: i32,
    },
    /// The conversation was handed to a person.
    HandoffRequested {
        conversation_id: i32,
        reason: String,
    },
    /// The owner saved settings: every server process re-reads what it keeps in memory
    /// (WhatsApp credentials, the outbound rate), and open Settings pages reload.
    SettingsChanged,
}

impl Change {
    /// The name stored in `events.kind` and sent as the SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MessageCreated { .. } => "message_created",
            Self::MessageStatus { .. } => "message_status",
            Self::MessageUpdated { .. } => "message_updated",
            Self::ConversationUpdated { .. } => "conversation_updated",
            Self::ConversationDeleted { .. } => "conversation_deleted",
            Self::DocumentUpdated { .. } => "document_updated",
            Self::DocumentDeleted { .. } => "document_deleted",
            Self::KnowledgeReindexed => "knowledge_reindexed",
            Self::Typing { .. } => "typing",
            Self::HandoffRequested { .. } => "handoff_requested",
            Self::SettingsChanged => "settings_changed",
        }
    }
}

/// Every event name [`Change::kind`] gives.
pub const CHANGE_KINDS: &[&str] = &[
    "message_created",
    "message_status",
    "message_updated",
    "conversation_updated",
    "conversation_deleted",
    "document_updated",
    "document_deleted",
    "knowledge_reindexed",
    "typing",
    "handoff_requested",
    "settings_changed",
];

/// A change with its place in the sequence: ids only increase, and a client that reconnects with
/// the last id it saw receives everything after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEvent {
    pub id: i32,
    pub change: Change,
}

/// Conversation states the owner sets (a new customer message reopens a conversation).
pub const CONVERSATION_STATUSES: &[&str] = &["open", "closed", "archived"];

/// Filters and paging of the conversation list. Everything is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationQuery {
    /// "open", "closed" or "archived".
    #[serde(default)]
    pub status: Option<String>,
    /// Only conversations with the AI switched on (true) or off (false).
    #[serde(default)]
    pub ai: Option<bool>,
    /// Only conversations whose customer asked for a person.
    #[serde(default)]
    pub needs_human: Option<bool>,
    /// Matches the customer's name, phone or WhatsApp id, or any message's text.
    #[serde(default)]
    pub search: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 30).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// A conversation as the inbox lists it. Times are RFC 3339 (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: i32,
    pub customer_id: i32,
    /// The owner's name for the customer, else their WhatsApp profile name, else the phone.
    pub name: String,
    pub phone: Option<String>,
    pub wa_id: String,
    pub status: String,
    pub ai_enabled: bool,
    /// "none", "requested" (the customer asked for a person) or "human".
    pub handoff: String,
    pub priority: bool,
    pub unread_count: i32,
    pub last_message_at: Option<String>,
    pub last_message_preview: Option<String>,
    /// When free-form replies stop being allowed (24 hours after the customer's last message).
    pub window_closes_at: Option<String>,
    /// Why the conversation went to a person.
    pub handoff_reason: Option<String>,
    /// The AI stays off until then after the owner replied by hand.
    pub ai_paused_until: Option<String>,
    /// The customer wrote STOP: no AI replies and no template sends until they write START.
    pub opted_out: bool,
    /// Started from the simulator: nothing is sent to WhatsApp.
    pub simulated: bool,
    /// The customer's tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One message in a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: i32,
    /// "inbound" or "outbound".
    pub direction: String,
    /// "customer", "ai", "agent" or "system".
    pub sender: String,
    pub kind: String,
    pub body: String,
    /// Delivery status ("received" for inbound).
    pub status: String,
    /// Why sending or downloading failed, in words.
    pub error: Option<String>,
    pub error_code: Option<i32>,
    pub reply_to_id: Option<i32>,
    /// `/api/media/{id}` once an inbound file is downloaded.
    pub media_url: Option<String>,
    pub media_mime: Option<String>,
    /// "pending", "ready" or "failed" for messages with a file.
    pub media_status: Option<String>,
    pub sent_at: String,
    /// How the AI wrote it (AI messages only).
    pub ai: Option<AiDetails>,
}

/// Provenance of an AI message: who wrote it, at what cost, from which passages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiDetails {
    /// The provider, or "extractive" / "handoff" when no model wrote it.
    pub provider: String,
    pub model: Option<String>,
    pub tokens_in: i32,
    pub tokens_out: i32,
    pub cost_micros: i64,
    pub latency_ms: i32,
    /// Knowledge passages (chunk ids) it was given.
    pub passages: Vec<i32>,
    /// How the answer came about (absent on messages from before it was recorded).
    #[serde(default)]
    pub mode: Option<AnswerMode>,
    /// The knowledge base could not answer the question (see analytics' knowledge gaps).
    #[serde(default)]
    pub knowledge_gap: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub conversation: ConversationSummary,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// Pass as `before` to load older messages; absent at the start of the conversation.
    pub older_cursor: Option<i32>,
    /// What the AI cost in this conversation so far (every provider call, answered or not).
    pub ai_usage: ConversationUsage,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationUsage {
    pub calls: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_micros: i64,
}

/// A knowledge document (an uploaded file, an FAQ pair or a note) as the library lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: i32,
    pub title: String,
    /// The uploaded file's name (display only); absent for written entries.
    pub original_name: Option<String>,
    /// "pdf", "docx", "txt", "md", "html", "csv", "faq" or "note".
    pub kind: String,
    pub size_bytes: i64,
    /// "processing", "ready" or "error".
    pub status: String,
    /// Why extraction failed, in words.
    pub error: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub passages: i32,
    /// The language it is written in, by name ("Português"), once read.
    pub language: Option<String>,
    /// Goes up by one each time the file is replaced.
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// Kinds of document written in the dashboard rather than uploaded.
pub const ENTRY_KINDS: [&str; 2] = ["faq", "note"];

/// An uploaded file, as opposed to an entry written in the dashboard.
pub fn is_file_kind(kind: &str) -> bool {
    !ENTRY_KINDS.contains(&kind)
}

impl DocumentView {
    pub fn is_file(&self) -> bool {
        is_file_kind(&self.kind)
    }
}

/// The Knowledge page: every document, and how much room is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Library {
    /// Newest first.
    pub documents: Vec<DocumentView>,
    /// Uploaded files (entries do not count against `max_files`).
    pub files: u32,
    pub max_files: u32,
    pub max_file_bytes: u64,
    /// The languages questions are searched in (Settings › Business), by name; empty: every
    /// language Replydesk knows.
    pub languages: Vec<String>,
    /// Categories and tags in use, for the filters.
    pub categories: Vec<String>,
    pub tags: Vec<String>,
}

/// One passage of a document, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageView {
    pub id: i32,
    pub position: i32,
    /// Headings above the passage, outermost first, joined with " › ".
    pub heading_path: String,
    pub content: String,
}

/// A document with its extracted text, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDetail {
    pub document: DocumentView,
    /// The question or note body of a written entry.
    pub source_text: Option<String>,
    /// The start of the extracted text (at most `PREVIEW_CHARS` characters).
    pub text_preview: String,
    /// The length of the whole extracted text, in characters.
    pub text_chars: u64,
    /// The first passages (at most 200).
    pub passages: Vec<PassageView>,
}

/// Editable details of any document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub title: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An entry written in the dashboard: an FAQ pair (title = question, body = answer) or a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInput {
    /// "faq" or "note".
    pub kind: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A knowledge search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeQuery {
    pub text: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// 1–50 (default 10).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A piece of a snippet; `hit` pieces matched the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// A ranked passage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub passage_id: i32,
    pub document_id: i32,
    pub document_title: String,
    pub heading_path: String,
    /// BM25 score: higher is better; only comparable within one search.
    pub score: f32,
    /// How much of the question the passage covers, 0 to 1.
    pub relevance: f32,
    pub snippet: Vec<SnippetPart>,
    /// The whole passage (what the AI engine reads).
    pub content: String,
}

#[cfg(test)]
impl MessageView {
    /// A message for tests: received or queued, no file, no AI details.
    pub fn example(
        id: i32,
        kind: &str,
        direction: &str,
        body: &str,
        reply_to_id: Option<i32>,
    ) -> Self {
        let inbound = direction == "inbound";
        Self {
            id,
            direction: direction.into(),
            sender: if inbound { "customer" } else { "agent" }.into(),
            kind: kind.into(),
            body: body.into(),
            status: if inbound { "received" } else { "queued" }.into(),
            error: None,
            error_code: None,
            reply_to_id,
            media_url: None,
            media_mime: None,
            media_status: None,
            sent_at: "2026-11-26T10:00:00Z".into(),
            ai: None,
        }
    }
}

#[cfg(test)]
mod change_tests {
    use super::{Change, CHANGE_KINDS};

    #[test]
    fn the_dashboard_listens_to_every_kind_of_change() {
        let every = [
            Change::MessageCreated {
                conversation_id: 1,
                message_id: 1,
            },
            Change::MessageStatus {
                conversation_id: 1,
                message_id: 1,
                status: "read".into(),
            },
            Change::MessageUpdated {
                conversation_id: 1,
                message_id: 1,
            },
            Change::ConversationUpdated { conversation_id: 1 },
            Change::ConversationDeleted { conversation_id: 1 },
            Change::DocumentUpdated {
                document_id: 1,
                status: "ready".into(),
            },
            Change::DocumentDeleted { document_id: 1 },
            Change::KnowledgeReindexed,
            Change::Typing { conversation_id: 1 },
            Change::HandoffRequested {
                conversation_id: 1,
                reason: String::new(),
            },
            Change::SettingsChanged,
        ];
        assert_eq!(every.len(), CHANGE_KINDS.len());
        for change in every {
            assert!(CHANGE_KINDS.contains(&change.kind()), "{}", change.kind());
        }
    }
}
