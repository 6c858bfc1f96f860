use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    AuditEntry, BusinessProfile, ConnectionCheck, GeneralSettings, Page, SettingsView,
    WhatsAppInput, WhatsAppSaved,
};

/// The audit log, newest first; pass a page's `next_cursor` back for older entries.
#[server(prefix = "/api", endpoint = "settings/audit", input = Json, output = Json)]
pub async fn audit_log(
    #[server(default)] cursor: Option<String>,
) -> Result<Page<AuditEntry>, AppError> {
    super::caller()?.owner()?;
    let before = match cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| AppError::invalid("cursor", "Use the next_cursor of a page."))?,
        ),
    };
    super::state()?.audit.entries(before).await
}

#[server(prefix = "/api", endpoint = "settings", input = Json, output = Json)]
pub async fn load_settings() -> Result<SettingsView, AppError> {
    super::caller()?.owner()?;
    super::state()?.settings.settings().await
}

#[server(prefix = "/api", endpoint = "settings/business", input = Json, output = Json)]
pub async fn save_business_profile(profile: BusinessProfile) -> Result<SettingsView, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let result = super::state()?.settings.save_business(profile).await;
    super::audited(&caller, "settings_changed", "Business profile", result).await
}

/// Saves the WhatsApp values given (absent: kept; empty: removed), each on its own: the ones
/// refused come back in `refused`. Secrets are never returned.
#[server(prefix = "/api", endpoint = "settings/whatsapp", input = Json, output = Json)]
pub async fn save_whatsapp_settings(input: WhatsAppInput) -> Result<WhatsAppSaved, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let changed: Vec<&str> = [
        ("phone number id", &input.phone_number_id),
        ("access token", &input.access_token),
        ("app secret", &input.app_secret),
        ("verify token", &input.verify_token),
        ("API version", &input.api_version),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|_| name))
    .collect();
    let detail = format!("WhatsApp: {}", changed.join(", "));
    let result = super::state()?.settings.save_whatsapp(input).await;
    super::audited(&caller, "settings_changed", detail, result).await
}

#[server(prefix = "/api", endpoint = "settings/general", input = Json, output = Json)]
pub async fn save_general_settings(general: GeneralSettings) -> Result<SettingsView, AppError> {
    let caller = super::caller()?;
    caller.owner()?;
    let detail = format!(
        "Sending rate {}/s, uploads up to {} MB and {} files, retention {}",
        general.outbound_rate,
        general.max_file_mb,
        general.max_files,
        match general.retention_days {
            0 => "off".to_owned(),
            days => format!("{days} days"),
        }
    );
    let result = super::state()?.settings.save_general(general).await;
    super::audited(&caller, "settings_changed", detail, result).await
}

#[server(prefix = "/api", endpoint = "settings/whatsapp/check", input = Json, output = Json)]
pub async fn check_whatsapp_connection() -> Result<ConnectionCheck, AppError> {
    super::caller()?.owner()?;
    super::state()?.settings.check_whatsapp().await
}
