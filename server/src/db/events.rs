//! The event log behind the dashboard's push: every stored change, in commit order.

use app::model::{Change, PushEvent};
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};

use super::entities::event::{ActiveModel, Column, Entity, Model};

/// The channel every replica listens on (see `realtime::relay`).
pub const CHANNEL: &str = "replydesk_events";

/// Any fixed number: the advisory lock that orders event ids on PostgreSQL.
const EVENT_ORDER_LOCK: i64 = 0x7265_706c_7964;

/// Records `changes` inside the caller's transaction and returns them with their ids.
///
/// Ids must become visible in increasing order, or a client that saw id 11 would skip id 10
/// committed a moment later. On PostgreSQL, concurrent transactions take ids and commit in any
/// order, so the first event insert of a transaction takes a transaction-scoped advisory lock,
/// held until commit: event ids are then handed out in commit order. SQLite has one writer at a
/// time and needs nothing.
pub async fn record(
    txn: &impl ConnectionTrait,
    changes: Vec<Change>,
) -> Result<Vec<PushEvent>, DbErr> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [EVENT_ORDER_LOCK.into()],
        ))
        .await?;
    }
    notify_on_commit(txn).await?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(changes.len());
    for change in &changes {
        rows.push(ActiveModel {
            kind: Set(change.kind().to_owned()),
            payload: Set(serde_json::to_string(change).map_err(|e| DbErr::Custom(e.to_string()))?),
            created_at: Set(now),
            ..Default::default()
        });
    }
    // One statement for all of them; RETURNING gives the ids in insertion order.
    let inserted = Entity::insert_many(rows)
        .exec_with_returning_many(txn)
        .await?;
    let mut ids: Vec<i32> = inserted.into_iter().map(|row| row.id).collect();
    ids.sort_unstable();
    Ok(ids
        .into_iter()
        .zip(changes)
        .map(|(id, change)| PushEvent { id, change })
        .collect())
}

/// Asks PostgreSQL to wake every listening replica when `txn` commits (nothing on SQLite, where
/// one process owns the file).
async fn notify_on_commit(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, '')",
        [CHANNEL.into()],
    ))
    .await
    .map(|_| ())
}

/// Up to `limit` events after `after`, oldest first.
pub async fn after(
    db: &impl ConnectionTrait,
    after: i32,
    limit: u64,
) -> Result<Vec<PushEvent>, DbErr> {
    let rows = Entity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(decode).collect())
}

/// The newest event id (0 when there is none).
pub async fn latest_id(db: &impl ConnectionTrait) -> Result<i32, DbErr> {
    Ok(Entity::find()
        .order_by_desc(Column::Id)
        .one(db)
        .await?
        .map_or(0, |row| row.id))
}

/// Drops events older than `before`: the log is for dashboards catching up after a short
/// absence, not a history (a dashboard gone longer reloads what it shows).
pub async fn prune(db: &impl ConnectionTrait, before: chrono::DateTime<Utc>) -> Result<u64, DbErr> {
    Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Drops every event about these conversations (an erased customer's hand-off reasons, for
/// one, must not outlive them).
pub async fn forget_conversations(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    use sea_orm::Condition;
    for chunk in ids.chunks(200) {
        let mut about = Condition::any();
        for id in chunk {
            // Payloads are serde's JSON of `Change`: the id is followed by `,` or `}`.
            about = about
                .add(Column::Payload.like(format!("%\"conversation_id\":{id},%")))
                .add(Column::Payload.like(format!("%\"conversation_id\":{id}}}%")));
        }
        Entity::delete_many().filter(about).exec(db).await?;
    }
    Ok(())
}

fn decode(row: Model) -> Option<PushEvent> {
    match serde_json::from_str(&row.payload) {
        Ok(change) => Some(PushEvent { id: row.id, change }),
        Err(e) => {
            tracing::warn!(event = row.id, error = %e, "unreadable event skipped");
            None
        }
    }
}
