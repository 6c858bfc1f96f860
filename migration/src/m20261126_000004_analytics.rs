//! What analytics needs beyond the initial schema.
//!
//! - `messages.answer_mode`: how an AI message came about ("model", "extractive", "handoff",
//!   "declined"). The provider column alone cannot tell a model's hand-off from its answer.
//! - `messages.knowledge_gap`: the AI message answered a question the knowledge base could not
//!   (no passage, none relevant enough, or a hand-off). Decided when the answer is written, with
//!   the relevance threshold of that moment, so analytics never re-runs searches.

use sea_orm_migration::prelude::*;

use crate::m20261126_000001_initial_schema::{flag, index, string_null};
use crate::m20261126_000003_ai_engine::{add, remove};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000004_analytics"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(m, Messages::Table, string_null(Messages::AnswerMode, 16)).await?;
        add(m, Messages::Table, flag(Messages::KnowledgeGap, false)).await?;
        // Analytics reads messages by the time they were sent (a customer's own timestamp for
        // inbound ones), not by when they were stored.
        m.create_index(index("ix_messages_sent", Messages::Table, &["sent_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_messages_sent")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        remove(m, Messages::Table, Messages::KnowledgeGap).await?;
        remove(m, Messages::Table, Messages::AnswerMode).await
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    AnswerMode,
    KnowledgeGap,
}
