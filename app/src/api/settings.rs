use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AuditEntry, Page};

/// The audit log, newest first; pass a page's `next_cursor` back for older entries.
#[server(prefix = "/api", endpoint = "settings/audit", input = Json, output = Json)]
pub async fn audit_log(
    #[server(default)] cursor: Option<String>,
) -> Result<Page<AuditEntry>, AppError> {
    super::caller()?.owner()?;
    let before = match cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| AppError::invalid("cursor", "Use the next_cursor of a page."))?,
        ),
    };
    super::state()?.audit.entries(before).await
}
