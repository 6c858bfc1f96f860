use std::time::Instant;

use app::error::AppError;
use app::model::{Health, Overview};
use app::ports::System;
use async_trait::async_trait;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::db::settings::keys;
use crate::db::{self, settings, Engine};
use crate::error::internal;
use crate::jobs::Queue;
use crate::whatsapp::credentials::Credentials;

pub struct SystemService {
    db: DatabaseConnection,
    queue: Queue,
    started: Instant,
    public_url: Option<String>,
    whatsapp: Credentials,
    engine: crate::ai::engine::Engine,
}

impl SystemService {
    pub fn new(
        db: DatabaseConnection,
        queue: Queue,
        config: &Config,
        whatsapp: Credentials,
        engine: crate::ai::engine::Engine,
    ) -> Self {
        Self {
            db,
            queue,
            started: Instant::now(),
            public_url: config.public_url.as_ref().map(|u| u.to_string()),
            whatsapp,
            engine,
        }
    }
}

#[async_trait]
impl System for SystemService {
    #[tracing::instrument(name = "system.health", skip_all)]
    async fn health(&self) -> Health {
        let db_ok = db::ping(&self.db).await;
        Health {
            status: if db_ok { "ok" } else { "degraded" }.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: Engine::of(&self.db).name().to_owned(),
            db_ok,
            uptime_s: self.started.elapsed().as_secs(),
        }
    }

    #[tracing::instrument(name = "system.overview", skip_all)]
    async fn overview(&self) -> Result<Overview, AppError> {
        let health = self.health().await;
        let business_name = settings::get(&self.db, keys::BUSINESS_NAME)
            .await
            .map_err(|e| internal("reading the business name failed", e))?
            .unwrap_or_default();
        let jobs = self
            .queue
            .counts()
            .await
            .map_err(|e| internal("counting jobs failed", e))?;
        let token_rejected = db::messages::token_rejected(&self.db)
            .await
            .map_err(|e| internal("checking recent sends failed", e))?;
        Ok(Overview {
            health,
            business_name,
            public_url: self.public_url.clone(),
            whatsapp_configured: self.whatsapp.current().is_configured(),
            whatsapp_problem: token_rejected.then(|| {
                "WhatsApp refused the access token: it is invalid or has expired. Enter a permanent token in Settings (or WHATSAPP_ACCESS_TOKEN); messages fail until then.".to_owned()
            }),
            ai_configured: self
                .engine
                .has_provider()
                .await
                .map_err(|e| internal("reading the AI providers failed", e))?,
            jobs,
        })
    }
}
