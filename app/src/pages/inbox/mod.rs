//! The live inbox: the conversation list, the open thread with its composer, and the customer
//! panel, kept current by the server's change stream. Data is loaded in the browser (the
//! server renders the frame and skeletons): it is live, local-time, and merged event by event.

mod composer;
mod list;
mod message;
mod panel;
mod shortcuts;
mod store;
mod thread;
mod wa_templates;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::browser;
use crate::model::{Change, PushEvent};

pub use store::Store;

/// The changes the inbox follows.
const EVENTS: &[&str] = &[
    "message_created",
    "message_status",
    "message_updated",
    "conversation_updated",
    "conversation_deleted",
    "typing",
    "handoff_requested",
];

/// How the dashboard tells the owner about new customer messages and hand-offs while they look
/// elsewhere: a count in the tab's title (see `App`) and, when allowed, a system notification.
#[derive(Clone, Copy)]
pub struct Attention {
    pub unseen: RwSignal<u32>,
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    let selected = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i32>().ok())
    });
    let attention = use_context::<Attention>();
    let store = Store::new(selected, attention);
    provide_context(store);
    let navigate = use_navigate();

    // The list reloads when the filters change (and at first).
    Effect::new(move |_| {
        store.filters.track();
        store.reload_list();
    });
    // The thread follows the address.
    Effect::new(move |_| match selected.get() {
        Some(id) => store.open_thread(id),
        None => store.thread.set(None),
    });
    // Back in the tab: what was counted as unseen has been seen.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if browser::tab_visible() {
                if let Some(attention) = attention {
                    attention.unseen.set(0);
                }
                if let Some(id) = selected.get_untracked() {
                    store.mark_read_if_unread(id);
                }
            }
        });
        on_cleanup(move || handle.remove());
    }

    let go = {
        let navigate = navigate.clone();
        Callback::new(move |path: String| navigate(&path, Default::default()))
    };
    browser::on_changes(EVENTS, move |data| {
        if let Ok(event) = serde_json::from_str::<PushEvent>(&data) {
            store.apply(event.change, go);
        }
    });
    // (Re)connected: whatever happened meanwhile is read again; down: the header says so.
    browser::on_changes(&[browser::CONNECTED], move |_| {
        store.live.set(true);
        store.resync();
    });
    browser::on_changes(&[browser::DISCONNECTED], move |_| store.live.set(false));

    shortcuts::install(store, go);

    view! {
        <Title text=move || match store.thread.with(|t| t.as_ref().map(|t| t.conversation.name.clone())) {
            Some(name) => format!("{name} · Inbox"),
            None => "Inbox".to_owned(),
        } />
        <div class="inbox" class:has-thread=move || selected.get().is_some()>
            <list::ConversationList />
            <section class="inbox-main" aria-label="Conversation">
                {move || match selected.get() {
                    Some(_) => view! { <thread::ThreadView /> }.into_any(),
                    None => view! {
                        <div class="inbox-empty">
                            <p>"Pick a conversation on the left."</p>
                            <p class="muted">"New messages appear here as they arrive. Press " <kbd>"?"</kbd> " for keyboard shortcuts."</p>
                        </div>
                    }.into_any(),
                }}
            </section>
            <shortcuts::Help />
        </div>
    }
    .into_any()
}

/// What a change means for the open page.
impl Store {
    fn apply(self, change: Change, go: Callback<String>) {
        let open = self.selected.get_untracked();
        let is_open = |id: i32| open == Some(id);
        match change {
            // The same commit also reports `ConversationUpdated`, which re-reads the row.
            Change::MessageCreated {
                conversation_id, ..
            }
            | Change::MessageStatus {
                conversation_id, ..
            }
            | Change::MessageUpdated {
                conversation_id, ..
            } if is_open(conversation_id) => self.merge_latest(conversation_id),
            Change::ConversationUpdated { conversation_id } => {
                self.refresh_row(conversation_id);
            }
            Change::HandoffRequested {
                conversation_id,
                reason,
            } => {
                // The row is re-read for the `ConversationUpdated` of the same commit.
                self.call_attention(conversation_id, "A customer needs a person", &reason);
            }
            Change::ConversationDeleted { conversation_id } => {
                self.rows
                    .update(|rows| rows.retain(|r| r.id != conversation_id));
                if is_open(conversation_id) {
                    self.notice
                        .set(Some("That conversation was erased.".to_owned()));
                    go.run("/inbox".to_owned());
                }
            }
            Change::Typing { conversation_id } => self.typing.set(Some(conversation_id)),
            _ => {}
        }
    }
}
