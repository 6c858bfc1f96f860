//! Server functions: the dashboard's API, and the owner's automation API (docs/API.md).
//!
//! Each is a thin adapter: who is calling, which port, one call. Every one is under `/api/`,
//! takes and returns JSON, and requires the owner's session unless its path is in
//! [`PUBLIC_ENDPOINTS`] (the server's auth layer enforces this before the function runs).

pub mod ai;
pub mod analytics;
pub mod auth;
pub mod inbox;
pub mod knowledge;
pub mod settings;
pub mod system;

/// Server functions that work without a session. Everything else answers 401.
pub const PUBLIC_ENDPOINTS: &[&str] = &["/api/auth/state", "/api/auth/setup", "/api/auth/login"];

#[cfg(feature = "ssr")]
mod edge {
    use leptos::prelude::use_context;

    use crate::error::AppError;
    use crate::ports::Caller;
    use crate::state::AppState;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(AppError::internal)
    }

    pub fn caller() -> Result<Caller, AppError> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>().cloned())
            .ok_or_else(AppError::unauthorized)
    }

    /// Records an owner's action in the audit log (never fails the action).
    pub async fn audit(caller: &Caller, action: &'static str, detail: impl Into<String>) {
        if let Ok(state) = state() {
            state
                .audit
                .record(caller.owner, &caller.ip, action, detail.into())
                .await;
        }
    }

    /// Passes `result` on, recording `action` in the audit log when it succeeded.
    pub async fn audited<T>(
        caller: &Caller,
        action: &'static str,
        detail: impl Into<String>,
        result: Result<T, AppError>,
    ) -> Result<T, AppError> {
        if result.is_ok() {
            audit(caller, action, detail).await;
        }
        result
    }

    /// Sets the HTTP status (and `Retry-After`) of a failed server function response.
    pub fn apply_error_status(err: &AppError) {
        let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        if let Ok(status) = http::StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
        if let Some(seconds) = err.retry_after_s {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) use edge::{apply_error_status, audit, audited, caller, state};
