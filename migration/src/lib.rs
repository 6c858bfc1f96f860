//! Replydesk's schema. Migrations are written with SeaQuery only, so the same code creates the same
//! tables on SQLite (the embedded default) and PostgreSQL (production).

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_initial_schema;
mod m20261126_000002_pending_statuses;
mod m20261126_000003_ai_engine;
mod m20261126_000004_analytics;
mod m20261203_000001_two_factor;
mod m20261204_000001_retrieval;
mod m20261204_000002_job_request_id;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial_schema::Migration),
            Box::new(m20261126_000002_pending_statuses::Migration),
            Box::new(m20261126_000003_ai_engine::Migration),
            Box::new(m20261126_000004_analytics::Migration),
            Box::new(m20261203_000001_two_factor::Migration),
            Box::new(m20261204_000001_retrieval::Migration),
            Box::new(m20261204_000002_job_request_id::Migration),
        ]
    }
}
