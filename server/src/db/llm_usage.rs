//! The usage ledger: one row per provider call (answered or not), with tokens, cost and latency.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::llm_usage::{ActiveModel, Column, Entity};

/// One call to record.
#[derive(Debug, Clone)]
pub struct NewUsage {
    pub message_id: Option<i32>,
    pub conversation_id: Option<i32>,
    /// "reply" (a customer's answer) or "try" (the Prompts page).
    pub purpose: &'static str,
    pub provider: String,
    pub model: String,
    pub tokens_in: u32,
    pub tokens_out: u32,
    pub cost_micros: i64,
    pub latency_ms: i64,
    pub error: Option<String>,
}

pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<NewUsage>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let clamp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    Entity::insert_many(rows.into_iter().map(|u| ActiveModel {
        message_id: Set(u.message_id),
        conversation_id: Set(u.conversation_id),
        purpose: Set(u.purpose.to_owned()),
        provider: Set(u.provider.chars().take(64).collect()),
        model: Set(u.model.chars().take(128).collect()),
        tokens_in: Set(clamp(u.tokens_in)),
        tokens_out: Set(clamp(u.tokens_out)),
        cost_micros: Set(u.cost_micros),
        latency_ms: Set(i32::try_from(u.latency_ms).unwrap_or(i32::MAX)),
        ok: Set(u.error.is_none()),
        error: Set(u.error),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(db)
    .await
    .map(|_| ())
}

/// Rows since `since`, for totals per day and model (grouped in Rust: day truncation differs
/// between SQLite and PostgreSQL, and a month of calls is a few thousand rows).
pub async fn since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<super::entities::llm_usage::Model>, DbErr> {
    Entity::find()
        .filter(Column::CreatedAt.gte(since))
        .order_by_desc(Column::CreatedAt)
        .all(db)
        .await
}

/// Rows of one conversation.
pub async fn of_conversation(
    db: &impl ConnectionTrait,
    conversation_id: i32,
) -> Result<Vec<super::entities::llm_usage::Model>, DbErr> {
    Entity::find()
        .filter(Column::ConversationId.eq(conversation_id))
        .all(db)
        .await
}

/// Forgets the usage of these conversations (the simulator's, when cleared).
pub async fn delete_for(db: &impl ConnectionTrait, conversation_ids: &[i32]) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ConversationId.is_in(conversation_ids.to_vec()))
        .exec(db)
        .await
        .map(|_| ())
}
