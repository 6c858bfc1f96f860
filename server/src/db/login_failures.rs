//! Failed login attempts, for throttling.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::login_failure::{ActiveModel, Column, Entity};

pub async fn record(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<(), DbErr> {
    ActiveModel {
        email: Set(email.to_owned()),
        ip: Set(ip.to_owned()),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// How many failures `column` = `value` has since `since`, and when the oldest of them was.
pub async fn recent(
    db: &impl ConnectionTrait,
    by_email: bool,
    value: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let column = if by_email { Column::Email } else { Column::Ip };
    let query = Entity::find()
        .filter(column.eq(value))
        .filter(Column::At.gt(since));
    let count = query.clone().count(db).await?;
    let oldest = query
        .order_by_asc(Column::At)
        .one(db)
        .await?
        .map(|row| row.at);
    Ok((count, oldest))
}

/// The email's failures no longer count against it; the rows stay, so they still count
/// against the addresses they came from.
pub async fn forgive_email(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Email, Expr::value(""))
        .filter(Column::Email.eq(email))
        .exec(db)
        .await
        .map(|_| ())
}

/// Every failure of the email, wherever it came from, is gone.
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
