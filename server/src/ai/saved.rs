//! The AI's settings as stored: behaviour, the fallback chain (keys sealed) and the price table,
//! each one JSON value under its settings key. Missing or unreadable values fall back to the
//! defaults, so an upgrade that adds a field never breaks a running bot.

use app::model::{AiBehaviour, ModelPrice, ProviderView};
use sea_orm::{ConnectionTrait, DbErr};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use super::pricing;
use super::provider::{default_base_url, Link};
use crate::config::AiConfig;
use crate::crypto::seal::Sealer;
use crate::db::settings;

pub const BEHAVIOUR: &str = "ai.behaviour";
pub const CHAIN: &str = "ai.chain";
pub const PRICES: &str = "ai.prices";

/// A link of the chain as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLink {
    pub kind: String,
    #[serde(default)]
    pub base_url: Option<String>,
    pub model: String,
    /// The key, sealed with `SECRET_KEY`; absent = the environment's key for this kind.
    #[serde(default)]
    pub sealed_key: Option<String>,
}

async fn load<T: serde::de::DeserializeOwned>(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<T>, DbErr> {
    Ok(settings::get(db, key).await?.and_then(|raw| {
        serde_json::from_str(&raw)
            .map_err(|e| tracing::warn!(key, error = %e, "unreadable AI setting; using defaults"))
            .ok()
    }))
}

pub async fn save<T: Serialize>(
    db: &impl ConnectionTrait,
    key: &str,
    value: &T,
) -> Result<(), DbErr> {
    let raw = serde_json::to_string(value).map_err(|e| DbErr::Custom(e.to_string()))?;
    settings::set(db, key, &raw).await
}

pub async fn behaviour(db: &impl ConnectionTrait) -> Result<AiBehaviour, DbErr> {
    Ok(load(db, BEHAVIOUR).await?.unwrap_or_default())
}

pub async fn prices(db: &impl ConnectionTrait) -> Result<Vec<ModelPrice>, DbErr> {
    Ok(load(db, PRICES).await?.unwrap_or_else(pricing::defaults))
}

pub async fn stored_chain(db: &impl ConnectionTrait) -> Result<Vec<StoredLink>, DbErr> {
    Ok(load(db, CHAIN).await?.unwrap_or_default())
}

/// The environment's key for a link — only toward the address it was issued for: the
/// provider's own API, or `LLM_BASE_URL` for `custom`. A base URL typed in the dashboard (or
/// sent to `/api/ai/test`) never carries a key it was not given with.
fn env_key<'a>(env: &'a AiConfig, kind: &str, base_url: Option<&str>) -> Option<&'a SecretString> {
    let (key, home) = match kind {
        "openrouter" => (env.openrouter_api_key.as_ref(), default_base_url(kind)),
        "openai" => (env.openai_api_key.as_ref(), default_base_url(kind)),
        "anthropic" => (env.anthropic_api_key.as_ref(), default_base_url(kind)),
        _ => (
            env.llm_api_key.as_ref(),
            env.llm_base_url.as_ref().map(Url::as_str),
        ),
    };
    let goes_home = match (base_url, home) {
        // A hosted provider's link without an address goes to the provider's own API; a
        // custom one without an address goes nowhere.
        (None, Some(_)) => kind != "custom",
        (Some(url), Some(home)) => same_address(url, home),
        (_, None) => false,
    };
    key.filter(|_| goes_home)
}

/// Whether two base URLs name the same endpoint (scheme, host, port and path; a trailing
/// slash and letter case in the host do not matter).
fn same_address(a: &str, b: &str) -> bool {
    let parts = |url: &str| {
        Url::parse(url).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_owned),
                u.port_or_known_default(),
                u.path().trim_end_matches('/').to_owned(),
                u.query().map(str::to_owned),
            )
        })
    };
    matches!((parts(a), parts(b)), (Some(x), Some(y)) if x == y)
}

/// The providers the environment configures, in the order they are tried.
pub fn environment_chain(env: &AiConfig) -> Vec<StoredLink> {
    let mut chain = Vec::new();
    for kind in ["openrouter", "openai", "anthropic"] {
        if env_key(env, kind, None).is_some() {
            chain.push(StoredLink {
                kind: kind.to_owned(),
                base_url: None,
                model: super::provider::default_model(kind).to_owned(),
                sealed_key: None,
            });
        }
    }
    if let (Some(url), Some(model)) = (&env.llm_base_url, &env.llm_model) {
        chain.push(StoredLink {
            kind: "custom".to_owned(),
            base_url: Some(url.to_string()),
            model: model.clone(),
            sealed_key: None,
        });
    }
    chain
}

/// Where a link's key comes from.
fn key_source(link: &StoredLink, env: &AiConfig) -> &'static str {
    if link.sealed_key.is_some() {
        "dashboard"
    } else if env_key(env, &link.kind, link.base_url.as_deref()).is_some() {
        "environment"
    } else {
        "none"
    }
}

pub fn view(link: &StoredLink, env: &AiConfig) -> ProviderView {
    ProviderView {
        kind: link.kind.clone(),
        base_url: link
            .base_url
            .clone()
            .or_else(|| default_base_url(&link.kind).map(str::to_owned))
            .unwrap_or_default(),
        model: link.model.clone(),
        key_source: key_source(link, env).to_owned(),
    }
}

/// A stored link, ready to call; `None` when it cannot be (a hosted provider without a key).
pub fn resolve(link: &StoredLink, env: &AiConfig, sealer: &Sealer) -> Option<Link> {
    let api_key = match &link.sealed_key {
        Some(sealed) => match sealer.open(sealed) {
            Ok(key) => Some(key),
            Err(e) => {
                tracing::warn!(provider = %link.kind, error = %e, "stored provider key unusable; skipping");
                return None;
            }
        },
        None => env_key(env, &link.kind, link.base_url.as_deref()).cloned(),
    };
    if api_key.is_none() && link.kind != "custom" {
        return None;
    }
    let base_url = link
        .base_url
        .clone()
        .or_else(|| default_base_url(&link.kind).map(str::to_owned))?;
    Some(Link {
        kind: link.kind.clone(),
        base_url,
        model: link.model.clone(),
        api_key,
    })
}

/// The chain replies use: the dashboard's when it has one, else the environment's.
pub async fn effective_chain(
    db: &impl ConnectionTrait,
    env: &AiConfig,
    sealer: &Sealer,
) -> Result<Vec<Link>, DbErr> {
    let stored = stored_chain(db).await?;
    let chain = if stored.is_empty() {
        environment_chain(env)
    } else {
        stored
    };
    Ok(chain
        .iter()
        .filter_map(|link| resolve(link, env, sealer))
        .collect())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env() -> AiConfig {
        AiConfig {
            openai_api_key: Some("sk-env-openai".into()),
            llm_base_url: Some(Url::parse("http://ollama.internal:11434/v1").expect("url")),
            llm_api_key: Some("env-custom".into()),
            llm_model: Some("llama3.1".into()),
            ..AiConfig::default()
        }
    }

    fn key(kind: &str, base_url: Option<&str>) -> Option<String> {
        let env = env();
        env_key(&env, kind, base_url).map(|k| k.expose_secret().to_owned())
    }

    #[test]
    fn environment_keys_go_only_to_their_own_address() {
        assert_eq!(key("openai", None).as_deref(), Some("sk-env-openai"));
        assert_eq!(
            key("openai", Some("https://API.openai.com/v1/")).as_deref(),
            Some("sk-env-openai")
        );
        assert_eq!(key("openai", Some("https://attacker.example/v1")), None);
        assert_eq!(
            key("openai", Some("https://api.openai.com.attacker.example/v1")),
            None
        );
        assert_eq!(key("openai", Some("http://api.openai.com/v1")), None);
        assert_eq!(key("openai", Some("https://api.openai.com/v2")), None);
        assert_eq!(
            key("custom", Some("http://ollama.internal:11434/v1/")).as_deref(),
            Some("env-custom")
        );
        assert_eq!(key("custom", Some("http://ollama.internal:11435/v1")), None);
        assert_eq!(key("custom", None), None);
        assert_eq!(key("anthropic", None), None);
    }

    #[test]
    fn a_link_to_elsewhere_resolves_without_the_environment_key() {
        let sealer = Sealer::new(&SecretString::from("k".repeat(32)));
        let link = StoredLink {
            kind: "openai".into(),
            base_url: Some("https://collector.example/v1".into()),
            model: "gpt-4o-mini".into(),
            sealed_key: None,
        };
        assert!(resolve(&link, &env(), &sealer).is_none());
        assert_eq!(key_source(&link, &env()), "none");
    }
}
