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
use crate::whatsapp::media::is_media_path;

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
    if !is_media_path(relative) {
        return respond(&AppError::not_found("This message has no downloaded file."));
    }
    let (content_type, disposition) = match message.media_mime.as_deref().and_then(inline_type) {
        Some(mime) => (mime.to_owned(), "inline".to_owned()),
        // Anything that could run (HTML, SVG, XML, scripts) or that we do not know is a
        // download, never a page on the dashboard's origin.
        None => (
            "application/octet-stream".to_owned(),
            stored_file::attachment(&download_name(message.id, relative)),
        ),
    };
    let mut headers = vec![
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        // Even an allowed type opened on its own runs in a sandbox: no script, no origin.
        (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'".to_owned()),
        (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
    ];
    if let Some(size) = message.media_size {
        headers.push((header::CONTENT_LENGTH, size.to_string()));
    }
    stored_file::stream(&files.data_dir.join(relative), headers).await
}

/// The types a browser shows without running anything: photos, voice notes, videos and PDFs
/// (not SVG, which is a document that can carry script). Parameters such as
/// `; codecs=opus` are dropped.
fn inline_type(reported: &str) -> Option<&'static str> {
    const INLINE: &[&str] = &[
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "video/mp4",
        "video/3gpp",
        "application/pdf",
    ];
    let essence = reported.split(';').next().unwrap_or_default().trim();
    INLINE
        .iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(essence))
        .copied()
}

/// `whatsapp-file-42.docx`: the message's number and the stored extension.
fn download_name(message_id: i32, relative: &str) -> String {
    let extension = relative
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("bin");
    format!("whatsapp-file-{message_id}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inert_types_are_shown_inline() {
        assert_eq!(inline_type("audio/ogg; codecs=opus"), Some("audio/ogg"));
        assert_eq!(inline_type("IMAGE/JPEG"), Some("image/jpeg"));
        for dangerous in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml",
            "application/javascript",
            "text/plain",
            "",
            "image/jpeg, text/html",
        ] {
            assert_eq!(inline_type(dangerous), None, "{dangerous}");
        }
    }

    #[test]
    fn download_names_keep_a_plain_extension() {
        assert_eq!(download_name(7, "media/ab.docx"), "whatsapp-file-7.docx");
        assert_eq!(download_name(7, "media/ab"), "whatsapp-file-7.bin");
        assert_eq!(download_name(7, "media/a.b\\"), "whatsapp-file-7.bin");
    }
}
