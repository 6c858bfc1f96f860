use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Login;
use crate::browser;
use crate::components::form::{action_errors, Field, FormError, SubmitButton};
use crate::validate::local_redirect;
use crate::PRODUCT;

#[component]
pub fn LoginPage() -> impl IntoView {
    browser::mark_hydrated();
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let login = ServerAction::<Login>::new();
    let errors = action_errors(login);
    // Two-step sign-in: the server asks for the code (an error about the field "code") once
    // the password is right; from then on the form shows the field.
    let asks_code = RwSignal::new(false);
    Effect::new(move |_| {
        if errors.get().and_then(|e| e.field).as_deref() == Some("code") {
            asks_code.set(true);
        }
    });

    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            let next = query.read_untracked().get("next");
            browser::go_to(&local_redirect(next.as_deref()));
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked();
        login.dispatch(Login {
            email: email.get_untracked(),
            password: password.get_untracked(),
            code: (!typed.trim().is_empty()).then_some(typed),
        });
    };

    view! {
        <Title text="Log in" />
        <main class="auth-page">
            <form class="auth-card" on:submit=on_submit novalidate>
                <h1>"Log in to " {PRODUCT}</h1>
                <FormError errors />
                <Field label="Email" name="email" kind="email" autocomplete="username" value=email errors />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    value=password
                    errors
                />
                <Show when=move || asks_code.get()>
                    <Field
                        label="Code from your authenticator app (or a recovery code)"
                        name="code"
                        autocomplete="one-time-code"
                        value=code
                        errors
                    />
                </Show>
                <SubmitButton label="Log in" busy_label="Logging in…" pending=login.pending() />
                <p class="auth-help">
                    "Locked out? Run " <code>"replydesk reset-password --email you@example.com"</code>
                    " on the server."
                </p>
            </form>
        </main>
    }
}
