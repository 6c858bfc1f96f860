//! The owner's account row.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::entities::owner;

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    owner::Entity::find().count(db).await
}

pub async fn by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<owner::Model>, DbErr> {
    owner::Entity::find()
        .filter(owner::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<owner::Model>, DbErr> {
    owner::Entity::find_by_id(id).one(db).await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    email: &str,
    password_hash: String,
) -> Result<owner::Model, DbErr> {
    let now = Utc::now();
    owner::ActiveModel {
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i32,
    password_hash: String,
) -> Result<(), DbErr> {
    owner::ActiveModel {
        id: Set(id),
        password_hash: Set(password_hash),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

pub async fn touch_login(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    owner::ActiveModel {
        id: Set(id),
        last_login_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}
