//! Prompt templates: built-ins (with a slug, updated by releases) and the owner's own. Exactly
//! one is active.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::prompt_template::{ActiveModel, Column, Entity, Model};

/// A built-in template as a release ships it (the text lives in `ai::templates`).
pub struct Builtin {
    pub slug: &'static str,
    pub name: &'static str,
    pub industry: &'static str,
    pub body: String,
}

/// Inserts missing built-ins, rewrites those older than `version`, and activates
/// `default_slug` when nothing is active. Safe to run on every start and from two replicas at
/// once (a lost insert race is a unique violation on the slug, retried by the next start).
pub async fn seed(
    db: &impl ConnectionTrait,
    builtins: Vec<Builtin>,
    version: i32,
    default_slug: &str,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let existing = Entity::find()
        .filter(Column::Slug.is_not_null())
        .all(db)
        .await?;
    for builtin in builtins {
        let body = builtin.body;
        match existing
            .iter()
            .find(|row| row.slug.as_deref() == Some(builtin.slug))
        {
            Some(row) if row.builtin_version < version => {
                let mut row: ActiveModel = row.clone().into();
                row.name = Set(builtin.name.to_owned());
                row.industry = Set(Some(builtin.industry.to_owned()));
                row.body = Set(body);
                row.builtin_version = Set(version);
                row.updated_at = Set(now);
                row.update(db).await?;
            }
            Some(_) => {}
            None => {
                let row = ActiveModel {
                    slug: Set(Some(builtin.slug.to_owned())),
                    name: Set(builtin.name.to_owned()),
                    industry: Set(Some(builtin.industry.to_owned())),
                    body: Set(body),
                    is_builtin: Set(true),
                    builtin_version: Set(version),
                    is_active: Set(false),
                    knowledge_only: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                if let Err(e) = Entity::insert(row).exec(db).await {
                    if !matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) {
                        return Err(e);
                    }
                }
            }
        }
    }
    if active(db).await?.is_none() {
        if let Some(default) = Entity::find()
            .filter(Column::Slug.eq(default_slug))
            .one(db)
            .await?
        {
            activate(db, default.id).await?;
        }
    }
    Ok(())
}

/// Built-ins first (by name), then the owner's (newest first).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .order_by_desc(Column::IsBuiltin)
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn active(db: &impl ConnectionTrait) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::IsActive.eq(true))
        .order_by_desc(Column::UpdatedAt)
        .one(db)
        .await
}

/// Makes `id` the only active template; returns whether it exists. Run inside a transaction.
pub async fn activate(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    if Entity::find_by_id(id).one(db).await?.is_none() {
        return Ok(false);
    }
    Entity::update_many()
        .col_expr(Column::IsActive, Expr::value(false))
        .filter(Column::IsActive.eq(true))
        .exec(db)
        .await?;
    Entity::update_many()
        .col_expr(Column::IsActive, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(true)
}

/// A new owner template (inactive).
pub async fn insert(
    db: &impl ConnectionTrait,
    name: &str,
    industry: Option<&str>,
    body: &str,
    knowledge_only: bool,
) -> Result<Model, DbErr> {
    let now = Utc::now();
    ActiveModel {
        slug: Set(None),
        name: Set(name.to_owned()),
        industry: Set(industry.map(str::to_owned)),
        body: Set(body.to_owned()),
        is_builtin: Set(false),
        builtin_version: Set(0),
        is_active: Set(false),
        knowledge_only: Set(knowledge_only),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Rewrites an owner template; built-ins are never changed here. Returns the row, or `None`
/// when there is no such owner template.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i32,
    name: &str,
    industry: Option<&str>,
    body: &str,
    knowledge_only: bool,
) -> Result<Option<Model>, DbErr> {
    let Some(row) = by_id(db, id).await?.filter(|r| !r.is_builtin) else {
        return Ok(None);
    };
    let mut row: ActiveModel = row.into();
    row.name = Set(name.to_owned());
    row.industry = Set(industry.map(str::to_owned));
    row.body = Set(body.to_owned());
    row.knowledge_only = Set(knowledge_only);
    row.updated_at = Set(Utc::now());
    row.update(db).await.map(Some)
}

/// Deletes an owner template that is not active.
pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<u64, DbErr> {
    Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::IsBuiltin.eq(false))
        .filter(Column::IsActive.eq(false))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}
