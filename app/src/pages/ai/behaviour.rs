//! How the bot behaves: timing, context, hand-off and opt-out words, guardrails.

use leptos::prelude::*;

use crate::api::ai::save_ai_behaviour;
use crate::components::form::{Field, FormError};
use crate::error::AppError;
use crate::model::{AiBehaviour, AiSettings};
use crate::validate::split_tags;

/// The form's text fields, one signal each.
#[derive(Clone, Copy)]
struct Fields {
    burst_ms: RwSignal<String>,
    burst_messages: RwSignal<String>,
    burst_chars: RwSignal<String>,
    history_messages: RwSignal<String>,
    context_tokens: RwSignal<String>,
    call_timeout_secs: RwSignal<String>,
    total_budget_secs: RwSignal<String>,
    pause_hours: RwSignal<String>,
    min_match: RwSignal<String>,
    meaning_search: RwSignal<bool>,
    embedding_model: RwSignal<String>,
    max_answer_chars: RwSignal<String>,
    handoff_message: RwSignal<String>,
    extractive_intro: RwSignal<String>,
    opt_out_words: RwSignal<String>,
    opt_out_reply: RwSignal<String>,
    opt_in_words: RwSignal<String>,
    opt_in_reply: RwSignal<String>,
    human_phrases: RwSignal<String>,
    declined_topics: RwSignal<String>,
    decline_message: RwSignal<String>,
}

fn text(v: impl ToString) -> RwSignal<String> {
    RwSignal::new(v.to_string())
}

fn list(v: &[String]) -> RwSignal<String> {
    RwSignal::new(v.join(", "))
}

impl Fields {
    fn of(b: &AiBehaviour) -> Self {
        Self {
            burst_ms: text(b.burst_ms),
            burst_messages: text(b.burst_messages),
            burst_chars: text(b.burst_chars),
            history_messages: text(b.history_messages),
            context_tokens: text(b.context_tokens),
            call_timeout_secs: text(b.call_timeout_secs),
            total_budget_secs: text(b.total_budget_secs),
            pause_hours: text(b.pause_hours),
            min_match: text(b.min_match),
            meaning_search: RwSignal::new(b.meaning_search),
            embedding_model: text(&b.embedding_model),
            max_answer_chars: text(b.max_answer_chars),
            handoff_message: text(&b.handoff_message),
            extractive_intro: text(&b.extractive_intro),
            opt_out_words: list(&b.opt_out_words),
            opt_out_reply: text(&b.opt_out_reply),
            opt_in_words: list(&b.opt_in_words),
            opt_in_reply: text(&b.opt_in_reply),
            human_phrases: list(&b.human_phrases),
            declined_topics: list(&b.declined_topics),
            decline_message: text(&b.decline_message),
        }
    }

    fn read(&self) -> Result<AiBehaviour, AppError> {
        fn number<T: std::str::FromStr>(field: &str, s: RwSignal<String>) -> Result<T, AppError> {
            s.get_untracked()
                .trim()
                .parse()
                .map_err(|_| AppError::invalid(field, "Enter a number."))
        }
        let words = |s: RwSignal<String>| split_tags(&s.get_untracked());
        Ok(AiBehaviour {
            burst_ms: number("burst_ms", self.burst_ms)?,
            burst_messages: number("burst_messages", self.burst_messages)?,
            burst_chars: number("burst_chars", self.burst_chars)?,
            history_messages: number("history_messages", self.history_messages)?,
            context_tokens: number("context_tokens", self.context_tokens)?,
            call_timeout_secs: number("call_timeout_secs", self.call_timeout_secs)?,
            total_budget_secs: number("total_budget_secs", self.total_budget_secs)?,
            pause_hours: number("pause_hours", self.pause_hours)?,
            min_match: number("min_match", self.min_match)?,
            meaning_search: self.meaning_search.get_untracked(),
            embedding_model: self.embedding_model.get_untracked(),
            max_answer_chars: number("max_answer_chars", self.max_answer_chars)?,
            handoff_message: self.handoff_message.get_untracked(),
            extractive_intro: self.extractive_intro.get_untracked(),
            opt_out_words: words(self.opt_out_words),
            opt_out_reply: self.opt_out_reply.get_untracked(),
            opt_in_words: words(self.opt_in_words),
            opt_in_reply: self.opt_in_reply.get_untracked(),
            human_phrases: words(self.human_phrases),
            declined_topics: words(self.declined_topics),
            decline_message: self.decline_message.get_untracked(),
        })
    }
}

#[component]
pub fn BehaviourForm(
    behaviour: AiBehaviour,
    saved: Callback<(AiSettings, &'static str)>,
) -> impl IntoView {
    let f = Fields::of(&behaviour);
    let error = RwSignal::new(None::<AppError>);
    let errors: Signal<Option<AppError>> = error.into();
    let saving = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let behaviour = match f.read() {
            Ok(b) => b,
            Err(e) => return error.set(Some(e)),
        };
        saving.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match save_ai_behaviour(behaviour).await {
                Ok(s) => {
                    saved.run((s, "Behaviour saved."));
                }
                Err(e) => error.set(Some(e)),
            }
            saving.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="behaviour-title">
            <h2 id="behaviour-title">"Behaviour"</h2>
            <form class="behaviour-grid" on:submit=submit novalidate>
                <Field label="Burst window (ms): messages within it get one reply" name="burst_ms" kind="number" value=f.burst_ms errors />
                <Field label="One reply reads at most this many of the customer's latest messages" name="burst_messages" kind="number" value=f.burst_messages errors />
                <Field label="…and at most this many of their latest characters" name="burst_chars" kind="number" value=f.burst_chars errors />
                <Field label="Earlier messages given to the model" name="history_messages" kind="number" value=f.history_messages errors />
                <Field label="Knowledge context (tokens)" name="context_tokens" kind="number" value=f.context_tokens errors />
                <Field label="Timeout per provider (s)" name="call_timeout_secs" kind="number" value=f.call_timeout_secs errors />
                <Field label="Time budget for the whole chain (s)" name="total_budget_secs" kind="number" value=f.total_budget_secs errors />
                <Field label="After you reply by hand, pause the AI (hours; 0 = until switched on)" name="pause_hours" kind="number" value=f.pause_hours errors />
                <Field label="Without a model, answer only when the documents cover this much of the question (%)" name="min_match" kind="number" value=f.min_match errors />
                <Field label="Longest answer (characters)" name="max_answer_chars" kind="number" value=f.max_answer_chars errors />
                <label class="check">
                    <input type="checkbox" name="meaning_search" prop:checked=move || f.meaning_search.get()
                        on:change=move |ev| f.meaning_search.set(event_target_checked(&ev)) />
                    " Find answers by meaning too, not only by words (your provider charges a little per document and question; OpenAI and OpenRouter, or a named model)"
                </label>
                <Field label="Model for finding answers by meaning (empty: your provider's usual one)" name="embedding_model" value=f.embedding_model errors optional=true />
                <Field label="Message when handing off to a person" name="handoff_message" value=f.handoff_message errors />
                <Field label="Sentence before a list from your documents (no-key mode)" name="extractive_intro" value=f.extractive_intro errors />
                <Field label="Opt-out words (comma-separated)" name="opt_out_words" value=f.opt_out_words errors />
                <Field label="Reply to an opt-out" name="opt_out_reply" value=f.opt_out_reply errors />
                <Field label="Opt-in words" name="opt_in_words" value=f.opt_in_words errors />
                <Field label="Reply to an opt-in" name="opt_in_reply" value=f.opt_in_reply errors />
                <Field label="Phrases that ask for a person" name="human_phrases" value=f.human_phrases errors />
                <Field label="Topics to decline" name="declined_topics" value=f.declined_topics errors optional=true />
                <Field label="Reply to a declined topic" name="decline_message" value=f.decline_message errors />
                <FormError errors />
                <div class="actions">
                    <button type="submit" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save behaviour" }}
                    </button>
                </div>
            </form>
        </section>
    }
    .into_any()
}
