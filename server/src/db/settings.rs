//! Key/value settings. Values are text; callers parse what they store.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use super::entities::setting;

/// Keys used across the server, in one place.
pub mod keys {
    pub const BUSINESS_NAME: &str = "business.name";
    /// IANA time zone of the business (default "UTC"): analytics' days start at its midnight.
    pub const BUSINESS_TIMEZONE: &str = "business.timezone";
    /// Languages the business answers in (JSON list).
    pub const BUSINESS_LANGUAGES: &str = "business.languages";
    /// Days after which messages are deleted (0 or absent: kept).
    pub const RETENTION_DAYS: &str = "retention.days";
    /// Written once, in the same transaction as the first owner: a second setup collides on it.
    pub const SETUP_DONE: &str = "setup.done";
    /// While no owner exists: the token that setup asks for (printed in the server's log).
    /// Removed with the transaction that creates the owner, so it works once.
    pub const SETUP_TOKEN: &str = "setup.token";
    /// WhatsApp messages per second this server sends at most (Meta's default cap is 80).
    pub const OUTBOUND_RATE: &str = "whatsapp.outbound_rate";
    /// Largest upload, in MB (default 10).
    pub const KNOWLEDGE_MAX_FILE_MB: &str = "knowledge.max_file_mb";
    /// Most uploaded files in the library (default 50).
    pub const KNOWLEDGE_MAX_FILES: &str = "knowledge.max_files";
    /// Stemming language of the search index (default "english").
    /// The owner's approved WhatsApp templates (JSON list).
    pub const WA_TEMPLATES: &str = "whatsapp.templates";
}

pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

/// Inserts a key that must not exist yet; fails with a unique violation if it does.
pub async fn insert_new(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    setting::Entity::insert(row(key, value))
        .exec(db)
        .await
        .map(|_| ())
}

/// A whole-number setting within `range`, or `default` when it is unset; a stored value outside
/// the range (written by hand, or by an older version) is logged and replaced by `default`.
pub async fn number(
    db: &impl ConnectionTrait,
    key: &str,
    range: (u32, u32),
    default: u32,
) -> Result<u32, DbErr> {
    let Some(raw) = get(db, key).await? else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(value) if (range.0..=range.1).contains(&value) => Ok(value),
        _ => {
            tracing::warn!(
                key,
                value = raw,
                "setting is not a number from {} to {}; using {default}",
                range.0,
                range.1
            );
            Ok(default)
        }
    }
}

pub async fn set(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    setting::Entity::insert(row(key, value))
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn remove(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    setting::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

fn row(key: &str, value: &str) -> setting::ActiveModel {
    setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        is_secret: Set(false),
        updated_at: Set(Utc::now()),
    }
}
