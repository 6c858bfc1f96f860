//! The command line: `serve` (default), `migrate`, `reset-password`, `backup`, `restore`,
//! `simulate`.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::Context;
use migration::MigratorTrait;
use secrecy::SecretString;

use crate::config::Config;
use crate::services::accounts::AccountsService;
use crate::startup::open_database;

pub const USAGE: &str = "\
Replydesk — a self-hosted WhatsApp AI customer-support assistant.

Usage:
  replydesk [serve]                        Start the server (the default)
  replydesk migrate [status]               Apply database migrations, or list their state
  replydesk reset-password --email EMAIL   Set a new owner password read from standard input
                                           (or generated and printed when none is given),
                                           turn two-step sign-in off, and log out every
                                           session of that owner
  replydesk setup-token                    Print the token the setup page asks for (while
                                           no owner exists)
  replydesk backup FILE                    Write the database and the files under DATA_DIR
                                           to FILE (a zip; safe while the server runs)
  replydesk restore FILE [--replace]       Restore a backup into DATABASE_URL and DATA_DIR
                                           (SQLite or PostgreSQL, whichever made it); refuses
                                           a database with data unless --replace. Stop the
                                           server first
  replydesk simulate [options]             Post signed WhatsApp webhook deliveries to a
                                           server, and report throughput and latency
                                           (replydesk simulate --help)
  replydesk --help | --version

Configuration comes from environment variables; see .env.example.";

#[derive(Debug, PartialEq)]
pub enum Command {
    Serve,
    Migrate {
        status_only: bool,
    },
    ResetPassword {
        email: String,
    },
    SetupToken,
    Backup {
        file: PathBuf,
    },
    Restore {
        file: PathBuf,
        replace: bool,
    },
    Simulate(crate::loadgen::Options),
    SimulateHelp,
    /// The server's document reader, run by the server itself (see `knowledge::extract::child`).
    Extract(Vec<String>),
    Help,
    Version,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let args: Vec<String> = args.into_iter().collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["-h" | "--help" | "help"] => Ok(Command::Help),
        ["-V" | "--version" | "version"] => Ok(Command::Version),
        ["migrate"] | ["migrate", "up"] => Ok(Command::Migrate { status_only: false }),
        ["migrate", "status"] => Ok(Command::Migrate { status_only: true }),
        ["reset-password", "--email", email] => Ok(Command::ResetPassword {
            email: (*email).to_owned(),
        }),
        ["reset-password", flag] if flag.starts_with("--email=") => Ok(Command::ResetPassword {
            email: flag.trim_start_matches("--email=").to_owned(),
        }),
        ["reset-password", ..] => Err("reset-password needs --email EMAIL".to_owned()),
        ["setup-token"] => Ok(Command::SetupToken),
        ["backup", file] => Ok(Command::Backup { file: file.into() }),
        ["backup", ..] => Err("backup needs the FILE to write".to_owned()),
        ["restore", file] | ["restore", file, "--replace"] | ["restore", "--replace", file]
            if !file.starts_with("--") =>
        {
            Ok(Command::Restore {
                file: file.into(),
                replace: words.contains(&"--replace"),
            })
        }
        ["restore", ..] => {
            Err("restore needs the backup FILE (and optionally --replace)".to_owned())
        }
        ["extract", rest @ ..] => Ok(Command::Extract(
            rest.iter().map(|word| (*word).to_owned()).collect(),
        )),
        ["simulate", "--help" | "-h"] => Ok(Command::SimulateHelp),
        ["simulate", rest @ ..] => crate::loadgen::parse(rest).map(Command::Simulate),
        _ => Err(format!("unknown command: {}\n\n{USAGE}", words.join(" "))),
    }
}

pub async fn migrate(config: &Config, status_only: bool) -> anyhow::Result<()> {
    // open_database applies pending migrations; `status` then lists them all as applied.
    let db = open_database(config).await?;
    if status_only {
        for migration in migration::Migrator::get_migration_with_status(&db).await? {
            println!("{:?}\t{}", migration.status(), migration.name());
        }
    } else {
        println!("Database is up to date.");
    }
    db.close().await?;
    Ok(())
}

pub async fn simulate(config: &Config, options: &crate::loadgen::Options) -> anyhow::Result<()> {
    let report = crate::loadgen::run(options, config.whatsapp.app_secret.clone()).await?;
    crate::loadgen::print(options, &report);
    if report.failed > 0 {
        anyhow::bail!(
            "{} deliveries were not acknowledged with 200",
            report.failed
        );
    }
    Ok(())
}

pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let manifest = crate::backup::create(&db, &config.data_dir, file)
        .await
        .with_context(|| format!("writing the backup to {}", file.display()))?;
    db.close().await?;
    let rows: u64 = manifest.tables.values().sum();
    println!(
        "Backup written to {}: {rows} rows from {}, {} files.",
        file.display(),
        manifest.engine,
        manifest.files
    );
    Ok(())
}

pub async fn restore(config: &Config, file: &Path, replace: bool) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let manifest = crate::backup::restore(&db, &config.data_dir, file, replace)
        .await
        .with_context(|| format!("restoring {}", file.display()))?;
    db.close().await?;
    let rows: u64 = manifest.tables.values().sum();
    println!(
        "Restored {rows} rows and {} files from a {} backup of {} into {}. The search index is rebuilt when the server starts; everybody signs in again.",
        manifest.files,
        manifest.engine,
        manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
        config.database_url_redacted()
    );
    Ok(())
}

/// `replydesk setup-token`: the token of a server that has no owner yet (the same one its log
/// shows), for an operator who has a shell but lost the log.
pub async fn setup_token(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let token = AccountsService::new(db.clone())
        .open_setup_token()
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    db.close().await?;
    match token {
        Some(token) => {
            println!("{token}");
            Ok(())
        }
        None => anyhow::bail!(
            "this Replydesk already has an owner, so setup is closed; to get in, use `replydesk reset-password --email EMAIL`"
        ),
    }
}

pub async fn reset_password(config: &Config, email: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let given = if stdin.is_terminal() {
        String::new()
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the new password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let generated = given.is_empty();
    let password = if generated {
        crate::auth::password::generate()
    } else {
        given
    };

    let db = open_database(config).await?;
    let accounts = AccountsService::new(db.clone());
    accounts
        .reset_password(email, SecretString::from(password.clone()))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    db.close().await?;
    if generated {
        println!("New password for {email}: {password}");
    } else {
        println!("Password for {email} changed.");
    }
    println!("Every session of this owner has been logged out.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command, String> {
        parse(words.iter().map(|w| (*w).to_owned()))
    }

    #[test]
    fn commands() {
        assert_eq!(parse_words(&[]), Ok(Command::Serve));
        assert_eq!(parse_words(&["serve"]), Ok(Command::Serve));
        assert_eq!(
            parse_words(&["migrate"]),
            Ok(Command::Migrate { status_only: false })
        );
        assert_eq!(
            parse_words(&["migrate", "status"]),
            Ok(Command::Migrate { status_only: true })
        );
        assert_eq!(
            parse_words(&["reset-password", "--email", "a@b.co"]),
            Ok(Command::ResetPassword {
                email: "a@b.co".into()
            })
        );
        assert_eq!(
            parse_words(&["reset-password", "--email=a@b.co"]),
            Ok(Command::ResetPassword {
                email: "a@b.co".into()
            })
        );
        assert!(parse_words(&["reset-password"]).is_err());
        assert_eq!(parse_words(&["setup-token"]), Ok(Command::SetupToken));
        assert!(parse_words(&["setup-token", "x"]).is_err());
        assert_eq!(
            parse_words(&["backup", "b.zip"]),
            Ok(Command::Backup {
                file: "b.zip".into()
            })
        );
        assert_eq!(
            parse_words(&["restore", "--replace", "b.zip"]),
            Ok(Command::Restore {
                file: "b.zip".into(),
                replace: true
            })
        );
        assert_eq!(
            parse_words(&["restore", "b.zip"]),
            Ok(Command::Restore {
                file: "b.zip".into(),
                replace: false
            })
        );
        assert!(parse_words(&["restore"]).is_err());
        assert!(parse_words(&["restore", "--replace"]).is_err());
        assert!(parse_words(&["backup"]).is_err());
        assert!(parse_words(&["frobnicate"]).is_err());
        assert_eq!(parse_words(&["--version"]), Ok(Command::Version));
    }
}
