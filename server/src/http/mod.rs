//! HTTP edge pieces that are not authentication: health, request limits, cross-site refusal.

pub mod analytics_export;
pub mod audited;
pub mod backup_download;
pub mod csrf;
pub mod csv;
pub mod export;
pub mod health;
pub mod limits;
pub mod media_file;
pub mod security_headers;
pub mod stored_file;
