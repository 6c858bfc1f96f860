//! Prompt templates: pick the active one, read the built-ins, write your own with variable chips,
//! preview it with sample data, and try it on a question through the real pipeline.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::ai::{
    activate_prompt_template, delete_prompt_template, duplicate_prompt_template, preview_prompt,
    prompt_templates, save_prompt_template, try_prompt,
};
use crate::components::feedback::{ErrorBox, Skeleton};
use crate::error::AppError;
use crate::model::{
    AnswerMode, PromptTemplateView, TemplateInput, TryInput, TryResult, PROMPT_VARIABLES,
};

/// The template being edited: an existing one's id (`None` for a new one) and its fields.
#[derive(Clone, Default)]
struct Draft {
    id: Option<i32>,
    builtin: bool,
    name: String,
    body: String,
    knowledge_only: bool,
}

impl Draft {
    fn of(t: &PromptTemplateView) -> Self {
        Self {
            id: Some(t.id),
            builtin: t.builtin,
            name: t.name.clone(),
            body: t.body.clone(),
            knowledge_only: t.knowledge_only,
        }
    }
}

#[component]
pub fn PromptsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || version.get(), |_| prompt_templates());
    let draft = RwSignal::new(None::<Draft>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let run = move |fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<PromptTemplateView>, AppError>>>,
    >| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match fut.await {
                Ok(picked) => {
                    if let Some(t) = picked {
                        draft.set(Some(Draft::of(&t)));
                    }
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <Title text="Prompts" />
        <div class="page-head">
            <h1>"Prompts"</h1>
            <button
                type="button"
                on:click=move |_| draft.set(Some(Draft { knowledge_only: true, ..Draft::default() }))
            >
                "New template"
            </button>
        </div>
        <p class="muted">"The active template is what the assistant follows. Built-in templates are kept up to date by new releases; duplicate one to adapt it."</p>
        {move || error.get().map(|error| view! { <ErrorBox error /> })}
        <div class="prompts-layout">
            <section class="card" aria-label="Templates">
                <Transition fallback=|| view! { <Skeleton lines=6 /> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(templates) => view! {
                                <ul class="template-list" data-testid="templates">
                                    {templates.into_iter().map(|t| {
                                        let id = t.id;
                                        let pick = t.clone();
                                        view! {
                                            <li class:active=t.active>
                                                <button type="button" class="link" on:click=move |_| draft.set(Some(Draft::of(&pick)))>
                                                    {t.name.clone()}
                                                </button>
                                                <span class="muted small">{t.industry.clone().unwrap_or_else(|| "Custom".into())}</span>
                                                {t.active.then(|| view! { <span class="badge ok">"Active"</span> })}
                                                <span class="row-actions">
                                                    {(!t.active).then(|| view! {
                                                        <button type="button" class="secondary small" disabled=move || busy.get()
                                                            on:click=move |_| run(Box::pin(async move { activate_prompt_template(id).await.map(|_| None) }))>
                                                            "Use"
                                                        </button>
                                                    })}
                                                    <button type="button" class="secondary small" disabled=move || busy.get()
                                                        on:click=move |_| run(Box::pin(async move { duplicate_prompt_template(id).await.map(Some) }))>
                                                        "Duplicate"
                                                    </button>
                                                    {(!t.builtin && !t.active).then(|| view! {
                                                        <button type="button" class="danger small" disabled=move || busy.get()
                                                            on:click=move |_| {
                                                                draft.update(|d| if d.as_ref().is_some_and(|d| d.id == Some(id)) { *d = None; });
                                                                run(Box::pin(async move { delete_prompt_template(id).await.map(|_| None) }))
                                                            }>
                                                            "Delete"
                                                        </button>
                                                    })}
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(error) => view! { <ErrorBox error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            {move || draft.get().map(|d| view! { <Editor draft=d on_saved=move |t: PromptTemplateView| {
                draft.set(Some(Draft::of(&t)));
                version.update(|v| *v += 1);
            } /> })}
        </div>
    }
    .into_any()
}

#[component]
fn Editor(
    draft: Draft,
    on_saved: impl Fn(PromptTemplateView) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(draft.name.clone());
    let body = RwSignal::new(draft.body.clone());
    let knowledge_only = RwSignal::new(draft.knowledge_only);
    let read_only = draft.builtin;
    let id = draft.id;
    let error = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let preview = RwSignal::new(None::<String>);
    let question = RwSignal::new(String::new());
    let trying = RwSignal::new(false);
    let tried = RwSignal::new(None::<Result<TryResult, AppError>>);

    let save = move |_| {
        let input = TemplateInput {
            name: name.get_untracked(),
            industry: None,
            body: body.get_untracked(),
            knowledge_only: knowledge_only.get_untracked(),
        };
        let on_saved = on_saved.clone();
        saving.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match save_prompt_template(id, input).await {
                Ok(t) => on_saved(t),
                Err(e) => error.set(Some(e)),
            }
            saving.set(false);
        });
    };
    let show_preview = move |_| {
        let text = body.get_untracked();
        leptos::task::spawn_local(async move {
            match preview_prompt(text).await {
                Ok(rendered) => {
                    error.set(None);
                    preview.set(Some(rendered));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let try_it = move || {
        let input = TryInput {
            question: question.get_untracked(),
            body: Some(body.get_untracked()),
            knowledge_only: Some(knowledge_only.get_untracked()),
        };
        trying.set(true);
        leptos::task::spawn_local(async move {
            tried.set(Some(try_prompt(input).await));
            trying.set(false);
        });
    };

    view! {
        <section class="card editor" aria-label="Template editor">
            <h2>{if id.is_none() { "New template".to_owned() } else if read_only { format!("{} (built-in, read only)", draft.name) } else { format!("Edit {}", draft.name) }}</h2>
            <label class="field">
                <span>"Name"</span>
                <input type="text" maxlength="80" prop:value=move || name.get() readonly=read_only
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <div class="chips" role="group" aria-label="Insert a variable">
                {PROMPT_VARIABLES.iter().map(|(var, about)| {
                    let token = format!("{{{{{var}}}}}");
                    let label = token.clone();
                    view! {
                        <button type="button" class="chip" title=*about disabled=read_only
                            on:click=move |_| body.update(|b| { if !b.is_empty() && !b.ends_with(char::is_whitespace) { b.push(' '); } b.push_str(&token); })>
                            {label}
                        </button>
                    }
                }).collect_view()}
            </div>
            <label class="field">
                <span>"Instructions"</span>
                <textarea rows="16" maxlength="12000" prop:value=move || body.get() readonly=read_only
                    aria-label="Template instructions"
                    on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || knowledge_only.get() disabled=read_only
                    on:change=move |ev| knowledge_only.set(event_target_checked(&ev)) />
                " Answer only from the knowledge base (hand off when nothing relevant is found)"
            </label>
            {move || error.get().map(|error| view! { <ErrorBox error /> })}
            <div class="actions">
                {(!read_only).then(|| view! {
                    <button type="button" on:click=save disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                })}
                <button type="button" class="secondary" on:click=show_preview>"Preview with sample data"</button>
            </div>
            {move || preview.get().map(|text| view! {
                <details open class="preview"><summary>"Preview"</summary><pre data-testid="preview">{text}</pre></details>
            })}
            <form class="try" on:submit=move |ev| { ev.prevent_default(); try_it(); }>
                <label class="field">
                    <span>"Try it: a customer's question"</span>
                    <input type="text" maxlength="1000" placeholder="Do you deliver on Sundays?"
                        prop:value=move || question.get() on:input=move |ev| question.set(event_target_value(&ev)) />
                </label>
                <button type="submit" disabled=move || trying.get() || question.get().trim().is_empty()>
                    {move || if trying.get() { "Answering…" } else { "Try it" }}
                </button>
            </form>
            {move || tried.get().map(|result| match result {
                Ok(result) => view! { <TryOutcome result /> }.into_any(),
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            })}
        </section>
    }
    .into_any()
}

#[component]
fn TryOutcome(result: TryResult) -> impl IntoView {
    let mode = match result.mode {
        AnswerMode::Model => "Answered by the model",
        AnswerMode::Extractive => "Answered from the passages (no model answered)",
        AnswerMode::Handoff => "Handed to a person",
        AnswerMode::Declined => "Declined topic",
    };
    let source = match (&result.provider, &result.model) {
        (Some(p), Some(m)) => format!(
            "{p} · {m} · {} in / {} out tokens · ${:.5} · {} ms",
            result.tokens_in,
            result.tokens_out,
            result.cost_micros as f64 / 1e6,
            result.latency_ms
        ),
        _ => format!("{} ms", result.latency_ms),
    };
    view! {
        <div class="try-result" data-testid="try-result">
            <p><strong>{mode}</strong>" — "<span class="muted small">{source}</span></p>
            {result.handoff_reason.map(|r| view! { <p class="muted">{format!("Reason: {r}")}</p> })}
            {result.replies.into_iter().map(|r| view! { <p class="bubble bot">{r}</p> }).collect_view()}
            {(!result.attempts.is_empty()).then(|| view! {
                <details><summary>"Provider calls"</summary><ul>
                    {result.attempts.into_iter().map(|a| view! {
                        <li>{format!("{} · {} · {} ms · {}", a.provider, a.model, a.latency_ms, a.error.unwrap_or_else(|| "answered".into()))}</li>
                    }).collect_view()}
                </ul></details>
            })}
            <details><summary>{format!("Passages used ({})", result.passages.len())}</summary><ol>
                {result.passages.into_iter().map(|p| view! {
                    <li><strong>{p.document_title}</strong>" "<span class="muted small">{format!("{:.2}", p.score)}</span><p class="small">{p.content}</p></li>
                }).collect_view()}
            </ol></details>
            <details><summary>"Final prompt"</summary><pre>{result.prompt}</pre></details>
        </div>
    }
    .into_any()
}
