//! The Audit port.

use app::error::AppError;
use app::model::{AuditEntry, OwnerId, Page, AUDIT_PAGE};
use app::ports::Audit;
use async_trait::async_trait;
use sea_orm::DatabaseConnection;

use super::time;
use crate::db::audit;
use crate::error::internal;

pub struct AuditService {
    db: DatabaseConnection,
}

impl AuditService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Audit for AuditService {
    #[tracing::instrument(name = "audit.record", skip_all)]
    async fn record(&self, owner: Option<OwnerId>, ip: &str, action: &'static str, detail: String) {
        if let Err(e) = audit::record(&self.db, owner, action, &detail, ip).await {
            tracing::error!(error = %e, action, "the audit log could not record an action");
        }
    }

    #[tracing::instrument(name = "audit.entries", skip_all)]
    async fn entries(&self, before: Option<i32>) -> Result<Page<AuditEntry>, AppError> {
        // One more than a page tells whether another page follows.
        let mut rows = audit::page(&self.db, before, AUDIT_PAGE + 1)
            .await
            .map_err(|e| internal("reading the audit log", e))?;
        let more = rows.len() as u64 > AUDIT_PAGE;
        rows.truncate(AUDIT_PAGE as usize);
        let next_cursor = more
            .then(|| rows.last().map(|r| r.id.to_string()))
            .flatten();
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.id,
                    at: time(r.at),
                    action: r.action,
                    detail: r.detail,
                    ip: r.ip,
                })
                .collect(),
            next_cursor,
        })
    }
}
