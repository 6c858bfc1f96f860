//! The AI reply engine end to end: a customer's WhatsApp message in (signed webhook), the reply
//! out (the fake Graph API's send endpoint), with an in-process OpenAI-compatible fake that
//! records what each provider was asked.

use crate::common;

use std::time::Duration;

use common::fake_graph::FakeGraph;
use common::fake_llm::{FakeLlm, Script};
use common::meta::{deliver_json, inbound, text, ANA};
use common::{eventually, expect_ok, json, Engine, TestApp, TestDb};
use replydesk::db::entities::{conversation, customer, llm_usage, message};
use replydesk::jobs::kinds::Reply;
use replydesk::jobs::Enqueue;
use replydesk::whatsapp::client::Content;
use replydesk::whatsapp::outbound::SendError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

const DELIVERY: &str = "Delivery within the city costs $5. Orders above $50 ship for free. We deliver Monday to Saturday.";

struct Setup {
    app: TestApp,
    _db: TestDb,
    graph: FakeGraph,
    llm: FakeLlm,
}

/// A burst window for tests in which something must happen while the reply waits (more
/// messages, the owner's reply, the AI switched off): long enough that a busy machine still
/// gets there first. A short window would make them pass or fail with the machine's speed.
const WIDE_BURST_MS: u32 = 5000;

/// A connected server with an owner, a delivery FAQ in the knowledge base, and `burst_ms`.
async fn setup(engine: Engine, burst_ms: u32) -> Setup {
    let graph = FakeGraph::start().await;
    let llm = FakeLlm::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(common::connected(&db, &graph)).await;
    app.setup_owner().await;
    let res = app
        .post(
            "/api/knowledge/entry",
            json!({"entry": {"kind": "faq", "title": "How much is delivery?", "body": DELIVERY}}),
        )
        .await;
    expect_ok(res).await;
    eventually("the FAQ to be searchable", || async {
        let hits = json(
            app.post(
                "/api/knowledge/search",
                json!({"query": {"text": "delivery"}}),
            )
            .await,
        )
        .await;
        (hits.as_array().is_some_and(|h| !h.is_empty())).then_some(())
    })
    .await;
    behaviour(
        &app,
        json!({ "burst_ms": burst_ms, "call_timeout_secs": 1, "total_budget_secs": 10 }),
    )
    .await;
    Setup {
        app,
        _db: db,
        graph,
        llm,
    }
}

/// Saves behaviour settings: the defaults with `changes` applied.
async fn behaviour(app: &TestApp, changes: Value) {
    let mut current =
        json(app.post("/api/ai/settings", json!({})).await).await["behaviour"].clone();
    for (k, v) in changes.as_object().expect("object") {
        current[k] = v.clone();
    }
    let res = app
        .post("/api/ai/behaviour", json!({ "behaviour": current }))
        .await;
    expect_ok(res).await;
}

/// Sets the fallback chain to the fake's providers `names`, in order.
async fn chain(s: &Setup, names: &[&str]) {
    let links: Vec<Value> = names
        .iter()
        .map(
            |n| json!({"kind": "custom", "base_url": s.llm.base(n), "model": format!("{n}-model")}),
        )
        .collect();
    let res = s.app.post("/api/ai/chain", json!({ "chain": links })).await;
    expect_ok(res).await;
}

async fn set_ai(s: &Setup, conversation_id: i32, enabled: bool) {
    let body = json!({"conversation_id": conversation_id, "enabled": enabled});
    let res = s.app.post("/api/inbox/set-ai", body).await;
    assert_eq!(res.status(), 200);
}

async fn customer_writes(s: &Setup, id: &str, body: &str) {
    let at = chrono::Utc::now().timestamp();
    let res = deliver_json(&s.app, &inbound(json!([text(id, at, body)]))).await;
    assert_eq!(res.status(), 200);
}

/// Text messages sent to WhatsApp (not read receipts or typing indicators).
fn sent_texts(graph: &FakeGraph) -> Vec<String> {
    graph
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages") && r.body["type"] == "text")
        .map(|r| {
            r.body["text"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn wait_for_sends(graph: &FakeGraph, n: usize) -> Vec<String> {
    eventually(&format!("{n} sends"), || async {
        let sent = sent_texts(graph);
        (sent.len() >= n).then_some(sent)
    })
    .await
}

async fn ai_messages(s: &Setup) -> Vec<message::Model> {
    message::Entity::find()
        .filter(message::Column::Direction.eq("outbound"))
        .order_by_asc(message::Column::Id)
        .all(&s.app.db)
        .await
        .expect("messages")
}

async fn conversation(s: &Setup) -> conversation::Model {
    conversation::Entity::find()
        .one(&s.app.db)
        .await
        .expect("query")
        .expect("a conversation")
}

/// Waits until the reply jobs have nothing left to do, then a little longer.
async fn settle(s: &Setup) {
    eventually("reply jobs to finish", || async {
        use replydesk::db::entities::job;
        let open = job::Entity::find()
            .filter(job::Column::Kind.eq("ai_reply"))
            .filter(job::Column::Status.is_in(["queued", "running"]))
            .all(&s.app.db)
            .await
            .expect("jobs");
        open.is_empty().then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
}

on_both_engines!(
    answers_from_the_knowledge_base_with_the_active_template,
    errors_and_timeouts_fall_through_the_chain,
    every_provider_failing_answers_extractively,
    nothing_relevant_without_a_provider_hands_off,
    the_model_can_hand_off_and_the_customer_can_ask,
    ai_off_means_no_reply,
    a_burst_gets_one_reply,
    an_owner_reply_in_the_window_wins,
    retried_and_duplicate_jobs_never_send_twice,
    stop_opts_out_and_start_opts_back_in,
    a_message_to_another_number_is_shown_not_answered,
    a_flood_is_read_only_to_its_latest_messages,
    customers_are_answered_in_the_business_languages,
    small_talk_goes_to_the_model_or_gets_a_polite_reply,
    passages_are_found_by_meaning_when_the_provider_embeds,
);

const PAGAMENTOS: &str = "Aceitamos cartões Visa e Mastercard, e também MB Way. Não aceitamos American Express nem cheques.";

/// Adds a note to the knowledge base and waits until `probe` finds it.
async fn note(app: &TestApp, title: &str, body: &str, probe: &str) {
    let res = app
        .post(
            "/api/knowledge/entry",
            json!({"entry": {"kind": "note", "title": title, "body": body}}),
        )
        .await;
    expect_ok(res).await;
    eventually("the note to be searchable", || async {
        let hits = json(
            app.post("/api/knowledge/search", json!({"query": {"text": probe}}))
                .await,
        )
        .await;
        hits.as_array()
            .is_some_and(|h| h.iter().any(|h| h["document_title"] == title))
            .then_some(())
    })
    .await;
}

async fn business_languages(app: &TestApp, languages: &[&str]) {
    let res = app
        .post(
            "/api/settings/business",
            json!({"profile": {"name": "Tasca do Rio", "timezone": "Europe/Lisbon", "languages": languages}}),
        )
        .await;
    expect_ok(res).await;
}

async fn try_question(app: &TestApp, question: &str) -> Value {
    json(
        app.post("/api/prompts/try", json!({"input": {"question": question}}))
            .await,
    )
    .await
}

async fn customers_are_answered_in_the_business_languages(engine: Engine) {
    let s = setup(engine, 0).await;
    business_languages(&s.app, &["English", "Português"]).await;
    note(&s.app, "Pagamentos", PAGAMENTOS, "cartões").await;
    // A Portuguese question finds the Portuguese passage through Portuguese stemming
    // ("cartão" / "cartões"), and the excerpt needs no intro line.
    let answer = try_question(&s.app, "Vocês aceitam cartão?").await;
    assert_eq!(answer["mode"], "extractive", "{answer}");
    let reply = answer["replies"][0].as_str().unwrap_or_default();
    assert!(
        reply.starts_with("Aceitamos cartões Visa e Mastercard"),
        "{reply}"
    );
    assert!(reply.ends_with("_Pagamentos_"), "{reply}");
    assert!(answer["passages"][0]["relevance"].as_f64().unwrap_or(0.0) >= 0.5);
    // An English question is still searched in English.
    let answer = try_question(&s.app, "how much does delivery cost?").await;
    assert!(answer["replies"][0]
        .as_str()
        .unwrap_or_default()
        .contains("$5"));
    // A question nothing answers is handed off in the customer's language.
    customer_writes(&s, "wamid.pt1", "Vocês têm estacionamento para bicicletas?").await;
    let sent = wait_for_sends(&s.graph, 1).await;
    assert!(
        sent[0].starts_with("Obrigado pela paciência"),
        "{}",
        sent[0]
    );
    let c = conversation(&s).await;
    assert_eq!(c.handoff, "requested");
    // The owner's own hand-off words are never translated.
    behaviour(&s.app, json!({"handoff_message": "Um momento, por favor."})).await;
    set_ai(&s, c.id, true).await;
    customer_writes(&s, "wamid.pt2", "Do you have bike parking?").await;
    let sent = wait_for_sends(&s.graph, 2).await;
    assert_eq!(sent[1], "Um momento, por favor.");
    s.app.stop().await;
}

async fn small_talk_goes_to_the_model_or_gets_a_polite_reply(engine: Engine) {
    let s = setup(engine, 0).await;
    business_languages(&s.app, &["English", "Español"]).await;
    // Without a provider: a greeting gets a greeting in the customer's language, thanks a
    // "you're welcome", and neither goes to a person or counts as a knowledge gap.
    customer_writes(&s, "wamid.t1", "Hola 👋").await;
    let sent = wait_for_sends(&s.graph, 1).await;
    assert_eq!(sent[0], "¡Hola! ¿En qué puedo ayudarte?");
    customer_writes(&s, "wamid.t2", "thanks!").await;
    let sent = wait_for_sends(&s.graph, 2).await;
    assert!(sent[1].starts_with("You're welcome"), "{}", sent[1]);
    assert_eq!(conversation(&s).await.handoff, "none");
    assert!(ai_messages(&s).await.iter().all(|m| !m.knowledge_gap));
    // With a provider the model decides, even though no passage matches a greeting.
    chain(&s, &["main"]).await;
    s.llm
        .script("main", [Script::Answer("¡Hola! ¿Qué necesitas?".into())]);
    customer_writes(&s, "wamid.t3", "Hola 👋").await;
    let sent = wait_for_sends(&s.graph, 3).await;
    assert_eq!(sent[2], "¡Hola! ¿Qué necesitas?");
    // A question the passages do not answer goes to the model too, told to hand off.
    s.llm
        .script("main", [Script::Handoff("Not in the documents.".into())]);
    customer_writes(&s, "wamid.t4", "¿Tienen aparcamiento para bicis?").await;
    let sent = wait_for_sends(&s.graph, 4).await;
    assert!(
        sent[3].starts_with("Gracias por tu paciencia"),
        "{}",
        sent[3]
    );
    let calls = s.llm.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls[1].system().contains("use the handoff tool"));
    s.app.stop().await;
}

async fn passages_are_found_by_meaning_when_the_provider_embeds(engine: Engine) {
    use replydesk::db::entities::passage_embedding;
    let s = setup(engine, 0).await;
    // The business speaks English only: no Portuguese stemming, and no word in common
    // between "credit cards" and "cartões".
    business_languages(&s.app, &["English"]).await;
    note(&s.app, "Pagamentos", PAGAMENTOS, "cartões").await;
    behaviour(&s.app, json!({"embedding_model": "fake-embed-1"})).await;
    chain(&s, &["main"]).await;
    let stored = || async {
        passage_embedding::Entity::find()
            .all(&s.app.db)
            .await
            .expect("embeddings")
    };
    let passages = replydesk::db::entities::chunk::Entity::find()
        .all(&s.app.db)
        .await
        .expect("chunks")
        .len();
    eventually("every passage to be embedded", || async {
        let rows = stored().await;
        (rows.len() == passages && rows.iter().all(|r| r.model == "fake-embed-1")).then_some(())
    })
    .await;
    let batch = &s.llm.embedding_calls()[0];
    assert_eq!(batch.body["model"], "fake-embed-1");
    assert_eq!(
        batch.body["input"].as_array().map(Vec::len),
        Some(passages),
        "one batch"
    );

    // The model is asked with the passage found by meaning.
    s.llm
        .script("main", [Script::Answer("Yes, Visa and Mastercard.".into())]);
    let answer = try_question(&s.app, "Do you take credit cards?").await;
    assert_eq!(
        answer["passages"][0]["document_title"], "Pagamentos",
        "{answer}"
    );
    assert!(s.llm.calls()[0].system().contains("Aceitamos cartões"));
    // Every embedding call is in the usage ledger: the passages' and the question's.
    let usage = llm_usage::Entity::find()
        .filter(llm_usage::Column::Model.eq("fake-embed-1"))
        .all(&s.app.db)
        .await
        .expect("usage");
    assert!(
        usage
            .iter()
            .any(|u| u.purpose == "embedding" && u.tokens_in > 0),
        "{usage:?}"
    );
    assert!(usage.iter().any(|u| u.purpose == "try"), "{usage:?}");

    // Another model: every passage is embedded again.
    behaviour(&s.app, json!({"embedding_model": "fake-embed-2"})).await;
    eventually("passages to be embedded by the new model", || async {
        let rows = stored().await;
        (rows.len() == passages && rows.iter().all(|r| r.model == "fake-embed-2")).then_some(())
    })
    .await;

    // Embeddings failing: answers go on by words alone.
    s.llm.fail_embeddings("main", Some(500));
    s.llm
        .script("main", [Script::Answer("Delivery is $5.".into())]);
    let answer = try_question(&s.app, "how much is delivery?").await;
    assert_eq!(answer["mode"], "model", "{answer}");
    assert_eq!(
        answer["passages"][0]["document_title"],
        "How much is delivery?"
    );
    s.app.stop().await;
}

async fn a_message_to_another_number_is_shown_not_answered(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["main"]).await;
    let at = chrono::Utc::now().timestamp();
    // The same WhatsApp Business account, its second number.
    let body = common::meta::envelope(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15559990000", "phone_number_id": "999888777666555"},
        "contacts": [{"profile": {"name": "Ana Souza"}, "wa_id": ANA}],
        "messages": [text("wamid.other", at, "how much is delivery?")]
    }));
    assert_eq!(deliver_json(&s.app, &body).await.status(), 200);
    settle(&s).await;
    assert!(
        sent_texts(&s.graph).is_empty(),
        "answered from the wrong number"
    );
    assert!(s.llm.calls().is_empty());
    let stored = message::Entity::find()
        .filter(message::Column::Wamid.eq("wamid.other"))
        .one(&s.app.db)
        .await
        .expect("query")
        .expect("stored and shown");
    let note = stored.error_title.unwrap_or_default();
    assert!(note.contains("+15559990000"), "{note}");
    // The number this bot answers from is answered as always.
    customer_writes(&s, "wamid.ours", "how much is delivery?").await;
    wait_for_sends(&s.graph, 1).await;
    s.app.stop().await;
}

async fn a_flood_is_read_only_to_its_latest_messages(engine: Engine) {
    let s = setup(engine, WIDE_BURST_MS).await;
    chain(&s, &["main"]).await;
    let at = chrono::Utc::now().timestamp();
    let flood: Vec<Value> = (1..=14)
        .map(|n| {
            text(
                &format!("wamid.f{n}"),
                at,
                &format!("How much is delivery? ({n}) {}", "x".repeat(300)),
            )
        })
        .collect();
    assert_eq!(
        deliver_json(&s.app, &inbound(json!(flood))).await.status(),
        200
    );
    wait_for_sends(&s.graph, 1).await;
    settle(&s).await;
    let calls = s.llm.calls();
    assert_eq!(calls.len(), 1, "one reply for the flood");
    let asked = calls[0].user();
    // At most the last 10 messages, and at most 2,000 characters of them: the end.
    assert!(
        asked.chars().count() <= 2000,
        "{} characters",
        asked.chars().count()
    );
    assert!(asked.contains("(14)"), "{asked}");
    assert!(!asked.contains("(4)"), "{asked}");
    s.app.stop().await;
}

async fn answers_from_the_knowledge_base_with_the_active_template(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["main"]).await;
    s.llm.always(
        "main",
        Script::Answer("## Delivery\nIt costs **$5** in the city.".into()),
    );
    customer_writes(&s, "wamid.q1", "How much is delivery to my house?").await;

    let sent = wait_for_sends(&s.graph, 1).await;
    assert_eq!(
        sent,
        ["*Delivery*\nIt costs *$5* in the city."],
        "fitted to WhatsApp"
    );
    let calls = s.llm.calls();
    assert_eq!(calls.len(), 1);
    let system = calls[0].system();
    assert!(
        system.contains(DELIVERY),
        "the passage is in the context: {system}"
    );
    assert!(system.contains(common::BUSINESS), "business_name rendered");
    assert!(system.contains("Ana Souza"), "customer_name rendered");
    assert!(
        system.contains("How much is delivery to my house?"),
        "customer_message rendered"
    );
    assert!(!system.contains("{{"), "every variable rendered: {system}");
    assert_eq!(calls[0].user(), "How much is delivery to my house?");
    assert_eq!(calls[0].body["model"], "main-model");
    assert_eq!(
        calls[0].body["tools"][0]["function"]["name"],
        "handoff_to_human"
    );

    let reply = ai_messages(&s).await.pop().expect("the AI message");
    assert_eq!(reply.sender, "ai");
    assert_eq!(reply.provider.as_deref(), Some("custom"));
    assert_eq!(reply.model.as_deref(), Some("main-model"));
    assert_eq!((reply.tokens_in, reply.tokens_out), (Some(1200), Some(80)));
    let cited: Vec<i32> = serde_json::from_str(&reply.cited_chunk_ids).expect("ids");
    assert!(!cited.is_empty(), "the passages given are recorded");
    let usage = llm_usage::Entity::find()
        .all(&s.app.db)
        .await
        .expect("usage");
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].message_id, Some(reply.id));
    assert!(usage[0].ok);

    // The owner's custom template, once active, is what the model gets.
    let created = json(
        s.app
            .post(
                "/api/prompts/save",
                json!({"template": {"name": "Short", "body": "Be brief for {{business_name}} on {{current_date}}. Docs: {{relevant_documents}}", "knowledge_only": true}}),
            )
            .await,
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        s.app
            .post("/api/prompts/activate", json!({ "id": id }))
            .await
            .status(),
        200
    );
    customer_writes(&s, "wamid.q2", "And delivery on Sunday?").await;
    wait_for_sends(&s.graph, 2).await;
    let system = s.llm.calls()[1].system();
    assert!(
        system.starts_with(&format!("Be brief for {}", common::BUSINESS)),
        "{system}"
    );
    assert!(system.contains(DELIVERY));
    s.app.stop().await;
}

async fn errors_and_timeouts_fall_through_the_chain(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["down", "limited", "slow", "good"]).await;
    s.llm.always("down", Script::Status(500));
    s.llm.always("limited", Script::Status(429));
    s.llm.always("slow", Script::Slow(Duration::from_secs(3)));
    s.llm
        .always("good", Script::Answer("Delivery is $5 in the city.".into()));
    let prices = json!({"prices": [{"model": "good-model", "input_per_million": 1.0, "output_per_million": 2.0}]});
    assert_eq!(s.app.post("/api/ai/prices", prices).await.status(), 200);
    customer_writes(&s, "wamid.f1", "delivery price?").await;

    assert_eq!(
        wait_for_sends(&s.graph, 1).await,
        ["Delivery is $5 in the city."]
    );
    let asked: Vec<String> = s.llm.calls().into_iter().map(|c| c.provider).collect();
    assert_eq!(asked, ["down", "limited", "slow", "good"]);
    let reply = ai_messages(&s).await.pop().expect("reply");
    assert_eq!(reply.model.as_deref(), Some("good-model"));
    let usage = llm_usage::Entity::find()
        .order_by_asc(llm_usage::Column::Id)
        .all(&s.app.db)
        .await
        .expect("usage");
    let outcome: Vec<(String, bool)> = usage.iter().map(|u| (u.model.clone(), u.ok)).collect();
    assert_eq!(
        outcome,
        [
            ("down-model".to_owned(), false),
            ("limited-model".to_owned(), false),
            ("slow-model".to_owned(), false),
            ("good-model".to_owned(), true)
        ]
    );
    assert!(usage[0]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("500"));
    assert!(usage[1]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("429"));
    assert!(usage[2]
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("no answer within"));
    // The conversation's cost: every call counted, the one that answered priced.
    let thread = json(
        s.app
            .post(
                "/api/inbox/thread",
                json!({"conversation_id": reply.conversation_id}),
            )
            .await,
    )
    .await;
    assert_eq!(thread["ai_usage"]["calls"], 4);
    assert_eq!(thread["ai_usage"]["tokens_in"], 1200);
    assert_eq!(thread["ai_usage"]["tokens_out"], 80);
    // 1,200 tokens in at $1/M + 80 out at $2/M = 1,360 micro-dollars.
    assert_eq!(thread["ai_usage"]["cost_micros"], 1360);
    assert_eq!(usage[3].cost_micros, 1360);
    assert_eq!(reply.cost_micros, Some(1360));
    s.app.stop().await;
}

async fn every_provider_failing_answers_extractively(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["a", "b"]).await;
    s.llm.always("a", Script::Status(503));
    s.llm.always("b", Script::Status(500));
    customer_writes(&s, "wamid.e1", "How much does delivery cost?").await;

    let sent = wait_for_sends(&s.graph, 1).await;
    // The sentences that answer (a short one takes the next along), without an intro line,
    // and their source named once.
    assert_eq!(
        sent[0],
        "Delivery within the city costs $5. Orders above $50 ship for free.\n\n_How much is delivery?_"
    );
    assert_eq!(s.llm.calls().len(), 2);
    let reply = ai_messages(&s).await.pop().expect("reply");
    assert_eq!(reply.provider.as_deref(), Some("extractive"));

    // A model answer promising a price the passages do not hold is replaced the same way.
    s.llm
        .script("a", [Script::Answer("Delivery is only $2 today!".into())]);
    customer_writes(&s, "wamid.e2", "How much does delivery cost now?").await;
    let sent = wait_for_sends(&s.graph, 2).await;
    assert!(sent[1].contains("costs $5"), "{}", sent[1]);
    assert!(!sent[1].contains("$2"));
    s.app.stop().await;
}

async fn nothing_relevant_without_a_provider_hands_off(engine: Engine) {
    let s = setup(engine, 0).await;
    // No chain: the no-key mode. A question the knowledge base answers gets an excerpt…
    customer_writes(&s, "wamid.n1", "do you deliver on saturday").await;
    let sent = wait_for_sends(&s.graph, 1).await;
    assert!(
        sent[0].contains("We deliver Monday to Saturday."),
        "{}",
        sent[0]
    );
    // …one it cannot answer goes to a person.
    customer_writes(&s, "wamid.n2", "Can I pay with bitcoin?").await;
    let sent = wait_for_sends(&s.graph, 2).await;
    assert!(
        sent[1].contains("A member of our team will reply"),
        "{}",
        sent[1]
    );
    let c = conversation(&s).await;
    assert_eq!(c.handoff, "requested");
    assert!(!c.ai_enabled);
    assert!(c
        .handoff_reason
        .unwrap_or_default()
        .contains("knowledge base"));
    // Each answer records how it came about; the unanswered question is a knowledge gap.
    let modes: Vec<(Option<String>, bool)> = ai_messages(&s)
        .await
        .into_iter()
        .map(|m| (m.answer_mode, m.knowledge_gap))
        .collect();
    assert_eq!(
        modes,
        vec![
            (Some("extractive".to_owned()), false),
            (Some("handoff".to_owned()), true)
        ]
    );
    let report = json(s.app.post("/api/analytics/report", json!({})).await).await;
    assert_eq!(report["totals"]["handoffs"], 1, "{report}");
    assert_eq!(report["gaps"][0]["question"], "Can I pay with bitcoin?");
    assert_eq!(report["gaps"][0]["conversation_ids"], json!([c.id]));
    // Handed off: the bot stays quiet.
    customer_writes(&s, "wamid.n3", "hello?").await;
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph).len(), 2);
    s.app.stop().await;
}

async fn the_model_can_hand_off_and_the_customer_can_ask(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["main"]).await;
    s.llm.script(
        "main",
        [Script::Handoff("The customer wants a refund.".into())],
    );
    customer_writes(
        &s,
        "wamid.h1",
        "My delivery arrived broken, I want my money back",
    )
    .await;
    let sent = wait_for_sends(&s.graph, 1).await;
    assert!(sent[0].contains("A member of our team"));
    let c = conversation(&s).await;
    assert_eq!((c.handoff.as_str(), c.ai_enabled), ("requested", false));
    assert_eq!(
        c.handoff_reason.as_deref(),
        Some("The customer wants a refund.")
    );

    // The owner switches the AI back on; the customer asks for a person in Portuguese.
    set_ai(&s, c.id, true).await;
    assert_eq!(conversation(&s).await.handoff, "none");
    customer_writes(&s, "wamid.h2", "quero falar com um atendente").await;
    wait_for_sends(&s.graph, 2).await;
    let c = conversation(&s).await;
    assert_eq!(c.handoff, "requested");
    assert_eq!(
        c.handoff_reason.as_deref(),
        Some("The customer asked for a person.")
    );
    assert_eq!(
        s.llm.calls().len(),
        1,
        "no model call for an explicit request"
    );
    s.app.stop().await;
}

async fn ai_off_means_no_reply(engine: Engine) {
    let s = setup(engine, WIDE_BURST_MS).await;
    chain(&s, &["main"]).await;
    customer_writes(&s, "wamid.o1", "delivery price?").await;
    // Switched off during the burst window: checked when the reply is about to be written.
    let c = conversation(&s).await; // stored before the webhook was answered
    set_ai(&s, c.id, false).await;
    settle(&s).await;
    assert!(sent_texts(&s.graph).is_empty());
    assert!(s.llm.calls().is_empty());
    customer_writes(&s, "wamid.o2", "hello?").await;
    settle(&s).await;
    assert!(sent_texts(&s.graph).is_empty());
    s.app.stop().await;
}

async fn a_burst_gets_one_reply(engine: Engine) {
    let s = setup(engine, WIDE_BURST_MS).await;
    chain(&s, &["main"]).await;
    for (id, body) in [
        ("wamid.b1", "Hi!"),
        ("wamid.b2", "How much is delivery?"),
        ("wamid.b3", "To Lisbon street"),
    ] {
        customer_writes(&s, id, body).await;
    }
    wait_for_sends(&s.graph, 1).await;
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph).len(), 1, "one reply");
    let calls = s.llm.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].user(),
        "Hi!\nHow much is delivery?\nTo Lisbon street"
    );
    // The customer's message was marked read with the typing indicator.
    assert!(s
        .graph
        .requests()
        .iter()
        .any(|r| r.body["status"] == "read" && r.body["typing_indicator"]["type"] == "text"));
    s.app.stop().await;
}

async fn an_owner_reply_in_the_window_wins(engine: Engine) {
    let s = setup(engine, WIDE_BURST_MS).await;
    chain(&s, &["main"]).await;
    customer_writes(&s, "wamid.w1", "delivery price?").await;
    let c = conversation(&s).await; // stored before the webhook was answered
    let res = s
        .app
        .post(
            "/api/inbox/send",
            json!({"conversation_id": c.id, "body": "Hi Ana, it is $5."}),
        )
        .await;
    expect_ok(res).await;
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph), ["Hi Ana, it is $5."]);
    assert!(s.llm.calls().is_empty());
    // The owner's reply paused the AI (default: until switched back on).
    assert!(!conversation(&s).await.ai_enabled);
    s.app.stop().await;
}

async fn retried_and_duplicate_jobs_never_send_twice(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["main"]).await;
    s.llm
        .always("main", Script::Slow(Duration::from_millis(300)));
    customer_writes(&s, "wamid.r1", "delivery price?").await;
    let m = eventually("the inbound message", || async {
        message::Entity::find()
            .filter(message::Column::Direction.eq("inbound"))
            .one(&s.app.db)
            .await
            .expect("query")
    })
    .await;
    // Two more jobs for the same message while the first is answering (a retry, a duplicate).
    let job = Reply {
        conversation_id: m.conversation_id,
        message_id: m.id,
    };
    for _ in 0..2 {
        s.app
            .queue
            .enqueue(&s.app.db, &job, Enqueue::default())
            .await
            .expect("enqueue");
    }
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph).len(), 1);
    assert_eq!(
        s.llm.calls().len(),
        1,
        "one answer in flight per conversation"
    );
    let ai: Vec<_> = ai_messages(&s)
        .await
        .into_iter()
        .filter(|m| m.sender == "ai")
        .collect();
    assert_eq!(ai.len(), 1);
    // And once more after everything settled.
    s.app
        .queue
        .enqueue(&s.app.db, &job, Enqueue::default())
        .await
        .expect("enqueue");
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph).len(), 1);
    s.app.stop().await;
}

async fn stop_opts_out_and_start_opts_back_in(engine: Engine) {
    let s = setup(engine, 0).await;
    chain(&s, &["main"]).await;
    customer_writes(&s, "wamid.s1", "STOP").await;
    let sent = wait_for_sends(&s.graph, 1).await;
    assert!(sent[0].contains("Write START"), "{}", sent[0]);
    let who = customer::Entity::find()
        .filter(customer::Column::WaId.eq(ANA))
        .one(&s.app.db)
        .await
        .expect("query")
        .expect("customer");
    assert!(who.opted_out_at.is_some());
    let thread = json(
        s.app
            .post(
                "/api/inbox/thread",
                json!({"conversation_id": conversation(&s).await.id}),
            )
            .await,
    )
    .await;
    assert_eq!(thread["conversation"]["opted_out"], true);

    customer_writes(&s, "wamid.s2", "delivery price?").await;
    settle(&s).await;
    assert_eq!(sent_texts(&s.graph).len(), 1, "no AI reply while opted out");
    assert!(s.llm.calls().is_empty());
    // No template sends either.
    let template = Content::Template {
        name: "spring_sale".into(),
        language: "en".into(),
        components: json!([]),
    };
    let refused = s
        .app
        .outbound
        .queue(conversation(&s).await.id, "agent", template, None)
        .await;
    assert!(matches!(refused, Err(SendError::OptedOut)), "{refused:?}");

    customer_writes(&s, "wamid.s3", "start").await;
    let sent = wait_for_sends(&s.graph, 2).await;
    assert!(sent[1].contains("Welcome back"));
    customer_writes(&s, "wamid.s4", "delivery price?").await;
    wait_for_sends(&s.graph, 3).await;
    assert_eq!(s.llm.calls().len(), 1);
    s.app.stop().await;
}
