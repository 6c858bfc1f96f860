//! The audit log over HTTP: the owner's actions, through server functions and plain HTTP
//! handlers alike, recorded with the address they came from, newest first, for the owner only.

use crate::common;

use common::meta::{deliver_json, inbound, text};
use common::{eventually, expect_ok, json, Engine, TestApp, EMAIL, PASSWORD};
use serde_json::{json, Value};

async fn entries(app: &TestApp) -> Vec<Value> {
    let page = json(app.post("/api/settings/audit", json!({})).await).await;
    page["items"].as_array().expect("items").clone()
}

on_both_engines!(owner_actions_are_recorded);

async fn owner_actions_are_recorded(engine: Engine) {
    let (app, _graph, _db) = common::spawn_connected(engine).await;
    assert_eq!(
        app.post("/api/settings/audit", json!({})).await.status(),
        200
    );
    let stranger = common::client();
    assert_eq!(
        app.call(&stranger, "/api/settings/audit", json!({}))
            .await
            .status(),
        401
    );

    let res = app.login_with(&app.client, EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 200);
    // A failed sign-in is not an owner action.
    let res = app.login_with(&stranger, EMAIL, "wrong password!").await;
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .post(app.url("/api/knowledge/upload"))
        .query(&[("name", "menu.txt")])
        .body("Bread and cakes, baked daily.")
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201);
    let document = json(res).await["id"].clone();
    expect_ok(
        app.post("/api/ai/behaviour", json!({"behaviour": json(app.post("/api/ai/settings", json!({})).await).await["behaviour"]}))
            .await,
    )
    .await;
    let at = chrono::Utc::now().timestamp();
    assert_eq!(
        deliver_json(&app, &inbound(json!([text("wamid.a1", at, "hello")])))
            .await
            .status(),
        200
    );
    let conversation = eventually("the conversation", || async {
        let page = json(
            app.post("/api/inbox/conversations", json!({"query": {}}))
                .await,
        )
        .await;
        page["items"][0]["id"].as_i64()
    })
    .await;
    expect_ok(
        app.post(
            "/api/inbox/set-ai",
            json!({"conversation_id": conversation, "enabled": false}),
        )
        .await,
    )
    .await;
    let export = app
        .get(&format!(
            "/api/inbox/conversations/{conversation}/export?format=csv"
        ))
        .await;
    assert_eq!(export.status(), 200);
    assert_eq!(
        app.get("/api/analytics/export?table=days").await.status(),
        200
    );
    assert_eq!(app.get("/api/settings/backup").await.status(), 200);
    expect_ok(
        app.post(
            "/api/inbox/customer/erase",
            json!({"conversation_id": conversation}),
        )
        .await,
    )
    .await;
    expect_ok(
        app.post("/api/knowledge/delete", json!({"id": document}))
            .await,
    )
    .await;

    let log = entries(&app).await;
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["detail"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let conversation = format!("#{conversation}");
    assert_eq!(
        actions[0],
        ("document_deleted", format!("Document #{document}").as_str())
    );
    assert_eq!(actions[1].0, "customer_erased");
    assert!(actions[1].1.contains(&conversation));
    assert_eq!(actions[2].0, "backup_downloaded");
    assert_eq!(actions[3].0, "exported");
    assert!(actions[3].1.starts_with("Analytics days"), "{actions:?}");
    assert_eq!(
        actions[4],
        (
            "exported",
            format!("Conversation {conversation} as csv").as_str()
        )
    );
    assert_eq!(
        actions[5],
        (
            "ai_switched",
            format!("Conversation {conversation}: AI off").as_str()
        )
    );
    assert_eq!(actions[6], ("settings_changed", "AI behaviour"));
    assert_eq!(actions[7], ("document_uploaded", "menu.txt"));
    assert_eq!(actions[8], ("signed_in", EMAIL));
    assert_eq!(log.len(), 9, "{actions:?}");
    assert!(log.iter().all(|e| e["ip"] == "127.0.0.1"), "{log:?}");
    app.stop().await;
}
