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

/// Turns two-step sign-in on (`Some`: the secret, the step of the code that proved it, the
/// recovery codes' hashes as JSON) or off (`None`).
pub async fn set_two_factor(
    db: &impl ConnectionTrait,
    id: i32,
    two_factor: Option<(String, i64, String)>,
) -> Result<(), DbErr> {
    let (secret, step, recovery) = match two_factor {
        Some((secret, step, recovery)) => (Some(secret), Some(step), Some(recovery)),
        None => (None, None, None),
    };
    owner::ActiveModel {
        id: Set(id),
        totp_secret: Set(secret),
        totp_last_step: Set(step),
        recovery_codes: Set(recovery),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

/// Records that a code of time step `step` was used, if no code of that step or a later one
/// was: `false` means a replay (or a race lost to the same code).
pub async fn take_totp_step(db: &impl ConnectionTrait, id: i32, step: i64) -> Result<bool, DbErr> {
    use sea_orm::sea_query::{Condition, Expr};
    let result = owner::Entity::update_many()
        .col_expr(owner::Column::TotpLastStep, Expr::value(step))
        .filter(owner::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(owner::Column::TotpLastStep.is_null())
                .add(owner::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the recovery codes' hashes, only if they are still `expected` (two logins racing
/// with the same code: one wins).
pub async fn swap_recovery_codes(
    db: &impl ConnectionTrait,
    id: i32,
    expected: &str,
    remaining: &str,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let result = owner::Entity::update_many()
        .col_expr(owner::Column::RecoveryCodes, Expr::value(remaining))
        .filter(owner::Column::Id.eq(id))
        .filter(owner::Column::RecoveryCodes.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
