//! Rendering a template: every `{{ variable }}` replaced by its value, in one pass (a value that
//! itself contains `{{…}}`, such as a customer's message, is never expanded again).

use app::validate::placeholders;

/// The values of the template variables for one reply.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    pub business_name: String,
    pub customer_name: String,
    pub customer_message: String,
    pub relevant_documents: String,
    pub conversation_history: String,
    pub current_date: String,
    /// Settings' languages, comma-separated ("English, Português").
    pub business_languages: String,
}

impl Variables {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "business_name" => &self.business_name,
            "customer_name" => &self.customer_name,
            "customer_message" => &self.customer_message,
            "relevant_documents" => &self.relevant_documents,
            "conversation_history" => &self.conversation_history,
            "current_date" => &self.current_date,
            "business_languages" => &self.business_languages,
            _ => return None,
        })
    }

    /// What the editor's preview shows.
    pub fn sample(business_name: &str) -> Self {
        Self {
            business_name: business_name.to_owned(),
            customer_name: "Maria".into(),
            customer_message: "Hi! Are you open on Sunday, and how much is delivery?".into(),
            relevant_documents: "[1] Opening hours — We are open Monday to Saturday, 9:00–18:00. Closed on Sundays.\n\n[2] Delivery — Delivery within the city costs $5; free above $50.".into(),
            conversation_history: "Customer: Hello\nAssistant: Hi Maria! How can I help you today?".into(),
            current_date: chrono::Utc::now().format("%A, %-d %B %Y").to_string(),
            business_languages: "English, Português".into(),
        }
    }
}

/// `body` with its variables filled in. Unknown names (refused on save, so only in old rows) are
/// left as written rather than silently dropped.
pub fn render(body: &str, vars: &Variables) -> String {
    let Ok(found) = placeholders(body) else {
        return body.to_owned();
    };
    let mut out = String::with_capacity(body.len() + vars.relevant_documents.len());
    let mut from = 0;
    for p in found {
        out.push_str(&body[from..p.range.start]);
        match vars.get(p.name) {
            Some(value) => out.push_str(value),
            None => out.push_str(&body[p.range.clone()]),
        }
        from = p.range.end;
    }
    out.push_str(&body[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_variable_once_without_re_expanding_values() {
        let vars = Variables {
            business_name: "Bella".into(),
            customer_name: "Ana".into(),
            customer_message: "what is {{business_name}}?".into(),
            ..Variables::default()
        };
        let out = render(
            "{{business_name}} helps {{ customer_name }}: {{customer_message}}",
            &vars,
        );
        assert_eq!(out, "Bella helps Ana: what is {{business_name}}?");
        assert_eq!(render("no vars", &vars), "no vars");
        assert_eq!(render("{{oops}} x", &vars), "{{oops}} x");
    }
}
