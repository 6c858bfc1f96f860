//! Customers: people who wrote to the business on WhatsApp.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use super::entities::customer::{ActiveModel, Column, Entity, Model};

/// A phone number for ids that are one (digits only); username-style ids have none.
fn phone_of(wa_id: &str) -> Option<String> {
    (!wa_id.is_empty() && wa_id.bytes().all(|b| b.is_ascii_digit())).then(|| format!("+{wa_id}"))
}

/// Creates the customer or marks them seen; a new profile name replaces the old one, a missing
/// one keeps it.
pub async fn upsert_seen(
    db: &impl ConnectionTrait,
    wa_id: &str,
    profile_name: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let row = ActiveModel {
        wa_id: Set(wa_id.to_owned()),
        phone: Set(phone_of(wa_id)),
        profile_name: Set(profile_name.map(str::to_owned)),
        display_name: Set(None),
        notes: Set(String::new()),
        tags: Set("[]".to_owned()),
        first_seen_at: Set(at),
        last_seen_at: Set(at),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let rows = Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::WaId)
                .update_columns([Column::LastSeenAt, Column::UpdatedAt])
                .value(
                    Column::ProfileName,
                    Expr::cust("COALESCE(excluded.profile_name, customers.profile_name)"),
                )
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(rows)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Entity::find().filter(Column::Id.is_in(ids)).all(db).await
}

/// Opts the customer out (`Some(when)`) or back in (`None`).
pub async fn set_opted_out(
    db: &impl ConnectionTrait,
    id: i32,
    at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Entity::update_many()
        .col_expr(Column::OptedOutAt, Expr::value(at))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// The owner's name for the customer (`None` clears it), notes and tags.
pub async fn set_details(
    db: &impl ConnectionTrait,
    id: i32,
    display_name: Option<String>,
    notes: &str,
    tags: &[String],
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Entity::update_many()
        .col_expr(Column::DisplayName, Expr::value(display_name))
        .col_expr(Column::Notes, Expr::value(notes))
        .col_expr(Column::Tags, Expr::value(super::encode_tags(tags)))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// What erasing customers removed.
pub struct Erased {
    pub conversation_ids: Vec<i32>,
    /// Their stored files, relative to the data folder: delete them once the rows are gone.
    pub media_paths: Vec<String>,
}

/// Deletes these customers and everything of theirs: conversations, messages, AI usage rows.
pub async fn erase(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Erased, DbErr> {
    use super::entities::conversation;
    use super::{llm_usage, messages};
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let conversation_ids: Vec<i32> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .filter(conversation::Column::CustomerId.is_in(ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    let media_paths = messages::media_paths(db, &conversation_ids).await?;
    llm_usage::delete_for(db, &conversation_ids).await?;
    super::events::forget_conversations(db, &conversation_ids).await?;
    messages::delete_for(db, &conversation_ids).await?;
    super::conversations::delete(db, &conversation_ids).await?;
    delete(db, ids).await?;
    Ok(Erased {
        conversation_ids,
        media_paths,
    })
}

/// Removes these customers (the simulator's test customers, when cleared).
pub async fn delete(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Entity::delete_many()
        .filter(Column::Id.is_in(ids.to_vec()))
        .exec(db)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_only_for_numeric_ids() {
        assert_eq!(
            super::phone_of("5511987654321").as_deref(),
            Some("+5511987654321")
        );
        assert_eq!(super::phone_of("US.13491208655302741918"), None);
        assert_eq!(super::phone_of(""), None);
    }
}
