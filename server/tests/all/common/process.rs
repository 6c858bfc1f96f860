//! The real `replydesk serve` in a process of its own, for what an in-process server cannot
//! show: its memory, its log, a `kill -9`, two replicas on one database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use super::{client, free_port, healthy, EMAIL, PASSWORD};

/// A server process, killed however the test ends.
pub struct ServerProcess {
    child: Child,
    pub base: String,
    /// Its log (standard output).
    pub log: PathBuf,
}

/// The binary on `database_url`, listening on `port`, with the standard owner: the environment
/// is cleared first, so the caller adds everything else it needs with `.env(…)`.
pub fn command(database_url: &str, data_dir: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_replydesk"));
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("ADMIN_EMAIL", EMAIL)
        .env("ADMIN_PASSWORD", PASSWORD);
    command
}

impl ServerProcess {
    /// Starts `command` (see [`command`]) on `port`, its log in `log`, and waits until it
    /// answers its health check.
    pub async fn start(mut command: Command, port: u16, log: &Path) -> Self {
        let child = command
            .stdout(std::fs::File::create(log).expect("log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn replydesk");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        healthy(port).await;
        server
    }

    /// [`command`] on a free port, started.
    pub async fn on(database_url: &str, data_dir: &Path, log: &Path) -> Self {
        let port = free_port();
        Self::start(command(database_url, data_dir, port), port, log).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A client signed in as the owner.
    pub async fn owner(&self) -> reqwest::Client {
        let owner = client();
        let res = owner
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200, "login");
        owner
    }

    /// `kill -9`, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
