//! The deployment files against Railway's rules (see docs/DEPLOYMENT.md), and the image's
//! entrypoint run the way a container runs it: as root on a root-owned volume, and as another
//! user. No Docker engine is needed: the rules are checked in the files, the runtime conditions
//! are made here (a root-owned, mode-755 directory; `setpriv` to another uid).

use crate::common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{free_port, spawn_app, Engine};
use replydesk::startup::SHUTDOWN_BUDGET;

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Dockerfile's instructions, continuation lines joined, comments dropped: (keyword, rest).
fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (keyword, rest) = pending.split_once(' ').unwrap_or((&pending, ""));
                out.push((keyword.to_ascii_uppercase(), rest.trim().to_owned()));
                pending.clear();
            }
        }
    }
    out
}

/// The instructions of the stage that starts with the last `FROM` (what the image runs).
fn final_stage(all: &[(String, String)]) -> &[(String, String)] {
    let start = all.iter().rposition(|(k, _)| k == "FROM").expect("a FROM");
    &all[start..]
}

#[test]
fn the_dockerfile_follows_railways_builder_rules() {
    let all = instructions(&repo_file("Dockerfile"));
    // Railway refuses any VOLUME ("docker VOLUME … is not supported, use Railway Volumes").
    assert!(
        all.iter().all(|(k, _)| k != "VOLUME"),
        "Railway's builder refuses a VOLUME instruction"
    );

    let run = final_stage(&all);
    // It starts as root, so the entrypoint can hand a root-owned volume over; the entrypoint
    // drops to the unprivileged user itself.
    assert!(
        run.iter()
            .all(|(k, v)| k != "USER" || v == "root" || v == "0"),
        "the running image must start as root: {run:?}"
    );
    // The last of an instruction is the one in effect.
    let last = |keyword: &str| {
        run.iter()
            .rev()
            .find(|(k, _)| k == keyword)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        last("ENTRYPOINT"),
        Some(r#"["/usr/local/bin/docker-entrypoint.sh"]"#)
    );
    assert!(run.contains(&(
        "COPY".into(),
        "server/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh".into()
    )));
    assert_eq!(
        last("CMD"),
        Some(r#"["serve"]"#),
        "the entrypoint runs `replydesk serve`"
    );
    // The data directory the template mounts the volume on.
    assert!(run
        .iter()
        .any(|(k, v)| k == "ENV" && v.split_whitespace().any(|kv| kv == "DATA_DIR=/data")));

    // Fast rebuilds: the dependencies are cooked in a layer that does not see the sources, with
    // the flags cargo-leptos builds with (else the project's build would compile them again).
    let build_start = all
        .iter()
        .position(|(k, v)| k == "FROM" && v.ends_with("AS build"))
        .expect("a build stage");
    let build = &all[build_start..];
    let position = |what: &str| {
        build
            .iter()
            .position(|(_, v)| v.contains(what))
            .unwrap_or_else(|| panic!("the build stage has no `{what}`"))
    };
    let sources = build
        .iter()
        .position(|(k, v)| k == "COPY" && v == ". .")
        .expect("the sources are copied in");
    let cook_server = position("cargo chef cook --release");
    let cook_wasm = position("--target wasm32-unknown-unknown --target-dir target/front");
    let leptos = position("cargo leptos build --release --split");
    assert!(cook_server < sources && cook_wasm < sources && sources < leptos);
    let workspace: toml::Value = toml::from_str(&repo_file("Cargo.toml")).expect("Cargo.toml");
    let leptos_meta = &workspace["workspace"]["metadata"]["leptos"][0];
    let wasm_profile = leptos_meta["lib-profile-release"]
        .as_str()
        .expect("profile");
    assert!(build[cook_wasm]
        .1
        .contains(&format!("--profile {wasm_profile}")));
    assert!(
        build[cook_wasm].1.contains("--emit-relocs"),
        "--split keeps relocations"
    );
    let bin = leptos_meta["bin-target"].as_str().expect("bin");
    assert!(build[cook_server].1.contains(&format!("--bin {bin}")));
}

#[test]
fn railway_toml_checks_health_and_drains_the_shutdown() {
    let text = repo_file("railway.toml");
    let config: toml::Value = toml::from_str(&text).expect("railway.toml parses");
    assert_eq!(config["build"]["builder"].as_str(), Some("DOCKERFILE"));
    let dockerfile = config["build"]["dockerfilePath"].as_str().expect("path");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dockerfile)
        .is_file());
    let deploy = &config["deploy"];
    assert_eq!(deploy["healthcheckPath"].as_str(), Some("/api/health"));
    // A number (Railway refuses a string here), beyond the server's longest stop.
    let draining = deploy["drainingSeconds"]
        .as_integer()
        .expect("drainingSeconds is a number");
    assert!(
        u64::try_from(draining).expect("positive") >= SHUTDOWN_BUDGET.as_secs() + 3,
        "drainingSeconds {draining} leaves no room for a {SHUTDOWN_BUDGET:?} stop"
    );
    // A service with a volume cannot have replicas.
    assert!(deploy
        .get("numReplicas")
        .is_none_or(|n| n.as_integer() == Some(1)));
    // Every key says why it is there.
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let is_key = line.contains(" = ") && !line.trim_start().starts_with('#');
        if is_key && !line.starts_with("\"$schema\"") {
            assert!(
                n > 0 && lines[n - 1].trim_start().starts_with('#'),
                "railway.toml line {}: `{line}` has no comment above it",
                n + 1
            );
        }
    }
}

/// Every relative link of the documentation a newcomer reads first, as `(file, target)`, with
/// the targets that do not exist in the repository.
fn broken_links() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pages = vec![
        PathBuf::from("README.md"),
        PathBuf::from("CONTRIBUTING.md"),
        PathBuf::from("bench/README.md"),
    ];
    for entry in fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path.strip_prefix(&root).expect("under root").to_path_buf());
        }
    }
    let mut broken = Vec::new();
    for page in pages {
        let text = fs::read_to_string(root.join(&page)).expect("page");
        let dir = page.parent().unwrap_or(Path::new(""));
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..]
                .chars()
                .take_while(|c| !matches!(c, ')' | '#' | ' '))
                .collect();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !root.join(dir).join(&target).exists() {
                broken.push((page.display().to_string(), target));
            }
        }
    }
    broken
}

#[test]
fn documentation_links_resolve_inside_the_repository() {
    assert_eq!(broken_links(), Vec::<(String, String)>::new());
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../LICENSE")
            .exists(),
        "the README says MIT: the license text ships with the code"
    );
}

#[test]
fn the_build_context_leaves_out_local_state() {
    let ignored = repo_file(".dockerignore");
    for entry in ["target/", "node_modules/", "data/", ".env", ".git/"] {
        assert!(
            ignored.lines().any(|l| l.trim() == entry),
            ".dockerignore lacks {entry}"
        );
    }
}

on_both_engines!(the_health_check_path_answers_without_a_session);

async fn the_health_check_path_answers_without_a_session(engine: Engine) {
    let config: toml::Value = toml::from_str(&repo_file("railway.toml")).expect("toml");
    let path = config["deploy"]["healthcheckPath"].as_str().expect("path");
    let (app, _db) = spawn_app(engine).await;
    let res = app.get_as(&common::client(), path).await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

// --- the entrypoint -------------------------------------------------------------------------

const SERVER_UID: u32 = 10001;

fn is_root() -> bool {
    rustix::process::getuid().is_root()
}

/// A directory anyone may enter (temp dirs are 0700), with the binary and the entrypoint linked
/// in: the unprivileged user must be able to run them wherever this checkout lives.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).expect("bin");
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).expect("chmod");
        for (from, to) in [
            (PathBuf::from(env!("CARGO_BIN_EXE_replydesk")), "replydesk"),
            (
                Path::new(env!("CARGO_MANIFEST_DIR")).join("docker-entrypoint.sh"),
                "docker-entrypoint.sh",
            ),
        ] {
            // A hard link, not a copy: a file just written is "busy" to exec while any other
            // test's fork still holds the write descriptor (tests share this process).
            if fs::hard_link(&from, bin.join(to)).is_err() {
                fs::copy(&from, bin.join(to)).expect("copy");
            }
            fs::set_permissions(bin.join(to), fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the entrypoint and waits until the server answers; checks it runs as `uid`.
    async fn serve(&self, data_dir: &Path, as_uid: Option<u32>, uid: u32) -> Child {
        let port = free_port();
        let mut child = self
            .entrypoint(data_dir, port, as_uid)
            .spawn()
            .expect("start the entrypoint");
        healthy(&mut child, port).await;
        // The script exec'd into the server: the process it started is the server.
        assert_eq!(uid_of(child.id()), uid);
        child
    }

    /// The entrypoint, as `docker run` starts it (optionally as `as_uid`), serving on `port`.
    fn entrypoint(&self, data_dir: &Path, port: u16, as_uid: Option<u32>) -> Command {
        let script = self.path("bin/docker-entrypoint.sh");
        let mut command = match as_uid {
            None => Command::new(&script),
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "--",
                ])
                .arg(&script);
                c
            }
        };
        command
            .arg("serve")
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:/usr/sbin:/usr/bin:/sbin:/bin",
                    self.path("bin").display()
                ),
            )
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }
}

/// Waits for `/api/health` to answer 200; panics with the server's output if it exits first.
async fn healthy(child: &mut Child, port: u16) {
    let client = common::client();
    for _ in 0..600 {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/api/health"))
            .send()
            .await
        {
            if res.status() == 200 {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                use std::io::Read;
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("the server exited ({status}) before answering: {err}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server never answered /api/health");
}

/// The uid the process `pid` runs as (from /proc).
fn uid_of(pid: u32) -> u32 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
        .expect("a Uid line")
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

#[tokio::test]
async fn started_as_root_on_a_root_owned_volume_it_serves_as_the_unprivileged_user() {
    if !is_root() {
        eprintln!("skipped: needs root to play the container's start (CI runs as root)");
        return;
    }
    let sandbox = Sandbox::new();
    // What Railway mounts: owned by root, mode 755, with a file a root shell left there.
    let volume = sandbox.path("volume");
    fs::create_dir(&volume).expect("volume");
    fs::set_permissions(&volume, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::create_dir(volume.join("knowledge")).expect("knowledge");
    fs::write(volume.join("knowledge/restored-by-root.pdf"), b"%PDF").expect("file");
    assert_eq!(fs::metadata(&volume).expect("meta").uid(), 0);

    let child = sandbox.serve(&volume, None, SERVER_UID).await;
    for created in ["replydesk.db", "index", "secret.key"] {
        let meta = fs::metadata(volume.join(created))
            .unwrap_or_else(|e| panic!("{created} in the volume: {e}"));
        assert_eq!(meta.uid(), SERVER_UID, "{created}");
    }
    for handed_over in [&volume, &volume.join("knowledge/restored-by-root.pdf")] {
        assert_eq!(fs::metadata(handed_over).expect("meta").uid(), SERVER_UID);
    }
    stop(child);

    // A second start finds nothing to change and serves again.
    stop(sandbox.serve(&volume, None, SERVER_UID).await);
}

#[tokio::test]
async fn started_as_another_user_it_just_runs_or_says_why_not() {
    let sandbox = Sandbox::new();
    // As root this test plays `docker run --user 10002`; otherwise it is already another user.
    let (as_uid, uid) = if is_root() {
        (Some(10002), 10002)
    } else {
        (None, rustix::process::getuid().as_raw())
    };
    let writable = sandbox.path("mine");
    fs::create_dir(&writable).expect("dir");
    if is_root() {
        Command::new("chown")
            .arg(format!("{uid}:{uid}"))
            .arg(&writable)
            .status()
            .expect("chown");
    }
    let child = sandbox.serve(&writable, as_uid, uid).await;
    assert_eq!(
        fs::metadata(writable.join("replydesk.db"))
            .expect("db")
            .uid(),
        uid
    );
    stop(child);

    // A directory it cannot write: one clear line and exit code 73, not a restart loop of
    // cryptic errors.
    let locked = sandbox.path("locked");
    fs::create_dir(&locked).expect("dir");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).expect("chmod");
    let output = sandbox
        .entrypoint(&locked, free_port(), as_uid)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(73), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("replydesk: DATA_DIR:") && line.contains("is not writable"),
        "{stderr}"
    );
}

#[test]
fn as_root_it_hands_over_only_a_data_directory() {
    if !is_root() {
        eprintln!("skipped: needs root to play the container's start (CI runs as root)");
        return;
    }
    let sandbox = Sandbox::new();
    let data = sandbox.path("data");
    for (dir, uid) in [
        ("/", "10001"),
        ("/usr/local/bin", "10001"),
        ("data", "10001"),
        (data.to_str().expect("utf-8"), "0"),
        (data.to_str().expect("utf-8"), "00"),
        (data.to_str().expect("utf-8"), "root"),
    ] {
        let output = sandbox
            .entrypoint(Path::new(dir), free_port(), None)
            .env("REPLYDESK_UID", uid)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{dir} as {uid}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("replydesk: "), "{stderr}");
    }
    assert!(!data.exists(), "nothing was created for a refused start");
    assert_eq!(fs::metadata("/usr/local/bin").expect("meta").uid(), 0);
}
