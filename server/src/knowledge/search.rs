//! Ranked passages: BM25 over title, headings and text, filtered by category or tag, with a
//! snippet around the words that matched.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{TantivyDocument, Term};

use super::index::{IndexError, KnowledgeIndex};

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;
/// Matches in a title or heading say more about a passage than one in its text.
const TITLE_BOOST: f32 = 1.5;
const HEADING_BOOST: f32 = 1.3;
/// The most words of a query that are searched for (the last ones: a question's end says
/// most). A query's cost grows with its words; a customer's 4,000-word message is not a query.
pub const MAX_QUERY_WORDS: usize = 48;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub limit: usize,
}

/// A ranked passage as the index knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk_id: i32,
    pub document_id: i32,
    pub title: String,
    pub heading_path: String,
    pub content: String,
    pub score: f32,
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

impl KnowledgeIndex {
    /// The best `limit` passages for `request.text` (none for a query of no words).
    pub fn search(&self, request: &Request) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let mut parser =
            tantivy::query::QueryParser::for_index(&self.index, vec![f.title, f.heading, f.body]);
        parser.set_field_boost(f.title, TITLE_BOOST);
        parser.set_field_boost(f.heading, HEADING_BOOST);
        // Customers type questions, not query syntax: keep only words, so nothing they type is
        // an operator or a syntax error.
        let words = query_words(&request.text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let (text_query, _) = parser.parse_query_lenient(&words);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
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

        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(request.limit.max(1)).order_by_score(),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &query, f.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);

        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
            let content = text(f.body);
            let snippet = snippet_parts(&snippets.snippet_from_doc(&doc), &content);
            hits.push(Hit {
                chunk_id: number(f.chunk_id) as i32,
                document_id: number(f.document_id) as i32,
                title: text(f.title),
                heading_path: text(f.heading),
                content,
                score,
                snippet,
            });
        }
        Ok(hits)
    }
}

/// The snippet as (text, matched) pieces; the passage's start when no word of its text matched
/// (the title or a heading did).
fn snippet_parts(snippet: &tantivy::snippet::Snippet, content: &str) -> Vec<(String, bool)> {
    let fragment = snippet.fragment();
    if fragment.is_empty() {
        let start: String = content.chars().take(SNIPPET_CHARS).collect();
        let more = content.chars().count() > SNIPPET_CHARS;
        return vec![(if more { format!("{start}…") } else { start }, false)];
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
