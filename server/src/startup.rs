//! Boot: data directory, database, migrations, the owner from the environment, services,
//! router, background tasks; and an orderly stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::ports::{Audit, Inbox, System};
use app::state::AppState;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use leptos::config::get_configuration;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::{DatabaseConnection, DbErr};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::ai::engine::Engine;
use crate::auth::session_store::DbSessionStore;
use crate::config::Config;
use crate::crypto::key_file::{self, KeyOrigin};
use crate::db;
use crate::http::backup_download::{self, Backups};
use crate::http::csrf::{refuse_cross_site, AllowedOrigin};
use crate::http::health::health;
use crate::http::limits::{limit_api_body, limit_webhook_body};
use crate::http::media_file::{self, MediaFiles};
use crate::http::owner_guard::{guard, Guard};
use crate::http::security_headers::{self, SecurityHeaders};
use crate::http::{analytics_export, export, knowledge_files, request_id};
use crate::jobs::kinds::{DownloadMedia, EmbedPassages, ExtractDocument, Reply, SendMessage};
use crate::jobs::{Queue, Worker};
use crate::knowledge::index::Opened;
use crate::knowledge::{upload, KnowledgeBase};
use crate::realtime::push::{self, PushState};
use crate::realtime::{self, Bus};
use crate::services::accounts::AccountsService;
use crate::services::ai::AiService;
use crate::services::analytics::AnalyticsService;
use crate::services::audit::AuditService;
use crate::services::inbox::InboxService;
use crate::services::knowledge::KnowledgeService;
use crate::services::settings::SettingsService;
use crate::services::system::SystemService;
use crate::whatsapp::client::GraphClient;
use crate::whatsapp::credentials::Credentials;
use crate::whatsapp::media::MediaDownloads;
use crate::whatsapp::outbound::{self, Outbound};
use crate::whatsapp::webhook::{self, WebhookState};

/// Why the server could not start. Each names what the operator must fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATA_DIR: cannot create {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("DATA_DIR: {path} is not writable by this process (uid {uid}; the directory belongs to uid {owner}, mode {mode:o}): {source}. In Docker, start the container as root (the image's entrypoint hands the directory over, then drops to uid 10001), or make the directory writable by uid {uid}")]
    DataDirNotWritable {
        path: String,
        uid: u32,
        owner: u32,
        mode: u32,
        source: std::io::Error,
    },
    #[error("the secret key: {0}")]
    SecretKey(#[from] key_file::KeyFileError),
    #[error("DATABASE_URL: cannot connect to {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("database migration failed: {0}")]
    Migrate(DbErr),
    #[error("ADMIN_EMAIL/ADMIN_PASSWORD: could not create the owner: {0}")]
    Bootstrap(String),
    #[error("knowledge base under DATA_DIR: {0}")]
    Knowledge(String),
    #[error("cannot create the HTTP client: {0}")]
    HttpClient(String),
    #[error("reading the settings: {0}")]
    Settings(DbErr),
    #[error("releasing the jobs an earlier run left unfinished: {0}")]
    Jobs(DbErr),
    #[error("Leptos configuration: {0}")]
    Leptos(String),
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// After a stop is asked for: how long requests in flight may take to finish…
pub const HTTP_DRAIN: Duration = Duration::from_secs(10);
/// …and then how long the workers may take to finish the job in hand (an unfinished job is
/// taken up again after its lease, by this or another process).
pub const WORKER_DRAIN: Duration = Duration::from_secs(15);
/// The longest a stop takes: `drainingSeconds` in railway.toml must leave room for it.
pub const SHUTDOWN_BUDGET: Duration = HTTP_DRAIN.saturating_add(WORKER_DRAIN);

/// Sessions last 7 days from the last visit.
const SESSION_DAYS: i64 = 7;
const SESSION_COOKIE: &str = "replydesk_session";

/// Creates `DATA_DIR` when missing and proves this process can write there, so a volume it
/// cannot write (Railway mounts volumes owned by root) stops the start with one clear line
/// instead of failing later at the first upload.
pub fn ensure_data_dir(dir: &std::path::Path) -> Result<(), StartupError> {
    use std::os::unix::fs::MetadataExt;
    let path = || dir.display().to_string();
    std::fs::create_dir_all(dir).map_err(|source| StartupError::DataDir {
        path: path(),
        source,
    })?;
    // A fresh name, created (never opened through a link another user planted there).
    let probe = dir.join(format!(".write-check-{:016x}", rand::random::<u64>()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe));
    written.map_err(|source| {
        let meta = std::fs::metadata(dir).ok();
        StartupError::DataDirNotWritable {
            path: path(),
            uid: rustix::process::getuid().as_raw(),
            owner: meta.as_ref().map_or(0, MetadataExt::uid),
            mode: meta.as_ref().map_or(0, |m| m.mode() & 0o7777),
            source,
        }
    })
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, StartupError> {
    ensure_data_dir(&config.data_dir)?;
    let db = db::connect(config.database_url.expose_secret())
        .await
        .map_err(|source| StartupError::Connect {
            url: config.database_url_redacted(),
            source,
        })?;
    db::migrate(&db).await.map_err(StartupError::Migrate)?;
    Ok(db)
}

/// A booted application, ready to serve.
pub struct Application {
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub outbound: Outbound,
    router: Router,
    worker: Worker,
    pub knowledge: KnowledgeBase,
    /// Set when shutdown starts: workers stop claiming, push streams end.
    stopping: watch::Sender<bool>,
    bus: Bus,
    settings: Arc<SettingsService>,
    data_dir: std::path::PathBuf,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = open_database(&config).await?;
        tracing::info!(
            database = db::Engine::of(&db).name(),
            url = %config.database_url_redacted(),
            "database ready"
        );

        let accounts = Arc::new(AccountsService::new(db.clone()));
        if let Some(admin) = &config.admin {
            let created = accounts
                .bootstrap(admin)
                .await
                .map_err(|e| StartupError::Bootstrap(e.message))?;
            if created {
                tracing::info!(email = %admin.email, "owner created from ADMIN_EMAIL");
            }
        }
        if let Some(token) = accounts
            .open_setup_token()
            .await
            .map_err(|e| StartupError::Bootstrap(e.message))?
        {
            announce_setup(&config, &token);
        }
        warn_about_lost_files(&config);

        let key = key_file::resolve(config.ai.secret_key.as_ref(), &config.data_dir)?;
        if let KeyOrigin::Generated(path) = &key.origin {
            tracing::info!(
                file = %path.display(),
                "SECRET_KEY is not set: the secrets saved in the dashboard are encrypted with the key generated in this file; keep it with the data (backups leave it out)"
            );
        }
        match crate::services::settings::reseal_saved_secrets(&db, &key.sealer).await {
            Ok(report) => report.log(),
            Err(e) => tracing::warn!(error = %e, "checking the saved secrets failed"),
        }

        let queue = Queue::new(db.clone(), config.jobs.clone());
        // One process works from a SQLite file: any claim found now is an earlier process's,
        // cut off by a crash. Its jobs run again at once instead of after their lease.
        if db::Engine::of(&db) == db::Engine::Sqlite {
            let released = queue
                .release_all_claims()
                .await
                .map_err(StartupError::Jobs)?;
            if released > 0 {
                tracing::info!(
                    jobs = released,
                    "picked up jobs an earlier run left unfinished"
                );
            }
        }
        let mut worker = Worker::new(queue.clone(), worker_name());
        let bus = Bus::default();
        let credentials = Credentials::from_env(&config.whatsapp);
        credentials
            .reload(&db, &key.sealer)
            .await
            .map_err(StartupError::Settings)?;
        let graph = GraphClient::with_credentials(credentials.clone())
            .map_err(|e| StartupError::Leptos(e.to_string()))?;
        let media = MediaDownloads::new(
            db.clone(),
            bus.clone(),
            graph.clone(),
            &config.data_dir,
            config.whatsapp.media,
        );
        worker.register(move |job: DownloadMedia, ctx| {
            let media = media.clone();
            async move { media.run(job, ctx).await }
        });
        let mut outbound = Outbound::new(
            db.clone(),
            queue.clone(),
            bus.clone(),
            graph.clone(),
            outbound::stored_rate(&db).await,
        );
        outbound.uncertain_after = config.whatsapp.confirmation_wait;
        {
            let outbound = outbound.clone();
            worker.register(move |job: SendMessage, ctx| {
                let outbound = outbound.clone();
                async move { outbound.run(job, ctx).await }
            });
        }
        let (knowledge, opened) = KnowledgeBase::open(
            db.clone(),
            bus.clone(),
            queue.clone(),
            &config.data_dir,
            config.extract.clone(),
        )
        .await
        .map_err(|e| StartupError::Knowledge(e.to_string()))?;
        if opened == Opened::Created {
            tracing::info!("search index created; filling it from the stored passages");
        }
        {
            let knowledge = knowledge.clone();
            worker.register(move |job: ExtractDocument, ctx| {
                let knowledge = knowledge.clone();
                async move { knowledge.run_extraction(job, ctx).await }
            });
        }
        crate::ai::templates::seed(&db)
            .await
            .map_err(|e| StartupError::Knowledge(format!("seeding prompt templates: {e}")))?;
        let engine = Engine::new(
            db.clone(),
            bus.clone(),
            knowledge.clone(),
            outbound.clone(),
            config.ai.clone(),
            key.sealer.clone(),
        );
        {
            let engine = engine.clone();
            worker.register(move |job: Reply, ctx| {
                let engine = engine.clone();
                async move { engine.run(job, ctx).await }
            });
        }
        {
            let meaning = engine.meaning().clone();
            worker.register(move |job: EmbedPassages, ctx| {
                let meaning = meaning.clone();
                async move { meaning.run(job, ctx).await }
            });
        }
        // Passages added while embeddings were off, or made by another model: embedded now.
        if matches!(engine.meaning().embedder().await, Ok(Some(_))) {
            knowledge.request_embeddings().await;
        }
        let system: Arc<dyn System> = Arc::new(SystemService::new(
            db.clone(),
            queue.clone(),
            &config,
            credentials.clone(),
            engine.clone(),
        ));

        let mut leptos_options = get_configuration(None)
            .map_err(|e| StartupError::Leptos(e.to_string()))?
            .leptos_options;
        leptos_options.site_addr = SocketAddr::new(config.host, config.port);
        let inbox_service = Arc::new(InboxService::new(
            db.clone(),
            bus.clone(),
            outbound.clone(),
            config.data_dir.clone(),
        ));
        let inbox: Arc<dyn Inbox> = inbox_service.clone();
        let ai = Arc::new(AiService::new(
            db.clone(),
            queue.clone(),
            bus.clone(),
            engine,
            inbox.clone(),
        ));
        let analytics = Arc::new(AnalyticsService::new(db.clone()));
        let audit = Arc::new(AuditService::new(db.clone()));
        let settings = Arc::new(SettingsService::new(
            db.clone(),
            bus.clone(),
            credentials.clone(),
            &key,
            graph.clone(),
            outbound.clone(),
            config.public_url.clone(),
        ));
        let state = AppState {
            leptos_options,
            accounts: accounts.clone(),
            inbox,
            knowledge: Arc::new(KnowledgeService::new(knowledge.clone())),
            system: system.clone(),
            prompts: ai.clone(),
            assistant: ai.clone(),
            simulator: ai,
            analytics: analytics.clone(),
            audit: audit.clone(),
            settings: settings.clone(),
        };

        let sessions = SessionManagerLayer::new(DbSessionStore::new(db.clone()))
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(config.secure_cookies())
            .with_expiry(Expiry::OnInactivity(time::Duration::days(SESSION_DAYS)));
        let (stopping, stopping_rx) = watch::channel(false);
        let push = Arc::new(PushState {
            db: db.clone(),
            bus: bus.clone(),
            stopping: stopping_rx,
        });
        let webhook = Arc::new(WebhookState {
            db: db.clone(),
            queue: queue.clone(),
            bus: bus.clone(),
            credentials: credentials.clone(),
        });
        let allowed_origin = AllowedOrigin(
            config
                .public_url
                .as_ref()
                .map(|u| u.origin().ascii_serialization()),
        );

        let routes = generate_route_list(App);
        let router = Router::new()
            .leptos_routes_with_context(
                &state,
                routes,
                {
                    let state = state.clone();
                    move || provide_context(state.clone())
                },
                {
                    let options = state.leptos_options.clone();
                    move || shell(options.clone())
                },
            )
            .route("/api/events", get(push::stream).with_state(push))
            .route(
                "/api/media/{message_id}",
                get(media_file::serve).with_state(Arc::new(MediaFiles {
                    db: db.clone(),
                    data_dir: config.data_dir.clone(),
                })),
            )
            .route(
                "/api/inbox/conversations/{conversation_id}/export",
                get(export::export).with_state(inbox_service),
            )
            .route(
                "/api/analytics/export",
                get(analytics_export::export).with_state(analytics),
            )
            .route(
                "/api/settings/backup",
                get(backup_download::download).with_state(Arc::new(Backups {
                    db: db.clone(),
                    data_dir: config.data_dir.clone(),
                })),
            )
            // An API path that matches nothing answers JSON, not the HTML 404 page.
            .route("/api/{*path}", any(api_not_found))
            .route_layer(from_fn(limit_api_body))
            // Uploads have their own limit (a setting), checked while streaming to disk.
            .route(
                "/api/knowledge/upload",
                post(knowledge_files::upload)
                    .layer::<_, Infallible>(DefaultBodyLimit::disable())
                    .with_state(knowledge.clone()),
            )
            .route(
                "/api/knowledge/documents/{id}/file",
                get(knowledge_files::download)
                    .put(knowledge_files::replace)
                    .layer::<_, Infallible>(DefaultBodyLimit::disable())
                    .with_state(knowledge.clone()),
            )
            // Every page and server function above is behind the guard; what follows is not.
            .route_layer(from_fn_with_state(
                Guard {
                    accounts,
                    proxies: Arc::new(config.trusted_proxies.clone()),
                },
                guard,
            ))
            .route_layer(sessions)
            .route("/api/health", get(health).with_state(system))
            .route(
                "/api/webhook/whatsapp",
                get(webhook::verify)
                    .post(webhook::receive)
                    .layer::<_, Infallible>(from_fn(limit_webhook_body))
                    // The layer above is the limit; axum's own 2 MB default would cut below it.
                    .layer::<_, Infallible>(DefaultBodyLimit::disable())
                    .with_state(webhook),
            )
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            .layer(Extension(audit as Arc<dyn Audit>))
            .layer(from_fn_with_state(allowed_origin, refuse_cross_site))
            .layer(from_fn_with_state(
                SecurityHeaders {
                    https: config.secure_cookies(),
                },
                security_headers::add,
            ))
            .layer(CompressionLayer::new())
            // Outermost: every answer, refusals included, is in a span with its request id.
            .layer(request_id::layer())
            .layer(from_fn(request_id::assign))
            .with_state(state);

        Ok(Self {
            db,
            queue,
            outbound,
            router,
            worker,
            knowledge,
            stopping,
            bus,
            settings,
            data_dir: config.data_dir.clone(),
        })
    }

    /// Serves until `shutdown` resolves, then stops taking requests, lets the workers finish the
    /// job in hand, and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let stop_rx = self.stopping.subscribe();
        let mut workers = self.worker.spawn(stop_rx.clone());
        let housekeeping = tokio::spawn(housekeeping(
            self.db.clone(),
            self.data_dir.clone(),
            stop_rx.clone(),
        ));
        tokio::spawn(self.settings.clone().watch());
        let checkpoints = tokio::spawn(checkpoints(self.db.clone(), stop_rx.clone()));
        tokio::spawn(repair_knowledge(self.knowledge.clone()));
        let relay = tokio::spawn(realtime::relay::run(
            self.db.clone(),
            self.bus.clone(),
            stop_rx,
        ));

        let stopping = self.stopping.clone();
        let mut stop_seen = self.stopping.subscribe();
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Before waiting for connections to close: end the ones that never would.
            let _ = stopping.send(true);
        });
        // Requests in flight get HTTP_DRAIN to finish; a slow upload must not hold the process
        // past the platform's patience (Railway sends SIGKILL after drainingSeconds).
        let drain_deadline = async move {
            let _ = stop_seen.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(HTTP_DRAIN).await;
        };
        let served = tokio::select! {
            served = served => served,
            () = drain_deadline => {
                tracing::warn!("requests still open {}s after the stop; closing them", HTTP_DRAIN.as_secs());
                Ok(())
            }
        };

        let _ = self.stopping.send(true);
        let drained = tokio::time::timeout(WORKER_DRAIN, async {
            while workers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("workers still busy at shutdown; their jobs will be retried");
            workers.abort_all();
        }
        let _ = housekeeping.await;
        let _ = checkpoints.await;
        let _ = relay.await;
        let _ = self.db.close().await;
        tracing::info!("stopped");
        served.map_err(StartupError::Serve)
    }
}

async fn api_not_found(uri: Uri) -> Response {
    crate::error::respond(&app::error::AppError::not_found(format!(
        "There is no API endpoint at {}.",
        uri.path()
    )))
}

/// At start: the index brought in line with the database (filled when new), and files of
/// uploads that never finished removed. In the background: startup does not wait for it.
async fn repair_knowledge(knowledge: KnowledgeBase) {
    match knowledge.reconcile().await {
        Ok((0, 0)) => {}
        Ok((indexed, removed)) => {
            tracing::info!(indexed, removed, "search index brought up to date")
        }
        Err(e) => tracing::error!(error = %e, "bringing the search index up to date failed"),
    }
    match upload::remove_orphans(&knowledge).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "unreferenced knowledge files removed"),
        Err(e) => tracing::warn!(error = %e, "removing unreferenced knowledge files failed"),
    }
}

/// Every second: a passive WAL checkpoint (SQLite), off the request path.
async fn checkpoints(db: DatabaseConnection, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = db::checkpoint(&db).await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// How long a delivery status may wait for its message (see `pending_statuses`).
const PENDING_STATUS_DAYS: i64 = 7;
/// How long dashboard events are kept for a dashboard catching up (see `db::events::prune`).
const EVENT_DAYS: i64 = 7;

/// Hourly: drop expired sessions and statuses that never found their message.
async fn housekeeping(
    db: DatabaseConnection,
    data_dir: std::path::PathBuf,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match crate::services::retention::purge(&db, &data_dir).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "messages past the retention period deleted"),
            Err(e) => {
                tracing::warn!(error = %e, "deleting messages past the retention period failed")
            }
        }
        match db::sessions::delete_expired(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
        }
        let horizon = chrono::Utc::now() - chrono::Duration::days(EVENT_DAYS);
        match db::events::prune(&db, horizon).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "old dashboard events dropped"),
            Err(e) => tracing::warn!(error = %e, "dropping old dashboard events failed"),
        }
        let horizon = chrono::Utc::now() - chrono::Duration::days(PENDING_STATUS_DAYS);
        match db::pending_statuses::prune(&db, horizon).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(statuses = n, "statuses of unknown messages dropped"),
            Err(e) => tracing::warn!(error = %e, "dropping old pending statuses failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// No owner yet: the setup link, with its token, where the operator looks (the log). Whoever
/// opens `/setup` without it cannot claim the dashboard. A warning, so `RUST_LOG=warn` keeps it.
fn announce_setup(config: &Config, token: &str) {
    let base = match &config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        // On Railway before a domain is generated: the address is not known yet.
        None if config.railway.is_some() => "https://<this service's domain>".to_owned(),
        None if config.host.is_unspecified() || config.host.is_loopback() => {
            format!("http://localhost:{}", config.port)
        }
        None => format!("http://{}", SocketAddr::new(config.host, config.port)),
    };
    tracing::warn!(
        setup_token = token,
        "No owner yet. Create the owner account at {base}/setup?token={token} (`replydesk setup-token` prints the token again)"
    );
}

/// Files under `DATA_DIR` that the next deploy would lose: on Railway, a service without a
/// volume, or a volume mounted somewhere else.
fn warn_about_lost_files(config: &Config) {
    let Some(railway) = &config.railway else {
        return;
    };
    match &railway.volume_mount_path {
        None => {
            let mut lost = vec!["uploaded documents", "WhatsApp media"];
            if config.database_url.expose_secret().starts_with("sqlite") {
                lost.push("the SQLite database (all conversations)");
            }
            if config.ai.secret_key.is_none() {
                lost.push("the generated secret key (set SECRET_KEY)");
            }
            tracing::warn!(
                data_dir = %config.data_dir.display(),
                "this Railway service has no volume: {} are lost at the next deploy; add a volume and mount it at DATA_DIR",
                lost.join(", ")
            );
        }
        Some(mount) if !config.data_dir.starts_with(mount) => tracing::warn!(
            data_dir = %config.data_dir.display(),
            volume = %mount.display(),
            "DATA_DIR is not on this service's volume: its files are lost at the next deploy; mount the volume at DATA_DIR (/data in the image), or set DATA_DIR to the volume's mount path"
        ),
        Some(_) => {}
    }
}

fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("RAILWAY_REPLICA_ID"))
        .unwrap_or_else(|_| "local".to_owned());
    format!("{host}:{}", std::process::id())
}
