//! The simulator: the owner writes as a test customer. Messages enter through the webhook's own
//! ingest path (a delivery like Meta's), so the reply job, the knowledge base and the provider
//! chain run exactly as for a real customer; the conversation is marked simulated and its
//! outbound messages are captured instead of sent to Meta.

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::json;

use crate::db::{conversations, customers};
use crate::jobs::Queue;
use crate::realtime::Bus;
use crate::whatsapp::ingest::{ingest, IngestReport};
use crate::whatsapp::payload::{Delivery, InboundMessage};

/// The one test customer (its id starts with [`crate::whatsapp::SIMULATED_PREFIX`], which
/// ingest recognises).
pub const TEST_CUSTOMER: &str = "simulator-1";

/// Posts `text` as the test customer.
pub async fn send(
    db: &DatabaseConnection,
    queue: &Queue,
    bus: &Bus,
    text: &str,
) -> Result<IngestReport, DbErr> {
    let now = Utc::now();
    let wamid = format!("wamid.simulator.{}", uuid::Uuid::new_v4().simple());
    let message = InboundMessage {
        wamid: wamid.clone(),
        from: Some(TEST_CUSTOMER.to_owned()),
        sent_at: Some(now),
        kind: "text".to_owned(),
        body: text.to_owned(),
        reply_to: None,
        media: None,
        raw: json!({"id": wamid, "from": TEST_CUSTOMER, "type": "text", "text": {"body": text}}),
        to: None,
    };
    let delivery = Delivery {
        messages: vec![message],
        profiles: vec![(TEST_CUSTOMER.to_owned(), Some("Test customer".to_owned()))],
        statuses: Vec::new(),
        other: Vec::new(),
    };
    ingest(db, queue, bus, &delivery, None).await
}

/// The test customer's conversation, if they have written.
pub async fn conversation(db: &DatabaseConnection) -> Result<Option<i32>, DbErr> {
    conversations::of_wa_id(db, TEST_CUSTOMER).await
}

/// Removes every simulated conversation, its messages, usage and test customer. Returns the
/// conversations removed.
pub async fn clear(txn: &impl sea_orm::ConnectionTrait) -> Result<customers::Erased, DbErr> {
    let found = conversations::simulated_ids(txn).await?;
    let customer_ids: Vec<i32> = found.iter().map(|(_, c)| *c).collect();
    customers::erase(txn, &customer_ids).await
}
