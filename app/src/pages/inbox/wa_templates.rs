//! WhatsApp templates: the only messages that may go out once the 24-hour window has closed.
//! The owner registers the templates approved in WhatsApp Manager (name, language, text);
//! sending one asks for its parameters and shows what the customer will read.

use leptos::prelude::*;

use super::Store;
use crate::api::inbox::{list_wa_templates, save_wa_templates, send_template};
use crate::model::{TemplateMessage, WaTemplate};
use crate::validate::{fill_template, template_slots};

#[component]
pub fn TemplatePicker() -> impl IntoView {
    let store = expect_context::<Store>();
    let templates = RwSignal::new(None::<Vec<WaTemplate>>);
    let editing = RwSignal::new(false);
    let chosen = RwSignal::new(0usize);
    let params = RwSignal::new(Vec::<String>::new());
    let sending = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // The inputs are rebuilt only when the number of values changes, not on every keystroke
    // (which would take the focus away from the field being typed in).
    let slot_count = Memo::new(move |_| params.with(Vec::len));
    let load = move || {
        leptos::task::spawn_local(async move {
            match list_wa_templates().await {
                Ok(list) => {
                    let _ = templates.try_set(Some(list));
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                }
            }
        });
    };
    Effect::new(move |_| load());
    let current = move || templates.with(|t| t.as_ref().and_then(|t| t.get(chosen.get()).cloned()));
    // A new choice starts with empty values, one per parameter.
    Effect::new(move |_| {
        let slots = current().map_or(0, |t| template_slots(&t.body));
        params.set(vec![String::new(); slots]);
    });
    let send = move |_| {
        let (Some(id), Some(template)) = (store.selected.get_untracked(), current()) else {
            return;
        };
        let message = TemplateMessage {
            name: template.name,
            language: template.language,
            params: params.get_untracked(),
        };
        sending.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match send_template(id, message).await {
                Ok(_) => {
                    let _ = params.try_update(|p| p.iter_mut().for_each(String::clear));
                    store.merge_latest(id);
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                }
            }
            let _ = sending.try_set(false);
        });
    };
    view! {
        <div class="template-picker" data-testid="template-picker">
            <p class="muted">
                "WhatsApp only allows approved template messages now. The customer can reopen the window by writing to you."
            </p>
            {move || match templates.get() {
                None => view! { <p class="muted">"Loading templates…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p>"No templates registered yet. Add the ones approved in WhatsApp Manager to send them from here."</p>
                }.into_any(),
                Some(list) => view! {
                    <div class="field">
                        <label for="template-choice">"Template"</label>
                        <select id="template-choice" on:change=move |ev| chosen.set(event_target_value(&ev).parse().unwrap_or(0))>
                            {list.iter().enumerate().map(|(i, t)| view! {
                                <option value=i.to_string() selected=move || chosen.get() == i>
                                    {format!("{} ({})", t.name, t.language)}
                                </option>
                            }).collect_view()}
                        </select>
                    </div>
                    {move || (0..slot_count.get()).map(|i| view! {
                        <div class="field">
                            <label for=format!("template-param-{i}")>{format!("Value {{{{{}}}}}", i + 1)}</label>
                            <input
                                id=format!("template-param-{i}")
                                maxlength="1024"
                                prop:value=move || params.with(|p| p.get(i).cloned().unwrap_or_default())
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    params.update(|p| if let Some(slot) = p.get_mut(i) { *slot = value });
                                }
                            />
                        </div>
                    }).collect_view()}
                    <div class="preview bubble agent" aria-label="Preview">
                        {move || current().map(|t| fill_template(&t.body, &params.get()))}
                    </div>
                    <button type="button" disabled=sending on:click=send>
                        {move || if sending.get() { "Sending…" } else { "Send template" }}
                    </button>
                }.into_any(),
            }}
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            <button type="button" class="link" aria-expanded=move || editing.get().to_string() on:click=move |_| editing.update(|e| *e = !*e)>
                "Manage templates"
            </button>
            <Show when=move || editing.get()>
                <TemplateEditor templates on_saved=Callback::new(move |()| editing.set(false)) />
            </Show>
        </div>
    }
    .into_any()
}

#[component]
fn TemplateEditor(
    templates: RwSignal<Option<Vec<WaTemplate>>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let rows = RwSignal::new(templates.get_untracked().unwrap_or_default());
    // Rebuilt when a template is added or removed, not on every keystroke.
    let row_count = Memo::new(move |_| rows.with(Vec::len));
    let saving = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let edit = move |i: usize, update: &dyn Fn(&mut WaTemplate)| {
        rows.update(|rows| {
            if let Some(row) = rows.get_mut(i) {
                update(row);
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saving.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match save_wa_templates(rows.get_untracked()).await {
                Ok(saved) => {
                    let _ = templates.try_set(Some(saved));
                    on_saved.run(());
                }
                Err(e) => {
                    let _ = problem.try_set(Some(e.message));
                }
            }
            let _ = saving.try_set(false);
        });
    };
    view! {
        <form class="template-editor" on:submit=save>
            <p class="muted">"Copy each template exactly as approved: its name, its language code and its text with {{1}}, {{2}}… where values go."</p>
            {move || (0..row_count.get()).map(|i| {
                let value = move |get: fn(&WaTemplate) -> String| rows.with(|r| r.get(i).map(get).unwrap_or_default());
                view! {
                    <fieldset class="template-row">
                        <legend>{format!("Template {}", i + 1)}</legend>
                        <label>"Name"
                            <input placeholder="order_update" prop:value=move || value(|t| t.name.clone())
                                on:input=move |ev| { let v = event_target_value(&ev); edit(i, &|t| t.name = v.clone()); } />
                        </label>
                        <label>"Language"
                            <input placeholder="en_US" size="6" prop:value=move || value(|t| t.language.clone())
                                on:input=move |ev| { let v = event_target_value(&ev); edit(i, &|t| t.language = v.clone()); } />
                        </label>
                        <label>"Text"
                            <textarea rows="2" maxlength="1024" prop:value=move || value(|t| t.body.clone())
                                on:input=move |ev| { let v = event_target_value(&ev); edit(i, &|t| t.body = v.clone()); }></textarea>
                        </label>
                        <button type="button" class="link" on:click=move |_| rows.update(|r| { r.remove(i); })>"Remove"</button>
                    </fieldset>
                }
            }).collect_view()}
            <button type="button" class="secondary" on:click=move |_| rows.update(|r| r.push(WaTemplate {
                name: String::new(),
                language: "en".to_owned(),
                body: String::new(),
            }))>"Add a template"</button>
            <button type="submit" disabled=saving>{move || if saving.get() { "Saving…" } else { "Save templates" }}</button>
            {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        </form>
    }
    .into_any()
}
