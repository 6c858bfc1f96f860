//! Prompt templates over HTTP: the built-ins seeded at first boot and refreshed by a release
//! without touching the owner's own, exactly one active, variables checked on save.

use crate::common;

use common::{expect_ok, json, Engine};
use replydesk::db::entities::prompt_template;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

on_both_engines!(builtins_are_seeded_and_refreshed_but_owner_templates_are_not);

async fn builtins_are_seeded_and_refreshed_but_owner_templates_are_not(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    app.setup_owner().await;
    let list = json(app.post("/api/prompts/list", json!({})).await).await;
    let templates = list.as_array().expect("list");
    assert_eq!(templates.len(), 14);
    let active: Vec<&str> = templates
        .iter()
        .filter(|t| t["active"] == true)
        .map(|t| t["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(active, ["General business"]);

    // The owner's own template, active; an unknown variable is refused by name.
    let bad = app
        .post(
            "/api/prompts/save",
            json!({"template": {"name": "Mine", "body": "Hi {{nmae}}"}}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(json(bad).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("{{nmae}}"));
    let mine = json(
        app.post(
            "/api/prompts/save",
            json!({"template": {"name": "Mine", "body": "Be kind, {{customer_name}}."}}),
        )
        .await,
    )
    .await;
    let mine_id = mine["id"].as_i64().expect("id");
    expect_ok(
        app.post("/api/prompts/activate", json!({"id": mine_id}))
            .await,
    )
    .await;
    let builtin_id = templates[0]["id"].as_i64().expect("id");
    let edit = app
        .post(
            "/api/prompts/save",
            json!({"id": builtin_id, "template": {"name": "x", "body": "y"}}),
        )
        .await;
    assert_eq!(edit.status(), 409, "built-ins are duplicated, not edited");
    let in_use = app
        .post("/api/prompts/delete", json!({"id": mine_id}))
        .await;
    assert_eq!(
        in_use.status(),
        409,
        "the active template cannot be deleted"
    );

    // An older release's built-in text is rewritten by the next start's seed; the owner's
    // template and the owner's choice of active template stay as they are.
    let restaurant = prompt_template::Entity::find()
        .filter(prompt_template::Column::Slug.eq("restaurant"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("restaurant");
    let mut old: prompt_template::ActiveModel = restaurant.into();
    old.body = Set("An old text.".into());
    old.builtin_version = Set(0);
    old.update(&app.db).await.expect("update");
    replydesk::ai::templates::seed(&app.db).await.expect("seed");
    let rows = prompt_template::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let restaurant = rows
        .iter()
        .find(|t| t.slug.as_deref() == Some("restaurant"))
        .expect("row");
    assert!(
        restaurant.body.contains("allergens"),
        "rewritten: {}",
        restaurant.body
    );
    let mine = rows
        .iter()
        .find(|t| i64::from(t.id) == mine_id)
        .expect("mine");
    assert_eq!(mine.body, "Be kind, {{customer_name}}.");
    let active: Vec<i64> = rows
        .iter()
        .filter(|t| t.is_active)
        .map(|t| i64::from(t.id))
        .collect();
    assert_eq!(active, [mine_id]);
    assert_eq!(rows.len(), 15);
    app.stop().await;
}
