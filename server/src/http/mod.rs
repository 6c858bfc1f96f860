//! The HTTP edge besides the server functions: the owner guard, health, exports, file
//! downloads, request limits, cross-site refusal and security headers.

pub mod analytics_export;
pub mod audited;
pub mod backup_download;
pub mod csrf;
pub mod csv;
pub mod export;
pub mod health;
pub mod knowledge_files;
pub mod limits;
pub mod media_file;
pub mod owner_guard;
pub mod request_id;
pub mod security_headers;
pub mod stored_file;
