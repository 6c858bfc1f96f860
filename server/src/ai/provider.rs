//! LLM providers: any OpenAI-compatible chat API, called through async-openai, one link of the
//! fallback chain after another.
//!
//! Requests and responses go through async-openai's bring-your-own-types calls with lenient
//! response types: OpenAI-compatible servers (Ollama, vLLM, Groq, OpenRouter, Anthropic's
//! compatibility endpoint) differ in the fields they leave out, and a missing `system_fingerprint`
//! must not cost a customer their answer. async-openai's own retry layer is left out: a failing
//! link moves on to the next one at once, and the whole chain has a time budget.

use std::time::{Duration, Instant};

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::Client;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

/// The tool a model calls to hand the conversation to a person.
pub const HANDOFF_TOOL: &str = "handoff_to_human";
/// The longest answer asked of a model, in tokens.
const MAX_OUTPUT_TOKENS: u32 = 800;

/// Where each kind of provider lives unless the owner says otherwise.
pub fn default_base_url(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "openrouter" => "https://openrouter.ai/api/v1",
        "openai" => "https://api.openai.com/v1",
        "anthropic" => "https://api.anthropic.com/v1",
        _ => return None,
    })
}

/// A sensible first model for each kind.
pub fn default_model(kind: &str) -> &'static str {
    match kind {
        "openrouter" => "openai/gpt-4o-mini",
        "openai" => "gpt-4o-mini",
        "anthropic" => "claude-haiku-4-5",
        _ => "llama3.1",
    }
}

/// One link of the chain, ready to call.
#[derive(Clone)]
pub struct Link {
    pub kind: String,
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// What is asked of the model.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The rendered template.
    pub system: String,
    /// The customer's message(s).
    pub user: String,
    /// Offer the hand-off tool.
    pub handoff_tool: bool,
}

/// What a model answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    /// The model called the hand-off tool, with this reason.
    pub handoff: Option<String>,
    pub tokens_in: u32,
    pub tokens_out: u32,
}

/// Why a link did not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("rate limited (429)")]
    RateLimited,
    #[error("provider error ({0})")]
    Server(u16),
    #[error("could not reach the provider: {0}")]
    Network(String),
    #[error("refused ({0}): {1}")]
    Refused(u16, String),
    #[error("unusable answer: {0}")]
    Malformed(String),
    #[error("the time budget ran out before this provider was tried")]
    OutOfBudget,
}

/// One call of the chain, for the usage ledger and "try it".
#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: String,
    pub model: String,
    pub latency: Duration,
    pub outcome: Result<Completion, CallError>,
}

/// The HTTP side of every provider call: one connection pool for all links.
#[derive(Clone)]
pub struct Providers {
    http: reqwest::Client,
}

impl Providers {
    pub fn new() -> Self {
        let http = crate::crypto::http_client()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("replydesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "building the LLM HTTP client failed; using defaults");
                reqwest::Client::new()
            });
        Self { http }
    }

    fn client(&self, link: &Link) -> Client<OpenAIConfig> {
        let mut config = OpenAIConfig::new().with_api_base(link.base_url.trim_end_matches('/'));
        // Local servers need no key; async-openai sends `Bearer ` + this, which they ignore.
        config = config.with_api_key(
            link.api_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned())
                .unwrap_or_default(),
        );
        Client::with_config(config).with_http_service(ReqwestService::new(self.http.clone()))
    }

    /// Tries `chain` in order until one link answers; every call is recorded. Each call gets at
    /// most `call_timeout`, and no call starts once `budget` is spent.
    pub async fn complete(
        &self,
        chain: &[Link],
        prompt: &Prompt,
        call_timeout: Duration,
        budget: Duration,
    ) -> Vec<Attempt> {
        let started = Instant::now();
        let mut attempts = Vec::new();
        for link in chain {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                attempts.push(Attempt {
                    kind: link.kind.clone(),
                    model: link.model.clone(),
                    latency: Duration::ZERO,
                    outcome: Err(CallError::OutOfBudget),
                });
                continue;
            }
            let limit = call_timeout.min(left);
            let call_started = Instant::now();
            let mut outcome = self.call(link, prompt, prompt.handoff_tool, limit).await;
            // A model without tool support refuses the request: ask again without the tool
            // (that model then cannot hand off by itself; the other triggers still work).
            if prompt.handoff_tool
                && matches!(&outcome, Err(CallError::Refused(400, m)) if m.to_lowercase().contains("tool"))
            {
                let left = limit.saturating_sub(call_started.elapsed());
                if !left.is_zero() {
                    outcome = self.call(link, prompt, false, left).await;
                }
            }
            let answered = outcome.is_ok();
            if let Err(e) = &outcome {
                tracing::warn!(provider = %link.kind, model = %link.model, error = %e, "LLM call failed; trying the next provider");
            }
            attempts.push(Attempt {
                kind: link.kind.clone(),
                model: link.model.clone(),
                latency: call_started.elapsed(),
                outcome,
            });
            if answered {
                break;
            }
        }
        attempts
    }

    async fn call(
        &self,
        link: &Link,
        prompt: &Prompt,
        with_tool: bool,
        limit: Duration,
    ) -> Result<Completion, CallError> {
        let mut request = json!({
            "model": link.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "max_tokens": MAX_OUTPUT_TOKENS,
            "temperature": 0.2,
            "stream": false,
        });
        if with_tool {
            request["tools"] = json!([{
                "type": "function",
                "function": {
                    "name": HANDOFF_TOOL,
                    "description": "Hand this conversation to a person on the business's team. Call it when the customer needs something you cannot do or answer from the documents (a complaint, a refund, a booking change, an emergency), or when they are upset.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "reason": {"type": "string", "description": "One short sentence for the team: why a person is needed."}
                        },
                        "required": ["reason"]
                    }
                }
            }]);
        }
        let client = self.client(link);
        let response: ChatResponse = within(limit, client.chat().create_byot(request)).await?;
        let usage = response.usage.unwrap_or_default();
        let message = response
            .choices
            .into_iter()
            .next()
            .map(|c| c.message)
            .ok_or_else(|| CallError::Malformed("no choices".into()))?;
        let handoff = message
            .tool_calls
            .iter()
            .flatten()
            .find(|call| call.function.name == HANDOFF_TOOL)
            .map(|call| {
                serde_json::from_str::<Value>(&call.function.arguments)
                    .ok()
                    .and_then(|v| v.get("reason").and_then(Value::as_str).map(str::to_owned))
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| "The assistant asked for a person.".to_owned())
            });
        let text = message.content.unwrap_or_default().trim().to_owned();
        if text.is_empty() && handoff.is_none() {
            return Err(CallError::Malformed("an empty answer".into()));
        }
        Ok(Completion {
            text,
            handoff,
            tokens_in: usage.prompt_tokens,
            tokens_out: usage.completion_tokens,
        })
    }

    /// Embeds `inputs` with `model` (OpenAI's `/embeddings`): one vector per input, in order.
    pub async fn embed(
        &self,
        link: &Link,
        model: &str,
        inputs: &[String],
        limit: Duration,
    ) -> Result<Embedded, CallError> {
        let mut request = json!({
            "model": model,
            "input": inputs,
            "encoding_format": "float",
        });
        // OpenAI's third-generation models can return shorter vectors: a third of the memory
        // and the same ranking, near enough.
        if model
            .trim_start_matches("openai/")
            .starts_with("text-embedding-3")
        {
            request["dimensions"] = json!(EMBEDDING_DIMENSIONS);
        }
        let client = self.client(link);
        let response: EmbeddingResponse =
            within(limit, client.embeddings().create_byot(request)).await?;
        let mut data = response.data;
        data.sort_by_key(|d| d.index);
        if data.len() != inputs.len() || data.iter().enumerate().any(|(i, d)| d.index != i) {
            return Err(CallError::Malformed(format!(
                "{} vectors for {} texts",
                data.len(),
                inputs.len()
            )));
        }
        let dims = data.first().map_or(0, |d| d.embedding.len());
        if !(1..=MAX_EMBEDDING_DIMENSIONS).contains(&dims)
            || data
                .iter()
                .any(|d| d.embedding.len() != dims || d.embedding.iter().any(|x| !x.is_finite()))
        {
            return Err(CallError::Malformed(
                "vectors of different or unusable sizes".into(),
            ));
        }
        Ok(Embedded {
            vectors: data.into_iter().map(|d| d.embedding).collect(),
            tokens: response.usage.map_or(0, |u| u.prompt_tokens),
        })
    }

    /// The provider's model ids (for the picker), sorted.
    pub async fn models(&self, link: &Link) -> Result<Vec<String>, CallError> {
        let client = self.client(link);
        let list: ModelList = match tokio::time::timeout(
            Duration::from_secs(15),
            client.models().list_byot(),
        )
        .await
        {
            Err(_) => return Err(CallError::Timeout(15)),
            Ok(Err(e)) => return Err(classify(e)),
            Ok(Ok(list)) => list,
        };
        let mut ids: Vec<String> = list.data.into_iter().map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}

impl Default for Providers {
    fn default() -> Self {
        Self::new()
    }
}

/// A provider call, given at most `limit`.
async fn within<T>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, OpenAIError>>,
) -> Result<T, CallError> {
    match tokio::time::timeout(limit, call).await {
        Err(_) => Err(CallError::Timeout(limit.as_secs().max(1))),
        Ok(result) => result.map_err(classify),
    }
}

fn classify(error: OpenAIError) -> CallError {
    match error {
        OpenAIError::ApiError(e) => {
            let status = e.status_code.as_u16();
            match status {
                429 => CallError::RateLimited,
                500..=599 => CallError::Server(status),
                _ => CallError::Refused(status, e.api_error.message.chars().take(300).collect()),
            }
        }
        OpenAIError::Reqwest(e) if e.is_timeout() => CallError::Timeout(0),
        OpenAIError::Reqwest(e) => match e.status() {
            Some(s) if s.as_u16() == 429 => CallError::RateLimited,
            Some(s) if s.is_server_error() => CallError::Server(s.as_u16()),
            Some(s) => CallError::Refused(s.as_u16(), s.to_string()),
            None => CallError::Network(e.to_string().chars().take(300).collect()),
        },
        OpenAIError::JSONDeserialize(e, _) => CallError::Malformed(e.to_string()),
        other => CallError::Malformed(other.to_string().chars().take(300).collect()),
    }
}

#[derive(Debug, Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: ResponseMessage,
}

#[derive(Debug, Deserialize)]
struct ResponseMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    function: FunctionCall,
}

#[derive(Debug, Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Debug, Default, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// Vectors asked of models that can shorten theirs.
pub const EMBEDDING_DIMENSIONS: usize = 512;
/// Longer vectors than this are refused (the largest models return 4,096).
const MAX_EMBEDDING_DIMENSIONS: usize = 4096;

/// What an embeddings call returned.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub tokens: u32,
}

#[derive(Debug, Deserialize)]
struct EmbeddingResponse {
    #[serde(default)]
    data: Vec<EmbeddingData>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct EmbeddingData {
    #[serde(default)]
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Debug, Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<ModelId>,
}

#[derive(Debug, Deserialize)]
struct ModelId {
    id: String,
}
