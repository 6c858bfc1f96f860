//! The rows analytics reads: a few columns of every message in a range (never bodies, so
//! 100,000 messages stay a few megabytes), bodies only for the questions that found no answer,
//! and the usage ledger. Figures are computed in Rust (`crate::analytics`): day boundaries are
//! in the business's time zone, which SQLite cannot do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{conversation, llm_usage, message};

/// What analytics needs of a message.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MessageFact {
    pub id: i32,
    pub conversation_id: i32,
    pub direction: String,
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    pub latency_ms: Option<i32>,
    pub answer_mode: Option<String>,
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
    message::Entity::find()
        .select_only()
        .columns([
            message::Column::Id,
            message::Column::ConversationId,
            message::Column::Direction,
            message::Column::Sender,
            message::Column::SentAt,
            message::Column::LatencyMs,
            message::Column::AnswerMode,
            message::Column::KnowledgeGap,
        ])
        .filter(message::Column::SentAt.gte(from))
        .filter(message::Column::SentAt.lt(to))
        .filter(message::Column::ConversationId.not_in_subquery(simulated()))
        .order_by_asc(message::Column::ConversationId)
        .order_by_asc(message::Column::Id)
        .into_model::<MessageFact>()
        .all(db)
        .await
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
