//! The dashboard's push stream: every stored change arrives once, in order, across a reconnect.

use crate::common;

use std::time::Duration;

use chrono::Utc;
use common::meta::{deliver_json, deliver_to, envelope, inbound, spawn, text};
use common::process::{self, ServerProcess};
use common::{client, Engine, TestApp};
use serde_json::{json, Value};

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    id: i32,
    event: String,
    data: Value,
}

/// Reads server-sent events from an open response.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, last_event_id: Option<i32>) -> Self {
        Self::open_at(&app.client, &app.url("/api/events"), last_event_id).await
    }

    async fn open_at(client: &reqwest::Client, url: &str, last_event_id: Option<i32>) -> Self {
        let mut request = client.get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("connect");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `n` events (keep-alive comments are skipped), or a panic after 10 s.
    async fn take(&mut self, n: usize) -> Vec<Sse> {
        let mut events = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while events.len() < n {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut event = String::new();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if let Some(id) = id {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    events.push(Sse { id, event, data });
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| {
                    panic!("only {} of {n} events arrived: {events:?}", events.len())
                })
                .expect("stream")
                .expect("stream still open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        events
    }
}

impl Stream {
    /// Reads until the server closes the stream (a guard of 30 s against hanging, not a
    /// speed check).
    async fn closes(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => panic!("the stream is still open"),
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None) | Err(_)) => return,
            }
        }
    }
}

on_both_engines!(
    a_reconnect_resumes_without_loss_or_repeats,
    the_stream_needs_the_owner,
    a_stream_ends_with_its_session
);

/// Logging out (or a password change elsewhere) closes the dashboards' open streams: the
/// changes of a signed-out session stop flowing.
async fn a_stream_ends_with_its_session(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    app.setup_owner().await;
    let mut stream = Stream::open(&app, None).await;
    assert_eq!(app.post("/api/auth/logout", json!({})).await.status(), 200);
    stream.closes().await;
    app.stop().await;
}

/// A `replydesk serve` process on the shared database, with a data directory of its own.
struct Replica {
    server: ServerProcess,
    _data_dir: tempfile::TempDir,
}

impl Replica {
    async fn start(database_url: &str) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = common::free_port();
        let mut command = process::command(database_url, data_dir.path(), port);
        command.env("WHATSAPP_APP_SECRET", common::meta::SECRET);
        let log = data_dir.path().join("server.log");
        Self {
            server: ServerProcess::start(command, port, &log).await,
            _data_dir: data_dir,
        }
    }
}

/// Railway overlaps the old and the new deployment on one PostgreSQL: a message Meta delivers
/// to one process reaches a dashboard connected to the other, live.
#[tokio::test]
async fn events_reach_dashboards_on_another_process() {
    if !common::postgres_enabled() {
        return;
    }
    let db = common::TestDb::new(Engine::Postgres).await;
    let (first, second) = (Replica::start(&db.url).await, Replica::start(&db.url).await);
    let (first, second) = (&first.server, &second.server);
    let dashboard = second.owner().await;
    let mut stream =
        Stream::open_at(&dashboard, &format!("{}/api/events", second.base), None).await;

    let at = Utc::now().timestamp();
    let body = inbound(json!([text(
        "wamid.replica",
        at,
        "Hello from the other side"
    )]))
    .to_string();
    let res = deliver_to(&client(), &first.base, body.as_bytes()).await;
    assert_eq!(res.status(), 200);

    let events = stream.take(2).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        ["message_created", "conversation_updated"],
        "{events:?}"
    );
    // And the dashboard on the second process reads the message the first one stored.
    let conversation_id = events[0].data["change"]["conversation_id"].clone();
    let res = dashboard
        .post(format!("{}/api/inbox/thread", second.base))
        .json(&json!({ "conversation_id": conversation_id }))
        .send()
        .await
        .expect("thread");
    let thread: Value = res.json().await.expect("json");
    assert_eq!(thread["messages"][0]["body"], "Hello from the other side");

    // Settings saved through one process take effect on the other: its webhook answers Meta's
    // handshake with the new verify token.
    let owner = first.owner().await;
    let res = owner
        .post(format!("{}/api/settings/whatsapp", first.base))
        .json(&json!({"input": {"verify_token": "replica-verify-token"}}))
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), 200);
    let handshake = format!(
        "{}/api/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=replica-verify-token&hub.challenge=7",
        second.base
    );
    common::eventually("the other process to use the new verify token", || async {
        let res = client().get(&handshake).send().await.ok()?;
        (res.status() == 200).then_some(())
    })
    .await;
}

async fn a_reconnect_resumes_without_loss_or_repeats(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    app.setup_owner().await;
    let at = Utc::now().timestamp() - 100;

    let mut stream = Stream::open(&app, None).await;
    for n in 0..3 {
        let body = inbound(json!([text(&format!("wamid.a{n}"), at + n, "hello")]));
        assert_eq!(deliver_json(&app, &body).await.status(), 200);
    }
    let first = stream.take(6).await;
    let kinds: Vec<&str> = first.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        ["message_created", "conversation_updated"].repeat(3),
        "{first:?}"
    );
    assert_eq!(first[0].data["change"]["type"], "message_created");
    assert!(first[0].data["change"]["message_id"].is_i64());
    drop(stream); // the browser goes offline

    // Meanwhile: two more messages and a status for an unknown message (no event: nothing changed).
    for n in 3..5 {
        let body = inbound(json!([text(
            &format!("wamid.a{n}"),
            at + n,
            "still there?"
        )]));
        assert_eq!(deliver_json(&app, &body).await.status(), 200);
    }
    let status = envelope(
        json!({"statuses": [{"id": "wamid.nope", "status": "read", "timestamp": at.to_string()}]}),
    );
    assert_eq!(deliver_json(&app, &status).await.status(), 200);

    // Back online with the last id seen: exactly what was missed, then live events again.
    let last = first.last().expect("events").id;
    let mut stream = Stream::open(&app, Some(last)).await;
    let missed = stream.take(4).await;
    let body = inbound(json!([text("wamid.a5", at + 5, "live again")]));
    assert_eq!(deliver_json(&app, &body).await.status(), 200);
    let live = stream.take(2).await;

    let all: Vec<&Sse> = first.iter().chain(&missed).chain(&live).collect();
    let ids: Vec<i32> = all.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    let created: Vec<i64> = all
        .iter()
        .filter(|e| e.event == "message_created")
        .map(|e| e.data["change"]["message_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(created.len(), 6, "every message once: {created:?}");
    let mut unique = created.clone();
    unique.dedup();
    assert_eq!(unique, created);
    app.stop().await;
}

async fn the_stream_needs_the_owner(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    app.setup_owner().await;
    let res = app.get_as(&client(), "/api/events").await;
    assert_eq!(res.status(), 401);
    app.stop().await;
}
