//! Boots the real application on port 0 against a fresh database — a SQLite file in a temporary
//! directory, or a new PostgreSQL database when `TEST_DATABASE_URL` is a PostgreSQL URL — and
//! speaks HTTP to it.

pub mod fake_graph;
pub mod fake_llm;
pub mod meta;
pub mod process;

use std::path::PathBuf;
use std::time::Duration;

use replydesk::config::JobsConfig;
use replydesk::jobs::Queue;
use replydesk::{Application, Config, StartupError};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery";
pub const BUSINESS: &str = "Café Lima";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Whether PostgreSQL tests run. CI must run them: there a missing URL is an error, not a skip.
pub fn postgres_enabled() -> bool {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => true,
        _ if std::env::var("CI").is_ok() => {
            panic!("CI must set TEST_DATABASE_URL to a PostgreSQL URL")
        }
        _ => {
            eprintln!("PostgreSQL variant skipped: TEST_DATABASE_URL is not set");
            false
        }
    }
}

/// Generates, for each named `async fn name(engine: Engine)`, a test on SQLite and one on
/// PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_enabled() {
                    super::$name($crate::common::Engine::Postgres).await
                }
            }
        }
    )*};
}

/// A fresh, empty database of `engine`, with its data directory.
pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    pub data_dir: TempDir,
}

impl TestDb {
    pub async fn new(engine: Engine) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let url = match engine {
            Engine::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("replydesk.db").display()
            ),
            Engine::Postgres => create_postgres_database().await,
        };
        Self {
            engine,
            url,
            data_dir,
        }
    }

    pub fn config(&self) -> Config {
        let mut config = Config::from_lookup(|_| None).expect("default config");
        config.data_dir = self.data_dir.path().to_path_buf();
        config.database_url = SecretString::from(self.url.clone());
        config.jobs = fast_jobs();
        // The test binary is not replydesk: uploads are read by the real one.
        config.extract.program = PathBuf::from(env!("CARGO_BIN_EXE_replydesk"));
        // Tests never reach out: without a fake Graph server, Graph calls fail at once here.
        config.whatsapp.graph_url = url::Url::parse("http://127.0.0.1:9/").expect("url");
        config
    }

    pub async fn connect(&self) -> DatabaseConnection {
        let db = replydesk::db::connect(&self.url).await.expect("connect");
        replydesk::db::migrate(&db).await.expect("migrate");
        db
    }
}

/// A PostgreSQL test database is dropped with its test, so runs leave none behind. Drop cannot
/// wait on the test's runtime, so a thread of its own connects and drops it (`FORCE`, from
/// PostgreSQL 13, ends the connections a server that was not stopped still holds).
impl Drop for TestDb {
    fn drop(&mut self) {
        if self.engine != Engine::Postgres {
            return;
        }
        let Some(name) = url::Url::parse(&self.url)
            .ok()
            .map(|u| u.path().trim_start_matches('/').to_owned())
        else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin_url =
                    std::env::var("TEST_DATABASE_URL").map_err(std::io::Error::other)?;
                let admin = Database::connect(&admin_url)
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("the test database was not dropped: {e}");
        }
    }
}

pub fn fast_jobs() -> JobsConfig {
    JobsConfig {
        workers: 2,
        poll_interval: Duration::from_millis(50),
        lease: Duration::from_secs(30),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(2),
    }
}

async fn create_postgres_database() -> String {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let name = format!("rd_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// A running server.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub queue: Queue,
    pub outbound: replydesk::whatsapp::outbound::Outbound,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), StartupError>>>,
}

pub fn client() -> reqwest::Client {
    replydesk::crypto::http_client()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn start(config: Config) -> Self {
        let app = Application::build(config).await.expect("app boots");
        let db = app.db.clone();
        let queue = app.queue.clone();
        let outbound = app.outbound.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.serve(listener, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            client: client(),
            db,
            queue,
            outbound,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops gracefully and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    /// POSTs JSON to `path` as `client` (a browser with its own cookies).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        self.call_with(client, path, &[], body).await
    }

    /// Like [`TestApp::call`], with extra request headers.
    pub async fn call_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        headers: &[(&str, &str)],
        body: Value,
    ) -> reqwest::Response {
        let mut request = client.post(self.url(path)).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    /// POSTs JSON to `path` as this app's own client.
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.call(&self.client, path, body).await
    }

    /// GETs `path` as `client`.
    pub async fn get_as(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(&self.client, path).await
    }

    /// Sends only the headers of a POST declaring `length` bytes, and returns the status and body
    /// of the answer: an HTTP client would fail writing a body the server never reads.
    pub async fn post_headers_only(&self, path: &str, length: usize) -> (u16, String) {
        self.headers_only(path, length, &[("Content-Type", "application/json")])
            .await
    }

    /// As [`Self::post_headers_only`], with these headers (a session cookie, a content type).
    pub async fn headers_only(
        &self,
        path: &str,
        length: usize,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut socket = tokio::net::TcpStream::connect(host).await.expect("connect");
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {length}\r\nConnection: close\r\n\r\n{{"
        );
        socket.write_all(head.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, answer)
    }

    /// The owner's session cookie (`name=value`), from a sign-in of its own.
    pub async fn session_cookie(&self) -> String {
        let plain = replydesk::crypto::http_client().build().expect("client");
        let res = self.login_with(&plain, EMAIL, PASSWORD).await;
        assert_eq!(res.status(), 200);
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("replydesk_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned()
    }

    /// The setup token this server printed at boot (read where it keeps it, the database).
    pub async fn setup_token(&self) -> String {
        use replydesk::db::settings::{self, keys};
        settings::get(&self.db, keys::SETUP_TOKEN)
            .await
            .expect("read the setup token")
            .expect("a setup token while no owner exists")
    }

    /// Creates the owner through the setup API (which also signs this client in).
    pub async fn setup_owner(&self) {
        let res = self
            .post("/api/auth/setup", setup_body(&self.setup_token().await))
            .await;
        assert_eq!(
            res.status(),
            200,
            "setup: {}",
            res.text().await.unwrap_or_default()
        );
    }

    pub async fn login_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.call(
            client,
            "/api/auth/login",
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }
}

/// The setup request for the standard test owner, with the server's setup token.
pub fn setup_body(setup_token: &str) -> Value {
    serde_json::json!({"input": {"business_name": BUSINESS, "email": EMAIL, "password": PASSWORD, "setup_token": setup_token}})
}

/// Asserts a 200, showing the body when it is not.
pub async fn expect_ok(res: reqwest::Response) {
    let status = res.status();
    assert_eq!(status, 200, "{}", res.text().await.unwrap_or_default());
}

pub async fn json(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({status}): {e}: {text}"))
}

/// A server on a fresh database of `engine`; the database lives as long as the returned guard.
pub async fn spawn_app(engine: Engine) -> (TestApp, TestDb) {
    let db = TestDb::new(engine).await;
    let app = TestApp::start(db.config()).await;
    (app, db)
}

/// Serves `router` on a free loopback port for the rest of the test; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A free loopback port, for a server started as its own process.
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("addr").port()
}

/// Waits until the server process on `port` answers its health check.
pub async fn healthy(port: u16) {
    let health = format!("http://127.0.0.1:{port}/api/health");
    let client = client();
    eventually("the server to answer its health check", || async {
        let res = client.get(&health).send().await.ok()?;
        (res.status() == 200).then_some(())
    })
    .await;
}

/// Waits until `check` returns `Some`, and returns it (a guard against hanging, not a timing).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    // A guard against hanging, not a speed check: generous, so a busy machine never fails it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Back-dates the customer's last message in a conversation by `hours` (past 24, the window
/// for free-form replies has closed).
pub async fn customer_wrote_hours_ago(app: &TestApp, conversation_id: i32, hours: i64) {
    use replydesk::db::entities::conversation;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let mut row: conversation::ActiveModel = conversation::Entity::find_by_id(conversation_id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row")
        .into();
    row.last_inbound_at = Set(Some(chrono::Utc::now() - chrono::Duration::hours(hours)));
    row.update(&app.db).await.expect("update");
}

/// A server with WhatsApp set up against a fake Graph API, and its owner signed in.
pub async fn spawn_connected(engine: Engine) -> (TestApp, fake_graph::FakeGraph, TestDb) {
    let graph = fake_graph::FakeGraph::start().await;
    let db = TestDb::new(engine).await;
    let app = TestApp::start(connected(&db, &graph)).await;
    app.setup_owner().await;
    (app, graph, db)
}

/// The configuration of `db` with WhatsApp fully set up against `graph`.
pub fn connected(db: &TestDb, graph: &fake_graph::FakeGraph) -> Config {
    let mut config = db.config();
    config.whatsapp.graph_url = url::Url::parse(&graph.url).expect("url");
    config.whatsapp.access_token = Some(fake_graph::TOKEN.to_owned().into());
    config.whatsapp.phone_number_id = Some(fake_graph::PHONE_ID.to_owned());
    config.whatsapp.app_secret = Some(meta::SECRET.to_owned().into());
    config.whatsapp.verify_token = Some(meta::VERIFY.to_owned().into());
    config
}

/// A customer and their conversation, started at `created`, written straight to the database
/// (for scenarios with exact times); the conversation's id.
pub async fn seed_conversation(
    db: &DatabaseConnection,
    wa_id: &str,
    created: chrono::DateTime<chrono::Utc>,
    simulated: bool,
) -> i32 {
    use replydesk::db::entities::{conversation, customer};
    use sea_orm::{ActiveModelTrait, Set};
    let customer = customer::ActiveModel {
        wa_id: Set(wa_id.to_owned()),
        notes: Set(String::new()),
        tags: Set("[]".to_owned()),
        first_seen_at: Set(created),
        last_seen_at: Set(created),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("customer");
    conversation::ActiveModel {
        customer_id: Set(customer.id),
        status: Set("open".to_owned()),
        ai_enabled: Set(true),
        handoff: Set("none".to_owned()),
        priority: Set(false),
        unread_count: Set(0),
        tags: Set("[]".to_owned()),
        simulated: Set(simulated),
        replied_through: Set(0),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("conversation")
    .id
}

/// The code an authenticator app with `secret` (base32) shows at `unix` seconds.
pub fn totp_code(secret: &str, unix: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name("owner")
        .build()
        .expect("totp")
        .generate(unix)
        .to_string()
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}
