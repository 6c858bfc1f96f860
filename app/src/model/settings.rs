//! The Settings page: the business, the WhatsApp number, general limits.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Limits of the general settings, checked in the browser and on the server.
pub const OUTBOUND_RATE_RANGE: (u32, u32) = (1, 1000);
pub const MAX_FILE_MB_RANGE: (u32, u32) = (1, 100);
pub const MAX_FILES_RANGE: (u32, u32) = (1, 50);
/// Data retention: 0 keeps everything; otherwise messages older than this many days go.
pub const RETENTION_DAYS_RANGE: (u32, u32) = (7, 3650);
/// Most languages a business lists.
pub const MAX_LANGUAGES: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub business: BusinessProfile,
    pub whatsapp: WhatsAppSettings,
    pub general: GeneralSettings,
    /// Where the key that encrypts saved secrets is kept: the file this server generated at
    /// its first start, or `None` when `SECRET_KEY` is set in the environment.
    pub secret_key_file: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessProfile {
    pub name: String,
    /// IANA time zone ("America/Sao_Paulo"): analytics' days start at its midnight.
    pub timezone: String,
    /// Languages customers are answered in ("English", "Português"): the prompt's
    /// `{{business_languages}}`.
    pub languages: Vec<String>,
}

/// A value in effect and where it comes from: "environment" (wins, not editable here),
/// "dashboard" or "unset". Secrets never carry their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingValue {
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppSettings {
    pub phone_number_id: SettingValue,
    pub access_token: SettingValue,
    pub app_secret: SettingValue,
    pub verify_token: SettingValue,
    pub api_version: SettingValue,
    /// `PUBLIC_URL` + the webhook path, when `PUBLIC_URL` is set (the page uses its own address
    /// otherwise).
    pub webhook_url: Option<String>,
}

/// What the owner saves. `None` keeps a value; `Some("")` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppInput {
    #[serde(default)]
    pub phone_number_id: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub app_secret: Option<String>,
    #[serde(default)]
    pub verify_token: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
}

/// What saving the WhatsApp form did. Each value is checked and saved on its own: one that is
/// refused never keeps the others from being saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppSaved {
    pub settings: SettingsView,
    /// The values that were not saved, each with why (its `field` names the input).
    pub refused: Vec<AppError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralSettings {
    /// WhatsApp messages per second this server sends at most.
    pub outbound_rate: u32,
    /// Largest upload, in MB.
    pub max_file_mb: u32,
    /// Most uploaded files in the knowledge base.
    pub max_files: u32,
    /// Messages older than this many days are deleted (0: kept forever).
    pub retention_days: u32,
}

/// The result of "check connection".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCheck {
    pub ok: bool,
    /// What works, or what is wrong and how to fix it, in plain words.
    pub message: String,
}

/// The result of a provider's "test" button.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderCheck {
    pub ok: bool,
    pub message: String,
    pub latency_ms: i64,
}
