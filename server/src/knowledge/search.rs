//! Ranked passages: BM25 over title, headings and text — as written and stemmed in each of the
//! business's languages, with one typo forgiven in words the knowledge base does not contain —
//! reranked by how much of the question a passage covers, filtered by category or tag, with a
//! snippet around the words that matched.
//!
//! Every hit carries a `relevance` from 0 to 1: the share of the question's meaning (its words
//! weighted by how rare they are in the knowledge base) that the passage contains. A word the
//! knowledge base never mentions weighs most: "Do you rent kayaks?" asked of a bike shop that
//! never writes "kayak" scores low however well "rent" matches. The AI engine hands off below
//! a threshold on it.

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, TantivyDocument, Term};

use super::index::{plain_analyzer, stem_analyzer, IndexError, KnowledgeIndex};
use super::language::{self, one_edit, Lang};
use super::thesaurus;

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;
/// Matches in a title or heading say more about a passage than one in its text.
const TITLE_BOOST: f32 = 1.5;
const HEADING_BOOST: f32 = 1.3;
/// A word found only through a typo counts a little less than one found as typed.
const FUZZY_BOOST: f32 = 0.7;
/// A word found as another word of its group ("booking" for "reservation") counts less.
const SYNONYM_BOOST: f32 = 0.6;
/// How much more than the rarest word a word the knowledge base does not contain weighs.
const UNKNOWN_WEIGHT: f32 = 0.8;
/// Shorter words are not corrected: "fish" is one letter from "dish".
const FUZZY_MIN_CHARS: usize = 5;
/// Candidates reranked by coverage: twice what the caller asks for, at least this many.
const RERANK: usize = 16;
/// The most words of a query that are searched for (the last ones: a question's end says
/// most). A query's cost grows with its words; a customer's 4,000-word message is not a query.
pub const MAX_QUERY_WORDS: usize = 48;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub limit: usize,
    /// The languages to search in (stemming and stop words); every language when empty.
    pub languages: Vec<Lang>,
}

/// A ranked passage as the index knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk_id: i32,
    pub document_id: i32,
    pub title: String,
    pub heading_path: String,
    pub content: String,
    /// BM25 score: higher is better; only comparable within one search.
    pub score: f32,
    /// How much of the question the passage covers, 0 to 1 (comparable between searches).
    pub relevance: f32,
    pub language: Option<Lang>,
    /// (text, matched) pieces.
    pub snippet: Vec<(String, bool)>,
}

/// The query's last [`MAX_QUERY_WORDS`] words, each at most 64 characters, separated by
/// spaces; everything that is not a letter or digit is a separator.
fn query_words(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect())
        .collect();
    words[words.len().saturating_sub(MAX_QUERY_WORDS)..].join(" ")
}

/// One word of the question, its synonyms, and how much it weighs.
struct Word {
    /// The word itself first, then its synonyms (see [`thesaurus`]).
    forms: Vec<Form>,
    /// Found nowhere as typed, stemmed or in other words: typos are forgiven.
    unknown: bool,
    weight: f32,
}

/// A word as each analyzer sees it.
struct Form {
    plain: Vec<String>,
    /// (language, stemmed terms)
    stems: Vec<(Lang, Vec<String>)>,
    synonym: bool,
}

fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Inverse document frequency (BM25's), with `n` passages.
fn idf(df: u64, n: u64) -> f32 {
    let (df, n) = (df as f32, n.max(1) as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// The analyzers one search uses for every candidate, built once.
struct Analyzers {
    plain: TextAnalyzer,
    /// One per language searched, in the request's order.
    stems: Vec<TextAnalyzer>,
}

/// A passage's words, as written and stemmed, for coverage.
struct PassageWords {
    plain: HashSet<String>,
    stems: Vec<HashSet<String>>,
}

impl KnowledgeIndex {
    fn analyzer(&self, name: &str) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(name)
            .unwrap_or_else(plain_analyzer)
    }

    /// The question's words, with what they weigh in this index.
    fn words(&self, searcher: &Searcher, text: &str, langs: &[Lang]) -> Vec<Word> {
        let f = self.fields;
        let n = searcher.num_docs();
        let mut plain = self.analyzer("plain");
        let mut stemmers: Vec<(Lang, TextAnalyzer)> = langs
            .iter()
            .map(|l| (*l, self.analyzer(&format!("stem_{}", l.code()))))
            .collect();
        let typed = query_words(text);
        let mut meaning = language::content_words(&typed, langs);
        if meaning.is_empty() {
            // Only function words ("where is it?"): search them rather than nothing.
            meaning = language::tokens(&typed);
        }
        meaning.dedup();
        let df = |field: Field, term: &str| {
            searcher
                .doc_freq(&Term::from_field_text(field, term))
                .unwrap_or(0)
        };
        meaning
            .iter()
            .map(|w| {
                let mut forms = Vec::new();
                let synonyms = thesaurus::synonyms(w);
                for (text, synonym) in
                    std::iter::once((w.as_str(), false)).chain(synonyms.iter().map(|s| (*s, true)))
                {
                    forms.push(Form {
                        plain: terms(&mut plain, text),
                        stems: stemmers
                            .iter_mut()
                            .map(|(l, a)| (*l, terms(a, text)))
                            .collect(),
                        synonym,
                    });
                }
                let mut found = 0;
                for form in &forms {
                    for t in &form.plain {
                        found = found
                            .max(df(f.body, t))
                            .max(df(f.heading, t))
                            .max(df(f.title, t));
                    }
                    for (l, ts) in &form.stems {
                        for t in ts {
                            found = found.max(df(f.stemmed(*l), t));
                        }
                    }
                }
                let unknown = found == 0;
                let number = w.chars().all(|c| c.is_ascii_digit());
                // A word the knowledge base never mentions weighs the most: it is what the
                // question is about that the documents do not say. Not a number, though: "a
                // party of 35" asks about parties, not about 35.
                let weight = match (unknown, number) {
                    (true, true) => 1.0,
                    // At least twice a common known word, however small the library.
                    (true, false) => (idf(0, n) * UNKNOWN_WEIGHT).max(2.0),
                    // A floor: in a knowledge base of a few passages every word is "common",
                    // and a question's one unknown word would outweigh all the rest.
                    (false, _) => idf(found, n).max(1.0),
                };
                Word {
                    forms,
                    unknown,
                    weight,
                }
            })
            .collect()
    }

    fn word_query(&self, word: &Word) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        let term = |field: Field, t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        for form in &word.forms {
            let boost = if form.synonym { SYNONYM_BOOST } else { 1.0 };
            let mut push = |q: Box<dyn Query>, b: f32| {
                alternatives.push(Box::new(BoostQuery::new(q, b * boost)));
            };
            for t in &form.plain {
                push(term(f.body, t), 1.0);
                push(term(f.heading, t), HEADING_BOOST);
                push(term(f.title, t), TITLE_BOOST);
                if word.unknown && !form.synonym && t.chars().count() >= FUZZY_MIN_CHARS {
                    for field in [f.body, f.heading] {
                        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, t), 1, true);
                        push(Box::new(fuzzy), FUZZY_BOOST);
                    }
                }
            }
            for (l, ts) in &form.stems {
                for t in ts {
                    push(term(f.stemmed(*l), t), 1.0);
                }
            }
        }
        // The best way a word matches counts, not the sum of all: a word found as typed and
        // stemmed is still one word.
        (!alternatives.is_empty())
            .then(|| Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1)) as _)
    }

    /// A passage's words as the index holds them: as written, and stemmed in the passage's
    /// own language only ("are" stemmed in Portuguese would be "área").
    fn passage_words(
        analyzers: &mut Analyzers,
        langs: &[Lang],
        own: Option<Lang>,
        text: &str,
    ) -> PassageWords {
        PassageWords {
            plain: terms(&mut analyzers.plain, text).into_iter().collect(),
            stems: langs
                .iter()
                .zip(analyzers.stems.iter_mut())
                .map(|(l, stemmer)| match own == Some(*l) {
                    true => terms(stemmer, text).into_iter().collect(),
                    false => HashSet::new(),
                })
                .collect(),
        }
    }

    /// The share of the question's weight that `passage` contains.
    fn coverage(words: &[Word], passage: &PassageWords) -> f32 {
        let total: f32 = words.iter().map(|w| w.weight).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let covered: f32 = words
            .iter()
            .filter(|w| {
                w.forms.iter().any(|form| {
                    form.plain.iter().any(|t| passage.plain.contains(t))
                        || form
                            .stems
                            .iter()
                            .enumerate()
                            .any(|(i, (_, ts))| ts.iter().any(|t| passage.stems[i].contains(t)))
                }) || (w.unknown
                    && w.forms[0].plain.iter().any(|t| {
                        t.chars().count() >= FUZZY_MIN_CHARS
                            && passage.plain.iter().any(|p| one_edit(t, p))
                    }))
            })
            .map(|w| w.weight)
            .sum();
        covered / total
    }

    /// The best `limit` passages for `request.text` (none for a query of no words).
    pub fn search(&self, request: &Request) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        // Only languages some passage is written in: a stemmer with no passages to match costs
        // a lookup per word for nothing.
        let present = |l: &Lang| {
            searcher
                .doc_freq(&Term::from_field_text(f.language, l.code()))
                .is_ok_and(|n| n > 0)
        };
        let langs: Vec<Lang> = if request.languages.is_empty() {
            Lang::ALL.into_iter().filter(present).collect()
        } else {
            request.languages.iter().copied().filter(present).collect()
        };
        let langs = &langs[..];
        let words = self.words(&searcher, &request.text, langs);
        let word_queries: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .filter_map(|w| self.word_query(w))
            .map(|q| (Occur::Should, q))
            .collect();
        if word_queries.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(word_queries)))];
        for (field, value) in [(f.category, &request.category), (f.tag, &request.tag)] {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                let term = Term::from_field_text(field, &value.to_lowercase());
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let limit = request.limit.max(1);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit((limit * 2).max(RERANK)).order_by_score(),
        )?;
        let best_score = top.first().map_or(1.0, |(s, _)| s.max(f32::EPSILON));
        let mut analyzers = Analyzers {
            plain: self.analyzer("plain"),
            stems: langs.iter().map(|l| stem_analyzer(*l)).collect(),
        };

        let mut ranked = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let (title, heading_path, content) = (text(f.title), text(f.heading), text(f.body));
            let own = doc
                .get_first(f.language)
                .and_then(|v| v.as_str())
                .and_then(Lang::from_code);
            let seen = Self::passage_words(
                &mut analyzers,
                langs,
                own,
                &format!("{title}\n{heading_path}\n{content}"),
            );
            let relevance = Self::coverage(&words, &seen);
            ranked.push((
                relevance + 0.3 * score / best_score,
                score,
                relevance,
                doc,
                title,
                heading_path,
                content,
            ));
        }
        // Most of the question first; BM25 orders passages that cover as much.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(limit);

        // Highlight the words as the customer typed them (accents aside), not their synonyms.
        let typed: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .flat_map(|w| w.forms[0].plain.iter())
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(f.body, t),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Should, q)
            })
            .collect();
        let mut snippets = SnippetGenerator::create(&searcher, &BooleanQuery::new(typed), f.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(ranked.len());
        for (_, score, relevance, doc, title, heading_path, content) in ranked {
            let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
            let snippet = snippet_parts(&snippets.snippet_from_doc(&doc), &content);
            hits.push(Hit {
                chunk_id: number(f.chunk_id) as i32,
                document_id: number(f.document_id) as i32,
                language: doc
                    .get_first(f.language)
                    .and_then(|v| v.as_str())
                    .and_then(Lang::from_code),
                title,
                heading_path,
                content,
                score,
                relevance,
                snippet,
            });
        }
        Ok(hits)
    }
}

/// The passage's start as a snippet, nothing highlighted.
pub fn plain_snippet(content: &str) -> Vec<(String, bool)> {
    let start: String = content.chars().take(SNIPPET_CHARS).collect();
    let more = content.chars().count() > SNIPPET_CHARS;
    vec![(if more { format!("{start}…") } else { start }, false)]
}

/// The snippet as (text, matched) pieces; the passage's start when no word of its text matched
/// (the title or a heading did).
fn snippet_parts(snippet: &tantivy::snippet::Snippet, content: &str) -> Vec<(String, bool)> {
    let fragment = snippet.fragment();
    if fragment.is_empty() {
        return plain_snippet(content);
    }
    let mut parts = Vec::new();
    let mut at = 0;
    for range in snippet.highlighted() {
        if range.start > at {
            parts.push((fragment[at..range.start].to_owned(), false));
        }
        parts.push((fragment[range.clone()].to_owned(), true));
        at = range.end;
    }
    if at < fragment.len() {
        parts.push((fragment[at..].to_owned(), false));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_their_last_words_and_no_syntax() {
        assert_eq!(query_words("title:(x OR y) -z \"q\""), "title x OR y z q");
        let long = format!("{} where is the shop", "blah ".repeat(1000));
        let words = query_words(&long);
        assert_eq!(words.split(' ').count(), MAX_QUERY_WORDS);
        assert!(words.ends_with("where is the shop"), "{words}");
        assert_eq!(query_words(&"x".repeat(1000)).len(), 64);
        assert_eq!(query_words(" ?! "), "");
    }
}
