//! Sending rate, upload limits and data retention.

use leptos::prelude::*;

use crate::api::settings::SaveGeneralSettings;
use crate::components::form::{action_errors, on_success, Field, FormError, SubmitButton};
use crate::model::{
    GeneralSettings, MAX_FILES_RANGE, MAX_FILE_MB_RANGE, OUTBOUND_RATE_RANGE, RETENTION_DAYS_RANGE,
};

fn number(signal: RwSignal<String>) -> u32 {
    // A field that is not a number is sent as 0, which the server refuses with its range.
    signal.get_untracked().trim().parse().unwrap_or(0)
}

#[component]
pub fn GeneralForm(general: GeneralSettings, saved: Callback<&'static str>) -> impl IntoView {
    let rate = RwSignal::new(general.outbound_rate.to_string());
    let mb = RwSignal::new(general.max_file_mb.to_string());
    let files = RwSignal::new(general.max_files.to_string());
    let days = RwSignal::new(general.retention_days.to_string());
    let action = ServerAction::<SaveGeneralSettings>::new();
    let errors = action_errors(action);
    on_success(action, move |_| saved.run("Limits and retention saved."));
    view! {
        <section id="limits" class="card" aria-labelledby="limits-title">
            <h2 id="limits-title">"Limits and retention"</h2>
            <form
                class="form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    action.dispatch(SaveGeneralSettings {
                        general: GeneralSettings {
                            outbound_rate: number(rate),
                            max_file_mb: number(mb),
                            max_files: number(files),
                            retention_days: number(days),
                        },
                    });
                }
            >
                <Field label="WhatsApp messages sent per second, at most (Meta's default limit is 80)" name="outbound_rate" kind="number" value=rate errors>
                    <p class="muted small">{format!("{} to {}", OUTBOUND_RATE_RANGE.0, OUTBOUND_RATE_RANGE.1)}</p>
                </Field>
                <Field label="Largest knowledge upload, in MB" name="max_file_mb" kind="number" value=mb errors>
                    <p class="muted small">{format!("{} to {}", MAX_FILE_MB_RANGE.0, MAX_FILE_MB_RANGE.1)}</p>
                </Field>
                <Field label="Most uploaded files in the knowledge base" name="max_files" kind="number" value=files errors>
                    <p class="muted small">{format!("{} to {}", MAX_FILES_RANGE.0, MAX_FILES_RANGE.1)}</p>
                </Field>
                <Field label="Delete messages older than this many days" name="retention_days" kind="number" value=days errors>
                    <p class="muted small">
                        {format!(
                            "0 keeps every message (the default); otherwise {} to {} days. Deletion runs every hour and cannot be undone: download a backup first.",
                            RETENTION_DAYS_RANGE.0, RETENTION_DAYS_RANGE.1
                        )}
                    </p>
                </Field>
                <FormError errors />
                <SubmitButton label="Save limits" busy_label="Saving…" pending=action.pending() />
            </form>
        </section>
    }
}
