use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub customer_id: i32,
    pub status: String,
    pub ai_enabled: bool,
    pub handoff: String,
    pub handoff_reason: Option<String>,
    pub ai_paused_until: Option<DateTimeUtc>,
    pub priority: bool,
    pub unread_count: i32,
    pub last_inbound_at: Option<DateTimeUtc>,
    pub last_message_at: Option<DateTimeUtc>,
    pub last_message_preview: Option<String>,
    pub tags: String,
    pub simulated: bool,
    pub replied_through: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
