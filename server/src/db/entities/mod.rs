//! SeaORM entities, one per table, matching `migration/`. Tables that later features fill
//! (prompt templates, usage, …) get their entity with those features.

pub mod chunk;
pub mod conversation;
pub mod customer;
pub mod document;
pub mod event;
pub mod job;
pub mod login_failure;
pub mod message;
pub mod owner;
pub mod pending_status;
pub mod session;
pub mod setting;
