//! `GET /api/inbox/conversations/{id}/export?format=json|csv|txt`: a conversation as a file,
//! for the signed-in owner only (the route sits behind the guard). Made on request and never
//! stored, so erasing a customer leaves no export behind on the server.

use std::fmt::Write as _;
use std::sync::Arc;

use app::error::AppError;
use app::model::{MessageView, EXPORT_FORMATS};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::audited::Audited;
use super::csv::table;
use super::stored_file::attachment;
use crate::error::respond;
use crate::services::inbox::{Export, InboxService};

#[derive(Deserialize)]
pub struct Format {
    format: Option<String>,
}

pub async fn export(
    State(inbox): State<Arc<InboxService>>,
    audited: Audited,
    Path(conversation_id): Path<i32>,
    Query(format): Query<Format>,
) -> Response {
    let format = format.format.unwrap_or_else(|| "json".to_owned());
    if !EXPORT_FORMATS.iter().any(|(key, _)| *key == format) {
        return respond(&AppError::invalid("format", "Export as json, csv or txt."));
    }
    let export = match inbox.export(conversation_id).await {
        Ok(export) => export,
        Err(e) => return respond(&e.into()),
    };
    let (body, mime) = match format.as_str() {
        "csv" => (csv(&export.messages), "text/csv; charset=utf-8"),
        "txt" => (transcript(&export), "text/plain; charset=utf-8"),
        _ => (
            serde_json::to_string_pretty(&export).unwrap_or_default(),
            "application/json",
        ),
    };
    let detail = format!("Conversation #{conversation_id} as {format}");
    audited.record("exported", detail).await;
    let name = format!(
        "conversation-{conversation_id}-{}.{format}",
        export.customer.wa_id
    );
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Who wrote a message, in words.
fn author(message: &MessageView, customer: &str) -> String {
    match message.sender.as_str() {
        "customer" => customer.to_owned(),
        "ai" => "AI".to_owned(),
        "agent" => "You".to_owned(),
        other => other.to_owned(),
    }
}

fn csv(messages: &[MessageView]) -> String {
    table(
        &[
            "id",
            "sent_at",
            "direction",
            "sender",
            "kind",
            "status",
            "body",
            "error",
        ],
        messages.iter().map(|m| {
            vec![
                m.id.to_string(),
                m.sent_at.clone(),
                m.direction.clone(),
                m.sender.clone(),
                m.kind.clone(),
                m.status.clone(),
                m.body.clone(),
                m.error.clone().unwrap_or_default(),
            ]
        }),
    )
}

fn transcript(export: &Export) -> String {
    let customer = &export.customer;
    let mut out = String::new();
    let phone = customer.phone.as_deref().unwrap_or(&customer.wa_id);
    let _ = writeln!(out, "Conversation with {} ({phone})", customer.name);
    let _ = writeln!(
        out,
        "{} messages received, {} sent\n",
        customer.messages_received, customer.messages_sent
    );
    for m in &export.messages {
        let when = m.sent_at.replace('T', " ").replace('Z', " UTC");
        let who = author(m, &customer.name);
        let body = if m.body.is_empty() {
            format!("[{}]", m.kind)
        } else {
            m.body.clone()
        };
        let _ = writeln!(out, "[{when}] {who}: {body}");
        if m.status == "failed" {
            let reason = m.error.as_deref().unwrap_or("not sent");
            let _ = writeln!(out, "    (failed: {reason})");
        }
    }
    out
}
