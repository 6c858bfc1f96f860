//! `jobs.request_id`: the id of the HTTP request (or of the job) that enqueued a job, so one
//! customer's message can be followed in the log from the webhook to the reply it got.

use sea_orm_migration::prelude::*;

use crate::m20261126_000001_initial_schema::text_null;
use crate::m20261126_000003_ai_engine::{add, remove};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000002_job_request_id"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(m, Jobs::Table, text_null(Jobs::RequestId)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remove(m, Jobs::Table, Jobs::RequestId).await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    RequestId,
}
