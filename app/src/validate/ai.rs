//! Prompt templates, providers and the bot's behaviour.

use std::ops::Range;

use crate::error::AppError;
use crate::model::{
    AiBehaviour, ModelPrice, ProviderInput, TemplateInput, PROMPT_VARIABLES, PROVIDER_KINDS,
};

pub const MAX_TEMPLATE_NAME_CHARS: usize = 80;
pub const MAX_TEMPLATE_CHARS: usize = 12_000;
pub const MAX_QUESTION_CHARS: usize = 1_000;
pub const MAX_CHAIN: usize = 6;
pub const MAX_MODEL_CHARS: usize = 128;
pub const MAX_API_KEY_CHARS: usize = 512;
const MAX_WORDS: usize = 50;
const MAX_WORD_CHARS: usize = 60;
const MAX_MESSAGE_CHARS: usize = 1_000;
const MAX_PRICES: usize = 100;

/// A `{{ name }}` in a template: where it is and the name inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    pub range: Range<usize>,
    pub name: &'a str,
}

/// The placeholders of `body`, in order; `Err` with the byte offset of a `{{` that never closes.
pub fn placeholders(body: &str) -> Result<Vec<Placeholder<'_>>, usize> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = body[from..].find("{{").map(|i| from + i) {
        let close = body[open + 2..]
            .find("}}")
            .map(|i| open + 2 + i)
            .ok_or(open)?;
        found.push(Placeholder {
            range: open..close + 2,
            name: body[open + 2..close].trim(),
        });
        from = close + 2;
    }
    Ok(found)
}

pub fn is_variable(name: &str) -> bool {
    PROMPT_VARIABLES.iter().any(|(known, _)| *known == name)
}

/// A template, tidied; an unknown or unclosed variable is refused, naming it.
pub fn template(input: &TemplateInput) -> Result<TemplateInput, AppError> {
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Name the template."));
    }
    if name.chars().count() > MAX_TEMPLATE_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("Use at most {MAX_TEMPLATE_NAME_CHARS} characters."),
        ));
    }
    let body = input.body.trim().to_owned();
    template_body(&body)?;
    let industry = input
        .industry
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(60).collect());
    Ok(TemplateInput {
        name,
        industry,
        body,
        knowledge_only: input.knowledge_only,
    })
}

/// The body rules alone (also for "try it" with an unsaved body).
pub fn template_body(body: &str) -> Result<(), AppError> {
    if body.trim().is_empty() {
        return Err(AppError::invalid("body", "Write the instructions."));
    }
    if body.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(AppError::invalid(
            "body",
            format!("Use at most {MAX_TEMPLATE_CHARS} characters."),
        ));
    }
    let found = placeholders(body).map_err(|at| {
        let line = body[..at].lines().count().max(1);
        AppError::invalid(
            "body",
            format!("A {{{{ on line {line} is never closed with }}}}."),
        )
    })?;
    if let Some(unknown) = found.iter().find(|p| !is_variable(p.name)) {
        let known: Vec<String> = PROMPT_VARIABLES
            .iter()
            .map(|(n, _)| format!("{{{{{n}}}}}"))
            .collect();
        return Err(AppError::invalid(
            "body",
            format!(
                "{{{{{}}}}} is not a variable. Use {}.",
                unknown.name,
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

/// A "try it" question.
pub fn question(raw: &str) -> Result<String, AppError> {
    let q = raw.trim();
    if q.is_empty() {
        return Err(AppError::invalid("question", "Ask a question."));
    }
    if q.chars().count() > MAX_QUESTION_CHARS {
        return Err(AppError::invalid(
            "question",
            format!("Use at most {MAX_QUESTION_CHARS} characters."),
        ));
    }
    Ok(q.to_owned())
}

/// One link of the chain, tidied. The base URL is required for a custom provider and optional
/// (overriding the default) for the others.
pub fn provider(input: &ProviderInput) -> Result<ProviderInput, AppError> {
    if !PROVIDER_KINDS.iter().any(|(k, _)| *k == input.kind) {
        return Err(AppError::invalid(
            "kind",
            "Choose OpenRouter, OpenAI, Anthropic or a custom URL.",
        ));
    }
    let base_url = input
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    match &base_url {
        Some(url) => {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.len() > 300 || url.contains(char::is_whitespace) {
                return Err(AppError::invalid(
                    "base_url",
                    "Enter an http(s) address such as http://localhost:11434/v1.",
                ));
            }
        }
        None if input.kind == "custom" => {
            return Err(AppError::invalid(
                "base_url",
                "Enter the provider's address, such as http://localhost:11434/v1.",
            ))
        }
        None => {}
    }
    let model = input.model.trim().to_owned();
    if model.is_empty()
        || model.chars().count() > MAX_MODEL_CHARS
        || model.contains(char::is_whitespace)
    {
        return Err(AppError::invalid(
            "model",
            "Enter the model's id, such as gpt-4o-mini (no spaces).",
        ));
    }
    let api_key = input.api_key.as_deref().map(str::trim).map(str::to_owned);
    if api_key.as_ref().is_some_and(|k| {
        k.chars().count() > MAX_API_KEY_CHARS || k.chars().any(|c| c.is_control() || c == ' ')
    }) {
        return Err(AppError::invalid(
            "api_key",
            "This does not look like an API key.",
        ));
    }
    Ok(ProviderInput {
        kind: input.kind.clone(),
        base_url,
        model,
        api_key,
    })
}

fn words(field: &str, list: &[String]) -> Result<Vec<String>, AppError> {
    let tidy: Vec<String> = list
        .iter()
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    if tidy.len() > MAX_WORDS || tidy.iter().any(|w| w.chars().count() > MAX_WORD_CHARS) {
        return Err(AppError::invalid(
            field,
            format!("Use at most {MAX_WORDS} entries of {MAX_WORD_CHARS} characters."),
        ));
    }
    Ok(tidy)
}

fn message(field: &str, text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid(field, "This message cannot be empty."));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

fn within(field: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<u32, AppError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            format!("Use a number from {} to {}.", range.start(), range.end()),
        ))
    }
}

/// An optional model id: empty, or an id without spaces.
fn model_name(field: &str, text: &str) -> Result<String, AppError> {
    let model = text.trim();
    if model.chars().count() > MAX_MODEL_CHARS || model.contains(char::is_whitespace) {
        return Err(AppError::invalid(
            field,
            "Enter the model's id, such as text-embedding-3-small (no spaces), or leave it empty.",
        ));
    }
    Ok(model.to_owned())
}

/// The behaviour settings, tidied.
pub fn behaviour(b: &AiBehaviour) -> Result<AiBehaviour, AppError> {
    let call_timeout_secs = within("call_timeout_secs", b.call_timeout_secs, 1..=120)?;
    let total_budget_secs = within("total_budget_secs", b.total_budget_secs, 1..=300)?;
    if total_budget_secs < call_timeout_secs {
        return Err(AppError::invalid(
            "total_budget_secs",
            "The total budget must be at least one call's timeout.",
        ));
    }
    Ok(AiBehaviour {
        burst_ms: within("burst_ms", b.burst_ms, 0..=30_000)?,
        burst_messages: within("burst_messages", b.burst_messages, 1..=50)?,
        burst_chars: within("burst_chars", b.burst_chars, 100..=20_000)?,
        history_messages: within("history_messages", b.history_messages, 0..=50)?,
        context_tokens: within("context_tokens", b.context_tokens, 100..=16_000)?,
        call_timeout_secs,
        total_budget_secs,
        handoff_message: message("handoff_message", &b.handoff_message)?,
        pause_hours: within("pause_hours", b.pause_hours, 0..=720)?,
        extractive_intro: message("extractive_intro", &b.extractive_intro)?,
        min_match: within("min_match", b.min_match, 0..=100)?,
        meaning_search: b.meaning_search,
        embedding_model: model_name("embedding_model", &b.embedding_model)?,
        opt_out_words: words("opt_out_words", &b.opt_out_words)?,
        opt_out_reply: message("opt_out_reply", &b.opt_out_reply)?,
        opt_in_words: words("opt_in_words", &b.opt_in_words)?,
        opt_in_reply: message("opt_in_reply", &b.opt_in_reply)?,
        human_phrases: words("human_phrases", &b.human_phrases)?,
        declined_topics: words("declined_topics", &b.declined_topics)?,
        decline_message: message("decline_message", &b.decline_message)?,
        max_answer_chars: within("max_answer_chars", b.max_answer_chars, 100..=4096)?,
    })
}

/// The price table, tidied (one row per model).
pub fn prices(list: &[ModelPrice]) -> Result<Vec<ModelPrice>, AppError> {
    if list.len() > MAX_PRICES {
        return Err(AppError::invalid(
            "prices",
            format!("Keep at most {MAX_PRICES} models."),
        ));
    }
    let mut tidy: Vec<ModelPrice> = Vec::with_capacity(list.len());
    for p in list {
        let model = p.model.trim().to_owned();
        if model.is_empty() || model.chars().count() > MAX_MODEL_CHARS {
            return Err(AppError::invalid("prices", "Every price needs a model id."));
        }
        let valid = |v: f64| v.is_finite() && (0.0..=10_000.0).contains(&v);
        if !valid(p.input_per_million) || !valid(p.output_per_million) {
            return Err(AppError::invalid(
                "prices",
                format!("The prices of {model} must be dollars per million tokens, 0 to 10000."),
            ));
        }
        if tidy.iter().any(|t| t.model == model) {
            return Err(AppError::invalid(
                "prices",
                format!("{model} is listed twice."),
            ));
        }
        tidy.push(ModelPrice {
            model,
            input_per_million: p.input_per_million,
            output_per_million: p.output_per_million,
        });
    }
    Ok(tidy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Result<(), AppError> {
        template_body(text)
    }

    #[test]
    fn placeholders_are_found_with_spaces_and_unclosed_ones_located() {
        let found = placeholders("Hi {{ customer_name }}, {{business_name}}!").expect("ok");
        let names: Vec<&str> = found.iter().map(|p| p.name).collect();
        assert_eq!(names, ["customer_name", "business_name"]);
        assert_eq!(found[0].range, 3..22);
        assert_eq!(placeholders("a {{b}} {{c"), Err(8));
    }

    #[test]
    fn unknown_variables_are_refused_by_name() {
        assert!(body("Answer {{customer_message}} from {{relevant_documents}}").is_ok());
        let err = body("Hello {{customer_nmae}}").expect_err("typo");
        assert!(
            err.message.contains("{{customer_nmae}} is not a variable"),
            "{}",
            err.message
        );
        let err = body("line one\nHello {{customer_name").expect_err("unclosed");
        assert!(err.message.contains("line 2"), "{}", err.message);
        assert!(body("   ").is_err());
    }

    #[test]
    fn providers_need_a_model_and_custom_ones_a_url() {
        let input = |kind: &str, url: Option<&str>, model: &str| ProviderInput {
            kind: kind.into(),
            base_url: url.map(str::to_owned),
            model: model.into(),
            api_key: None,
        };
        assert!(provider(&input("openai", None, "gpt-4o-mini")).is_ok());
        assert!(provider(&input("custom", None, "llama3")).is_err());
        assert!(provider(&input("custom", Some("ftp://x"), "llama3")).is_err());
        assert!(provider(&input(
            "custom",
            Some("http://localhost:11434/v1"),
            "llama3"
        ))
        .is_ok());
        assert!(provider(&input("openai", None, "gpt 4")).is_err());
        assert!(provider(&input("gemini", None, "x")).is_err());
    }

    #[test]
    fn behaviour_defaults_are_valid_and_limits_hold() {
        let ok = behaviour(&AiBehaviour::default()).expect("defaults valid");
        assert_eq!(ok, AiBehaviour::default());
        let b = AiBehaviour {
            total_budget_secs: 5,
            call_timeout_secs: 10,
            ..AiBehaviour::default()
        };
        assert_eq!(
            behaviour(&b).expect_err("budget").field.as_deref(),
            Some("total_budget_secs")
        );
        let b = AiBehaviour {
            handoff_message: " ".into(),
            ..AiBehaviour::default()
        };
        assert!(behaviour(&b).is_err());
        let b = AiBehaviour {
            min_match: 101,
            ..AiBehaviour::default()
        };
        assert!(behaviour(&b).is_err());
    }

    #[test]
    fn prices_are_per_model_once() {
        let p = |m: &str, i: f64| ModelPrice {
            model: m.into(),
            input_per_million: i,
            output_per_million: 1.0,
        };
        assert!(prices(&[p("a", 0.15), p("b", 3.0)]).is_ok());
        assert!(prices(&[p("a", 0.15), p("a", 3.0)]).is_err());
        assert!(prices(&[p("a", -1.0)]).is_err());
        assert!(prices(&[p("a", f64::INFINITY)]).is_err());
    }
}
