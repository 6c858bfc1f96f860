//! Form pieces: labelled fields that show their own validation message, and the form's error.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;
use crate::validate::{password_strength, Strength};

/// The last error of a form, if any.
pub type FormErrors = Signal<Option<AppError>>;

/// A labelled input bound to `value`; shows `errors` when they are about this field.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: RwSignal<String>,
    errors: FormErrors,
    /// Not required (the default is required).
    #[prop(optional)]
    optional: bool,
    /// The id of a `<datalist>` of suggestions (given as a child).
    #[prop(optional)]
    list: Option<&'static str>,
    /// Shown inside the empty field ("Saved: leave blank to keep").
    #[prop(optional, into)]
    placeholder: Option<Signal<String>>,
    /// Read-only (set in the environment).
    #[prop(optional)]
    disabled: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let input_id = format!("field-{name}");
    let message_id = format!("field-{name}-error");
    let message = move || {
        errors
            .get()
            .filter(|e| e.field.as_deref() == Some(name))
            .map(|e| e.message)
    };
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                required=!optional
                list=list
                placeholder=move || placeholder.map(|p| p.get())
                disabled=disabled
                bind:value=value
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=message_id.clone()
            />
            {children.map(|c| c())}
            <p class="field-error" id=message_id>
                {message}
            </p>
        </div>
    }
}

/// An error that is not about one field (wrong credentials, throttling, network).
#[component]
pub fn FormError(errors: FormErrors) -> impl IntoView {
    let message = move || {
        errors
            .get()
            .filter(|e| e.field.is_none())
            .map(|e| e.message)
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">
                {message}
            </p>
        </Show>
    }
}

/// A submit button that stays disabled until the page is interactive (so a form is never sent
/// as a plain GET with the password in the URL) and while the request is in flight.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <button
            type="submit"
            class="button primary"
            disabled=move || !hydrated.get() || pending.get()
            aria-busy=move || pending.get().to_string()
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// Live strength hint under a new-password field.
#[component]
pub fn StrengthMeter(password: RwSignal<String>) -> impl IntoView {
    let strength = Memo::new(move |_| password_strength(&password.get()));
    view! {
        <div class="strength" aria-live="polite">
            <meter
                min="0"
                max="3"
                low="1.5"
                high="2.5"
                optimum="3"
                value=move || strength.get().level().to_string()
                aria-label="Password strength"
            ></meter>
            <span class=move || {
                if strength.get() >= Strength::Fair { "strength-label ok" } else { "strength-label" }
            }>{move || strength.get().label()}</span>
        </div>
    }
}

/// The error of the last finished action, as a signal forms can show.
/// Runs `then` with each successful result of `action` (a form's "saved" notice, say).
pub fn on_success<I, O>(action: ServerAction<I>, then: impl Fn(O) + 'static)
where
    I: ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(value)) = action.value().get() {
            then(value);
        }
    });
}

pub fn action_errors<I, O>(action: ServerAction<I>) -> FormErrors
where
    I: ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
