use std::sync::Arc;

use app::ports::System;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// `GET /api/health`: 200 when the database answers, 503 when it does not.
pub async fn health(State(system): State<Arc<dyn System>>) -> Response {
    let health = system.health().await;
    let status = if health.db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health)).into_response()
}
