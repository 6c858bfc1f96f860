//! Error policy.
//!
//! - Inside modules: narrow `thiserror` enums (`ConfigError`, `PasswordError`, `JobError`, …) or
//!   `DbErr`, with `?` to pass them up.
//! - In services: [`Failure`], which any of those converts into with `?`, and which also
//!   carries the refusals the owner reads (`AppError`s made on purpose: "There is no such
//!   conversation.").
//! - At the edge (a port's method, an HTTP handler): one conversion, [`edge`], to
//!   `app::error::AppError`. A refusal passes as it is; any other cause is logged there, inside
//!   the request's span, and answered with `AppError::internal()`: it never reaches the browser.
//! - `anyhow` only in `main.rs` and the command line.

use std::error::Error;
use std::fmt::Display;
use std::future::Future;

use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why a service could not do what it was asked.
#[derive(Debug)]
pub enum Failure {
    /// Refused, with a message the owner can act on.
    Refused(AppError),
    /// Something the owner cannot fix (the database is down, a file vanished): logged.
    Internal(Box<dyn Error + Send + Sync>),
}

/// Every error converts: an `AppError` is a refusal, anything else an internal cause. (Like
/// `anyhow::Error`, `Failure` is not itself an `Error`, which is what lets this impl exist.)
///
/// The price of `?` working on everything: an error the owner could act on (a `SendError`
/// saying the 24-hour window closed) must be turned into its `AppError` before `?`, or it is
/// answered as an internal failure. Services do so with a named function (`refusal`).
impl<E: Error + Send + Sync + 'static> From<E> for Failure {
    fn from(err: E) -> Self {
        let boxed: Box<dyn Error + Send + Sync> = Box::new(err);
        match boxed.downcast::<AppError>() {
            Ok(refusal) => Self::Refused(*refusal),
            Err(cause) => Self::Internal(cause),
        }
    }
}

impl From<Failure> for AppError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(refusal) => refusal,
            // The port method's span (see `services`) says which operation failed.
            Failure::Internal(cause) => internal("internal failure", cause),
        }
    }
}

/// The one conversion at the edge: runs a service's work and answers what the API may show.
pub async fn edge<T>(work: impl Future<Output = Result<T, Failure>>) -> Result<T, AppError> {
    work.await.map_err(AppError::from)
}

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
