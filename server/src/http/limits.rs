//! Request body limits, answered with the same JSON errors as everything else.

use app::error::{AppError, ErrorKind};
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::Limited;

use crate::error::respond;

/// Server functions and forms: generous for any text the dashboard sends, far below harm.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

fn too_large(limit: usize) -> Response {
    respond(&AppError::new(
        ErrorKind::PayloadTooLarge,
        format!("The request is larger than {} KB.", limit / 1024),
    ))
}

/// Refuses a declared length over the limit at once, and caps undeclared (chunked) bodies so
/// that reading them fails at the limit instead of filling memory.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let limit = API_BODY_LIMIT;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return too_large(limit);
    }
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, Body::new(Limited::new(body, limit)));
    next.run(req).await
}
