//! For plain HTTP handlers (uploads, exports, backups): records the owner's action in the audit
//! log, as server functions do with `app::api::audited`.

use std::sync::Arc;

use app::error::AppError;
use app::ports::{Audit, Caller};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use crate::error::respond;

/// Who is calling, and the audit log. Needs the guard's [`Caller`] and the router's
/// `Extension<Arc<dyn Audit>>`.
pub struct Audited {
    caller: Caller,
    audit: Arc<dyn Audit>,
}

impl<S: Send + Sync> FromRequestParts<S> for Audited {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let caller = parts.extensions.get::<Caller>().cloned();
        let audit = parts.extensions.get::<Arc<dyn Audit>>().cloned();
        match (caller, audit) {
            (Some(caller), Some(audit)) => Ok(Self { caller, audit }),
            _ => Err(respond(&AppError::internal())),
        }
    }
}

impl Audited {
    pub async fn record(&self, action: &'static str, detail: impl Into<String>) {
        self.audit
            .record(self.caller.owner, &self.caller.ip, action, detail.into())
            .await;
    }
}
