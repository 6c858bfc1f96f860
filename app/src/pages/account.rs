use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::ChangePassword;
use crate::components::form::{action_errors, Field, FormError, StrengthMeter, SubmitButton};
use crate::error::AppError;

#[component]
pub fn AccountPage() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let change = ServerAction::<ChangePassword>::new();
    // A mismatch is caught here, before the request; the server checks everything else.
    let mismatch = RwSignal::new(None::<AppError>);
    let server_errors = action_errors(change);
    let errors = Signal::derive(move || mismatch.get().or_else(|| server_errors.get()));
    let done = move || matches!(change.value().get(), Some(Ok(())));

    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            current.set(String::new());
            new.set(String::new());
            confirm.set(String::new());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != confirm.get_untracked() {
            mismatch.set(Some(AppError::invalid(
                "confirm",
                "The two new passwords differ.",
            )));
            return;
        }
        mismatch.set(None);
        change.dispatch(ChangePassword {
            current: current.get_untracked(),
            new: new.get_untracked(),
        });
    };

    view! {
        <Title text="Account" />
        <h1>"Account"</h1>
        <section class="card narrow">
            <h2>"Change password"</h2>
            <form on:submit=on_submit novalidate>
                <FormError errors />
                <Show when=done>
                    <p class="form-success" role="status">
                        "Password changed. Every other session has been logged out."
                    </p>
                </Show>
                <Field
                    label="Current password"
                    name="current"
                    kind="password"
                    autocomplete="current-password"
                    value=current
                    errors
                />
                <Field label="New password" name="new" kind="password" autocomplete="new-password" value=new errors>
                    <StrengthMeter password=new />
                </Field>
                <Field
                    label="Repeat the new password"
                    name="confirm"
                    kind="password"
                    autocomplete="new-password"
                    value=confirm
                    errors
                />
                <SubmitButton label="Change password" busy_label="Saving…" pending=change.pending() />
            </form>
        </section>
    }
}
