//! The Knowledge page: upload, write, search and manage what the assistant knows.

mod document;
mod entry;
mod library;
mod search;
mod upload;

pub use document::DocumentPage;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::knowledge::{knowledge_library, SetKnowledgeLanguage};
use crate::browser;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::model::{Library, KNOWLEDGE_LANGUAGES};
use entry::EntryForm;
use library::DocumentTable;
use search::SearchPanel;
use upload::UploadZone;

/// Change-stream events that concern the knowledge base.
const KNOWLEDGE_EVENTS: &[&str] = &[
    "document_updated",
    "document_deleted",
    "knowledge_reindexed",
];

fn refresh_on_changes(version: RwSignal<u32>) {
    browser::on_changes(KNOWLEDGE_EVENTS, move |_| version.update(|v| *v += 1));
}

#[component]
pub fn KnowledgePage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    refresh_on_changes(version);
    let library = Resource::new(move || version.get(), |_| knowledge_library());
    // The latest library for the parts outside the Transition (upload limits, filters, language):
    // filled from inside it, where the resource is read the way hydration expects.
    let latest = RwSignal::new(None::<Library>);
    let loaded = Signal::from(latest);
    let changed = Callback::new(move |()| version.update(|v| *v += 1));

    view! {
        <Title text="Knowledge" />
        <div class="page-head">
            <h1>"Knowledge"</h1>
            <LanguagePicker library=loaded changed />
        </div>
        <p class="muted">
            "What the assistant answers from. Upload PDFs, Word documents and text files, or write FAQ pairs and notes."
        </p>
        <UploadZone library=loaded changed />
        <SearchPanel library=loaded />
        <EntryForm changed />
        <Transition fallback=|| view! { <Skeleton lines=5 /> }>
            {move || Suspend::new(async move {
                match library.await {
                    Ok(library) => {
                        latest.set(Some(library.clone()));
                        view! { <DocumentTable library /> }.into_any()
                    }
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The stemming language of search; changing it rebuilds the index.
#[component]
fn LanguagePicker(library: Signal<Option<Library>>, changed: Callback<()>) -> impl IntoView {
    let action = ServerAction::<SetKnowledgeLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            changed.run(());
        }
    });
    let current = move || library.get().map(|l| l.language).unwrap_or_default();
    view! {
        <label class="inline-field">
            <span>"Search language"</span>
            <select
                disabled=move || action.pending().get() || library.get().is_none()
                on:change=move |ev| {
                    action.dispatch(SetKnowledgeLanguage { language: event_target_value(&ev) });
                }
            >
                {KNOWLEDGE_LANGUAGES
                    .iter()
                    .map(|(key, label)| {
                        view! {
                            <option value=*key selected=move || current() == *key>
                                {*label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <Show when=move || action.pending().get()>
                <span class="muted" role="status">"Rebuilding the index…"</span>
            </Show>
        </label>
        {move || {
            action
                .value()
                .get()
                .and_then(Result::err)
                .map(|e| view! { <p class="form-error" role="alert">{e.message}</p> })
        }}
    }
    .into_any()
}
