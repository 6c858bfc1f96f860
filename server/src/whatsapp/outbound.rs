//! Outbound messages: queued in the database with a send job, sent once.
//!
//! "Once" across retries and crashes:
//! - the job moves the message `queued → sending` before calling Meta, and only a message that
//!   is `queued` is sent;
//! - when Meta answers, the message becomes `sent` with its WhatsApp id, or `failed` with Meta's
//!   reason, or goes back to `queued` when Meta refused with a retryable error (nothing was sent);
//! - when no answer came (a timeout, or the process died mid-call) the message stays `sending`:
//!   the next attempt does not resend, it waits for Meta's status webhook, which echoes
//!   `message:<id>` (`biz_opaque_callback_data`) and links the message to its WhatsApp id. If no
//!   webhook comes within [`Outbound::uncertain_after`], the message is marked failed with an
//!   explanation instead of risking a duplicate.

use std::sync::Arc;
use std::time::Duration;

use app::model::{AiDetails, Change};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::{Content, ErrorClass, GraphClient, GraphError, Outgoing};
use crate::db::entities::message as messages_model;
use crate::db::messages::{self, NewOutbound, StatusOutcome};
use crate::db::{conversations, pending_statuses};
use crate::jobs::{Enqueue, JobContext, JobError, Queue, QueueError};
use crate::realtime::Bus;

/// Free-form messages may be sent this long after the customer's last message.
pub const WINDOW_HOURS: i64 = 24;
/// WhatsApp's limit on a text message.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Meta's default throughput per business number.
pub const DEFAULT_RATE_PER_SECOND: u32 = 80;

use crate::jobs::kinds::SendMessage;

/// A message stored with its send job, and the changes to publish when the caller commits.
#[derive(Debug)]
pub struct Queued {
    pub message_id: i32,
    pub changes: Vec<Change>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("There is no such conversation.")]
    NoConversation,
    #[error("The message is empty.")]
    Empty,
    #[error("The message is longer than WhatsApp allows ({MAX_TEXT_CHARS} characters).")]
    TooLong,
    #[error("The 24-hour window to reply freely closed at {closed_at} (UTC). Send an approved template message instead.")]
    WindowClosed { closed_at: String },
    #[error("This customer has not written to you yet, so only an approved template message can be sent.")]
    NeverWrote,
    #[error(
        "This customer opted out (they wrote STOP): no template messages until they write START."
    )]
    OptedOut,
    #[error("This message could not be read back to send it again. Write it anew instead.")]
    Unreadable,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
}

/// When the customer-service window of a conversation last heard from at `last_inbound` closes,
/// or `None` if it has never been opened.
pub fn window_closes(last_inbound: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    last_inbound.map(|at| at + chrono::Duration::hours(WINDOW_HOURS))
}

/// Why `content` may not be sent at `now` to a customer last heard from at `last_inbound`, if
/// it may not: free-form messages need the 24-hour window open; templates always go.
pub fn window_refusal(
    content: &Content,
    last_inbound: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<SendError> {
    if content.is_template() {
        return None;
    }
    match window_closes(last_inbound) {
        None => Some(SendError::NeverWrote),
        Some(at) if at <= now => Some(SendError::WindowClosed {
            closed_at: at.format("%Y-%m-%d %H:%M").to_string(),
        }),
        Some(_) => None,
    }
}

/// Spaces sends so this process never exceeds the number's throughput.
pub struct RateLimiter {
    /// The next free slot, and the interval between slots.
    state: Mutex<(Instant, Duration)>,
}

fn interval(rate: u32) -> Duration {
    Duration::from_secs(1) / rate.max(1)
}

impl RateLimiter {
    pub fn per_second(rate: u32) -> Self {
        Self {
            state: Mutex::new((Instant::now(), interval(rate))),
        }
    }

    /// Changes the rate (the owner saved another one in Settings).
    pub async fn set_rate(&self, rate: u32) {
        self.state.lock().await.1 = interval(rate);
    }

    /// The time between two sends' slots.
    pub async fn interval(&self) -> Duration {
        self.state.lock().await.1
    }

    /// Waits for this send's slot and returns it. Slots are at least one interval apart
    /// whatever the machine's speed: a late caller gets a later slot, never a closer one.
    pub async fn acquire(&self) -> Instant {
        let slot = {
            let mut state = self.state.lock().await;
            let (next, interval) = *state;
            let slot = next.max(Instant::now());
            state.0 = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
        slot
    }
}

#[derive(Clone)]
pub struct Outbound {
    db: DatabaseConnection,
    queue: Queue,
    bus: Bus,
    client: GraphClient,
    limiter: Arc<RateLimiter>,
    /// How long an interrupted send waits for Meta's confirmation before it is declared failed.
    pub uncertain_after: Duration,
}

/// The rate saved in Settings, or the default.
pub async fn stored_rate(db: &DatabaseConnection) -> u32 {
    use crate::db::settings;
    settings::number(
        db,
        settings::keys::OUTBOUND_RATE,
        app::model::OUTBOUND_RATE_RANGE,
        DEFAULT_RATE_PER_SECOND,
    )
    .await
    .unwrap_or(DEFAULT_RATE_PER_SECOND)
}

impl Outbound {
    /// Applies the rate saved in Settings.
    pub async fn reload_rate(&self) {
        self.limiter.set_rate(stored_rate(&self.db).await).await;
    }

    /// The time between two sends at the rate in force.
    pub async fn send_interval(&self) -> Duration {
        self.limiter.interval().await
    }

    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        bus: Bus,
        client: GraphClient,
        rate_per_second: u32,
    ) -> Self {
        Self {
            db,
            queue,
            bus,
            client,
            limiter: Arc::new(RateLimiter::per_second(rate_per_second)),
            uncertain_after: Duration::from_secs(600),
        }
    }

    /// Stores a message for `conversation_id` and its send job, in one transaction. A free-form
    /// message outside the 24-hour window is refused here, before anything reaches Meta.
    pub async fn queue(
        &self,
        conversation_id: i32,
        sender: &str,
        content: Content,
        reply_to: Option<String>,
    ) -> Result<i32, SendError> {
        let txn = crate::db::write_txn(&self.db).await?;
        let queued = self
            .queue_in(&txn, conversation_id, sender, content, reply_to, None)
            .await?;
        self.bus.commit(txn, queued.changes).await?;
        Ok(queued.message_id)
    }

    /// [`Outbound::queue`] inside the caller's transaction (the AI engine stores its answer,
    /// its usage and the conversation's new state together). The caller commits `changes`.
    /// A message from the owner (`agent`) answers everything the customer wrote so far: the AI
    /// does not reply to those messages any more.
    pub async fn queue_in(
        &self,
        txn: &DatabaseTransaction,
        conversation_id: i32,
        sender: &str,
        content: Content,
        reply_to: Option<String>,
        ai: Option<AiDetails>,
    ) -> Result<Queued, SendError> {
        let (kind, body) = match &content {
            Content::Text { body, .. } => {
                if body.trim().is_empty() {
                    return Err(SendError::Empty);
                }
                if body.chars().count() > MAX_TEXT_CHARS {
                    return Err(SendError::TooLong);
                }
                ("text", body.clone())
            }
            Content::Media { kind, caption, .. } => {
                (kind.as_str(), caption.clone().unwrap_or_default())
            }
            Content::Template { name, .. } => ("template", format!("[template: {name}]")),
        };
        let (conversation, customer) = conversations::with_customer(txn, conversation_id)
            .await?
            .ok_or(SendError::NoConversation)?;
        if let Some(refusal) = window_refusal(&content, conversation.last_inbound_at, Utc::now()) {
            return Err(refusal);
        }
        // Marketing and re-engagement go out as templates: an opted-out customer gets none.
        if content.is_template() && customer.opted_out_at.is_some() {
            return Err(SendError::OptedOut);
        }
        let message = messages::insert_outbound(
            txn,
            NewOutbound {
                conversation_id,
                sender,
                kind,
                body: &body,
                content: serde_json::to_string(&content).map_err(QueueError::from)?,
                reply_to_wamid: reply_to,
                ai,
            },
        )
        .await?;
        conversations::record_outbound(txn, conversation_id, message.created_at, &body).await?;
        tracing::info!(
            conversation_id,
            message_id = message.id,
            sender,
            "message queued"
        );
        if sender == "agent" {
            conversations::answered_all(txn, conversation_id).await?;
        }
        self.queue
            .enqueue(
                txn,
                &SendMessage {
                    message_id: message.id,
                },
                Enqueue {
                    dedupe_key: Some(format!("send:{}", message.id)),
                    ..Enqueue::default()
                },
            )
            .await?;
        Ok(Queued {
            message_id: message.id,
            changes: vec![
                Change::MessageCreated {
                    conversation_id,
                    message_id: message.id,
                },
                Change::ConversationUpdated { conversation_id },
            ],
        })
    }

    /// Sends a failed message again: the same row goes back to `queued` with its error cleared,
    /// and a new send job is queued. The window is checked as for a new message.
    pub async fn resend(&self, message: &messages_model::Model) -> Result<(), SendError> {
        let content: Content = message
            .raw
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw).ok())
            .ok_or(SendError::Unreadable)?;
        let txn = crate::db::write_txn(&self.db).await?;
        let (conversation, _) = conversations::with_customer(&txn, message.conversation_id)
            .await?
            .ok_or(SendError::NoConversation)?;
        if let Some(refusal) = window_refusal(&content, conversation.last_inbound_at, Utc::now()) {
            return Err(refusal);
        }
        if !messages::requeue(&txn, message.id).await? {
            // Already queued again (a double click, another tab): nothing more to do.
            return Ok(());
        }
        self.queue
            .enqueue(
                &txn,
                &SendMessage {
                    message_id: message.id,
                },
                Enqueue {
                    dedupe_key: Some(format!("send:{}:{}", message.id, uuid::Uuid::new_v4())),
                    ..Enqueue::default()
                },
            )
            .await?;
        let change = Change::MessageStatus {
            conversation_id: message.conversation_id,
            message_id: message.id,
            status: "queued".to_owned(),
        };
        self.bus.commit(txn, vec![change]).await?;
        Ok(())
    }

    /// Marks `wamid` read and shows the customer the typing indicator (for up to 25 s, or until
    /// the next message). Best effort: a failure only costs the dots.
    pub async fn typing(&self, wamid: &str) {
        if let Err(e) = self.client.mark_read(wamid, true).await {
            tracing::debug!(error = %e, "typing indicator not shown");
        }
    }

    /// The send job.
    #[tracing::instrument(
        name = "send",
        skip_all,
        fields(message_id = job.message_id, conversation_id = tracing::field::Empty)
    )]
    pub async fn run(&self, job: SendMessage, _ctx: JobContext) -> Result<(), JobError> {
        let Some(message) = messages::by_id(&self.db, job.message_id).await? else {
            return Err(JobError::Permanent("the message no longer exists".into()));
        };
        tracing::Span::current().record("conversation_id", message.conversation_id);
        match message.status.as_str() {
            "queued" => {}
            "sending" => return self.interrupted(&message).await,
            // Sent, failed or further along: nothing left to do, and nothing is sent twice.
            _ => return Ok(()),
        }
        let content: Content = match message.raw.as_deref().map(serde_json::from_str) {
            Some(Ok(content)) => content,
            _ => {
                self.fail(
                    &message,
                    None,
                    "This message could not be read back to send it.",
                    None,
                )
                .await?;
                return Err(JobError::Permanent("unreadable content".into()));
            }
        };
        let Some((conversation, customer)) =
            conversations::with_customer(&self.db, message.conversation_id).await?
        else {
            return Err(JobError::Permanent(
                "the conversation no longer exists".into(),
            ));
        };
        // Checked again at send time: a reply queued behind a slow model can miss the window.
        if window_refusal(&content, conversation.last_inbound_at, Utc::now()).is_some() {
            self.fail(
                &message,
                None,
                "Not sent: the 24-hour window closed before it could be sent. Send an approved template message instead.",
                None,
            )
            .await?;
            return Err(JobError::Permanent("24-hour window closed".into()));
        }

        // The simulator's conversations run the whole pipeline but never reach Meta: the send
        // is captured and marked sent with a local id.
        if conversation.simulated {
            return self
                .sent(
                    message.conversation_id,
                    message.id,
                    &format!("sim.{}", message.id),
                )
                .await;
        }
        self.limiter.acquire().await;
        if !messages::transition(&self.db, message.id, "queued", "sending").await? {
            return Ok(()); // another worker took it
        }
        let outgoing = Outgoing {
            to: customer.wa_id.clone(),
            content,
            reply_to: message.reply_to_wamid.clone(),
            callback: Some(callback(message.id)),
        };
        match self.client.send(&outgoing).await {
            Ok(wamid) => self.sent(message.conversation_id, message.id, &wamid).await,
            Err(e) if e.maybe_delivered() => Err(JobError::Retry(format!(
                "{e}; waiting for WhatsApp to confirm whether it was sent"
            ))),
            Err(e) => self.refused(&message, e).await,
        }
    }

    /// Meta accepted the message: store its id, apply statuses that arrived first.
    async fn sent(
        &self,
        conversation_id: i32,
        message_id: i32,
        wamid: &str,
    ) -> Result<(), JobError> {
        tracing::info!(conversation_id, message_id, wamid, "message sent");
        let stored = async {
            let txn = self.db.begin().await?;
            messages::mark_sent(&txn, message_id, wamid).await?;
            let mut changes = vec![Change::MessageStatus {
                conversation_id,
                message_id,
                status: "sent".to_owned(),
            }];
            for waiting in pending_statuses::take(&txn, wamid).await? {
                let update = waiting.update();
                if let StatusOutcome::Applied { .. } = messages::apply_status(&txn, &update).await?
                {
                    changes.push(Change::MessageStatus {
                        conversation_id,
                        message_id,
                        status: update.status,
                    });
                }
            }
            self.bus.commit(txn, changes).await
        }
        .await;
        match stored {
            Ok(()) => Ok(()),
            // Sent but not recorded: the message stays "sending", and Meta's status webhook
            // (with our callback) records the id; the retry only waits for it.
            Err(e) => Err(JobError::Retry(format!(
                "sent, but storing its id failed: {e}"
            ))),
        }
    }

    /// Meta answered with an error: nothing was sent.
    async fn refused(
        &self,
        message: &messages_model::Model,
        e: GraphError,
    ) -> Result<(), JobError> {
        match e.class() {
            ErrorClass::Retry { after } => {
                messages::transition(&self.db, message.id, "sending", "queued").await?;
                Err(match after {
                    Some(after) => JobError::RetryAfter(e.to_string(), after),
                    None => JobError::Retry(e.to_string()),
                })
            }
            class => {
                let (code, title, details) = match &e {
                    GraphError::Api {
                        code,
                        title,
                        details,
                        ..
                    } => (i32::try_from(*code).ok(), title.clone(), details.clone()),
                    other => (None, other.to_string(), None),
                };
                let title = if class == ErrorClass::TokenInvalid {
                    format!("The WhatsApp access token is invalid or expired ({title}). Replace WHATSAPP_ACCESS_TOKEN.")
                } else {
                    title
                };
                self.fail(message, code, &title, details).await?;
                Err(JobError::Permanent(e.to_string()))
            }
        }
    }

    /// A previous attempt called Meta and got no answer. Never resend: wait for the status
    /// webhook that links the message to its id, then give up with an explanation.
    async fn interrupted(&self, message: &messages_model::Model) -> Result<(), JobError> {
        let since = message.status_at.unwrap_or(message.created_at);
        let waited = (Utc::now() - since).to_std().unwrap_or_default();
        if waited < self.uncertain_after {
            return Err(JobError::RetryAfter(
                "waiting for WhatsApp to confirm an interrupted send".into(),
                self.uncertain_after - waited,
            ));
        }
        self.fail(
            message,
            None,
            "Not confirmed: the server lost contact with WhatsApp while sending this message, and WhatsApp never confirmed it. Check the conversation before sending it again.",
            None,
        )
        .await?;
        Err(JobError::Permanent("send not confirmed".into()))
    }

    async fn fail(
        &self,
        message: &messages_model::Model,
        code: Option<i32>,
        title: &str,
        details: Option<String>,
    ) -> Result<(), JobError> {
        async {
            let txn = self.db.begin().await?;
            messages::mark_failed(&txn, message.id, code, title, details).await?;
            let change = Change::MessageStatus {
                conversation_id: message.conversation_id,
                message_id: message.id,
                status: "failed".to_owned(),
            };
            self.bus.commit(txn, vec![change]).await
        }
        .await
        .map_err(JobError::from)
    }
}

/// What we put in `biz_opaque_callback_data`, and read back from status webhooks.
pub fn callback(message_id: i32) -> String {
    format!("message:{message_id}")
}

/// The message id in a callback we set, if it is one.
pub fn callback_message(callback: &str) -> Option<i32> {
    callback.strip_prefix("message:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_round_trip() {
        assert_eq!(callback_message(&callback(42)), Some(42));
        assert_eq!(callback_message("campaign:7"), None);
        assert_eq!(callback_message("message:x"), None);
    }

    #[test]
    fn the_window_is_24_hours_from_the_last_inbound_message() {
        let at = Utc::now();
        assert_eq!(
            window_closes(Some(at)),
            Some(at + chrono::Duration::hours(24))
        );
        assert_eq!(window_closes(None), None);
    }

    #[test]
    fn only_templates_go_outside_the_window() {
        let now = Utc::now();
        let text = Content::Text {
            body: "hi".into(),
            preview_url: false,
        };
        let template = Content::Template {
            name: "t".into(),
            language: "en".into(),
            components: serde_json::json!([]),
        };
        let hours = |h| Some(now - chrono::Duration::hours(h));
        assert!(window_refusal(&text, hours(23), now).is_none());
        assert!(matches!(
            window_refusal(&text, hours(25), now),
            Some(SendError::WindowClosed { .. })
        ));
        assert!(matches!(
            window_refusal(&text, None, now),
            Some(SendError::NeverWrote)
        ));
        assert!(window_refusal(&template, hours(25), now).is_none());
        assert!(window_refusal(&template, None, now).is_none());
    }

    // The clock is paused (tokio's test clock): the slots are exact, not timed.
    #[tokio::test(start_paused = true)]
    async fn the_limiter_spaces_sends() {
        let limiter = RateLimiter::per_second(100);
        let mut slots = Vec::new();
        for _ in 0..5 {
            slots.push(limiter.acquire().await);
        }
        for pair in slots.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_millis(10));
        }
        // A new rate applies from the next slot on.
        limiter.set_rate(5).await;
        let before = limiter.acquire().await;
        let after = limiter.acquire().await;
        assert_eq!(after - before, Duration::from_millis(200));
        // An idle limiter does not bank slots: after a pause the next send goes at once.
        tokio::time::advance(Duration::from_secs(5)).await;
        let now = Instant::now();
        assert_eq!(limiter.acquire().await, now);
    }
}
