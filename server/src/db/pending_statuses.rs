//! Statuses whose message is not stored yet (see the migration of `pending_statuses`).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::pending_status::{ActiveModel, Column, Entity, Model};
use super::messages::{ApiError, StatusUpdate};

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
        callback: Set(update.callback.clone()),
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

/// Removes and returns the statuses waiting for `wamid`, oldest first.
pub async fn take(db: &impl ConnectionTrait, wamid: &str) -> Result<Vec<Model>, DbErr> {
    let waiting = Entity::find()
        .filter(Column::Wamid.eq(wamid))
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    if !waiting.is_empty() {
        Entity::delete_many()
            .filter(Column::Wamid.eq(wamid))
            .exec(db)
            .await?;
    }
    Ok(waiting)
}

impl Model {
    /// Back into the shape a webhook delivers.
    pub fn update(&self) -> StatusUpdate {
        StatusUpdate {
            wamid: self.wamid.clone(),
            status: self.status.clone(),
            at: self.at,
            error: (self.error_code.is_some() || self.error_title.is_some()).then(|| ApiError {
                code: self.error_code.map(i64::from),
                title: self.error_title.clone(),
                details: self.error_detail.clone(),
            }),
            callback: self.callback.clone(),
        }
    }
}
