//! An in-process stand-in for Meta's Graph API: records every request and answers from a
//! script, or with a success when the script is empty.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::Digest;

pub const TOKEN: &str = "test-access-token";
pub const PHONE_ID: &str = "301122334455667";
pub const FILE: &[u8] = b"OggS fake voice note bytes";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// A canned answer: (route, HTTP status, JSON body).
type Scripted = (&'static str, u16, Value);

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Scripted>>>,
    base: Arc<Mutex<String>>,
}

pub struct FakeGraph {
    pub url: String,
    shared: Shared,
}

fn record(shared: &Shared, path: String, headers: &HeaderMap, body: Value) {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.requests.lock().expect("lock").push(Recorded {
        path,
        authorization,
        body,
    });
}

/// The next scripted answer for `route` ("messages", "media" or "files"), if any.
fn scripted(shared: &Shared, route: &str) -> Option<Response> {
    let mut script = shared.script.lock().expect("lock");
    let at = script.iter().position(|(r, _, _)| *r == route)?;
    let (_, status, body) = script.remove(at)?;
    Some((StatusCode::from_u16(status).expect("status"), Json(body)).into_response())
}

async fn messages(
    State(shared): State<Shared>,
    Path((version, phone)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    record(
        &shared,
        format!("/{version}/{phone}/messages"),
        &headers,
        body,
    );
    if let Some(answer) = scripted(&shared, "messages") {
        return answer;
    }
    let n = shared.requests.lock().expect("lock").len();
    Json(
        json!({"messaging_product": "whatsapp", "contacts": [{"input": "+1", "wa_id": "1"}],
                "messages": [{"id": format!("wamid.fake.{n}")}]}),
    )
    .into_response()
}

async fn media(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    record(&shared, format!("/{version}/{id}"), &headers, Value::Null);
    if id == PHONE_ID {
        // The number's description (Settings' connection check), for the right token only.
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(&format!("Bearer {TOKEN}"))
        {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                                      "type": "OAuthException", "code": 190}})),
            )
                .into_response();
        }
        return Json(
            json!({"display_phone_number": "+1 555-010-0199", "verified_name": "Café Lima",
                           "quality_rating": "GREEN", "id": PHONE_ID}),
        )
        .into_response();
    }
    if let Some(answer) = scripted(&shared, "media") {
        return answer;
    }
    let base = shared.base.lock().expect("lock").clone();
    Json(json!({"messaging_product": "whatsapp", "url": format!("{base}/files/{id}?ext=1&hash=x"),
                "mime_type": "audio/ogg; codecs=opus", "sha256": hex::encode(sha2::Sha256::digest(FILE)),
                "file_size": FILE.len().to_string(), "id": id}))
    .into_response()
}

async fn file(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(&shared, format!("/files/{id}"), &headers, Value::Null);
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(answer) = scripted(&shared, "files") {
        return answer;
    }
    ([("content-type", "audio/ogg")], FILE).into_response()
}

impl FakeGraph {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{version}/{phone}/messages", post(messages))
            .route("/files/{id}", get(file))
            .route("/{version}/{id}", get(media))
            .with_state(shared.clone());
        let url = super::serve(app).await;
        *shared.base.lock().expect("lock") = url.clone();
        Self { url, shared }
    }

    /// The next answers of the messages endpoint, in order: (HTTP status, JSON body).
    pub fn answer(&self, status: u16, body: Value) {
        self.answer_on("messages", status, body);
    }

    /// The next answer of `route`: "messages", "media" (look-up) or "files" (download).
    pub fn answer_on(&self, route: &'static str, status: u16, body: Value) {
        self.shared
            .script
            .lock()
            .expect("lock")
            .push_back((route, status, body));
    }

    /// A Graph API error answer with Meta's shape.
    pub fn fail(&self, status: u16, code: i64, title: &str) {
        self.answer(status, json!({"error": {"message": format!("(#{code}) {title}"), "type": "OAuthException",
            "code": code, "error_data": {"messaging_product": "whatsapp", "details": title}, "fbtrace_id": "A1"}}));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }
}
