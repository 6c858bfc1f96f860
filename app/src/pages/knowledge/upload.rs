//! Drop zone and file picker; one progress bar per file: bytes sent, then the processing state
//! pushed by the server.

use leptos::prelude::*;

use crate::format;
use crate::model::Library;

/// File types the picker offers (the server decides by content, not by these).
const ACCEPT: &str = ".pdf,.docx,.txt,.md,.markdown,.html,.htm,.csv,application/pdf,text/plain,text/markdown,text/html,text/csv,application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Stage {
    Sending {
        sent: f64,
    },
    /// Stored; the library tells how processing goes.
    Stored(i32),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Upload {
    key: usize,
    name: String,
    size: f64,
    stage: Stage,
}

/// The upload list, shared by the handlers that fill it.
#[derive(Clone, Copy)]
struct Uploads(RwSignal<Vec<Upload>>);

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Uploads {
    fn add(self, name: String, size: f64, stage: Stage) -> usize {
        let key = self
            .0
            .with_untracked(|list| list.iter().map(|u| u.key + 1).max().unwrap_or(0));
        self.0.update(|list| {
            list.insert(
                0,
                Upload {
                    key,
                    name,
                    size,
                    stage,
                },
            )
        });
        key
    }

    fn set(self, key: usize, stage: Stage) {
        self.0.update(|list| {
            if let Some(upload) = list.iter_mut().find(|u| u.key == key) {
                upload.stage = stage;
            }
        });
    }
}

/// Why an upload cannot start, known before sending anything.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn refusal(library: Option<&Library>, size: f64, pending: u32) -> Option<String> {
    let library = library?;
    if size > library.max_file_bytes as f64 {
        return Some(format!(
            "Larger than {} — the limit per file.",
            format::bytes(library.max_file_bytes)
        ));
    }
    if library.files + pending >= library.max_files {
        return Some(format!(
            "The library is full ({} documents). Delete one to make room.",
            library.max_files
        ));
    }
    None
}

#[cfg(feature = "hydrate")]
fn start(
    uploads: Uploads,
    library: Signal<Option<Library>>,
    changed: Callback<()>,
    files: Vec<web_sys::File>,
) {
    use crate::error::AppError;

    for file in files {
        let name = file.name();
        let size = file.size();
        let pending = uploads.0.with_untracked(|list| {
            list.iter()
                .filter(|u| matches!(u.stage, Stage::Sending { .. }))
                .count() as u32
        });
        if let Some(reason) = refusal(library.get_untracked().as_ref(), size, pending) {
            uploads.add(name, size, Stage::Failed(reason));
            continue;
        }
        let key = uploads.add(name.clone(), size, Stage::Sending { sent: 0.0 });
        leptos::task::spawn_local(async move {
            let url = format!(
                "/api/knowledge/upload?name={}",
                format::percent_encode(&name)
            );
            let result = crate::browser::send_file("POST", &url, &file, move |sent| {
                uploads.set(key, Stage::Sending { sent });
            })
            .await;
            let stage = match result.and_then(|body| {
                serde_json::from_str::<crate::model::DocumentView>(&body)
                    .map_err(|_| AppError::internal())
            }) {
                Ok(document) => Stage::Stored(document.id),
                Err(e) => Stage::Failed(e.message),
            };
            uploads.set(key, stage);
            changed.run(());
        });
    }
}

#[component]
pub fn UploadZone(library: Signal<Option<Library>>, changed: Callback<()>) -> impl IntoView {
    let uploads = Uploads(RwSignal::new(Vec::new()));
    let dragging = RwSignal::new(false);
    let picker = NodeRef::<leptos::html::Input>::new();
    #[cfg(not(feature = "hydrate"))]
    let _ = (changed, uploads);

    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let input: web_sys::HtmlInputElement = event_target(&_ev);
            start(
                uploads,
                library,
                changed,
                crate::browser::files(input.files()),
            );
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        start(
            uploads,
            library,
            changed,
            crate::browser::files(ev.data_transfer().and_then(|d| d.files())),
        );
    };
    let limits = move || {
        library
            .get()
            .map(|l| {
                format!(
                    "{} of {} documents · up to {} each · PDF, DOCX, TXT, MD, HTML, CSV",
                    l.files,
                    l.max_files,
                    format::bytes(l.max_file_bytes)
                )
            })
            .unwrap_or_default()
    };

    view! {
        <section class="card upload" aria-labelledby="upload-title">
            <h2 id="upload-title">"Upload documents"</h2>
            <div
                class="dropzone"
                class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>"Drop files here, or"</p>
                <button
                    type="button"
                    class="button"
                    on:click=move |_| {
                        if let Some(input) = picker.get() {
                            input.click();
                        }
                    }
                >
                    "Choose files"
                </button>
                <input
                    node_ref=picker
                    id="knowledge-files"
                    class="visually-hidden"
                    type="file"
                    multiple
                    accept=ACCEPT
                    tabindex="-1"
                    aria-label="Files to upload"
                    on:change=on_pick
                />
                <p class="muted small" data-testid="library-limits">{limits}</p>
            </div>
            <ul class="upload-list" aria-live="polite">
                <For each=move || uploads.0.get() key=|u| (u.key, format!("{:?}", u.stage)) let:upload>
                    <UploadRow upload library />
                </For>
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn UploadRow(upload: Upload, library: Signal<Option<Library>>) -> impl IntoView {
    let size = upload.size;
    let (value, max, text, class) = match upload.stage.clone() {
        Stage::Sending { sent } => {
            let percent = if size > 0.0 {
                (sent / size * 100.0).min(100.0)
            } else {
                0.0
            };
            (
                Some(sent),
                size,
                Signal::derive(move || {
                    format!("Uploading… {percent:.0}% of {}", format::bytes(size as u64))
                }),
                "upload-row",
            )
        }
        Stage::Stored(id) => {
            let document = move || {
                library
                    .get()
                    .and_then(|l| l.documents.into_iter().find(|d| d.id == id))
            };
            let status = Signal::derive(move || match document() {
                Some(d) if d.status == "ready" => format!("Ready · {} passages", d.passages),
                Some(d) if d.status == "error" => {
                    d.error.unwrap_or_else(|| "Could not be read.".into())
                }
                Some(_) => "Processing…".to_owned(),
                None => "Stored".to_owned(),
            });
            return view! {
                <li class="upload-row" data-status=move || document().map(|d| d.status)>
                    <span class="upload-name">{upload.name}</span>
                    <Show
                        when=move || document().is_some_and(|d| d.status == "processing")
                        fallback=|| ()
                    >
                        <progress aria-label="Processing"></progress>
                    </Show>
                    <span
                        class="upload-status"
                        class:bad=move || document().is_some_and(|d| d.status == "error")
                    >
                        {status}
                    </span>
                </li>
            }
            .into_any();
        }
        Stage::Failed(reason) => (
            None,
            1.0,
            Signal::derive(move || reason.clone()),
            "upload-row failed",
        ),
    };
    view! {
        <li class=class>
            <span class="upload-name">{upload.name}</span>
            {value.map(|value| view! { <progress max=max value=value aria-label="Upload progress"></progress> })}
            <span class="upload-status" class:bad=value.is_none() role=value.is_none().then_some("alert")>
                {text}
            </span>
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(files: u32) -> Library {
        Library {
            documents: Vec::new(),
            files,
            max_files: 50,
            max_file_bytes: 10 * 1024 * 1024,
            languages: Vec::new(),
            categories: Vec::new(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn refusals_before_sending() {
        assert_eq!(refusal(Some(&library(0)), 1024.0, 0), None);
        assert!(refusal(Some(&library(0)), 10.0 * 1024.0 * 1024.0 + 1.0, 0)
            .is_some_and(|r| r.contains("10 MB")));
        assert!(refusal(Some(&library(49)), 1.0, 1).is_some_and(|r| r.contains("full")));
        assert_eq!(refusal(None, 1e12, 0), None);
    }
}
