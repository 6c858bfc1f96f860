//! Replydesk's server: the axum backend behind the dashboard and the WhatsApp webhook.
//!
//! [`run`] is the whole server; tests call it on port 0 (see `tests/common`).

pub mod ai;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod http;
pub mod jobs;
pub mod knowledge;
pub mod loadgen;
pub mod realtime;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod whatsapp;

use std::future::Future;

use tokio::net::TcpListener;

pub use config::Config;
pub use startup::{Application, StartupError};

/// Boots and serves until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    Application::build(config)
        .await?
        .serve(listener, shutdown)
        .await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what Railway and Docker send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
