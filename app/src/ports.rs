//! The traits the backend implements (server/src/services). Server functions and SSR reach the
//! outside world only through these, so `app` never names a database, an index or an HTTP client.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::AppError;
use crate::model::{
    AiBehaviour, AiSettings, ModelPrice, PromptTemplateView, ProviderInput, SimulatorState,
    TemplateInput, TryInput, TryResult, UsageRow,
};
use crate::model::{AnalyticsQuery, AnalyticsReport, AuditEntry};
use crate::model::{
    AuthState, ConversationQuery, ConversationSummary, DocumentDetail, DocumentMeta, DocumentView,
    EntryInput, Health, KnowledgeQuery, Library, MessageView, Overview, OwnerId, OwnerView, Page,
    SearchHit, SetupInput, Thread, TwoFactorSetup,
};
use crate::model::{
    BulkAction, CitedPassage, CustomerInput, CustomerProfile, TemplateMessage, WaTemplate,
};
use crate::model::{
    BusinessProfile, ConnectionCheck, GeneralSettings, ProviderCheck, SettingsView, WhatsAppInput,
    WhatsAppSaved,
};

/// The owner's account.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Who is signed in (if anyone) and whether setup is still open.
    async fn auth_state(&self, owner: Option<OwnerId>) -> Result<AuthState, AppError>;
    /// Creates the owner; refused once one exists.
    async fn setup(&self, input: SetupInput) -> Result<OwnerView, AppError>;
    /// Checks credentials (and the second step's code when two-step sign-in is on), with
    /// throttling per email and address and per address.
    async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        ip: &str,
    ) -> Result<OwnerView, AppError>;
    /// A new authenticator key for the owner to add to an app (not stored yet).
    async fn two_factor_setup(&self, owner: OwnerId) -> Result<TwoFactorSetup, AppError>;
    /// Stores `secret` once `code` proves the app has it and `password` is right; returns the
    /// recovery codes.
    async fn enable_two_factor(
        &self,
        owner: OwnerId,
        secret: &str,
        code: &str,
        password: &str,
    ) -> Result<Vec<String>, AppError>;
    async fn disable_two_factor(&self, owner: OwnerId, password: &str) -> Result<(), AppError>;
    /// Changes the password after checking the current one, and ends every session of this owner
    /// except `keep_session`.
    async fn change_password(
        &self,
        owner: OwnerId,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AppError>;
}

/// Conversations with customers, and replying to them.
#[async_trait]
pub trait Inbox: Send + Sync {
    async fn conversations(
        &self,
        query: ConversationQuery,
    ) -> Result<Page<ConversationSummary>, AppError>;
    /// Up to `limit` messages before message `before` (the newest when `None`), oldest first.
    async fn thread(
        &self,
        conversation_id: i32,
        before: Option<i32>,
        limit: Option<u32>,
    ) -> Result<Thread, AppError>;
    /// Queues a text from the owner; refused outside the 24-hour window.
    async fn send_text(
        &self,
        conversation_id: i32,
        body: String,
        reply_to: Option<i32>,
    ) -> Result<MessageView, AppError>;
    /// One conversation as the list shows it (the dashboard refreshes a row when it changes).
    async fn summary(&self, conversation_id: i32) -> Result<ConversationSummary, AppError>;
    async fn mark_read(&self, conversation_id: i32) -> Result<(), AppError>;
    /// Switches the AI on (which also clears a hand-off and a pause) or off for a conversation.
    async fn set_ai(&self, conversation_id: i32, enabled: bool) -> Result<(), AppError>;
    async fn set_status(&self, conversation_id: i32, status: String) -> Result<(), AppError>;
    async fn set_priority(&self, conversation_id: i32, priority: bool) -> Result<(), AppError>;
    /// Applies `action` to every selected conversation in one transaction; how many changed.
    async fn bulk(&self, conversation_ids: Vec<i32>, action: BulkAction) -> Result<u32, AppError>;
    /// The customer of a conversation, for the panel beside it.
    async fn customer(&self, conversation_id: i32) -> Result<CustomerProfile, AppError>;
    async fn update_customer(
        &self,
        conversation_id: i32,
        input: CustomerInput,
    ) -> Result<CustomerProfile, AppError>;
    /// Deletes the customer of a conversation and everything of theirs: conversations,
    /// messages, their files, AI usage rows.
    async fn erase_customer(&self, conversation_id: i32) -> Result<(), AppError>;
    /// Sends a failed message again (the same message: its error is cleared).
    async fn retry(&self, message_id: i32) -> Result<MessageView, AppError>;
    /// Queues one of the registered templates: allowed outside the 24-hour window.
    async fn send_template(
        &self,
        conversation_id: i32,
        message: TemplateMessage,
    ) -> Result<MessageView, AppError>;
    async fn wa_templates(&self) -> Result<Vec<WaTemplate>, AppError>;
    async fn save_wa_templates(&self, list: Vec<WaTemplate>) -> Result<Vec<WaTemplate>, AppError>;
}

/// The knowledge base. Files are uploaded over plain HTTP (see the server's
/// `knowledge::upload`); everything else is here.
#[async_trait]
pub trait Knowledge: Send + Sync {
    async fn library(&self) -> Result<Library, AppError>;
    async fn document(&self, id: i32) -> Result<DocumentDetail, AppError>;
    async fn update_meta(&self, id: i32, meta: DocumentMeta) -> Result<DocumentView, AppError>;
    /// Removes the document, its passages, its file and its place in the index.
    async fn delete(&self, id: i32) -> Result<(), AppError>;
    async fn create_entry(&self, entry: EntryInput) -> Result<DocumentView, AppError>;
    async fn update_entry(&self, id: i32, entry: EntryInput) -> Result<DocumentView, AppError>;
    /// Ranked passages (what the AI engine reads, too).
    async fn search(&self, query: KnowledgeQuery) -> Result<Vec<SearchHit>, AppError>;
    /// The passages an AI answer was given, with their documents (those since deleted or
    /// re-cut are missing).
    async fn passages(&self, ids: Vec<i32>) -> Result<Vec<CitedPassage>, AppError>;
}

/// Prompt templates, and trying them.
#[async_trait]
pub trait Prompts: Send + Sync {
    async fn templates(&self) -> Result<Vec<PromptTemplateView>, AppError>;
    async fn create(&self, input: TemplateInput) -> Result<PromptTemplateView, AppError>;
    /// Owner templates only: built-ins are duplicated, not edited.
    async fn update(&self, id: i32, input: TemplateInput) -> Result<PromptTemplateView, AppError>;
    async fn duplicate(&self, id: i32) -> Result<PromptTemplateView, AppError>;
    /// Owner templates that are not active.
    async fn delete(&self, id: i32) -> Result<(), AppError>;
    async fn activate(&self, id: i32) -> Result<(), AppError>;
    /// `body` rendered with sample data.
    async fn preview(&self, body: String) -> Result<String, AppError>;
    /// A question answered by the real pipeline (nothing is sent to anyone).
    async fn try_it(&self, input: TryInput) -> Result<TryResult, AppError>;
}

/// Providers, behaviour, prices and usage of the AI.
#[async_trait]
pub trait Assistant: Send + Sync {
    async fn settings(&self) -> Result<AiSettings, AppError>;
    /// Replaces the fallback chain (empty: use the environment's providers).
    async fn save_chain(&self, chain: Vec<ProviderInput>) -> Result<AiSettings, AppError>;
    async fn save_behaviour(&self, behaviour: AiBehaviour) -> Result<AiSettings, AppError>;
    async fn save_prices(&self, prices: Vec<ModelPrice>) -> Result<AiSettings, AppError>;
    /// The provider's models, for the picker.
    async fn models(&self, provider: ProviderInput) -> Result<Vec<String>, AppError>;
    /// Asks the provider for a one-word answer: whether it answers, how fast, or why not.
    async fn test_provider(&self, provider: ProviderInput) -> Result<ProviderCheck, AppError>;
    /// Tokens and cost per day and model over the last `days` days.
    async fn usage(&self, days: u32) -> Result<Vec<UsageRow>, AppError>;
}

/// Figures about the assistant's work.
#[async_trait]
pub trait Analytics: Send + Sync {
    /// Messages, response times, spend and knowledge gaps of a range of days.
    async fn report(&self, query: AnalyticsQuery) -> Result<AnalyticsReport, AppError>;
}

/// The business profile, the WhatsApp number and general limits.
#[async_trait]
pub trait Settings: Send + Sync {
    async fn settings(&self) -> Result<SettingsView, AppError>;
    async fn save_business(&self, profile: BusinessProfile) -> Result<SettingsView, AppError>;
    /// Saves each value given on its own; those refused (set in the environment, which wins,
    /// or not valid) are listed with why.
    async fn save_whatsapp(&self, input: WhatsAppInput) -> Result<WhatsAppSaved, AppError>;
    async fn save_general(&self, general: GeneralSettings) -> Result<SettingsView, AppError>;
    /// Asks the Graph API about the configured number with the configured token.
    async fn check_whatsapp(&self) -> Result<ConnectionCheck, AppError>;
}

/// The audit log of the owner's actions.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Records an action. Never fails the action it records: a problem is logged.
    async fn record(&self, owner: Option<OwnerId>, ip: &str, action: &'static str, detail: String);
    /// Entries older than entry `before` (the newest when `None`), newest first.
    async fn entries(&self, before: Option<i32>) -> Result<Page<AuditEntry>, AppError>;
}

/// The simulator: chat as a test customer through the real pipeline.
#[async_trait]
pub trait Simulator: Send + Sync {
    async fn state(&self) -> Result<SimulatorState, AppError>;
    async fn send(&self, text: String) -> Result<SimulatorState, AppError>;
    async fn clear(&self) -> Result<(), AppError>;
}

/// The state of this deployment.
#[async_trait]
pub trait System: Send + Sync {
    async fn health(&self) -> Health;
    async fn overview(&self) -> Result<Overview, AppError>;
}

/// The caller's browser session, as the server's session layer exposes it.
#[async_trait]
pub trait SessionControl: Send + Sync {
    /// Binds the session to the owner under a fresh id (no session fixation).
    async fn sign_in(&self, owner: OwnerId) -> Result<(), AppError>;
    /// Ends this session.
    async fn sign_out(&self) -> Result<(), AppError>;
    /// The current session's id, if it has been stored.
    fn id(&self) -> Option<String>;
}

/// Who is calling: put into every request by the server's auth middleware.
#[derive(Clone)]
pub struct Caller {
    pub owner: Option<OwnerId>,
    pub ip: String,
    pub session: Arc<dyn SessionControl>,
}

impl Caller {
    pub fn owner(&self) -> Result<OwnerId, AppError> {
        self.owner.ok_or_else(AppError::unauthorized)
    }
}
