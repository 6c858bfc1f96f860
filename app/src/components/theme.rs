use leptos::prelude::*;

use crate::browser::{self, Theme};

/// Light / dark / follow the system; remembered in the browser.
#[component]
pub fn ThemePicker() -> impl IntoView {
    let current = RwSignal::new(Theme::System);
    Effect::new(move |_| current.set(browser::stored_theme()));
    view! {
        <div class="theme-picker" role="group" aria-label="Theme">
            {Theme::ALL
                .into_iter()
                .map(|theme| {
                    view! {
                        <button
                            type="button"
                            aria-pressed=move || (current.get() == theme).to_string()
                            on:click=move |_| {
                                current.set(theme);
                                browser::set_theme(theme);
                            }
                        >
                            {theme.label()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
