//! The Settings port: the business profile, the WhatsApp number (values from the environment
//! win and are shown as such; secrets are sealed and never sent back), general limits, and the
//! connection check against the Graph API.

use app::error::AppError;
use app::model::{
    BusinessProfile, Change, ConnectionCheck, GeneralSettings, SettingValue, SettingsView,
    WhatsAppInput, WhatsAppSaved, WhatsAppSettings, MAX_FILES_RANGE, MAX_FILE_MB_RANGE,
    MAX_LANGUAGES, OUTBOUND_RATE_RANGE, RETENTION_DAYS_RANGE,
};
use app::ports::Settings;
use app::validate;
use async_trait::async_trait;
use chrono_tz::Tz;
use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;
use url::Url;

use crate::ai::saved as ai_settings;
use crate::config::is_api_version;
use crate::crypto::key_file::{KeyOrigin, ServerKey};
use crate::crypto::seal::Sealer;
use crate::db::settings::{self, keys};
use crate::error::Failure;
use crate::knowledge::upload_limits;
use crate::realtime::Bus;
use crate::whatsapp::client::{GraphClient, GraphError};
use crate::whatsapp::credentials::{keys as wa, Credentials, Source};
use crate::whatsapp::outbound::{self, Outbound};

pub struct SettingsService {
    db: DatabaseConnection,
    bus: Bus,
    credentials: Credentials,
    sealer: Sealer,
    graph: GraphClient,
    outbound: Outbound,
    public_url: Option<Url>,
    /// The generated key file, when `SECRET_KEY` is not set (shown in Settings).
    secret_key_file: Option<String>,
}

/// What [`reseal_saved_secrets`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Secrets only an earlier key opened, now sealed with the current one.
    pub resealed: usize,
    /// Secrets no key of this server opens (entered again by the owner, or they stay unset).
    pub unreadable: usize,
}

impl ResealReport {
    pub fn log(&self) {
        if self.resealed > 0 {
            tracing::info!(
                secrets = self.resealed,
                "saved secrets moved to the current key (the old key file is no longer needed for them)"
            );
        }
        if self.unreadable > 0 {
            tracing::error!(
                secrets = self.unreadable,
                "saved secrets cannot be opened with this server's key (SECRET_KEY changed, or DATA_DIR/secret.key was lost): enter the WhatsApp token, app secret and AI keys again in Settings"
            );
        }
    }
}

/// At start: every secret saved in the dashboard (the WhatsApp token and app secret, the AI
/// chain's keys) sealed with the current key, so a key the server only still accepts (the
/// generated file, once `SECRET_KEY` is set) can go; and a count of those no key opens.
pub async fn reseal_saved_secrets(
    db: &DatabaseConnection,
    sealer: &Sealer,
) -> Result<ResealReport, DbErr> {
    let mut report = ResealReport::default();
    let mut check = |sealed: &str| match sealer.reseal(sealed) {
        Ok(fresh) => {
            report.resealed += usize::from(fresh.is_some());
            fresh
        }
        Err(_) => {
            report.unreadable += 1;
            None
        }
    };
    let txn = crate::db::write_txn(db).await?;
    for key in [wa::ACCESS_TOKEN, wa::APP_SECRET] {
        let sealed = settings::get(&txn, key)
            .await?
            .filter(|v| !v.trim().is_empty());
        if let Some(fresh) = sealed.as_deref().and_then(&mut check) {
            settings::set(&txn, key, &fresh).await?;
        }
    }
    let mut chain = ai_settings::stored_chain(&txn).await?;
    let mut chain_changed = false;
    for link in &mut chain {
        if let Some(fresh) = link.sealed_key.as_deref().and_then(&mut check) {
            link.sealed_key = Some(fresh);
            chain_changed = true;
        }
    }
    if chain_changed {
        ai_settings::save(&txn, ai_settings::CHAIN, &chain).await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Days after which messages are deleted; 0 = never.
pub async fn retention_days(db: &impl ConnectionTrait) -> Result<u32, DbErr> {
    settings::number(db, keys::RETENTION_DAYS, (0, RETENTION_DAYS_RANGE.1), 0).await
}

fn in_range(field: &str, value: u32, range: (u32, u32), what: &str) -> Result<(), AppError> {
    if (range.0..=range.1).contains(&value) {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("{what} must be from {} to {}.", range.0, range.1),
        ))
    }
}

/// What a Graph API error means for the owner, and what to do.
pub fn explain(e: &GraphError) -> String {
    match e {
        GraphError::Api { code: 190, .. } => "Meta refused the access token: it is invalid or has expired. Create a permanent token (Meta Business settings → System users → Generate new token, with whatsapp_business_messaging and whatsapp_business_management) and paste it here.".to_owned(),
        GraphError::Api { code: 100, .. } => "Meta does not know this phone number id, or the token cannot see it. Copy the Phone number ID from WhatsApp Manager → API Setup (it is a long number, not the phone number itself).".to_owned(),
        GraphError::Api { code: 10 | 200..=299, .. } => "The token has no permission for this number: give its system user access to the WhatsApp account, with the whatsapp_business_management and whatsapp_business_messaging permissions.".to_owned(),
        GraphError::Api { code: 4 | 80007 | 130429, .. } => "Meta is rate-limiting this app right now: try again in a few minutes.".to_owned(),
        GraphError::Api { code, title, .. } => format!("Meta refused the request (error {code}: {title})."),
        GraphError::Http { status } => format!("The Graph API answered HTTP {status} without an explanation: check the API version (such as v25.0)."),
        GraphError::Unreachable(_) | GraphError::Network(_) => "This server could not reach Meta's Graph API: check its internet access (and WHATSAPP_GRAPH_URL if you set it).".to_owned(),
        GraphError::Unreadable(_) => "Meta's answer could not be read: check the API version.".to_owned(),
        GraphError::NotConfigured(_) => "Enter the phone number id and the access token first.".to_owned(),
    }
}

impl SettingsService {
    pub fn new(
        db: DatabaseConnection,
        bus: Bus,
        credentials: Credentials,
        key: &ServerKey,
        graph: GraphClient,
        outbound: Outbound,
        public_url: Option<Url>,
    ) -> Self {
        Self {
            db,
            bus,
            credentials,
            sealer: key.sealer.clone(),
            graph,
            outbound,
            public_url,
            secret_key_file: match &key.origin {
                KeyOrigin::Environment => None,
                KeyOrigin::Generated(path) => Some(path.display().to_string()),
            },
        }
    }

    /// Re-reads what this process keeps in memory; run on every `settings_changed`.
    pub async fn reload(&self) {
        if let Err(e) = self.credentials.reload(&self.db, &self.sealer).await {
            tracing::error!(error = %e, "reloading the WhatsApp settings failed");
        }
        self.outbound.reload_rate().await;
    }

    /// Follows `settings_changed` events (from this process and, through the relay, from the
    /// others) until the bus closes.
    pub async fn watch(self: std::sync::Arc<Self>) {
        let mut events = self.bus.subscribe();
        loop {
            match events.recv().await {
                Ok(event) if event.change == Change::SettingsChanged => self.reload().await,
                Ok(_) => {}
                // Fell behind: one of the missed events may have been a settings change.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.reload().await,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Stores `values` (key, value; `None` removes) and tells every process.
    async fn store(&self, values: Vec<(&str, Option<String>)>) -> Result<(), Failure> {
        let txn = crate::db::write_txn(&self.db).await?;
        for (key, value) in values {
            match value {
                Some(value) => settings::set(&txn, key, &value).await,
                None => settings::remove(&txn, key).await,
            }?;
        }
        self.bus.commit(txn, vec![Change::SettingsChanged]).await?;
        self.reload().await;
        Ok(())
    }

    /// A value in effect with its source; secrets are passed as `None` and never sent back.
    fn value(&self, key: &str, value: Option<String>) -> SettingValue {
        SettingValue {
            value: value.unwrap_or_default(),
            source: self.credentials.source(key).as_str().to_owned(),
        }
    }

    /// A verify token is needed before Meta can verify the webhook: one is made up the first
    /// time Settings is opened without one (the owner copies it into Meta's dashboard).
    async fn ensure_verify_token(&self) -> Result<(), Failure> {
        if self.credentials.current().verify_token.is_some() {
            return Ok(());
        }
        let token = format!("{:032x}", rand::thread_rng().gen::<u128>());
        // Two tabs at once: the first one's token stays.
        let _ = settings::insert_new(&self.db, wa::VERIFY_TOKEN, &token).await;
        Ok(self.credentials.reload(&self.db, &self.sealer).await?)
    }

    async fn view(&self) -> Result<SettingsView, Failure> {
        let db = &self.db;
        let (max_file_mb, max_files) = upload_limits(db).await?;
        let current = self.credentials.current();
        let languages = settings::get(db, keys::BUSINESS_LANGUAGES)
            .await?
            .map(|raw| crate::db::parse_tags(&raw))
            .unwrap_or_default();
        Ok(SettingsView {
            business: BusinessProfile {
                name: settings::get(db, keys::BUSINESS_NAME)
                    .await?
                    .unwrap_or_default(),
                timezone: super::analytics::timezone(db).await?.name().to_owned(),
                languages,
            },
            whatsapp: WhatsAppSettings {
                phone_number_id: self.value(wa::PHONE_NUMBER_ID, current.phone_number_id),
                access_token: self.value(wa::ACCESS_TOKEN, None),
                app_secret: self.value(wa::APP_SECRET, None),
                verify_token: self.value(
                    wa::VERIFY_TOKEN,
                    current.verify_token.map(|t| t.expose_secret().to_owned()),
                ),
                api_version: self.value(wa::API_VERSION, Some(current.api_version)),
                webhook_url: self
                    .public_url
                    .as_ref()
                    .and_then(|u| u.join("api/webhook/whatsapp").ok())
                    .map(|u| u.to_string()),
            },
            general: GeneralSettings {
                outbound_rate: outbound::stored_rate(db).await,
                max_file_mb,
                max_files,
                retention_days: retention_days(db).await?,
            },
            secret_key_file: self.secret_key_file.clone(),
        })
    }

    /// What to store for one WhatsApp field (`None` removes it), or why it is refused.
    fn whatsapp_value(
        &self,
        field: &str,
        key: &str,
        var: &str,
        given: &str,
    ) -> Result<Option<String>, AppError> {
        if self.credentials.source(key) == Source::Environment {
            return Err(AppError::invalid(
                field,
                format!("{var} is set in the environment, which wins: change it there."),
            ));
        }
        if given.is_empty() {
            return Ok(None);
        }
        let stored = match field {
            "phone_number_id" => {
                if !given.chars().all(|c| c.is_ascii_digit()) || !(5..=30).contains(&given.len()) {
                    return Err(AppError::invalid(
                        field,
                        "The phone number id is the long number from WhatsApp Manager → API Setup (digits only), not the phone number.",
                    ));
                }
                given.to_owned()
            }
            "access_token" => {
                token_like(field, given, 10, 1000)?;
                self.sealer.seal(given)
            }
            "app_secret" => {
                token_like(field, given, 8, 200)?;
                self.sealer.seal(given)
            }
            "verify_token" => {
                token_like(field, given, 8, 200)?;
                given.to_owned()
            }
            _ => {
                if !is_api_version(given) {
                    return Err(AppError::invalid(field, "Write the version as v25.0."));
                }
                given.to_owned()
            }
        };
        Ok(Some(stored))
    }
}

/// A token-like value: no spaces, within a length.
fn token_like(field: &str, value: &str, min: usize, max: usize) -> Result<(), AppError> {
    if value.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            field,
            "Paste it without spaces or line breaks.",
        ));
    }
    if !(min..=max).contains(&value.chars().count()) {
        return Err(AppError::invalid(
            field,
            format!("It should be {min} to {max} characters long."),
        ));
    }
    Ok(())
}

#[async_trait]
impl Settings for SettingsService {
    #[tracing::instrument(name = "settings.settings", skip_all)]
    async fn settings(&self) -> Result<SettingsView, AppError> {
        self.ensure_verify_token().await?;
        Ok(self.view().await?)
    }

    #[tracing::instrument(name = "settings.save_business", skip_all)]
    async fn save_business(&self, profile: BusinessProfile) -> Result<SettingsView, AppError> {
        let name = validate::business_name(&profile.name)?;
        let timezone = profile.timezone.trim();
        if timezone.parse::<Tz>().is_err() {
            return Err(AppError::invalid(
                "timezone",
                "Pick a time zone from the list (such as Europe/Lisbon or America/Sao_Paulo).",
            ));
        }
        let mut languages: Vec<String> = Vec::new();
        for language in &profile.languages {
            let language = language.trim();
            if language.is_empty() || languages.iter().any(|l| l.eq_ignore_ascii_case(language)) {
                continue;
            }
            if language.chars().count() > 40 {
                return Err(AppError::invalid(
                    "languages",
                    "A language name is at most 40 characters.",
                ));
            }
            languages.push(language.to_owned());
        }
        if languages.len() > MAX_LANGUAGES {
            return Err(AppError::invalid(
                "languages",
                format!("List at most {MAX_LANGUAGES} languages."),
            ));
        }
        self.store(vec![
            (keys::BUSINESS_NAME, Some(name)),
            (keys::BUSINESS_TIMEZONE, Some(timezone.to_owned())),
            (
                keys::BUSINESS_LANGUAGES,
                Some(crate::db::encode_tags(&languages)),
            ),
        ])
        .await?;
        Ok(self.view().await?)
    }

    #[tracing::instrument(name = "settings.save_whatsapp", skip_all)]
    async fn save_whatsapp(&self, input: WhatsAppInput) -> Result<WhatsAppSaved, AppError> {
        let fields = [
            (
                "phone_number_id",
                wa::PHONE_NUMBER_ID,
                "WHATSAPP_PHONE_NUMBER_ID",
                &input.phone_number_id,
            ),
            (
                "access_token",
                wa::ACCESS_TOKEN,
                "WHATSAPP_ACCESS_TOKEN",
                &input.access_token,
            ),
            (
                "app_secret",
                wa::APP_SECRET,
                "WHATSAPP_APP_SECRET",
                &input.app_secret,
            ),
            (
                "verify_token",
                wa::VERIFY_TOKEN,
                "WHATSAPP_VERIFY_TOKEN",
                &input.verify_token,
            ),
            (
                "api_version",
                wa::API_VERSION,
                "WHATSAPP_API_VERSION",
                &input.api_version,
            ),
        ];
        let mut values = Vec::new();
        let mut refused = Vec::new();
        for (field, key, var, given) in fields {
            let Some(given) = given.as_deref().map(str::trim) else {
                continue;
            };
            match self.whatsapp_value(field, key, var, given) {
                Ok(value) => values.push((key, value)),
                Err(e) => refused.push(e),
            }
        }
        if !values.is_empty() {
            self.store(values).await?;
        }
        Ok(WhatsAppSaved {
            settings: self.view().await?,
            refused,
        })
    }

    #[tracing::instrument(name = "settings.save_general", skip_all)]
    async fn save_general(&self, general: GeneralSettings) -> Result<SettingsView, AppError> {
        in_range(
            "outbound_rate",
            general.outbound_rate,
            OUTBOUND_RATE_RANGE,
            "The sending rate",
        )?;
        in_range(
            "max_file_mb",
            general.max_file_mb,
            MAX_FILE_MB_RANGE,
            "The largest upload",
        )?;
        in_range(
            "max_files",
            general.max_files,
            MAX_FILES_RANGE,
            "The number of files",
        )?;
        if general.retention_days != 0 {
            in_range(
                "retention_days",
                general.retention_days,
                RETENTION_DAYS_RANGE,
                "Days to keep messages (or 0 to keep them all)",
            )?;
        }
        self.store(vec![
            (keys::OUTBOUND_RATE, Some(general.outbound_rate.to_string())),
            (
                keys::KNOWLEDGE_MAX_FILE_MB,
                Some(general.max_file_mb.to_string()),
            ),
            (
                keys::KNOWLEDGE_MAX_FILES,
                Some(general.max_files.to_string()),
            ),
            (
                keys::RETENTION_DAYS,
                Some(general.retention_days.to_string()),
            ),
        ])
        .await?;
        Ok(self.view().await?)
    }

    #[tracing::instrument(name = "settings.check_whatsapp", skip_all)]
    async fn check_whatsapp(&self) -> Result<ConnectionCheck, AppError> {
        let current = self.credentials.current();
        let missing = match (&current.phone_number_id, &current.access_token) {
            (None, _) => Some("Enter the phone number id (WhatsApp Manager → API Setup) and save."),
            (_, None) => Some("Enter the access token and save."),
            _ => None,
        };
        if let Some(message) = missing {
            return Ok(ConnectionCheck {
                ok: false,
                message: message.to_owned(),
            });
        }
        Ok(match self.graph.phone_number().await {
            Ok(number) => {
                let mut message = format!("Connected to {}", number.display);
                if let Some(name) = number.verified_name {
                    message.push_str(&format!(" ({name})"));
                }
                if let Some(quality) = number.quality {
                    message.push_str(&format!(", quality rating {}", quality.to_lowercase()));
                }
                message.push('.');
                if current.app_secret.is_none() {
                    message.push_str(" Sending works, but incoming messages are refused until the app secret is set.");
                }
                ConnectionCheck { ok: true, message }
            }
            Err(e) => {
                tracing::info!(error = %e, "WhatsApp connection check failed");
                ConnectionCheck {
                    ok: false,
                    message: explain(&e),
                }
            }
        })
    }
}
