//! The database: connection, entities, repositories. The only place that writes SQL.

pub mod analytics;
pub mod audit;
pub mod chunks;
pub mod conversations;
pub mod customers;
pub mod documents;
pub mod embeddings;
pub mod entities;
pub mod events;
pub mod llm_usage;
pub mod login_failures;
pub mod messages;
pub mod owners;
pub mod pending_statuses;
pub mod prompt_templates;
pub mod sessions;
pub mod settings;

use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait,
};

/// Which engine this deployment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(db: &impl ConnectionTrait) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Self::Postgres,
            _ => Self::Sqlite,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Opens the pool. SQLite gets WAL (readers never wait for the writer), a busy timeout (writers
/// queue instead of failing) and enough connections for the dashboard, the worker and the
/// session store to share.
/// Tags are stored as a JSON array of strings (documents and customers).
pub fn parse_tags(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub fn encode_tags(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_owned())
}

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // Checkpoints run in the background (see `checkpoint`), not in the commit
                    // that happens to cross the threshold: that commit's latency was the tail.
                    .pragma("wal_autocheckpoint", "0")
            });
    } else {
        options.max_connections(10).min_connections(1);
    }
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Begins a transaction that will write, holding the write lock from its first statement.
///
/// SQLite starts a transaction as a reader; if it reads first and another connection commits a
/// write before this one writes, the upgrade fails at once with "database is locked" (the busy
/// timeout cannot help: its snapshot is stale). Starting with a write statement takes the write
/// lock up front, waiting politely for other writers. PostgreSQL needs nothing.
pub async fn write_txn(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute(Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE jobs SET id = id WHERE id = -1",
        ))
        .await?;
    }
    Ok(txn)
}

/// Copies committed WAL pages into the SQLite database file without blocking writers (a passive
/// checkpoint), keeping the WAL short now that commits no longer do it. No-op on PostgreSQL.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?;
    }
    Ok(())
}
