//! Settings over HTTP: WhatsApp credentials entered in the dashboard take effect at once (the
//! webhook, the connection check), secrets are sealed at rest and never sent back, values from
//! the environment win, limits and the business profile round-trip, provider tests speak to a
//! real (fake) provider, and data retention deletes what is past it.

use crate::common;

use common::fake_graph::{FakeGraph, PHONE_ID, TOKEN};
use common::fake_llm::{FakeLlm, Script};
use common::meta::{deliver_json, inbound, text, SECRET};
use common::{expect_ok, json, Engine, TestApp, TestDb};
use replydesk::db::entities::{message, setting};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use secrecy::SecretString;
use serde_json::{json, Value};

const SECRET_KEY: &str = "0123456789abcdef0123456789abcdef-test";

/// A server pointed at the fake Graph API with no WhatsApp credentials in its environment.
async fn unconfigured(engine: Engine, graph: &FakeGraph) -> (TestApp, TestDb) {
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.whatsapp.graph_url = url::Url::parse(&graph.url).expect("url");
    config.ai.secret_key = Some(SecretString::from(SECRET_KEY.to_owned()));
    config.public_url = Some(url::Url::parse("https://shop.example.com").expect("url"));
    let app = TestApp::start(config).await;
    app.setup_owner().await;
    (app, db)
}

async fn settings(app: &TestApp) -> Value {
    json(app.post("/api/settings", json!({})).await).await
}

/// A 400 refusal's body.
async fn refused(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 400, "{body}");
    body
}

on_both_engines!(
    whatsapp_from_the_dashboard,
    the_environment_wins_field_by_field,
    profile_limits_retention_and_provider_tests,
    environment_keys_never_leave_for_another_address,
);

async fn environment_keys_never_leave_for_another_address(engine: Engine) {
    let llm = FakeLlm::start().await;
    llm.always("collector", Script::Answer("thanks for the key".into()));
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.ai.openai_api_key = Some(SecretString::from("sk-env-openai-secret".to_owned()));
    config.ai.llm_base_url = Some(url::Url::parse(&llm.base("home")).expect("url"));
    config.ai.llm_api_key = Some(SecretString::from("env-custom-secret".to_owned()));
    config.ai.llm_model = Some("home-model".to_owned());
    let app = TestApp::start(config).await;
    app.setup_owner().await;

    // An OpenAI link pointed elsewhere does not take OPENAI_API_KEY along: it needs its own.
    let res = app
        .post(
            "/api/ai/test",
            json!({"provider": {"kind": "openai", "base_url": llm.base("collector"), "model": "gpt-4o-mini"}}),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "api_key");
    // A custom endpoint other than LLM_BASE_URL is called without LLM_API_KEY.
    let res = app
        .post(
            "/api/ai/test",
            json!({"provider": {"kind": "custom", "base_url": llm.base("collector"), "model": "m"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let calls = llm.calls();
    assert!(!calls.is_empty(), "the custom endpoint was called");
    for call in &calls {
        let sent = call.authorization.clone().unwrap_or_default();
        assert!(
            !sent.contains("sk-env-openai-secret") && !sent.contains("env-custom-secret"),
            "{}: {sent}",
            call.provider
        );
    }
    // LLM_BASE_URL itself still gets its key.
    let res = app
        .post(
            "/api/ai/test",
            json!({"provider": {"kind": "custom", "base_url": llm.base("home"), "model": "home-model"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let home = llm
        .calls()
        .into_iter()
        .rfind(|c| c.provider == "home")
        .expect("home called");
    assert_eq!(
        home.authorization.as_deref(),
        Some("Bearer env-custom-secret")
    );
    app.stop().await;
}

async fn whatsapp_from_the_dashboard(engine: Engine) {
    let graph = FakeGraph::start().await;
    let (app, _db) = unconfigured(engine, &graph).await;
    let s = settings(&app).await;
    let wa = &s["whatsapp"];
    assert_eq!(wa["access_token"], json!({"value": "", "source": "unset"}));
    assert_eq!(
        wa["webhook_url"],
        "https://shop.example.com/api/webhook/whatsapp"
    );
    // A verify token is made up for the owner to copy into Meta's dashboard.
    let verify = wa["verify_token"]["value"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        (verify.len(), wa["verify_token"]["source"].as_str()),
        (32, Some("dashboard"))
    );
    assert_eq!(
        settings(&app).await["whatsapp"]["verify_token"]["value"],
        verify.as_str()
    );

    // Nothing to check yet, and nothing accepted from Meta without an app secret.
    let check = json(app.post("/api/settings/whatsapp/check", json!({})).await).await;
    assert_eq!(check["ok"], false);
    assert!(check["message"]
        .as_str()
        .unwrap_or_default()
        .contains("phone number id"));
    let at = chrono::Utc::now().timestamp();
    let delivery = inbound(json!([text("wamid.s1", at, "hello")]));
    assert_eq!(deliver_json(&app, &delivery).await.status(), 503);

    let res = app
        .post(
            "/api/settings/whatsapp",
            json!({"input": {"phone_number_id": PHONE_ID, "access_token": TOKEN, "app_secret": SECRET}}),
        )
        .await;
    let body = res.text().await.expect("body");
    assert!(
        !body.contains(TOKEN) && !body.contains(SECRET),
        "secrets never come back: {body}"
    );
    let saved: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(saved["refused"], json!([]));
    let wa = &saved["settings"];
    assert_eq!(
        wa["whatsapp"]["access_token"],
        json!({"value": "", "source": "dashboard"})
    );
    assert_eq!(wa["whatsapp"]["phone_number_id"]["value"], PHONE_ID);
    assert_eq!(wa["secret_key_file"], Value::Null, "SECRET_KEY is set");
    // Sealed at rest.
    let stored = setting::Entity::find_by_id("whatsapp.access_token".to_owned())
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert!(stored.value.starts_with("v1:") && !stored.value.contains(TOKEN));

    let check = json(app.post("/api/settings/whatsapp/check", json!({})).await).await;
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(
        check["message"],
        "Connected to +1 555-010-0199 (Café Lima), quality rating green."
    );
    // The webhook now verifies deliveries with the dashboard's secret, and Meta's handshake
    // with the dashboard's verify token.
    assert_eq!(deliver_json(&app, &delivery).await.status(), 200);
    let handshake = app
        .get(&format!(
            "/api/webhook/whatsapp?hub.mode=subscribe&hub.verify_token={verify}&hub.challenge=42"
        ))
        .await;
    assert_eq!(handshake.status(), 200);
    assert_eq!(handshake.text().await.expect("body"), "42");

    // A wrong token, in plain words.
    expect_ok(
        app.post(
            "/api/settings/whatsapp",
            json!({"input": {"access_token": "EAAGm0PX4ZCpsBAwrongwrongwrong"}}),
        )
        .await,
    )
    .await;
    let check = json(app.post("/api/settings/whatsapp/check", json!({})).await).await;
    assert_eq!(check["ok"], false);
    assert!(
        check["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Meta refused the access token: it is invalid or has expired."),
        "{check}"
    );

    // Bad values are refused with the field named, and nothing of theirs is stored.
    for (input, field) in [
        (json!({"phone_number_id": "+1 555 0100"}), "phone_number_id"),
        (
            json!({"access_token": "has spaces in it, which tokens never do"}),
            "access_token",
        ),
        (json!({"api_version": "25"}), "api_version"),
        (json!({"verify_token": "x".repeat(5000)}), "verify_token"),
    ] {
        let saved = json(
            app.post("/api/settings/whatsapp", json!({"input": input}))
                .await,
        )
        .await;
        let refused = saved["refused"].as_array().expect("refused");
        assert_eq!(refused.len(), 1, "{saved}");
        assert_eq!(refused[0]["field"], field, "{saved}");
        assert!(refused[0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        settings(&app).await["whatsapp"]["phone_number_id"]["value"],
        PHONE_ID
    );
    assert_eq!(
        settings(&app).await["whatsapp"]["verify_token"]["value"],
        verify.as_str()
    );
    // Each value on its own: a refused token does not keep the phone number id from being saved.
    let saved = json(
        app.post(
            "/api/settings/whatsapp",
            json!({"input": {"phone_number_id": "109876543210", "access_token": "bad token"}}),
        )
        .await,
    )
    .await;
    assert_eq!(saved["refused"][0]["field"], "access_token", "{saved}");
    assert_eq!(
        saved["settings"]["whatsapp"]["phone_number_id"]["value"],
        "109876543210"
    );
    expect_ok(
        app.post(
            "/api/settings/whatsapp",
            json!({"input": {"phone_number_id": PHONE_ID}}),
        )
        .await,
    )
    .await;
    // Removing a value.
    let s = json(
        app.post(
            "/api/settings/whatsapp",
            json!({"input": {"app_secret": ""}}),
        )
        .await,
    )
    .await;
    assert_eq!(s["settings"]["whatsapp"]["app_secret"]["source"], "unset");
    assert_eq!(deliver_json(&app, &delivery).await.status(), 503);
    app.stop().await;
}

async fn the_environment_wins_field_by_field(engine: Engine) {
    let graph = FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let mut config = common::connected(&db, &graph);
    config.whatsapp.access_token = None;
    let app = TestApp::start(config).await;
    app.setup_owner().await;
    let wa = settings(&app).await["whatsapp"].clone();
    assert_eq!(
        wa["phone_number_id"],
        json!({"value": PHONE_ID, "source": "environment"})
    );
    assert_eq!(
        wa["app_secret"],
        json!({"value": "", "source": "environment"})
    );
    assert_eq!(wa["verify_token"]["source"], "environment");
    // The phone number id is the environment's; the access token is saved all the same.
    let saved = json(
        app.post(
            "/api/settings/whatsapp",
            json!({"input": {"phone_number_id": "123456789", "access_token": TOKEN}}),
        )
        .await,
    )
    .await;
    let refused = saved["refused"].as_array().expect("refused");
    assert_eq!(refused.len(), 1, "{saved}");
    assert_eq!(refused[0]["field"], "phone_number_id");
    assert!(refused[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("WHATSAPP_PHONE_NUMBER_ID"));
    assert_eq!(
        saved["settings"]["whatsapp"]["access_token"]["source"],
        "dashboard"
    );
    assert_eq!(
        saved["settings"]["whatsapp"]["phone_number_id"]["value"],
        PHONE_ID
    );
    let check = json(app.post("/api/settings/whatsapp/check", json!({})).await).await;
    assert_eq!(check["ok"], true, "{check}");
    app.stop().await;
}

async fn profile_limits_retention_and_provider_tests(engine: Engine) {
    let graph = FakeGraph::start().await;
    let (app, db) = unconfigured(engine, &graph).await;

    let body = refused(
        app.post(
            "/api/settings/business",
            json!({"profile": {"name": "Café Lima", "timezone": "Mars/Olympus", "languages": []}}),
        )
        .await,
    )
    .await;
    assert_eq!(body["field"], "timezone");
    let s = json(
        app.post(
            "/api/settings/business",
            json!({"profile": {"name": "Café Lima Centro", "timezone": "America/Sao_Paulo",
                               "languages": ["Português", " English ", "português", ""]}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        s["business"],
        json!({"name": "Café Lima Centro", "timezone": "America/Sao_Paulo", "languages": ["Português", "English"]})
    );
    let report = json(app.post("/api/analytics/report", json!({})).await).await;
    assert_eq!(report["timezone"], "America/Sao_Paulo");

    let general = |rate: u32, mb: u32, files: u32, days: u32| json!({"general": {"outbound_rate": rate, "max_file_mb": mb, "max_files": files, "retention_days": days}});
    for (body, field) in [
        (general(0, 10, 50, 0), "outbound_rate"),
        (general(80, 500, 50, 0), "max_file_mb"),
        (general(80, 10, 51, 0), "max_files"),
        (general(80, 10, 50, 3), "retention_days"),
    ] {
        let refusal = refused(app.post("/api/settings/general", body).await).await;
        assert_eq!(refusal["field"], field, "{refusal}");
    }
    let s = json(
        app.post("/api/settings/general", general(20, 5, 30, 30))
            .await,
    )
    .await;
    assert_eq!(
        s["general"],
        json!({"outbound_rate": 20, "max_file_mb": 5, "max_files": 30, "retention_days": 30})
    );
    let library = json(app.post("/api/knowledge/library", json!({})).await).await;
    assert_eq!(library["max_file_bytes"], 5 * 1024 * 1024, "{library}");
    assert_eq!(library["max_files"], 30);

    // Retention: a message from 40 days ago goes, today's stays.
    let conversation =
        common::seed_conversation(&app.db, "5511000000077", chrono::Utc::now(), false).await;
    for (days_ago, body) in [(40, "old"), (1, "recent")] {
        let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
        message::ActiveModel {
            conversation_id: Set(conversation),
            direction: Set("inbound".to_owned()),
            sender: Set("customer".to_owned()),
            kind: Set("text".to_owned()),
            body: Set(body.to_owned()),
            status: Set("received".to_owned()),
            cited_chunk_ids: Set("[]".to_owned()),
            sent_at: Set(at),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("message");
    }
    let deleted = replydesk::services::retention::purge(&app.db, db.data_dir.path())
        .await
        .expect("purge");
    assert_eq!(deleted, 1);
    assert_eq!(
        message::Entity::find().count(&app.db).await.expect("count"),
        1
    );

    // Provider tests.
    let llm = FakeLlm::start().await;
    llm.script("good", [Script::Answer("OK".into())]);
    llm.always("broken", Script::Status(500));
    let test = |name: &str| json!({"provider": {"kind": "custom", "base_url": llm.base(name), "model": format!("{name}-model")}});
    let ok = json(app.post("/api/ai/test", test("good")).await).await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("good-model answered in"));
    assert!(
        ok["message"].as_str().unwrap_or_default().ends_with("“OK”"),
        "{ok}"
    );
    let broken = json(app.post("/api/ai/test", test("broken")).await).await;
    assert_eq!(broken["ok"], false);
    assert_eq!(
        broken["message"],
        "broken-model did not answer: provider error (500)."
    );
    app.stop().await;
}
