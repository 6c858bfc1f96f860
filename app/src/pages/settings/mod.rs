//! The Settings page: the business, the WhatsApp number (with a connection check and what to
//! copy into Meta's dashboard), the AI, limits and retention, backup, and the audit log.

mod business;
mod data;
mod general;
mod whatsapp;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::load_settings;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::error::AppError;
use crate::model::SettingsView;
use crate::pages::ai::AiSections;
use business::BusinessForm;
use data::{AuditLog, Backup};
use general::GeneralForm;
use whatsapp::WhatsAppForm;

/// The page's sections, for the table of contents.
const SECTIONS: &[(&str, &str)] = &[
    ("business", "Business"),
    ("whatsapp", "WhatsApp"),
    ("ai", "AI"),
    ("limits", "Limits and retention"),
    ("backup", "Backup"),
    ("audit", "Audit log"),
];

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Loaded once: the forms keep what the owner types (a reload would wipe it), and each
    // takes what the server stored from its own save.
    let settings = Resource::new(|| (), |_| load_settings());
    let notice = RwSignal::new(None::<&'static str>);
    let saved = Callback::new(move |what: &'static str| notice.set(Some(what)));
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <nav class="toc" aria-label="Sections">
            {SECTIONS
                .iter()
                .map(|(id, label)| view! { <a href=format!("#{id}")>{*label}</a> })
                .collect_view()}
        </nav>
        <p class="ok-text" role="status" data-testid="settings-saved">{move || notice.get()}</p>
        <Transition fallback=|| view! { <Skeleton lines=10 /> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <Sections settings=s saved /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
        <section id="ai" class="settings-group" aria-labelledby="ai-title">
            <h2 id="ai-title">"AI"</h2>
            <p class="muted">
                "Providers are tried in order; the hand-off message, burst window and pause after your own reply are under Behaviour. Prices and usage are on the "
                <a href="/ai">"AI page"</a> "."
            </p>
            <AiSections />
        </section>
        <GeneralSection settings saved />
        <Backup />
        <AuditLog />
    }
    .into_any()
}

#[component]
fn Sections(settings: SettingsView, saved: Callback<&'static str>) -> impl IntoView {
    view! {
        <BusinessForm profile=settings.business saved />
        <WhatsAppForm whatsapp=settings.whatsapp secret_key_file=settings.secret_key_file saved />
    }
}

/// Limits and retention come after the AI sections, from the same loaded settings.
#[component]
fn GeneralSection(
    settings: Resource<Result<SettingsView, AppError>>,
    saved: Callback<&'static str>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <Skeleton lines=4 /> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <GeneralForm general=s.general saved /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
