//! Configuration comes from the environment only, with defaults that make a bare
//! `cargo leptos serve` work: SQLite under ./data, port 3000, nothing else required.
//! Every variable is listed in `.env.example` and the README.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use app::validate;

use crate::client_address::{TrustedProxies, DEFAULT_TRUSTED_PROXIES};

/// A variable that is set to something unusable. Printed as one line and the process exits 2.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The owner created at boot when none exists (the Railway template path).
#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: SecretString,
    pub business_name: String,
}

/// How much customers' files may take: one file, all customers' together, one customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    /// `WHATSAPP_MEDIA_MAX_MB`.
    pub file_bytes: u64,
    /// `WHATSAPP_MEDIA_TOTAL_MB`: the disk's share for customers' files.
    pub total_bytes: u64,
    /// `WHATSAPP_MEDIA_PER_CUSTOMER_MB`: so one customer cannot fill it.
    pub customer_bytes: u64,
}

/// WhatsApp Cloud API: where the Graph API is, and the credentials.
#[derive(Debug, Clone)]
pub struct WhatsAppConfig {
    /// `WHATSAPP_GRAPH_URL`: Meta's Graph API, or a fake in tests.
    pub graph_url: Url,
    /// `WHATSAPP_API_VERSION`, e.g. `v25.0`.
    pub api_version: String,
    /// Whether `api_version` was set in the environment (which then wins over the dashboard).
    pub api_version_from_env: bool,
    pub access_token: Option<SecretString>,
    pub phone_number_id: Option<String>,
    pub app_secret: Option<SecretString>,
    pub verify_token: Option<SecretString>,
    /// How long a send that got no answer from Meta waits for a status webhook to confirm it
    /// before it is declared failed (never resent). Not read from the environment.
    pub confirmation_wait: Duration,
    /// `WHATSAPP_MEDIA_MAX_MB`, `WHATSAPP_MEDIA_TOTAL_MB`, `WHATSAPP_MEDIA_PER_CUSTOMER_MB`:
    /// inbound files past these are not downloaded (the message says why).
    pub media: MediaLimits,
}

impl WhatsAppConfig {
    pub fn is_configured(&self) -> bool {
        self.access_token.is_some() && self.phone_number_id.is_some() && self.app_secret.is_some()
    }
}

/// LLM providers from the environment, and the key that encrypts keys entered in the dashboard.
#[derive(Debug, Clone, Default)]
pub struct AiConfig {
    pub openrouter_api_key: Option<SecretString>,
    pub openai_api_key: Option<SecretString>,
    pub anthropic_api_key: Option<SecretString>,
    /// A custom OpenAI-compatible endpoint (Ollama, vLLM, Groq, …) with its key and model.
    pub llm_base_url: Option<Url>,
    pub llm_api_key: Option<SecretString>,
    pub llm_model: Option<String>,
    /// `SECRET_KEY`: encrypts provider keys stored in the database. Without it, keys can only
    /// come from the environment.
    pub secret_key: Option<SecretString>,
}

/// The shortest `SECRET_KEY` accepted: a guessable key would make the encryption decorative.
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// Background job tuning. Not read from the environment: tests shorten these.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub workers: usize,
    pub poll_interval: Duration,
    /// How long a claim lasts unless renewed: how soon another worker takes over a job whose
    /// worker crashed.
    pub lease: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            // Extraction waits on the blocking pool; sends and downloads wait on Meta: more
            // slots than cores keeps one slow kind of job from holding up the others.
            workers: 4,
            poll_interval: Duration::from_secs(1),
            // Renewed every third of it while the job runs (the heartbeat): after a crash, a
            // job is taken over within this time, never while its worker is alive.
            lease: Duration::from_secs(30),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(600),
        }
    }
}

/// What Railway tells the service about itself (absent elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RailwayFacts {
    /// `RAILWAY_VOLUME_MOUNT_PATH`: where the service's volume is mounted, if it has one.
    pub volume_mount_path: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// May carry a password: never logged as is (see [`Config::database_url_redacted`]).
    pub database_url: SecretString,
    pub public_url: Option<Url>,
    pub admin: Option<AdminBootstrap>,
    pub log_format: LogFormat,
    pub whatsapp: WhatsAppConfig,
    pub ai: AiConfig,
    pub jobs: JobsConfig,
    /// Set when running on Railway.
    pub railway: Option<RailwayFacts>,
    /// `TRUSTED_PROXIES`: the peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How uploaded files are read: this binary as a confined child process, with
    /// `EXTRACT_MEMORY_MB` of memory.
    pub extract: Isolation,
}

const MAX_VALUE_LEN: usize = 4096;
const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
/// The Graph API version used unless `WHATSAPP_API_VERSION` says otherwise.
const DEFAULT_API_VERSION: &str = "v25.0";

/// `v` followed by a major and a minor number, as Meta versions its API.
pub fn is_api_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major
                    .bytes()
                    .chain(minor.bytes())
                    .all(|b| b.is_ascii_digit())
        })
}

/// A whole number of megabytes within `range` (`default` when unset), in bytes.
fn megabytes(
    get: &impl Fn(&'static str) -> Result<Option<String>, ConfigError>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let mb = match get(name)? {
        None => default,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|mb| range.contains(mb))
            .ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!(
                        "must be a whole number of megabytes from {} to {} (got {v:?})",
                        range.start(),
                        range.end()
                    ),
                )
            })?,
    };
    Ok(mb * 1024 * 1024)
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty value counts as unset: Railway and .env files often carry `NAME=`.
        let get = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) if v.len() > MAX_VALUE_LEN => Err(ConfigError::new(
                    name,
                    format!("is longer than {MAX_VALUE_LEN} bytes"),
                )),
                Some(v) => Ok(Some(v.trim().to_owned())),
            }
        };
        let secret = |name: &'static str| get(name).map(|v| v.map(SecretString::from));

        let host = match get("HOST")? {
            None => IpAddr::from([0, 0, 0, 0]),
            Some(v) => v.parse().map_err(|_| {
                ConfigError::new(
                    "HOST",
                    format!("must be an IP address such as 0.0.0.0 or 127.0.0.1 (got {v:?})"),
                )
            })?,
        };
        let port = match get("PORT")? {
            None => 3000,
            Some(v) => v.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                ConfigError::new(
                    "PORT",
                    format!("must be a number from 1 to 65535 (got {v:?})"),
                )
            })?,
        };
        // Railway: the volume, wherever the deployer mounted it, unless DATA_DIR says otherwise.
        let volume_mount_path = get("RAILWAY_VOLUME_MOUNT_PATH")?.map(PathBuf::from);
        let railway = (get("RAILWAY_ENVIRONMENT")?.is_some()
            || get("RAILWAY_PROJECT_ID")?.is_some())
        .then(|| RailwayFacts {
            volume_mount_path: volume_mount_path.clone(),
        });
        let data_dir = match get("DATA_DIR")? {
            Some(dir) => PathBuf::from(dir),
            None => volume_mount_path.unwrap_or_else(|| PathBuf::from("./data")),
        };

        let database_url = match get("DATABASE_URL")? {
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("replydesk.db").display()
            ),
            Some(v) => {
                let scheme = v.split_once(':').map(|(s, _)| s).unwrap_or_default();
                if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
                    return Err(ConfigError::new(
                        "DATABASE_URL",
                        "must start with sqlite:// or postgres:// (leave it unset to use SQLite in DATA_DIR)",
                    ));
                }
                if scheme != "sqlite" {
                    Url::parse(&v).map_err(|e| {
                        ConfigError::new("DATABASE_URL", format!("is not a valid URL: {e}"))
                    })?;
                }
                v
            }
        };

        // Railway names the service's public domain; PUBLIC_URL, when set, wins.
        let railway_domain =
            get("RAILWAY_PUBLIC_DOMAIN")?.map(|domain| format!("https://{domain}"));
        let public_url = match get("PUBLIC_URL")?.or(railway_domain) {
            None => None,
            Some(v) => {
                let url = Url::parse(&v).map_err(|e| {
                    ConfigError::new(
                        "PUBLIC_URL",
                        format!("is not a valid URL ({e}); use e.g. https://support.example.com"),
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(ConfigError::new(
                        "PUBLIC_URL",
                        "must be an http:// or https:// address such as https://support.example.com",
                    ));
                }
                Some(url)
            }
        };

        let admin = match (get("ADMIN_EMAIL")?, secret("ADMIN_PASSWORD")?) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "ADMIN_PASSWORD",
                    "must be set when ADMIN_EMAIL is set",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "ADMIN_EMAIL",
                    "must be set when ADMIN_PASSWORD is set",
                ))
            }
            (Some(email), Some(password)) => {
                let email = validate::email(&email)
                    .map_err(|e| ConfigError::new("ADMIN_EMAIL", e.message))?;
                validate::new_password("ADMIN_PASSWORD", password.expose_secret())
                    .map_err(|e| ConfigError::new("ADMIN_PASSWORD", e.message))?;
                let business_name = match get("BUSINESS_NAME")? {
                    None => "My business".to_owned(),
                    Some(name) => validate::business_name(&name)
                        .map_err(|e| ConfigError::new("BUSINESS_NAME", e.message))?,
                };
                Some(AdminBootstrap {
                    email,
                    password,
                    business_name,
                })
            }
        };

        let log_format = match get("LOG_FORMAT")?.as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("must be pretty or json (got {other:?})"),
                ))
            }
        };

        let llm_base_url = match get("LLM_BASE_URL")? {
            None => None,
            Some(v) => Some(Url::parse(&v).map_err(|e| {
                ConfigError::new("LLM_BASE_URL", format!("is not a valid URL: {e}"))
            })?),
        };

        let secret_key = secret("SECRET_KEY")?;
        if secret_key
            .as_ref()
            .is_some_and(|k| k.expose_secret().len() < MIN_SECRET_KEY_LEN)
        {
            return Err(ConfigError::new(
                "SECRET_KEY",
                format!(
                    "must be at least {MIN_SECRET_KEY_LEN} characters (e.g. `openssl rand -hex 32`)"
                ),
            ));
        }
        let llm_model = get("LLM_MODEL")?;
        if llm_base_url.is_some() && llm_model.is_none() {
            return Err(ConfigError::new(
                "LLM_MODEL",
                "must be set when LLM_BASE_URL is set (the model to ask, e.g. llama3.1)",
            ));
        }

        Ok(Self {
            host,
            port,
            data_dir,
            database_url: SecretString::from(database_url),
            public_url,
            admin,
            log_format,
            whatsapp: WhatsAppConfig {
                graph_url: match get("WHATSAPP_GRAPH_URL")? {
                    None => Url::parse(DEFAULT_GRAPH_URL).map_err(|e| {
                        ConfigError::new("WHATSAPP_GRAPH_URL", e.to_string())
                    })?,
                    Some(v) => Url::parse(&v)
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                        .ok_or_else(|| {
                            ConfigError::new(
                                "WHATSAPP_GRAPH_URL",
                                format!("must be an http(s) URL such as {DEFAULT_GRAPH_URL} (got {v:?})"),
                            )
                        })?,
                },
                api_version: match get("WHATSAPP_API_VERSION")? {
                    None => DEFAULT_API_VERSION.to_owned(),
                    Some(v) if is_api_version(&v) => v,
                    Some(v) => {
                        return Err(ConfigError::new(
                            "WHATSAPP_API_VERSION",
                            format!("must look like {DEFAULT_API_VERSION} (got {v:?})"),
                        ))
                    }
                },
                api_version_from_env: get("WHATSAPP_API_VERSION")?.is_some(),
                access_token: secret("WHATSAPP_ACCESS_TOKEN")?,
                phone_number_id: get("WHATSAPP_PHONE_NUMBER_ID")?,
                app_secret: secret("WHATSAPP_APP_SECRET")?,
                verify_token: secret("WHATSAPP_VERIFY_TOKEN")?,
                confirmation_wait: Duration::from_secs(600),
                media: MediaLimits {
                    file_bytes: megabytes(&get, "WHATSAPP_MEDIA_MAX_MB", 100, 1..=1024)?,
                    total_bytes: megabytes(&get, "WHATSAPP_MEDIA_TOTAL_MB", 10_240, 1..=10_000_000)?,
                    customer_bytes: megabytes(
                        &get,
                        "WHATSAPP_MEDIA_PER_CUSTOMER_MB",
                        500,
                        1..=10_000_000,
                    )?,
                },
            },
            ai: AiConfig {
                openrouter_api_key: secret("OPENROUTER_API_KEY")?,
                openai_api_key: secret("OPENAI_API_KEY")?,
                anthropic_api_key: secret("ANTHROPIC_API_KEY")?,
                llm_base_url,
                llm_api_key: secret("LLM_API_KEY")?,
                llm_model,
                secret_key,
            },
            jobs: JobsConfig::default(),
            railway,
            trusted_proxies: TrustedProxies::parse(
                get("TRUSTED_PROXIES")?
                    .as_deref()
                    .unwrap_or(DEFAULT_TRUSTED_PROXIES),
            )
            .map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))?,
            extract: Isolation {
                memory_bytes: megabytes(
                    &get,
                    "EXTRACT_MEMORY_MB",
                    Isolation::DEFAULT_MEMORY_MB,
                    128..=16384,
                )?,
                ..Isolation::current_exe()
            },
        })
    }

    /// Cookies get the `Secure` flag when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }

    /// The database URL with any password replaced, for log lines and error messages.
    pub fn database_url_redacted(&self) -> String {
        let raw = self.database_url.expose_secret();
        match Url::parse(raw) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => raw.to_owned(),
        }
    }
}

/// How the server starts an extraction in a child process (`knowledge::extract::child`).
#[derive(Debug, Clone)]
pub struct Isolation {
    /// This binary (`replydesk`); tests point it at the built binary.
    pub program: PathBuf,
    /// The child's address-space limit (`EXTRACT_MEMORY_MB`).
    pub memory_bytes: u64,
}

impl Isolation {
    pub const DEFAULT_MEMORY_MB: u64 = 512;

    /// The running binary with the default memory limit.
    pub fn current_exe() -> Self {
        Self {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("replydesk")),
            memory_bytes: Self::DEFAULT_MEMORY_MB * 1024 * 1024,
        }
    }

    pub fn memory_mb(&self) -> u64 {
        self.memory_bytes / (1024 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.port, 3000);
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(
            c.database_url.expose_secret(),
            "sqlite://./data/replydesk.db?mode=rwc"
        );
        assert!(c.admin.is_none());
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(!c.secure_cookies());
        assert!(!c.whatsapp.is_configured());
        assert_eq!(c.whatsapp.graph_url.as_str(), "https://graph.facebook.com/");
        assert_eq!(c.whatsapp.api_version, "v25.0");
        assert!(crate::ai::saved::environment_chain(&c.ai).is_empty());
        assert!(c.ai.secret_key.is_none());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (vars, var) in [
            (vec![("SECRET_KEY", "short")], "SECRET_KEY"),
            (
                vec![("LLM_BASE_URL", "http://localhost:11434/v1")],
                "LLM_MODEL",
            ),
            (vec![("PORT", "abc")], "PORT"),
            (vec![("PORT", "0")], "PORT"),
            (vec![("PORT", "70000")], "PORT"),
            (vec![("HOST", "localhost:80")], "HOST"),
            (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (vec![("DATABASE_URL", "postgres://[bad")], "DATABASE_URL"),
            (vec![("PUBLIC_URL", "support.example.com")], "PUBLIC_URL"),
            (vec![("PUBLIC_URL", "ftp://example.com")], "PUBLIC_URL"),
            (vec![("LOG_FORMAT", "xml")], "LOG_FORMAT"),
            (vec![("ADMIN_EMAIL", "owner@example.com")], "ADMIN_PASSWORD"),
            (vec![("ADMIN_PASSWORD", "long enough pass")], "ADMIN_EMAIL"),
            (
                vec![
                    ("ADMIN_EMAIL", "nope"),
                    ("ADMIN_PASSWORD", "long enough pass"),
                ],
                "ADMIN_EMAIL",
            ),
            (
                vec![
                    ("ADMIN_EMAIL", "a@example.com"),
                    ("ADMIN_PASSWORD", "short"),
                ],
                "ADMIN_PASSWORD",
            ),
            (vec![("LLM_BASE_URL", "not a url")], "LLM_BASE_URL"),
            (
                vec![("WHATSAPP_GRAPH_URL", "graph.facebook.com")],
                "WHATSAPP_GRAPH_URL",
            ),
            (vec![("WHATSAPP_API_VERSION", "25")], "WHATSAPP_API_VERSION"),
            (
                vec![("WHATSAPP_API_VERSION", "v25")],
                "WHATSAPP_API_VERSION",
            ),
        ] {
            let err = config(&vars).expect_err("should be rejected");
            assert_eq!(err.var, var, "{vars:?}: {err}");
        }
    }

    #[test]
    fn admin_bootstrap_and_https() {
        let c = config(&[
            ("ADMIN_EMAIL", " Owner@Example.com "),
            ("ADMIN_PASSWORD", "long enough pass"),
            ("BUSINESS_NAME", "Café Lima"),
            ("PUBLIC_URL", "https://support.example.com"),
            ("PORT", "8080"),
            ("LOG_FORMAT", "json"),
        ])
        .expect("valid");
        let admin = c.admin.as_ref().expect("admin");
        assert_eq!(admin.email, "owner@example.com");
        assert_eq!(admin.business_name, "Café Lima");
        assert!(c.secure_cookies());
        assert_eq!(c.port, 8080);
        assert_eq!(c.log_format, LogFormat::Json);
    }

    #[test]
    fn railway_facts_fill_the_gaps_and_explicit_values_win() {
        let c = config(&[
            ("RAILWAY_ENVIRONMENT", "production"),
            ("RAILWAY_VOLUME_MOUNT_PATH", "/app/storage"),
            (
                "RAILWAY_PUBLIC_DOMAIN",
                "replydesk-production.up.railway.app",
            ),
        ])
        .expect("valid");
        assert_eq!(c.data_dir, PathBuf::from("/app/storage"));
        assert_eq!(
            c.public_url.as_ref().map(Url::as_str),
            Some("https://replydesk-production.up.railway.app/")
        );
        assert!(c.secure_cookies());
        assert_eq!(
            c.railway,
            Some(RailwayFacts {
                volume_mount_path: Some(PathBuf::from("/app/storage"))
            })
        );
        let c = config(&[
            ("RAILWAY_PROJECT_ID", "abc"),
            ("RAILWAY_VOLUME_MOUNT_PATH", "/app/storage"),
            (
                "RAILWAY_PUBLIC_DOMAIN",
                "replydesk-production.up.railway.app",
            ),
            ("DATA_DIR", "/data"),
            ("PUBLIC_URL", "https://support.example.com"),
        ])
        .expect("valid");
        assert_eq!(c.data_dir, PathBuf::from("/data"));
        assert_eq!(
            c.public_url.as_ref().map(Url::as_str),
            Some("https://support.example.com/")
        );
        assert!(config(&[]).expect("valid").railway.is_none());
        // A domain that is not one is named by the variable it became.
        let err = config(&[("RAILWAY_PUBLIC_DOMAIN", "bad domain")]).expect_err("refused");
        assert_eq!(err.var, "PUBLIC_URL");
    }

    #[test]
    fn empty_means_unset_and_passwords_are_redacted() {
        let c = config(&[
            ("PORT", ""),
            (
                "DATABASE_URL",
                "postgres://app:hunter2@db.internal:5432/replydesk",
            ),
        ])
        .expect("valid");
        assert_eq!(c.port, 3000);
        let shown = c.database_url_redacted();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.internal"));
    }
}
