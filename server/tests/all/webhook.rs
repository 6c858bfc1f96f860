//! The WhatsApp webhook against real databases: handshake, signatures over raw bytes, every
//! message type stored, duplicates, out-of-order statuses, and hostile bodies.

use crate::common;

use chrono::Utc;
use common::meta::{deliver, deliver_json, envelope, inbound, spawn, text, ANA, PATH, VERIFY};
use common::{Engine, TestApp, TestDb};
use replydesk::db::entities::{conversation, customer, message, pending_status};
use replydesk::whatsapp::signature::sign;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};

/// The one conversation of a test that has a single customer.
async fn the_conversation(app: &TestApp) -> conversation::Model {
    conversation::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("conversation")
}

async fn count<E>(app: &TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    PaginatorTrait::count(E::find(), &app.db)
        .await
        .expect("count")
}

async fn stored(app: &TestApp) -> Vec<message::Model> {
    message::Entity::find()
        .order_by_asc(message::Column::Id)
        .all(&app.db)
        .await
        .expect("messages")
}

on_both_engines!(
    handshake_echoes_the_challenge,
    signatures_are_checked_on_raw_bytes,
    every_message_type_is_stored,
    duplicates_and_retries_store_once,
    statuses_only_move_forward,
    hostile_bodies_get_4xx_and_store_nothing,
    batches_of_entries_and_changes,
    without_a_secret_every_delivery_is_refused,
);

async fn handshake_echoes_the_challenge(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    let ok = app
        .get(&format!(
            "{PATH}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1584773920"
        ))
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "text/plain");
    assert_eq!(ok.text().await.expect("body"), "1584773920");
    for query in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_owned(),
        format!("hub.mode=unsubscribe&hub.verify_token={VERIFY}&hub.challenge=1"),
        "hub.mode=subscribe&hub.challenge=1".to_owned(),
    ] {
        assert_eq!(
            app.get(&format!("{PATH}?{query}")).await.status(),
            403,
            "{query}"
        );
    }
    app.stop().await;
}

async fn signatures_are_checked_on_raw_bytes(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    // Meta's wire format: non-ASCII as \u escapes (emoji as surrogate pairs), slashes escaped.
    let raw = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","contacts":[{{"profile":{{"name":"Jos\u00e9"}},"wa_id":"{ANA}"}}],"messages":[{{"from":"{ANA}","id":"wamid.raw","timestamp":"1764131400","type":"text","text":{{"body":"Ol\u00e1 \ud83d\udc4b https:\/\/example.com"}}}}]}}}}]}}]}}"#
    );
    let body = raw.as_bytes();
    // Missing and wrong signatures: 401, nothing stored.
    let res = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .post(app.url(PATH))
        .header("x-hub-signature-256", sign(b"another secret", body))
        .body(body.to_vec())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    assert!(stored(&app).await.is_empty());

    // Signed as sent: stored, decoded.
    assert_eq!(deliver(&app, body).await.status(), 200);
    let messages = stored(&app).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body, "Olá 👋 https://example.com");
    let ana = customer::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("customer");
    assert_eq!(ana.profile_name.as_deref(), Some("José"));
    assert_eq!(ana.phone.as_deref(), Some("+5511987654321"));
    app.stop().await;
}

async fn every_message_type_is_stored(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    let at = Utc::now().timestamp() - 60;
    let m = |id: &str, kind: &str, content: Value| {
        let mut m = json!({"from": ANA, "id": id, "timestamp": at.to_string(), "type": kind});
        m[kind] = content;
        m
    };
    let mut quoted = text("wamid.quote", at, "about this");
    quoted["context"] = json!({"from": "15550001234", "id": "wamid.first"});
    let mut forwarded = text("wamid.fwd", at, "look");
    forwarded["context"] = json!({"forwarded": true});
    let mut from_ad = text("wamid.ad", at, "I saw your ad");
    from_ad["referral"] =
        json!({"source_url": "https://fb.me/x", "source_type": "ad", "ctwa_clid": "c1"});
    let batch = json!([
        text("wamid.first", at - 10, "Oi! Meu pedido atrasou."),
        m(
            "wamid.img",
            "image",
            json!({"id": "media-1", "mime_type": "image/jpeg", "sha256": "abc=", "caption": "the box"})
        ),
        m(
            "wamid.voice",
            "audio",
            json!({"id": "media-2", "mime_type": "audio/ogg; codecs=opus", "voice": true})
        ),
        m(
            "wamid.vid",
            "video",
            json!({"id": "media-3", "mime_type": "video/mp4"})
        ),
        m(
            "wamid.doc",
            "document",
            json!({"id": "media-4", "mime_type": "application/pdf", "filename": "invoice.pdf"})
        ),
        m(
            "wamid.stk",
            "sticker",
            json!({"id": "media-5", "mime_type": "image/webp", "animated": false})
        ),
        m(
            "wamid.loc",
            "location",
            json!({"latitude": -23.56, "longitude": -46.65, "name": "Loja"})
        ),
        m(
            "wamid.card",
            "contacts",
            json!([{"name": {"formatted_name": "João"}, "phones": [{"phone": "+55 11 9999"}]}])
        ),
        m(
            "wamid.btn",
            "interactive",
            json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}})
        ),
        m(
            "wamid.list",
            "interactive",
            json!({"type": "list_reply", "list_reply": {"id": "m", "title": "Size M"}})
        ),
        m(
            "wamid.flow",
            "interactive",
            json!({"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}})
        ),
        m(
            "wamid.tpl",
            "button",
            json!({"payload": "TRACK", "text": "Track order"})
        ),
        m(
            "wamid.react",
            "reaction",
            json!({"message_id": "wamid.first", "emoji": "👍"})
        ),
        m(
            "wamid.unreact",
            "reaction",
            json!({"message_id": "wamid.first"})
        ),
        m(
            "wamid.order",
            "order",
            json!({"catalog_id": "c", "product_items": [{"product_retailer_id": "p1", "quantity": 2, "item_price": 7.99, "currency": "BRL"}]})
        ),
        m(
            "wamid.sys",
            "system",
            json!({"body": "Ana changed her number", "type": "user_changed_number", "wa_id": "5511900000000"})
        ),
        m(
            "wamid.unsup",
            "unsupported",
            json!({"type": "poll_creation"})
        ),
        m("wamid.future", "hologram", json!({"depth": 3})),
        quoted,
        forwarded,
        from_ad,
    ]);
    let res = deliver_json(&app, &inbound(batch)).await;
    assert_eq!(res.status(), 200);

    let messages = stored(&app).await;
    assert_eq!(messages.len(), 21);
    let by = |wamid: &str| {
        messages
            .iter()
            .find(|m| m.wamid.as_deref() == Some(wamid))
            .unwrap_or_else(|| panic!("{wamid} stored"))
    };
    assert_eq!(by("wamid.img").kind, "image");
    assert_eq!(by("wamid.img").media_id.as_deref(), Some("media-1"));
    // Each file gets a download job (which, with no access token in this test, may already have
    // failed by now: the download itself is tested in media.rs).
    assert!(matches!(
        by("wamid.img").media_status.as_deref(),
        Some("pending" | "failed")
    ));
    let downloads = replydesk::db::entities::job::Entity::find()
        .filter(replydesk::db::entities::job::Column::Kind.eq("whatsapp_media"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(
        downloads, 5,
        "image, voice note, video, document and sticker"
    );
    assert_eq!(by("wamid.doc").body, "invoice.pdf");
    assert_eq!(by("wamid.loc").body, "Loja -23.56,-46.65");
    assert_eq!(by("wamid.card").body, "João (+55 11 9999)");
    assert_eq!(by("wamid.list").body, "Size M");
    assert_eq!(by("wamid.tpl").body, "Track order");
    assert_eq!(by("wamid.order").body, "Order: 1 item");
    assert_eq!(by("wamid.future").kind, "unsupported");
    let raw: Value =
        serde_json::from_str(by("wamid.future").raw.as_deref().expect("raw")).expect("json");
    assert_eq!(
        raw["hologram"]["depth"], 3,
        "unknown types keep their raw JSON"
    );
    // Replies and reactions point at their target.
    let first = by("wamid.first").id;
    assert_eq!(by("wamid.quote").reply_to_id, Some(first));
    assert_eq!(by("wamid.react").reply_to_id, Some(first));
    assert_eq!(by("wamid.react").body, "👍");
    assert_eq!(
        by("wamid.unreact").body,
        "",
        "a removed reaction has no emoji"
    );
    assert!(by("wamid.ad")
        .raw
        .as_deref()
        .unwrap_or_default()
        .contains("ctwa_clid"));

    // One customer, one open conversation, unread count and the 24-hour window's start.
    assert_eq!(count::<customer::Entity>(&app).await, 1);
    let convo = the_conversation(&app).await;
    assert_eq!(convo.status, "open");
    assert_eq!(convo.unread_count, 21);
    assert_eq!(convo.last_inbound_at.map(|t| t.timestamp()), Some(at));

    // Other fields are acknowledged and change nothing.
    let other = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "time": 1764131400, "changes": [
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}},
        {"field": "message_template_status_update", "value": {"event": "APPROVED", "message_template_id": 1}}]}]});
    assert_eq!(deliver_json(&app, &other).await.status(), 200);
    assert_eq!(stored(&app).await.len(), 21);
    app.stop().await;
}

async fn duplicates_and_retries_store_once(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    let at = Utc::now().timestamp() - 30;
    let body = inbound(json!([text("wamid.dup", at, "hello?")])).to_string();
    // Five concurrent deliveries of the same message (Meta retries, several subscribed apps).
    let sends = (0..5).map(|_| deliver(&app, body.as_bytes()));
    for res in futures::future::join_all(sends).await {
        assert_eq!(res.status(), 200);
    }
    assert_eq!(stored(&app).await.len(), 1);
    let convo = the_conversation(&app).await;
    assert_eq!(convo.unread_count, 1, "duplicates do not count as unread");

    // An older message arriving late does not move the window or the preview back.
    let late = inbound(json!([text("wamid.older", at - 3600, "sent an hour ago")]));
    assert_eq!(deliver_json(&app, &late).await.status(), 200);
    let convo = the_conversation(&app).await;
    assert_eq!(convo.last_inbound_at.map(|t| t.timestamp()), Some(at));
    assert_eq!(convo.last_message_preview.as_deref(), Some("hello?"));

    // A closed conversation reopens on a new message.
    let mut closed: conversation::ActiveModel = convo.into();
    closed.status = Set("closed".to_owned());
    closed.update(&app.db).await.expect("close");
    let again = inbound(json!([text("wamid.new", at + 5, "anyone?")]));
    assert_eq!(deliver_json(&app, &again).await.status(), 200);
    let convo = the_conversation(&app).await;
    assert_eq!(convo.status, "open");
    assert_eq!(count::<conversation::Entity>(&app).await, 1);
    app.stop().await;
}

async fn statuses_only_move_forward(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    // A conversation with one of our outbound messages.
    let at = Utc::now().timestamp() - 60;
    assert_eq!(
        deliver_json(&app, &inbound(json!([text("wamid.in", at, "hi")])))
            .await
            .status(),
        200
    );
    let convo = the_conversation(&app).await;
    let now = Utc::now();
    message::ActiveModel {
        conversation_id: Set(convo.id),
        direction: Set("outbound".into()),
        sender: Set("agent".into()),
        kind: Set("text".into()),
        body: Set("Your order ships today.".into()),
        wamid: Set(Some("wamid.out".into())),
        status: Set("queued".into()),
        cited_chunk_ids: Set("[]".into()),
        sent_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("outbound");

    let statuses =
        |items: Value| envelope(json!({"messaging_product": "whatsapp", "statuses": items}));
    let status = |s: &str, t: i64| json!({"id": "wamid.out", "status": s, "timestamp": t.to_string(), "recipient_id": ANA});
    let outbound = || async {
        message::Entity::find()
            .filter(message::Column::Wamid.eq("wamid.out"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("outbound")
    };
    // Out of order in one batch: read before delivered and sent.
    let batch = statuses(json!([
        status("read", at + 3),
        status("delivered", at + 2),
        status("sent", at + 1)
    ]));
    assert_eq!(deliver_json(&app, &batch).await.status(), 200);
    assert_eq!(outbound().await.status, "read");
    // A late "delivered" in its own delivery changes nothing; "played" moves on.
    assert_eq!(
        deliver_json(&app, &statuses(json!([status("delivered", at + 4)])))
            .await
            .status(),
        200
    );
    assert_eq!(outbound().await.status, "read");
    assert_eq!(
        deliver_json(&app, &statuses(json!([status("played", at + 5)])))
            .await
            .status(),
        200
    );
    assert_eq!(outbound().await.status, "played");

    // Statuses never create AI work or messages, and a status for a message we do not know yet
    // waits to be applied.
    let unknown = statuses(
        json!([{"id": "wamid.unknown", "status": "failed", "timestamp": at.to_string(), "errors": [
        {"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}}]}]),
    );
    assert_eq!(deliver_json(&app, &unknown).await.status(), 200);
    let pending = pending_status::Entity::find()
        .all(&app.db)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].error_code, Some(131047));
    assert_eq!(stored(&app).await.len(), 2);
    // The one customer message has its reply job; the statuses added none.
    let jobs = replydesk::db::entities::job::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs");
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(kinds, ["ai_reply"]);
    app.stop().await;
}

async fn hostile_bodies_get_4xx_and_store_nothing(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    let truncated =
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"#.to_vec();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let two_megabytes = [
        b"{\"x\":\"".as_slice(),
        &vec![b'a'; 2 * 1024 * 1024],
        b"".as_slice(),
    ]
    .concat();
    for body in [truncated, deep, b"not json at all".to_vec(), two_megabytes] {
        let res = deliver(&app, &body).await;
        assert_eq!(res.status(), 400);
    }
    // Valid JSON of the wrong shape: acknowledged, nothing stored, never a 500.
    for value in [
        json!([1, 2, 3]),
        json!({"entry": "nope"}),
        json!({"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": 5, "type": ["text"]}], "statuses": "x"}}]}]}),
    ] {
        let res = deliver_json(&app, &value).await;
        assert_eq!(res.status(), 200, "{value}");
    }
    assert!(stored(&app).await.is_empty());
    // Over the size limit: refused from the headers.
    let (status, _) = app.post_headers_only(PATH, 4 * 1024 * 1024).await;
    assert_eq!(status, 413);
    assert_eq!(app.get("/api/health").await.status(), 200, "still serving");
    app.stop().await;
}

async fn batches_of_entries_and_changes(engine: Engine) {
    let (app, _db) = spawn(engine).await;
    let at = Utc::now().timestamp() - 30;
    let from = |wa_id: &str, id: &str, body: &str| json!({"from": wa_id, "id": id, "timestamp": at.to_string(), "type": "text", "text": {"body": body}});
    let change = |wa_id: &str, name: &str, messages: Value| {
        json!({"field": "messages", "value": {"messaging_product": "whatsapp",
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": messages}})
    };
    // Two entries (two WABAs' worth), each with two changes, one of another field.
    let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [
            change("111", "Uno", json!([from("111", "wamid.b1", "one"), from("111", "wamid.b2", "two")])),
            {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
        ]},
        {"id": "2", "changes": [
            change("222", "Dos", json!([from("222", "wamid.b3", "three")])),
            change("333", "Tres", json!([from("333", "wamid.b4", "four"), from("111", "wamid.b1", "one")]))
        ]}
    ]});
    assert_eq!(deliver_json(&app, &body).await.status(), 200);
    let messages = stored(&app).await;
    assert_eq!(
        messages.len(),
        4,
        "wamid.b1 twice in one batch is stored once"
    );
    assert_eq!(count::<customer::Entity>(&app).await, 3);
    assert_eq!(count::<conversation::Entity>(&app).await, 3);
    app.stop().await;
}

async fn without_a_secret_every_delivery_is_refused(engine: Engine) {
    let db = TestDb::new(engine).await;
    let app = TestApp::start(db.config()).await;
    let body = inbound(json!([text("wamid.x", Utc::now().timestamp(), "hi")])).to_string();
    let res = deliver(&app, body.as_bytes()).await;
    assert_eq!(res.status(), 503);
    assert!(stored(&app).await.is_empty());
    let res = app
        .get(&format!(
            "{PATH}?hub.mode=subscribe&hub.verify_token=&hub.challenge=1"
        ))
        .await;
    assert_eq!(res.status(), 403);
    app.stop().await;
}
