//! Meta's webhook payloads, read tolerantly.
//!
//! Parsing works on `serde_json::Value` with lenient accessors instead of strict derived types:
//! a payload of an unexpected shape (a number where a string was documented, a missing `from`, a
//! message type invented next year) must still be stored, never rejected with a 500 that makes
//! Meta retry for a week. Only a message without an id — nothing to deduplicate on — is skipped.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a webhook carries is stored as it is parsed: one set of types, declared with the
/// messages table.
pub use crate::db::messages::{ApiError, BusinessNumber, InboundMessage, Media, StatusUpdate};

/// Everything one webhook delivery carries that we act on.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Delivery {
    pub messages: Vec<InboundMessage>,
    /// Profile names by customer id, from `value.contacts`.
    pub profiles: Vec<(String, Option<String>)>,
    pub statuses: Vec<StatusUpdate>,
    /// `value.errors` and changes of other fields: logged, not stored.
    pub other: Vec<String>,
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(str_of)
}

fn path(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .try_fold(v, |at, key| at.get(*key))
        .and_then(str_of)
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

/// Unix seconds, as a string or a number.
fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    let seconds = match v.get("timestamp")? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0)
}

/// Customer ids arrive without `+`, but one documented example has it: strip it.
fn customer_id(raw: Option<String>) -> Option<String> {
    raw.map(|id| id.trim_start_matches('+').to_owned())
        .filter(|id| !id.is_empty())
}

fn api_error(v: &Value) -> ApiError {
    ApiError {
        code: v.get("code").and_then(|c| {
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        }),
        title: field(v, "title").or_else(|| field(v, "message")),
        details: path(v, &["error_data", "details"]),
    }
}

/// Reads a whole webhook body. Never fails: what it cannot read it leaves out.
pub fn read(envelope: &Value) -> Delivery {
    let mut delivery = Delivery::default();
    for entry in items(envelope, "entry") {
        for change in items(entry, "changes") {
            let name = field(change, "field").unwrap_or_default();
            let Some(value) = change.get("value") else {
                continue;
            };
            if name != "messages" {
                delivery.other.push(name);
                continue;
            }
            for contact in items(value, "contacts") {
                let id = customer_id(field(contact, "wa_id").or_else(|| field(contact, "user_id")));
                if let Some(id) = id {
                    delivery
                        .profiles
                        .push((id, path(contact, &["profile", "name"])));
                }
            }
            // Bounded: these reach a note on the message and the log.
            let short = |s: String| s.chars().take(32).collect::<String>();
            let to = path(value, &["metadata", "phone_number_id"]).map(|id| BusinessNumber {
                phone_number_id: short(id),
                display: path(value, &["metadata", "display_phone_number"]).map(short),
            });
            delivery
                .messages
                .extend(
                    items(value, "messages")
                        .filter_map(message)
                        .map(|m| InboundMessage {
                            to: to.clone(),
                            ..m
                        }),
                );
            delivery
                .statuses
                .extend(items(value, "statuses").filter_map(status));
            for error in items(value, "errors") {
                let error = api_error(error);
                delivery.other.push(format!(
                    "error {}: {}",
                    error.code.unwrap_or_default(),
                    error.title.unwrap_or_default()
                ));
            }
        }
    }
    delivery
}

fn status(v: &Value) -> Option<StatusUpdate> {
    Some(StatusUpdate {
        wamid: field(v, "id")?,
        status: field(v, "status")?.to_lowercase(),
        at: timestamp(v),
        error: items(v, "errors").next().map(api_error),
        callback: field(v, "biz_opaque_callback_data"),
    })
}

/// Known message types; anything else is stored as "unsupported".
const KNOWN: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "reaction",
    "order",
    "system",
    "unsupported",
];

fn message(v: &Value) -> Option<InboundMessage> {
    let wamid = field(v, "id")?;
    let declared = field(v, "type").unwrap_or_default();
    let kind = if KNOWN.contains(&declared.as_str()) {
        declared.clone()
    } else {
        "unsupported".to_owned()
    };
    let content = v.get(&declared).cloned().unwrap_or(Value::Null);
    let media = matches!(
        kind.as_str(),
        "image" | "audio" | "video" | "document" | "sticker"
    )
    .then(|| {
        Some(Media {
            id: field(&content, "id")?,
            mime_type: field(&content, "mime_type"),
            sha256: field(&content, "sha256"),
            filename: field(&content, "filename"),
        })
    })
    .flatten();
    let reply_to = match kind.as_str() {
        "reaction" => field(&content, "message_id"),
        _ => path(v, &["context", "id"]),
    };
    Some(InboundMessage {
        wamid,
        from: customer_id(field(v, "from").or_else(|| field(v, "from_user_id"))),
        sent_at: timestamp(v),
        body: body(&kind, &declared, &content),
        kind,
        reply_to,
        media,
        raw: v.clone(),
        to: None,
    })
}

/// The readable text of a message of `kind` whose payload is `c`.
fn body(kind: &str, declared: &str, c: &Value) -> String {
    let text = |k: &str| field(c, k).unwrap_or_default();
    match kind {
        "text" => text("body"),
        "image" | "video" | "sticker" => text("caption"),
        "audio" => String::new(),
        "document" => field(c, "caption")
            .or_else(|| field(c, "filename"))
            .unwrap_or_default(),
        "location" => {
            let place: Vec<String> = [field(c, "name"), field(c, "address")]
                .into_iter()
                .flatten()
                .collect();
            let coords = match (c.get("latitude"), c.get("longitude")) {
                (Some(lat), Some(lng)) => format!("{lat},{lng}"),
                _ => String::new(),
            };
            [place.join(", "), coords]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        }
        "contacts" => {
            // The message's `contacts` is an array at the top level of the message.
            let names: Vec<String> = c
                .as_array()
                .map(|cards| {
                    cards
                        .iter()
                        .filter_map(|card| {
                            let name = path(card, &["name", "formatted_name"]);
                            let phone = items(card, "phones").find_map(|p| field(p, "phone"));
                            match (name, phone) {
                                (Some(n), Some(p)) => Some(format!("{n} ({p})")),
                                (n, p) => n.or(p),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            names.join(", ")
        }
        "interactive" => {
            let sub = field(c, "type").unwrap_or_default();
            c.get(&sub)
                .and_then(|reply| field(reply, "title"))
                .unwrap_or_default()
        }
        "button" => field(c, "text")
            .or_else(|| field(c, "payload"))
            .unwrap_or_default(),
        // An empty emoji means the reaction was removed.
        "reaction" => text("emoji"),
        "order" => {
            let count = items(c, "product_items").count();
            let note = text("text");
            let items = if count == 1 { "item" } else { "items" };
            [format!("Order: {count} {items}"), note]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" — ")
        }
        "system" => text("body"),
        _ => {
            let what = field(c, "type").unwrap_or_else(|| declared.to_owned());
            if what.is_empty() {
                "[unsupported message]".to_owned()
            } else {
                format!("[unsupported message: {what}]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn delivery(messages: Value) -> Delivery {
        read(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001234", "phone_number_id": "301"},
                "contacts": [{"profile": {"name": "Ana Souza"}, "wa_id": "5511987654321"}],
                "messages": messages
            }}]}]
        }))
    }

    fn one(message: Value) -> InboundMessage {
        let mut d = delivery(json!([message]));
        assert_eq!(d.messages.len(), 1, "{d:?}");
        d.messages.remove(0)
    }

    fn msg(kind: &str, content: Value) -> Value {
        let mut m = json!({"from": "5511987654321", "id": format!("wamid.{kind}"), "timestamp": "1764131400", "type": kind});
        m[kind] = content;
        m
    }

    #[test]
    fn text_with_profile_and_time() {
        let d = delivery(json!([msg(
            "text",
            json!({"body": "Oi! Meu pedido atrasou."})
        )]));
        assert_eq!(
            d.profiles,
            vec![("5511987654321".to_owned(), Some("Ana Souza".to_owned()))]
        );
        let m = &d.messages[0];
        assert_eq!(m.kind, "text");
        assert_eq!(m.body, "Oi! Meu pedido atrasou.");
        assert_eq!(m.from.as_deref(), Some("5511987654321"));
        assert_eq!(m.sent_at.map(|t| t.timestamp()), Some(1_764_131_400));
    }

    #[test]
    fn every_type_reads() {
        let cases = [
            (
                msg(
                    "image",
                    json!({"id": "m1", "mime_type": "image/jpeg", "sha256": "x", "caption": "my order"}),
                ),
                "image",
                "my order",
            ),
            (
                msg(
                    "audio",
                    json!({"id": "m2", "mime_type": "audio/ogg; codecs=opus", "voice": true}),
                ),
                "audio",
                "",
            ),
            (
                msg("video", json!({"id": "m3", "mime_type": "video/mp4"})),
                "video",
                "",
            ),
            (
                msg(
                    "document",
                    json!({"id": "m4", "filename": "invoice.pdf", "mime_type": "application/pdf"}),
                ),
                "document",
                "invoice.pdf",
            ),
            (
                msg(
                    "sticker",
                    json!({"id": "m5", "mime_type": "image/webp", "animated": false}),
                ),
                "sticker",
                "",
            ),
            (
                msg(
                    "location",
                    json!({"latitude": -23.5, "longitude": -46.6, "name": "Loja", "address": "Rua A, 1"}),
                ),
                "location",
                "Loja, Rua A, 1 -23.5,-46.6",
            ),
            (
                msg(
                    "contacts",
                    json!([{"name": {"formatted_name": "João"}, "phones": [{"phone": "+55 11 9999"}]}]),
                ),
                "contacts",
                "João (+55 11 9999)",
            ),
            (
                msg(
                    "interactive",
                    json!({"type": "button_reply", "button_reply": {"id": "b1", "title": "Yes"}}),
                ),
                "interactive",
                "Yes",
            ),
            (
                msg(
                    "interactive",
                    json!({"type": "list_reply", "list_reply": {"id": "l1", "title": "Size M", "description": "d"}}),
                ),
                "interactive",
                "Size M",
            ),
            (
                msg(
                    "interactive",
                    json!({"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}}),
                ),
                "interactive",
                "",
            ),
            (
                msg("button", json!({"payload": "TRACK", "text": "Track order"})),
                "button",
                "Track order",
            ),
            (
                msg(
                    "reaction",
                    json!({"message_id": "wamid.ours", "emoji": "👍"}),
                ),
                "reaction",
                "👍",
            ),
            (
                msg("reaction", json!({"message_id": "wamid.ours"})),
                "reaction",
                "",
            ),
            (
                msg(
                    "order",
                    json!({"catalog_id": "c", "text": "fast please", "product_items": [{"product_retailer_id": "p", "quantity": 2, "item_price": 7.99, "currency": "USD"}]}),
                ),
                "order",
                "Order: 1 item — fast please",
            ),
            (
                msg(
                    "system",
                    json!({"body": "User changed number", "type": "user_changed_number", "wa_id": "1"}),
                ),
                "system",
                "User changed number",
            ),
            (
                msg("unsupported", json!({"type": "poll_creation"})),
                "unsupported",
                "[unsupported message: poll_creation]",
            ),
            (
                msg("hologram", json!({"depth": 3})),
                "unsupported",
                "[unsupported message: hologram]",
            ),
        ];
        for (raw, kind, body) in cases {
            let m = one(raw.clone());
            assert_eq!(m.kind, kind, "{raw}");
            assert_eq!(m.body, body, "{raw}");
            assert_eq!(m.raw, raw);
        }
    }

    #[test]
    fn media_reply_and_reaction_targets() {
        let m = one(msg(
            "image",
            json!({"id": "media-1", "mime_type": "image/jpeg", "sha256": "abc="}),
        ));
        assert_eq!(
            m.media,
            Some(Media {
                id: "media-1".into(),
                mime_type: Some("image/jpeg".into()),
                sha256: Some("abc=".into()),
                filename: None
            })
        );
        let mut quoted = msg("text", json!({"body": "this one"}));
        quoted["context"] = json!({"from": "15550001234", "id": "wamid.quoted"});
        assert_eq!(one(quoted).reply_to.as_deref(), Some("wamid.quoted"));
        let reaction = one(msg(
            "reaction",
            json!({"message_id": "wamid.target", "emoji": "❤"}),
        ));
        assert_eq!(reaction.reply_to.as_deref(), Some("wamid.target"));
    }

    #[test]
    fn unexpected_shapes_are_tolerated() {
        // Numbers where strings were documented, a '+' on the id, no `from` (username users).
        let m = one(
            json!({"from": "+5511987654321", "id": "wamid.n", "timestamp": 1764131400, "type": "text", "text": {"body": 42}}),
        );
        assert_eq!(m.from.as_deref(), Some("5511987654321"));
        assert_eq!(m.body, "42");
        assert!(m.sent_at.is_some());
        let m = one(
            json!({"id": "wamid.u", "from_user_id": "US.1349", "type": "text", "text": {"body": "hi"}}),
        );
        assert_eq!(m.from.as_deref(), Some("US.1349"));
        let m = one(
            json!({"id": "wamid.x", "type": "text", "text": "not an object", "timestamp": "soon"}),
        );
        assert_eq!(m.body, "");
        assert_eq!(m.sent_at, None);
        // Without an id there is nothing to deduplicate on: skipped.
        assert!(delivery(json!([{"type": "text"}])).messages.is_empty());
        // Whole bodies of the wrong shape read as empty, never fail.
        for body in [
            json!(null),
            json!([]),
            json!({"entry": 5}),
            json!({"entry": [{"changes": [{"field": "messages", "value": 7}]}]}),
        ] {
            assert_eq!(read(&body).messages.len(), 0);
        }
    }

    #[test]
    fn statuses_errors_and_other_fields() {
        let d = read(&json!({"entry": [
            {"changes": [{"field": "messages", "value": {"statuses": [
                {"id": "wamid.a", "status": "read", "timestamp": "1764131700", "recipient_id": "1"},
                {"id": "wamid.b", "status": "failed", "timestamp": "1764131701", "errors": [
                    {"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}}]}
            ], "errors": [{"code": 130429, "title": "Rate limit hit"}]}}]},
            {"changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}
        ]}));
        assert_eq!(d.statuses.len(), 2);
        assert_eq!(d.statuses[0].status, "read");
        let error = d.statuses[1].error.as_ref().expect("error");
        assert_eq!(error.code, Some(131047));
        assert_eq!(error.details.as_deref(), Some("more than 24 hours"));
        assert_eq!(
            d.other,
            vec![
                "error 130429: Rate limit hit".to_owned(),
                "account_update".to_owned()
            ]
        );
    }
}
