//! Search as you type (debounced), with category and tag filters: the passages the assistant
//! would read for that question.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::knowledge::search_knowledge;
use crate::components::feedback::ErrorBox;
use crate::model::{KnowledgeQuery, Library, SearchHit};

const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn SearchPanel(library: Signal<Option<Library>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    // Debounce: each keystroke bumps the generation; only the last one's timer searches.
    let keystrokes = StoredValue::new(0u64);
    let settle = move |value: String| {
        keystrokes.update_value(|n| *n += 1);
        let mine = keystrokes.get_value();
        set_timeout(
            move || {
                if keystrokes.get_value() == mine {
                    text.set(value);
                }
            },
            DEBOUNCE,
        );
    };

    let results = Resource::new(
        move || (text.get(), category.get(), tag.get()),
        |(text, category, tag)| async move {
            if text.trim().is_empty() {
                return Ok(None);
            }
            let query = KnowledgeQuery {
                text,
                category: Some(category).filter(|c| !c.is_empty()),
                tag: Some(tag).filter(|t| !t.is_empty()),
                limit: Some(10),
            };
            search_knowledge(query).await.map(Some)
        },
    );
    let options = move |pick: fn(Library) -> Vec<String>| {
        library
            .get()
            .map(pick)
            .unwrap_or_default()
            .into_iter()
            .map(|value| {
                view! { <option value=value.clone()>{value.clone()}</option> }
            })
            .collect_view()
    };

    view! {
        <section class="card" aria-labelledby="search-title">
            <h2 id="search-title">"Search the knowledge"</h2>
            <div class="search-bar" role="search">
                <input
                    type="search"
                    placeholder="Ask what a customer would ask…"
                    aria-label="Search the knowledge"
                    maxlength="500"
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        typed.set(value.clone());
                        settle(value);
                    }
                />
                <select aria-label="Category" on:change=move |ev| category.set(event_target_value(&ev))>
                    <option value="">"All categories"</option>
                    {move || options(|l| l.categories)}
                </select>
                <select aria-label="Tag" on:change=move |ev| tag.set(event_target_value(&ev))>
                    <option value="">"All tags"</option>
                    {move || options(|l| l.tags)}
                </select>
            </div>
            <Transition fallback=|| view! { <p class="muted" role="status">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(hits)) if hits.is_empty() => {
                            view! { <p class="muted" role="status">"No passage matches."</p> }.into_any()
                        }
                        Ok(Some(hits)) => view! { <Hits hits /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn Hits(hits: Vec<SearchHit>) -> impl IntoView {
    view! {
        <ol class="hits" data-testid="search-results">
            {hits
                .into_iter()
                .map(|hit| {
                    let place = if hit.heading_path.is_empty() {
                        hit.document_title.clone()
                    } else {
                        format!("{} › {}", hit.document_title, hit.heading_path)
                    };
                    view! {
                        <li class="hit">
                            <div class="hit-head">
                                <A href=format!("/knowledge/{}", hit.document_id)>{place}</A>
                                <span class="muted small" title="Relevance (BM25)">{format!("{:.2}", hit.score)}</span>
                            </div>
                            <p class="snippet">
                                {hit
                                    .snippet
                                    .into_iter()
                                    .map(|part| {
                                        if part.hit {
                                            view! { <mark>{part.text}</mark> }.into_any()
                                        } else {
                                            part.text.into_any()
                                        }
                                    })
                                    .collect_view()}
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
