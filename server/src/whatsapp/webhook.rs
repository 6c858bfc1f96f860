//! `GET/POST /api/webhook/whatsapp`: Meta's verification handshake and message delivery.
//! Authenticated by signature, not by session: outside the dashboard's guard.

use std::collections::HashMap;
use std::sync::Arc;

use app::error::{AppError, ErrorKind};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use super::credentials::Credentials;
use super::{ingest, payload, signature};
use crate::error::respond;
use crate::jobs::Queue;
use crate::realtime::Bus;

#[derive(Clone)]
pub struct WebhookState {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub bus: Bus,
    /// The app secret and verify token in effect (environment or Settings).
    pub credentials: Credentials,
}

pub type Shared = Arc<WebhookState>;

/// Equal strings, compared without an early exit (the verify token is a shared secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The subscription handshake: echo `hub.challenge` verbatim when the token matches.
pub async fn verify(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| query.get(name).map(String::as_str);
    let expected = state.credentials.current().verify_token;
    let token_ok = match (&expected, param("hub.verify_token")) {
        (Some(expected), Some(given)) => {
            same(expected.expose_secret().as_bytes(), given.as_bytes())
        }
        _ => false,
    };
    match (param("hub.mode"), param("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if token_ok => {
            tracing::info!("WhatsApp webhook verified");
            ([(header::CONTENT_TYPE, "text/plain")], challenge.to_owned()).into_response()
        }
        _ => {
            if expected.is_none() {
                tracing::error!(
                    "WhatsApp webhook verification refused: no verify token is set (WHATSAPP_VERIFY_TOKEN or Settings)"
                );
            } else {
                tracing::warn!("WhatsApp webhook verification refused: wrong mode or verify token");
            }
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

/// A delivery: signature over the raw bytes first, then parse, store, and answer 200.
pub async fn receive(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.credentials.current().app_secret else {
        // Never skip the check. Meta keeps retrying, so nothing is lost once the secret is set.
        tracing::error!("WhatsApp webhook refused: no app secret is set (WHATSAPP_APP_SECRET or Settings), so no delivery can be verified");
        return respond(&AppError::unavailable(
            "The WhatsApp app secret is not configured on this server.",
        ));
    };
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = signature::verify(secret.expose_secret().as_bytes(), header, &body) {
        tracing::warn!(error = %e, "WhatsApp webhook refused");
        return respond(&AppError::new(ErrorKind::Unauthorized, e.to_string()));
    }
    let envelope: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!(error = %e, "WhatsApp webhook body is not JSON");
            return respond(&AppError::bad_request(format!(
                "The body is not valid JSON: {e}"
            )));
        }
    };
    let delivery = payload::read(&envelope);
    for other in &delivery.other {
        tracing::info!(field = %other, "WhatsApp webhook change acknowledged");
    }
    let answering_from = state.credentials.current().phone_number_id;
    match ingest::ingest(
        &state.db,
        &state.queue,
        &state.bus,
        &delivery,
        answering_from.as_deref(),
    )
    .await
    {
        Ok(report) => {
            tracing::debug!(?report, "WhatsApp webhook stored");
            StatusCode::OK.into_response()
        }
        Err(e) => {
            // 500 on purpose: nothing was stored, and Meta's retry will deliver it again.
            tracing::error!(error = %e, "storing a WhatsApp webhook failed; Meta will retry");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
