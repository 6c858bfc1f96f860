//! Retrieval in every language, with meaning as well as words.
//!
//! - `documents.language`: the language a document is written in (ISO 639-1), judged when its
//!   text is read; shown in the library.
//! - `passage_embeddings`: one vector per passage from the configured embeddings model, stored
//!   so a passage is embedded (and paid for) once. `model` names the model that made it: a
//!   passage embedded by another model is embedded again. The vector is little-endian `f32`s.
//!   Derived data: never in backups, rebuilt after a restore.

use sea_orm_migration::prelude::*;

use crate::m20261126_000001_initial_schema::{at, fk, string_null};
use crate::m20261126_000003_ai_engine::{add, remove};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000001_retrieval"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(m, Documents::Table, string_null(Documents::Language, 8)).await?;
        m.create_table(
            Table::create()
                .table(PassageEmbeddings::Table)
                .col(
                    ColumnDef::new(PassageEmbeddings::ChunkId)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PassageEmbeddings::Model).text().not_null())
                .col(ColumnDef::new(PassageEmbeddings::Vector).blob().not_null())
                .col(at(PassageEmbeddings::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_passage_embeddings_chunk",
                    (PassageEmbeddings::Table, PassageEmbeddings::ChunkId),
                    (Chunks::Table, Chunks::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PassageEmbeddings::Table).to_owned())
            .await?;
        remove(m, Documents::Table, Documents::Language).await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Language,
}

#[derive(DeriveIden)]
enum Chunks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PassageEmbeddings {
    Table,
    ChunkId,
    Model,
    Vector,
    CreatedAt,
}
