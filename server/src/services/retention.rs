//! Data retention: when the owner sets a number of days in Settings, messages sent before then
//! are deleted with their files (hourly, in batches, so a first run over years of history never
//! holds a long transaction). Off by default.

use std::path::Path;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};

use super::inbox::remove_files;
use super::settings::retention_days;
use crate::db::messages;

const BATCH: u64 = 1_000;

/// Deletes the messages past the retention period; how many.
pub async fn purge(db: &DatabaseConnection, data_dir: &Path) -> Result<u64, DbErr> {
    let days = retention_days(db).await?;
    if days == 0 {
        return Ok(0);
    }
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
    let mut deleted = 0;
    loop {
        let batch = messages::sent_before(db, cutoff, BATCH).await?;
        if batch.is_empty() {
            return Ok(deleted);
        }
        let (ids, files): (Vec<i32>, Vec<Option<String>>) = batch.into_iter().unzip();
        deleted += messages::delete_ids(db, ids).await?;
        let files: Vec<String> = files.into_iter().flatten().collect();
        remove_files(data_dir, &files).await;
    }
}
