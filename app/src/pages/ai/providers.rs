//! The fallback chain: providers tried in order, each with its model (picked from the
//! provider's list where it offers one) and its key (write-only: stored keys never come back).

use leptos::prelude::*;

use crate::api::ai::{ai_models, save_ai_chain, test_ai_provider};
use crate::components::feedback::ErrorBox;
use crate::error::AppError;
use crate::model::{AiSettings, ProviderCheck, ProviderInput, ProviderView, PROVIDER_KINDS};

/// One row of the editor.
#[derive(Clone)]
struct Row {
    key: u32,
    kind: RwSignal<String>,
    base_url: RwSignal<String>,
    model: RwSignal<String>,
    api_key: RwSignal<String>,
    /// "dashboard", "environment" or "none": what a blank key field means.
    key_source: String,
    models: RwSignal<Vec<String>>,
    listing: RwSignal<bool>,
}

impl Row {
    fn new(key: u32, view: &ProviderView) -> Self {
        Self {
            key,
            kind: RwSignal::new(view.kind.clone()),
            base_url: RwSignal::new(view.base_url.clone()),
            model: RwSignal::new(view.model.clone()),
            api_key: RwSignal::new(String::new()),
            key_source: view.key_source.clone(),
            models: RwSignal::new(Vec::new()),
            listing: RwSignal::new(false),
        }
    }

    fn input(&self) -> ProviderInput {
        let key = self.api_key.get_untracked();
        ProviderInput {
            kind: self.kind.get_untracked(),
            base_url: Some(self.base_url.get_untracked()).filter(|u| !u.trim().is_empty()),
            model: self.model.get_untracked(),
            // Blank keeps the stored key.
            api_key: Some(key).filter(|k| !k.trim().is_empty()),
        }
    }
}

fn describe(view: &ProviderView) -> String {
    let key = match view.key_source.as_str() {
        "environment" => "key from the environment",
        "dashboard" => "key stored here",
        _ => "no key",
    };
    format!("{} · {} · {key}", view.kind, view.model)
}

#[component]
pub fn ChainEditor(
    settings: AiSettings,
    saved: Callback<(AiSettings, &'static str)>,
) -> impl IntoView {
    let next = StoredValue::new(settings.chain.len() as u32);
    let rows = RwSignal::new(
        settings
            .chain
            .iter()
            .enumerate()
            .map(|(i, v)| Row::new(i as u32, v))
            .collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let add = move |_| {
        let key = next.get_value();
        next.set_value(key + 1);
        let view = ProviderView {
            kind: "openai".into(),
            base_url: String::new(),
            model: "gpt-4o-mini".into(),
            key_source: "none".into(),
        };
        rows.update(|r| r.push(Row::new(key, &view)));
    };
    let save = move |_| {
        let chain: Vec<ProviderInput> = rows.get_untracked().iter().map(Row::input).collect();
        saving.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match save_ai_chain(chain).await {
                Ok(s) => {
                    saved.run((s, "Providers saved."));
                }
                Err(e) => error.set(Some(e)),
            }
            saving.set(false);
        });
    };
    let environment = settings.environment.clone();
    let mode = move || {
        if !rows.get().is_empty() {
            return String::new();
        }
        if environment.is_empty() {
            "No provider is configured: the bot answers with excerpts from your documents (no-key mode), and hands off what they do not cover.".to_owned()
        } else {
            format!(
                "Using the environment's providers: {}.",
                environment
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join(" → ")
            )
        }
    };

    view! {
        <section class="card" aria-labelledby="chain-title">
            <h2 id="chain-title">"Providers"</h2>
            <p class="muted">"Tried in order: a timeout, rate limit or error moves on to the next. Any OpenAI-compatible API works (OpenRouter, OpenAI, Anthropic, Ollama, vLLM, Groq…)."</p>
            <p class="muted" data-testid="ai-mode">{mode}</p>
            <ol class="chain">
                <For each=move || rows.get() key=|r| r.key let:row>
                    <ChainRow row rows />
                </For>
            </ol>
            {move || error.get().map(|error| view! { <ErrorBox error /> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=add>"Add provider"</button>
                <button type="button" on:click=save disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save providers" }}
                </button>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn ChainRow(row: Row, rows: RwSignal<Vec<Row>>) -> impl IntoView {
    let key = row.key;
    let position = move || rows.get().iter().position(|r| r.key == key).unwrap_or(0);
    let shift = move |by: isize| {
        rows.update(|r| {
            let Some(at) = r.iter().position(|x| x.key == key) else {
                return;
            };
            let to = at as isize + by;
            if (0..r.len() as isize).contains(&to) {
                r.swap(at, to as usize);
            }
        })
    };
    let list_id = format!("models-{key}");
    let error = RwSignal::new(None::<String>);
    let list = {
        let row = row.clone();
        move |_| {
            let input = row.input();
            let (models, listing) = (row.models, row.listing);
            listing.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                match ai_models(input).await {
                    Ok(found) => models.set(found),
                    Err(e) => error.set(Some(e.message)),
                }
                listing.set(false);
            });
        }
    };
    let checked = RwSignal::new(None::<ProviderCheck>);
    let testing = RwSignal::new(false);
    let test = {
        let row = row.clone();
        move |_| {
            let input = row.input();
            testing.set(true);
            checked.set(None);
            error.set(None);
            leptos::task::spawn_local(async move {
                match test_ai_provider(input).await {
                    Ok(check) => checked.set(Some(check)),
                    Err(e) => error.set(Some(e.message)),
                }
                testing.set(false);
            });
        }
    };
    let key_hint = match row.key_source.as_str() {
        "dashboard" => "Stored (leave blank to keep)",
        "environment" => "From the environment (leave blank)",
        _ => "API key",
    };
    view! {
        <li class="chain-row" data-testid="chain-row">
            <span class="chain-position" aria-hidden="true">{move || position() + 1}</span>
            <label class="field">
                <span>"Provider"</span>
                <select prop:value=move || row.kind.get() on:change=move |ev| row.kind.set(event_target_value(&ev))>
                    {PROVIDER_KINDS.iter().map(|(k, label)| view! { <option value=*k>{*label}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Address (optional, required for custom)"</span>
                <input type="url" placeholder="https://…/v1" prop:value=move || row.base_url.get()
                    on:input=move |ev| row.base_url.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>"Model"</span>
                <input type="text" list=list_id.clone() prop:value=move || row.model.get()
                    on:input=move |ev| row.model.set(event_target_value(&ev)) />
                <datalist id=list_id>
                    {move || row.models.get().into_iter().map(|m| view! { <option value=m /> }).collect_view()}
                </datalist>
            </label>
            <label class="field">
                <span>"API key"</span>
                <input type="password" autocomplete="off" placeholder=key_hint prop:value=move || row.api_key.get()
                    on:input=move |ev| row.api_key.set(event_target_value(&ev)) />
            </label>
            <div class="row-actions">
                <button type="button" class="secondary small" on:click=list disabled=move || row.listing.get()>
                    {move || if row.listing.get() { "Listing…" } else { "List models" }}
                </button>
                <button type="button" class="secondary small" on:click=test disabled=move || testing.get()>
                    {move || if testing.get() { "Testing…" } else { "Test" }}
                </button>
                <button type="button" class="secondary small" aria-label="Move up" on:click=move |_| shift(-1)>"↑"</button>
                <button type="button" class="secondary small" aria-label="Move down" on:click=move |_| shift(1)>"↓"</button>
                <button type="button" class="danger small" on:click=move |_| rows.update(|r| r.retain(|x| x.key != key))>"Remove"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
            <p role="status" data-testid="provider-check" class=move || match checked.get() {
                Some(c) if c.ok => "ok-text",
                _ => "field-error",
            }>
                {move || checked.get().map(|c| c.message)}
            </p>
        </li>
    }
    .into_any()
}
