//! The answer without a model: the one to three sentences, table rows or list items of the best
//! passages that answer the question, the document named once. Used when no provider is
//! configured and when every provider failed.
//!
//! Each piece of the top passages is scored by the question's words it contains (typos and
//! word endings forgiven; the passage's heading counts for half); the best piece is the answer,
//! with the piece after it when it is too short to stand alone, and with equally good pieces of
//! the same passage ("vegan" matching two dishes). A question that asks for a list ("which
//! wines do you have?") gets every matching row. No piece containing a word of the question:
//! no answer, and the engine hands off.

use super::formatting;
use crate::knowledge::language::{self, fold, same_word, Lang};
use crate::knowledge::search::{self, Hit};
use crate::knowledge::thesaurus;

/// The longest excerpt, in characters, unless the question asks for a list.
pub const MAX_EXCERPT_CHARS: usize = 400;
/// The longest list excerpt.
const MAX_LIST_CHARS: usize = 900;
/// Passages looked at, best first.
const PASSAGES: usize = 3;
/// A piece this short ("Yes:", "PRICES") takes the one after it along.
const SHORT_PIECE_CHARS: usize = 60;

/// Words that make a question ask for a list.
const LIST_WORDS: &[&str] = &[
    "list", "which", "options", "kinds", "types", "menu", "all", "cuales", "lista", "opciones",
    "tipos", "quais", "opcoes", "tipos", "quels", "quelles", "welche", "quali", "welke",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sentence,
    /// A table row or a list item: a line that stands alone.
    Line,
}

#[derive(Debug, Clone)]
struct Piece {
    kind: Kind,
    text: String,
}

/// A table row as a customer reads it: "Dish: Cod fritters, Price: €8.50".
fn readable_row(line: &str) -> String {
    line.split(" | ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The passage's pieces: its table rows and list items whole, its prose by sentence.
fn pieces(passage: &str) -> Vec<Piece> {
    let text = formatting::to_whatsapp(passage);
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let is_item = line.starts_with("• ") || line.starts_with("- ");
        if line.contains(" | ") || is_item {
            out.push(Piece {
                kind: Kind::Line,
                text: readable_row(line),
            });
            continue;
        }
        let mut rest = line;
        while !rest.is_empty() {
            let end = rest
                .char_indices()
                .find(|(i, c)| {
                    matches!(c, '.' | '!' | '?')
                        && rest[i + 1..].chars().next().is_none_or(char::is_whitespace)
                })
                .map_or(rest.len(), |(i, c)| i + c.len_utf8());
            let sentence = rest[..end].trim();
            if !sentence.is_empty() {
                out.push(Piece {
                    kind: Kind::Sentence,
                    text: sentence.to_owned(),
                });
            }
            rest = rest[end..].trim_start();
        }
    }
    out
}

fn folded_words(text: &str) -> Vec<String> {
    language::tokens(text).iter().map(|w| fold(w)).collect()
}

/// Which of the question's words `words` contains, as written or as another word of their
/// group ("booking" for "reservation").
fn matched(question: &[Asked], words: &[String]) -> Vec<bool> {
    question
        .iter()
        .map(|q| {
            words
                .iter()
                .any(|w| same_word(&q.word, w) || q.synonyms.iter().any(|s| same_word(s, w)))
        })
        .collect()
}

/// A word of the question with the other words of its group.
struct Asked {
    word: String,
    synonyms: Vec<&'static str>,
}

/// A piece with the question's words it holds.
struct Scored {
    piece: Piece,
    has: Vec<bool>,
    score: f32,
}

/// The answer to `question` from `hits` (best first), in the customer's language `lang` for
/// the intro before a list: the text and the index of the hit it comes from. `None` when no
/// piece of the top passages contains a word of the question.
pub fn answer(
    question: &str,
    hits: &[Hit],
    langs: &[Lang],
    intro: &str,
) -> Option<(String, usize)> {
    let words = language::content_words(question, langs);
    // The latest words, as many as search reads: a 20,000-character flood is not a question,
    // and each word costs a pass over every piece.
    let asked: Vec<Asked> = words[words.len().saturating_sub(search::MAX_QUERY_WORDS)..]
        .iter()
        .map(|w| Asked {
            word: fold(w),
            synonyms: thesaurus::synonyms(w),
        })
        .collect();
    if asked.is_empty() {
        return None;
    }
    let wants_list = folded_words(question)
        .iter()
        .any(|w| LIST_WORDS.contains(&w.as_str()));

    let mut all: Vec<Vec<Scored>> = hits
        .iter()
        .take(PASSAGES)
        .map(|hit| {
            pieces(&hit.content)
                .into_iter()
                .map(|piece| {
                    let has = matched(&asked, &folded_words(&piece.text));
                    Scored {
                        piece,
                        has,
                        score: 0.0,
                    }
                })
                .collect()
        })
        .collect();
    // A word found in every piece ("menu" in a menu) tells pieces apart less than a rare one.
    let total = all.iter().map(Vec::len).sum::<usize>() as f32;
    let weights: Vec<f32> = (0..asked.len())
        .map(|q| {
            let holding = all.iter().flatten().filter(|s| s.has[q]).count() as f32;
            (1.0 + (total + 1.0) / (holding + 1.0)).ln()
        })
        .collect();
    let mut best: Option<(f32, usize, usize)> = None;
    let mut lead = false;
    for (h, (hit, scored)) in hits.iter().zip(all.iter_mut()).enumerate() {
        let context = matched(
            &asked,
            &folded_words(&format!("{} {}", hit.title, hit.heading_path)),
        );
        // The best passage's heading is the question ("FADO NIGHTS" for "do you have fado
        // nights?"): its section's opening says what the customer asked.
        if h == 0 && !hit.heading_path.is_empty() && context.iter().all(|c| *c) {
            lead = true;
        }
        for (i, s) in scored.iter_mut().enumerate() {
            let own: f32 = (0..asked.len())
                .filter(|q| s.has[*q])
                .map(|q| weights[q])
                .sum();
            if own == 0.0 {
                continue;
            }
            // The heading says what the piece is about when the piece does not repeat it.
            let heading: f32 = (0..asked.len())
                .filter(|q| !s.has[*q] && context[*q])
                .map(|q| weights[q])
                .sum();
            s.score = own + 0.5 * heading;
            // Later passages lose ties, and a little more; later pieces lose exact ties.
            let ranked = s.score * (1.0 - 0.12 * h as f32) - 0.001 * i as f32;
            if best.is_none_or(|(b, _, _)| ranked > b) {
                best = Some((ranked, h, i));
            }
        }
    }
    let (_, h, i) = if lead && !all[0].is_empty() {
        (0.0, 0, 0)
    } else {
        best?
    };
    let scored = &all[h];
    let limit = if wants_list {
        MAX_LIST_CHARS
    } else {
        MAX_EXCERPT_CHARS
    };
    let size = |chosen: &[usize]| -> usize {
        chosen
            .iter()
            .map(|&c| scored[c].piece.text.chars().count() + 1)
            .sum()
    };
    let is_question = |c: usize| scored[c].piece.text.ends_with('?');
    let mut chosen = vec![i];
    if is_question(i) && i + 1 < scored.len() && !is_question(i + 1) {
        // A question of the document's own FAQ: its answer is what follows it.
        chosen = vec![i + 1];
        if i + 2 < scored.len() && !is_question(i + 2) && size(&[i + 1, i + 2]) <= limit {
            chosen.push(i + 2);
        }
    } else {
        let piece = &scored[i].piece;
        let short = piece.kind == Kind::Sentence
            && (piece.text.chars().count() < SHORT_PIECE_CHARS || piece.text.ends_with(':'));
        if short && i + 1 < scored.len() && !is_question(i + 1) && size(&[i, i + 1]) <= limit {
            chosen.push(i + 1);
        }
        let most = if wants_list { 12 } else { 3 };
        // As good as the best: every dish with fish, not every dish.
        let mut others: Vec<usize> = (0..scored.len())
            .filter(|&j| !chosen.contains(&j) && !is_question(j))
            .filter(|&j| {
                scored[j].score >= scored[i].score * 0.999
                    && (!wants_list || scored[j].piece.kind == scored[i].piece.kind)
            })
            .collect();
        others.sort_by(|a, b| scored[*b].score.total_cmp(&scored[*a].score).then(a.cmp(b)));
        for j in others {
            if chosen.len() >= most {
                break;
            }
            let mut with = chosen.clone();
            with.push(j);
            if size(&with) <= limit {
                chosen = with;
            }
        }
    }
    chosen.sort_unstable();

    let mut text = String::new();
    let mut previous: Option<usize> = None;
    for &c in &chosen {
        let piece = &scored[c].piece;
        if let Some(p) = previous {
            let flowing = piece.kind == Kind::Sentence
                && scored[p].piece.kind == Kind::Sentence
                && p + 1 == c;
            text.push(if flowing { ' ' } else { '\n' });
        }
        text.push_str(&piece.text);
        previous = Some(c);
    }
    let text = formatting::shorten(&text, limit);
    let lines = chosen
        .iter()
        .filter(|&&c| scored[c].piece.kind == Kind::Line)
        .count();
    let body = if lines >= 2 {
        format!("{intro}\n{text}")
    } else {
        text
    };
    Some((format!("{body}\n\n_{}_", hits[h].title), h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(title: &str, heading: &str, content: &str) -> Hit {
        Hit {
            chunk_id: 1,
            document_id: 1,
            title: title.into(),
            heading_path: heading.into(),
            content: content.into(),
            score: 1.0,
            relevance: 1.0,
            language: None,
            snippet: Vec::new(),
        }
    }

    const GUEST: &str = "at the entrance, and we bring a portable ramp on request. High chairs are available for children.";
    const DOGS: &str = "Dogs are welcome on the terrace at Cais do Sodré, but not inside either restaurant. Water bowls are at the door.";

    fn reply(question: &str, hits: &[Hit]) -> String {
        answer(question, hits, &[], "Here is what I found for you:")
            .map(|(t, _)| t)
            .unwrap_or_default()
    }

    #[test]
    fn the_sentence_that_answers_and_the_source_once() {
        let hits = [
            hit("Guest information", "ACCESSIBILITY", GUEST),
            hit("Guest information", "DOGS", DOGS),
        ];
        let got = reply("Can I bring my doggs?", &hits);
        assert_eq!(
            got,
            "Dogs are welcome on the terrace at Cais do Sodré, but not inside either restaurant.\n\n_Guest information_"
        );
    }

    #[test]
    fn table_rows_answer_with_their_header() {
        let menu = "Dish: Cod fritters | Price: €8.50 | Allergens: fish, gluten\nDish: Olives | Price: €3.00\nDish: Grilled sardines | Price: €14.00 | Allergens: fish";
        let hits = [hit("Menu", "Starters", menu)];
        assert_eq!(
            reply("how much are the cod fritters", &hits),
            "Dish: Cod fritters, Price: €8.50, Allergens: fish, gluten\n\n_Menu_"
        );
        let fish = reply("which dishes have fish?", &hits);
        assert!(
            fish.starts_with("Here is what I found for you:\n"),
            "{fish}"
        );
        assert!(
            fish.contains("Cod fritters") && fish.contains("Grilled sardines"),
            "{fish}"
        );
        assert!(!fish.contains("Olives"), "{fish}");
    }

    #[test]
    fn the_better_passage_wins_over_the_first() {
        let hits = [
            hit("Events", "Vegetarian group menu", "Groups can choose the vegetarian menu at €32 per person, agreed a week ahead."),
            hit("Events", "Groups and deposits", "Groups of 8 or more pay a deposit of €10 per person when booking. The deposit is deducted from the bill."),
        ];
        let got = reply("How much is the deposit for a group of 10?", &hits);
        assert!(
            got.starts_with("Groups of 8 or more pay a deposit of €10 per person"),
            "{got}"
        );
        assert!(got.chars().count() <= MAX_EXCERPT_CHARS + 20);
    }

    #[test]
    fn a_faq_question_is_answered_by_what_follows_it() {
        let faq = "¿Puedo dejar la maleta en la tienda?\nSí, guardamos maletas gratis mientras tengas una bici. Sin bici, 5 € al día.\n¿Hay duchas?\nNo.";
        let got = reply("puedo dejar la maleta en la tienda", &[hit("FAQ", "", faq)]);
        assert_eq!(
            got,
            "Sí, guardamos maletas gratis mientras tengas una bici. Sin bici, 5 € al día.\n\n_FAQ_"
        );
    }

    #[test]
    fn nothing_that_answers_is_no_answer() {
        let hits = [hit("Guest information", "DOGS", DOGS)];
        assert_eq!(answer("Do you sell bicycles?", &hits, &[], "x"), None);
        assert_eq!(answer("?!", &hits, &[], "x"), None);
        assert_eq!(answer("bicycles", &[], &[], "x"), None);
    }

    #[test]
    fn a_flood_is_read_for_its_latest_words_only() {
        let flood = format!("{} dogs?", "blah ".repeat(20_000));
        let got = reply(&flood, &[hit("Guest information", "DOGS", DOGS)]);
        assert!(got.starts_with("Dogs are welcome"), "{got}");
    }

    #[test]
    fn long_prose_is_cut_to_the_limit() {
        let long = "Our returns policy covers every item bought in the shop. ".repeat(40);
        let got = reply("returns policy", &[hit("Policies", "", &long)]);
        assert!(
            got.chars().count() <= MAX_EXCERPT_CHARS + 20,
            "{}",
            got.len()
        );
    }
}
