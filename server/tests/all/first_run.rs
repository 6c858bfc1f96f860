//! A first start with nothing configured, as the `replydesk` binary runs it: the owner is
//! created with the setup token read from the server's log; with no `SECRET_KEY` the WhatsApp
//! token, app secret and an AI key are saved all the same (a key generated into
//! `DATA_DIR/secret.key`, mode 0600), read back after a restart, kept when `SECRET_KEY` is
//! set later (even once the file is gone), and never shown in an API answer, the log or a
//! backup.

use crate::common;

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::fake_graph::{FakeGraph, PHONE_ID, TOKEN};
use common::fake_llm::FakeLlm;
use common::meta::SECRET;
use serde_json::{json, Value};

const AI_KEY: &str = "sk-first-run-0123456789abcdefghij";

/// The binary, serving on its own port, its output appended to one log file.
struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &Path, log: &Path, graph_url: &str) -> Server {
    start_with(data_dir, log, graph_url, &[])
}

fn start_with(data_dir: &Path, log: &Path, graph_url: &str, vars: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_replydesk"))
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATA_DIR", data_dir)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("WHATSAPP_GRAPH_URL", graph_url)
        .envs(vars.iter().copied())
        .stdout(Stdio::from(out.try_clone().expect("clone")))
        .stderr(Stdio::from(out))
        .spawn()
        .expect("spawn replydesk");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

impl Server {
    async fn healthy(&mut self) {
        let client = common::client();
        for _ in 0..600 {
            if let Ok(res) = client.get(format!("{}/api/health", self.base)).send().await {
                if res.status() == 200 {
                    return;
                }
            }
            assert!(
                self.child.try_wait().expect("wait").is_none(),
                "the server exited early"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never answered /api/health");
    }

    async fn post(&self, client: &reqwest::Client, path: &str, body: Value) -> (u16, String) {
        let res = client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// The owner, signed in again (a new browser).
    async fn log_in(&self) -> reqwest::Client {
        let owner = common::client();
        let (status, body) = self
            .post(
                &owner,
                "/api/auth/login",
                json!({"email": common::EMAIL, "password": common::PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        owner
    }

    /// Settings' "Check connection": Meta (the fake) called with the saved token.
    async fn whatsapp_check(&self, owner: &reqwest::Client) -> Value {
        let (_, check) = self
            .post(owner, "/api/settings/whatsapp/check", json!({}))
            .await;
        serde_json::from_str(&check).expect("json")
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "exit after SIGTERM: {status:?}");
    }
}

/// The setup token, as an operator finds it: in the log's "No owner yet" line.
fn token_from_log(log: &Path) -> String {
    let text = fs::read_to_string(log).expect("log");
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|entry| {
            // JSON logs put each field at the top level (flattened events).
            let token = entry["setup_token"].as_str()?;
            let message = entry["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(&format!("/setup?token={token}")),
                "{message}"
            );
            Some(token.to_owned())
        })
        .unwrap_or_else(|| panic!("no setup token in the log:\n{text}"))
}

fn assert_secret_free(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} shows a secret ({secret})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_configured_still_keeps_secrets_and_only_the_log_reader_claims_it() {
    let graph = FakeGraph::start().await;
    let llm = FakeLlm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let log = dir.path().join("server.log");
    let mut server = start(&data_dir, &log, &graph.url);
    server.healthy().await;

    // Whoever opens /setup first without the log gets nowhere.
    let stranger = common::client();
    let owner_input = |token: &str| {
        json!({"input": {"business_name": "Café Lima", "email": common::EMAIL,
                         "password": common::PASSWORD, "setup_token": token}})
    };
    let (status, _) = server
        .post(&stranger, "/api/auth/setup", owner_input(""))
        .await;
    assert_eq!(status, 400);
    let owner = common::client();
    let token = token_from_log(&log);
    let (status, body) = server
        .post(&owner, "/api/auth/setup", owner_input(&token))
        .await;
    assert_eq!(status, 200, "{body}");

    // Saved without SECRET_KEY: the WhatsApp form and an AI provider's key.
    let (status, body) = server
        .post(
            &owner,
            "/api/settings/whatsapp",
            json!({"input": {"phone_number_id": PHONE_ID, "access_token": TOKEN, "app_secret": SECRET}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let saved: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(saved["refused"], json!([]), "{saved}");
    let key_file = data_dir.join("secret.key");
    assert_eq!(
        saved["settings"]["secret_key_file"]
            .as_str()
            .map(PathBuf::from),
        Some(key_file.clone())
    );
    let provider = json!({"kind": "custom", "base_url": llm.base("main"), "model": "main-model"});
    let mut with_key = provider.clone();
    with_key["api_key"] = json!(AI_KEY);
    let (status, body) = server
        .post(&owner, "/api/ai/chain", json!({ "chain": [with_key] }))
        .await;
    assert_eq!(status, 200, "{body}");

    // The generated key: only this user may read it.
    let mode = fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = fs::read_to_string(&key_file)
        .expect("key")
        .trim()
        .to_owned();
    assert!(key.len() >= 32);
    let secrets = [TOKEN, SECRET, AI_KEY, key.as_str()];

    // Never in an API answer…
    for path in ["/api/settings", "/api/ai/settings", "/api/system/overview"] {
        let (status, body) = server.post(&owner, path, json!({})).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_secret_free(path, &body, &secrets);
    }
    // …nor in a backup (sealed, and the key is not in it).
    let backup = owner
        .get(format!("{}/api/settings/backup", server.base))
        .send()
        .await
        .expect("backup");
    assert_eq!(backup.status(), 200);
    let bytes = backup.bytes().await.expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").into_owned();
        assert!(
            !name.ends_with("secret.key"),
            "the key file is in the backup"
        );
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read entry");
        assert_secret_free(&name, &String::from_utf8_lossy(&content), &secrets);
    }

    // A restart reads them back: Meta and the AI provider are called with them.
    server.stop();
    let mut server = start(&data_dir, &log, &graph.url);
    server.healthy().await;
    let owner = server.log_in().await;
    let check = server.whatsapp_check(&owner).await;
    assert_eq!(check["ok"], true, "{check}");
    let (_, test) = server
        .post(&owner, "/api/ai/test", json!({ "provider": provider }))
        .await;
    let test: Value = serde_json::from_str(&test).expect("json");
    assert_eq!(test["ok"], true, "{test}");
    let calls = llm.calls();
    let used = calls.last().and_then(|c| c.authorization.clone());
    assert_eq!(used.as_deref(), Some(format!("Bearer {AI_KEY}").as_str()));
    server.stop();

    // SECRET_KEY set later: the start moves the saved secrets to it, so the generated file can
    // go without losing them.
    let secret_key = [("SECRET_KEY", "an operator's SECRET_KEY, set after a while")];
    let mut server = start_with(&data_dir, &log, &graph.url, &secret_key);
    server.healthy().await;
    server.stop();
    fs::remove_file(&key_file).expect("remove the generated key");
    let mut server = start_with(&data_dir, &log, &graph.url, &secret_key);
    server.healthy().await;
    let check = server.whatsapp_check(&server.log_in().await).await;
    assert_eq!(check["ok"], true, "{check}");
    server.stop();
    assert!(
        !key_file.exists(),
        "no key is generated while SECRET_KEY is set"
    );

    // The log of both runs says where the key is, and shows none of the secrets (the setup
    // token is the one thing it is meant to show).
    let text = fs::read_to_string(&log).expect("log");
    assert!(text.contains("SECRET_KEY is not set"), "{text}");
    assert!(
        text.contains("saved secrets moved to the current key"),
        "{text}"
    );
    assert!(!text.contains("cannot be opened"), "{text}");
    assert_secret_free("the log", &text, &secrets);
    assert_secret_free("the log", &text, &[secret_key[0].1]);
}
