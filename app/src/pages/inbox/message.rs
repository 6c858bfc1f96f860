//! One message as a bubble: whose it is, its content by type, its delivery ticks, and for an
//! AI answer, how it was written and from which passages.

use leptos::prelude::*;

use super::Store;
use crate::api::inbox::{cited_passages, retry_message};
use crate::browser;
use crate::format::{self, Style};
use crate::model::{AiDetails, CitedPassage, MessageView};

/// Text with WhatsApp's formatting applied.
#[component]
pub fn Formatted(text: String) -> impl IntoView {
    format::whatsapp_spans(&text)
        .into_iter()
        .map(|(style, piece)| match style {
            Style::Plain => view! { <span>{piece}</span> }.into_any(),
            Style::Bold => view! { <strong>{piece}</strong> }.into_any(),
            Style::Italic => view! { <em>{piece}</em> }.into_any(),
            Style::Strike => view! { <s>{piece}</s> }.into_any(),
            Style::Mono => view! { <code>{piece}</code> }.into_any(),
        })
        .collect_view()
}

/// A map link for a location body ("Name, Address -23.56,-46.65").
fn map_link(body: &str) -> Option<String> {
    let coords = body.rsplit(' ').next()?;
    let (lat, lng) = coords.split_once(',')?;
    let (lat, lng) = (lat.parse::<f64>().ok()?, lng.parse::<f64>().ok()?);
    Some(format!(
        "https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=16/{lat}/{lng}"
    ))
}

/// The content of a message by its type.
fn content(m: &MessageView) -> AnyView {
    let body = m.body.clone();
    let media = m.media_url.clone();
    let pending = m.media_status.as_deref() == Some("pending");
    let caption = (!body.is_empty())
        .then(|| view! { <p class="caption"><Formatted text=body.clone() /></p> });
    let why = m.error.clone();
    let unavailable = |what: &'static str| {
        if pending {
            view! { <p class="media-note">{format!("Downloading the {what}…")}</p> }.into_any()
        } else {
            // The reason says what to do: a limit to raise, a token to replace.
            let said = match &why {
                Some(reason) => format!("The {what} was not downloaded. {reason}"),
                None => format!("The {what} could not be downloaded."),
            };
            view! { <p class="media-note">{said}</p> }.into_any()
        }
    };
    match m.kind.as_str() {
        "image" | "sticker" => {
            let class = if m.kind == "sticker" {
                "sticker"
            } else {
                "photo"
            };
            let image = match media {
                Some(src) => {
                    let link = src.clone();
                    view! {
                    <a href=link target="_blank" rel="noopener">
                        <img class=class src=src alt=if body.is_empty() { "Photo".to_owned() } else { body.clone() } loading="lazy" />
                    </a>
                    }
                    .into_any()
                }
                None => unavailable("photo"),
            };
            view! { {image} {caption} }.into_any()
        }
        "audio" => match media {
            Some(src) => view! { <audio controls preload="none" src=src></audio> }.into_any(),
            None => unavailable("voice message"),
        },
        "video" => {
            let video = match media {
                Some(src) => {
                    view! { <video controls preload="metadata" src=src></video> }.into_any()
                }
                None => unavailable("video"),
            };
            view! { {video} {caption} }.into_any()
        }
        "document" => match media {
            Some(src) => view! {
                <a class="document-link" href=src download=body.clone()>
                    <span aria-hidden="true">"📄 "</span>
                    {if body.is_empty() { "Document".to_owned() } else { body.clone() }}
                </a>
            }
            .into_any(),
            None => unavailable("document"),
        },
        "location" => match map_link(&body) {
            Some(href) => view! {
                <a class="location-link" href=href target="_blank" rel="noopener">
                    <span aria-hidden="true">"📍 "</span>{body.clone()}
                </a>
            }
            .into_any(),
            None => view! { <p><span aria-hidden="true">"📍 "</span>{body.clone()}</p> }.into_any(),
        },
        "contacts" => {
            view! { <p><span aria-hidden="true">"👤 "</span>{body.clone()}</p> }.into_any()
        }
        "template" => view! { <p class="template-note">{body.clone()}</p> }.into_any(),
        _ => view! { <p><Formatted text=body.clone() /></p> }.into_any(),
    }
}

/// ✓ sent, ✓✓ delivered, blue ✓✓ read, ⚠ failed (with the reason), ⏱ waiting.
fn ticks(status: &str) -> (&'static str, &'static str) {
    match status {
        "queued" | "sending" => ("⏱", "Sending"),
        "sent" => ("✓", "Sent"),
        "delivered" => ("✓✓", "Delivered"),
        "read" | "played" => ("✓✓", "Read"),
        "failed" => ("⚠", "Not sent"),
        _ => ("", ""),
    }
}

#[component]
pub fn Bubble(
    message: MessageView,
    quoted: Option<Option<MessageView>>,
    reactions: Signal<Vec<String>>,
) -> impl IntoView {
    let (_, local) = browser::now();
    let time = format::epoch(&message.sent_at)
        .map(|at| format::clock(at, local))
        .unwrap_or_default();
    let who = match message.sender.as_str() {
        "customer" => "customer",
        "ai" => "ai",
        "agent" => "agent",
        _ => "system",
    };
    let author = match who {
        "ai" => "AI",
        "agent" => "You",
        _ => "",
    };
    let (tick, tick_label) = ticks(&message.status);
    let failed = message.status == "failed";
    let reason = message
        .error
        .clone()
        .unwrap_or_else(|| "WhatsApp did not accept it.".to_owned());
    let quote = quoted.map(|target| {
        let text = target
            .map(|t| {
                if t.body.is_empty() {
                    format!("[{}]", t.kind)
                } else {
                    t.body
                }
            })
            .unwrap_or_else(|| "an earlier message".to_owned());
        view! { <blockquote class="quote">{text}</blockquote> }
    });
    let outbound = message.direction == "outbound";
    // A customer's message with a note (written to another of the business's numbers, so
    // not answered); a media message's note is shown where its file would be.
    let note = message
        .error
        .clone()
        .filter(|_| !outbound && message.media_status.is_none());
    let id = message.id;
    let ai = message.ai.clone();
    view! {
        <li class=format!("bubble {who}") data-message=id data-status=message.status.clone()>
            {(!author.is_empty()).then(|| view! { <span class="author">{author}</span> })}
            {quote}
            {content(&message)}
            {note.map(|note| view! { <p class="message-note" data-testid="message-note">{note}</p> })}
            <span class="meta">
                <time datetime=message.sent_at.clone()>{time}</time>
                {outbound.then(|| view! {
                    <span
                        class=format!("ticks {}", message.status)
                        title=if failed { reason.clone() } else { tick_label.to_owned() }
                        aria-label=tick_label
                        tabindex=if failed { "0" } else { "-1" }
                    >
                        {tick}
                    </span>
                })}
            </span>
            {move || {
                let r = reactions.get();
                (!r.is_empty()).then(|| view! { <span class="reactions" aria-label="Reactions">{r.join(" ")}</span> })
            }}
            {failed.then(|| view! { <SendFailure id reason=reason.clone() /> })}
            {ai.map(|details| view! { <AiNote details /> })}
        </li>
    }
    .into_any()
}

/// Why a message was not sent, and a way to send it again.
#[component]
fn SendFailure(id: i32, reason: String) -> impl IntoView {
    let store = expect_context::<Store>();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let retry = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match retry_message(id).await {
                Ok(_) => {
                    if let Some(open) = store.selected.get_untracked() {
                        store.merge_latest(open);
                    }
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <div class="send-failure" role="alert">
            <span>{reason}</span>
            <button type="button" class="link" disabled=busy on:click=retry>
                {move || if busy.get() { "Retrying…" } else { "Retry" }}
            </button>
            {move || problem.get().map(|p| view! { <span class="field-error">{p}</span> })}
        </div>
    }
    .into_any()
}

/// How an AI answer was written: model, time, cost, and the passages it was given.
#[component]
fn AiNote(details: AiDetails) -> impl IntoView {
    let passages = RwSignal::new(None::<Result<Vec<CitedPassage>, String>>);
    let open = RwSignal::new(false);
    let ids = details.passages.clone();
    let count = ids.len();
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open && passages.with_untracked(Option::is_none) {
            let ids = ids.clone();
            leptos::task::spawn_local(async move {
                let loaded = cited_passages(ids).await.map_err(|e| e.message);
                let _ = passages.try_set(Some(loaded));
            });
        }
    };
    let model = details
        .model
        .clone()
        .unwrap_or_else(|| details.provider.clone());
    let summary = match details.provider.as_str() {
        "extractive" => "Excerpt from your documents (no AI provider)".to_owned(),
        "handoff" => "Handed to a person".to_owned(),
        _ => format!(
            "{model} · {} ms · {} · {} + {} tokens",
            details.latency_ms,
            format::dollars(details.cost_micros),
            details.tokens_in,
            details.tokens_out
        ),
    };
    view! {
        <div class="ai-note">
            <span>{summary}</span>
            {(count > 0).then(|| view! {
                <button type="button" class="link" aria-expanded=move || open.get().to_string() on:click=toggle.clone()>
                    {format!("Sources ({count})")}
                </button>
            })}
            <Show when=move || open.get()>
                {move || match passages.get() {
                    None => view! { <p class="muted">"Loading the passages…"</p> }.into_any(),
                    Some(Err(problem)) => view! { <p class="field-error">{problem}</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="muted">"These passages are no longer in the knowledge base."</p>
                    }.into_any(),
                    Some(Ok(list)) => view! {
                        <ol class="passages">
                            {list.into_iter().map(|p| view! {
                                <li>
                                    <a href=format!("/knowledge/{}", p.document_id)>{p.document_title}</a>
                                    {(!p.heading_path.is_empty()).then(|| view! { <span class="muted">{format!(" › {}", p.heading_path)}</span> })}
                                    <p>{p.content}</p>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                }}
            </Show>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    #[test]
    fn locations_link_to_a_map() {
        assert_eq!(
            super::map_link("Padaria, Rua A 10 -23.5614,-46.6559").as_deref(),
            Some("https://www.openstreetmap.org/?mlat=-23.5614&mlon=-46.6559#map=16/-23.5614/-46.6559")
        );
        assert_eq!(super::map_link("somewhere"), None);
    }
}
