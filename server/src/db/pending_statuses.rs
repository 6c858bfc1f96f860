//! Statuses whose message is not stored yet (see the migration of `pending_statuses`).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use super::entities::pending_status::ActiveModel;
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
