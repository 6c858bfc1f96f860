//! HTTP edge pieces that are not authentication: health, request limits, cross-site refusal.

pub mod csrf;
pub mod export;
pub mod health;
pub mod limits;
pub mod media_file;
pub mod stored_file;
