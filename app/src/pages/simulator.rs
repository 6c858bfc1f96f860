//! The simulator: the owner writes as a test customer and watches the real pipeline answer —
//! typing, the reply, the passages it used, a hand-off when it happens. Nothing reaches
//! WhatsApp.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::ai::{load_simulator, simulator_clear, simulator_send};
use crate::api::inbox::set_conversation_ai;
use crate::browser;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::error::AppError;
use crate::format::dollars;
use crate::model::{Change, ConversationSummary, MessageView, PushEvent, Thread};

const EVENTS: &[&str] = &[
    "conversation_deleted",
    "message_created",
    "message_status",
    "conversation_updated",
    "typing",
    "handoff_requested",
];

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let typing = RwSignal::new(false);
    let conversation = RwSignal::new(None::<i32>);
    browser::on_changes(EVENTS, move |data| {
        let Ok(event) = serde_json::from_str::<PushEvent>(&data) else {
            return;
        };
        let mine = |id: i32| conversation.get_untracked().is_none_or(|c| c == id);
        match event.change {
            Change::Typing { conversation_id } if mine(conversation_id) => typing.set(true),
            Change::MessageCreated {
                conversation_id, ..
            }
            | Change::HandoffRequested {
                conversation_id, ..
            }
            | Change::ConversationUpdated { conversation_id }
            | Change::ConversationDeleted { conversation_id }
            | Change::MessageStatus {
                conversation_id, ..
            } if mine(conversation_id) => version.update(|v| *v += 1),
            _ => {}
        }
    });
    let state = Resource::new(move || version.get(), |_| load_simulator());
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);

    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match simulator_send(text).await {
                Ok(_) => {
                    draft.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            sending.set(false);
        });
    };
    let clear = move |_| {
        leptos::task::spawn_local(async move {
            match simulator_clear().await {
                Ok(()) => {
                    conversation.set(None);
                    typing.set(false);
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <Title text="Simulator" />
        <div class="page-head">
            <h1>"Simulator"</h1>
            <button type="button" class="secondary" on:click=clear>"Clear conversation"</button>
        </div>
        <p class="muted">
            "Write as a customer would. Your message goes through the same pipeline as a WhatsApp message — "
            "your knowledge base, the active prompt template and your AI providers (or excerpts when none is set) — "
            "and nothing is sent to WhatsApp."
        </p>
        <section class="card simulator" aria-label="Test conversation">
            <Transition fallback=|| view! { <Skeleton lines=4 /> }>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok(state) => {
                            conversation.set(state.thread.as_ref().map(|t| t.conversation.id));
                            if state.thread.as_ref().is_some_and(|t| t.messages.last().is_some_and(|m| m.direction == "outbound")) {
                                typing.set(false);
                            }
                            match state.thread {
                                Some(thread) => view! { <SimThread thread version /> }.into_any(),
                                None => view! {
                                    <p class="muted empty-chat">"No messages yet. Ask something your documents answer, such as your opening hours."</p>
                                }.into_any(),
                            }
                        }
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Transition>
            <Show when=move || typing.get()>
                <p class="typing" role="status" data-testid="typing">"Assistant is typing…"</p>
            </Show>
            <form
                class="composer"
                on:submit=move |ev| {
                    ev.prevent_default();
                    send();
                }
            >
                <textarea
                    rows="2"
                    maxlength="4096"
                    placeholder="Type a message as the customer…"
                    aria-label="Message as the customer"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send();
                        }
                    }
                ></textarea>
                <button type="submit" disabled=move || sending.get() || draft.get().trim().is_empty()>
                    {move || if sending.get() { "Sending…" } else { "Send" }}
                </button>
            </form>
            {move || error.get().map(|error| view! { <ErrorBox error /> })}
        </section>
    }
    .into_any()
}

#[component]
fn SimThread(thread: Thread, version: RwSignal<u32>) -> impl IntoView {
    let conversation = thread.conversation.clone();
    let usage = thread.ai_usage;
    let spent = (usage.calls > 0).then(|| {
        format!(
            "This conversation: {} provider calls · {} in / {} out tokens · {}",
            usage.calls,
            usage.tokens_in,
            usage.tokens_out,
            dollars(usage.cost_micros)
        )
    });
    view! {
        <HandoffBanner conversation version />
        {spent.map(|text| view! { <p class="muted small" data-testid="sim-usage">{text}</p> })}
        <ol class="chat" data-testid="sim-thread">
            {thread.messages.into_iter().map(|m| view! { <Bubble message=m /> }).collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn HandoffBanner(conversation: ConversationSummary, version: RwSignal<u32>) -> impl IntoView {
    if conversation.handoff == "none" && conversation.ai_enabled {
        return ().into_any();
    }
    let id = conversation.id;
    let resume = move |_| {
        leptos::task::spawn_local(async move {
            if set_conversation_ai(id, true).await.is_ok() {
                version.update(|v| *v += 1);
            }
        });
    };
    let text = if conversation.handoff != "none" {
        format!(
            "Handed to a person: {}",
            conversation
                .handoff_reason
                .unwrap_or_else(|| "the assistant asked for one.".into())
        )
    } else {
        "The AI is off in this conversation.".to_owned()
    };
    view! {
        <div class="banner warn" role="status" data-testid="handoff">
            <span>{text}</span>
            <button type="button" class="secondary" on:click=resume>"Switch the AI back on"</button>
        </div>
    }
    .into_any()
}

#[component]
fn Bubble(message: MessageView) -> impl IntoView {
    let mine = message.direction == "inbound";
    let class = if mine {
        "bubble customer"
    } else {
        "bubble bot"
    };
    let details = message.ai.map(|ai| {
        let source = match ai.model {
            Some(model) => format!("{} · {model}", ai.provider),
            None => ai.provider,
        };
        let numbers = if ai.tokens_in + ai.tokens_out > 0 {
            format!(
                " · {} in / {} out tokens · {} · {} ms",
                ai.tokens_in,
                ai.tokens_out,
                dollars(ai.cost_micros),
                ai.latency_ms
            )
        } else {
            format!(" · {} ms", ai.latency_ms)
        };
        let passages = match ai.passages.len() {
            0 => "no passages".to_owned(),
            1 => "1 passage".to_owned(),
            n => format!("{n} passages"),
        };
        view! { <p class="bubble-meta">{format!("{source}{numbers} · {passages}")}</p> }
    });
    view! {
        <li class=class data-sender=message.sender.clone()>
            <p class="bubble-text">{message.body}</p>
            {details}
        </li>
    }
    .into_any()
}
