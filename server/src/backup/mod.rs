//! Backup and restore: the database's contents and the files under `DATA_DIR` in one zip file,
//! engine-neutral (rows as JSON lines), so a backup of the embedded SQLite restores into
//! PostgreSQL and back.
//!
//! Layout: `replydesk-backup.json` (the manifest), `tables/<table>.jsonl` (one row per line, in
//! primary-key order), `files/knowledge/…` (uploaded documents) and `files/media/…` (WhatsApp
//! media). Left out on purpose: sessions (a restore signs everybody out), login throttling and
//! the change-stream log (both short-lived), and the search index (derived: rebuilt from the
//! passages when the server starts).

pub mod archive;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use migration::MigratorTrait;
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable, PaginatorTrait,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::db::entities::{
    audit, chunk, conversation, customer, document, job, llm_usage, message, owner, pending_status,
    prompt_template, setting,
};
use crate::db::Engine;
use crate::knowledge::is_storage_key;
use crate::whatsapp::media::is_media_path;
use archive::{Reader, Writer};

/// The archive format this build writes and reads.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "replydesk-backup.json";
/// Rows per page read, and per insert (37 columns × 500 stays far below SQLite's 32,766
/// bound parameters).
const BATCH: u64 = 500;
/// The folders under `DATA_DIR` a backup carries.
const FOLDERS: [&str; 2] = ["knowledge", "media"];
/// Largest table file a restore reads: each table is held in memory while its rows are
/// inserted, and an entry declaring more is refused before anything is read.
const MAX_TABLE_BYTES: u64 = 4 << 30;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    #[error("archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("{0}")]
    Corrupt(String),
    #[error(
        "the database already holds data ({0}): restore into an empty database, or pass --replace to delete what it holds first"
    )]
    NotEmpty(String),
    #[error("this backup was made by a newer Replydesk (it has migration {0}): upgrade first")]
    Newer(String),
}

/// What a backup holds, written first so a restore can check it before touching anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub version: String,
    pub created_at: DateTime<Utc>,
    /// The engine it was made from ("sqlite" or "postgres").
    pub engine: String,
    /// Migrations applied to the database it was made from.
    pub migrations: Vec<String>,
    /// Rows per table.
    pub tables: BTreeMap<String, u64>,
    pub files: u64,
}

/// One table's rows, to and from JSON lines.
#[async_trait]
trait Table: Send + Sync {
    fn name(&self) -> &'static str;
    async fn dump(&self, db: &DatabaseTransaction, out: &Writer) -> Result<u64, BackupError>;
    async fn load(&self, db: &DatabaseTransaction, lines: &[u8]) -> Result<u64, BackupError>;
    async fn clear(&self, db: &DatabaseTransaction) -> Result<(), DbErr>;
}

struct Rows<E: EntityTrait> {
    name: &'static str,
    /// Rows a backup must not carry.
    keep: fn(&E::Model) -> bool,
    entity: PhantomData<E>,
}

fn rows<E: EntityTrait + Default + Sync>(name: &'static str) -> Box<dyn Table>
where
    Rows<E>: Table,
{
    rows_where::<E>(name, |_| true)
}

fn rows_where<E: EntityTrait + Default + Sync>(
    name: &'static str,
    keep: fn(&E::Model) -> bool,
) -> Box<dyn Table>
where
    Rows<E>: Table,
{
    Box::new(Rows::<E> {
        name,
        keep,
        entity: PhantomData,
    })
}

#[async_trait]
impl<E> Table for Rows<E>
where
    E: EntityTrait + Default + Sync,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel> + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    fn name(&self) -> &'static str {
        self.name
    }

    async fn dump(&self, db: &DatabaseTransaction, out: &Writer) -> Result<u64, BackupError> {
        let mut select = E::find();
        for key in E::PrimaryKey::iter() {
            select = select.order_by_asc(key.into_column());
        }
        out.start(&format!("tables/{}.jsonl", self.name())).await?;
        let mut pages = select.paginate(db, BATCH);
        let mut count = 0;
        while let Some(rows) = pages.fetch_and_next().await? {
            let mut buf = Vec::with_capacity(rows.len() * 256);
            for row in rows.iter().filter(|row| (self.keep)(row)) {
                serde_json::to_writer(&mut buf, row).map_err(std::io::Error::from)?;
                buf.push(b'\n');
                count += 1;
            }
            out.bytes(buf).await?;
        }
        Ok(count)
    }

    async fn load(&self, db: &DatabaseTransaction, lines: &[u8]) -> Result<u64, BackupError> {
        let mut batch = Vec::new();
        let mut count = 0;
        for (n, line) in lines.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let row: E::Model = serde_json::from_slice(line).map_err(|e| {
                BackupError::Corrupt(format!("{} line {}: {e}", self.name(), n + 1))
            })?;
            // Counted (the manifest counts every line) but not restored, like it is not dumped.
            if !(self.keep)(&row) {
                count += 1;
                continue;
            }
            batch.push(row.into_active_model());
            if batch.len() as u64 == BATCH {
                count += insert::<E>(db, std::mem::take(&mut batch)).await?;
            }
        }
        count += insert::<E>(db, batch).await?;
        Ok(count)
    }

    async fn clear(&self, db: &DatabaseTransaction) -> Result<(), DbErr> {
        E::delete_many().exec(db).await.map(|_| ())
    }
}

async fn insert<E>(db: &DatabaseTransaction, rows: Vec<E::ActiveModel>) -> Result<u64, DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let n = rows.len() as u64;
    if n > 0 {
        E::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(n)
}

/// Every table a backup holds, parents before children (inserted in this order, cleared in the
/// reverse one).
fn tables() -> Vec<Box<dyn Table>> {
    vec![
        rows::<owner::Entity>("owners"),
        // The setup token opens an owner-less server: it stays with the server that printed it.
        rows_where::<setting::Entity>("settings", |row| {
            row.key != crate::db::settings::keys::SETUP_TOKEN
        }),
        rows::<prompt_template::Entity>("prompt_templates"),
        rows::<customer::Entity>("customers"),
        rows::<conversation::Entity>("conversations"),
        rows::<document::Entity>("documents"),
        rows::<chunk::Entity>("chunks"),
        rows::<message::Entity>("messages"),
        rows::<llm_usage::Entity>("llm_usage"),
        rows::<job::Entity>("jobs"),
        rows::<pending_status::Entity>("pending_statuses"),
        rows::<audit::Entity>("audit_log"),
    ]
}

/// Tables a restore empties without filling: a restored database starts without sessions,
/// and its passages are embedded again (vectors are derived data, and large).
const TRANSIENT: [&str; 4] = ["sessions", "events", "login_failures", "passage_embeddings"];

async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(migration::Migrator::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// A consistent view of the database while the server keeps writing: PostgreSQL's repeatable
/// read; on SQLite (WAL) a read transaction already sees one snapshot.
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(sea_orm::IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// Writes a backup of `db` and the files under `data_dir` to `path`.
pub async fn create(
    db: &DatabaseConnection,
    data_dir: &Path,
    path: &Path,
) -> Result<Manifest, BackupError> {
    let out = Writer::create(path)?;
    let result = write(db, data_dir, &out).await;
    // Close the archive either way; the first error wins.
    let closed = out.finish().await;
    let manifest = result?;
    closed?;
    Ok(manifest)
}

async fn write(
    db: &DatabaseConnection,
    data_dir: &Path,
    out: &Writer,
) -> Result<Manifest, BackupError> {
    let migrations = applied_migrations(db).await?;
    let txn = snapshot(db).await?;
    let mut counts = BTreeMap::new();
    for table in tables() {
        counts.insert(table.name().to_owned(), table.dump(&txn, out).await?);
    }
    // The files the rows refer to, read in the same snapshot.
    let keys: Vec<String> = document::Entity::find()
        .select_only()
        .column(document::Column::StorageKey)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut files: Vec<String> = keys.iter().map(|k| format!("knowledge/{k}")).collect();
    let media: Vec<Option<String>> = message::Entity::find()
        .select_only()
        .column(message::Column::MediaPath)
        .filter(message::Column::MediaPath.is_not_null())
        .into_tuple()
        .all(&txn)
        .await?;
    files.extend(media.into_iter().flatten());
    txn.commit().await?;
    let mut copied = 0;
    for relative in files {
        let path = data_dir.join(&relative);
        // A file can be missing (removed by hand, a media download that never finished): the
        // rows still restore, and the dashboard says the file is gone, as it did before.
        if FOLDERS
            .iter()
            .any(|f| relative.starts_with(&format!("{f}/")))
            && path.is_file()
        {
            out.copy(format!("files/{relative}"), path).await?;
            copied += 1;
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: Utc::now(),
        engine: Engine::of(db).name().to_owned(),
        migrations,
        tables: counts,
        files: copied,
    };
    out.start(MANIFEST).await?;
    out.bytes(serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::from)?)
        .await?;
    Ok(manifest)
}

/// What the database holds that a restore would overwrite, in words; `None` when empty.
async fn holdings(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let owners = owner::Entity::find().count(db).await?;
    let customers = customer::Entity::find().count(db).await?;
    let documents = document::Entity::find().count(db).await?;
    if owners + customers + documents == 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "{owners} owner(s), {customers} customer(s), {documents} document(s)"
    )))
}

/// Restores the backup at `path` into `db` and `data_dir`. Refuses a database that already
/// holds an owner, customers or documents unless `replace`. The rows go in one transaction:
/// a failure leaves the database as it was.
/// A backup is a file from outside: its rows may not name files outside the data folder
/// (`../../etc/passwd` as a document's storage key would be served and deleted by the
/// dashboard). Every stored-file name must be one this server would have made.
async fn refuse_foreign_file_names(txn: &DatabaseTransaction) -> Result<(), BackupError> {
    let keys: Vec<(i32, String)> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .column(document::Column::StorageKey)
        .into_tuple()
        .all(txn)
        .await?;
    if let Some((id, _)) = keys.iter().find(|(_, key)| !is_storage_key(key)) {
        return Err(BackupError::Corrupt(format!(
            "document {id} names a file outside the knowledge folder"
        )));
    }
    let media: Vec<(i32, Option<String>)> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .column(message::Column::MediaPath)
        .filter(message::Column::MediaPath.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    if let Some((id, _)) = media
        .iter()
        .find(|(_, path)| path.as_deref().is_some_and(|p| !is_media_path(p)))
    {
        return Err(BackupError::Corrupt(format!(
            "message {id} names a file outside the media folder"
        )));
    }
    Ok(())
}

pub async fn restore(
    db: &DatabaseConnection,
    data_dir: &Path,
    path: &Path,
    replace: bool,
) -> Result<Manifest, BackupError> {
    let path = path.to_owned();
    let mut reader = tokio::task::spawn_blocking(move || Reader::open(&path))
        .await
        .map_err(|e| BackupError::Io(std::io::Error::other(e)))??;
    let manifest: Manifest = reader
        .read(MANIFEST, 1 << 20)?
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| {
            BackupError::Corrupt("this is not a Replydesk backup (no manifest)".into())
        })?;
    if manifest.format != FORMAT {
        return Err(BackupError::Corrupt(format!(
            "backup format {} is not one this version reads ({FORMAT})",
            manifest.format
        )));
    }
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(newer) = manifest.migrations.iter().find(|m| !known.contains(m)) {
        return Err(BackupError::Newer(newer.clone()));
    }
    if let Some(held) = holdings(db).await? {
        if !replace {
            return Err(BackupError::NotEmpty(held));
        }
    }

    let txn = db.begin().await?;
    for name in TRANSIENT {
        txn.execute(Statement::from_string(
            txn.get_database_backend(),
            format!("DELETE FROM {name}"),
        ))
        .await?;
    }
    let tables = tables();
    for table in tables.iter().rev() {
        table.clear(&txn).await?;
    }
    for table in &tables {
        let entry = format!("tables/{}.jsonl", table.name());
        let lines = reader.read(&entry, MAX_TABLE_BYTES)?.unwrap_or_default();
        let loaded = table.load(&txn, &lines).await?;
        let expected = manifest.tables.get(table.name()).copied().unwrap_or(0);
        if loaded != expected {
            return Err(BackupError::Corrupt(format!(
                "{entry} holds {loaded} rows, the manifest says {expected}"
            )));
        }
    }
    refuse_foreign_file_names(&txn).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Rows came with their ids: move each sequence past them.
        for table in &tables {
            if table.name() == "settings" {
                continue;
            }
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                table.name()
            );
            txn.execute(Statement::from_string(DbBackend::Postgres, sql))
                .await?;
        }
    }
    txn.commit().await?;

    // Files after the rows: a failed restore leaves the old files in place.
    let data_dir = data_dir.to_owned();
    tokio::task::spawn_blocking(move || -> Result<(), BackupError> {
        for folder in FOLDERS {
            let dir = data_dir.join(folder);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            reader.extract(&format!("files/{folder}"), &dir)?;
        }
        // The index is derived from the passages: the server rebuilds it on start.
        let index = data_dir.join("index");
        if index.exists() {
            std::fs::remove_dir_all(index)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| BackupError::Io(std::io::Error::other(e)))??;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use sea_orm::EntityName;

    use super::*;

    #[test]
    fn every_table_is_named_as_its_entity() {
        fn name<E: EntityName + Default>() -> String {
            E::default().table_name().to_owned()
        }
        let expected = [
            name::<owner::Entity>(),
            name::<setting::Entity>(),
            name::<prompt_template::Entity>(),
            name::<customer::Entity>(),
            name::<conversation::Entity>(),
            name::<document::Entity>(),
            name::<chunk::Entity>(),
            name::<message::Entity>(),
            name::<llm_usage::Entity>(),
            name::<job::Entity>(),
            name::<pending_status::Entity>(),
            name::<audit::Entity>(),
        ];
        let names: Vec<&str> = tables().iter().map(|t| t.name()).collect();
        assert_eq!(names, expected);
    }
}
