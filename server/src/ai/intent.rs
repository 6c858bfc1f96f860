//! What a customer's own words ask for, before any model sees them: opting out (STOP), back in
//! (START), a person, or a topic the business declines. Word lists come from the settings, in
//! whatever languages the owner serves.

use app::model::AiBehaviour;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    OptOut,
    OptIn,
    Human,
    Declined(String),
    Question,
}

/// Lower case, punctuation as spaces, single spaces: "STOP!!" and "stop" read the same.
fn normalise(text: &str) -> String {
    let spaced: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `phrase` occurs in `text` as whole words.
fn contains_words(text: &str, phrase: &str) -> bool {
    let phrase = normalise(phrase);
    !phrase.is_empty() && format!(" {text} ").contains(&format!(" {phrase} "))
}

/// Opt-out and opt-in only when the message is the word itself ("stop", "STOP."), so "please
/// don't stop the delivery" is a question; a person or a declined topic anywhere in it.
pub fn classify(text: &str, settings: &AiBehaviour) -> Intent {
    let text = normalise(text);
    let is = |list: &[String]| list.iter().any(|w| normalise(w) == text);
    if is(&settings.opt_out_words) {
        return Intent::OptOut;
    }
    if is(&settings.opt_in_words) {
        return Intent::OptIn;
    }
    if settings
        .human_phrases
        .iter()
        .any(|p| contains_words(&text, p))
    {
        return Intent::Human;
    }
    if let Some(topic) = settings
        .declined_topics
        .iter()
        .find(|t| contains_words(&text, t))
    {
        return Intent::Declined(topic.clone());
    }
    Intent::Question
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_start_only_as_the_whole_message() {
        let s = AiBehaviour::default();
        assert_eq!(classify("STOP", &s), Intent::OptOut);
        assert_eq!(classify("  stop. ", &s), Intent::OptOut);
        assert_eq!(classify("Parar", &s), Intent::OptOut);
        assert_eq!(classify("please don't stop my order", &s), Intent::Question);
        assert_eq!(classify("Start", &s), Intent::OptIn);
    }

    #[test]
    fn asking_for_a_person_in_several_languages() {
        let s = AiBehaviour::default();
        assert_eq!(classify("Can I talk to a HUMAN please?", &s), Intent::Human);
        assert_eq!(classify("quiero hablar con una persona", &s), Intent::Human);
        assert_eq!(classify("preciso de um atendente", &s), Intent::Human);
        assert_eq!(
            classify("is the agenda ready", &s),
            Intent::Question,
            "agent≠agenda"
        );
    }

    #[test]
    fn declined_topics() {
        let s = AiBehaviour {
            declined_topics: vec!["politics".into(), "medical advice".into()],
            ..AiBehaviour::default()
        };
        assert_eq!(
            classify("what do you think about Politics?", &s),
            Intent::Declined("politics".into())
        );
        assert_eq!(classify("opening hours?", &s), Intent::Question);
    }
}
