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
    /// "Hi!", "Thanks 🙏", "ok": nothing to look up.
    SmallTalk(SmallTalk),
    Question,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    /// "ok", "perfect", 👍: needs no reply.
    Acknowledgement,
}

/// Greetings, thanks and acknowledgements in the languages Replydesk speaks (accents folded).
const GREETINGS: &str = "\
hi, hello, hey, hiya, good morning, good afternoon, good evening, hola, buenas, buenos dias, \
buenas tardes, buenas noches, ola, oi, bom dia, boa tarde, boa noite, bonjour, bonsoir, \
salut, hallo, guten tag, moin, ciao, buongiorno, buonasera, salve, goedemorgen, goedemiddag, \
hoi, there, team, everyone, tudo bem, que tal";
const THANKS: &str = "\
thanks, thank you, thx, ty, tks, cheers, much appreciated, gracias, muchas gracias, \
obrigado, obrigada, muito obrigado, muito obrigada, valeu, merci, merci beaucoup, danke, \
danke schon, vielen dank, grazie, grazie mille, bedankt, dank je, dank u, so much, a lot, \
very much";
const ACKNOWLEDGEMENTS: &str = "\
ok, okay, okey, k, great, perfect, perfecto, perfeito, parfait, super, cool, nice, vale, \
genial, otimo, top, fixe, dale, d accord, prima, bene, got it, sounds good, alright, \
all right, fine, claro, entendido, entendi, certo";

/// Whether `text` (normalised) is made only of `lists`' phrases (comma-separated); which lists
/// matched.
fn only_phrases(text: &str, lists: &[&str]) -> Option<Vec<bool>> {
    let folded = crate::knowledge::language::fold(text);
    let mut rest: Vec<&str> = folded.split_whitespace().collect();
    let mut seen = vec![false; lists.len()];
    if rest.is_empty() {
        return None;
    }
    'outer: while !rest.is_empty() {
        for (i, list) in lists.iter().enumerate() {
            // Longest phrase first: "thank you" before "thank".
            let best = list
                .split(',')
                .map(|p| p.split_whitespace().collect::<Vec<_>>())
                .filter(|p| !p.is_empty())
                .filter(|p| rest.starts_with(p))
                .max_by_key(Vec::len);
            if let Some(p) = best {
                seen[i] = true;
                rest.drain(..p.len());
                continue 'outer;
            }
        }
        return None;
    }
    Some(seen)
}

/// Small talk, when the whole message is greetings, thanks or acknowledgements.
fn small_talk(text: &str) -> Option<SmallTalk> {
    if text.is_empty() {
        return Some(SmallTalk::Acknowledgement); // only emoji or punctuation: "👍", "!!"
    }
    let seen = only_phrases(text, &[GREETINGS, THANKS, ACKNOWLEDGEMENTS])?;
    Some(if seen[1] {
        SmallTalk::Thanks
    } else if seen[0] {
        SmallTalk::Greeting
    } else {
        SmallTalk::Acknowledgement
    })
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
    if let Some(kind) = small_talk(&text) {
        return Intent::SmallTalk(kind);
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
    fn small_talk_is_the_whole_message() {
        let s = AiBehaviour::default();
        let talk = |t| classify(t, &s);
        assert_eq!(talk("Hola 👋"), Intent::SmallTalk(SmallTalk::Greeting));
        assert_eq!(talk("Bom dia!"), Intent::SmallTalk(SmallTalk::Greeting));
        assert_eq!(talk("thanks!"), Intent::SmallTalk(SmallTalk::Thanks));
        assert_eq!(
            talk("ok thank you so much 🙏"),
            Intent::SmallTalk(SmallTalk::Thanks)
        );
        assert_eq!(talk("Muito obrigada"), Intent::SmallTalk(SmallTalk::Thanks));
        assert_eq!(talk("ok 👍"), Intent::SmallTalk(SmallTalk::Acknowledgement));
        assert_eq!(talk("hi, can I bring my dog?"), Intent::Question);
        assert_eq!(talk("thanks, and the parking?"), Intent::Question);
        assert_eq!(talk("👍"), Intent::SmallTalk(SmallTalk::Acknowledgement));
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
