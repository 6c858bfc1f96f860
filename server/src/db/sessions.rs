//! Session rows behind tower-sessions (see `auth::session_store`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::session::{ActiveModel, Column, Entity, Model};

pub struct SessionRow<'a> {
    pub id: &'a str,
    pub owner_id: Option<i32>,
    pub data: String,
    pub expires_at: DateTime<Utc>,
}

fn active(row: SessionRow<'_>) -> ActiveModel {
    ActiveModel {
        id: Set(row.id.to_owned()),
        owner_id: Set(row.owner_id),
        data: Set(row.data),
        expires_at: Set(row.expires_at),
    }
}

/// Inserts a new session; a unique violation means the id is taken.
pub async fn insert(db: &impl ConnectionTrait, row: SessionRow<'_>) -> Result<(), DbErr> {
    Entity::insert(active(row)).exec(db).await.map(|_| ())
}

pub async fn upsert(db: &impl ConnectionTrait, row: SessionRow<'_>) -> Result<(), DbErr> {
    Entity::insert(active(row))
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns([Column::OwnerId, Column::Data, Column::ExpiresAt])
                .to_owned(),
        )
        .exec(db)
        .await
        .map(|_| ())
}

/// A session that has not expired.
pub async fn live(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id.to_owned())
        .filter(Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends every session of `owner_id`, except `keep` (the caller's own, after a password change).
pub async fn delete_for_owner(
    db: &impl ConnectionTrait,
    owner_id: i32,
    keep: Option<&str>,
) -> Result<u64, DbErr> {
    let mut query = Entity::delete_many().filter(Column::OwnerId.eq(owner_id));
    if let Some(keep) = keep {
        query = query.filter(Column::Id.ne(keep));
    }
    query.exec(db).await.map(|r| r.rows_affected)
}

pub async fn delete_expired(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::delete_many()
        .filter(Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}
