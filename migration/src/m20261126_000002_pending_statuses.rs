//! Statuses that arrive before we know their message.
//!
//! A send stores the WhatsApp id Meta answers with; the "sent" webhook for it can arrive before
//! that row is committed. Such a status waits here and is applied when the id is stored. Statuses
//! of messages we never sent (another app on the same number) wait in vain and are pruned.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000002_pending_statuses"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PendingStatuses::Table)
                .col(
                    ColumnDef::new(PendingStatuses::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PendingStatuses::Wamid)
                        .string_len(128)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PendingStatuses::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PendingStatuses::At)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(PendingStatuses::ErrorCode).integer().null())
                .col(
                    ColumnDef::new(PendingStatuses::ErrorTitle)
                        .string_len(256)
                        .null(),
                )
                .col(ColumnDef::new(PendingStatuses::ErrorDetail).text().null())
                .col(
                    ColumnDef::new(PendingStatuses::Callback)
                        .string_len(512)
                        .null(),
                )
                .col(
                    ColumnDef::new(PendingStatuses::ReceivedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_pending_statuses_wamid")
                .table(PendingStatuses::Table)
                .col(PendingStatuses::Wamid)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PendingStatuses::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PendingStatuses {
    Table,
    Id,
    Wamid,
    Status,
    At,
    ErrorCode,
    ErrorTitle,
    ErrorDetail,
    Callback,
    ReceivedAt,
}
