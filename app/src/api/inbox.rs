use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    BulkAction, CitedPassage, ConversationQuery, ConversationSummary, CustomerInput,
    CustomerProfile, MessageView, Page, TemplateMessage, Thread, WaTemplate,
};

#[server(prefix = "/api", endpoint = "inbox/conversations", input = Json, output = Json)]
pub async fn list_conversations(
    query: ConversationQuery,
) -> Result<Page<ConversationSummary>, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.conversations(query).await
}

#[server(prefix = "/api", endpoint = "inbox/conversation", input = Json, output = Json)]
pub async fn read_conversation(conversation_id: i32) -> Result<ConversationSummary, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.summary(conversation_id).await
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
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.inbox.set_ai(conversation_id, enabled).await;
    super::audited(
        &caller,
        "ai_switched",
        format!(
            "Conversation #{conversation_id}: AI {}",
            if enabled { "on" } else { "off" }
        ),
        result,
    )
    .await
}

#[server(prefix = "/api", endpoint = "inbox/set-priority", input = Json, output = Json)]
pub async fn set_conversation_priority(
    conversation_id: i32,
    priority: bool,
) -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .set_priority(conversation_id, priority)
        .await
}

/// One action on several conversations; answers how many changed.
#[server(prefix = "/api", endpoint = "inbox/bulk", input = Json, output = Json)]
pub async fn bulk_update(conversation_ids: Vec<i32>, action: BulkAction) -> Result<u32, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let switch = match action {
        BulkAction::AiOn => Some("on"),
        BulkAction::AiOff => Some("off"),
        _ => None,
    };
    let count = conversation_ids.len();
    let result = super::state()?.inbox.bulk(conversation_ids, action).await;
    match switch {
        Some(state) => {
            let detail = format!("{count} conversations: AI {state}");
            super::audited(&caller, "ai_switched", detail, result).await
        }
        None => result,
    }
}

#[server(prefix = "/api", endpoint = "inbox/customer", input = Json, output = Json)]
pub async fn load_customer(conversation_id: i32) -> Result<CustomerProfile, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.customer(conversation_id).await
}

#[server(prefix = "/api", endpoint = "inbox/customer/update", input = Json, output = Json)]
pub async fn update_customer(
    conversation_id: i32,
    input: CustomerInput,
) -> Result<CustomerProfile, AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .update_customer(conversation_id, input)
        .await
}

#[server(prefix = "/api", endpoint = "inbox/customer/erase", input = Json, output = Json)]
pub async fn erase_customer(conversation_id: i32) -> Result<(), AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.inbox.erase_customer(conversation_id).await;
    super::audited(
        &caller,
        "customer_erased",
        format!("The customer of conversation #{conversation_id}"),
        result,
    )
    .await
}

#[server(prefix = "/api", endpoint = "inbox/retry", input = Json, output = Json)]
pub async fn retry_message(message_id: i32) -> Result<MessageView, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.retry(message_id).await
}

#[server(prefix = "/api", endpoint = "inbox/send-template", input = Json, output = Json)]
pub async fn send_template(
    conversation_id: i32,
    message: TemplateMessage,
) -> Result<MessageView, AppError> {
    super::caller()?.owner()?;
    super::state()?
        .inbox
        .send_template(conversation_id, message)
        .await
}

#[server(prefix = "/api", endpoint = "inbox/templates", input = Json, output = Json)]
pub async fn list_wa_templates() -> Result<Vec<WaTemplate>, AppError> {
    super::caller()?.owner()?;
    super::state()?.inbox.wa_templates().await
}

#[server(prefix = "/api", endpoint = "inbox/templates/save", input = Json, output = Json)]
pub async fn save_wa_templates(templates: Vec<WaTemplate>) -> Result<Vec<WaTemplate>, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.inbox.save_wa_templates(templates).await;
    super::audited(&caller, "settings_changed", "WhatsApp templates", result).await
}

/// The knowledge passages an AI message was given.
#[server(prefix = "/api", endpoint = "inbox/passages", input = Json, output = Json)]
pub async fn cited_passages(ids: Vec<i32>) -> Result<Vec<CitedPassage>, AppError> {
    super::caller()?.owner()?;
    super::state()?.knowledge.passages(ids).await
}
