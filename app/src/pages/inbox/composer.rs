//! Replying: the conversation's AI switch, the 24-hour window's countdown, and either a
//! free-form message (with WhatsApp formatting and a preview) or, once the window has closed,
//! one of the business's approved templates.

use leptos::prelude::*;

use super::message::Formatted;
use super::wa_templates::TemplatePicker;
use super::Store;
use crate::api::inbox::{send_reply, set_conversation_ai};
use crate::browser;
use crate::format;
use crate::model::ConversationSummary;

/// WhatsApp's formatting markers, as the toolbar offers them.
const MARKERS: &[(&str, &str, &str)] = &[
    ("*", "B", "Bold"),
    ("_", "I", "Italic"),
    ("~", "S", "Strikethrough"),
    ("```", "</>", "Monospace"),
];

/// The current time, refreshed every 30 seconds (for the window's countdown).
fn ticking_now() -> ReadSignal<i64> {
    let (now, set_now) = signal(browser::now().0);
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(
            move || set_now.set(browser::now().0),
            std::time::Duration::from_secs(30),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_now;
    now
}

#[component]
pub fn Composer() -> impl IntoView {
    let store = expect_context::<Store>();
    let now = ticking_now();
    let conversation = Memo::new(move |_| {
        store
            .thread
            .with(|t| t.as_ref().map(|t| t.conversation.clone()))
    });
    let closes = Memo::new(move |_| {
        conversation.with(|c| {
            c.as_ref()
                .and_then(|c| c.window_closes_at.as_deref())
                .and_then(format::epoch)
        })
    });
    let open_for = move || {
        closes
            .get()
            .map(|at| at - now.get())
            .filter(|left| *left > 0)
    };
    // The composer itself changes only when the window opens or closes (not every tick).
    let open = Memo::new(move |_| open_for().is_some());
    view! {
        <div class="composer">
            <div class="composer-bar">
                <AiSwitch conversation />
                <span class="window" data-testid="window">
                    {move || match open_for() {
                        Some(left) => format!("Free replies for {}", format::remaining(left)),
                        None if closes.get().is_some() => "24-hour window closed: templates only".to_owned(),
                        None => "The customer has not written yet: templates only".to_owned(),
                    }}
                </span>
            </div>
            {move || if open.get() {
                view! { <FreeForm /> }.into_any()
            } else {
                view! { <TemplatePicker /> }.into_any()
            }}
        </div>
    }
    .into_any()
}

#[component]
fn AiSwitch(conversation: Memo<Option<ConversationSummary>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let busy = RwSignal::new(false);
    let enabled = move || conversation.with(|c| c.as_ref().is_some_and(|c| c.ai_enabled));
    let state = move || {
        conversation.with(|c| {
            let c = c.as_ref()?;
            if c.opted_out {
                Some("the customer opted out".to_owned())
            } else if c.handoff == "requested" {
                Some("handed to you".to_owned())
            } else {
                c.ai_paused_until
                    .as_deref()
                    .and_then(format::epoch)
                    .filter(|_| c.ai_enabled)
                    .map(|until| {
                        let (_, local) = browser::now();
                        format!("paused until {}", format::clock(until, local))
                    })
            }
        })
    };
    let toggle = move |_| {
        let Some(id) = conversation.with_untracked(|c| c.as_ref().map(|c| c.id)) else {
            return;
        };
        let on = !enabled();
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = set_conversation_ai(id, on).await {
                store.notice.set(Some(e.message));
            }
            store.refresh_row(id);
            let _ = busy.try_set(false);
        });
    };
    view! {
        <button
            type="button"
            role="switch"
            id="ai-switch"
            class="switch"
            aria-checked=move || enabled().to_string()
            disabled=busy
            on:click=toggle
        >
            <span class="switch-track" aria-hidden="true"><span class="switch-thumb"></span></span>
            "AI replies"
        </button>
        {move || state().map(|s| view! { <span class="muted ai-state">{s}</span> })}
    }
    .into_any()
}

#[component]
fn FreeForm() -> impl IntoView {
    let store = expect_context::<Store>();
    let draft = RwSignal::new(String::new());
    let preview = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Textarea>::new();

    let send = move || {
        let text = draft.get_untracked();
        let Some(id) = store.selected.get_untracked() else {
            return;
        };
        if text.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match send_reply(id, text, None).await {
                Ok(_) => {
                    let _ = draft.try_set(String::new());
                    let _ = preview.try_set(false);
                    store.merge_latest(id);
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                }
            }
            let _ = sending.try_set(false);
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    // Wraps the selection (or the cursor) in a formatting marker.
    let wrap = move |marker: &'static str| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = input.get_untracked() {
            let text = draft.get_untracked();
            let utf16: Vec<u16> = text.encode_utf16().collect();
            let start = el.selection_start().ok().flatten().unwrap_or(0) as usize;
            let end = el.selection_end().ok().flatten().unwrap_or(0) as usize;
            let (start, end) = (
                start.min(utf16.len()),
                end.min(utf16.len()).max(start.min(utf16.len())),
            );
            let before = String::from_utf16_lossy(&utf16[..start]);
            let selected = String::from_utf16_lossy(&utf16[start..end]);
            let after = String::from_utf16_lossy(&utf16[end..]);
            draft.set(format!("{before}{marker}{selected}{marker}{after}"));
            el.set_value(&draft.get_untracked());
            let caret = (start + marker.len() + (end - start)) as u32;
            let _ = el.focus();
            let _ = el.set_selection_range(caret, caret);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (marker, input);
    };
    view! {
        <div class="free-form">
            <div class="format-bar" role="toolbar" aria-label="Formatting">
                {MARKERS.iter().map(|(marker, label, name)| view! {
                    <button type="button" class="format" title=*name aria-label=*name on:click=move |_| wrap(marker)>
                        {*label}
                    </button>
                }).collect_view()}
                <label class="check preview-toggle">
                    <input type="checkbox" prop:checked=preview on:change=move |ev| preview.set(event_target_checked(&ev)) />
                    "Preview"
                </label>
            </div>
            <Show when=move || preview.get()>
                <div class="preview bubble agent" aria-label="Preview">
                    {move || view! { <Formatted text=draft.get() /> }}
                </div>
            </Show>
            <div class="compose-row">
                <label class="visually-hidden" for="composer-input">"Reply"</label>
                <textarea
                    id="composer-input"
                    node_ref=input
                    rows="2"
                    maxlength="4096"
                    placeholder="Write a reply — Enter sends, Shift+Enter for a new line"
                    prop:value=draft
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_key
                ></textarea>
                <button
                    type="button"
                    disabled=move || sending.get() || draft.with(|d| d.trim().is_empty())
                    on:click=move |_| send()
                >
                    {move || if sending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </div>
    }
    .into_any()
}
