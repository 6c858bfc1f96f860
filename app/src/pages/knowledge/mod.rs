//! The Knowledge page: upload, write, search and manage what the assistant knows.

mod document;
mod entry;
mod library;
mod search;
mod upload;

pub use document::DocumentPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::knowledge::knowledge_library;
use crate::browser;
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::model::Library;
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
        </div>
        <p class="muted">
            "What the assistant answers from. Upload PDFs, Word documents and text files, or write FAQ pairs and notes."
        </p>
        <SearchLanguages library=loaded />
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

/// The languages customers are answered in: the business's, from Settings.
#[component]
fn SearchLanguages(library: Signal<Option<Library>>) -> impl IntoView {
    move || {
        library.get().map(|l| {
            let text = if l.languages.is_empty() {
                "Customers are answered in any language your documents are written in.".to_owned()
            } else {
                format!("Customers are answered in {}.", l.languages.join(", "))
            };
            view! {
                <p class="muted">
                    {text} " " <A href="/settings#business">"Change the languages you speak"</A>
                </p>
            }
        })
    }
}
