//! What the Analytics page shows. Counts and money are integers (exact on both engines);
//! shares and rates are left to the page, which has both numbers.

use serde::{Deserialize, Serialize};

/// Longest range one report covers, in days.
pub const MAX_ANALYTICS_DAYS: u32 = 366;
/// The range when none is asked for, in days (ending today).
pub const DEFAULT_ANALYTICS_DAYS: u32 = 30;
/// Most knowledge-gap groups in a report (the most asked first).
pub const MAX_GAP_GROUPS: usize = 100;
/// Most conversations linked from one gap group.
pub const MAX_GAP_CONVERSATIONS: usize = 5;

/// A range of days in the business's time zone, both ends included ("YYYY-MM-DD").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Without `from`: this many days up to `to` (default [`DEFAULT_ANALYTICS_DAYS`]).
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsReport {
    /// The range reported, both ends included, in `timezone`.
    pub from: String,
    pub to: String,
    pub timezone: String,
    /// Every day of the range, oldest first (days without messages included).
    pub days: Vec<DayFigures>,
    pub totals: Totals,
    /// Provider calls per model, the costliest first.
    pub models: Vec<ModelFigures>,
    pub gaps: Vec<GapGroup>,
}

/// One day's messages and spend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub day: String,
    /// Messages from customers.
    pub customer: u32,
    /// Messages the assistant sent (answers, hand-off notices, opt-out confirmations).
    pub ai: u32,
    /// Messages the owner sent by hand (texts and templates).
    pub owner: u32,
    /// What provider calls cost that day, in micro-dollars.
    pub cost_micros: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub customer: u32,
    pub ai: u32,
    pub owner: u32,
    /// Conversations with a message in the range.
    pub active_conversations: u32,
    /// Conversations started in the range.
    pub new_conversations: u32,
    /// Conversations the assistant handed to the owner in the range.
    pub handed_off_conversations: u32,
    /// The assistant's answers that were hand-offs.
    pub handoffs: u32,
    /// Answers the assistant wrote (the first message of each, however many parts).
    pub answers: u32,
    /// From a customer's first unanswered message to the first reply (the assistant's or the
    /// owner's), over the customer turns answered in the range.
    pub first_response: Percentiles,
    /// From the job picking up a question to the answer being ready.
    pub ai_latency: Percentiles,
    pub cost_micros: i64,
    pub knowledge_gaps: u32,
}

/// Milliseconds; `None` when nothing was measured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u32,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// Provider calls of one model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFigures {
    pub provider: String,
    pub model: String,
    pub calls: u32,
    pub failed: u32,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_micros: i64,
}

/// Questions the knowledge base could not answer, asked in the same words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapGroup {
    /// The latest wording of the question.
    pub question: String,
    /// How many times it was asked.
    pub count: u32,
    /// How many of those the assistant handed off (the rest it answered without good passages).
    pub handed_off: u32,
    /// When it was last asked (RFC 3339).
    pub last_at: String,
    /// The conversations that asked it, the most recent first (up to [`MAX_GAP_CONVERSATIONS`]).
    pub conversation_ids: Vec<i32>,
}

/// The tables of a report that download as CSV.
pub const ANALYTICS_TABLES: &[&str] = &["days", "models", "gaps"];
