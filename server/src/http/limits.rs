//! Request body limits, answered with the same JSON errors as everything else.

use app::error::{AppError, ErrorKind};
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
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

/// Webhook deliveries: Meta's payloads are at most 3 MB; refusing a real one would make Meta
/// retry it for a week and then drop it, so the cap sits just above.
pub const WEBHOOK_BODY_LIMIT: usize = 3 * 1024 * 1024 + 256 * 1024;

pub async fn limit_api_body(req: Request, next: Next) -> Response {
    limit_body(API_BODY_LIMIT, req, next).await
}

pub async fn limit_webhook_body(req: Request, next: Next) -> Response {
    limit_body(WEBHOOK_BODY_LIMIT, req, next).await
}

/// The body length a request declares, if it declares one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Refuses a declared length over the limit at once, and caps undeclared (chunked) bodies so
/// that reading them fails at the limit instead of filling memory.
async fn limit_body(limit: usize, req: Request, next: Next) -> Response {
    if declared_length(req.headers()).is_some_and(|len| len > limit as u64) {
        return too_large(limit);
    }
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, Body::new(Limited::new(body, limit)));
    next.run(req).await
}
