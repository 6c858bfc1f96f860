use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    AiBehaviour, AiSettings, ModelPrice, PromptTemplateView, ProviderCheck, ProviderInput,
    SimulatorState, TemplateInput, TryInput, TryResult, UsageRow,
};

#[server(prefix = "/api", endpoint = "prompts/list", input = Json, output = Json)]
pub async fn prompt_templates() -> Result<Vec<PromptTemplateView>, AppError> {
    super::caller()?.owner()?;
    super::state()?.prompts.templates().await
}

/// Creates a template (`id` absent) or rewrites one of the owner's.
#[server(prefix = "/api", endpoint = "prompts/save", input = Json, output = Json)]
pub async fn save_prompt_template(
    #[server(default)] id: Option<i32>,
    template: TemplateInput,
) -> Result<PromptTemplateView, AppError> {
    super::caller()?.owner()?;
    let prompts = super::state()?.prompts;
    match id {
        Some(id) => prompts.update(id, template).await,
        None => prompts.create(template).await,
    }
}

#[server(prefix = "/api", endpoint = "prompts/duplicate", input = Json, output = Json)]
pub async fn duplicate_prompt_template(id: i32) -> Result<PromptTemplateView, AppError> {
    super::caller()?.owner()?;
    super::state()?.prompts.duplicate(id).await
}

#[server(prefix = "/api", endpoint = "prompts/delete", input = Json, output = Json)]
pub async fn delete_prompt_template(id: i32) -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?.prompts.delete(id).await
}

#[server(prefix = "/api", endpoint = "prompts/activate", input = Json, output = Json)]
pub async fn activate_prompt_template(id: i32) -> Result<(), AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.prompts.activate(id).await;
    super::audited(
        &caller,
        "settings_changed",
        format!("Active prompt template: #{id}"),
        result,
    )
    .await
}

#[server(prefix = "/api", endpoint = "prompts/preview", input = Json, output = Json)]
pub async fn preview_prompt(body: String) -> Result<String, AppError> {
    super::caller()?.owner()?;
    super::state()?.prompts.preview(body).await
}

#[server(prefix = "/api", endpoint = "prompts/try", input = Json, output = Json)]
pub async fn try_prompt(input: TryInput) -> Result<TryResult, AppError> {
    super::caller()?.owner()?;
    super::state()?.prompts.try_it(input).await
}

#[server(prefix = "/api", endpoint = "ai/settings", input = Json, output = Json)]
pub async fn load_ai_settings() -> Result<AiSettings, AppError> {
    super::caller()?.owner()?;
    super::state()?.assistant.settings().await
}

#[server(prefix = "/api", endpoint = "ai/chain", input = Json, output = Json)]
pub async fn save_ai_chain(chain: Vec<ProviderInput>) -> Result<AiSettings, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.assistant.save_chain(chain).await;
    super::audited(
        &caller,
        "settings_changed",
        "AI providers and fallback order",
        result,
    )
    .await
}

#[server(prefix = "/api", endpoint = "ai/behaviour", input = Json, output = Json)]
pub async fn save_ai_behaviour(behaviour: AiBehaviour) -> Result<AiSettings, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.assistant.save_behaviour(behaviour).await;
    super::audited(&caller, "settings_changed", "AI behaviour", result).await
}

#[server(prefix = "/api", endpoint = "ai/prices", input = Json, output = Json)]
pub async fn save_ai_prices(prices: Vec<ModelPrice>) -> Result<AiSettings, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.assistant.save_prices(prices).await;
    super::audited(&caller, "settings_changed", "Model prices", result).await
}

#[server(prefix = "/api", endpoint = "ai/models", input = Json, output = Json)]
pub async fn ai_models(provider: ProviderInput) -> Result<Vec<String>, AppError> {
    super::caller()?.owner()?;
    super::state()?.assistant.models(provider).await
}

/// Asks the provider for a one-word answer with the key given (or the stored one).
#[server(prefix = "/api", endpoint = "ai/test", input = Json, output = Json)]
pub async fn test_ai_provider(provider: ProviderInput) -> Result<ProviderCheck, AppError> {
    super::caller()?.owner()?;
    super::state()?.assistant.test_provider(provider).await
}

#[server(prefix = "/api", endpoint = "ai/usage", input = Json, output = Json)]
pub async fn ai_usage(days: u32) -> Result<Vec<UsageRow>, AppError> {
    super::caller()?.owner()?;
    super::state()?.assistant.usage(days).await
}

#[server(prefix = "/api", endpoint = "simulator/state", input = Json, output = Json)]
pub async fn load_simulator() -> Result<SimulatorState, AppError> {
    super::caller()?.owner()?;
    super::state()?.simulator.state().await
}

#[server(prefix = "/api", endpoint = "simulator/send", input = Json, output = Json)]
pub async fn simulator_send(text: String) -> Result<SimulatorState, AppError> {
    super::caller()?.owner()?;
    super::state()?.simulator.send(text).await
}

#[server(prefix = "/api", endpoint = "simulator/clear", input = Json, output = Json)]
pub async fn simulator_clear() -> Result<(), AppError> {
    super::caller()?.owner()?;
    super::state()?.simulator.clear().await
}
