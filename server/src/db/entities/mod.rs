//! SeaORM entities, one per table, matching `migration/`. Tables that later features fill
//! (customers, conversations, messages, documents, …) get their entity with those features.

pub mod job;
pub mod login_failure;
pub mod owner;
pub mod session;
pub mod setting;
