use std::collections::HashMap;

use app::error::AppError;
use std::path::{Path, PathBuf};

use app::model::{
    AiDetails, AnswerMode, BulkAction, Change, ConversationQuery, ConversationSummary,
    ConversationUsage, CustomerInput, CustomerProfile, MessageView, Page, TemplateMessage, Thread,
    WaTemplate, CONVERSATION_STATUSES,
};
use app::ports::Inbox;
use app::validate;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::time;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use crate::db::entities::{conversation, customer, message};
use crate::db::{conversations, customers, llm_usage, messages, settings};
use crate::error::{edge, internal, Failure};
use crate::realtime::Bus;
use crate::whatsapp::client::Content;
use crate::whatsapp::outbound::{window_closes, Outbound, SendError};

const DEFAULT_PAGE: u32 = 30;
const MAX_PAGE: u32 = 100;
const MAX_SEARCH_CHARS: usize = 200;

pub struct InboxService {
    db: DatabaseConnection,
    bus: Bus,
    outbound: Outbound,
    /// Where received files are stored (erasing a customer removes theirs).
    data_dir: PathBuf,
}

/// Why the outbound queue refused a message, for the owner.
fn refusal(e: SendError) -> AppError {
    match e {
        SendError::NoConversation => AppError::not_found("There is no such conversation."),
        SendError::Empty | SendError::TooLong => AppError::invalid("body", e.to_string()),
        SendError::WindowClosed { .. }
        | SendError::NeverWrote
        | SendError::OptedOut
        | SendError::Unreadable => AppError::conflict(e.to_string()),
        e => internal("queueing a reply failed", e),
    }
}

/// The `components` of a template send: its body parameters, in order.
fn template_components(params: &[String]) -> serde_json::Value {
    if params.is_empty() {
        return serde_json::json!([]);
    }
    let parameters: Vec<serde_json::Value> = params
        .iter()
        .map(|text| serde_json::json!({"type": "text", "text": text}))
        .collect();
    serde_json::json!([{"type": "body", "parameters": parameters}])
}

/// Adds `tag` to the customer of a conversation; whether it changed (the conversation exists,
/// and the customer has it now). A customer already at the tag limit is left as they are.
async fn add_tag(
    txn: &sea_orm::DatabaseTransaction,
    conversation_id: i32,
    tag: &str,
) -> Result<bool, DbErr> {
    let Some((_, customer)) = conversations::with_customer(txn, conversation_id).await? else {
        return Ok(false);
    };
    let mut tags = crate::db::parse_tags(&customer.tags);
    if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
        if tags.len() >= validate::MAX_TAGS {
            return Ok(false);
        }
        tags.push(tag.to_owned());
        let name = customer.display_name.clone();
        customers::set_details(txn, customer.id, name, &customer.notes, &tags).await?;
    }
    Ok(true)
}

/// Deletes stored files after their rows are gone. A file that cannot be removed is logged:
/// nothing refers to it any more, so the next start's clean-up would not find it either.
pub(crate) async fn remove_files(data_dir: &Path, relative: &[String]) {
    for path in relative {
        if !path.starts_with("media/") || path.contains("..") {
            continue;
        }
        match tokio::fs::remove_file(data_dir.join(path)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path, error = %e, "a deleted message's file was not removed"),
        }
    }
}

/// A whole conversation, for an export.
#[derive(serde::Serialize)]
pub struct Export {
    pub conversation: ConversationSummary,
    pub customer: CustomerProfile,
    pub messages: Vec<MessageView>,
}

fn page_size(limit: Option<u32>) -> Result<u64, AppError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(u64::from(n)),
        _ => Err(AppError::invalid(
            "limit",
            format!("Ask for 1 to {MAX_PAGE} items."),
        )),
    }
}

/// Conversation cursors are `<last activity in ms>.<id>`: stable while new activity arrives.
fn encode_cursor(row: &conversation::Model) -> Option<String> {
    row.last_message_at
        .map(|at| format!("{}.{}", at.timestamp_millis(), row.id))
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, i32), AppError> {
    let invalid = || {
        AppError::invalid(
            "cursor",
            "This page cursor is not valid; start from the first page.",
        )
    };
    let (millis, id) = cursor.split_once('.').ok_or_else(invalid)?;
    let at = millis
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}

pub(crate) fn summary(
    row: &conversation::Model,
    customer: Option<&customer::Model>,
) -> ConversationSummary {
    let name = customer
        .and_then(|c| c.display_name.clone().or_else(|| c.profile_name.clone()))
        .or_else(|| customer.and_then(|c| c.phone.clone()))
        .or_else(|| customer.map(|c| c.wa_id.clone()))
        .unwrap_or_default();
    ConversationSummary {
        id: row.id,
        customer_id: row.customer_id,
        name,
        phone: customer.and_then(|c| c.phone.clone()),
        wa_id: customer.map(|c| c.wa_id.clone()).unwrap_or_default(),
        status: row.status.clone(),
        ai_enabled: row.ai_enabled,
        handoff: row.handoff.clone(),
        priority: row.priority,
        unread_count: row.unread_count,
        last_message_at: row.last_message_at.map(time),
        last_message_preview: row.last_message_preview.clone(),
        window_closes_at: window_closes(row.last_inbound_at).map(time),
        handoff_reason: row.handoff_reason.clone(),
        ai_paused_until: row.ai_paused_until.map(time),
        opted_out: customer.is_some_and(|c| c.opted_out_at.is_some()),
        simulated: row.simulated,
        tags: customer
            .map(|c| crate::db::parse_tags(&c.tags))
            .unwrap_or_default(),
    }
}

pub(crate) fn view(row: &message::Model) -> MessageView {
    let media_ready = row.media_status.as_deref() == Some("ready");
    MessageView {
        id: row.id,
        direction: row.direction.clone(),
        sender: row.sender.clone(),
        kind: row.kind.clone(),
        body: row.body.clone(),
        status: row.status.clone(),
        error: match (&row.error_title, &row.error_detail) {
            (Some(title), Some(detail)) => Some(format!("{title}: {detail}")),
            (title, detail) => title.clone().or_else(|| detail.clone()),
        },
        error_code: row.error_code,
        reply_to_id: row.reply_to_id,
        media_url: media_ready.then(|| format!("/api/media/{}", row.id)),
        media_mime: row.media_mime.clone(),
        media_status: row.media_status.clone(),
        sent_at: time(row.sent_at),
        ai: row.provider.as_ref().map(|provider| AiDetails {
            provider: provider.clone(),
            model: row.model.clone(),
            tokens_in: row.tokens_in.unwrap_or(0),
            tokens_out: row.tokens_out.unwrap_or(0),
            cost_micros: row.cost_micros.unwrap_or(0),
            latency_ms: row.latency_ms.unwrap_or(0),
            passages: serde_json::from_str(&row.cited_chunk_ids).unwrap_or_default(),
            mode: row.answer_mode.as_deref().and_then(AnswerMode::parse),
            knowledge_gap: row.knowledge_gap,
        }),
    }
}

impl InboxService {
    pub fn new(db: DatabaseConnection, bus: Bus, outbound: Outbound, data_dir: PathBuf) -> Self {
        Self {
            db,
            bus,
            outbound,
            data_dir,
        }
    }

    async fn message_view(&self, id: i32) -> Result<MessageView, Failure> {
        let row = messages::by_id(&self.db, id)
            .await?
            .ok_or_else(AppError::internal)?;
        Ok(view(&row))
    }

    /// The owner wrote to the customer: the AI pauses (for the configured hours, or until
    /// switched on again).
    async fn took_over(&self, conversation_id: i32) -> Result<(), Failure> {
        let pause_hours = crate::ai::saved::behaviour(&self.db).await?.pause_hours;
        let until =
            (pause_hours > 0).then(|| Utc::now() + chrono::Duration::hours(pause_hours.into()));
        self.change(conversation_id, move |txn| {
            Box::pin(async move {
                conversations::pause_ai(txn, conversation_id, until).await?;
                Ok(true)
            })
        })
        .await
    }

    /// A conversation's row and its customer, or "no such conversation".
    async fn conversation(
        &self,
        id: i32,
    ) -> Result<(conversation::Model, customer::Model), Failure> {
        let found = conversations::with_customer(&self.db, id).await?;
        Ok(found.ok_or_else(|| AppError::not_found("There is no such conversation."))?)
    }

    /// Everything a conversation holds, for an export.
    #[tracing::instrument(name = "inbox.export", skip_all, fields(conversation_id = conversation_id))]
    pub async fn export(&self, conversation_id: i32) -> Result<Export, Failure> {
        let conversation = self.summary_of(conversation_id).await?;
        let customer = self.customer(conversation_id).await?;
        let messages = messages::all_of(&self.db, conversation_id)
            .await?
            .iter()
            .map(view)
            .collect();
        Ok(Export {
            conversation,
            customer,
            messages,
        })
    }

    async fn summary_of(&self, id: i32) -> Result<ConversationSummary, Failure> {
        let (row, customer) = self.conversation(id).await?;
        Ok(summary(&row, Some(&customer)))
    }

    /// Runs `update` on a conversation and tells open dashboards.
    async fn change<F>(&self, id: i32, update: F) -> Result<(), Failure>
    where
        F: for<'t> FnOnce(
            &'t sea_orm::DatabaseTransaction,
        ) -> futures::future::BoxFuture<'t, Result<bool, DbErr>>,
    {
        let txn = self.db.begin().await?;
        if !update(&txn).await? {
            return Err(AppError::not_found("There is no such conversation.").into());
        }
        self.bus
            .commit(
                txn,
                vec![Change::ConversationUpdated {
                    conversation_id: id,
                }],
            )
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Inbox for InboxService {
    #[tracing::instrument(name = "inbox.conversations", skip_all)]
    async fn conversations(
        &self,
        query: ConversationQuery,
    ) -> Result<Page<ConversationSummary>, AppError> {
        edge(async move {
            if let Some(status) = &query.status {
                if !CONVERSATION_STATUSES.contains(&status.as_str()) {
                    return Err(AppError::invalid(
                        "status",
                        "The status is open, closed or archived.",
                    )
                    .into());
                }
            }
            let search = query
                .search
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase);
            if search
                .as_ref()
                .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
            {
                return Err(AppError::invalid(
                    "search",
                    format!("Search for at most {MAX_SEARCH_CHARS} characters."),
                )
                .into());
            }
            let limit = page_size(query.limit)?;
            let filter = conversations::ListFilter {
                status: query.status,
                ai: query.ai,
                needs_human: query.needs_human,
                search,
                after: query.cursor.as_deref().map(decode_cursor).transpose()?,
                // One more than asked: tells whether there is a next page.
                limit: limit + 1,
            };
            let mut rows = conversations::list(&self.db, &filter).await?;
            let more = rows.len() as u64 > limit;
            rows.truncate(limit as usize);
            let people: HashMap<i32, customer::Model> =
                customers::by_ids(&self.db, rows.iter().map(|r| r.customer_id).collect())
                    .await?
                    .into_iter()
                    .map(|c| (c.id, c))
                    .collect();
            Ok(Page {
                next_cursor: if more {
                    rows.last().and_then(encode_cursor)
                } else {
                    None
                },
                items: rows
                    .iter()
                    .map(|row| summary(row, people.get(&row.customer_id)))
                    .collect(),
            })
        })
        .await
    }

    #[tracing::instrument(name = "inbox.thread", skip_all, fields(conversation_id = conversation_id))]
    async fn thread(
        &self,
        conversation_id: i32,
        before: Option<i32>,
        limit: Option<u32>,
    ) -> Result<Thread, AppError> {
        edge(async move {
            let conversation = self.summary_of(conversation_id).await?;
            let limit = page_size(limit)?;
            let mut rows = messages::page(&self.db, conversation_id, before, limit + 1).await?;
            let more = rows.len() as u64 > limit;
            rows.truncate(limit as usize);
            rows.reverse();
            let ai_usage = llm_usage::of_conversation(&self.db, conversation_id)
                .await?
                .iter()
                .fold(ConversationUsage::default(), |mut total, u| {
                    total.calls += 1;
                    total.tokens_in += i64::from(u.tokens_in);
                    total.tokens_out += i64::from(u.tokens_out);
                    total.cost_micros += u.cost_micros;
                    total
                });
            Ok(Thread {
                ai_usage,
                conversation,
                older_cursor: if more {
                    rows.first().map(|m| m.id)
                } else {
                    None
                },
                messages: rows.iter().map(view).collect(),
            })
        })
        .await
    }

    #[tracing::instrument(name = "inbox.send_text", skip_all, fields(conversation_id = conversation_id))]
    async fn send_text(
        &self,
        conversation_id: i32,
        body: String,
        reply_to: Option<i32>,
    ) -> Result<MessageView, AppError> {
        edge(async move {
            let reply_to = match reply_to {
                Some(id) => messages::by_id(&self.db, id)
                    .await?
                    .filter(|m| m.conversation_id == conversation_id)
                    .and_then(|m| m.wamid),
                None => None,
            };
            let content = Content::Text {
                body,
                preview_url: true,
            };
            let id = self
                .outbound
                .queue(conversation_id, "agent", content, reply_to)
                .await
                .map_err(refusal)?;
            self.took_over(conversation_id).await?;
            self.message_view(id).await
        })
        .await
    }

    #[tracing::instrument(name = "inbox.send_template", skip_all, fields(conversation_id = conversation_id))]
    async fn send_template(
        &self,
        conversation_id: i32,
        message: TemplateMessage,
    ) -> Result<MessageView, AppError> {
        let registered = self.wa_templates().await?;
        let (template, params) = validate::template_message(&message, &registered)?;
        let content = Content::Template {
            name: template.name.clone(),
            language: template.language.clone(),
            components: template_components(&params),
        };
        let id = self
            .outbound
            .queue(conversation_id, "agent", content, None)
            .await
            .map_err(refusal)?;
        self.took_over(conversation_id).await?;
        Ok(self.message_view(id).await?)
    }

    #[tracing::instrument(name = "inbox.retry", skip_all)]
    async fn retry(&self, message_id: i32) -> Result<MessageView, AppError> {
        edge(async move {
            let message = messages::by_id(&self.db, message_id)
                .await?
                .ok_or_else(|| AppError::not_found("There is no such message."))?;
            if message.direction != "outbound" || message.status != "failed" {
                return Err(AppError::conflict(
                    "Only a message that failed to send can be sent again.",
                )
                .into());
            }
            self.outbound.resend(&message).await.map_err(refusal)?;
            self.message_view(message_id).await
        })
        .await
    }

    #[tracing::instrument(name = "inbox.summary", skip_all, fields(conversation_id = conversation_id))]
    async fn summary(&self, conversation_id: i32) -> Result<ConversationSummary, AppError> {
        Ok(self.summary_of(conversation_id).await?)
    }

    #[tracing::instrument(name = "inbox.set_priority", skip_all, fields(conversation_id = conversation_id))]
    async fn set_priority(&self, conversation_id: i32, priority: bool) -> Result<(), AppError> {
        Ok(self
            .change(conversation_id, move |txn| {
                Box::pin(conversations::set_priority(txn, conversation_id, priority))
            })
            .await?)
    }

    #[tracing::instrument(name = "inbox.bulk", skip_all)]
    async fn bulk(&self, conversation_ids: Vec<i32>, action: BulkAction) -> Result<u32, AppError> {
        edge(async move {
            let ids = validate::selection(&conversation_ids)?;
            let tag = match &action {
                BulkAction::Tag { tag } => validate::tags(std::slice::from_ref(tag))?
                    .pop()
                    .map(Some)
                    .ok_or_else(|| AppError::invalid("tag", "Enter a tag."))?,
                _ => None,
            };
            let txn = self.db.begin().await?;
            let mut changes = Vec::with_capacity(ids.len());
            for &id in &ids {
                let found = match &action {
                    BulkAction::Close => conversations::set_status(&txn, id, "closed").await,
                    BulkAction::Archive => conversations::set_status(&txn, id, "archived").await,
                    BulkAction::Reopen => conversations::set_status(&txn, id, "open").await,
                    BulkAction::AiOn => conversations::set_ai(&txn, id, true).await,
                    BulkAction::AiOff => conversations::set_ai(&txn, id, false).await,
                    BulkAction::Tag { .. } => {
                        add_tag(&txn, id, tag.as_deref().unwrap_or_default()).await
                    }
                }?;
                if found {
                    changes.push(Change::ConversationUpdated {
                        conversation_id: id,
                    });
                }
            }
            let changed = changes.len() as u32;
            self.bus.commit(txn, changes).await?;
            Ok(changed)
        })
        .await
    }

    #[tracing::instrument(name = "inbox.customer", skip_all, fields(conversation_id = conversation_id))]
    async fn customer(&self, conversation_id: i32) -> Result<CustomerProfile, AppError> {
        edge(async move {
            let (row, customer) = self.conversation(conversation_id).await?;
            let all = conversations::of_customer(&self.db, customer.id).await?;
            let (received, sent) = messages::counts(&self.db, &all).await?;
            let shown = summary(&row, Some(&customer));
            Ok(CustomerProfile {
                id: customer.id,
                conversation_id,
                name: shown.name,
                display_name: customer.display_name.unwrap_or_default(),
                profile_name: customer.profile_name,
                phone: customer.phone,
                wa_id: customer.wa_id,
                first_seen_at: time(customer.first_seen_at),
                last_seen_at: time(customer.last_seen_at),
                messages_received: received,
                messages_sent: sent,
                notes: customer.notes,
                tags: shown.tags,
                opted_out: shown.opted_out,
            })
        })
        .await
    }

    #[tracing::instrument(name = "inbox.update_customer", skip_all, fields(conversation_id = conversation_id))]
    async fn update_customer(
        &self,
        conversation_id: i32,
        input: CustomerInput,
    ) -> Result<CustomerProfile, AppError> {
        edge(async move {
            let input = validate::customer(&input)?;
            let (_, customer) = self.conversation(conversation_id).await?;
            let display_name = Some(input.display_name).filter(|n| !n.is_empty());
            let txn = self.db.begin().await?;
            customers::set_details(&txn, customer.id, display_name, &input.notes, &input.tags)
                .await?;
            let changes = conversations::of_customer(&txn, customer.id)
                .await?
                .into_iter()
                .map(|conversation_id| Change::ConversationUpdated { conversation_id })
                .collect();
            self.bus.commit(txn, changes).await?;
            Ok(self.customer(conversation_id).await?)
        })
        .await
    }

    #[tracing::instrument(name = "inbox.erase_customer", skip_all, fields(conversation_id = conversation_id))]
    async fn erase_customer(&self, conversation_id: i32) -> Result<(), AppError> {
        edge(async move {
            let (_, customer) = self.conversation(conversation_id).await?;
            let txn = self.db.begin().await?;
            let erased = customers::erase(&txn, &[customer.id]).await?;
            let changes = erased
                .conversation_ids
                .iter()
                .map(|&conversation_id| Change::ConversationDeleted { conversation_id })
                .collect();
            self.bus.commit(txn, changes).await?;
            remove_files(&self.data_dir, &erased.media_paths).await;
            tracing::info!(
                customer = customer.id,
                conversations = erased.conversation_ids.len(),
                files = erased.media_paths.len(),
                "customer erased"
            );
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "inbox.wa_templates", skip_all)]
    async fn wa_templates(&self) -> Result<Vec<WaTemplate>, AppError> {
        edge(async move {
            let stored = settings::get(&self.db, settings::keys::WA_TEMPLATES).await?;
            Ok(stored
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default())
        })
        .await
    }

    #[tracing::instrument(name = "inbox.save_wa_templates", skip_all)]
    async fn save_wa_templates(&self, list: Vec<WaTemplate>) -> Result<Vec<WaTemplate>, AppError> {
        edge(async move {
            let list = validate::wa_templates(&list)?;
            let json =
                serde_json::to_string(&list).map_err(|e| internal("encoding templates", e))?;
            settings::set(&self.db, settings::keys::WA_TEMPLATES, &json).await?;
            Ok(list)
        })
        .await
    }

    #[tracing::instrument(name = "inbox.set_ai", skip_all, fields(conversation_id = conversation_id))]
    async fn set_ai(&self, conversation_id: i32, enabled: bool) -> Result<(), AppError> {
        Ok(self
            .change(conversation_id, move |txn| {
                Box::pin(conversations::set_ai(txn, conversation_id, enabled))
            })
            .await?)
    }

    #[tracing::instrument(name = "inbox.mark_read", skip_all, fields(conversation_id = conversation_id))]
    async fn mark_read(&self, conversation_id: i32) -> Result<(), AppError> {
        Ok(self
            .change(conversation_id, |txn| {
                Box::pin(conversations::mark_read(txn, conversation_id))
            })
            .await?)
    }

    #[tracing::instrument(name = "inbox.set_status", skip_all, fields(conversation_id = conversation_id))]
    async fn set_status(&self, conversation_id: i32, status: String) -> Result<(), AppError> {
        if !CONVERSATION_STATUSES.contains(&status.as_str()) {
            return Err(AppError::invalid(
                "status",
                "The status is open, closed or archived.",
            ));
        }
        Ok(self
            .change(conversation_id, move |txn| {
                Box::pin(
                    async move { conversations::set_status(txn, conversation_id, &status).await },
                )
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let at = DateTime::from_timestamp_millis(1_764_131_400_123).expect("time");
        let row = conversation::Model {
            id: 7,
            customer_id: 1,
            status: "open".into(),
            ai_enabled: true,
            handoff: "none".into(),
            handoff_reason: None,
            ai_paused_until: None,
            priority: false,
            unread_count: 0,
            last_inbound_at: None,
            last_message_at: Some(at),
            last_message_preview: None,
            tags: "[]".into(),
            simulated: false,
            replied_through: 0,
            created_at: at,
            updated_at: at,
        };
        let cursor = encode_cursor(&row).expect("cursor");
        assert_eq!(decode_cursor(&cursor).expect("valid"), (at, 7));
        for junk in ["", "abc", "1.x", "x.1", "99999999999999999999.1"] {
            assert_eq!(
                decode_cursor(junk).expect_err("junk").field.as_deref(),
                Some("cursor"),
                "{junk}"
            );
        }
    }
}
