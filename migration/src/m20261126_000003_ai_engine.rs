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

/// Adds one column (SQLite's ALTER TABLE adds one at a time).
pub(crate) async fn add(
    m: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    m.alter_table(
        Table::alter()
            .table(table)
            .add_column(&mut column)
            .to_owned(),
    )
    .await
}

pub(crate) async fn remove(
    m: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

fn flag(column: impl IntoIden + 'static, default: bool) -> ColumnDef {
    ColumnDef::new(column)
        .boolean()
        .not_null()
        .default(default)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(
            m,
            Customers::Table,
            ColumnDef::new(Customers::OptedOutAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            m,
            Conversations::Table,
            flag(Conversations::Simulated, false),
        )
        .await?;
        add(
            m,
            Conversations::Table,
            ColumnDef::new(Conversations::RepliedThrough)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        add(
            m,
            PromptTemplates::Table,
            flag(PromptTemplates::KnowledgeOnly, true),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remove(m, PromptTemplates::Table, PromptTemplates::KnowledgeOnly).await?;
        remove(m, Conversations::Table, Conversations::RepliedThrough).await?;
        remove(m, Conversations::Table, Conversations::Simulated).await?;
        remove(m, Customers::Table, Customers::OptedOutAt).await
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
