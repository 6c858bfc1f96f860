//! One document: its details (editable), extracted text, passages, and the file's actions —
//! download, replace with a new version, delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::entry::EntryEditor;
use super::library::{day, kind_label, StatusBadge};
use crate::api::knowledge::{delete_document, knowledge_document, UpdateDocument};
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::components::form::{action_errors, Field, FormError, SubmitButton};
use crate::format;
use crate::model::{DocumentDetail, DocumentMeta, DocumentView};
use crate::validate;

#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i32>().ok()));
    let version = RwSignal::new(0u32);
    super::refresh_on_changes(version);
    let detail = Resource::new(
        move || (id(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => knowledge_document(id).await,
                None => Err(crate::error::AppError::not_found(
                    "There is no such document.",
                )),
            }
        },
    );
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <Title text="Document" />
        <p>
            <A href="/knowledge">"← Knowledge"</A>
        </p>
        <Transition fallback=|| view! { <Skeleton lines=8 /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <Document detail changed /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Document(detail: DocumentDetail, changed: Callback<()>) -> impl IntoView {
    let document = detail.document.clone();
    let is_file = document.is_file();
    let facts = view! {
        <dl class="facts">
            <dt>"Type"</dt>
            <dd>{kind_label(&document.kind)}</dd>
            {document.original_name.clone().map(|name| view! { <dt>"File"</dt><dd>{name}</dd> })}
            <dt>"Size"</dt>
            <dd>{format::bytes(document.size_bytes.max(0) as u64)}</dd>
            <dt>"Passages"</dt>
            <dd data-testid="passage-count">{document.passages}</dd>
            <dt>"Version"</dt>
            <dd data-testid="document-version">{document.version}</dd>
            <dt>"Added"</dt>
            <dd>{day(&document.created_at).to_owned()}</dd>
        </dl>
    };
    view! {
        <div class="page-head">
            <h1>{document.title.clone()}</h1>
            <StatusBadge status=document.status.clone() />
        </div>
        {document.error.clone().map(|e| view! { <p class="error-box" role="alert">{e}</p> })}
        <div class="cards">
            <section class="card">
                <h2>"About"</h2>
                {facts}
                {is_file.then(|| view! { <FileActions document=document.clone() changed /> })}
                <DeleteButton id=document.id />
            </section>
            {if is_file {
                view! { <MetaForm document=document.clone() changed /> }.into_any()
            } else {
                view! {
                    <EntryEditor
                        document=document.clone()
                        body=detail.source_text.clone().unwrap_or_default()
                        changed
                    />
                }
                    .into_any()
            }}
        </div>
        <TextPreview detail />
    }
    .into_any()
}

#[component]
fn FileActions(document: DocumentView, changed: Callback<()>) -> impl IntoView {
    let progress = RwSignal::new(None::<f64>);
    let problem = RwSignal::new(None::<String>);
    let picker = NodeRef::<leptos::html::Input>::new();
    let id = document.id;
    #[cfg(not(feature = "hydrate"))]
    let _ = changed;
    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let input: web_sys::HtmlInputElement = event_target(&_ev);
            let Some(file) = crate::browser::files(input.files()).into_iter().next() else {
                return;
            };
            input.set_value("");
            problem.set(None);
            progress.set(Some(0.0));
            leptos::task::spawn_local(async move {
                let url = format!(
                    "/api/knowledge/documents/{id}/file?name={}",
                    format::percent_encode(&file.name())
                );
                let size = file.size().max(1.0);
                let result = crate::browser::send_file("PUT", &url, &file, move |sent| {
                    progress.set(Some(sent / size));
                })
                .await;
                progress.set(None);
                match result {
                    Ok(_) => changed.run(()),
                    Err(e) => problem.set(Some(e.message)),
                }
            });
        }
    };
    view! {
        <div class="actions">
            <a class="button" href=format!("/api/knowledge/documents/{id}/file") download>
                "Download original"
            </a>
            <button
                type="button"
                class="button"
                disabled=move || progress.get().is_some()
                on:click=move |_| {
                    if let Some(input) = picker.get() {
                        input.click();
                    }
                }
            >
                "Replace with a new version"
            </button>
            <input
                node_ref=picker
                class="visually-hidden"
                type="file"
                tabindex="-1"
                aria-label="New version of the file"
                on:change=on_pick
            />
        </div>
        {move || {
            progress
                .get()
                .map(|p| {
                    view! {
                        <progress max="1" value=p aria-label="Upload progress"></progress>
                    }
                })
        }}
        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
    }
    .into_any()
}

#[component]
fn DeleteButton(id: i32) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    // Not a ServerAction: the deletion's own change event re-renders this page (the document is
    // gone) before an action's result could be seen, so the task that deletes also navigates.
    let delete = move |_| {
        pending.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_document(id).await {
                Ok(()) => navigate("/knowledge", Default::default()),
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                    let _ = pending.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="actions">
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button type="button" class="button danger" on:click=move |_| confirming.set(true)>
                            "Delete…"
                        </button>
                    }
                }
            >
                <span>"Delete this document and everything the assistant learned from it?"</span>
                <button
                    type="button"
                    class="button danger"
                    disabled=move || pending.get()
                    on:click=delete.clone()
                >
                    {move || if pending.get() { "Deleting…" } else { "Delete permanently" }}
                </button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>
                    "Cancel"
                </button>
            </Show>
        </div>
        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
    }
    .into_any()
}

#[component]
fn MetaForm(document: DocumentView, changed: Callback<()>) -> impl IntoView {
    let title = RwSignal::new(document.title.clone());
    let category = RwSignal::new(document.category.clone().unwrap_or_default());
    let tags = RwSignal::new(document.tags.join(", "));
    let action = ServerAction::<UpdateDocument>::new();
    let errors = action_errors(action);
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            changed.run(());
        }
    });
    let id = document.id;
    view! {
        <section class="card">
            <h2>"Details"</h2>
            <form
                class="form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let meta = DocumentMeta {
                        title: title.get_untracked(),
                        category: Some(category.get_untracked()),
                        tags: validate::split_tags(&tags.get_untracked()),
                    };
                    action.dispatch(UpdateDocument { id, meta });
                }
            >
                <Field label="Title" name="title" value=title errors />
                <Field label="Category (optional)" name="category" value=category errors optional=true />
                <Field label="Tags, comma separated (optional)" name="tags" value=tags errors optional=true />
                <FormError errors />
                <SubmitButton label="Save details" busy_label="Saving…" pending=action.pending() />
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn TextPreview(detail: DocumentDetail) -> impl IntoView {
    let shown = detail.text_preview.chars().count() as u64;
    let note = (shown < detail.text_chars).then(|| {
        format!(
            "Showing the first {shown} of {} characters.",
            detail.text_chars
        )
    });
    let passages = detail.passages;
    let listed = passages.len();
    let total = detail.document.passages;
    view! {
        <section class="card" aria-labelledby="text-title">
            <h2 id="text-title">"Extracted text"</h2>
            {if detail.text_preview.is_empty() {
                view! { <p class="muted">"No text yet."</p> }.into_any()
            } else {
                view! {
                    <pre class="preview" tabindex="0" data-testid="text-preview">{detail.text_preview}</pre>
                    {note.map(|n| view! { <p class="muted small">{n}</p> })}
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="passages-title">
            <h2 id="passages-title">"Passages"</h2>
            <p class="muted small">
                {if (listed as i32) < total {
                    format!("The first {listed} of {total} passages, as the assistant reads them.")
                } else {
                    format!("{total} passages, as the assistant reads them.")
                }}
            </p>
            <ol class="passages">
                {passages
                    .into_iter()
                    .map(|p| {
                        view! {
                            <li>
                                {(!p.heading_path.is_empty())
                                    .then(|| view! { <div class="labels">{p.heading_path.clone()}</div> })}
                                <p>{p.content}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
    .into_any()
}
