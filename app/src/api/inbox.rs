use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{ConversationQuery, ConversationSummary, MessageView, Page, Thread};

#[server(prefix = "/api", endpoint = "inbox/conversations", input = Json, output = Json)]
pub async fn list_conversations(
    query: ConversationQuery,
) -> Result<Page<ConversationSummary>, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.conversations(query).await
}

#[server(prefix = "/api", endpoint = "inbox/thread", input = Json, output = Json)]
pub async fn read_thread(
    conversation_id: i32,
    #[server(default)] before: Option<i32>,
    #[server(default)] limit: Option<u32>,
) -> Result<Thread, AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .thread(conversation_id, before, limit)
        .await
}

#[server(prefix = "/api", endpoint = "inbox/send", input = Json, output = Json)]
pub async fn send_reply(
    conversation_id: i32,
    body: String,
    #[server(default)] reply_to: Option<i32>,
) -> Result<MessageView, AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .send_text(conversation_id, body, reply_to)
        .await
}

#[server(prefix = "/api", endpoint = "inbox/mark-read", input = Json, output = Json)]
pub async fn mark_read(conversation_id: i32) -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.mark_read(conversation_id).await
}

#[server(prefix = "/api", endpoint = "inbox/set-status", input = Json, output = Json)]
pub async fn set_conversation_status(conversation_id: i32, status: String) -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .set_status(conversation_id, status)
        .await
}

#[server(prefix = "/api", endpoint = "inbox/set-ai", input = Json, output = Json)]
pub async fn set_conversation_ai(conversation_id: i32, enabled: bool) -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.set_ai(conversation_id, enabled).await
}
