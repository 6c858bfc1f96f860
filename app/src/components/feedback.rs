//! Loading and error states, the same everywhere.

use leptos::prelude::*;

use crate::error::{AppError, ErrorKind};

/// Grey placeholder lines while data loads.
#[component]
pub fn Skeleton(#[prop(default = 3)] lines: usize) -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-label="Loading">
            {(0..lines).map(|_| view! { <span class="skeleton-line"></span> }).collect_view()}
        </div>
    }
}

/// A failed load, with what to do about it.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let session_over = error.kind == ErrorKind::Unauthorized;
    view! {
        <div class="error-box" role="alert">
            <p>{error.message}</p>
            <Show when=move || session_over>
                <p>
                    <a href="/login">"Log in again"</a>
                </p>
            </Show>
        </div>
    }
}
