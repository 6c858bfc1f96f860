//! What the AI reply engine needs beyond the initial schema.
//!
//! - `customers.opted_out_at`: a customer who wrote STOP gets no AI replies and no template sends
//!   until they write START. A timestamp rather than a flag, so the inbox can say since when.
//! - `conversations.simulated`: conversations started from the dashboard's simulator. They run
//!   through the real pipeline, but their outbound messages never reach Meta, and they can be
//!   cleared without touching real customers.
//! - `conversations.replied_through`: the newest inbound message id the AI (or the owner) has
//!   answered. The reply job compares against it, so a retried or duplicated job never answers
//!   the same messages twice.
//! - `prompt_templates.knowledge_only`: the template answers only from the knowledge base, so
//!   the engine hands off when retrieval finds nothing relevant enough.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_ai_engine"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Customers::Table)
                .add_column(
                    ColumnDef::new(Customers::OptedOutAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(
                    ColumnDef::new(Conversations::Simulated)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Conversations::Table)
                .add_column(
                    ColumnDef::new(Conversations::RepliedThrough)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PromptTemplates::Table)
                .add_column(
                    ColumnDef::new(PromptTemplates::KnowledgeOnly)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PromptTemplates::Table)
                .drop_column(PromptTemplates::KnowledgeOnly)
                .to_owned(),
        )
        .await?;
        for column in [Conversations::Simulated, Conversations::RepliedThrough] {
            m.alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Customers::Table)
                .drop_column(Customers::OptedOutAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    OptedOutAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Simulated,
    RepliedThrough,
}

#[derive(DeriveIden)]
enum PromptTemplates {
    Table,
    KnowledgeOnly,
}
