use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "passage_embeddings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chunk_id: i32,
    pub model: String,
    /// Little-endian `f32`s.
    pub vector: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
