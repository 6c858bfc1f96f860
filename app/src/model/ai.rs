//! The AI engine as the dashboard sees it: prompt templates, providers, behaviour, usage and the
//! simulator.

use serde::{Deserialize, Serialize};

use super::{SearchHit, Thread};

/// The variables a prompt template may use, with what each becomes.
pub const PROMPT_VARIABLES: &[(&str, &str)] = &[
    ("business_name", "Your business name (Settings)"),
    (
        "customer_name",
        "The customer's name, or \"there\" when unknown",
    ),
    (
        "customer_message",
        "What the customer just wrote (several messages joined)",
    ),
    (
        "relevant_documents",
        "The best passages from your knowledge base",
    ),
    (
        "conversation_history",
        "The last messages of the conversation",
    ),
    (
        "current_date",
        "Today's date, e.g. Thursday, 26 November 2026",
    ),
    (
        "business_languages",
        "The languages you answer in (Settings), e.g. English, Português",
    ),
];

/// A prompt template. Built-in ones cannot be edited (duplicate them instead): releases update
/// them, and an owner's edits would be lost or would block the update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateView {
    pub id: i32,
    pub name: String,
    pub industry: Option<String>,
    pub body: String,
    pub builtin: bool,
    pub active: bool,
    /// Hand the conversation to a person when the knowledge base has nothing relevant.
    pub knowledge_only: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub industry: Option<String>,
    pub body: String,
    #[serde(default)]
    pub knowledge_only: bool,
}

/// "Try it": a question answered by the real pipeline, with `body` (the editor's text, saved or
/// not) as the template, or the active template when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryInput {
    pub question: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub knowledge_only: Option<bool>,
}

/// How an answer came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// A provider's model wrote it.
    Model,
    /// No provider answered: an excerpt of the best passage.
    Extractive,
    /// The conversation goes to a person.
    Handoff,
    /// A configured topic the bot declines.
    Declined,
}

impl AnswerMode {
    pub const ALL: [Self; 4] = [Self::Model, Self::Extractive, Self::Handoff, Self::Declined];

    /// The name stored in `messages.answer_mode` (the same as its JSON form).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Extractive => "extractive",
            Self::Handoff => "handoff",
            Self::Declined => "declined",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// One call to one provider in the fallback chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub provider: String,
    pub model: String,
    pub latency_ms: i64,
    /// Why it did not answer; absent for the call that did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TryResult {
    pub mode: AnswerMode,
    /// What the customer would receive (several WhatsApp messages when long).
    pub replies: Vec<String>,
    /// The system prompt as sent to the model.
    pub prompt: String,
    pub passages: Vec<SearchHit>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
    pub handoff_reason: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// Kinds of provider, in the order an environment-only setup tries them.
pub const PROVIDER_KINDS: &[(&str, &str)] = &[
    ("openrouter", "OpenRouter"),
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("custom", "Custom (OpenAI-compatible URL)"),
];

/// One link of the fallback chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub kind: String,
    pub base_url: String,
    pub model: String,
    /// "dashboard" (stored encrypted), "environment", or "none".
    pub key_source: String,
}

/// A link as the owner enters it. `api_key` absent keeps the stored key; empty removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInput {
    pub kind: String,
    #[serde(default)]
    pub base_url: Option<String>,
    pub model: String,
    #[serde(default)]
    pub api_key: Option<String>,
}

/// How the bot behaves. Every field has a default; the dashboard edits them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AiBehaviour {
    /// Messages a customer sends within this many milliseconds get one reply.
    pub burst_ms: u32,
    /// A reply reads at most this many of the burst's latest messages…
    pub burst_messages: u32,
    /// …and at most this many of their latest characters (a customer's flood neither fills
    /// the prompt nor the bill).
    pub burst_chars: u32,
    /// Earlier messages given to the model.
    pub history_messages: u32,
    /// Passages given to the model, at most this many tokens (about 4 characters each).
    pub context_tokens: u32,
    pub call_timeout_secs: u32,
    /// All providers of the chain together, at most this long.
    pub total_budget_secs: u32,
    /// Sent to the customer when the conversation goes to a person.
    pub handoff_message: String,
    /// After the owner replies by hand, the AI stays off this many hours; 0 = until switched on.
    pub pause_hours: u32,
    /// Comes before a list taken from the documents (no provider configured, or none answered).
    pub extractive_intro: String,
    /// How much of a question (percent of its meaning) the best passage must cover before the
    /// bot answers from the documents without a model; below it, the question goes to a person.
    pub min_match: u32,
    /// Find passages by meaning too, when the provider can embed text (a small cost per
    /// passage, once, and per question).
    pub meaning_search: bool,
    /// The embeddings model; empty: the provider's usual one (OpenAI and OpenRouter).
    pub embedding_model: String,
    /// A message that is one of these opts the customer out (STOP).
    pub opt_out_words: Vec<String>,
    pub opt_out_reply: String,
    /// A message that is one of these opts them back in (START).
    pub opt_in_words: Vec<String>,
    pub opt_in_reply: String,
    /// Phrases with which a customer asks for a person.
    pub human_phrases: Vec<String>,
    /// Topics the bot declines, with `decline_message`.
    pub declined_topics: Vec<String>,
    pub decline_message: String,
    /// The longest answer, in characters.
    pub max_answer_chars: u32,
}

impl Default for AiBehaviour {
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect();
        Self {
            burst_ms: 2000,
            burst_messages: 10,
            burst_chars: 2000,
            history_messages: 10,
            context_tokens: 1500,
            call_timeout_secs: 20,
            total_budget_secs: 45,
            handoff_message: "Thanks for your patience. A member of our team will reply to you here shortly.".into(),
            pause_hours: 0,
            extractive_intro: "Here is what I found for you:".into(),
            min_match: 51,
            meaning_search: true,
            embedding_model: String::new(),
            opt_out_words: words(&["stop", "unsubscribe", "parar", "baja", "arrêt", "arret", "stopp"]),
            opt_out_reply: "You will not receive any more messages from us. Write START to receive messages again.".into(),
            opt_in_words: words(&["start", "unstop", "subscribe", "volver", "reanudar", "iniciar"]),
            opt_in_reply: "Welcome back! You will receive our replies again.".into(),
            human_phrases: words(&[
                "human", "real person", "a person", "agent", "representative", "talk to someone",
                "speak to someone", "humano", "una persona", "atendente", "agente",
                "une personne", "conseiller", "mensch", "mitarbeiter",
            ]),
            declined_topics: Vec::new(),
            decline_message: "Sorry, I can't help with that topic here.".into(),
            max_answer_chars: 1500,
        }
    }
}

/// Price of a model, in US dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub model: String,
    pub input_per_million: f64,
    pub output_per_million: f64,
}

/// The AI page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiSettings {
    /// The fallback chain, first tried first. Empty: the environment's providers.
    pub chain: Vec<ProviderView>,
    /// What the environment configures (used when `chain` is empty).
    pub environment: Vec<ProviderView>,
    pub behaviour: AiBehaviour,
    pub prices: Vec<ModelPrice>,
}

/// Tokens and cost of one model on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub provider: String,
    pub model: String,
    pub calls: i64,
    pub failed: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_micros: i64,
}

/// The simulator: one test customer's conversation, through the real pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorState {
    pub thread: Option<Thread>,
}
