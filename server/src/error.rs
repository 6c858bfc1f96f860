//! Error policy.
//!
//! - Inside modules: narrow `thiserror` enums (`ConfigError`, `PasswordError`, `JobError`, …) or
//!   `DbErr`, with `?` to pass them up.
//! - At the edge (services implementing `app::ports`, HTTP handlers): converted to
//!   `app::error::AppError`, whose message a business owner can act on. Causes the owner cannot
//!   act on are logged here, with context, and answered with `AppError::internal()`; they never
//!   reach the browser.
//! - `anyhow` only in `main.rs`.

use std::fmt::Display;

use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Logs an internal failure and returns the generic error the browser may see.
pub fn internal(context: &str, err: impl Display) -> AppError {
    tracing::error!(error = %err, "{context}");
    AppError::internal()
}

/// An `AppError` as an HTTP response: its status, `Retry-After` when throttled, JSON body.
pub fn respond(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        err.to_json(),
    )
        .into_response();
    if let Some(seconds) = err.retry_after_s {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
