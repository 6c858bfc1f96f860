//! The customer beside their conversation: who they are, the owner's notes and tags, what to
//! do with the conversation, exports, and erasing the customer for good.

use leptos::prelude::*;

use super::Store;
use crate::api::inbox::{
    erase_customer, load_customer, set_conversation_priority, set_conversation_status,
    update_customer,
};
use crate::browser;
use crate::error::AppError;
use crate::format;
use crate::model::{CustomerInput, CustomerProfile, EXPORT_FORMATS};
use crate::validate::split_tags;

#[component]
pub fn CustomerPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let profile = RwSignal::new(None::<Result<CustomerProfile, AppError>>);
    Effect::new(move |_| {
        store.panel_version.track();
        let Some(id) = store.selected.get() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let loaded = load_customer(id).await;
            let _ = profile.try_set(Some(loaded));
        });
    });
    view! {
        <aside class="customer-panel" id="customer-panel" aria-label="Customer">
            <div class="panel-head">
                <h2>"Customer"</h2>
                <button type="button" class="link" aria-label="Close the customer panel" on:click=move |_| store.panel_open.set(false)>"×"</button>
            </div>
            {move || match profile.get() {
                None => view! { <crate::components::feedback::Skeleton lines=6 /> }.into_any(),
                Some(Err(error)) => view! { <crate::components::feedback::ErrorBox error /> }.into_any(),
                Some(Ok(customer)) => view! { <Profile customer=customer.clone() /> <Details customer /> <Actions /> <Exports /> <Erase /> }.into_any(),
            }}
        </aside>
    }
    .into_any()
}

#[component]
fn Profile(customer: CustomerProfile) -> impl IntoView {
    let (now, local) = browser::now();
    let day = |at: &str| {
        format::epoch(at)
            .map(|at| format::when(at, now, local))
            .unwrap_or_default()
    };
    view! {
        <dl class="facts">
            <dt>"Name"</dt>
            <dd data-testid="customer-name">{customer.name.clone()}</dd>
            {customer.profile_name.clone().filter(|p| *p != customer.name).map(|p| view! {
                <dt>"WhatsApp name"</dt><dd>{p}</dd>
            })}
            <dt>"Phone"</dt>
            <dd>{customer.phone.clone().unwrap_or_else(|| customer.wa_id.clone())}</dd>
            <dt>"First seen"</dt>
            <dd>{day(&customer.first_seen_at)}</dd>
            <dt>"Last seen"</dt>
            <dd>{day(&customer.last_seen_at)}</dd>
            <dt>"Messages"</dt>
            <dd>{format!("{} received · {} sent", customer.messages_received, customer.messages_sent)}</dd>
            {customer.opted_out.then(|| view! { <dt>"Marketing"</dt><dd>"Opted out (wrote STOP)"</dd> })}
        </dl>
    }
    .into_any()
}

#[component]
fn Details(customer: CustomerProfile) -> impl IntoView {
    let store = expect_context::<Store>();
    let current = customer;
    let display_name = RwSignal::new(current.display_name.clone());
    let notes = RwSignal::new(current.notes.clone());
    let tags = RwSignal::new(current.tags.join(", "));
    let saving = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<(), String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = store.selected.get_untracked() else {
            return;
        };
        let input = CustomerInput {
            display_name: display_name.get_untracked(),
            notes: notes.get_untracked(),
            tags: split_tags(&tags.get_untracked()),
        };
        saving.set(true);
        leptos::task::spawn_local(async move {
            match update_customer(id, input).await {
                Ok(saved) => {
                    let _ = tags.try_set(saved.tags.join(", "));
                    let _ = result.try_set(Some(Ok(())));
                }
                Err(e) => {
                    let _ = result.try_set(Some(Err(e.message)));
                }
            }
            let _ = saving.try_set(false);
        });
    };
    view! {
        <form class="customer-details" on:submit=save>
            <div class="field">
                <label for="customer-display-name">"Your name for them"</label>
                <input id="customer-display-name" maxlength="100" placeholder=current.profile_name.clone().unwrap_or_default() bind:value=display_name />
            </div>
            <div class="field">
                <label for="customer-notes">"Notes"</label>
                <textarea id="customer-notes" rows="4" maxlength="4000" prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            </div>
            <div class="field">
                <label for="customer-tags">"Tags"</label>
                <input id="customer-tags" placeholder="vip, wholesale" bind:value=tags />
            </div>
            <button type="submit" class="secondary" disabled=saving>{move || if saving.get() { "Saving…" } else { "Save" }}</button>
            {move || result.get().map(|r| match r {
                Ok(()) => view! { <span class="muted" role="status">"Saved."</span> }.into_any(),
                Err(p) => view! { <p class="form-error" role="alert">{p}</p> }.into_any(),
            })}
        </form>
    }
    .into_any()
}

#[component]
fn Actions() -> impl IntoView {
    let store = expect_context::<Store>();
    let conversation = move || {
        store
            .thread
            .with(|t| t.as_ref().map(|t| t.conversation.clone()))
    };
    let set_status = move |status: &'static str| {
        let Some(id) = store.selected.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match set_conversation_status(id, status.to_owned()).await {
                Ok(()) => store.refresh_row(id),
                Err(e) => store.notice.set(Some(e.message)),
            }
        });
    };
    let toggle_priority = move |_| {
        let Some(c) = conversation() else { return };
        leptos::task::spawn_local(async move {
            match set_conversation_priority(c.id, !c.priority).await {
                Ok(()) => store.refresh_row(c.id),
                Err(e) => store.notice.set(Some(e.message)),
            }
        });
    };
    view! {
        <div class="panel-actions" role="group" aria-label="Conversation">
            {move || conversation().map(|c| {
                let status = c.status.clone();
                view! {
                    {(status != "open").then(|| view! { <button type="button" class="secondary" on:click=move |_| set_status("open")>"Reopen"</button> })}
                    {(status != "closed").then(|| view! { <button type="button" class="secondary" on:click=move |_| set_status("closed")>"Close"</button> })}
                    {(status != "archived").then(|| view! { <button type="button" class="secondary" on:click=move |_| set_status("archived")>"Archive"</button> })}
                    <button type="button" class="secondary" aria-pressed=c.priority.to_string() on:click=toggle_priority>
                        {if c.priority { "★ Priority" } else { "☆ Mark priority" }}
                    </button>
                }
            })}
        </div>
    }
    .into_any()
}

#[component]
fn Exports() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="exports">
            <h3>"Export"</h3>
            {move || store.selected.get().map(|id| EXPORT_FORMATS.iter().map(|(key, label)| view! {
                <a class="button secondary" href=format!("/api/inbox/conversations/{id}/export?format={key}") download>
                    {*label}
                </a>
            }).collect_view())}
        </div>
    }
    .into_any()
}

#[component]
fn Erase() -> impl IntoView {
    let store = expect_context::<Store>();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let erase = move |_| {
        let Some(id) = store.selected.get_untracked() else {
            return;
        };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match erase_customer(id).await {
                Ok(()) => {
                    store.rows.update(|rows| rows.retain(|r| r.id != id));
                    store.notice.set(Some(
                        "The customer and all their data were erased.".to_owned(),
                    ));
                    navigate("/inbox", Default::default());
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                    let _ = busy.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="danger-zone">
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Erase customer…"</button>
                }
            >
                <div role="alertdialog" aria-labelledby="erase-title" aria-describedby="erase-text" class="confirm">
                    <p id="erase-title"><strong>"Erase this customer?"</strong></p>
                    <p id="erase-text">"Their conversations, messages, files and notes are deleted for good. This cannot be undone."</p>
                    <button type="button" class="danger" disabled=busy on:click=erase.clone()>
                        {move || if busy.get() { "Erasing…" } else { "Erase for good" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </div>
    }
    .into_any()
}
