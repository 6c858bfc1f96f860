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
    simulated: bool,
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
        simulated: Set(simulated),
        replied_through: Set(0),
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

/// Filters of the conversation list, already validated.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub ai: Option<bool>,
    pub needs_human: Option<bool>,
    /// Lower-cased text to find in names, phones and messages.
    pub search: Option<String>,
    /// Continue after this (last_message_at, id).
    pub after: Option<(DateTime<Utc>, i32)>,
    pub limit: u64,
}

/// `text` as a LIKE pattern matching it anywhere, with LIKE's own wildcards escaped.
fn contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Newest activity first.
pub async fn list(db: &impl ConnectionTrait, filter: &ListFilter) -> Result<Vec<Model>, DbErr> {
    use sea_orm::sea_query::{Func, LikeExpr, Query};
    use sea_orm::{Condition, QueryOrder, QuerySelect};

    use super::entities::{customer, message};

    let mut condition = Condition::all().add(Column::LastMessageAt.is_not_null());
    if let Some(status) = &filter.status {
        condition = condition.add(Column::Status.eq(status.as_str()));
    }
    if let Some(ai) = filter.ai {
        condition = condition.add(Column::AiEnabled.eq(ai));
    }
    match filter.needs_human {
        Some(true) => condition = condition.add(Column::Handoff.ne("none")),
        Some(false) => condition = condition.add(Column::Handoff.eq("none")),
        None => {}
    }
    if let Some(search) = &filter.search {
        let like = || LikeExpr::new(contains(search)).escape('\\');
        let lower = |col: customer::Column| Expr::expr(Func::lower(Expr::col(col)));
        let customers = Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .cond_where(
                Condition::any()
                    .add(lower(customer::Column::ProfileName).like(like()))
                    .add(lower(customer::Column::DisplayName).like(like()))
                    .add(lower(customer::Column::Phone).like(like()))
                    .add(lower(customer::Column::WaId).like(like())),
            )
            .to_owned();
        let messages = Query::select()
            .column(message::Column::ConversationId)
            .from(message::Entity)
            .and_where(Expr::expr(Func::lower(Expr::col(message::Column::Body))).like(like()))
            .to_owned();
        condition = condition.add(
            Condition::any()
                .add(Column::CustomerId.in_subquery(customers))
                .add(Column::Id.in_subquery(messages)),
        );
    }
    if let Some((at, id)) = filter.after {
        condition = condition.add(
            Condition::any().add(Column::LastMessageAt.lt(at)).add(
                Condition::all()
                    .add(Column::LastMessageAt.eq(at))
                    .add(Column::Id.lt(id)),
            ),
        );
    }
    Entity::find()
        .filter(condition)
        .order_by_desc(Column::LastMessageAt)
        .order_by_desc(Column::Id)
        .limit(filter.limit)
        .all(db)
        .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Sets the status; returns whether the conversation exists.
pub async fn set_status(db: &impl ConnectionTrait, id: i32, status: &str) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_priority(
    db: &impl ConnectionTrait,
    id: i32,
    priority: bool,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Priority, Expr::value(priority))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The conversations of a customer.
pub async fn of_customer(db: &impl ConnectionTrait, customer_id: i32) -> Result<Vec<i32>, DbErr> {
    use sea_orm::QuerySelect;
    Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(db)
        .await
}

/// Clears the unread count; returns whether the conversation exists.
pub async fn mark_read(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::UnreadCount, Expr::value(0))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Takes the conversation's row lock for the rest of the transaction (PostgreSQL; SQLite's
/// write transaction is already exclusive): two replies to one conversation are decided one
/// after the other. Returns the row as it is now.
pub async fn lock(db: &impl ConnectionTrait, id: i32) -> Result<Option<Model>, DbErr> {
    Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    by_id(db, id).await
}

/// Records that everything up to inbound message `through` has been answered.
pub async fn set_replied(db: &impl ConnectionTrait, id: i32, through: i32) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::RepliedThrough, Expr::value(through))
        .filter(Column::Id.eq(id))
        .filter(Column::RepliedThrough.lt(through))
        .exec(db)
        .await
        .map(|_| ())
}

/// Everything the customer wrote so far counts as answered (the owner replied by hand).
pub async fn answered_all(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    if let Some(newest) = super::messages::newest_inbound_id(db, id).await? {
        set_replied(db, id, newest).await?;
    }
    Ok(())
}

/// The conversation goes to a person: marked, and the AI switched off.
pub async fn hand_off(db: &impl ConnectionTrait, id: i32, reason: &str) -> Result<(), DbErr> {
    let reason: String = reason.chars().take(500).collect();
    Entity::update_many()
        .col_expr(Column::Handoff, Expr::value("requested"))
        .col_expr(Column::HandoffReason, Expr::value(reason))
        .col_expr(Column::AiEnabled, Expr::value(false))
        .col_expr(Column::Priority, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Switches the AI on (clearing a hand-off and a pause) or off. Returns whether it exists.
pub async fn set_ai(db: &impl ConnectionTrait, id: i32, enabled: bool) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::AiEnabled, Expr::value(enabled))
        .col_expr(
            Column::AiPausedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
    if enabled {
        update = update
            .col_expr(Column::Handoff, Expr::value("none"))
            .col_expr(Column::HandoffReason, Expr::value(Option::<String>::None));
    }
    let result = update.filter(Column::Id.eq(id)).exec(db).await?;
    Ok(result.rows_affected == 1)
}

/// After the owner replied by hand: the AI pauses until `until`, or stays off (`None`).
pub async fn pause_ai(
    db: &impl ConnectionTrait,
    id: i32,
    until: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let update = match until {
        Some(until) => Entity::update_many().col_expr(Column::AiPausedUntil, Expr::value(until)),
        None => Entity::update_many().col_expr(Column::AiEnabled, Expr::value(false)),
    };
    update.filter(Column::Id.eq(id)).exec(db).await.map(|_| ())
}

/// The conversation of the customer with WhatsApp id `wa_id`, if any.
pub async fn of_wa_id(db: &impl ConnectionTrait, wa_id: &str) -> Result<Option<i32>, DbErr> {
    use super::entities::customer;
    let customers = sea_orm::sea_query::Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::WaId.eq(wa_id))
        .to_owned();
    Ok(Entity::find()
        .filter(Column::CustomerId.in_subquery(customers))
        .one(db)
        .await?
        .map(|c| c.id))
}

/// The simulator's conversations.
pub async fn simulated_ids(db: &impl ConnectionTrait) -> Result<Vec<(i32, i32)>, DbErr> {
    Ok(Entity::find()
        .filter(Column::Simulated.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.customer_id))
        .collect())
}

/// Removes these conversations (their messages must be gone first).
pub async fn delete(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await
        .map(|_| ())
}
