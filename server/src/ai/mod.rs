//! The AI: answers from the knowledge base through providers (async-openai) with a fallback
//! chain, prompt rendering, the reply job, the extractive answer without a model, the
//! grounding check, the usage ledger and the dashboard's test chat.

pub mod embeddings;
pub mod engine;
pub mod extractive;
pub mod formatting;
pub mod grounding;
pub mod intent;
pub mod phrases;
pub mod pricing;
pub mod prompt;
pub mod provider;
pub mod saved;
pub mod templates;
pub mod test_chat;
