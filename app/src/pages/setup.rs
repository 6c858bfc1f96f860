use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Setup;
use crate::browser;
use crate::components::form::{action_errors, Field, FormError, StrengthMeter, SubmitButton};
use crate::model::SetupInput;
use crate::validate::MIN_PASSWORD_CHARS;
use crate::PRODUCT;

/// First run: create the owner's account, with the setup token from the server's log (the link
/// the log prints carries it). The server refuses this once an owner exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    browser::mark_hydrated();
    let from_link = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let token_in_link = !from_link.trim().is_empty();
    let setup_token = RwSignal::new(from_link);
    let business_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let setup = ServerAction::<Setup>::new();
    let errors = action_errors(setup);

    Effect::new(move |_| {
        if let Some(Ok(_)) = setup.value().get() {
            browser::go_to("/");
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        setup.dispatch(Setup {
            input: SetupInput {
                business_name: business_name.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                setup_token: setup_token.get_untracked(),
            },
        });
    };

    view! {
        <Title text="Set up" />
        <main class="auth-page">
            <form class="auth-card" on:submit=on_submit novalidate>
                <h1>"Welcome to " {PRODUCT}</h1>
                <p class="muted">
                    "Create the owner account. You will use it to log in to this dashboard."
                </p>
                <FormError errors />
                <Field
                    label="Setup token"
                    name="setup_token"
                    autocomplete="one-time-code"
                    value=setup_token
                    errors
                >
                    <p class="hint">
                        {if token_in_link {
                            "Filled in from the link in the server's log."
                        } else {
                            "Proves you run this server. It is printed in the server's log when it starts — on Railway: your service → Deployments → View logs; on your computer: the terminal running Replydesk. The command replydesk setup-token prints it too."
                        }}
                    </p>
                </Field>
                <Field
                    label="Business name"
                    name="business_name"
                    autocomplete="organization"
                    value=business_name
                    errors
                />
                <Field label="Email" name="email" kind="email" autocomplete="username" value=email errors />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    value=password
                    errors
                >
                    <p class="hint">{format!("At least {MIN_PASSWORD_CHARS} characters.")}</p>
                    <StrengthMeter password />
                </Field>
                <SubmitButton label="Create account" busy_label="Creating…" pending=setup.pending() />
            </form>
        </main>
    }
}
