use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub title: String,
    pub original_name: Option<String>,
    pub kind: String,
    pub mime: Option<String>,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub source_text: Option<String>,
    pub extracted_text: Option<String>,
    pub category: Option<String>,
    pub tags: String,
    pub chunk_count: i32,
    pub version: i32,
    /// ISO 639-1 code of the language it is written in (absent in backups made before).
    #[serde(default)]
    pub language: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
