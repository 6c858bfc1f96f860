//! The rows analytics reads: a few numbers of every message in a range (no text: who wrote it
//! and how an answer came about are folded into integers and flags by the query, so 100,000
//! messages are a few megabytes and no allocation each), bodies only for the questions that
//! found no answer, and the usage ledger. Figures are computed in Rust (`services::analytics::figures`): day
//! boundaries are in the business's time zone, which SQLite cannot do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{conversation, llm_usage, message};

/// Who wrote a message, as [`MessageFact::author`] holds it.
pub const CUSTOMER: i32 = 0;
/// The assistant (answers, hand-off notices, opt-out confirmations).
pub const ASSISTANT: i32 = 1;
/// The owner, by hand.
pub const OWNER: i32 = 2;

/// What analytics needs of a message.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MessageFact {
    pub id: i32,
    pub conversation_id: i32,
    /// [`CUSTOMER`], [`ASSISTANT`] or [`OWNER`].
    pub author: i32,
    /// Written by the AI (not an opt-out confirmation).
    pub ai: bool,
    pub sent_at: DateTime<Utc>,
    pub latency_ms: Option<i32>,
    /// The AI handed the conversation to the owner.
    pub handoff: bool,
    pub knowledge_gap: bool,
}

/// Conversations of the simulator: analytics is about real customers.
fn simulated() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(conversation::Column::Id)
        .from(conversation::Entity)
        .and_where(conversation::Column::Simulated.eq(true))
        .to_owned()
}

/// Messages of real customers' conversations sent in `[from, to)`, by conversation then id.
pub async fn message_facts(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<MessageFact>, DbErr> {
    let mut facts = message::Entity::find()
        .select_only()
        .columns([
            message::Column::Id,
            message::Column::ConversationId,
            message::Column::SentAt,
            message::Column::LatencyMs,
            message::Column::KnowledgeGap,
        ])
        .column_as(
            Expr::cust(format!(
                "CASE WHEN direction = 'inbound' THEN {CUSTOMER} WHEN sender = 'agent' THEN {OWNER} ELSE {ASSISTANT} END"
            )),
            "author",
        )
        .column_as(Expr::cust("sender = 'ai'"), "ai")
        .column_as(
            Expr::cust("COALESCE(answer_mode = 'handoff', FALSE)"),
            "handoff",
        )
        .filter(message::Column::SentAt.gte(from))
        .filter(message::Column::SentAt.lt(to))
        .filter(message::Column::ConversationId.not_in_subquery(simulated()))
        .into_model::<MessageFact>()
        .all(db)
        .await?;
    // Sorted here rather than by the database: its range index gives time order, and sorting
    // 100,000 pairs of integers costs less than the database's temporary B-tree.
    facts.sort_unstable_by_key(|f| (f.conversation_id, f.id));
    Ok(facts)
}

/// The bodies of these messages.
pub async fn bodies(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, String>, DbErr> {
    let mut out = HashMap::with_capacity(ids.len());
    // Bound parameters are limited (SQLite's default is 32,766): ask in slices.
    for slice in ids.chunks(1_000) {
        let rows: Vec<(i32, String)> = message::Entity::find()
            .select_only()
            .columns([message::Column::Id, message::Column::Body])
            .filter(message::Column::Id.is_in(slice.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Real customers' conversations started in `[from, to)`.
pub async fn new_conversations(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, DbErr> {
    conversation::Entity::find()
        .filter(conversation::Column::CreatedAt.gte(from))
        .filter(conversation::Column::CreatedAt.lt(to))
        .filter(conversation::Column::Simulated.eq(false))
        .count(db)
        .await
}

/// Every provider call in `[from, to)`: simulator and Prompts page calls included, since the
/// provider bills them all.
pub async fn usage(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<llm_usage::Model>, DbErr> {
    llm_usage::Entity::find()
        .filter(llm_usage::Column::CreatedAt.gte(from))
        .filter(llm_usage::Column::CreatedAt.lt(to))
        .order_by_asc(llm_usage::Column::Id)
        .all(db)
        .await
}
