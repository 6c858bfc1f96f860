//! Analytics over HTTP from a seeded scenario with known times: three days in São Paulo's time
//! zone (UTC−3), three customers, one simulator conversation that must not count, and provider
//! calls inside and outside the range. Every figure is checked exactly.

use crate::common;

use chrono::{DateTime, Utc};
use common::{json, Engine, TestApp};
use replydesk::db::entities::{llm_usage, message};
use replydesk::db::settings;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

/// A customer and their conversation, started at `created`.
async fn conversation(app: &TestApp, wa_id: &str, created: &str, simulated: bool) -> i32 {
    common::seed_conversation(&app.db, wa_id, at(created), simulated).await
}

/// How an AI message came about: (latency ms, answer mode, knowledge gap).
type Ai = Option<(i32, &'static str, bool)>;

async fn msg(app: &TestApp, conversation: i32, sender: &str, sent: &str, body: &str, ai: Ai) {
    let sent = at(sent);
    message::ActiveModel {
        conversation_id: Set(conversation),
        direction: Set(if sender == "customer" {
            "inbound"
        } else {
            "outbound"
        }
        .to_owned()),
        sender: Set(sender.to_owned()),
        kind: Set("text".to_owned()),
        body: Set(body.to_owned()),
        status: Set("delivered".to_owned()),
        provider: Set(ai.map(|_| "openai".to_owned())),
        latency_ms: Set(ai.map(|(ms, _, _)| ms)),
        answer_mode: Set(ai.map(|(_, mode, _)| mode.to_owned())),
        knowledge_gap: Set(ai.is_some_and(|(_, _, gap)| gap)),
        cited_chunk_ids: Set("[]".to_owned()),
        sent_at: Set(sent),
        created_at: Set(sent),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("message");
}

async fn usage(
    app: &TestApp,
    when: &str,
    provider: &str,
    model: &str,
    tokens: (i32, i32),
    cost: i64,
    ok: bool,
) {
    llm_usage::ActiveModel {
        purpose: Set("reply".to_owned()),
        provider: Set(provider.to_owned()),
        model: Set(model.to_owned()),
        tokens_in: Set(tokens.0),
        tokens_out: Set(tokens.1),
        cost_micros: Set(cost),
        latency_ms: Set(900),
        ok: Set(ok),
        error: Set((!ok).then(|| "timeout".to_owned())),
        created_at: Set(at(when)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("usage");
}

/// The scenario; returns the conversation ids of the three customers.
async fn seed(app: &TestApp) -> [i32; 3] {
    settings::set(
        &app.db,
        settings::keys::BUSINESS_TIMEZONE,
        "America/Sao_Paulo",
    )
    .await
    .expect("time zone");
    let c1 = conversation(app, "5511000000001", "2026-03-01T12:00:00Z", false).await;
    msg(
        app,
        c1,
        "customer",
        "2026-03-01T12:00:00Z",
        "Do you deliver on Sundays?",
        None,
    )
    .await;
    msg(
        app,
        c1,
        "ai",
        "2026-03-01T12:00:04Z",
        "We deliver…",
        Some((4_000, "extractive", true)),
    )
    .await;
    msg(app, c1, "ai", "2026-03-01T12:00:05Z", "(second part)", None).await;
    msg(app, c1, "customer", "2026-03-01T12:10:00Z", "Thanks", None).await;
    msg(
        app,
        c1,
        "ai",
        "2026-03-01T12:10:02Z",
        "You're welcome",
        Some((2_000, "model", false)),
    )
    .await;

    // Started at 23:00 on 1 March in São Paulo (02:00 UTC on the 2nd).
    let c2 = conversation(app, "5511000000002", "2026-03-02T02:00:00Z", false).await;
    msg(
        app,
        c2,
        "customer",
        "2026-03-02T02:00:00Z",
        "sundays deliver you do?",
        None,
    )
    .await;
    msg(
        app,
        c2,
        "ai",
        "2026-03-02T02:00:10Z",
        "A member of our team will reply",
        Some((10_000, "handoff", true)),
    )
    .await;
    msg(app, c2, "agent", "2026-03-02T02:30:10Z", "Yes we do", None).await;
    msg(
        app,
        c2,
        "customer",
        "2026-03-02T15:00:00Z",
        "Where is my order?",
        None,
    )
    .await;
    msg(app, c2, "agent", "2026-03-02T15:05:00Z", "On its way", None).await;

    // Started before the range; its last message falls after it (01:00 on 4 March locally).
    let c3 = conversation(app, "5511000000003", "2026-02-28T10:00:00Z", false).await;
    msg(app, c3, "customer", "2026-02-28T10:00:00Z", "Hello", None).await;
    msg(
        app,
        c3,
        "customer",
        "2026-03-03T20:00:00Z",
        "Can I pay with bitcoin?",
        None,
    )
    .await;
    msg(
        app,
        c3,
        "ai",
        "2026-03-03T20:00:01Z",
        "A member of our team will reply",
        Some((1_000, "handoff", true)),
    )
    .await;
    msg(app, c3, "customer", "2026-03-04T04:00:00Z", "Hello?", None).await;

    // The simulator counts for nothing but its spend.
    let sim = conversation(app, "simulator", "2026-03-02T12:00:00Z", true).await;
    msg(
        app,
        sim,
        "customer",
        "2026-03-02T12:00:00Z",
        "Test bitcoin",
        None,
    )
    .await;
    msg(
        app,
        sim,
        "ai",
        "2026-03-02T12:00:01Z",
        "Handed off",
        Some((500, "handoff", true)),
    )
    .await;

    usage(
        app,
        "2026-03-01T12:00:03Z",
        "openai",
        "gpt-4o-mini",
        (100, 20),
        1_500,
        true,
    )
    .await;
    usage(
        app,
        "2026-03-02T02:00:09Z",
        "openai",
        "gpt-4o-mini",
        (200, 0),
        0,
        false,
    )
    .await;
    usage(
        app,
        "2026-03-03T20:00:00Z",
        "anthropic",
        "claude-haiku",
        (300, 50),
        4_000,
        true,
    )
    .await;
    usage(
        app,
        "2026-03-04T05:00:00Z",
        "anthropic",
        "claude-haiku",
        (1, 1),
        99_999,
        true,
    )
    .await;
    [c1, c2, c3]
}

async fn report(app: &TestApp, from: &str, to: &str) -> (u16, Value) {
    let res = app
        .post(
            "/api/analytics/report",
            json!({"query": {"from": from, "to": to}}),
        )
        .await;
    (res.status().as_u16(), json(res).await)
}

on_both_engines!(figures_of_a_seeded_scenario_are_exact, ranges_and_exports);

async fn figures_of_a_seeded_scenario_are_exact(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    app.setup_owner().await;
    let [c1, c2, c3] = seed(&app).await;
    let (status, r) = report(&app, "2026-03-01", "2026-03-03").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["timezone"], "America/Sao_Paulo");
    assert_eq!(
        r["days"],
        json!([
            {"day": "2026-03-01", "customer": 3, "ai": 4, "owner": 1, "cost_micros": 1_500},
            {"day": "2026-03-02", "customer": 1, "ai": 0, "owner": 1, "cost_micros": 0},
            {"day": "2026-03-03", "customer": 1, "ai": 1, "owner": 0, "cost_micros": 4_000},
        ])
    );
    assert_eq!(
        r["totals"],
        json!({
            "customer": 5, "ai": 5, "owner": 2,
            "active_conversations": 3, "new_conversations": 2,
            "handed_off_conversations": 2, "handoffs": 2, "answers": 4,
            // Turns: 4 s, 2 s, 10 s, 5 min, 1 s (the owner's 02:30 reply answers nothing new).
            "first_response": {"count": 5, "p50_ms": 4_000, "p95_ms": 300_000},
            "ai_latency": {"count": 4, "p50_ms": 2_000, "p95_ms": 10_000},
            // The simulator's calls are billed too, but it made none here.
            "cost_micros": 5_500,
            "knowledge_gaps": 3,
        })
    );
    assert_eq!(
        r["models"],
        json!([
            {"provider": "anthropic", "model": "claude-haiku", "calls": 1, "failed": 0,
             "tokens_in": 300, "tokens_out": 50, "cost_micros": 4_000},
            {"provider": "openai", "model": "gpt-4o-mini", "calls": 2, "failed": 1,
             "tokens_in": 300, "tokens_out": 20, "cost_micros": 1_500},
        ])
    );
    assert_eq!(
        r["gaps"],
        json!([
            {"question": "sundays deliver you do?", "count": 2, "handed_off": 1,
             "last_at": "2026-03-02T02:00:10Z", "conversation_ids": [c2, c1]},
            {"question": "Can I pay with bitcoin?", "count": 1, "handed_off": 1,
             "last_at": "2026-03-03T20:00:01Z", "conversation_ids": [c3]},
        ])
    );

    // One day, in the business's time zone: 2 March locally is 03:00 UTC on the 2nd to 03:00
    // on the 3rd, so the 23:00 conversation and its hand-off belong to the 1st.
    let (_, day) = report(&app, "2026-03-02", "2026-03-02").await;
    assert_eq!(day["totals"]["customer"], 1);
    assert_eq!(day["totals"]["handoffs"], 0);
    assert_eq!(day["totals"]["new_conversations"], 0);
    assert_eq!(day["totals"]["first_response"]["p50_ms"], 300_000);
    assert_eq!(day["gaps"], json!([]));
    app.stop().await;
}

async fn ranges_and_exports(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    // The owner's only.
    let (status, _) = report(&app, "2026-03-01", "2026-03-03").await;
    assert_eq!(status, 401);
    assert_eq!(
        app.get("/api/analytics/export?table=days").await.status(),
        401
    );
    app.setup_owner().await;
    seed(&app).await;

    for (from, to, field, says) in [
        ("2026-03-05", "2026-03-01", "from", "after the end date"),
        ("2025-01-01", "2026-03-01", "from", "at most 366 days"),
        ("1 March", "2026-03-01", "from", "YYYY-MM-DD"),
        ("2026-03-01", "2026-13-01", "to", "YYYY-MM-DD"),
    ] {
        let (status, body) = report(&app, from, to).await;
        assert_eq!(status, 400, "{from}..{to}: {body}");
        assert_eq!(body["field"], field, "{body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(says),
            "{body}"
        );
    }
    // No range: the last 30 days, ending today in São Paulo.
    let (status, r) = report(&app, "", "").await;
    assert_eq!(status, 200);
    assert_eq!(r["days"].as_array().map(Vec::len), Some(30));

    let csv =
        |table: &str| format!("/api/analytics/export?table={table}&from=2026-03-01&to=2026-03-03");
    let res = app.get(&csv("days")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .contains("analytics-days-2026-03-01-to-2026-03-03.csv"));
    assert_eq!(
        res.text().await.expect("body"),
        "day,customer,ai,owner,cost_usd\r\n2026-03-01,3,4,1,0.001500\r\n2026-03-02,1,0,1,0.000000\r\n2026-03-03,1,1,0,0.004000\r\n"
    );
    let models = app.get(&csv("models")).await.text().await.expect("body");
    assert_eq!(
        models.lines().nth(2),
        Some("openai,gpt-4o-mini,2,1,300,20,0.001500")
    );
    let gaps = app.get(&csv("gaps")).await.text().await.expect("body");
    assert!(gaps.starts_with("question,times_asked,handed_off,last_asked,conversations\r\n"));
    assert!(gaps.contains("Can I pay with bitcoin?,1,1,2026-03-03T20:00:01Z,"));
    let res = app.get("/api/analytics/export?table=secrets").await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}
