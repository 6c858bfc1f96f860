//! Storing one webhook delivery: customers, conversations, messages and statuses, in one
//! transaction, so that a 200 to Meta means everything is stored and a failure stores nothing
//! (Meta then retries, and the retry finds what it finds: duplicates are no-ops).

use std::collections::{BTreeSet, HashMap};

use app::model::Change;
use chrono::Utc;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};

use super::outbound::callback_message;
use super::payload::{BusinessNumber, Delivery};
use super::SIMULATED_PREFIX;
use crate::db::messages::StatusOutcome;
use crate::db::{conversations, customers, messages, pending_statuses};
use crate::jobs::kinds::{DownloadMedia, Reply};
use crate::jobs::{Enqueue, Job, Queue, QueueError};
use crate::realtime::Bus;

/// What a delivery changed, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub stored: usize,
    pub duplicates: usize,
    /// Messages without any sender id: nothing to attach them to.
    pub skipped: usize,
    /// Messages written to another number of the business: stored, never answered.
    pub other_number: usize,
    pub statuses_applied: usize,
    pub statuses_stale: usize,
    pub statuses_pending: usize,
}

async fn enqueue<J: Job>(
    queue: &Queue,
    txn: &DatabaseTransaction,
    job: &J,
    dedupe_key: String,
) -> Result<(), DbErr> {
    let options = Enqueue {
        dedupe_key: Some(dedupe_key),
        ..Enqueue::default()
    };
    queue
        .enqueue(txn, job, options)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            QueueError::Db(e) => e,
            other => DbErr::Custom(other.to_string()),
        })
}

/// The note on a message written to a number this server does not answer from.
fn other_number_note(to: &BusinessNumber) -> String {
    let number = match &to.display {
        Some(display) => format!("+{}", display.trim_start_matches('+')),
        None => format!("the number with id {}", to.phone_number_id),
    };
    format!("Sent to {number}, not the number this bot answers from. It was not answered automatically.")
}

/// Stores `delivery`, then publishes what changed to open dashboards. `answering_from` is the
/// phone number id replies go out from: a message written to another number of the same
/// WhatsApp account is stored and shown, never answered from this one.
pub async fn ingest(
    db: &DatabaseConnection,
    queue: &Queue,
    bus: &Bus,
    delivery: &Delivery,
    answering_from: Option<&str>,
) -> Result<IngestReport, DbErr> {
    let mut report = IngestReport::default();
    if delivery.messages.is_empty() && delivery.statuses.is_empty() {
        return Ok(report);
    }
    let profiles: HashMap<&str, Option<&str>> = delivery
        .profiles
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_deref()))
        .collect();
    // Oldest first, so previews and reply links come out as the customer wrote them.
    let mut inbound: Vec<_> = delivery.messages.iter().collect();
    inbound.sort_by_key(|m| m.sent_at);

    // With messages, the first statement (the customer upsert) writes and takes SQLite's write
    // lock; a status-only delivery reads first and must take it explicitly.
    let txn = if inbound.is_empty() {
        crate::db::write_txn(db).await?
    } else {
        db.begin().await?
    };
    let now = Utc::now();
    let mut changes = Vec::new();
    let mut touched = BTreeSet::new();
    for message in inbound {
        let Some(from) = message.from.as_deref() else {
            tracing::warn!(wamid = %message.wamid, "inbound message without a sender id; skipped");
            report.skipped += 1;
            continue;
        };
        let profile = profiles.get(from).copied().flatten();
        let customer = customers::upsert_seen(&txn, from, profile, now).await?;
        let simulated = from.starts_with(SIMULATED_PREFIX);
        let conversation = conversations::upsert_open(&txn, customer.id, simulated, now).await?;
        let reply_to_id = match &message.reply_to {
            Some(wamid) => messages::by_wamid(&txn, wamid).await?.map(|m| m.id),
            None => None,
        };
        match messages::insert_inbound(&txn, conversation.id, message, reply_to_id).await? {
            Some(message_id) => {
                tracing::info!(
                    conversation_id = conversation.id,
                    message_id,
                    kind = %message.kind,
                    "message received"
                );
                let sent_at = message.sent_at.unwrap_or(now).min(now);
                conversations::record_inbound(&txn, conversation.id, sent_at, &message.body)
                    .await?;
                changes.push(Change::MessageCreated {
                    conversation_id: conversation.id,
                    message_id,
                });
                if message.media.is_some() {
                    let job = DownloadMedia { message_id };
                    enqueue(queue, &txn, &job, format!("media:{}", message.wamid)).await?;
                }
                let elsewhere = message
                    .to
                    .as_ref()
                    .filter(|to| answering_from.is_some_and(|ours| ours != to.phone_number_id));
                if let Some(to) = elsewhere {
                    messages::set_note(&txn, message_id, &other_number_note(to)).await?;
                    tracing::warn!(
                        wamid = %message.wamid,
                        to = %to.phone_number_id,
                        "message to another number of the WhatsApp account stored, not answered"
                    );
                    touched.insert(conversation.id);
                    report.stored += 1;
                    report.other_number += 1;
                    continue;
                }
                // Every customer message gets a reply job, whatever the AI switch says: the job
                // also handles STOP and START, and it checks the switch when it is about to
                // answer (the owner may flip it during the burst window).
                let job = Reply {
                    conversation_id: conversation.id,
                    message_id,
                };
                enqueue(queue, &txn, &job, format!("reply:{}", message.wamid)).await?;
                touched.insert(conversation.id);
                report.stored += 1;
            }
            None => report.duplicates += 1,
        }
    }
    for status in &delivery.statuses {
        let mut outcome = messages::apply_status(&txn, status).await?;
        // Our callback links a status to the message whose send did not get Meta's answer (or
        // has not stored it yet): adopt the id, then apply the status.
        if outcome == StatusOutcome::Unknown {
            if let Some(message_id) = status.callback.as_deref().and_then(callback_message) {
                if messages::mark_sent(&txn, message_id, &status.wamid).await? {
                    outcome = messages::apply_status(&txn, status).await?;
                    if outcome == StatusOutcome::Stale {
                        // The status was "sent" itself: adopting the id applied it.
                        if let Some(message) = messages::by_id(&txn, message_id).await? {
                            outcome = StatusOutcome::Applied {
                                message_id,
                                conversation_id: message.conversation_id,
                            };
                        }
                    }
                }
            }
        }
        match outcome {
            StatusOutcome::Applied {
                message_id,
                conversation_id,
            } => {
                changes.push(Change::MessageStatus {
                    conversation_id,
                    message_id,
                    status: status.status.clone(),
                });
                report.statuses_applied += 1;
            }
            StatusOutcome::Stale => report.statuses_stale += 1,
            StatusOutcome::Unknown => {
                pending_statuses::insert(&txn, status).await?;
                report.statuses_pending += 1;
            }
            StatusOutcome::Unrecognised => {
                tracing::info!(status = %status.status, "unrecognised delivery status ignored");
            }
        }
    }
    changes.extend(
        touched
            .into_iter()
            .map(|conversation_id| Change::ConversationUpdated { conversation_id }),
    );
    bus.commit(txn, changes).await?;
    Ok(report)
}
