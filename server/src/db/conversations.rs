//! Conversations: one per customer; closing and reopening changes the status, not the row.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::conversation::{ActiveModel, Column, Entity, Model};

pub const OPEN: &str = "open";

/// The customer's conversation, created if new and reopened if closed or archived.
pub async fn upsert_open(
    db: &impl ConnectionTrait,
    customer_id: i32,
    at: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let row = ActiveModel {
        customer_id: Set(customer_id),
        status: Set(OPEN.to_owned()),
        ai_enabled: Set(true),
        handoff: Set("none".to_owned()),
        handoff_reason: Set(None),
        ai_paused_until: Set(None),
        priority: Set(false),
        unread_count: Set(0),
        last_inbound_at: Set(None),
        last_message_at: Set(None),
        last_message_preview: Set(None),
        tags: Set("[]".to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::CustomerId)
                .update_columns([Column::Status, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_with_returning(db)
        .await
}

/// Records an inbound message sent at `sent_at`. Webhooks arrive out of order, so the times only
/// move forward and the preview is the newest message's.
pub async fn record_inbound(
    db: &impl ConnectionTrait,
    id: i32,
    sent_at: DateTime<Utc>,
    preview: &str,
) -> Result<(), DbErr> {
    let newer = |col: Column| Expr::col(col).is_null().or(Expr::col(col).lte(sent_at));
    let latest = |col: Column| Expr::case(newer(col), Expr::value(sent_at)).finally(Expr::col(col));
    let preview: String = preview.chars().take(200).collect();
    Entity::update_many()
        .col_expr(Column::LastInboundAt, latest(Column::LastInboundAt).into())
        .col_expr(Column::LastMessageAt, latest(Column::LastMessageAt).into())
        .col_expr(
            Column::LastMessagePreview,
            Expr::case(newer(Column::LastMessageAt), Expr::value(preview))
                .finally(Expr::col(Column::LastMessagePreview))
                .into(),
        )
        .col_expr(Column::UnreadCount, Expr::col(Column::UnreadCount).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records an outbound message created at `at` as the conversation's latest.
pub async fn record_outbound(
    db: &impl ConnectionTrait,
    id: i32,
    at: DateTime<Utc>,
    preview: &str,
) -> Result<(), DbErr> {
    let preview: String = preview.chars().take(200).collect();
    Entity::update_many()
        .col_expr(Column::LastMessageAt, Expr::value(at))
        .col_expr(Column::LastMessagePreview, Expr::value(preview))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// A conversation and the customer it is with.
pub async fn with_customer(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(Model, super::entities::customer::Model)>, DbErr> {
    let Some(conversation) = Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let customer = super::entities::customer::Entity::find_by_id(conversation.customer_id)
        .one(db)
        .await?;
    Ok(customer.map(|customer| (conversation, customer)))
}
