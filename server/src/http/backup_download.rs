//! `GET /api/settings/backup`: the same backup as `replydesk backup FILE`, as a download for the
//! signed-in owner (the route sits behind the guard).
//!
//! The archive is written to a hidden file under `DATA_DIR` (a zip needs a seekable file),
//! opened, and unlinked at once: the open handle streams it, and nothing is left behind even if
//! the download is cancelled.

use std::path::PathBuf;
use std::sync::Arc;

use app::error::AppError;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use chrono::Utc;
use rand::Rng;
use sea_orm::DatabaseConnection;

use super::audited::Audited;
use super::stored_file::{attachment, stream_open};
use crate::backup;
use crate::error::respond;

pub struct Backups {
    pub db: DatabaseConnection,
    pub data_dir: PathBuf,
}

pub async fn download(State(backups): State<Arc<Backups>>, audited: Audited) -> Response {
    let temp = backups.data_dir.join(format!(
        ".backup-{:016x}.zip",
        rand::thread_rng().gen::<u64>()
    ));
    let written = backup::create(&backups.db, &backups.data_dir, &temp).await;
    let opened = tokio::fs::File::open(&temp).await;
    let _ = tokio::fs::remove_file(&temp).await;
    let file = match (written, opened) {
        (Ok(_), Ok(file)) => file,
        (Err(e), _) => {
            tracing::error!(error = %e, "backup download failed");
            return respond(&AppError::internal());
        }
        (_, Err(e)) => {
            tracing::error!(error = %e, "backup file vanished before it was sent");
            return respond(&AppError::internal());
        }
    };
    let name = format!(
        "replydesk-backup-{}.zip",
        Utc::now().format("%Y-%m-%d-%H%M")
    );
    audited.record("backup_downloaded", name.clone()).await;
    stream_open(
        file,
        vec![
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
    )
}
