//! The open conversation: its header, its messages (older pages load when scrolled to the
//! top), the AI's typing, the composer, and the customer panel beside it.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::components::A;

use super::composer::Composer;
use super::message::Bubble;
use super::panel::CustomerPanel;
use super::Store;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::format;
use crate::model::{MessageView, Thread};

/// What a thread shows: its messages without reactions, and the reactions by message.
fn arrange(thread: &Thread) -> (Vec<MessageView>, HashMap<i32, Vec<String>>) {
    // The newest reaction of each side counts; an empty one took it back.
    let mut latest: HashMap<(i32, &str), &MessageView> = HashMap::new();
    for m in thread.messages.iter().filter(|m| m.kind == "reaction") {
        if let Some(target) = m.reply_to_id {
            latest.insert((target, m.direction.as_str()), m);
        }
    }
    let mut reactions: HashMap<i32, Vec<String>> = HashMap::new();
    for ((target, _), m) in latest {
        if !m.body.is_empty() {
            reactions.entry(target).or_default().push(m.body.clone());
        }
    }
    let shown = thread
        .messages
        .iter()
        .filter(|m| m.kind != "reaction")
        .cloned()
        .collect();
    (shown, reactions)
}

#[component]
pub fn ThreadView() -> impl IntoView {
    let store = expect_context::<Store>();
    // Only which conversation is loaded rebuilds the pane: a new message or status must not
    // (it would replace every bubble and lose the draft in the composer).
    let loaded = Memo::new(move |_| store.thread.with(|t| t.as_ref().map(|t| t.conversation.id)));
    move || {
        if let Some(error) = store.thread_error.get() {
            return view! {
                <div class="thread-pane">
                    <A href="/inbox" attr:class="back">"← Inbox"</A>
                    <ErrorBox error />
                </div>
            }
            .into_any();
        }
        if loaded.get().is_none() {
            return view! { <div class="thread-pane"><Skeleton lines=10 /></div> }.into_any();
        }
        view! {
            <div class="thread-pane" class:with-panel=move || store.panel_open.get()>
                <div class="thread-column">
                    <ThreadHeader />
                    <Messages />
                    <Composer />
                </div>
                <Show when=move || store.panel_open.get()>
                    <CustomerPanel />
                </Show>
            </div>
        }
        .into_any()
    }
}

#[component]
fn ThreadHeader() -> impl IntoView {
    let store = expect_context::<Store>();
    let conversation = move || {
        store
            .thread
            .with(|t| t.as_ref().map(|t| t.conversation.clone()))
    };
    let usage = move || {
        store
            .thread
            .with(|t| t.as_ref().map(|t| t.ai_usage.clone()))
    };
    view! {
        <header class="thread-head">
            <A href="/inbox" attr:class="back" attr:aria-label="Back to the conversation list">"←"</A>
            <div class="thread-who">
                <h2 data-testid="thread-name">{move || conversation().map(|c| c.name).unwrap_or_default()}</h2>
                <span class="muted">
                    {move || conversation().map(|c| c.phone.unwrap_or(c.wa_id)).unwrap_or_default()}
                    {move || usage().filter(|u| u.calls > 0).map(|u| format!(" · AI: {} calls, {}", u.calls, format::dollars(u.cost_micros)))}
                </span>
            </div>
            {move || conversation().map(|c| {
                let handoff = (c.handoff == "requested").then(|| view! {
                    <span class="badge bad" title=c.handoff_reason.clone().unwrap_or_default()>"Needs a person"</span>
                });
                let opted_out = c.opted_out.then(|| view! { <span class="badge bad">"Opted out"</span> });
                view! { <span class="thread-badges">{handoff}{opted_out}</span> }
            })}
            <button
                type="button"
                class="secondary"
                aria-expanded=move || store.panel_open.get().to_string()
                aria-controls="customer-panel"
                on:click=move |_| store.panel_open.update(|open| *open = !*open)
            >
                "Customer"
            </button>
        </header>
    }
    .into_any()
}

#[component]
fn Messages() -> impl IntoView {
    let store = expect_context::<Store>();
    let scroller = NodeRef::<leptos::html::Div>::new();
    // Whether the owner is at the bottom (new messages then scroll into view).
    let at_bottom = StoredValue::new(true);
    let arranged = Memo::new(move |_| store.thread.with(|t| t.as_ref().map(arrange)));

    #[cfg(feature = "hydrate")]
    {
        // After each change of the messages: keep the bottom in view when it was, and keep
        // the same message in view when older ones were added above.
        let previous_height = StoredValue::new(0);
        let previous_first = StoredValue::new(None::<i32>);
        Effect::new(move |_| {
            let first = arranged.with(|a| a.as_ref().and_then(|(m, _)| m.first().map(|m| m.id)));
            let Some(el) = scroller.get() else { return };
            let grew_above = previous_first
                .get_value()
                .is_some_and(|p| first.is_some_and(|f| f < p));
            let height = el.scroll_height();
            if grew_above {
                el.set_scroll_top(el.scroll_top() + height - previous_height.get_value());
            } else if at_bottom.get_value() {
                el.set_scroll_top(height);
            }
            previous_height.set_value(height);
            previous_first.set_value(first);
        });
    }
    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            at_bottom.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < 80);
            if el.scroll_top() < 120 {
                store.load_older();
            }
        }
    };
    let typing = move || {
        let open = store.selected.get();
        open.is_some() && store.typing.get() == open
    };
    view! {
        <div class="messages" node_ref=scroller on:scroll=on_scroll aria-live="polite" aria-label="Messages" tabindex="0">
            <Show when=move || store.thread.with(|t| t.as_ref().is_some_and(|t| t.older_cursor.is_some()))>
                <button type="button" class="link load-older" disabled=move || store.older_loading.get() on:click=move |_| store.load_older()>
                    {move || if store.older_loading.get() { "Loading…" } else { "Load earlier messages" }}
                </button>
            </Show>
            <ol class="bubbles">
                <For
                    each=move || arranged.get().map(|(m, _)| m).unwrap_or_default()
                    key=|m| (m.id, m.status.clone(), m.media_status.clone(), m.error.clone())
                    children=move |message| {
                        let id = message.id;
                        let quoted = message.reply_to_id.map(|target| {
                            store.thread.with_untracked(|t| {
                                t.as_ref()?.messages.iter().find(|m| m.id == target).cloned()
                            })
                        });
                        let reactions = Signal::derive(move || {
                            arranged.with(|a| a.as_ref().and_then(|(_, r)| r.get(&id).cloned()).unwrap_or_default())
                        });
                        view! { <Bubble message quoted reactions /> }
                    }
                />
            </ol>
            <Show when=typing>
                <p class="typing" role="status">"The AI is writing…"</p>
            </Show>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConversationSummary, ConversationUsage};

    #[test]
    fn reactions_sit_on_their_message_and_can_be_taken_back() {
        let thread = Thread {
            conversation: ConversationSummary {
                id: 1,
                customer_id: 1,
                name: "Ana".into(),
                phone: None,
                wa_id: "1".into(),
                status: "open".into(),
                ai_enabled: true,
                handoff: "none".into(),
                priority: false,
                unread_count: 0,
                last_message_at: None,
                last_message_preview: None,
                window_closes_at: None,
                handoff_reason: None,
                ai_paused_until: None,
                opted_out: false,
                simulated: false,
                tags: vec![],
            },
            messages: vec![
                MessageView::example(1, "text", "outbound", "Your order shipped", None),
                MessageView::example(2, "reaction", "inbound", "👍", Some(1)),
                MessageView::example(3, "text", "inbound", "Thanks", None),
                MessageView::example(4, "reaction", "inbound", "❤️", Some(3)),
                MessageView::example(5, "reaction", "inbound", "", Some(3)),
            ],
            older_cursor: None,
            ai_usage: ConversationUsage::default(),
        };
        let (shown, reactions) = arrange(&thread);
        let ids: Vec<i32> = shown.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 3]);
        assert_eq!(reactions.get(&1), Some(&vec!["👍".to_owned()]));
        assert_eq!(reactions.get(&3), None, "taken back");
    }
}
