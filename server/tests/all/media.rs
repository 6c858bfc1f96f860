//! Inbound media: downloaded in Meta's two steps by a job, checked, stored, served to the owner.

use crate::common;

use chrono::Utc;
use common::fake_graph::{FakeGraph, FILE};
use common::meta::{deliver_json, inbound};
use common::{client, eventually, Engine, TestApp, TestDb};
use replydesk::db::entities::message;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::Digest;

async fn voice_note(app: &TestApp, wamid: &str) -> i32 {
    let at = Utc::now().timestamp() - 5;
    let body = inbound(
        json!([{"from": common::meta::ANA, "id": wamid, "timestamp": at.to_string(), "type": "audio",
        "audio": {"id": "88231", "mime_type": "audio/ogg; codecs=opus", "voice": true}}]),
    );
    assert_eq!(deliver_json(app, &body).await.status(), 200);
    message::Entity::find()
        .filter(message::Column::Wamid.eq(wamid))
        .one(&app.db)
        .await
        .expect("query")
        .expect("stored")
        .id
}

async fn media_settled(app: &TestApp, id: i32) -> message::Model {
    eventually("the media job to finish", || async {
        message::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("query")
            .filter(|m| m.media_status.as_deref() != Some("pending"))
    })
    .await
}

on_both_engines!(
    media_is_downloaded_checked_and_served_to_the_owner,
    expired_urls_and_oversize_files
);

async fn media_is_downloaded_checked_and_served_to_the_owner(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    app.setup_owner().await;
    let id = voice_note(&app, "wamid.voice").await;
    let stored = media_settled(&app, id).await;
    assert_eq!(
        stored.media_status.as_deref(),
        Some("ready"),
        "{:?}",
        stored.error_title
    );
    assert_eq!(stored.media_size, Some(FILE.len() as i64));
    assert_eq!(
        stored.media_sha256.as_deref(),
        Some(hex::encode(sha2::Sha256::digest(FILE)).as_str())
    );
    let path = stored.media_path.clone().expect("path");
    assert!(
        path.starts_with("media/") && path.ends_with(".ogg"),
        "{path}"
    );
    assert_eq!(
        std::fs::read(db.data_dir.path().join(&path)).expect("file"),
        FILE
    );

    let res = app.get(&format!("/api/media/{id}")).await;
    assert_eq!(res.status(), 200);
    // A voice note plays inline, in a sandbox: nothing in it can run as the owner.
    assert_eq!(res.headers()["content-type"], "audio/ogg");
    assert_eq!(res.headers()["content-disposition"], "inline");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .starts_with("sandbox"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(&res.bytes().await.expect("bytes")[..], FILE);

    // A customer's HTML or SVG "document" (the type is whatever Meta reports) is never a page
    // on the dashboard's origin: it downloads, as bytes.
    for reported in [
        "text/html",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/html; charset=utf-8",
    ] {
        message::Entity::update_many()
            .col_expr(
                message::Column::MediaMime,
                sea_orm::sea_query::Expr::value(reported),
            )
            .filter(message::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .expect("update");
        let res = app.get(&format!("/api/media/{id}")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"],
            "application/octet-stream",
            "{reported}"
        );
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .expect("header");
        assert!(
            disposition.starts_with("attachment;"),
            "{reported}: {disposition}"
        );
        assert!(
            disposition.contains(&format!("whatsapp-file-{id}.ogg")),
            "{disposition}"
        );
    }
    // Only for the owner.
    assert_eq!(
        app.get_as(&client(), &format!("/api/media/{id}"))
            .await
            .status(),
        401
    );
    assert_eq!(app.get("/api/media/999999").await.status(), 404);
    // A retried webhook does not download twice.
    voice_note(&app, "wamid.voice").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let downloads = graph
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/files/"))
        .count();
    assert_eq!(downloads, 1);
    app.stop().await;
}

async fn expired_urls_and_oversize_files(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    // The first download URL has expired: the job asks for a fresh one.
    graph.answer_on("files", 404, json!({}));
    let app = TestApp::start(common::connected(&db, &graph)).await;
    let id = voice_note(&app, "wamid.late").await;
    let stored = media_settled(&app, id).await;
    assert_eq!(
        stored.media_status.as_deref(),
        Some("ready"),
        "{:?}",
        stored.error_title
    );
    let lookups = graph
        .requests()
        .iter()
        .filter(|r| r.path == "/v25.0/88231")
        .count();
    assert_eq!(lookups, 2, "metadata fetched again after the expired URL");
    app.stop().await;

    // Larger than the configured cap: failed for good, with the reason on the message.
    let mut config = common::connected(&db, &graph);
    config.whatsapp.media.file_bytes = 10;
    let app = TestApp::start(config).await;
    let id = voice_note(&app, "wamid.huge").await;
    let stored = media_settled(&app, id).await;
    assert_eq!(stored.media_status.as_deref(), Some("failed"));
    assert!(stored.error_title.unwrap_or_default().contains("limit"));
    app.stop().await;

    // The customer's files already fill their share, then everyone's: skipped with a note,
    // and Meta is not even asked.
    for (limit, says) in [
        ("customer", "WHATSAPP_MEDIA_PER_CUSTOMER_MB"),
        ("total", "WHATSAPP_MEDIA_TOTAL_MB"),
    ] {
        let mut config = common::connected(&db, &graph);
        match limit {
            "customer" => config.whatsapp.media.customer_bytes = 1,
            _ => config.whatsapp.media.total_bytes = 1,
        }
        let app = TestApp::start(config).await;
        let asked = graph.requests().len();
        let id = voice_note(&app, &format!("wamid.quota.{limit}")).await;
        let stored = media_settled(&app, id).await;
        assert_eq!(stored.media_status.as_deref(), Some("failed"));
        let note = stored.error_title.unwrap_or_default();
        assert!(note.contains(says), "{limit}: {note}");
        assert_eq!(graph.requests().len(), asked, "{limit}: Meta was asked");
        app.stop().await;
    }
}
