//! The answer without a model: the sentences of the best passage that match the question, framed
//! by the owner's sentence. Used when no provider is configured and when every provider failed.

use super::fit;

/// The longest excerpt, in characters.
const MAX_EXCERPT_CHARS: usize = 600;

/// Words that say nothing about what a question is about (English, Spanish, Portuguese, French,
/// German): a passage sharing only these with a question is not relevant to it.
/// Words that say nothing about what a question is about (English, Spanish, Portuguese, French,
/// German): a passage sharing only these with a question is not relevant to it.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "was", "you", "your", "yours", "what", "when", "where", "which",
    "who", "why", "how", "can", "could", "would", "will", "shall", "should", "may", "might",
    "does", "did", "with", "have", "has", "had", "from", "that", "this", "these", "those", "there",
    "here", "about", "any", "our", "ours", "is", "am", "do", "of", "to", "in", "on", "a", "an",
    "it", "its", "me", "my", "we", "us", "i", "be", "been", "or", "at", "by", "if", "so", "not",
    "no", "yes", "please", "thanks", "thank", "also", "just", "get", "got", "want", "need", "like",
    "some", "que", "el", "la", "los", "las", "un", "una", "unos", "por", "para", "con", "de",
    "del", "en", "es", "y", "o", "se", "su", "sus", "hay", "cómo", "como", "cuándo", "dónde",
    "qué", "mi", "tu", "com", "um", "uma", "os", "as", "da", "dos", "das", "na", "é", "e", "vocês",
    "você", "est", "les", "le", "des", "du", "et", "ou", "vous", "nous", "je", "il", "elle",
    "pour", "avec", "und", "die", "der", "das", "ein", "eine", "ist", "sind", "ich", "sie", "wir",
    "mit", "für", "zu", "auf", "oder",
];

/// The words of `text` that carry its meaning (lower case, no stop words).
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1 && !STOPWORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// Whether two words match, allowing a shared stem ("deliver" / "delivery", "open" / "opening").
fn matches(a: &str, b: &str) -> bool {
    let stem = |w: &str| w.chars().take(4).collect::<String>();
    a == b || (a.chars().count() >= 4 && b.chars().count() >= 4 && stem(a) == stem(b))
}

/// The passage's sentences (lines split at sentence ends), without markdown markers.
fn sentences(passage: &str) -> Vec<String> {
    let text = fit::to_whatsapp(passage);
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line.trim();
        while !rest.is_empty() {
            let end = rest
                .char_indices()
                .find(|(i, c)| {
                    matches!(c, '.' | '!' | '?')
                        && rest[i + 1..].chars().next().is_none_or(char::is_whitespace)
                })
                .map_or(rest.len(), |(i, c)| i + c.len_utf8());
            out.push(rest[..end].trim().to_owned());
            rest = rest[end..].trim_start();
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The part of `passage` that answers `question`: from the best-matching sentence on, within
/// the length limit.
pub fn excerpt(question: &str, passage: &str) -> String {
    let asked = words(question);
    let all = sentences(passage);
    let score = |s: &str| {
        let have = words(s);
        asked
            .iter()
            .filter(|q| have.iter().any(|w| matches(q, w)))
            .count()
    };
    // The first sentence with the highest score (a heading line counts like any sentence).
    let best = (0..all.len())
        .max_by_key(|&i| (score(&all[i]), std::cmp::Reverse(i)))
        .unwrap_or(0);
    let mut out = String::new();
    for sentence in &all[best..] {
        if !out.is_empty() && out.chars().count() + sentence.chars().count() + 1 > MAX_EXCERPT_CHARS
        {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(sentence);
    }
    fit::shorten(&out, MAX_EXCERPT_CHARS)
}

/// The message the customer receives.
pub fn answer(intro: &str, question: &str, title: &str, passage: &str) -> String {
    format!("{intro}\n\n{}\n\n_{title}_", excerpt(question, passage))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSAGE: &str = "# Opening hours\nWe open Monday to Saturday from 9:00 to 18:00. On Sundays we are closed.\n\n## Delivery\nDelivery within the city costs $5. Orders above $50 ship free.";

    #[test]
    fn starts_at_the_sentence_that_answers() {
        assert_eq!(
            excerpt("How much does delivery cost?", PASSAGE),
            "Delivery within the city costs $5. Orders above $50 ship free."
        );
        let hours = excerpt("are you open on sunday", PASSAGE);
        assert!(hours.contains("On Sundays we are closed."), "{hours}");
    }

    #[test]
    fn question_words_leave_out_what_every_text_contains() {
        assert_eq!(words("Can I pay with Bitcoin?"), ["pay", "bitcoin"]);
        assert_eq!(words("¿Cuándo abren los domingos?"), ["abren", "domingos"]);
        assert!(words("Do you? Is it?").is_empty());
    }

    #[test]
    fn stays_within_the_limit() {
        let long = "Our policy covers returns. ".repeat(100);
        let out = excerpt("returns policy", &long);
        assert!(out.chars().count() <= MAX_EXCERPT_CHARS);
        assert!(out.ends_with('.'));
    }

    #[test]
    fn the_answer_is_framed_and_attributed() {
        let a = answer("Here is what I found:", "delivery cost", "Prices", PASSAGE);
        assert!(a.starts_with("Here is what I found:\n\n"));
        assert!(a.ends_with("_Prices_"));
    }
}
