//! The conversation list: search, filters, bulk actions, and pages loaded as it scrolls.

use leptos::prelude::*;
use leptos_router::components::A;

use super::store::Filters;
use super::Store;
use crate::api::inbox::bulk_update;
use crate::browser;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::error::AppError;
use crate::format;
use crate::model::{BulkAction, ConversationSummary};

/// What the list area shows.
#[derive(Clone, PartialEq)]
enum Shown {
    Rows,
    Error(AppError),
    Loading,
    Empty { filtered: bool },
}

#[component]
pub fn ConversationList() -> impl IntoView {
    let store = expect_context::<Store>();
    // What the list area shows. Only a change of kind rebuilds it: the rows update in place
    // (keyed), so a new message, a page loading or a status does not rebuild the list.
    let shown = Memo::new(move |_| {
        if !store.rows.with(Vec::is_empty) {
            return Shown::Rows;
        }
        if let Some(error) = store.list_error.get() {
            return Shown::Error(error);
        }
        if store.list_loading.get() {
            return Shown::Loading;
        }
        Shown::Empty {
            filtered: store.filters.with(|f| *f != Filters::default()),
        }
    });
    let on_scroll = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let left = el.scroll_height() - el.scroll_top() - el.client_height();
                if left < 300 {
                    store.load_more();
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! {
        <section class="inbox-list" aria-label="Conversations">
            <ListHeader />
            <Filters />
            <BulkBar />
            <div class="conversation-scroll" on:scroll=on_scroll>
                {move || match shown.get() {
                    Shown::Rows => view! { <Rows /> }.into_any(),
                    Shown::Error(error) => view! { <ErrorBox error /> }.into_any(),
                    Shown::Loading => view! { <Skeleton lines=8 /> }.into_any(),
                    Shown::Empty { filtered } => view! {
                        <p class="muted list-empty">
                            {if filtered {
                                "No conversation matches these filters."
                            } else {
                                "No conversations yet. When a customer writes to your WhatsApp number, it appears here at once."
                            }}
                        </p>
                    }
                    .into_any(),
                }}
                <Show when=move || store.cursor.with(Option::is_some)>
                    <button
                        type="button"
                        class="secondary load-more"
                        disabled=move || store.list_loading.get()
                        on:click=move |_| store.load_more()
                    >
                        {move || if store.list_loading.get() { "Loading…" } else { "Load more" }}
                    </button>
                </Show>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn ListHeader() -> impl IntoView {
    let store = expect_context::<Store>();
    let permission = RwSignal::new("unsupported");
    Effect::new(move |_| permission.set(browser::notification_permission()));
    let ask = move |_| browser::ask_notifications(move |answer| permission.set(answer));
    view! {
        <div class="list-head">
            <h1>"Inbox"</h1>
            <span
                class="live"
                class:down=move || !store.live.get()
                role="status"
                data-testid="live-status"
            >
                {move || if store.live.get() { "Live" } else { "Reconnecting…" }}
            </span>
            <Show when=move || permission.get() == "default">
                <button type="button" class="link" on:click=ask>
                    "Turn on notifications"
                </button>
            </Show>
        </div>
        <Show when=move || store.notice.with(Option::is_some)>
            <p class="notice" role="status">
                {move || store.notice.get()}
                <button type="button" class="link" aria-label="Dismiss" on:click=move |_| store.notice.set(None)>
                    "×"
                </button>
            </p>
        </Show>
    }
    .into_any()
}

#[component]
fn Filters() -> impl IntoView {
    let store = expect_context::<Store>();
    let set = move |update: &dyn Fn(&mut Filters)| {
        store.filters.update(|f| update(f));
        store.selection.set(Vec::new());
    };
    view! {
        <div class="list-filters">
            <label class="visually-hidden" for="inbox-search">"Search conversations"</label>
            <input
                id="inbox-search"
                type="search"
                placeholder="Search name, phone or message  /"
                maxlength="200"
                autocomplete="off"
                prop:value=move || store.filters.with(|f| f.search.clone())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    set(&|f| f.search = text.clone());
                }
            />
            <div class="filter-row">
                <label>
                    <span class="visually-hidden">"Status"</span>
                    <select
                        aria-label="Status"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            set(&|f| f.status = (!value.is_empty()).then(|| value.clone()));
                        }
                    >
                        <option value="">"All"</option>
                        <option value="open">"Open"</option>
                        <option value="closed">"Closed"</option>
                        <option value="archived">"Archived"</option>
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">"AI"</span>
                    <select
                        aria-label="AI"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            set(&|f| f.ai = match value.as_str() {
                                "on" => Some(true),
                                "off" => Some(false),
                                _ => None,
                            });
                        }
                    >
                        <option value="">"AI on or off"</option>
                        <option value="on">"AI on"</option>
                        <option value="off">"AI off"</option>
                    </select>
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set(&|f| f.needs_human = on);
                        }
                    />
                    "Needs a person"
                </label>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn BulkBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let tag = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let run = move |action: BulkAction| {
        let ids = store.selection.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let done = action.done();
            match bulk_update(ids, action).await {
                Ok(n) => {
                    let noun = if n == 1 {
                        "conversation"
                    } else {
                        "conversations"
                    };
                    store.notice.set(Some(format!("{n} {noun} {done}.")));
                    store.selection.set(Vec::new());
                    tag.set(String::new());
                }
                Err(e) => store.notice.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=move || store.selection.with(|s| !s.is_empty())>
            <div class="bulk-bar" role="toolbar" aria-label="Bulk actions">
                <span>{move || format!("{} selected", store.selection.with(Vec::len))}</span>
                <button type="button" class="secondary" disabled=busy on:click=move |_| run(BulkAction::Close)>"Close"</button>
                <button type="button" class="secondary" disabled=busy on:click=move |_| run(BulkAction::Archive)>"Archive"</button>
                <button type="button" class="secondary" disabled=busy on:click=move |_| run(BulkAction::Reopen)>"Reopen"</button>
                <button type="button" class="secondary" disabled=busy on:click=move |_| run(BulkAction::AiOn)>"AI on"</button>
                <button type="button" class="secondary" disabled=busy on:click=move |_| run(BulkAction::AiOff)>"AI off"</button>
                <form class="bulk-tag" on:submit=move |ev| {
                    ev.prevent_default();
                    run(BulkAction::Tag { tag: tag.get_untracked() });
                }>
                    <input aria-label="Tag to add" placeholder="Tag" maxlength="40" bind:value=tag />
                    <button type="submit" class="secondary" disabled=move || busy.get() || tag.with(|t| t.trim().is_empty())>"Tag"</button>
                </form>
                <button type="button" class="link" on:click=move |_| store.selection.set(Vec::new())>"Clear"</button>
            </div>
        </Show>
    }
    .into_any()
}

/// A row's identity for the keyed list: a changed conversation is drawn again, the others are
/// left alone. A hash instead of a copy of the fields: with thousands of rows loaded, every
/// change would otherwise clone all of their strings.
fn fingerprint(row: &ConversationSummary) -> (i32, u64) {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    row.hash(&mut hasher);
    (row.id, hasher.finish())
}

#[component]
fn Rows() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <ul class="conversation-list">
            <For
                each=move || store.rows.get()
                key=fingerprint
                children=move |row| view! { <Row row /> }
            />
        </ul>
    }
    .into_any()
}

#[component]
fn Row(row: ConversationSummary) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = row.id;
    let (now, local) = browser::now();
    let time = row
        .last_message_at
        .as_deref()
        .and_then(format::epoch)
        .map(|at| format::when(at, now, local))
        .unwrap_or_default();
    let ticked = move || store.selection.with(|s| s.contains(&id));
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        store.selection.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id);
            }
        });
    };
    let needs_human = row.handoff == "requested";
    let unread = row.unread_count;
    let name = row.name.clone();
    view! {
        <li
            class="conversation"
            class:active=move || store.selected.get() == Some(id)
            class:unread={unread > 0}
            data-conversation=id
        >
            <input type="checkbox" class="pick" aria-label=format!("Select {name}") prop:checked=ticked on:change=toggle />
            <A href=format!("/inbox/{id}")>
                <span class="conversation-top">
                    <span class="conversation-name">
                        {row.priority.then(|| view! { <span class="priority" title="Priority" aria-label="Priority">"★"</span> })}
                        {row.name.clone()}
                    </span>
                    <span class="conversation-time">{time}</span>
                </span>
                <span class="conversation-bottom">
                    <span class="conversation-preview">{row.last_message_preview.clone().unwrap_or_default()}</span>
                    {(unread > 0).then(|| view! {
                        <span class="unread-count" aria-label=format!("{unread} unread")>{unread}</span>
                    })}
                </span>
                <span class="conversation-badges">
                    {needs_human.then(|| view! { <span class="badge bad">"Needs a person"</span> })}
                    <span class=if row.ai_enabled { "badge ok" } else { "badge" }>
                        {if row.ai_enabled { "AI on" } else { "AI off" }}
                    </span>
                    {(row.status != "open").then(|| view! { <span class="badge">{row.status.clone()}</span> })}
                    {row.simulated.then(|| view! { <span class="badge">"Simulator"</span> })}
                    {row.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
                </span>
            </A>
        </li>
    }
    .into_any()
}
