//! Statuses whose message is not stored yet (see the migration of `pending_statuses`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::entities::pending_status::{ActiveModel, Column, Entity};
use crate::whatsapp::payload::StatusUpdate;

pub async fn insert(db: &impl ConnectionTrait, update: &StatusUpdate) -> Result<(), DbErr> {
    let error = update.error.as_ref();
    ActiveModel {
        wamid: Set(update.wamid.clone()),
        status: Set(update.status.clone()),
        at: Set(update.at),
        error_code: Set(error
            .and_then(|e| e.code)
            .and_then(|c| i32::try_from(c).ok())),
        error_title: Set(error.and_then(|e| e.title.clone())),
        error_detail: Set(error.and_then(|e| e.details.clone())),
        received_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Drops statuses older than `before` whose message never appeared.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Entity::delete_many()
        .filter(Column::ReceivedAt.lt(before))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}
