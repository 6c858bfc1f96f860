//! The search index (tantivy) under `DATA_DIR/index`: derived from the passages in the
//! database, and rebuilt from them whenever it is missing, unreadable or of another schema.
//!
//! Every passage is indexed twice: its words as written (lower case, accents folded) in the
//! `title`, `heading` and `body` fields, which match names, numbers and words in any language;
//! and stemmed in the field of the language it is written in (`stem_pt` for a Portuguese
//! passage), so "cartões" is found by "cartão" and "dogs" by "dog". A question is searched with
//! the stemmer of each language the business speaks.
//!
//! One writer, owned by one thread; everything that changes the index is a [`Change`] sent to
//! it. The thread applies every change waiting, commits once, reloads the reader and answers:
//! when `apply` returns, searches see the change. Upsert is delete-by-document + add, so a
//! document is replaced whole or not at all.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, Term};
use tokio::sync::{mpsc, oneshot};

use super::language::Lang;

/// Bump when the schema or the analysis changes: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 2;
const STATE_FILE: &str = "replydesk-index.json";
/// The writer's indexing memory (tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 24_000_000;

const PLAIN: &str = "plain";
const KEYWORD: &str = "keyword";

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error("the search index writer has stopped")]
    WriterGone,
    #[error("search task failed: {0}")]
    Task(String),
}

/// Lower-cases and folds accents ("Cancelación" → "cancelacion"): words as written.
pub(super) fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Lower-cases, stems, then folds accents: the stemmer needs the accents ("cartões" →
/// "cartõ" → "carto"), and folding after it still matches text typed without them.
pub(super) fn stem_analyzer(lang: Lang) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(lang.stemming()))
        .filter(AsciiFoldingFilter)
        .build()
}

fn stem_tokenizer(lang: Lang) -> String {
    format!("stem_{}", lang.code())
}

/// The fields, resolved once.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub chunk_id: Field,
    pub document_id: Field,
    pub revision: Field,
    pub title: Field,
    pub heading: Field,
    pub body: Field,
    pub category: Field,
    pub tag: Field,
    /// The passage's language code.
    pub language: Field,
    /// Title, headings and text stemmed, one field per language (in [`Lang::ALL`] order).
    pub stemmed: [Field; 7],
}

impl Fields {
    pub fn stemmed(&self, lang: Lang) -> Field {
        self.stemmed[lang as usize]
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexing = |tokenizer: &str| {
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
    };
    let text = TextOptions::default()
        .set_indexing_options(indexing(PLAIN))
        .set_stored();
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD)
            .set_index_option(IndexRecordOption::Basic),
    );
    let stemmed = Lang::ALL.map(|lang| {
        let name = stem_tokenizer(lang);
        b.add_text_field(
            &name,
            TextOptions::default().set_indexing_options(indexing(&name)),
        )
    });
    let fields = Fields {
        chunk_id: b.add_u64_field("chunk_id", STORED),
        document_id: b.add_u64_field("document_id", INDEXED | STORED | FAST),
        revision: b.add_i64_field("revision", FAST),
        title: b.add_text_field("title", text.clone()),
        heading: b.add_text_field("heading", text.clone()),
        body: b.add_text_field("body", text),
        category: b.add_text_field("category", keyword.clone()),
        tag: b.add_text_field("tag", keyword.clone()),
        language: b.add_text_field("language", keyword.set_stored()),
        stemmed,
    };
    (b.build(), fields)
}

/// A document as the index holds it: its passages with what filters and ranks them.
#[derive(Debug, Clone)]
pub struct IndexedDocument {
    pub document_id: i32,
    /// Changes whenever the stored document does (its `updated_at`, in milliseconds): the index
    /// is behind when its revision differs.
    pub revision: i64,
    pub title: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub passages: Vec<IndexedPassage>,
}

#[derive(Debug, Clone)]
pub struct IndexedPassage {
    pub chunk_id: i32,
    pub heading_path: String,
    pub content: String,
    pub language: Lang,
}

/// A change to the index.
pub enum Change {
    Upsert(IndexedDocument),
    Delete(i32),
    /// Removes everything (before a full rebuild).
    Clear,
}

type Batch = (Vec<Change>, oneshot::Sender<Result<(), String>>);

#[derive(Serialize, Deserialize, PartialEq)]
struct State {
    schema: u32,
}

/// How the index was found when opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// Readable and of this schema: reconcile it with the database.
    Existing,
    /// Created empty (it was missing, unreadable, or of another schema): fill it from the
    /// database.
    Created,
}

#[derive(Clone)]
pub struct KnowledgeIndex {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    writer: mpsc::Sender<Batch>,
}

impl KnowledgeIndex {
    /// Opens the index in `dir` (creating or recreating it as needed) and starts its writer.
    pub fn open(dir: &Path) -> Result<(Self, Opened), IndexError> {
        let (schema, fields) = schema();
        let wanted = State {
            schema: SCHEMA_VERSION,
        };
        let existing = read_state(dir)
            .filter(|state| *state == wanted)
            .and_then(|_| Index::open_in_dir(dir).ok())
            .filter(|index| index.schema() == schema);
        let (index, opened) = match existing {
            Some(index) => (index, Opened::Existing),
            None => {
                if dir.exists() {
                    tracing::info!(dir = %dir.display(), "search index is outdated or unreadable; rebuilding it");
                    std::fs::remove_dir_all(dir)?;
                }
                std::fs::create_dir_all(dir)?;
                let index = Index::create_in_dir(dir, schema)?;
                (index, Opened::Created)
            }
        };
        index.tokenizers().register(PLAIN, plain_analyzer());
        for lang in Lang::ALL {
            index
                .tokenizers()
                .register(&stem_tokenizer(lang), stem_analyzer(lang));
        }
        index.tokenizers().register(
            KEYWORD,
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let (tx, rx) = mpsc::channel::<Batch>(64);
        let worker = Writer {
            writer,
            reader: reader.clone(),
            fields,
        };
        std::thread::Builder::new()
            .name("index-writer".into())
            .spawn(move || worker.run(rx))?;
        if opened == Opened::Created {
            write_state(dir, &wanted)?;
        }
        Ok((
            Self {
                index,
                reader,
                fields,
                writer: tx,
            },
            opened,
        ))
    }

    /// Applies `changes` as one commit; searches see them once this returns.
    pub async fn apply(&self, changes: Vec<Change>) -> Result<(), IndexError> {
        let (done, answer) = oneshot::channel();
        self.writer
            .send((changes, done))
            .await
            .map_err(|_| IndexError::WriterGone)?;
        answer
            .await
            .map_err(|_| IndexError::WriterGone)?
            .map_err(|e| IndexError::Io(std::io::Error::other(e)))
    }

    /// The revision of every document in the index.
    pub fn revisions(&self) -> Result<HashMap<i32, i64>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let ids = segment.fast_fields().u64("document_id")?;
            let revisions = segment.fast_fields().i64("revision")?;
            for doc in segment.doc_ids_alive() {
                if let (Some(id), Some(revision)) = (ids.first(doc), revisions.first(doc)) {
                    out.insert(id as i32, revision);
                }
            }
        }
        Ok(out)
    }
}

fn read_state(dir: &Path) -> Option<State> {
    let text = std::fs::read_to_string(dir.join(STATE_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_state(dir: &Path, state: &State) -> Result<(), IndexError> {
    let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    std::fs::write(&tmp, json)?;
    std::fs::rename(tmp, dir.join(STATE_FILE))?;
    Ok(())
}

struct Writer {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Batch>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batches = vec![first];
            while let Ok(more) = rx.try_recv() {
                batches.push(more);
            }
            let mut replies = Vec::with_capacity(batches.len());
            let mut result = Ok(());
            for (changes, reply) in batches {
                replies.push(reply);
                for change in changes {
                    if result.is_ok() {
                        result = self.change(change);
                    }
                }
            }
            let result = result.and_then(|()| self.commit());
            if let Err(e) = &result {
                tracing::error!(error = %e, "search index update failed; rolled back");
                let _ = self.writer.rollback();
            }
            let answer = result.map_err(|e| e.to_string());
            for reply in replies {
                let _ = reply.send(answer.clone());
            }
        }
    }

    fn change(&mut self, change: Change) -> Result<(), IndexError> {
        let f = self.fields;
        match change {
            Change::Upsert(document) => {
                self.writer.delete_term(Term::from_field_u64(
                    f.document_id,
                    document.document_id as u64,
                ));
                for passage in document.passages {
                    let mut d = doc!(
                        f.chunk_id => passage.chunk_id as u64,
                        f.document_id => document.document_id as u64,
                        f.revision => document.revision,
                        f.language => passage.language.code(),
                        f.stemmed(passage.language) => format!(
                            "{}\n{}\n{}",
                            document.title, passage.heading_path, passage.content
                        ),
                        f.title => document.title.clone(),
                        f.heading => passage.heading_path,
                        f.body => passage.content,
                    );
                    if let Some(category) = &document.category {
                        d.add_text(f.category, category);
                    }
                    for tag in &document.tags {
                        d.add_text(f.tag, tag);
                    }
                    self.writer.add_document(d)?;
                }
            }
            Change::Delete(document_id) => {
                self.writer
                    .delete_term(Term::from_field_u64(f.document_id, document_id as u64));
            }
            Change::Clear => {
                self.writer.delete_all_documents()?;
            }
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), IndexError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}
