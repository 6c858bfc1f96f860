//! `GET /api/media/{message_id}`: an inbound file, for the signed-in owner only (the route sits
//! behind the guard). Streamed from disk, never read whole into memory.

use std::path::PathBuf;
use std::sync::Arc;

use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use sea_orm::DatabaseConnection;

use super::stored_file;
use crate::db::messages;
use crate::error::{internal, respond};

pub struct MediaFiles {
    pub db: DatabaseConnection,
    pub data_dir: PathBuf,
}

pub async fn serve(State(files): State<Arc<MediaFiles>>, Path(message_id): Path<i32>) -> Response {
    let message = match messages::by_id(&files.db, message_id).await {
        Ok(Some(message)) => message,
        Ok(None) => return respond(&AppError::not_found("There is no such message.")),
        Err(e) => return respond(&internal("reading a message failed", e)),
    };
    let Some(relative) = message
        .media_path
        .as_deref()
        .filter(|_| message.media_status.as_deref() == Some("ready"))
    else {
        return respond(&AppError::not_found("This message has no downloaded file."));
    };
    // Stored paths are generated (`media/<uuid>.<ext>`); refuse anything else all the same.
    if !relative.starts_with("media/") || relative.contains("..") {
        return respond(&AppError::not_found("This message has no downloaded file."));
    }
    let mime = message
        .media_mime
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut headers = vec![
        (header::CONTENT_TYPE, mime),
        (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
    ];
    if let Some(size) = message.media_size {
        headers.push((header::CONTENT_LENGTH, size.to_string()));
    }
    stored_file::stream(&files.data_dir.join(relative), headers).await
}
