//! The WhatsApp number: credentials (the environment's win; secrets are write-only), the
//! connection check, and what to copy into Meta's dashboard.

use leptos::prelude::*;

use crate::api::settings::{check_whatsapp_connection, SaveWhatsappSettings};
use crate::browser;
use crate::components::form::{
    action_errors, on_success, Field, FormError, FormErrors, SubmitButton,
};
use crate::error::AppError;
use crate::model::{ConnectionCheck, SettingValue, WhatsAppInput, WhatsAppSaved, WhatsAppSettings};
use crate::validate::webhook_address_problem;

const WEBHOOK_PATH: &str = "/api/webhook/whatsapp";
/// The guide to Meta's side, including how to give a local server a public https address.
pub const WHATSAPP_GUIDE: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/WHATSAPP_SETUP.md"
);

/// What an empty secret field means, by where the value in effect comes from.
fn secret_hint(value: &SettingValue, var: &str) -> String {
    match value.source.as_str() {
        "environment" => format!("Set by {var} in the environment"),
        "dashboard" => "Saved — leave blank to keep".to_owned(),
        _ => "Not set".to_owned(),
    }
}

/// `Some(new)` when the owner changed a shown value.
fn changed(original: &str, now: String) -> Option<String> {
    (now.trim() != original).then_some(now)
}

/// The form's errors for one field: the request's, or this field's refusal in the last save.
fn field_errors(
    errors: FormErrors,
    refused: RwSignal<Vec<AppError>>,
    field: &'static str,
) -> FormErrors {
    Signal::derive(move || {
        errors.get().or_else(|| {
            refused.with(|r| {
                r.iter()
                    .find(|e| e.field.as_deref() == Some(field))
                    .cloned()
            })
        })
    })
}

#[component]
pub fn WhatsAppForm(
    whatsapp: WhatsAppSettings,
    secret_key_file: Option<String>,
    saved: Callback<&'static str>,
) -> impl IntoView {
    let from_env = |v: &SettingValue| v.source == "environment";
    // What the server holds, updated by each save (the hints follow it).
    let current = RwSignal::new(whatsapp.clone());
    let phone = RwSignal::new(whatsapp.phone_number_id.value.clone());
    let token = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let verify = RwSignal::new(whatsapp.verify_token.value.clone());
    let version = RwSignal::new(whatsapp.api_version.value.clone());
    let action = ServerAction::<SaveWhatsappSettings>::new();
    let errors = action_errors(action);
    // Values the last save refused (the others were saved).
    let refused = RwSignal::new(Vec::<AppError>::new());
    on_success(action, move |result: WhatsAppSaved| {
        let kept = |field: &str| {
            result
                .refused
                .iter()
                .any(|e| e.field.as_deref() == Some(field))
        };
        // Secrets are write-only: a saved one empties its field and the hint says "Saved".
        if !kept("access_token") {
            token.set(String::new());
        }
        if !kept("app_secret") {
            secret.set(String::new());
        }
        current.set(result.settings.whatsapp);
        saved.run(if result.refused.is_empty() {
            "WhatsApp settings saved."
        } else {
            "Saved, except the values marked below."
        });
        refused.set(result.refused);
    });
    let errors_for = move |field: &'static str| field_errors(errors, refused, field);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        refused.set(Vec::new());
        let o = current.get_untracked();
        let o = &o;
        let editable = |v: &SettingValue| !from_env(v);
        let input = WhatsAppInput {
            phone_number_id: editable(&o.phone_number_id)
                .then(|| changed(&o.phone_number_id.value, phone.get_untracked()))
                .flatten(),
            access_token: Some(token.get_untracked()).filter(|t| !t.trim().is_empty()),
            app_secret: Some(secret.get_untracked()).filter(|t| !t.trim().is_empty()),
            verify_token: editable(&o.verify_token)
                .then(|| changed(&o.verify_token.value, verify.get_untracked()))
                .flatten(),
            api_version: editable(&o.api_version)
                .then(|| changed(&o.api_version.value, version.get_untracked()))
                .flatten(),
        };
        action.dispatch(SaveWhatsappSettings { input });
    };

    // The callback URL: PUBLIC_URL's when set, else this page's own address.
    let webhook = RwSignal::new(whatsapp.webhook_url.clone().unwrap_or_default());
    Effect::new(move |_| {
        if webhook.get_untracked().is_empty() {
            if let Some(origin) = browser::origin() {
                webhook.set(format!("{origin}{WEBHOOK_PATH}"));
            }
        }
    });
    // The token Meta must be given is the one saved last.
    let verify_shown = Signal::derive(move || current.with(|c| c.verify_token.value.clone()));
    let address_problem = Signal::derive(move || {
        webhook.with(|w| {
            (!w.is_empty())
                .then(|| webhook_address_problem(w))
                .flatten()
        })
    });
    let key_note = match secret_key_file {
        Some(file) => format!("The access token and app secret are stored encrypted with the key this server generated in {file}. Keep that file with your data; backups do not include it."),
        None => "The access token and app secret are stored encrypted with SECRET_KEY.".to_owned(),
    };

    view! {
        <section id="whatsapp" class="card" aria-labelledby="whatsapp-title">
            <h2 id="whatsapp-title">"WhatsApp"</h2>
            <p class="muted">
                "From Meta's developer dashboard: your app → WhatsApp → API Setup. Values set in the environment are shown as such and win over what is saved here."
            </p>
            <p class="muted small" data-testid="secret-key-note">{key_note}</p>
            <form class="form" novalidate on:submit=submit>
                <Field
                    label="Phone number ID"
                    name="phone_number_id"
                    value=phone
                    errors=errors_for("phone_number_id")
                    optional=true
                    disabled=from_env(&whatsapp.phone_number_id)
                    placeholder=secret_hint(&whatsapp.phone_number_id, "WHATSAPP_PHONE_NUMBER_ID")
                />
                <Field
                    label="Access token (permanent, from a system user)"
                    name="access_token"
                    kind="password"
                    value=token
                    errors=errors_for("access_token")
                    optional=true
                    disabled=from_env(&whatsapp.access_token)
                    placeholder=Signal::derive(move || current.with(|c| secret_hint(&c.access_token, "WHATSAPP_ACCESS_TOKEN")))
                />
                <Field
                    label="App secret (App settings → Basic)"
                    name="app_secret"
                    kind="password"
                    value=secret
                    errors=errors_for("app_secret")
                    optional=true
                    disabled=from_env(&whatsapp.app_secret)
                    placeholder=Signal::derive(move || current.with(|c| secret_hint(&c.app_secret, "WHATSAPP_APP_SECRET")))
                />
                <Field
                    label="Verify token (any text you choose; Meta sends it back to prove the webhook is yours)"
                    name="verify_token"
                    value=verify
                    errors=errors_for("verify_token")
                    optional=true
                    disabled=from_env(&whatsapp.verify_token)
                />
                <Field
                    label="Graph API version"
                    name="api_version"
                    value=version
                    errors=errors_for("api_version")
                    optional=true
                    disabled=from_env(&whatsapp.api_version)
                />
                <FormError errors />
                <SubmitButton label="Save WhatsApp" busy_label="Saving…" pending=action.pending() />
            </form>
            <ConnectionCheckButton />
            <div class="copy-box" aria-labelledby="webhook-title">
                <h3 id="webhook-title">"In Meta's dashboard"</h3>
                <p class="muted">"WhatsApp → Configuration → Webhook → Edit: paste these two, verify and save, then subscribe to the “messages” field."</p>
                <CopyLine label="Callback URL" value=Signal::from(webhook) testid="webhook-url" />
                {move || address_problem.get().map(|problem| view! {
                    <div class="warning-box" role="alert" data-testid="webhook-warning">
                        <p><strong>{problem}</strong></p>
                        <p>
                            "Set PUBLIC_URL to this server's public https address (on Railway: https:// followed by the service's domain). To try Replydesk from your own computer, open it through a tunnel such as cloudflared or ngrok, which gives it a temporary https address, and copy the callback URL from there. "
                            <a href=WHATSAPP_GUIDE rel="external noopener" target="_blank">"How to connect WhatsApp"</a>
                        </p>
                    </div>
                })}
                <CopyLine label="Verify token" value=verify_shown testid="verify-token" />
            </div>
        </section>
    }
}

#[component]
fn ConnectionCheckButton() -> impl IntoView {
    let checking = RwSignal::new(false);
    let result = RwSignal::new(None::<ConnectionCheck>);
    let check = move |_| {
        checking.set(true);
        result.set(None);
        leptos::task::spawn_local(async move {
            let outcome = check_whatsapp_connection()
                .await
                .unwrap_or_else(|e| ConnectionCheck {
                    ok: false,
                    message: e.message,
                });
            result.set(Some(outcome));
            checking.set(false);
        });
    };
    view! {
        <div class="actions">
            <button type="button" class="secondary" on:click=check disabled=move || checking.get()>
                {move || if checking.get() { "Checking…" } else { "Check connection" }}
            </button>
        </div>
        {move || result.get().map(|r| {
            let (class, role) = if r.ok { ("form-success", "status") } else { ("form-error", "alert") };
            view! { <p class=class role=role data-testid="connection-check">{r.message}</p> }
        })}
    }
}

/// A value to copy into another site, with a button that does it.
#[component]
fn CopyLine(label: &'static str, value: Signal<String>, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
        <div class="copy-line">
            <span class="muted">{label}</span>
            <code data-testid=testid>{move || value.get()}</code>
            <button
                type="button"
                class="secondary small"
                aria-label=format!("Copy the {}", label.to_lowercase())
                on:click=move |_| {
                    browser::copy(&value.get_untracked());
                    copied.set(true);
                }
            >
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}
