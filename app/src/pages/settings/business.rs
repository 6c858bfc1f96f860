//! The business profile: name, time zone, languages.

use leptos::prelude::*;

use crate::api::settings::SaveBusinessProfile;
use crate::components::form::{action_errors, on_success, Field, FormError, SubmitButton};
use crate::model::BusinessProfile;
use crate::validate::split_tags;

/// Time zones offered in the list (any IANA name is accepted).
const TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Rome",
    "Europe/Warsaw",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
];

#[component]
pub fn BusinessForm(profile: BusinessProfile, saved: Callback<&'static str>) -> impl IntoView {
    let name = RwSignal::new(profile.name);
    let timezone = RwSignal::new(profile.timezone);
    let languages = RwSignal::new(profile.languages.join(", "));
    let action = ServerAction::<SaveBusinessProfile>::new();
    let errors = action_errors(action);
    on_success(action, move |_| saved.run("Business profile saved."));
    view! {
        <section id="business" class="card" aria-labelledby="business-title">
            <h2 id="business-title">"Business"</h2>
            <form
                class="form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    action.dispatch(SaveBusinessProfile {
                        profile: BusinessProfile {
                            name: name.get_untracked(),
                            timezone: timezone.get_untracked(),
                            languages: split_tags(&languages.get_untracked()),
                        },
                    });
                }
            >
                <Field label="Business name" name="business_name" value=name errors />
                <Field label="Time zone (analytics' days start at its midnight)" name="timezone" value=timezone errors list="time-zones">
                    <datalist id="time-zones">
                        {TIME_ZONES.iter().map(|tz| view! { <option value=*tz /> }).collect_view()}
                    </datalist>
                </Field>
                <Field
                    label="Languages you answer in, separated by commas: customers' questions are searched in each, and the bot's fixed replies follow the customer's"
                    name="languages"
                    value=languages
                    errors
                    optional=true
                    placeholder="English, Português"
                />
                <FormError errors />
                <SubmitButton label="Save business" busy_label="Saving…" pending=action.pending() />
            </form>
        </section>
    }
}
