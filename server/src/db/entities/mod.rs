//! SeaORM entities, one per table, matching `migration/`.

pub mod audit;
pub mod chunk;
pub mod conversation;
pub mod customer;
pub mod document;
pub mod event;
pub mod job;
pub mod llm_usage;
pub mod login_failure;
pub mod message;
pub mod owner;
pub mod passage_embedding;
pub mod pending_status;
pub mod prompt_template;
pub mod session;
pub mod setting;
