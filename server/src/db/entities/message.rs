use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub conversation_id: i32,
    pub direction: String,
    pub sender: String,
    pub kind: String,
    pub body: String,
    #[sea_orm(unique)]
    pub wamid: Option<String>,
    pub status: String,
    pub status_at: Option<DateTimeUtc>,
    pub error_code: Option<i32>,
    pub error_title: Option<String>,
    pub error_detail: Option<String>,
    pub reply_to_wamid: Option<String>,
    pub reply_to_id: Option<i32>,
    pub media_id: Option<String>,
    pub media_path: Option<String>,
    pub media_mime: Option<String>,
    pub media_size: Option<i64>,
    pub media_sha256: Option<String>,
    pub media_status: Option<String>,
    pub raw: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: Option<i32>,
    pub tokens_out: Option<i32>,
    pub cost_micros: Option<i64>,
    pub latency_ms: Option<i32>,
    pub cited_chunk_ids: String,
    pub answer_mode: Option<String>,
    pub knowledge_gap: bool,
    pub sent_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
