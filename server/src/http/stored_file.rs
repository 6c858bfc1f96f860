//! A file under `DATA_DIR` as a response: streamed from disk, never read whole into memory.

use std::path::Path;

use app::error::AppError;
use axum::body::Body;
use axum::http::header::{self, HeaderName};
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use crate::error::respond;

/// Streams the file at `path` with `headers` (and `nosniff`: a stored file is never to be
/// interpreted as something else); 404 when it is missing from the data folder.
pub async fn stream(path: &Path, headers: Vec<(HeaderName, String)>) -> Response {
    let Ok(file) = tokio::fs::File::open(path).await else {
        return respond(&AppError::not_found(
            "The file is missing from the data folder.",
        ));
    };
    stream_open(file, headers)
}

/// Streams an open file (which may already be unlinked from its folder).
pub fn stream_open(file: tokio::fs::File, headers: Vec<(HeaderName, String)>) -> Response {
    let mut response = Body::from_stream(ReaderStream::new(file)).into_response();
    let all = headers
        .into_iter()
        .chain([(header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned())]);
    for (name, value) in all {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266).
pub fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = app::format::percent_encode(name);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachment_names() {
        assert_eq!(
            super::attachment("Menú \"2026\".pdf"),
            "attachment; filename=\"Men_ _2026_.pdf\"; filename*=UTF-8''Men%C3%BA%20%222026%22.pdf"
        );
    }
}
