//! Login attempts, for throttling: each is recorded before its password is checked and
//! forgiven when the password was right.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Select, Set, Statement,
};

use super::entities::login_failure::{ActiveModel, Column, Entity};

/// Serialises attempts of one (email, address) pair across connections and replicas, until
/// the transaction ends. SQLite's write transaction already does (one writer at a time).
pub async fn lock_pair(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            // Newlines between the parts: PostgreSQL text cannot hold a NUL.
            [format!("login\n{email}\n{ip}").into()],
        ))
        .await?;
    }
    Ok(())
}

/// Records an attempt; returns its id.
pub async fn record(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    at: DateTime<Utc>,
) -> Result<i32, DbErr> {
    ActiveModel {
        email: Set(email.to_owned()),
        ip: Set(ip.to_owned()),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|row| row.id)
}

/// How many attempts a query finds, and when the latest was.
async fn count_and_latest(
    db: &impl ConnectionTrait,
    query: Select<Entity>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let count = query.clone().count(db).await?;
    let latest = query
        .order_by_desc(Column::At)
        .one(db)
        .await?
        .map(|row| row.at);
    Ok((count, latest))
}

/// Attempts at `email` from `ip` since `since`.
pub async fn recent_pair(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let query = Entity::find()
        .filter(Column::Email.eq(email))
        .filter(Column::Ip.eq(ip))
        .filter(Column::At.gt(since));
    count_and_latest(db, query).await
}

/// Attempts at any email from `ip` since `since`.
pub async fn recent_address(
    db: &impl ConnectionTrait,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let query = Entity::find()
        .filter(Column::Ip.eq(ip))
        .filter(Column::At.gt(since));
    count_and_latest(db, query).await
}

/// Attempts at `email` from anywhere since `since` (forgiven ones no longer carry it).
pub async fn recent_email(
    db: &impl ConnectionTrait,
    email: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let query = Entity::find()
        .filter(Column::Email.eq(email))
        .filter(Column::At.gt(since));
    count_and_latest(db, query).await
}

/// The pair's attempts no longer count against it; the rows stay, so they still count
/// against the address they came from.
pub async fn forgive_pair(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Email, Expr::value(""))
        .filter(Column::Email.eq(email))
        .filter(Column::Ip.eq(ip))
        .exec(db)
        .await
        .map(|_| ())
}

/// An attempt that was no failure (the login succeeded, or the password was never checked).
pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Every attempt at the email, wherever it came from, is gone.
pub async fn clear_email(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::Email.eq(email))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Entity::delete_many()
        .filter(Column::At.lt(before))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}
