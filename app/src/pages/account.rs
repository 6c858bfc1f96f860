use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{
    session_state, ChangePassword, DisableTwoFactor, EnableTwoFactor, StartTwoFactor as StartSetup,
};
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
        <TwoStepSignIn />
    }
}

/// Turning two-step sign-in on (scan a QR code, type a code, keep the recovery codes) and off.
#[component]
fn TwoStepSignIn() -> impl IntoView {
    let start = ServerAction::<StartSetup>::new();
    let enable = ServerAction::<EnableTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    // Whether it is on: from the session, then from what this page did.
    let state = Resource::new(
        move || (enable.version().get(), disable.version().get()),
        |_| session_state(),
    );
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let start_errors = action_errors(start);
    let enable_errors = action_errors(enable);
    let disable_errors = action_errors(disable);
    let setup = move || start.value().get().and_then(Result::ok);
    let recovery = move || enable.value().get().and_then(Result::ok);
    Effect::new(move |_| {
        if enable.value().get().is_some_and(|r| r.is_ok())
            || disable.value().get().is_some_and(|r| r.is_ok())
        {
            code.set(String::new());
            password.set(String::new());
        }
    });

    let on_enable = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(setup) = setup() {
            enable.dispatch(EnableTwoFactor {
                secret: setup.secret,
                code: code.get_untracked(),
                password: password.get_untracked(),
            });
        }
    };
    let on_disable = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        disable.dispatch(DisableTwoFactor {
            password: password.get_untracked(),
        });
    };

    view! {
        <section class="card narrow" data-testid="two-step">
            <h2>"Two-step sign-in"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let on = state
                        .get()
                        .and_then(Result::ok)
                        .and_then(|s| s.owner)
                        .is_some_and(|o| o.two_factor);
                    if let Some(codes) = recovery() {
                        view! {
                            <p class="form-success" role="status">
                                "Two-step sign-in is on. Keep these recovery codes somewhere safe: each lets you in once if your phone is lost. They are shown only now."
                            </p>
                            <ul class="recovery-codes" data-testid="recovery-codes">
                                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    } else if on {
                        view! {
                            <p>"On. Each login asks for the code your authenticator app shows."</p>
                            <form on:submit=on_disable novalidate>
                                <FormError errors=disable_errors />
                                <Field label="Current password" name="password" kind="password" autocomplete="current-password" value=password errors=disable_errors />
                                <SubmitButton label="Turn off two-step sign-in" busy_label="Turning off…" pending=disable.pending() />
                            </form>
                        }
                        .into_any()
                    } else if let Some(setup) = setup() {
                        view! {
                            <p>"Scan this code with an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password…), then type the code it shows."</p>
                            <img class="qr" src=setup.qr_image alt="QR code for your authenticator app" width="200" height="200" />
                            <p class="field-help">"Cannot scan? Enter this key in the app: " <code data-testid="two-step-key">{setup.secret}</code></p>
                            <form on:submit=on_enable novalidate>
                                <FormError errors=enable_errors />
                                <Field label="The 6-digit code the app shows" name="code" autocomplete="one-time-code" value=code errors=enable_errors />
                                <Field label="Current password" name="password" kind="password" autocomplete="current-password" value=password errors=enable_errors />
                                <SubmitButton label="Turn on" busy_label="Checking…" pending=enable.pending() />
                            </form>
                        }
                        .into_any()
                    } else {
                        view! {
                            <p>"Off. With it on, logging in also needs a code from an app on your phone, so a stolen password alone is not enough."</p>
                            <FormError errors=start_errors />
                            <button type="button" class="button" on:click=move |_| { start.dispatch(StartSetup {}); }>
                                "Set up two-step sign-in"
                            </button>
                        }
                        .into_any()
                    }
                }}
            </Transition>
        </section>
    }
}
