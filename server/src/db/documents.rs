//! Knowledge documents: uploaded files and entries written in the dashboard.
//!
//! Lists never load `extracted_text` or `source_text` (up to megabytes each): they select the
//! [`Summary`] columns only.

use app::model::{is_file_kind, ENTRY_KINDS};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::document::{ActiveModel, Column, Entity, Model};
use super::{encode_tags, parse_tags};

pub mod status {
    pub const PROCESSING: &str = "processing";
    pub const READY: &str = "ready";
    pub const ERROR: &str = "error";
}

/// A document without its text.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Summary {
    pub id: i32,
    pub storage_key: String,
    pub title: String,
    pub original_name: Option<String>,
    pub kind: String,
    pub mime: Option<String>,
    pub size_bytes: i64,
    pub status: String,
    pub error: Option<String>,
    pub category: Option<String>,
    pub tags: String,
    pub chunk_count: i32,
    pub version: i32,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Summary {
    pub fn is_file(&self) -> bool {
        is_file_kind(&self.kind)
    }

    pub fn tag_list(&self) -> Vec<String> {
        parse_tags(&self.tags)
    }
}

fn summaries() -> sea_orm::Select<Entity> {
    Entity::find().select_only().columns([
        Column::Id,
        Column::StorageKey,
        Column::Title,
        Column::OriginalName,
        Column::Kind,
        Column::Mime,
        Column::SizeBytes,
        Column::Status,
        Column::Error,
        Column::Category,
        Column::Tags,
        Column::ChunkCount,
        Column::Version,
        Column::Language,
        Column::CreatedAt,
        Column::UpdatedAt,
    ])
}

/// Every document, newest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Summary>, DbErr> {
    summaries()
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .into_model::<Summary>()
        .all(db)
        .await
}

pub async fn summary(db: &impl ConnectionTrait, id: i32) -> Result<Option<Summary>, DbErr> {
    summaries()
        .filter(Column::Id.eq(id))
        .into_model::<Summary>()
        .one(db)
        .await
}

/// Ready documents: what the search index must hold.
pub async fn ready(db: &impl ConnectionTrait) -> Result<Vec<Summary>, DbErr> {
    summaries()
        .filter(Column::Status.eq(status::READY))
        .order_by_asc(Column::Id)
        .into_model::<Summary>()
        .all(db)
        .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Uploaded files (entries do not count against the document limit).
pub async fn count_files(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::Kind.is_not_in(ENTRY_KINDS))
        .count(db)
        .await
}

/// The file already stored with this content, if any.
pub async fn with_sha256(db: &impl ConnectionTrait, sha: &str) -> Result<Option<Summary>, DbErr> {
    summaries()
        .filter(Column::Sha256.eq(sha))
        .into_model::<Summary>()
        .one(db)
        .await
}

/// What a new document is made of.
pub struct NewDocument {
    pub storage_key: String,
    pub title: String,
    pub original_name: Option<String>,
    pub kind: String,
    pub mime: Option<String>,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    pub source_text: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewDocument) -> Result<Model, DbErr> {
    let now = Utc::now();
    ActiveModel {
        storage_key: Set(new.storage_key),
        title: Set(new.title),
        original_name: Set(new.original_name),
        kind: Set(new.kind),
        mime: Set(new.mime),
        size_bytes: Set(new.size_bytes),
        sha256: Set(new.sha256),
        status: Set(status::PROCESSING.to_owned()),
        error: Set(None),
        source_text: Set(new.source_text),
        extracted_text: Set(None),
        category: Set(new.category),
        tags: Set(encode_tags(&new.tags)),
        chunk_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A new file for an existing document.
pub struct NewFile {
    pub storage_key: String,
    pub original_name: String,
    pub kind: String,
    pub mime: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A new file for an existing document: a new version, processed again. Returns the new version.
pub async fn replace_file(
    db: &impl ConnectionTrait,
    current: &Summary,
    file: NewFile,
) -> Result<i32, DbErr> {
    let changes = ActiveModel {
        storage_key: Set(file.storage_key),
        original_name: Set(Some(file.original_name)),
        kind: Set(file.kind),
        mime: Set(Some(file.mime)),
        size_bytes: Set(file.size_bytes),
        sha256: Set(Some(file.sha256)),
        ..Default::default()
    };
    new_version(db, current, changes).await
}

/// New text for a written entry: a new version, processed again. Returns the new version.
pub async fn replace_entry(
    db: &impl ConnectionTrait,
    current: &Summary,
    title: String,
    body: String,
    category: Option<String>,
    tags: &[String],
) -> Result<i32, DbErr> {
    let changes = ActiveModel {
        title: Set(title),
        size_bytes: Set(body.len() as i64),
        source_text: Set(Some(body)),
        category: Set(category),
        tags: Set(encode_tags(tags)),
        ..Default::default()
    };
    new_version(db, current, changes).await
}

/// Applies `changes` as the document's next version, back to processing.
async fn new_version(
    db: &impl ConnectionTrait,
    current: &Summary,
    mut changes: ActiveModel,
) -> Result<i32, DbErr> {
    let version = current.version + 1;
    changes.id = Set(current.id);
    changes.status = Set(status::PROCESSING.to_owned());
    changes.error = Set(None);
    changes.version = Set(version);
    changes.updated_at = Set(Utc::now());
    changes.update(db).await?;
    Ok(version)
}

pub async fn update_meta(
    db: &impl ConnectionTrait,
    id: i32,
    title: String,
    category: Option<String>,
    tags: &[String],
) -> Result<(), DbErr> {
    ActiveModel {
        id: Set(id),
        title: Set(title),
        category: Set(category),
        tags: Set(encode_tags(tags)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

/// Stores the extracted text of `version` (ignored if the document moved on since).
pub async fn store_text(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
    text: &str,
    passages: i32,
    language: &str,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::ExtractedText, Expr::value(text))
        .col_expr(Column::ChunkCount, Expr::value(passages))
        .col_expr(Column::Language, Expr::value(language))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The titles of the ready documents among `ids`.
pub async fn ready_titles(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i32, String)> = Entity::find()
        .select_only()
        .columns([Column::Id, Column::Title])
        .filter(Column::Id.is_in(ids))
        .filter(Column::Status.eq(status::READY))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Ends processing of `version`: ready, or error with the reason. False if the document moved on.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(if error.is_some() {
                status::ERROR
            } else {
                status::READY
            }),
        )
        .col_expr(Column::Error, Expr::value(error.map(str::to_owned)))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
    if error.is_some() {
        update = update
            .col_expr(Column::ExtractedText, Expr::value(None::<String>))
            .col_expr(Column::ChunkCount, Expr::value(0));
    }
    let result = update
        .filter(Column::Id.eq(id))
        .filter(Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    Ok(Entity::delete_by_id(id).exec(db).await?.rows_affected == 1)
}
