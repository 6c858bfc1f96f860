//! The AI ports: prompt templates, providers and behaviour, usage, and the simulator.

use std::collections::BTreeMap;
use std::time::Duration;

use app::error::AppError;
use app::model::{
    AiBehaviour, AiSettings, AttemptView, Change, ModelPrice, PromptTemplateView, ProviderCheck,
    ProviderInput, SimulatorState, TemplateInput, TryInput, TryResult, UsageRow,
};
use app::ports::{Assistant, Inbox, Prompts, Simulator};
use app::validate;
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::knowledge::hit_view;
use super::time;
use crate::ai::engine::{Engine, Question};
use crate::ai::prompt::{render, Variables};
use crate::ai::provider::{default_base_url, Link, Prompt};
use crate::ai::saved::{self, StoredLink};
use crate::ai::test_chat;
use crate::db::entities::prompt_template;
use crate::db::{llm_usage, prompt_templates, settings as kv};
use crate::error::{edge, internal, Failure};
use crate::jobs::Queue;
use crate::realtime::Bus;

pub struct AiService {
    db: DatabaseConnection,
    queue: Queue,
    bus: Bus,
    engine: Engine,
    inbox: std::sync::Arc<dyn Inbox>,
}

fn template_view(t: prompt_template::Model) -> PromptTemplateView {
    PromptTemplateView {
        id: t.id,
        name: t.name,
        industry: t.industry,
        body: t.body,
        builtin: t.is_builtin,
        active: t.is_active,
        knowledge_only: t.knowledge_only,
        updated_at: time(t.updated_at),
    }
}

fn no_template() -> AppError {
    AppError::not_found("There is no such template.")
}

const MAX_USAGE_DAYS: u32 = 366;
/// How long a provider's "test" may take.
const TEST_TIMEOUT_SECS: u64 = 20;

impl AiService {
    /// The link a Settings or AI page action is about: the key typed with it, else the one
    /// stored for the same provider, else the environment's.
    async fn link_for(&self, provider: ProviderInput, to: &str) -> Result<Link, Failure> {
        let mut input = provider;
        if input.model.trim().is_empty() {
            input.model = "any".to_owned();
        }
        let input = validate::provider(&input)?;
        let env = self.engine.env();
        let stored = saved::stored_chain(&self.db).await?;
        let sealed = stored
            .iter()
            .find(|s| s.kind == input.kind && s.base_url == input.base_url)
            .and_then(|s| s.sealed_key.clone());
        let link = saved::resolve(
            &StoredLink {
                kind: input.kind.clone(),
                base_url: input.base_url.clone(),
                model: input.model.clone(),
                sealed_key: sealed,
            },
            env,
            self.engine.sealer(),
        );
        Ok(match (link, input.api_key) {
            (_, Some(key)) if !key.is_empty() => Link {
                kind: input.kind.clone(),
                base_url: input
                    .base_url
                    .clone()
                    .or_else(|| default_base_url(&input.kind).map(str::to_owned))
                    .unwrap_or_default(),
                model: input.model,
                api_key: Some(key.into()),
            },
            (Some(link), _) => link,
            (None, _) => {
                return Err(AppError::invalid(
                    "api_key",
                    format!("Enter this provider's API key to {to}."),
                )
                .into())
            }
        })
    }

    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        bus: Bus,
        engine: Engine,
        inbox: std::sync::Arc<dyn Inbox>,
    ) -> Self {
        Self {
            db,
            queue,
            bus,
            engine,
            inbox,
        }
    }

    async fn business_name(&self) -> Result<String, Failure> {
        Ok(kv::get(&self.db, kv::keys::BUSINESS_NAME)
            .await?
            .unwrap_or_else(|| "Your business".to_owned()))
    }

    async fn template(&self, id: i32) -> Result<prompt_template::Model, Failure> {
        Ok(prompt_templates::by_id(&self.db, id)
            .await?
            .ok_or_else(no_template)?)
    }

    async fn view_settings(&self) -> Result<AiSettings, Failure> {
        let env = self.engine.env();
        let chain = saved::stored_chain(&self.db).await?;
        Ok(AiSettings {
            chain: chain.iter().map(|l| saved::view(l, env)).collect(),
            environment: saved::environment_chain(env)
                .iter()
                .map(|l| saved::view(l, env))
                .collect(),
            behaviour: saved::behaviour(&self.db).await?,
            prices: saved::prices(&self.db).await?,
        })
    }

    async fn simulator_state(&self) -> Result<SimulatorState, Failure> {
        let found = test_chat::conversation(&self.db).await?;
        let thread = match found {
            Some(id) => Some(self.inbox.thread(id, None, Some(100)).await?),
            None => None,
        };
        Ok(SimulatorState { thread })
    }
}

#[async_trait]
impl Prompts for AiService {
    #[tracing::instrument(name = "prompts.templates", skip_all)]
    async fn templates(&self) -> Result<Vec<PromptTemplateView>, AppError> {
        edge(async move {
            Ok(prompt_templates::all(&self.db)
                .await?
                .into_iter()
                .map(template_view)
                .collect())
        })
        .await
    }

    #[tracing::instrument(name = "prompts.create", skip_all)]
    async fn create(&self, input: TemplateInput) -> Result<PromptTemplateView, AppError> {
        edge(async move {
            let t = validate::template(&input)?;
            let row = prompt_templates::insert(
                &self.db,
                &t.name,
                t.industry.as_deref(),
                &t.body,
                t.knowledge_only,
            )
            .await?;
            Ok(template_view(row))
        })
        .await
    }

    #[tracing::instrument(name = "prompts.update", skip_all)]
    async fn update(&self, id: i32, input: TemplateInput) -> Result<PromptTemplateView, AppError> {
        edge(async move {
            let t = validate::template(&input)?;
            if self.template(id).await?.is_builtin {
                return Err(AppError::conflict(
                    "Built-in templates are updated by new releases: duplicate it to make your own version.",
                ).into());
            }
            Ok(prompt_templates::update(
                &self.db,
                id,
                &t.name,
                t.industry.as_deref(),
                &t.body,
                t.knowledge_only,
            )
            .await?
            .map(template_view)
            .ok_or_else(no_template)?)
        })
        .await
    }

    #[tracing::instrument(name = "prompts.duplicate", skip_all)]
    async fn duplicate(&self, id: i32) -> Result<PromptTemplateView, AppError> {
        edge(async move {
            let source = self.template(id).await?;
            let name: String = format!("{} (copy)", source.name)
                .chars()
                .take(validate::MAX_TEMPLATE_NAME_CHARS)
                .collect();
            let row = prompt_templates::insert(
                &self.db,
                &name,
                source.industry.as_deref(),
                &source.body,
                source.knowledge_only,
            )
            .await?;
            Ok(template_view(row))
        })
        .await
    }

    #[tracing::instrument(name = "prompts.delete", skip_all)]
    async fn delete(&self, id: i32) -> Result<(), AppError> {
        edge(async move {
            let t = self.template(id).await?;
            if t.is_builtin {
                return Err(AppError::conflict("Built-in templates cannot be deleted.").into());
            }
            if t.is_active {
                return Err(AppError::conflict(
                    "This template is in use: activate another one first.",
                )
                .into());
            }
            prompt_templates::delete(&self.db, id).await?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "prompts.activate", skip_all)]
    async fn activate(&self, id: i32) -> Result<(), AppError> {
        edge(async move {
            let txn = crate::db::write_txn(&self.db).await?;
            if !prompt_templates::activate(&txn, id).await? {
                return Err(no_template().into());
            }
            txn.commit().await?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "prompts.preview", skip_all)]
    async fn preview(&self, body: String) -> Result<String, AppError> {
        validate::template_body(&body)?;
        Ok(render(
            &body,
            &Variables::sample(&self.business_name().await?),
        ))
    }

    #[tracing::instrument(name = "prompts.try_it", skip_all)]
    async fn try_it(&self, input: TryInput) -> Result<TryResult, AppError> {
        edge(async move {
            let question = validate::question(&input.question)?;
            let (template, knowledge_only) = match input.body {
                Some(body) => {
                    validate::template_body(&body)?;
                    (body, input.knowledge_only.unwrap_or(true))
                }
                None => crate::ai::engine::active_template(&self.db).await?,
            };
            let behaviour = saved::behaviour(&self.db).await?;
            let answer = self
                .engine
                .answer(
                    &Question {
                        text: question,
                        customer_name: "Test customer".to_owned(),
                        history: String::new(),
                        template,
                        knowledge_only,
                    },
                    &behaviour,
                )
                .await
                .map_err(|e| internal("trying the template failed", e))?;
            let usage = self.engine.usage(&answer, "try", None, None).await?;
            let cost_micros = usage.iter().map(|u| u.cost_micros).sum();
            llm_usage::insert_many(&self.db, usage).await?;
            let winner = answer.completion();
            Ok(TryResult {
                mode: answer.mode.clone(),
                replies: answer.replies(),
                prompt: answer.prompt.clone(),
                provider: winner.map(|(a, _)| a.kind.clone()),
                model: winner.map(|(a, _)| a.model.clone()),
                tokens_in: winner.map_or(0, |(_, c)| i64::from(c.tokens_in)),
                tokens_out: winner.map_or(0, |(_, c)| i64::from(c.tokens_out)),
                cost_micros,
                latency_ms: i64::try_from(answer.latency.as_millis()).unwrap_or(i64::MAX),
                handoff_reason: answer.handoff_reason.clone(),
                attempts: answer
                    .attempts
                    .iter()
                    .map(|a| AttemptView {
                        provider: a.kind.clone(),
                        model: a.model.clone(),
                        latency_ms: i64::try_from(a.latency.as_millis()).unwrap_or(i64::MAX),
                        error: a.outcome.as_ref().err().map(ToString::to_string),
                    })
                    .collect(),
                passages: answer.passages.into_iter().map(hit_view).collect(),
            })
        })
        .await
    }
}

#[async_trait]
impl Assistant for AiService {
    #[tracing::instrument(name = "assistant.settings", skip_all)]
    async fn settings(&self) -> Result<AiSettings, AppError> {
        Ok(self.view_settings().await?)
    }

    #[tracing::instrument(name = "assistant.save_chain", skip_all)]
    async fn save_chain(&self, chain: Vec<ProviderInput>) -> Result<AiSettings, AppError> {
        edge(async move {
            if chain.len() > validate::MAX_CHAIN {
                return Err(AppError::invalid(
                    "chain",
                    format!("Use at most {} providers.", validate::MAX_CHAIN),
                )
                .into());
            }
            let stored = saved::stored_chain(&self.db).await?;
            let sealer = self.engine.sealer();
            let mut links = Vec::with_capacity(chain.len());
            for (n, input) in chain.iter().enumerate() {
                let input = validate::provider(input).map_err(|mut e| {
                    e.message = format!("Provider {}: {}", n + 1, e.message);
                    e
                })?;
                let sealed_key = match input.api_key.as_deref() {
                    // Absent: keep what this provider (same kind and address) had.
                    None => stored
                        .iter()
                        .find(|s| s.kind == input.kind && s.base_url == input.base_url)
                        .and_then(|s| s.sealed_key.clone()),
                    Some("") => None,
                    Some(key) => Some(sealer.seal(key)),
                };
                links.push(StoredLink {
                    kind: input.kind,
                    base_url: input.base_url,
                    model: input.model,
                    sealed_key,
                });
            }
            saved::save(&self.db, saved::CHAIN, &links).await?;
            // Another provider may embed with another model.
            self.engine.request_embeddings().await;
            self.view_settings().await
        })
        .await
    }

    #[tracing::instrument(name = "assistant.save_behaviour", skip_all)]
    async fn save_behaviour(&self, behaviour: AiBehaviour) -> Result<AiSettings, AppError> {
        edge(async move {
            let behaviour = validate::behaviour(&behaviour)?;
            saved::save(&self.db, saved::BEHAVIOUR, &behaviour).await?;
            self.engine.request_embeddings().await;
            self.view_settings().await
        })
        .await
    }

    #[tracing::instrument(name = "assistant.save_prices", skip_all)]
    async fn save_prices(&self, prices: Vec<ModelPrice>) -> Result<AiSettings, AppError> {
        edge(async move {
            let prices = validate::prices(&prices)?;
            saved::save(&self.db, saved::PRICES, &prices).await?;
            self.view_settings().await
        })
        .await
    }

    #[tracing::instrument(name = "assistant.models", skip_all)]
    async fn models(&self, provider: ProviderInput) -> Result<Vec<String>, AppError> {
        let link = self.link_for(provider, "list its models").await?;
        self.engine.providers().models(&link).await.map_err(|e| {
            AppError::unavailable(format!(
                "The provider did not list its models ({e}). Type the model's id instead."
            ))
        })
    }

    #[tracing::instrument(name = "assistant.test_provider", skip_all)]
    async fn test_provider(&self, provider: ProviderInput) -> Result<ProviderCheck, AppError> {
        let link = self.link_for(provider, "test it").await?;
        let model = link.model.clone();
        let prompt = Prompt {
            system: "This is a connection test. Reply with the single word OK.".to_owned(),
            user: "Reply with OK.".to_owned(),
            handoff_tool: false,
        };
        let limit = Duration::from_secs(TEST_TIMEOUT_SECS);
        let attempts = self
            .engine
            .providers()
            .complete(std::slice::from_ref(&link), &prompt, limit, limit)
            .await;
        let Some(attempt) = attempts.into_iter().next() else {
            return Err(AppError::internal());
        };
        let latency_ms = i64::try_from(attempt.latency.as_millis()).unwrap_or(i64::MAX);
        Ok(match attempt.outcome {
            Ok(answer) => ProviderCheck {
                ok: true,
                message: format!(
                    "{model} answered in {latency_ms} ms: “{}”",
                    answer.text.trim().chars().take(40).collect::<String>()
                ),
                latency_ms,
            },
            Err(e) => ProviderCheck {
                ok: false,
                message: format!("{model} did not answer: {e}."),
                latency_ms,
            },
        })
    }

    #[tracing::instrument(name = "assistant.usage", skip_all)]
    async fn usage(&self, days: u32) -> Result<Vec<UsageRow>, AppError> {
        edge(async move {
            if !(1..=MAX_USAGE_DAYS).contains(&days) {
                return Err(AppError::invalid(
                    "days",
                    format!("Ask for 1 to {MAX_USAGE_DAYS} days."),
                )
                .into());
            }
            let since = Utc::now() - chrono::Duration::days(i64::from(days));
            let rows = llm_usage::since(&self.db, since).await?;
            let mut grouped: BTreeMap<(String, String, String), UsageRow> = BTreeMap::new();
            for r in rows {
                let day = r.created_at.format("%Y-%m-%d").to_string();
                let row = grouped
                    .entry((day.clone(), r.provider.clone(), r.model.clone()))
                    .or_insert_with(|| UsageRow {
                        day,
                        provider: r.provider.clone(),
                        model: r.model.clone(),
                        calls: 0,
                        failed: 0,
                        tokens_in: 0,
                        tokens_out: 0,
                        cost_micros: 0,
                    });
                row.calls += 1;
                row.failed += i64::from(!r.ok);
                row.tokens_in += i64::from(r.tokens_in);
                row.tokens_out += i64::from(r.tokens_out);
                row.cost_micros += r.cost_micros;
            }
            // Newest day first.
            Ok(grouped.into_values().rev().collect())
        })
        .await
    }
}

#[async_trait]
impl Simulator for AiService {
    #[tracing::instrument(name = "simulator.state", skip_all)]
    async fn state(&self) -> Result<SimulatorState, AppError> {
        Ok(self.simulator_state().await?)
    }

    #[tracing::instrument(name = "simulator.send", skip_all)]
    async fn send(&self, text: String) -> Result<SimulatorState, AppError> {
        edge(async move {
            let text = text.trim();
            if text.is_empty() {
                return Err(AppError::invalid("text", "Write a message.").into());
            }
            if text.chars().count() > 4096 {
                return Err(AppError::invalid(
                    "text",
                    "WhatsApp messages are at most 4096 characters.",
                )
                .into());
            }
            test_chat::send(&self.db, &self.queue, &self.bus, text).await?;
            self.simulator_state().await
        })
        .await
    }

    #[tracing::instrument(name = "simulator.clear", skip_all)]
    async fn clear(&self) -> Result<(), AppError> {
        edge(async move {
            let txn = self.db.begin().await?;
            let removed = test_chat::clear(&txn).await?;
            let changes = removed
                .conversation_ids
                .into_iter()
                .map(|conversation_id| Change::ConversationDeleted { conversation_id })
                .collect();
            self.bus.commit(txn, changes).await?;
            Ok(())
        })
        .await
    }
}
