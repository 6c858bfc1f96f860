//! Login attempts, for throttling: each is recorded before its password is checked and
//! forgiven when the password was right.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
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

/// Whose attempts to count.
#[derive(Debug, Clone, Copy)]
pub enum Counted<'a> {
    /// At one email from one address.
    Pair { email: &'a str, ip: &'a str },
    /// At any email from one address.
    Address(&'a str),
    /// At one email from anywhere (forgiven ones no longer carry it).
    Email(&'a str),
}

/// How many attempts of `who` were made since `since`, and when the latest was.
pub async fn recent(
    db: &impl ConnectionTrait,
    who: Counted<'_>,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let (email, ip) = match who {
        Counted::Pair { email, ip } => (Some(email), Some(ip)),
        Counted::Address(ip) => (None, Some(ip)),
        Counted::Email(email) => (Some(email), None),
    };
    let mut query = Entity::find().filter(Column::At.gt(since));
    if let Some(email) = email {
        query = query.filter(Column::Email.eq(email));
    }
    if let Some(ip) = ip {
        query = query.filter(Column::Ip.eq(ip));
    }
    let count = query.clone().count(db).await?;
    let latest = query
        .order_by_desc(Column::At)
        .one(db)
        .await?
        .map(|row| row.at);
    Ok((count, latest))
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
