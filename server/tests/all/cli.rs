//! The `replydesk` binary as an operator runs it: configuration errors, migrate, setup-token,
//! reset-password, and a graceful stop on SIGTERM.

use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use app::ports::Accounts;
use common::{Engine, TestDb, EMAIL, PASSWORD};
use replydesk::services::accounts::AccountsService;

fn replydesk(vars: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_replydesk"))
        .env_clear()
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn replydesk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    for (vars, var) in [
        (vec![("PORT", "abc")], "PORT"),
        (
            vec![("DATABASE_URL", "mysql://localhost/x")],
            "DATABASE_URL",
        ),
        (vec![("LOG_FORMAT", "yaml")], "LOG_FORMAT"),
        // Parses, but nothing listens there: still the operator's to fix, still exit 2.
        (
            vec![("DATABASE_URL", "postgres://nobody@127.0.0.1:1/replydesk")],
            "DATABASE_URL",
        ),
    ] {
        let mut vars = vars.clone();
        vars.push(("DATA_DIR", data_dir));
        let output = replydesk(&vars, &["serve"], "");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{vars:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        let line = message.lines().last().unwrap_or_default();
        assert!(
            line.starts_with(&format!("replydesk: {var}")),
            "{vars:?}: {message}"
        );
    }
    let output = replydesk(&[], &["frobnicate"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage"));
}

on_both_engines!(migrate_setup_token_and_reset_password);

async fn migrate_setup_token_and_reset_password(engine: Engine) {
    let db = TestDb::new(engine).await;
    let data_dir = db.data_dir.path().to_str().expect("utf-8").to_owned();
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("DATA_DIR", data_dir.as_str()),
    ];

    let output = replydesk(&vars, &["migrate"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let output = replydesk(&vars, &["migrate", "status"], "");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Applied"));

    let conn = db.connect().await;
    let accounts = AccountsService::new(conn.clone());
    // No owner yet: `setup-token` prints the token setup asks for (the one the log shows).
    let output = replydesk(&vars, &["setup-token"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_eq!(
        accounts.open_setup_token().await.expect("token"),
        Some(printed.clone())
    );
    accounts
        .setup(app::model::SetupInput {
            business_name: "Shop".into(),
            email: EMAIL.into(),
            password: PASSWORD.into(),
            setup_token: printed,
        })
        .await
        .expect("setup");
    // Once there is an owner it says how to get in instead.
    let output = replydesk(&vars, &["setup-token"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("reset-password"),
        "{}",
        stderr(&output)
    );

    // Two-step sign-in on, and the phone lost: a reset on the server turns it off too.
    let owner = accounts
        .login(EMAIL, PASSWORD, None, "127.0.0.1")
        .await
        .expect("login");
    let setup = accounts.two_factor_setup(owner.id).await.expect("setup");
    let code = common::totp_code(&setup.secret, common::unix_now());
    accounts
        .enable_two_factor(owner.id, &setup.secret, &code, PASSWORD)
        .await
        .expect("two-step sign-in on");
    assert!(accounts
        .login(EMAIL, PASSWORD, None, "127.0.0.1")
        .await
        .is_err());

    // A password from standard input.
    let output = replydesk(
        &vars,
        &["reset-password", "--email", EMAIL],
        "a fresh password 42\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(accounts
        .login(EMAIL, "a fresh password 42", None, "127.0.0.1")
        .await
        .is_ok());
    assert!(accounts
        .login(EMAIL, PASSWORD, None, "127.0.0.1")
        .await
        .is_err());

    // None given: one is generated and printed.
    let output = replydesk(&vars, &["reset-password", "--email", EMAIL], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("New password for {EMAIL}: ")))
        .expect("generated password printed")
        .to_owned();
    assert!(accounts
        .login(EMAIL, &generated, None, "127.0.0.1")
        .await
        .is_ok());

    // Unknown owner and too-short password are refused with a reason.
    let output = replydesk(
        &vars,
        &["reset-password", "--email", "who@example.com"],
        "long enough password\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("No owner has the email"));
    let output = replydesk(&vars, &["reset-password", "--email", EMAIL], "short\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("at least 10"));
}

#[tokio::test]
async fn serves_until_sigterm_then_exits_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_replydesk"))
        .env_clear()
        .env("RUST_LOG", "warn")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATA_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let health = format!("http://127.0.0.1:{port}/api/health");
    let client = common::client();
    let mut healthy = false;
    for _ in 0..300 {
        if let Ok(res) = client.get(&health).send().await {
            healthy = res.status() == 200;
            if healthy {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "server never became healthy");
    assert!(
        dir.path().join("replydesk.db").exists(),
        "SQLite file created in DATA_DIR"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}
