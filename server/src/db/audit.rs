//! The audit log: one row per owner action.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::audit::{ActiveModel, Column, Entity, Model};

pub async fn record(
    db: &impl ConnectionTrait,
    owner_id: Option<i32>,
    action: &str,
    detail: &str,
    ip: &str,
) -> Result<(), DbErr> {
    Entity::insert(ActiveModel {
        owner_id: Set(owner_id),
        action: Set(action.chars().take(64).collect()),
        detail: Set(detail.chars().take(500).collect()),
        ip: Set(Some(ip.chars().take(64).collect())),
        at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await
    .map(|_| ())
}

/// Up to `limit` entries older than `before`, newest first.
pub async fn page(
    db: &impl ConnectionTrait,
    before: Option<i32>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut query = Entity::find().order_by_desc(Column::Id).limit(limit);
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    query.all(db).await
}
