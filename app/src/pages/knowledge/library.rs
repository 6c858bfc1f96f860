//! The document list: one row per document (a card under 640 px).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::format;
use crate::model::{DocumentView, Library};

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "pdf" => "PDF",
        "docx" => "Word",
        "txt" => "Text",
        "md" => "Markdown",
        "html" => "HTML",
        "csv" => "CSV",
        "faq" => "FAQ",
        "note" => "Note",
        _ => "Other",
    }
}

/// The status badge of a document.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let (class, label) = match status.as_str() {
        "ready" => ("badge ok", "Ready"),
        "error" => ("badge bad", "Error"),
        _ => ("badge warn", "Processing…"),
    };
    view! { <span class=class data-testid="document-status">{label}</span> }
}

/// "2026-11-26T09:42:00Z" → "2026-11-26".
pub fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

#[component]
pub fn DocumentTable(library: Library) -> impl IntoView {
    if library.documents.is_empty() {
        return view! {
            <section class="card empty-state">
                <h2>"No documents yet"</h2>
                <p class="muted">
                    "Upload your menu, price list, policies or FAQ above — the assistant answers from them."
                </p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-labelledby="library-title">
            <h2 id="library-title">"Library"</h2>
            <table class="documents">
                <thead>
                    <tr>
                        <th scope="col">"Document"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Passages"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Added"</th>
                    </tr>
                </thead>
                <tbody>
                    {library.documents.into_iter().map(|d| view! { <DocumentRow document=d /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn DocumentRow(document: DocumentView) -> impl IntoView {
    let href = format!("/knowledge/{}", document.id);
    let size = if document.is_file() {
        format::bytes(document.size_bytes.max(0) as u64)
    } else {
        "—".to_owned()
    };
    let labels: Vec<String> = document
        .category
        .iter()
        .cloned()
        .chain(document.tags.iter().map(|t| format!("#{t}")))
        .collect();
    view! {
        <tr data-testid="document-row" data-status=document.status.clone()>
            <td data-label="Document">
                <A href=href>{document.title.clone()}</A>
                {(!labels.is_empty())
                    .then(|| view! { <div class="labels">{labels.join(" · ")}</div> })}
                {document.error.clone().map(|e| view! { <div class="field-error">{e}</div> })}
            </td>
            <td data-label="Type">
                {kind_label(&document.kind)}
                {document.language.clone().map(|l| view! { <div class="labels">{l}</div> })}
            </td>
            <td data-label="Size">{size}</td>
            <td data-label="Passages">{document.passages}</td>
            <td data-label="Status">
                <StatusBadge status=document.status.clone() />
            </td>
            <td data-label="Added">{day(&document.created_at).to_owned()}</td>
        </tr>
    }
    .into_any()
}
