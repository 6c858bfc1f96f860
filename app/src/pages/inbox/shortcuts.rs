//! Keyboard shortcuts: j/k next and previous conversation, / search, r reply, a AI switch,
//! ? this list. Ignored while typing in a field (Escape leaves it).

use leptos::prelude::*;

use super::Store;

pub const SHORTCUTS: &[(&str, &str)] = &[
    ("j", "Next conversation"),
    ("k", "Previous conversation"),
    ("/", "Search"),
    ("r", "Reply"),
    ("a", "Switch the AI on or off"),
    ("?", "Show these shortcuts"),
    ("Esc", "Leave a field, close this list"),
];

/// The conversation `step` places from `current` in `ids` (the first when none is open).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn neighbour(ids: &[i32], current: Option<i32>, step: isize) -> Option<i32> {
    let position = current.and_then(|c| ids.iter().position(|id| *id == c));
    let next = match position {
        None => 0,
        Some(p) => p.checked_add_signed(step)?,
    };
    ids.get(next).copied()
}

pub fn install(store: Store, go: Callback<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;

        let focus = |id: &str| {
            if let Some(el) = document()
                .get_element_by_id(id)
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        };
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                        || el.has_attribute("contenteditable")
                });
            let key = ev.key();
            if key == "Escape" {
                store.help_open.set(false);
                if typing {
                    if let Some(el) = document()
                        .active_element()
                        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        let _ = el.blur();
                    }
                }
                return;
            }
            if typing {
                return;
            }
            let ids = || {
                store
                    .rows
                    .with_untracked(|rows| rows.iter().map(|r| r.id).collect::<Vec<_>>())
            };
            let handled = match key.as_str() {
                "j" | "k" => {
                    let step = if key == "j" { 1 } else { -1 };
                    if let Some(id) = neighbour(&ids(), store.selected.get_untracked(), step) {
                        go.run(format!("/inbox/{id}"));
                    }
                    true
                }
                "/" => {
                    focus("inbox-search");
                    true
                }
                "r" => {
                    focus("composer-input");
                    true
                }
                "a" => {
                    if let Some(el) = document()
                        .get_element_by_id("ai-switch")
                        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        el.click();
                    }
                    true
                }
                "?" => {
                    store.help_open.update(|open| *open = !*open);
                    true
                }
                _ => false,
            };
            if handled {
                ev.prevent_default();
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (store, go);
}

#[component]
pub fn Help() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <Show when=move || store.help_open.get()>
            <div class="shortcuts" role="dialog" aria-modal="false" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <dl>
                    {SHORTCUTS.iter().map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> }).collect_view()}
                </dl>
                <button type="button" class="secondary" on:click=move |_| store.help_open.set(false)>"Close"</button>
            </div>
        </Show>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::neighbour;

    #[test]
    fn next_and_previous() {
        let ids = [7, 3, 9];
        assert_eq!(neighbour(&ids, None, 1), Some(7));
        assert_eq!(neighbour(&ids, Some(7), 1), Some(3));
        assert_eq!(neighbour(&ids, Some(3), -1), Some(7));
        assert_eq!(neighbour(&ids, Some(7), -1), None);
        assert_eq!(neighbour(&ids, Some(9), 1), None);
        assert_eq!(neighbour(&[], None, 1), None);
    }
}
