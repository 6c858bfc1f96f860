//! Knowledge files over plain HTTP, not server functions: the browser sends each file as the
//! raw request body, so it can report upload progress and the server can stream it to disk
//! without holding it in memory.
//!
//! - `POST /api/knowledge/upload?name=<file name>` → 201 with the new document
//! - `PUT  /api/knowledge/documents/{id}/file?name=<file name>` → 200, the document replaced
//! - `GET  /api/knowledge/documents/{id}/file` → the original file

use app::error::AppError;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::audited::Audited;
use super::limits::declared_length;
use super::stored_file;
use crate::db::documents;
use crate::error::respond;
use crate::knowledge::KnowledgeBase;
use crate::services::knowledge::document_view;

#[derive(Deserialize)]
pub struct UploadParams {
    #[serde(default)]
    name: String,
}

fn answer(result: Result<documents::Summary, AppError>, status: StatusCode) -> Response {
    match result {
        Ok(summary) => (status, Json(document_view(summary))).into_response(),
        Err(e) => respond(&e),
    }
}

pub async fn upload(
    State(kb): State<KnowledgeBase>,
    audited: Audited,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = kb
        .upload(&params.name, declared_length(&headers), body)
        .await;
    if result.is_ok() {
        audited.record("document_uploaded", params.name).await;
    }
    answer(result, StatusCode::CREATED)
}

pub async fn replace(
    State(kb): State<KnowledgeBase>,
    audited: Audited,
    Path(id): Path<i32>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = kb
        .replace(id, &params.name, declared_length(&headers), body)
        .await;
    if result.is_ok() {
        let detail = format!("Document #{id}: {}", params.name);
        audited.record("document_replaced", detail).await;
    }
    answer(result, StatusCode::OK)
}

/// The original file, as an attachment under its original name.
pub async fn download(State(kb): State<KnowledgeBase>, Path(id): Path<i32>) -> Response {
    let document = match kb.file_document(id).await {
        Ok(document) => document,
        Err(e) => return respond(&e),
    };
    let name = document
        .original_name
        .clone()
        .unwrap_or_else(|| format!("document-{id}"));
    let headers = vec![
        (
            header::CONTENT_TYPE,
            document
                .mime
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        ),
        (header::CONTENT_LENGTH, document.size_bytes.to_string()),
        (header::CONTENT_DISPOSITION, stored_file::attachment(&name)),
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
    ];
    stored_file::stream(&kb.file_path(&document.storage_key), headers).await
}
