use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "pending_statuses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub wamid: String,
    pub status: String,
    pub at: Option<DateTimeUtc>,
    pub error_code: Option<i32>,
    pub error_title: Option<String>,
    pub error_detail: Option<String>,
    pub callback: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
