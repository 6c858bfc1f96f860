//! The AI reply engine: providers (async-openai) with a fallback chain, prompt rendering, the
//! reply job, the extractive fallback, guardrails, the usage ledger and the simulator.

pub mod embeddings;
pub mod engine;
pub mod extractive;
pub mod fit;
pub mod guard;
pub mod intent;
pub mod phrases;
pub mod pricing;
pub mod prompt;
pub mod provider;
pub mod settings;
pub mod simulator;
pub mod templates;
