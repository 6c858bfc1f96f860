//! Sending through the job queue to an in-process fake of Meta's Graph API: sent once, retried
//! only when Meta says so, the 24-hour window enforced, and nothing sent twice across a crash.

use crate::common;

use std::time::Duration;

use chrono::Utc;
use common::fake_graph::FakeGraph;
use common::meta::{deliver_json, envelope, inbound, text};
use common::{eventually, Engine, TestApp, TestDb};
use replydesk::db::entities::{conversation, message};
use replydesk::db::messages::{self, NewOutbound};
use replydesk::jobs::kinds::SendMessage;
use replydesk::jobs::Enqueue;
use replydesk::whatsapp::client::Content;
use replydesk::whatsapp::outbound::SendError;
use sea_orm::EntityTrait;
use serde_json::json;

/// Ana writes (opening the 24-hour window); returns her conversation's id.
async fn ana_writes(app: &TestApp) -> i32 {
    let at = Utc::now().timestamp() - 10;
    let body = inbound(json!([text(
        &format!("wamid.in.{at}"),
        at,
        "Where is my order?"
    )]));
    assert_eq!(deliver_json(app, &body).await.status(), 200);
    conversation::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("conversation")
        .id
}

fn reply(body: &str) -> Content {
    Content::Text {
        body: body.into(),
        preview_url: false,
    }
}

async fn message_in(app: &TestApp, id: i32, status: &str) -> message::Model {
    eventually(&format!("message {id} to be {status}"), || async {
        message::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("query")
            .filter(|m| m.status == status)
    })
    .await
}

/// A message and its send job as a stopped process leaves them: `queued`, or `sending` when it
/// died while calling Meta.
async fn left_behind(db: &TestDb, conversation: i32, body: &str, sending: bool) -> i32 {
    let conn = db.connect().await;
    let queue = replydesk::jobs::Queue::new(conn.clone(), common::fast_jobs());
    let row = messages::insert_outbound(
        &conn,
        NewOutbound {
            conversation_id: conversation,
            sender: "agent",
            kind: "text",
            body,
            content: serde_json::to_string(&reply(body)).expect("json"),
            reply_to_wamid: None,
            ai: None,
        },
    )
    .await
    .expect("insert");
    if sending {
        assert!(messages::transition(&conn, row.id, "queued", "sending")
            .await
            .expect("sending"));
    }
    let job = SendMessage { message_id: row.id };
    let dedupe = Enqueue {
        dedupe_key: Some(format!("send:{}", row.id)),
        ..Enqueue::default()
    };
    queue.enqueue(&conn, &job, dedupe).await.expect("enqueue");
    row.id
}

on_both_engines!(
    a_reply_is_sent_once_and_follows_its_statuses,
    throttling_is_retried_permanent_errors_are_not,
    the_window_is_enforced_before_meta_is_called,
    an_interrupted_send_is_never_repeated,
    jobs_left_by_a_stopped_server_are_sent_after_restart,
    sends_respect_the_outbound_rate_setting,
);

async fn sends_respect_the_outbound_rate_setting(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let conn = db.connect().await;
    replydesk::db::settings::set(&conn, replydesk::db::settings::keys::OUTBOUND_RATE, "5")
        .await
        .expect("setting");
    let app = TestApp::start(common::connected(&db, &graph)).await;
    // The rate saved before boot is the one sends are spaced by; how the limiter spaces its
    // slots is tested on tokio's paused clock beside it, so nothing here depends on the
    // machine's speed.
    assert_eq!(
        app.outbound.send_interval().await,
        Duration::from_millis(200)
    );
    let conversation = ana_writes(&app).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            app.outbound
                .queue(conversation, "agent", reply(&format!("part {n}")), None)
                .await
                .expect("queued"),
        );
    }
    for id in ids {
        message_in(&app, id, "sent").await;
    }
    assert_eq!(graph.requests().len(), 3);

    // A rate saved in Settings applies at once, without a restart.
    app.setup_owner().await;
    let saved = app
        .post(
            "/api/settings/general",
            json!({"general": {"outbound_rate": 20, "max_file_mb": 10, "max_files": 50, "retention_days": 0}}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(
        app.outbound.send_interval().await,
        Duration::from_millis(50)
    );
    app.stop().await;
}

async fn a_reply_is_sent_once_and_follows_its_statuses(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    let conversation = ana_writes(&app).await;

    let id = app
        .outbound
        .queue(
            conversation,
            "agent",
            reply("Olá Ana! It ships today."),
            Some("wamid.x".into()),
        )
        .await
        .expect("queued");
    let sent = message_in(&app, id, "sent").await;
    let wamid = sent.wamid.clone().expect("wamid stored");
    let requests = graph.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["text"]["body"], "Olá Ana! It ships today.");
    assert_eq!(
        requests[0].body["biz_opaque_callback_data"],
        format!("message:{id}")
    );
    assert_eq!(requests[0].body["context"]["message_id"], "wamid.x");

    let status = |s: &str| {
        envelope(
            json!({"statuses": [{"id": wamid, "status": s, "timestamp": Utc::now().timestamp().to_string()}]}),
        )
    };
    assert_eq!(deliver_json(&app, &status("read")).await.status(), 200);
    assert_eq!(deliver_json(&app, &status("delivered")).await.status(), 200);
    message_in(&app, id, "read").await;
    let convo = conversation::Entity::find_by_id(conversation)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        convo.last_message_preview.as_deref(),
        Some("Olá Ana! It ships today.")
    );
    assert_eq!(graph.requests().len(), 1, "sent exactly once");
    app.stop().await;
}

async fn throttling_is_retried_permanent_errors_are_not(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    app.setup_owner().await;
    let conversation = ana_writes(&app).await;

    // 130429 (throughput): retried after a backoff, then sent.
    graph.fail(400, 130429, "Rate limit hit");
    let id = app
        .outbound
        .queue(conversation, "agent", reply("first"), None)
        .await
        .expect("queued");
    message_in(&app, id, "sent").await;
    assert_eq!(graph.requests().len(), 2);

    // 131047 (window closed on Meta's side): failed with Meta's reason, never retried.
    graph.fail(400, 131047, "Re-engagement message");
    let id = app
        .outbound
        .queue(conversation, "agent", reply("second"), None)
        .await
        .expect("queued");
    let failed = message_in(&app, id, "failed").await;
    assert_eq!(failed.error_code, Some(131047));
    assert_eq!(
        failed.error_title.as_deref(),
        Some("(#131047) Re-engagement message")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.requests().len(), 3, "not retried");

    // 190 (token): failed, saying what to do.
    graph.fail(401, 190, "Error validating access token");
    let id = app
        .outbound
        .queue(conversation, "agent", reply("third"), None)
        .await
        .expect("queued");
    let failed = message_in(&app, id, "failed").await;
    assert_eq!(failed.error_code, Some(190));
    assert!(failed
        .error_title
        .unwrap_or_default()
        .contains("WHATSAPP_ACCESS_TOKEN"));
    assert_eq!(app.queue.counts().await.expect("counts").dead, 2);

    // The home page says so until a send succeeds again.
    let overview =
        || async { common::json(app.post("/api/system/overview", json!({})).await).await };
    let problem = overview().await["whatsapp_problem"].clone();
    assert!(
        problem
            .as_str()
            .unwrap_or_default()
            .contains("access token"),
        "{problem}"
    );
    let id = app
        .outbound
        .queue(conversation, "agent", reply("fourth"), None)
        .await
        .expect("queued");
    message_in(&app, id, "sent").await;
    assert_eq!(
        overview().await["whatsapp_problem"],
        serde_json::Value::Null
    );

    // Accepted with an answer we cannot read: it may have been sent, so it waits for Meta's
    // confirmation instead of being sent again or called failed.
    graph.answer(200, json!({"messaging_product": "whatsapp"}));
    let before = graph.requests().len();
    let id = app
        .outbound
        .queue(conversation, "agent", reply("fifth"), None)
        .await
        .expect("queued");
    message_in(&app, id, "sending").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(message_in(&app, id, "sending").await.wamid, None);
    assert_eq!(graph.requests().len(), before + 1, "not sent again");
    app.stop().await;
}

async fn the_window_is_enforced_before_meta_is_called(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    let conversation = ana_writes(&app).await;
    // Ana last wrote 25 hours ago.
    common::customer_wrote_hours_ago(&app, conversation, 25).await;

    let refused = app
        .outbound
        .queue(conversation, "agent", reply("hello again"), None)
        .await;
    assert!(
        matches!(refused, Err(SendError::WindowClosed { .. })),
        "{refused:?}"
    );
    assert!(refused
        .expect_err("refused")
        .to_string()
        .contains("template"));
    for (bad, what) in [
        (reply("   "), "empty"),
        (reply(&"x".repeat(4097)), "too long"),
    ] {
        assert!(
            app.outbound
                .queue(conversation, "agent", bad, None)
                .await
                .is_err(),
            "{what}"
        );
    }
    // A template may always be sent.
    let template = Content::Template {
        name: "order_update".into(),
        language: "pt_BR".into(),
        components: json!([]),
    };
    let id = app
        .outbound
        .queue(conversation, "agent", template, None)
        .await
        .expect("queued");
    message_in(&app, id, "sent").await;
    let requests = graph.requests();
    assert_eq!(requests.len(), 1, "only the template reached Meta");
    assert_eq!(requests[0].body["type"], "template");
    app.stop().await;
}

async fn an_interrupted_send_is_never_repeated(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    // A first process: Ana writes; then it stops.
    let app = TestApp::start(common::connected(&db, &graph)).await;
    let conversation = ana_writes(&app).await;
    app.stop().await;

    // What a process that died while calling Meta leaves behind: two messages "sending", with
    // their jobs.
    let ids = [
        left_behind(&db, conversation, "reached Meta", true).await,
        left_behind(&db, conversation, "lost", true).await,
    ];

    let mut config = common::connected(&db, &graph);
    config.whatsapp.confirmation_wait = Duration::from_millis(1500);
    let app = TestApp::start(config).await;
    // Meta did get the first one: its status webhook carries our callback and links it.
    let echo = envelope(
        json!({"statuses": [{"id": "wamid.recovered", "status": "delivered",
        "timestamp": Utc::now().timestamp().to_string(), "biz_opaque_callback_data": format!("message:{}", ids[0])}]}),
    );
    assert_eq!(deliver_json(&app, &echo).await.status(), 200);
    let recovered = message_in(&app, ids[0], "delivered").await;
    assert_eq!(recovered.wamid.as_deref(), Some("wamid.recovered"));
    // The second never got a confirmation: failed with an explanation, not resent.
    let lost = message_in(&app, ids[1], "failed").await;
    assert!(lost
        .error_title
        .unwrap_or_default()
        .contains("never confirmed"));
    assert!(graph.requests().is_empty(), "nothing was sent again");
    app.stop().await;
}

async fn jobs_left_by_a_stopped_server_are_sent_after_restart(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    let conversation = ana_writes(&app).await;
    app.stop().await;

    // Queued but not yet sent when the server stopped.
    let id = left_behind(&db, conversation, "after the restart", false).await;

    let app = TestApp::start(common::connected(&db, &graph)).await;
    message_in(&app, id, "sent").await;
    // Run once more from scratch: the job is done, nothing is sent twice.
    app.stop().await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(graph.requests().len(), 1);
    app.stop().await;
}
