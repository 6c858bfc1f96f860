//! The WhatsApp number's credentials in effect: each value from the environment when it is set
//! there (the environment wins), else from the dashboard's settings (secrets sealed with
//! `SECRET_KEY`). Shared by the Graph client and the webhook, and reloaded when the owner saves
//! them (on every replica: the save publishes `settings_changed`).

use std::sync::{Arc, RwLock};

use sea_orm::{ConnectionTrait, DbErr};
use secrecy::SecretString;

use crate::config::WhatsAppConfig;
use crate::crypto::seal::Sealer;
use crate::db::settings;

/// Settings keys of the values the dashboard can store.
pub mod keys {
    pub const PHONE_NUMBER_ID: &str = "whatsapp.phone_number_id";
    pub const ACCESS_TOKEN: &str = "whatsapp.access_token";
    pub const APP_SECRET: &str = "whatsapp.app_secret";
    pub const VERIFY_TOKEN: &str = "whatsapp.verify_token";
    pub const API_VERSION: &str = "whatsapp.api_version";
}

/// Where a value in effect comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Environment,
    Dashboard,
    Unset,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::Dashboard => "dashboard",
            Self::Unset => "unset",
        }
    }
}

/// The values in effect.
#[derive(Debug, Clone)]
pub struct Current {
    pub access_token: Option<SecretString>,
    pub phone_number_id: Option<String>,
    pub app_secret: Option<SecretString>,
    pub verify_token: Option<SecretString>,
    pub api_version: String,
}

impl Current {
    pub fn is_configured(&self) -> bool {
        self.access_token.is_some() && self.phone_number_id.is_some() && self.app_secret.is_some()
    }
}

/// A cheap handle on the credentials in effect.
#[derive(Clone)]
pub struct Credentials {
    env: Arc<WhatsAppConfig>,
    current: Arc<RwLock<Current>>,
}

fn from_env(env: &WhatsAppConfig) -> Current {
    Current {
        access_token: env.access_token.clone(),
        phone_number_id: env.phone_number_id.clone(),
        app_secret: env.app_secret.clone(),
        verify_token: env.verify_token.clone(),
        api_version: env.api_version.clone(),
    }
}

/// A stored secret, opened; an unreadable one (another `SECRET_KEY`) counts as unset.
fn open(sealer: &Sealer, key: &str, sealed: Option<String>) -> Option<SecretString> {
    let sealed = sealed.filter(|s| !s.is_empty())?;
    sealer
        .open(&sealed)
        .map_err(|e| tracing::warn!(key, error = %e, "stored WhatsApp secret unusable"))
        .ok()
}

impl Credentials {
    /// The environment's values only (tests, and before the database is read).
    pub fn from_env(env: &WhatsAppConfig) -> Self {
        Self {
            env: Arc::new(env.clone()),
            current: Arc::new(RwLock::new(from_env(env))),
        }
    }

    pub fn env(&self) -> &WhatsAppConfig {
        &self.env
    }

    pub fn current(&self) -> Current {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads the dashboard's values again and merges them under the environment's.
    pub async fn reload(&self, db: &impl ConnectionTrait, sealer: &Sealer) -> Result<(), DbErr> {
        let env = &self.env;
        let text = |key| async move {
            Ok::<_, DbErr>(
                settings::get(db, key)
                    .await?
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty()),
            )
        };
        let merged = Current {
            access_token: match &env.access_token {
                Some(token) => Some(token.clone()),
                None => open(sealer, keys::ACCESS_TOKEN, text(keys::ACCESS_TOKEN).await?),
            },
            phone_number_id: match &env.phone_number_id {
                Some(id) => Some(id.clone()),
                None => text(keys::PHONE_NUMBER_ID).await?,
            },
            app_secret: match &env.app_secret {
                Some(secret) => Some(secret.clone()),
                None => open(sealer, keys::APP_SECRET, text(keys::APP_SECRET).await?),
            },
            verify_token: match &env.verify_token {
                Some(token) => Some(token.clone()),
                None => text(keys::VERIFY_TOKEN).await?.map(SecretString::from),
            },
            api_version: if env.api_version_from_env {
                env.api_version.clone()
            } else {
                text(keys::API_VERSION)
                    .await?
                    .unwrap_or_else(|| env.api_version.clone())
            },
        };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = merged;
        Ok(())
    }

    /// Where each value in effect comes from.
    pub fn source(&self, key: &str) -> Source {
        let env = &self.env;
        let in_env = match key {
            keys::ACCESS_TOKEN => env.access_token.is_some(),
            keys::PHONE_NUMBER_ID => env.phone_number_id.is_some(),
            keys::APP_SECRET => env.app_secret.is_some(),
            keys::VERIFY_TOKEN => env.verify_token.is_some(),
            _ => env.api_version_from_env,
        };
        if in_env {
            return Source::Environment;
        }
        let current = self.current();
        let set = match key {
            keys::ACCESS_TOKEN => current.access_token.is_some(),
            keys::PHONE_NUMBER_ID => current.phone_number_id.is_some(),
            keys::APP_SECRET => current.app_secret.is_some(),
            keys::VERIFY_TOKEN => current.verify_token.is_some(),
            _ => current.api_version != env.api_version,
        };
        if set {
            Source::Dashboard
        } else {
            Source::Unset
        }
    }
}
