//! `kill -9` while 20 customers' replies are in flight, then a restart: every customer is
//! answered exactly once. The server is the real binary, WhatsApp and the AI provider are
//! in-process fakes it reaches over HTTP.

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::fake_graph::{FakeGraph, PHONE_ID, TOKEN};
use common::fake_llm::{FakeLlm, Script};
use common::meta::{deliver_to, envelope, text, SECRET};
use common::process::{self, ServerProcess};
use common::{free_port, Engine, TestDb};
use serde_json::json;

const CUSTOMERS: usize = 20;

/// The server on `db` at `port`, answering through the fake Meta and the fake provider.
async fn serve(
    db: &TestDb,
    port: u16,
    graph: &FakeGraph,
    llm: &FakeLlm,
    log: &str,
) -> ServerProcess {
    let mut command = process::command(&db.url, db.data_dir.path(), port);
    command
        .env("WHATSAPP_GRAPH_URL", &graph.url)
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN)
        .env("WHATSAPP_PHONE_NUMBER_ID", PHONE_ID)
        .env("WHATSAPP_APP_SECRET", SECRET)
        .env("LLM_BASE_URL", llm.base("main"))
        .env("LLM_MODEL", "main-model");
    ServerProcess::start(command, port, &db.data_dir.path().join(log)).await
}

/// Replies sent to each customer so far.
fn answered(graph: &FakeGraph) -> BTreeMap<String, usize> {
    let mut sent = BTreeMap::new();
    for request in graph.requests() {
        if request.path.ends_with("/messages") && request.body["type"] == "text" {
            let to = request.body["to"].as_str().unwrap_or_default();
            let to = to.trim_start_matches('+').to_owned();
            *sent.entry(to).or_default() += 1;
        }
    }
    sent
}

on_both_engines!(replies_in_flight_survive_kill_9);

async fn replies_in_flight_survive_kill_9(engine: Engine) {
    let graph = FakeGraph::start().await;
    let llm = FakeLlm::start().await;
    // Slow answers keep replies in flight when the process is killed.
    llm.always("main", Script::Slow(Duration::from_secs(2)));
    let db = TestDb::new(engine).await;
    let port = free_port();
    let mut first = serve(&db, port, &graph, &llm, "first.log").await;
    // Something to answer from (the default template answers only from the knowledge base).
    let owner = first.owner().await;
    let base = first.base.clone();
    let res = owner
        .post(format!("{base}/api/knowledge/entry"))
        .json(&json!({"entry": {"kind": "faq", "title": "Do you deliver?", "body": "Yes, within 5 km, every day."}}))
        .send()
        .await
        .expect("entry");
    assert!(res.status().is_success());
    common::eventually("the answer to be searchable", || async {
        let hits: serde_json::Value = owner
            .post(format!("{base}/api/knowledge/search"))
            .json(&json!({"query": {"text": "deliver"}}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        hits.as_array().is_some_and(|h| !h.is_empty()).then_some(())
    })
    .await;

    let at = chrono::Utc::now().timestamp();
    let customers: Vec<String> = (0..CUSTOMERS)
        .map(|n| format!("55119000000{n:02}"))
        .collect();
    for (n, customer) in customers.iter().enumerate() {
        let mut message = text(&format!("wamid.crash.{n}"), at, "Do you deliver?");
        message["from"] = json!(customer);
        let body = envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001234", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": format!("Customer {n}")}, "wa_id": customer}],
            "messages": [message]
        }))
        .to_string();
        let res = deliver_to(&owner, &base, body.as_bytes()).await;
        assert_eq!(res.status(), 200);
    }
    // Killed once the provider is busy with the first replies (a guard, not a timing).
    common::eventually("the first replies to reach the provider", || async {
        (!llm.calls().is_empty()).then_some(())
    })
    .await;
    first.kill();
    let before = answered(&graph).values().sum::<usize>();
    assert!(before < CUSTOMERS, "all replies were done before the kill");

    let killed_at = Instant::now();
    let second = serve(&db, port, &graph, &llm, "second.log").await;
    // A guard against hanging (the lease on PostgreSQL is 30 s), not the speed target: that
    // is measured by bench/crash-recovery.py.
    let deadline = Instant::now() + Duration::from_secs(180);
    while answered(&graph).len() < CUSTOMERS {
        assert!(
            Instant::now() < deadline,
            "answered {} of {CUSTOMERS}: {:?}\n{}",
            answered(&graph).len(),
            answered(&graph),
            second.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{engine:?}: all {CUSTOMERS} answered {:.1} s after the kill ({before} before it)",
        killed_at.elapsed().as_secs_f64()
    );
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = answered(&graph);
    for customer in &customers {
        assert_eq!(sent.get(customer), Some(&1), "{customer}: {sent:?}");
    }
}
