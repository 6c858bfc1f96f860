//! What every server function and SSR render can reach: the ports, and Leptos' options.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::ports::{
    Accounts, Analytics, Assistant, Audit, Inbox, Knowledge, Prompts, Settings, Simulator, System,
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub accounts: Arc<dyn Accounts>,
    pub inbox: Arc<dyn Inbox>,
    pub knowledge: Arc<dyn Knowledge>,
    pub system: Arc<dyn System>,
    pub prompts: Arc<dyn Prompts>,
    pub assistant: Arc<dyn Assistant>,
    pub simulator: Arc<dyn Simulator>,
    pub analytics: Arc<dyn Analytics>,
    pub audit: Arc<dyn Audit>,
    pub settings: Arc<dyn Settings>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
