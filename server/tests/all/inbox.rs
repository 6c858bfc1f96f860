//! The conversation API the live inbox uses, over HTTP: list with filters, search and cursors,
//! threads, replies from the owner within the 24-hour window, read and status changes.

use crate::common;

use chrono::Utc;
use common::meta::{deliver_json, envelope};
use common::{eventually, json, Engine, TestApp};
use replydesk::db::entities::conversation;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};

/// `name` (WhatsApp id `wa_id`) writes `text` `ago` seconds ago.
async fn writes(app: &TestApp, wa_id: &str, name: &str, text: &str, ago: i64) {
    let at = Utc::now().timestamp() - ago;
    let body = envelope(json!({
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": format!("wamid.{wa_id}.{at}"), "timestamp": at.to_string(), "type": "text", "text": {"body": text}}]
    }));
    assert_eq!(deliver_json(app, &body).await.status(), 200);
}

async fn list(app: &TestApp, query: Value) -> Value {
    let res = app
        .post("/api/inbox/conversations", json!({ "query": query }))
        .await;
    assert_eq!(res.status(), 200);
    json(res).await
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

on_both_engines!(list_filter_search_and_page, threads_replies_and_status);

async fn list_filter_search_and_page(engine: Engine) {
    let (app, _graph, _db) = common::spawn_connected(engine).await;
    writes(
        &app,
        "5511900000001",
        "Ana Souza",
        "Meu pedido atrasou",
        300,
    )
    .await;
    writes(
        &app,
        "5511900000002",
        "Bruno",
        "Do you ship to Lisbon?",
        200,
    )
    .await;
    writes(
        &app,
        "US.13491208655302741918",
        "Chloé",
        "100% cotton?",
        100,
    )
    .await;

    // Newest activity first.
    let all = list(&app, json!({})).await;
    assert_eq!(names(&all), ["Chloé", "Bruno", "Ana Souza"]);
    assert_eq!(
        all["items"][0]["phone"],
        Value::Null,
        "username users have no phone"
    );
    assert_eq!(all["items"][2]["phone"], "+5511900000001");
    assert!(all["items"][0]["window_closes_at"].is_string());
    assert_eq!(all["next_cursor"], Value::Null);

    // Pages of two, by cursor.
    let first = list(&app, json!({"limit": 2})).await;
    assert_eq!(names(&first), ["Chloé", "Bruno"]);
    let cursor = first["next_cursor"].as_str().expect("cursor").to_owned();
    let second = list(&app, json!({"limit": 2, "cursor": cursor})).await;
    assert_eq!(names(&second), ["Ana Souza"]);
    assert_eq!(second["next_cursor"], Value::Null);

    // Search by name, phone and message text (case-insensitive; % is literal).
    assert_eq!(
        names(&list(&app, json!({"search": "SOUZA"})).await),
        ["Ana Souza"]
    );
    assert_eq!(
        names(&list(&app, json!({"search": "900000002"})).await),
        ["Bruno"]
    );
    assert_eq!(
        names(&list(&app, json!({"search": "lisbon"})).await),
        ["Bruno"]
    );
    assert_eq!(
        names(&list(&app, json!({"search": "100%"})).await),
        ["Chloé"]
    );
    assert!(names(&list(&app, json!({"search": "nobody"})).await).is_empty());

    // Filters.
    let bruno = all["items"][1]["id"].as_i64().expect("id");
    let res = app
        .post(
            "/api/inbox/set-status",
            json!({"conversation_id": bruno, "status": "closed"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        names(&list(&app, json!({"status": "closed"})).await),
        ["Bruno"]
    );
    assert_eq!(
        names(&list(&app, json!({"status": "open"})).await),
        ["Chloé", "Ana Souza"]
    );
    let mut row: conversation::ActiveModel = conversation::Entity::find_by_id(bruno as i32)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .into();
    row.ai_enabled = Set(false);
    row.handoff = Set("requested".into());
    row.update(&app.db).await.expect("update");
    assert_eq!(names(&list(&app, json!({"ai": false})).await), ["Bruno"]);
    assert_eq!(
        names(&list(&app, json!({"needs_human": true})).await),
        ["Bruno"]
    );
    assert_eq!(
        list(&app, json!({"needs_human": false})).await["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // Bad input is a 400 that names the field.
    for (query, field) in [
        (json!({"status": "deleted"}), "status"),
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 1000}), "limit"),
        (json!({"cursor": "garbage"}), "cursor"),
        (json!({"search": "x".repeat(201)}), "search"),
    ] {
        let res = app
            .post("/api/inbox/conversations", json!({ "query": query }))
            .await;
        assert_eq!(res.status(), 400, "{query}");
        assert_eq!(json(res).await["field"], field);
    }
    app.stop().await;
}

async fn threads_replies_and_status(engine: Engine) {
    let (app, graph, _db) = common::spawn_connected(engine).await;
    for n in 0..5 {
        writes(
            &app,
            "5511900000001",
            "Ana",
            &format!("message {n}"),
            50 - n,
        )
        .await;
    }
    let convo = list(&app, json!({})).await["items"][0].clone();
    let id = convo["id"].as_i64().expect("id");
    assert_eq!(convo["unread_count"], 5);

    // The thread, newest page first, each page oldest first.
    let page = json(
        app.post(
            "/api/inbox/thread",
            json!({"conversation_id": id, "limit": 3}),
        )
        .await,
    )
    .await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().expect("body"))
        .collect();
    assert_eq!(bodies, ["message 2", "message 3", "message 4"]);
    let older = page["older_cursor"].as_i64().expect("older");
    let page = json(
        app.post(
            "/api/inbox/thread",
            json!({"conversation_id": id, "before": older, "limit": 3}),
        )
        .await,
    )
    .await;
    assert_eq!(page["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["older_cursor"], Value::Null);
    let res = app
        .post("/api/inbox/thread", json!({"conversation_id": 999999}))
        .await;
    assert_eq!(res.status(), 404);

    // A reply from the owner, quoting the last message, sent through Meta.
    let last = page["messages"][1]["id"].clone();
    let res = app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": id, "body": "Olá Ana, checking now.", "reply_to": last}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let sent = json(res).await;
    assert_eq!(
        (sent["direction"].as_str(), sent["sender"].as_str()),
        (Some("outbound"), Some("agent"))
    );
    let message_id = sent["id"].as_i64().expect("id");
    eventually("the reply to be sent", || async {
        let thread = json(
            app.post("/api/inbox/thread", json!({"conversation_id": id}))
                .await,
        )
        .await;
        let reply = thread["messages"]
            .as_array()?
            .iter()
            .find(|m| m["id"].as_i64() == Some(message_id))?
            .clone();
        (reply["status"] == "sent").then_some(())
    })
    .await;
    let quoted = graph.requests()[0].body["context"]["message_id"].clone();
    assert!(
        quoted
            .as_str()
            .is_some_and(|w| w.starts_with("wamid.5511900000001.")),
        "{quoted}"
    );

    // Empty and outside the window: refused with a reason.
    let res = app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": id, "body": "  "}),
        )
        .await;
    assert_eq!(json(res).await["field"], "body");
    common::customer_wrote_hours_ago(&app, id as i32, 30).await;
    let res = app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": id, "body": "still there?"}),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("template"));

    // Read and status.
    assert_eq!(
        app.post("/api/inbox/mark-read", json!({"conversation_id": id}))
            .await
            .status(),
        200
    );
    assert_eq!(list(&app, json!({})).await["items"][0]["unread_count"], 0);
    let res = app
        .post(
            "/api/inbox/set-status",
            json!({"conversation_id": id, "status": "archived"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        list(&app, json!({"status": "archived"})).await["items"][0]["id"],
        id
    );
    assert_eq!(
        app.post("/api/inbox/mark-read", json!({"conversation_id": 999999}))
            .await
            .status(),
        404
    );

    // All of it needs the owner.
    let res = app
        .call(
            &common::client(),
            "/api/inbox/conversations",
            json!({"query": {}}),
        )
        .await;
    assert_eq!(res.status(), 401);
    app.stop().await;
}
