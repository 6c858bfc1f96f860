//! The inbox's inputs: customer details, bulk selections, WhatsApp templates.

use crate::error::AppError;
use crate::model::{CustomerInput, TemplateMessage, WaTemplate};

pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
pub const MAX_NOTES_CHARS: usize = 4_000;
/// One bulk action touches at most this many conversations.
pub const MAX_BULK: usize = 500;
pub const MAX_WA_TEMPLATES: usize = 50;
/// Meta's limits: a template name is at most 512 characters, its body at most 1,024.
pub const MAX_WA_TEMPLATE_NAME_CHARS: usize = 512;
pub const MAX_WA_TEMPLATE_BODY_CHARS: usize = 1_024;
pub const MAX_WA_PARAMS: usize = 20;
pub const MAX_WA_PARAM_CHARS: usize = 1_024;

/// A customer's details, tidied.
pub fn customer(input: &CustomerInput) -> Result<CustomerInput, AppError> {
    let display_name = input.display_name.trim().to_owned();
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(AppError::invalid(
            "display_name",
            format!("Use at most {MAX_DISPLAY_NAME_CHARS} characters."),
        ));
    }
    let notes = input.notes.trim().to_owned();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(AppError::invalid(
            "notes",
            format!("Keep notes to {MAX_NOTES_CHARS} characters."),
        ));
    }
    Ok(CustomerInput {
        display_name,
        notes,
        tags: super::tags(&input.tags)?,
    })
}

/// A bulk selection: not empty, not huge, each conversation once.
pub fn selection(ids: &[i32]) -> Result<Vec<i32>, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid(
            "conversation_ids",
            "Select at least one conversation.",
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "conversation_ids",
            format!("Select at most {MAX_BULK} conversations at a time."),
        ));
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    Ok(unique)
}

/// How many parameters (`{{1}}`, `{{2}}`…) a template body has: the highest number used.
pub fn template_slots(body: &str) -> usize {
    let mut highest = 0;
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        if let Ok(n) = rest[..end].trim().parse::<usize>() {
            highest = highest.max(n);
        }
        rest = &rest[end + 2..];
    }
    highest
}

/// The body with its parameters filled in (a missing one stays as `{{n}}`): what the customer
/// will read.
pub fn fill_template(body: &str, params: &[String]) -> String {
    let mut out = body.to_owned();
    for (i, value) in params.iter().enumerate() {
        out = out.replace(&format!("{{{{{}}}}}", i + 1), value);
    }
    out
}

fn valid_language(code: &str) -> bool {
    // "en", "en_US", "pt_BR", "zh_CN": letters, one optional underscore and region.
    let mut parts = code.split('_');
    let lang = parts.next().unwrap_or_default();
    let region = parts.next();
    parts.next().is_none()
        && (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// The owner's list of approved templates, tidied: names as WhatsApp writes them (lower-case
/// letters, digits, underscores), a valid language code, a body within Meta's limit, and each
/// name and language pair once.
pub fn wa_templates(list: &[WaTemplate]) -> Result<Vec<WaTemplate>, AppError> {
    if list.len() > MAX_WA_TEMPLATES {
        return Err(AppError::invalid(
            "templates",
            format!("Register at most {MAX_WA_TEMPLATES} templates."),
        ));
    }
    let mut tidy: Vec<WaTemplate> = Vec::with_capacity(list.len());
    for (i, template) in list.iter().enumerate() {
        let n = i + 1;
        let name = template.name.trim().to_owned();
        if name.is_empty()
            || name.chars().count() > MAX_WA_TEMPLATE_NAME_CHARS
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(AppError::invalid(
                "templates",
                format!("Template {n}: the name is written as in WhatsApp Manager — lower-case letters, digits and underscores, such as order_update."),
            ));
        }
        let language = template.language.trim().to_owned();
        if !valid_language(&language) {
            return Err(AppError::invalid(
                "templates",
                format!(
                    "Template {n} ({name}): the language is a code such as en, en_US or pt_BR."
                ),
            ));
        }
        let body = template.body.trim().to_owned();
        if body.is_empty() || body.chars().count() > MAX_WA_TEMPLATE_BODY_CHARS {
            return Err(AppError::invalid(
                "templates",
                format!("Template {n} ({name}): paste its approved text (at most {MAX_WA_TEMPLATE_BODY_CHARS} characters)."),
            ));
        }
        if template_slots(&body) > MAX_WA_PARAMS {
            return Err(AppError::invalid(
                "templates",
                format!("Template {n} ({name}): at most {MAX_WA_PARAMS} parameters."),
            ));
        }
        if tidy
            .iter()
            .any(|t| t.name == name && t.language == language)
        {
            return Err(AppError::invalid(
                "templates",
                format!("{name} in {language} is registered twice."),
            ));
        }
        tidy.push(WaTemplate {
            name,
            language,
            body,
        });
    }
    Ok(tidy)
}

/// The registered template a message names, with its parameters checked: all of them filled,
/// none too long, no new lines (Meta refuses those in parameters).
pub fn template_message<'t>(
    message: &TemplateMessage,
    registered: &'t [WaTemplate],
) -> Result<(&'t WaTemplate, Vec<String>), AppError> {
    let template = registered
        .iter()
        .find(|t| t.name == message.name && t.language == message.language)
        .ok_or_else(|| {
            AppError::invalid(
                "template",
                format!(
                    "{} ({}) is not one of your registered templates.",
                    message.name, message.language
                ),
            )
        })?;
    let slots = template_slots(&template.body);
    if message.params.len() != slots {
        return Err(AppError::invalid(
            "params",
            format!(
                "{} needs {slots} value{}.",
                template.name,
                if slots == 1 { "" } else { "s" }
            ),
        ));
    }
    let mut params = Vec::with_capacity(slots);
    for (i, value) in message.params.iter().enumerate() {
        let value = value.trim();
        if value.is_empty() {
            return Err(AppError::invalid(
                "params",
                format!("Fill in value {{{{{}}}}}.", i + 1),
            ));
        }
        if value.chars().count() > MAX_WA_PARAM_CHARS || value.contains(['\n', '\t']) {
            return Err(AppError::invalid(
                "params",
                format!(
                    "Value {{{{{}}}}} must be one line of at most {MAX_WA_PARAM_CHARS} characters.",
                    i + 1
                ),
            ));
        }
        params.push(value.to_owned());
    }
    Ok((template, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, language: &str, body: &str) -> WaTemplate {
        WaTemplate {
            name: name.into(),
            language: language.into(),
            body: body.into(),
        }
    }

    #[test]
    fn slots_and_filling() {
        assert_eq!(template_slots("Hi {{1}}, order {{2}} is ready"), 2);
        assert_eq!(template_slots("No parameters"), 0);
        assert_eq!(template_slots("{{ 3 }} then {{1}} {{x}} {{"), 3);
        assert_eq!(
            fill_template("Hi {{1}}, order {{2}}", &["Ana".into()]),
            "Hi Ana, order {{2}}"
        );
    }

    #[test]
    fn templates_are_checked() {
        let ok = wa_templates(&[template(" order_update ", "pt_BR", "Olá {{1}}")]).expect("valid");
        assert_eq!(ok[0].name, "order_update");
        for bad in [
            template("Order Update", "en", "x"),
            template("order", "english", "x"),
            template("order", "en", " "),
            template("order", "en", &"x".repeat(1_025)),
        ] {
            assert!(wa_templates(std::slice::from_ref(&bad)).is_err(), "{bad:?}");
        }
        let twice = [template("a", "en", "x"), template("a", "en", "y")];
        assert!(wa_templates(&twice).is_err());
    }

    #[test]
    fn messages_need_every_parameter() {
        let registered = [template("order_update", "en", "Hi {{1}}, {{2}} shipped")];
        let message = |params: &[&str]| TemplateMessage {
            name: "order_update".into(),
            language: "en".into(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        };
        let (found, params) =
            template_message(&message(&[" Ana ", "A-1"]), &registered).expect("valid");
        assert_eq!(found.name, "order_update");
        assert_eq!(params, ["Ana", "A-1"]);
        assert!(template_message(&message(&["Ana"]), &registered).is_err());
        assert!(template_message(&message(&["Ana", " "]), &registered).is_err());
        assert!(template_message(&message(&["Ana", "two\nlines"]), &registered).is_err());
        let unknown = TemplateMessage {
            language: "de".into(),
            ..message(&["Ana", "A-1"])
        };
        assert!(template_message(&unknown, &registered).is_err());
    }

    #[test]
    fn customers_and_selections() {
        let tidy = customer(&CustomerInput {
            display_name: "  Ana ".into(),
            notes: " likes mornings ".into(),
            tags: vec!["VIP".into(), "vip".into(), " ".into()],
        })
        .expect("valid");
        assert_eq!(tidy.display_name, "Ana");
        assert_eq!(tidy.tags, ["VIP"]);
        assert!(customer(&CustomerInput {
            notes: "x".repeat(MAX_NOTES_CHARS + 1),
            ..CustomerInput::default()
        })
        .is_err());
        assert_eq!(selection(&[3, 1, 3]).expect("valid"), [1, 3]);
        assert!(selection(&[]).is_err());
        assert!(selection(&vec![1; MAX_BULK + 1]).is_err());
    }
}
