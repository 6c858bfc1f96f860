//! One customer's message followed through the JSON log of the real binary: the webhook's
//! request id is on its answer, on the line that stores the message, in the reply job and on
//! the send, each with the conversation's id.

use crate::common;

use std::collections::BTreeSet;

use common::fake_graph::{FakeGraph, PHONE_ID, TOKEN};
use common::meta::{deliver_to, envelope, text, SECRET};
use common::process::{self, ServerProcess};
use common::{free_port, Engine, TestDb};
use serde_json::{json, Value};

/// Every value of `field` in a log line: on the event, its span and the spans it is in.
fn values(line: &Value, field: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut look = |object: &Value| {
        if let Some(value) = object.get(field) {
            found.insert(match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
    };
    look(line);
    look(&line["fields"]);
    look(&line["span"]);
    for span in line["spans"].as_array().into_iter().flatten() {
        look(span);
    }
    found
}

/// The log lines whose message is `message`.
fn lines<'a>(log: &'a [Value], message: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|l| l["message"] == message || l["fields"]["message"] == message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_is_followed_from_the_webhook_to_the_send() {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(Engine::Sqlite).await;
    let port = free_port();
    let mut command = process::command(&db.url, db.data_dir.path(), port);
    command
        .env("LOG_FORMAT", "json")
        .env("WHATSAPP_GRAPH_URL", &graph.url)
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_PHONE_NUMBER_ID", PHONE_ID)
        .env("WHATSAPP_APP_SECRET", SECRET);
    let server = ServerProcess::start(command, port, &db.data_dir.path().join("server.log")).await;

    let body = envelope(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001234", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511900000001"}],
        "messages": [text("wamid.trace.1", chrono::Utc::now().timestamp(), "Do you open on Sundays?")]
    }))
    .to_string();
    // A caller cannot choose the id that ties the log together.
    let caller = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::HeaderName::from_static("x-request-id"),
                reqwest::header::HeaderValue::from_static("chosen-by-the-caller"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .expect("client");
    let answer = deliver_to(&caller, &server.base, body.as_bytes()).await;
    assert_eq!(answer.status(), 200);
    let request_id = answer
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("the answer names its request")
        .to_owned();
    assert_ne!(request_id, "chosen-by-the-caller");

    // The reply (a hand-off: no knowledge, no provider) reaches Meta, then is logged as sent.
    let read = || {
        let text = server.log_text();
        let log: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (text, log)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let log = loop {
        let (text, log) = read();
        if !lines(&log, "message sent").is_empty() {
            break log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no \"message sent\" line in the log:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    let received = lines(&log, "message received");
    assert_eq!(received.len(), 1, "{received:?}");
    let conversation = values(received[0], "conversation_id");
    assert_eq!(conversation.len(), 1, "{:?}", received[0]);
    assert_eq!(
        values(received[0], "request_id"),
        BTreeSet::from([request_id.clone()]),
        "the webhook's line: {:?}",
        received[0]
    );
    for step in ["message queued", "message sent"] {
        let found = lines(&log, step);
        assert_eq!(found.len(), 1, "{step}: {found:?}");
        assert_eq!(
            values(found[0], "request_id"),
            BTreeSet::from([request_id.clone()]),
            "{step}: {:?}",
            found[0]
        );
        assert_eq!(
            values(found[0], "conversation_id"),
            conversation,
            "{step}: {:?}",
            found[0]
        );
    }
    // The reply job and the send job each ran in a span of their own, under the same id.
    let kinds: BTreeSet<String> = log
        .iter()
        .filter(|l| values(l, "request_id").contains(&request_id))
        .flat_map(|l| values(l, "kind"))
        .collect();
    assert!(
        kinds.contains("ai_reply") && kinds.contains("whatsapp_send"),
        "{kinds:?}"
    );
}
