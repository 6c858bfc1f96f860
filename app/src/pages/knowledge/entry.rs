//! Writing an FAQ pair or a note, and editing one.

use leptos::prelude::*;

use crate::api::knowledge::SaveEntry;
use crate::components::form::{action_errors, Field, FormError, SubmitButton};
use crate::model::{DocumentView, EntryInput};
use crate::validate;

/// The entry form's fields, filled from an existing entry when editing.
#[derive(Clone, Copy)]
struct Fields {
    kind: RwSignal<String>,
    title: RwSignal<String>,
    body: RwSignal<String>,
    category: RwSignal<String>,
    tags: RwSignal<String>,
}

impl Fields {
    fn new(kind: &str) -> Self {
        Self {
            kind: RwSignal::new(kind.to_owned()),
            title: RwSignal::new(String::new()),
            body: RwSignal::new(String::new()),
            category: RwSignal::new(String::new()),
            tags: RwSignal::new(String::new()),
        }
    }

    fn input(self) -> EntryInput {
        EntryInput {
            kind: self.kind.get_untracked(),
            title: self.title.get_untracked(),
            body: self.body.get_untracked(),
            category: Some(self.category.get_untracked()),
            tags: validate::split_tags(&self.tags.get_untracked()),
        }
    }

    fn clear(self) {
        for field in [self.title, self.body, self.category, self.tags] {
            field.set(String::new());
        }
    }
}

/// "Write an entry", folded away until wanted. Opened with the question filled in when the
/// address asks for it (`/knowledge?faq=…`, from analytics' knowledge gaps).
#[component]
pub fn EntryForm(changed: Callback<()>) -> impl IntoView {
    let fields = Fields::new("faq");
    let asked = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("faq"));
    let open = asked.is_some();
    if let Some(question) = asked {
        fields.title.set(question);
    }
    let action = ServerAction::<SaveEntry>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            fields.clear();
            changed.run(());
        }
    });
    view! {
        <details class="card entry" open=open>
            <summary>
                <h2>"Write an entry"</h2>
            </summary>
            <p class="muted">"A question customers ask with its answer, or a note the assistant should know."</p>
            <fieldset class="choice">
                <legend class="visually-hidden">"Kind of entry"</legend>
                {[("faq", "FAQ pair"), ("note", "Note")]
                    .into_iter()
                    .map(|(kind, label)| {
                        view! {
                            <label>
                                <input
                                    type="radio"
                                    name="entry-kind"
                                    value=kind
                                    prop:checked=move || fields.kind.get() == kind
                                    on:change=move |_| fields.kind.set(kind.into())
                                />
                                {label}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <EntryFields fields action id=None />
        </details>
    }
    .into_any()
}

/// Editing an existing entry (on its document page).
#[component]
pub fn EntryEditor(document: DocumentView, body: String, changed: Callback<()>) -> impl IntoView {
    let fields = Fields::new(&document.kind);
    fields.title.set(document.title.clone());
    fields.body.set(body);
    fields
        .category
        .set(document.category.clone().unwrap_or_default());
    fields.tags.set(document.tags.join(", "));
    let action = ServerAction::<SaveEntry>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            changed.run(());
        }
    });
    view! {
        <section class="card">
            <h2>"Edit"</h2>
            <EntryFields fields action id=Some(document.id) />
        </section>
    }
    .into_any()
}

#[component]
fn EntryFields(fields: Fields, action: ServerAction<SaveEntry>, id: Option<i32>) -> impl IntoView {
    let errors = action_errors(action);
    let faq = move || fields.kind.get() == "faq";
    let body_error = move || {
        errors
            .get()
            .filter(|e| e.field.as_deref() == Some("body"))
            .map(|e| e.message)
    };
    view! {
        <form
            class="form"
            on:submit=move |ev| {
                ev.prevent_default();
                action.dispatch(SaveEntry { id, entry: fields.input() });
            }
        >
            <Field label="Question or title" name="title" value=fields.title errors />
            <div class="field">
                <label for="field-body">{move || if faq() { "Answer" } else { "Note" }}</label>
                <textarea
                    id="field-body"
                    name="body"
                    rows="5"
                    maxlength=validate::MAX_ENTRY_CHARS.to_string()
                    required
                    prop:value=move || fields.body.get()
                    on:input=move |ev| fields.body.set(event_target_value(&ev))
                    aria-invalid=move || body_error().is_some().to_string()
                    aria-describedby="field-body-error"
                ></textarea>
                <p class="field-error" id="field-body-error">{body_error}</p>
            </div>
            <div class="field-row">
                <Field label="Category (optional)" name="category" value=fields.category errors optional=true />
                <Field label="Tags, comma separated (optional)" name="tags" value=fields.tags errors optional=true />
            </div>
            <FormError errors />
            <SubmitButton
                label=if id.is_some() { "Save changes" } else { "Add entry" }
                busy_label="Saving…"
                pending=action.pending()
            />
            <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                <p class="form-success" role="status">"Saved. The assistant knows it once it is indexed."</p>
            </Show>
        </form>
    }
    .into_any()
}
