//! Messages, inbound and outbound.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TryInsertResult,
};

use app::model::AiDetails;
use serde_json::Value;

use super::entities::message::{ActiveModel, Column, Entity, Model};

/// One inbound message, as stored (parsed from a webhook by `whatsapp::payload`).
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub wamid: String,
    /// The customer: `wa_id` / `from`, or the business-scoped user id of a username-only user.
    pub from: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Our kind: the WhatsApp type, or "unsupported" for types we do not know.
    pub kind: String,
    /// A readable text for the thread, previews and search.
    pub body: String,
    /// The message this one replies to, quotes or reacts to.
    pub reply_to: Option<String>,
    pub media: Option<Media>,
    /// The whole message object, for what the columns do not hold.
    pub raw: Value,
    /// The business number the customer wrote to (`value.metadata`).
    pub to: Option<BusinessNumber>,
}

/// One of the business's WhatsApp numbers, as a webhook names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessNumber {
    pub phone_number_id: String,
    /// `display_phone_number`, e.g. 15550001234.
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

/// A delivery status of one of our outbound messages.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub wamid: String,
    pub status: String,
    pub at: Option<DateTime<Utc>>,
    pub error: Option<ApiError>,
    /// `biz_opaque_callback_data` we set when sending, echoed by Meta.
    pub callback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub details: Option<String>,
}

/// Delivery statuses of outbound messages in the order they may follow each other. A status
/// only ever replaces one ranked below it: a late "delivered" never overwrites "read". "failed"
/// can follow "sent" but does not undo a delivery.
const STATUS_ORDER: &[&str] = &[
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "read",
    "played",
];

fn rank(status: &str) -> Option<usize> {
    STATUS_ORDER.iter().position(|s| *s == status)
}

/// Stores an inbound message unless its WhatsApp id is already stored. Returns the new row's id,
/// or `None` for a duplicate (Meta's retries are normal).
pub async fn insert_inbound(
    db: &impl ConnectionTrait,
    conversation_id: i32,
    message: &InboundMessage,
    reply_to_id: Option<i32>,
) -> Result<Option<i32>, DbErr> {
    let now = Utc::now();
    let media = message.media.as_ref();
    let row = ActiveModel {
        conversation_id: Set(conversation_id),
        direction: Set("inbound".to_owned()),
        sender: Set("customer".to_owned()),
        kind: Set(message.kind.clone()),
        body: Set(message.body.clone()),
        wamid: Set(Some(message.wamid.clone())),
        status: Set("received".to_owned()),
        status_at: Set(None),
        error_code: Set(None),
        error_title: Set(None),
        error_detail: Set(None),
        reply_to_wamid: Set(message.reply_to.clone()),
        reply_to_id: Set(reply_to_id),
        media_id: Set(media.map(|m| m.id.clone())),
        media_path: Set(None),
        media_mime: Set(media.and_then(|m| m.mime_type.clone())),
        media_size: Set(None),
        media_sha256: Set(media.and_then(|m| m.sha256.clone())),
        media_status: Set(media.map(|_| "pending".to_owned())),
        raw: Set(Some(message.raw.to_string())),
        provider: Set(None),
        model: Set(None),
        tokens_in: Set(None),
        tokens_out: Set(None),
        cost_micros: Set(None),
        latency_ms: Set(None),
        cited_chunk_ids: Set("[]".to_owned()),
        sent_at: Set(message.sent_at.unwrap_or(now).min(now)),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Wamid).do_nothing().to_owned())
        .do_nothing()
        .exec(db)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(result) => Some(result.last_insert_id),
        TryInsertResult::Conflicted | TryInsertResult::Empty => None,
    })
}

pub async fn by_wamid(db: &impl ConnectionTrait, wamid: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::Wamid.eq(wamid)).one(db).await
}

/// A new outbound message, waiting for its send job.
pub struct NewOutbound<'a> {
    pub conversation_id: i32,
    /// "agent" (the owner) or "ai".
    pub sender: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    /// What to send, as JSON (a `whatsapp::client::Content`).
    pub content: String,
    pub reply_to_wamid: Option<String>,
    /// How the AI wrote it (AI messages only).
    pub ai: Option<AiDetails>,
}

pub async fn insert_outbound(
    db: &impl ConnectionTrait,
    new: NewOutbound<'_>,
) -> Result<Model, DbErr> {
    let now = Utc::now();
    ActiveModel {
        conversation_id: Set(new.conversation_id),
        direction: Set("outbound".to_owned()),
        sender: Set(new.sender.to_owned()),
        kind: Set(new.kind.to_owned()),
        body: Set(new.body.to_owned()),
        wamid: Set(None),
        status: Set("queued".to_owned()),
        reply_to_wamid: Set(new.reply_to_wamid),
        raw: Set(Some(new.content)),
        provider: Set(new.ai.as_ref().map(|a| a.provider.clone())),
        model: Set(new.ai.as_ref().and_then(|a| a.model.clone())),
        tokens_in: Set(new.ai.as_ref().map(|a| a.tokens_in)),
        tokens_out: Set(new.ai.as_ref().map(|a| a.tokens_out)),
        cost_micros: Set(new.ai.as_ref().map(|a| a.cost_micros)),
        latency_ms: Set(new.ai.as_ref().map(|a| a.latency_ms)),
        cited_chunk_ids: Set(new
            .ai
            .as_ref()
            .and_then(|a| serde_json::to_string(&a.passages).ok())
            .unwrap_or_else(|| "[]".to_owned())),
        answer_mode: Set(new
            .ai
            .as_ref()
            .and_then(|a| a.mode.as_ref())
            .map(|m| m.as_str().to_owned())),
        knowledge_gap: Set(new.ai.as_ref().is_some_and(|a| a.knowledge_gap)),
        sent_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Up to `limit` messages of a conversation before message id `before`, newest first.
pub async fn page(
    db: &impl ConnectionTrait,
    conversation_id: i32,
    before: Option<i32>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut query = Entity::find().filter(Column::ConversationId.eq(conversation_id));
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    query.order_by_desc(Column::Id).limit(limit).all(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Moves an outbound message from `from` to `to` (the send job's own transitions, which may go
/// back from "sending" to "queued" when Meta refused with a retryable error). Returns whether the
/// message was in `from`.
pub async fn transition(
    db: &impl ConnectionTrait,
    id: i32,
    from: &str,
    to: &str,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .set(ActiveModel {
            status: Set(to.to_owned()),
            status_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Meta accepted the message under `wamid`. Only a message without an id yet takes one.
pub async fn mark_sent(db: &impl ConnectionTrait, id: i32, wamid: &str) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .set(ActiveModel {
            wamid: Set(Some(wamid.to_owned())),
            status: Set("sent".to_owned()),
            status_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(Column::Id.eq(id))
        .filter(Column::Wamid.is_null())
        .filter(Column::Status.is_in(["queued", "sending"]))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i32,
    code: Option<i32>,
    title: &str,
    detail: Option<String>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .set(ActiveModel {
            status: Set("failed".to_owned()),
            status_at: Set(Some(Utc::now())),
            error_code: Set(code),
            error_title: Set(Some(error_title(title))),
            error_detail: Set(detail),
            ..Default::default()
        })
        .filter(Column::Id.eq(id))
        .filter(Column::Wamid.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// An inbound file is stored under `DATA_DIR` at `path`.
pub async fn media_ready(
    db: &impl ConnectionTrait,
    id: i32,
    path: &str,
    mime: Option<String>,
    size: i64,
    sha256: &str,
) -> Result<(), DbErr> {
    Entity::update_many()
        .set(ActiveModel {
            media_path: Set(Some(path.to_owned())),
            media_mime: Set(mime),
            media_size: Set(Some(size)),
            media_sha256: Set(Some(sha256.to_owned())),
            media_status: Set(Some("ready".to_owned())),
            ..Default::default()
        })
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// An inbound file could not be downloaded; `reason` is shown on the message.
/// The shown reason as stored: its column holds 256 characters.
fn error_title(text: &str) -> String {
    text.chars().take(256).collect()
}

/// A note shown under an inbound message (why it was not answered, say).
pub async fn set_note(db: &impl ConnectionTrait, id: i32, note: &str) -> Result<(), DbErr> {
    annotate(db, id, note, None).await
}

/// Stores the note shown under an inbound message, and its file's new state if any.
async fn annotate(
    db: &impl ConnectionTrait,
    id: i32,
    note: &str,
    media_status: Option<&str>,
) -> Result<(), DbErr> {
    let mut row = ActiveModel {
        error_title: Set(Some(error_title(note))),
        ..Default::default()
    };
    if let Some(status) = media_status {
        row.media_status = Set(Some(status.to_owned()));
    }
    Entity::update_many()
        .set(row)
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn media_failed(db: &impl ConnectionTrait, id: i32, reason: &str) -> Result<(), DbErr> {
    annotate(db, id, reason, Some("failed")).await
}

/// Whether the newest outbound message that WhatsApp either accepted or refused for an invalid
/// token was refused: then nothing will be sent until the token is replaced.
pub async fn token_rejected(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    use sea_orm::{Condition, QueryOrder};
    let latest = Entity::find()
        .filter(Column::Direction.eq("outbound"))
        .filter(
            Condition::any()
                .add(Column::Wamid.is_not_null())
                .add(Column::ErrorCode.eq(190)),
        )
        .order_by_desc(Column::Id)
        .one(db)
        .await?;
    Ok(latest.is_some_and(|m| m.error_code == Some(190) && m.wamid.is_none()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Applied {
        message_id: i32,
        conversation_id: i32,
    },
    /// The message already has this status or a later one.
    Stale,
    /// No message has this id (yet).
    Unknown,
    /// A status name we do not know; ignored.
    Unrecognised,
}

/// Moves an outbound message's delivery status forward.
pub async fn apply_status(
    db: &impl ConnectionTrait,
    update: &StatusUpdate,
) -> Result<StatusOutcome, DbErr> {
    let Some(new_rank) = rank(&update.status) else {
        return Ok(StatusOutcome::Unrecognised);
    };
    let Some(message) = by_wamid(db, &update.wamid).await? else {
        return Ok(StatusOutcome::Unknown);
    };
    let error = update.error.as_ref();
    let result = Entity::update_many()
        .set(ActiveModel {
            status: Set(update.status.clone()),
            status_at: Set(Some(update.at.unwrap_or_else(Utc::now))),
            error_code: Set(error
                .and_then(|e| e.code)
                .and_then(|c| i32::try_from(c).ok())),
            error_title: Set(error.and_then(|e| e.title.clone())),
            error_detail: Set(error.and_then(|e| e.details.clone())),
            ..Default::default()
        })
        .filter(Column::Id.eq(message.id))
        .filter(Column::Direction.eq("outbound"))
        // Checked in the statement, not before it: a concurrent delivery may have moved it on.
        .filter(Column::Status.is_in(STATUS_ORDER[..new_rank].iter().copied()))
        .exec(db)
        .await?;
    Ok(if result.rows_affected > 0 {
        StatusOutcome::Applied {
            message_id: message.id,
            conversation_id: message.conversation_id,
        }
    } else {
        StatusOutcome::Stale
    })
}

/// The id of the customer's newest message in a conversation.
pub async fn newest_inbound_id(
    db: &impl ConnectionTrait,
    conversation_id: i32,
) -> Result<Option<i32>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::ConversationId.eq(conversation_id))
        .filter(Column::Direction.eq("inbound"))
        .order_by_desc(Column::Id)
        .into_tuple::<i32>()
        .one(db)
        .await
}

/// The latest `limit` of the customer's messages with `after < id <= through`, oldest first:
/// one burst to answer.
pub async fn latest_inbound_between(
    db: &impl ConnectionTrait,
    conversation_id: i32,
    after: i32,
    through: i32,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut latest = Entity::find()
        .filter(Column::ConversationId.eq(conversation_id))
        .filter(Column::Direction.eq("inbound"))
        .filter(Column::Id.gt(after))
        .filter(Column::Id.lte(through))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    latest.reverse();
    Ok(latest)
}

/// How many messages of these conversations came in and went out.
pub async fn counts(
    db: &impl ConnectionTrait,
    conversation_ids: &[i32],
) -> Result<(u64, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let of = |direction: &'static str| {
        Entity::find()
            .filter(Column::ConversationId.is_in(conversation_ids.to_vec()))
            .filter(Column::Direction.eq(direction))
    };
    Ok((
        of("inbound").count(db).await?,
        of("outbound").count(db).await?,
    ))
}

/// Every message of a conversation, oldest first (exports).
pub async fn all_of(db: &impl ConnectionTrait, conversation_id: i32) -> Result<Vec<Model>, DbErr> {
    use sea_orm::QueryOrder;
    Entity::find()
        .filter(Column::ConversationId.eq(conversation_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// The stored files (`media/…`, relative to the data folder) of these conversations.
pub async fn media_paths(
    db: &impl ConnectionTrait,
    conversation_ids: &[i32],
) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    let paths: Vec<Option<String>> = Entity::find()
        .select_only()
        .column(Column::MediaPath)
        .filter(Column::ConversationId.is_in(conversation_ids.to_vec()))
        .filter(Column::MediaPath.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(paths.into_iter().flatten().collect())
}

/// A failed outbound message back to `queued`, its error cleared; whether it was failed.
pub async fn requeue(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let result = Entity::update_many()
        .col_expr(Column::Status, Expr::value("queued"))
        .col_expr(Column::StatusAt, Expr::value(Utc::now()))
        .col_expr(Column::ErrorCode, Expr::value(Option::<i32>::None))
        .col_expr(Column::ErrorTitle, Expr::value(Option::<String>::None))
        .col_expr(Column::ErrorDetail, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Direction.eq("outbound"))
        .filter(Column::Status.eq("failed"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Removes every message of these conversations (the simulator's, when cleared).
pub async fn delete_for(db: &impl ConnectionTrait, conversation_ids: &[i32]) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ConversationId.is_in(conversation_ids.to_vec()))
        .exec(db)
        .await
        .map(|_| ())
}

/// Up to `limit` messages sent before `cutoff`: ids and stored files.
pub async fn sent_before(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i32, Option<String>)>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    Entity::find()
        .select_only()
        .columns([Column::Id, Column::MediaPath])
        .filter(Column::SentAt.lt(cutoff))
        .order_by_asc(Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

pub async fn delete_ids(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected)
}

/// Bytes of customers' files on disk: everyone's, and those of the customer of
/// `conversation_id` (all their conversations).
pub async fn media_bytes_used(
    db: &impl ConnectionTrait,
    conversation_id: i32,
) -> Result<(u64, u64), DbErr> {
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::QuerySelect;

    use super::entities::conversation;

    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to read it as an integer.
    let bytes = |query: sea_orm::Select<Entity>| async move {
        query
            .filter(Column::MediaStatus.eq("ready"))
            .select_only()
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(media_size), 0) AS BIGINT)"),
                "bytes",
            )
            .into_tuple::<i64>()
            .one(db)
            .await
            .map(|sum| u64::try_from(sum.unwrap_or(0)).unwrap_or(0))
    };
    let customer = Query::select()
        .column(conversation::Column::CustomerId)
        .from(conversation::Entity)
        .and_where(Expr::col(conversation::Column::Id).eq(conversation_id))
        .to_owned();
    let conversations = Query::select()
        .column(conversation::Column::Id)
        .from(conversation::Entity)
        .and_where(Expr::col(conversation::Column::CustomerId).in_subquery(customer))
        .to_owned();
    let total = bytes(Entity::find()).await?;
    let theirs =
        bytes(Entity::find().filter(Column::ConversationId.in_subquery(conversations))).await?;
    Ok((total, theirs))
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn statuses_only_move_forward() {
        assert!(rank("read") > rank("delivered"));
        assert!(rank("failed") > rank("sent"));
        assert!(rank("delivered") > rank("failed"));
        assert!(rank("played") > rank("read"));
        assert_eq!(rank("warning"), None);
    }
}
