//! The inbox's tools over HTTP: the customer panel, priority, bulk actions, WhatsApp templates
//! outside the 24-hour window, retrying a failed send, exports, and erasing a customer with
//! every trace of them (rows and files).

use crate::common;

use chrono::Utc;
use common::meta::{deliver_json, envelope, inbound};
use common::{eventually, expect_ok, json, Engine, TestApp};
use replydesk::db::entities::{conversation, customer, llm_usage, message};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

/// `name` (WhatsApp id `wa_id`) writes `text`; returns the conversation id.
async fn writes(app: &TestApp, wa_id: &str, name: &str, text: &str) -> i64 {
    let at = Utc::now().timestamp();
    let body = envelope(json!({
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": format!("wamid.{wa_id}.{text}"), "timestamp": at.to_string(), "type": "text", "text": {"body": text}}]
    }));
    assert_eq!(deliver_json(app, &body).await.status(), 200);
    let page = json(
        app.post(
            "/api/inbox/conversations",
            json!({"query": {"search": wa_id}}),
        )
        .await,
    )
    .await;
    page["items"][0]["id"].as_i64().expect("conversation")
}

async fn ok_json(app: &TestApp, path: &str, body: Value) -> Value {
    let res = app.post(path, body).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn thread(app: &TestApp, id: i64) -> Value {
    ok_json(app, "/api/inbox/thread", json!({"conversation_id": id})).await
}

/// The message `id` of conversation `convo` once its status is `status`.
async fn message_with_status(app: &TestApp, convo: i64, id: i64, status: &str) -> Value {
    eventually(&format!("message {id} to be {status}"), || async {
        let thread = thread(app, convo).await;
        thread["messages"]
            .as_array()?
            .iter()
            .find(|m| m["id"].as_i64() == Some(id) && m["status"] == status)
            .cloned()
    })
    .await
}

on_both_engines!(
    customer_panel_priority_and_bulk,
    templates_outside_the_window_and_retry,
    export_and_erase
);

async fn customer_panel_priority_and_bulk(engine: Engine) {
    let (app, _graph, _db) = common::spawn_connected(engine).await;
    let ana = writes(&app, "5511900000001", "Ana Souza", "Oi").await;
    writes(&app, "5511900000001", "Ana Souza", "Tudo bem?").await;
    let bruno = writes(&app, "5511900000002", "Bruno", "Hello").await;

    // The panel: profile and counts.
    let profile = ok_json(&app, "/api/inbox/customer", json!({"conversation_id": ana})).await;
    assert_eq!(profile["name"], "Ana Souza");
    assert_eq!(profile["phone"], "+5511900000001");
    assert_eq!(profile["messages_received"], 2);
    assert_eq!(profile["messages_sent"], 0);
    assert!(profile["first_seen_at"].is_string());

    // Notes, tags and a name of the owner's: tidied, shown in the list, searchable.
    let saved = ok_json(
        &app,
        "/api/inbox/customer/update",
        json!({"conversation_id": ana, "input": {"display_name": " Ana (bakery) ", "notes": "Prefers mornings", "tags": ["VIP", "vip", "wholesale"]}}),
    )
    .await;
    assert_eq!(saved["name"], "Ana (bakery)");
    assert_eq!(saved["notes"], "Prefers mornings");
    assert_eq!(saved["tags"], json!(["VIP", "wholesale"]));
    let listed = ok_json(&app, "/api/inbox/conversations", json!({"query": {}})).await;
    let row = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == ana)
        .expect("ana")
        .clone();
    assert_eq!(row["name"], "Ana (bakery)");
    assert_eq!(row["tags"], json!(["VIP", "wholesale"]));
    let res = app
        .post(
            "/api/inbox/customer/update",
            json!({"conversation_id": ana, "input": {"notes": "x".repeat(4001)}}),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "notes");

    // Priority.
    ok_json(
        &app,
        "/api/inbox/set-priority",
        json!({"conversation_id": bruno, "priority": true}),
    )
    .await;
    let thread_bruno = thread(&app, bruno).await;
    assert_eq!(thread_bruno["conversation"]["priority"], true);

    // Bulk: close both, AI off, tag; each conversation once, unknown ids skipped.
    let both = json!([ana, bruno, ana, 999_999]);
    let closed = ok_json(
        &app,
        "/api/inbox/bulk",
        json!({"conversation_ids": both, "action": {"action": "close"}}),
    )
    .await;
    assert_eq!(closed, 2);
    let closed_list = ok_json(
        &app,
        "/api/inbox/conversations",
        json!({"query": {"status": "closed"}}),
    )
    .await;
    assert_eq!(closed_list["items"].as_array().map(Vec::len), Some(2));
    ok_json(
        &app,
        "/api/inbox/bulk",
        json!({"conversation_ids": [ana, bruno], "action": {"action": "ai_off"}}),
    )
    .await;
    ok_json(
        &app,
        "/api/inbox/bulk",
        json!({"conversation_ids": [ana, bruno], "action": {"action": "tag", "tag": " Lisbon "}}),
    )
    .await;
    let off = ok_json(
        &app,
        "/api/inbox/conversations",
        json!({"query": {"ai": false}}),
    )
    .await;
    let tags: Vec<Value> = off["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["tags"].clone())
        .collect();
    assert_eq!(tags.len(), 2);
    assert!(
        tags.contains(&json!(["VIP", "wholesale", "Lisbon"])),
        "{tags:?}"
    );
    assert!(tags.contains(&json!(["Lisbon"])), "{tags:?}");
    // A customer at the tag limit (12) keeps their tags; the others are tagged.
    let twelve: Vec<String> = (1..=12).map(|n| format!("t{n}")).collect();
    ok_json(
        &app,
        "/api/inbox/customer/update",
        json!({"conversation_id": bruno, "input": {"tags": twelve}}),
    )
    .await;
    let tagged = ok_json(
        &app,
        "/api/inbox/bulk",
        json!({"conversation_ids": [ana, bruno], "action": {"action": "tag", "tag": "late"}}),
    )
    .await;
    assert_eq!(tagged, 1);
    let bruno_now = ok_json(
        &app,
        "/api/inbox/customer",
        json!({"conversation_id": bruno}),
    )
    .await;
    assert_eq!(bruno_now["tags"].as_array().map(Vec::len), Some(12));
    for (body, field) in [
        (
            json!({"conversation_ids": [], "action": {"action": "close"}}),
            "conversation_ids",
        ),
        (
            json!({"conversation_ids": vec![ana; 501], "action": {"action": "close"}}),
            "conversation_ids",
        ),
        (
            json!({"conversation_ids": [ana], "action": {"action": "tag", "tag": "  "}}),
            "tag",
        ),
    ] {
        let res = app.post("/api/inbox/bulk", body).await;
        assert_eq!(res.status(), 400);
        assert_eq!(json(res).await["field"], field);
    }
    app.stop().await;
}

async fn templates_outside_the_window_and_retry(engine: Engine) {
    let (app, graph, _db) = common::spawn_connected(engine).await;
    let ana = writes(&app, "5511900000001", "Ana", "Oi").await;

    // Templates are registered as approved in WhatsApp Manager; bad ones are refused.
    let saved = ok_json(
        &app,
        "/api/inbox/templates/save",
        json!({"templates": [{"name": "order_update", "language": "pt_BR", "body": "Olá {{1}}, seu pedido {{2}} saiu."}]}),
    )
    .await;
    assert_eq!(saved[0]["name"], "order_update");
    let res = app
        .post(
            "/api/inbox/templates/save",
            json!({"templates": [{"name": "Order Update", "language": "pt_BR", "body": "x"}]}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let listed = ok_json(&app, "/api/inbox/templates", json!({})).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // Outside the window a free-form reply is refused, a template goes, with its parameters.
    common::customer_wrote_hours_ago(&app, ana as i32, 25).await;
    let res = app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": ana, "body": "Oi?"}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .post(
            "/api/inbox/send-template",
            json!({"conversation_id": ana, "message": {"name": "order_update", "language": "pt_BR", "params": ["Ana"]}}),
        )
        .await;
    assert_eq!(res.status(), 400, "one value missing");
    let sent = ok_json(
        &app,
        "/api/inbox/send-template",
        json!({"conversation_id": ana, "message": {"name": "order_update", "language": "pt_BR", "params": ["Ana", "A-7781"]}}),
    )
    .await;
    assert_eq!(sent["kind"], "template");
    let id = sent["id"].as_i64().expect("id");
    message_with_status(&app, ana, id, "sent").await;
    let request = graph.requests().last().expect("request").body.clone();
    assert_eq!(request["type"], "template");
    assert_eq!(request["template"]["name"], "order_update");
    assert_eq!(request["template"]["language"]["code"], "pt_BR");
    assert_eq!(
        request["template"]["components"][0]["parameters"][1]["text"],
        "A-7781"
    );

    // A send Meta refuses fails with its reason; once the cause is fixed, retry sends it.
    graph.fail(400, 131_026, "Message undeliverable");
    let failed = ok_json(
        &app,
        "/api/inbox/send-template",
        json!({"conversation_id": ana, "message": {"name": "order_update", "language": "pt_BR", "params": ["Ana", "B-1"]}}),
    )
    .await;
    let failed_id = failed["id"].as_i64().expect("id");
    let shown = message_with_status(&app, ana, failed_id, "failed").await;
    assert!(
        shown["error"]
            .as_str()
            .unwrap_or_default()
            .contains("undeliverable"),
        "{shown}"
    );
    graph.answer(
        200,
        json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.retried"}]}),
    );
    let retried = ok_json(&app, "/api/inbox/retry", json!({"message_id": failed_id})).await;
    assert_eq!(retried["status"], "queued");
    assert_eq!(retried["error"], Value::Null);
    message_with_status(&app, ana, failed_id, "sent").await;
    // Only failed messages can be retried.
    let res = app
        .post("/api/inbox/retry", json!({"message_id": failed_id}))
        .await;
    assert_eq!(res.status(), 409);

    // A failed message whose stored content cannot be read back says so, instead of sending.
    graph.fail(400, 131_026, "Message undeliverable");
    let broken = ok_json(
        &app,
        "/api/inbox/send-template",
        json!({"conversation_id": ana, "message": {"name": "order_update", "language": "pt_BR", "params": ["Ana", "C-2"]}}),
    )
    .await;
    let broken_id = broken["id"].as_i64().expect("id");
    message_with_status(&app, ana, broken_id, "failed").await;
    let mut row: message::ActiveModel = message::Entity::find_by_id(broken_id as i32)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .into();
    row.raw = Set(Some("not a message".into()));
    row.update(&app.db).await.expect("update");
    let res = app
        .post("/api/inbox/retry", json!({"message_id": broken_id}))
        .await;
    assert_eq!(res.status(), 409);
    assert!(json(res).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("could not be read back"));
    app.stop().await;
}

async fn export_and_erase(engine: Engine) {
    let (app, _graph, db) = common::spawn_connected(engine).await;
    let ana = writes(&app, common::meta::ANA, "Ana Souza", "=SUM(A1), \"quoted\"").await;
    let bruno = writes(&app, "5511900000002", "Bruno", "Hello").await;
    // A photo from Ana: downloaded to the media folder.
    let at = Utc::now().timestamp().to_string();
    let photo = inbound(
        json!([{"from": common::meta::ANA, "id": "wamid.photo", "timestamp": at, "type": "image",
        "image": {"id": "88231", "mime_type": "image/jpeg", "caption": "my order"}}]),
    );
    assert_eq!(deliver_json(&app, &photo).await.status(), 200);
    let stored = eventually("the photo to be stored", || async {
        message::Entity::find()
            .filter(message::Column::Wamid.eq("wamid.photo"))
            .one(&app.db)
            .await
            .expect("query")
            .filter(|m| m.media_status.as_deref() == Some("ready"))
    })
    .await;
    let file = db.data_dir.path().join(stored.media_path.expect("path"));
    assert!(file.exists());
    let ok = app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": ana, "body": "Olá, Ana!"}),
        )
        .await;
    expect_ok(ok).await;

    // Exports: JSON, CSV (quoted, formulas neutralised), plain text.
    let res = app
        .get(&format!(
            "/api/inbox/conversations/{ana}/export?format=json"
        ))
        .await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .expect("header")
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".json"),
        "{disposition}"
    );
    let exported: Value = res.json().await.expect("json");
    assert_eq!(exported["customer"]["name"], "Ana Souza");
    assert_eq!(exported["messages"].as_array().map(Vec::len), Some(3));
    let csv = app
        .get(&format!("/api/inbox/conversations/{ana}/export?format=csv"))
        .await
        .text()
        .await
        .expect("csv");
    assert!(
        csv.starts_with("id,sent_at,direction,sender,kind,status,body,error\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",\"'=SUM(A1), \"\"quoted\"\"\","), "{csv}");
    let txt = app
        .get(&format!("/api/inbox/conversations/{ana}/export?format=txt"))
        .await
        .text()
        .await
        .expect("txt");
    assert!(
        txt.starts_with("Conversation with Ana Souza (+5511987654321)"),
        "{txt}"
    );
    assert!(txt.contains("] You: Olá, Ana!"), "{txt}");
    assert!(txt.contains("] Ana Souza: my order"), "{txt}");
    let res = app
        .get(&format!(
            "/api/inbox/conversations/{ana}/export?format=xlsx"
        ))
        .await;
    assert_eq!(res.status(), 400);
    let res = app
        .get_as(
            &common::client(),
            &format!("/api/inbox/conversations/{ana}/export"),
        )
        .await;
    assert_eq!(res.status(), 401);

    // A hand-off reason about Ana in the event log (what the dashboard is pushed), and one
    // about Bruno.
    {
        use sea_orm::TransactionTrait;
        let txn = app.db.begin().await.expect("begin");
        replydesk::db::events::record(
            &txn,
            [
                (ana, "Ana's private complaint"),
                (bruno, "Bruno asked for a person"),
            ]
            .into_iter()
            .map(|(id, reason)| app::model::Change::HandoffRequested {
                conversation_id: id as i32,
                reason: reason.to_owned(),
            })
            .collect(),
        )
        .await
        .expect("record");
        txn.commit().await.expect("commit");
    }

    // Erase Ana: her rows and her file are gone; Bruno is untouched.
    let ana_customer = conversation::Entity::find_by_id(ana as i32)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .customer_id;
    ok_json(
        &app,
        "/api/inbox/customer/erase",
        json!({"conversation_id": ana}),
    )
    .await;
    assert!(customer::Entity::find_by_id(ana_customer)
        .one(&app.db)
        .await
        .expect("query")
        .is_none());
    assert!(conversation::Entity::find_by_id(ana as i32)
        .one(&app.db)
        .await
        .expect("query")
        .is_none());
    let left = message::Entity::find()
        .filter(message::Column::ConversationId.eq(ana as i32))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(left, 0);
    let usage = llm_usage::Entity::find()
        .filter(llm_usage::Column::ConversationId.eq(ana as i32))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(usage, 0);
    assert!(!file.exists(), "the photo is deleted from the media folder");
    let events: Vec<String> = replydesk::db::entities::event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.payload)
        .collect();
    assert!(
        !events.iter().any(|p| p.contains("Ana's private complaint")),
        "an erased customer's hand-off reason outlives her: {events:?}"
    );
    assert!(events
        .iter()
        .any(|p| p.contains("Bruno asked for a person")));
    // Old events are dropped by housekeeping; recent ones stay.
    let dropped = replydesk::db::events::prune(&app.db, Utc::now() + chrono::Duration::seconds(1))
        .await
        .expect("prune");
    assert!(dropped >= 1);
    let kept = replydesk::db::entities::event::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(kept, 0);
    let res = app
        .get(&format!(
            "/api/inbox/conversations/{ana}/export?format=json"
        ))
        .await;
    assert_eq!(res.status(), 404);
    let listed = ok_json(&app, "/api/inbox/conversations", json!({"query": {}})).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["id"], bruno);
    app.stop().await;
}
