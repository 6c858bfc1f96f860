//! Deny by default. Every request under the guard gets a [`Caller`]; API calls without a session
//! are answered 401 unless their path is public, pages redirect to login (or to setup while no
//! owner exists) and come back afterwards.

use std::sync::Arc;

use app::api::PUBLIC_ENDPOINTS;
use app::error::AppError;
use app::model::OwnerId;
use app::ports::{Caller, SessionControl};
use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use tower_sessions::Session;

use crate::auth::OWNER_KEY;
use crate::client_address::TrustedProxies;
use crate::error::{internal, respond};
use crate::services::accounts::AccountsService;

/// Session data key: when the session's expiry was last pushed forward.
const RENEWED_KEY: &str = "renewed_at";
/// Sessions roll: a request more than this long after the last renewal extends the 7-day expiry.
/// Renewing on every request would write to the database on every click.
const RENEW_AFTER_S: i64 = 3600;

/// What the guard needs: the accounts (does an owner exist?) and whom to believe about
/// client addresses.
#[derive(Clone)]
pub struct Guard {
    pub accounts: Arc<AccountsService>,
    pub proxies: Arc<TrustedProxies>,
}

pub async fn guard(
    State(Guard { accounts, proxies }): State<Guard>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let owner = match session.get::<OwnerId>(OWNER_KEY).await {
        Ok(owner) => owner,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable session; treating as signed out");
            None
        }
    };
    if owner.is_some() {
        renew(&session).await;
    }
    let path = req.uri().path().to_owned();
    let ip = proxies.client_of(&req);
    req.extensions_mut().insert(Caller {
        owner,
        ip,
        session: Arc::new(TowerSession(session)),
    });

    if path.starts_with("/api/") {
        if owner.is_none() && !PUBLIC_ENDPOINTS.contains(&path.as_str()) {
            return respond(&AppError::unauthorized());
        }
        return next.run(req).await;
    }

    let owner_exists = match accounts.owner_exists().await {
        Ok(exists) => exists,
        Err(e) => return respond(&e),
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    match page_redirect(&path, &target, owner.is_some(), owner_exists) {
        Some(location) => Redirect::to(&location).into_response(),
        None => next.run(req).await,
    }
}

/// Where a page request must go instead, if anywhere. `target` is the path and query asked for.
fn page_redirect(path: &str, target: &str, signed_in: bool, owner_exists: bool) -> Option<String> {
    if !owner_exists {
        return (path != "/setup").then(|| "/setup".to_owned());
    }
    match path {
        "/setup" => Some(if signed_in { "/" } else { "/login" }.to_owned()),
        "/login" => signed_in.then(|| "/".to_owned()),
        _ if signed_in => None,
        _ => {
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Some(format!("/login?next={next}"))
        }
    }
}

async fn renew(session: &Session) {
    let now = Utc::now().timestamp();
    let last = session
        .get::<i64>(RENEWED_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    if now - last > RENEW_AFTER_S {
        if let Err(e) = session.insert(RENEWED_KEY, now).await {
            tracing::warn!(error = %e, "could not renew session");
        }
    }
}

/// [`SessionControl`] over tower-sessions.
struct TowerSession(Session);

#[async_trait]
impl SessionControl for TowerSession {
    async fn sign_in(&self, owner: OwnerId) -> Result<(), AppError> {
        // A fresh id at sign-in: a session id planted before login is worthless after it.
        self.0
            .cycle_id()
            .await
            .map_err(|e| internal("cycling the session id failed", e))?;
        self.0
            .insert(OWNER_KEY, owner)
            .await
            .map_err(|e| internal("storing the session failed", e))?;
        self.0
            .insert(RENEWED_KEY, Utc::now().timestamp())
            .await
            .map_err(|e| internal("storing the session failed", e))
    }

    async fn sign_out(&self) -> Result<(), AppError> {
        self.0
            .flush()
            .await
            .map_err(|e| internal("deleting the session failed", e))
    }

    fn id(&self) -> Option<String> {
        self.0.id().map(|id| id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::page_redirect;

    #[test]
    fn pages_route_by_session_and_setup() {
        // Before setup, everything leads to setup.
        assert_eq!(
            page_redirect("/", "/", false, false).as_deref(),
            Some("/setup")
        );
        assert_eq!(
            page_redirect("/login", "/login", false, false).as_deref(),
            Some("/setup")
        );
        assert_eq!(page_redirect("/setup", "/setup", false, false), None);
        // After setup, setup is closed.
        assert_eq!(
            page_redirect("/setup", "/setup", false, true).as_deref(),
            Some("/login")
        );
        assert_eq!(
            page_redirect("/setup", "/setup", true, true).as_deref(),
            Some("/")
        );
        // Signed out: login, remembering where to return.
        assert_eq!(
            page_redirect("/account", "/account?tab=1", false, true).as_deref(),
            Some("/login?next=%2Faccount%3Ftab%3D1")
        );
        assert_eq!(page_redirect("/login", "/login", false, true), None);
        // Signed in: pages open, login sends home.
        assert_eq!(page_redirect("/account", "/account", true, true), None);
        assert_eq!(
            page_redirect("/login", "/login", true, true).as_deref(),
            Some("/")
        );
    }
}
