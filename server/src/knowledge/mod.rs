//! The knowledge base: documents in, ranked passages out.
//!
//! Upload (streamed to `DATA_DIR/knowledge/`, type by content) → document row `processing` →
//! [`ExtractDocument`](crate::jobs::kinds::ExtractDocument) job: text extracted in isolation → passages stored → index
//! updated → `ready`, or `error` with a reason. The database holds the truth; the index under
//! `DATA_DIR/index` is rebuilt from it (see [`KnowledgeBase::reconcile`]).

pub mod chunk;
pub mod detect;
pub mod extract;
pub mod index;
pub mod language;
pub mod pipeline;
pub mod search;
pub mod thesaurus;
pub mod upload;

use std::path::{Path, PathBuf};

use sea_orm::{DatabaseConnection, DbErr};

use crate::db::{chunks, documents, settings};
use crate::jobs::Queue;
use crate::realtime::Bus;
use index::{Change, IndexError, IndexedDocument, IndexedPassage, KnowledgeIndex, Opened};
use language::Lang;

pub const DEFAULT_MAX_FILE_MB: u32 = 10;
pub const DEFAULT_MAX_FILES: u32 = 50;

/// The largest upload in MB and the most uploaded files, as saved in Settings. Settings keeps
/// them within `MAX_FILE_MB_RANGE` and `MAX_FILES_RANGE`; any positive value set in the database
/// by hand is honoured.
pub async fn upload_limits(db: &impl sea_orm::ConnectionTrait) -> Result<(u32, u32), DbErr> {
    let positive = (1, u32::MAX);
    Ok((
        settings::number(
            db,
            settings::keys::KNOWLEDGE_MAX_FILE_MB,
            positive,
            DEFAULT_MAX_FILE_MB,
        )
        .await?,
        settings::number(
            db,
            settings::keys::KNOWLEDGE_MAX_FILES,
            positive,
            DEFAULT_MAX_FILES,
        )
        .await?,
    ))
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// The knowledge base's parts, shared by the upload handlers, the extraction job and the
/// dashboard's service.
#[derive(Clone)]
pub struct KnowledgeBase {
    pub db: DatabaseConnection,
    pub bus: Bus,
    pub queue: Queue,
    pub index: KnowledgeIndex,
    files: PathBuf,
    pub extract_limits: extract::Limits,
    /// The child process that reads uploaded files.
    pub isolation: crate::config::Isolation,
}

/// Limits of the library, from settings.
#[derive(Debug, Clone, Copy)]
pub struct LibraryLimits {
    pub max_file_bytes: u64,
    pub max_files: u64,
}

/// Whether `key` is a name this server gives stored files: 32 lowercase hex digits (a UUID
/// without dashes), `entry-` before them for entries written in the dashboard (no file).
/// Anything else — a path, `..` — never names a file.
pub fn is_storage_key(key: &str) -> bool {
    let hex = key.strip_prefix("entry-").unwrap_or(key);
    hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl KnowledgeBase {
    /// Opens (or creates) the index and the files folder under `data_dir`.
    pub async fn open(
        db: DatabaseConnection,
        bus: Bus,
        queue: Queue,
        data_dir: &Path,
        isolation: crate::config::Isolation,
    ) -> Result<(Self, Opened), KnowledgeError> {
        let files = data_dir.join("knowledge");
        std::fs::create_dir_all(&files).map_err(IndexError::Io)?;
        let dir = data_dir.join("index");
        let (index, opened) = tokio::task::spawn_blocking(move || KnowledgeIndex::open(&dir))
            .await
            .map_err(|e| IndexError::Io(std::io::Error::other(e)))??;
        Ok((
            Self {
                db,
                bus,
                queue,
                index,
                files,
                extract_limits: extract::Limits::default(),
                isolation,
            },
            opened,
        ))
    }

    /// Where a stored file lives. Keys are generated (hex, see [`is_storage_key`]), never taken
    /// from a request; a restored backup's are checked before it is accepted.
    pub fn file_path(&self, storage_key: &str) -> PathBuf {
        self.files.join(storage_key)
    }

    pub fn files_dir(&self) -> &Path {
        &self.files
    }

    pub async fn limits(&self) -> Result<LibraryLimits, DbErr> {
        let (mb, files) = upload_limits(&self.db).await?;
        Ok(LibraryLimits {
            max_file_bytes: u64::from(mb) * 1024 * 1024,
            max_files: u64::from(files),
        })
    }

    /// A stored document as the index holds it (`None` unless it is ready).
    pub async fn indexed(&self, document_id: i32) -> Result<Option<IndexedDocument>, DbErr> {
        let Some(summary) = documents::summary(&self.db, document_id).await? else {
            return Ok(None);
        };
        if summary.status != documents::status::READY {
            return Ok(None);
        }
        self.load_indexed(&summary).await.map(Some)
    }

    /// A document with its stored passages, as the index holds it.
    async fn load_indexed(&self, summary: &documents::Summary) -> Result<IndexedDocument, DbErr> {
        let passages = chunks::of_document(&self.db, summary.id, None).await?;
        Ok(indexed(summary, passages))
    }

    /// Brings the index in line with the database: every ready document at its current
    /// revision, nothing else. Fills a new index; repairs one left behind by a crash.
    pub async fn reconcile(&self) -> Result<(usize, usize), KnowledgeError> {
        let in_index = self.index.revisions()?;
        let ready = documents::ready(&self.db).await?;
        let mut changes = Vec::new();
        for summary in &ready {
            if in_index.get(&summary.id) != Some(&revision(summary)) {
                changes.push(Change::Upsert(self.load_indexed(summary).await?));
            }
        }
        let upserted = changes.len();
        let stale: Vec<i32> = in_index
            .keys()
            .filter(|id| !ready.iter().any(|s| s.id == **id))
            .copied()
            .collect();
        let removed = stale.len();
        changes.extend(stale.into_iter().map(Change::Delete));
        if !changes.is_empty() {
            self.index.apply(changes).await?;
        }
        Ok((upserted, removed))
    }

    /// The best passages for `request`, as the database still holds them: a passage the index
    /// keeps after a crash between a delete's commit and the index update is never returned
    /// (the next start removes it). What the dashboard's search and the AI engine both read.
    pub async fn search(
        &self,
        request: search::Request,
    ) -> Result<Vec<search::Hit>, KnowledgeError> {
        let index = self.index.clone();
        let hits = tokio::task::spawn_blocking(move || index.search(&request))
            .await
            .map_err(|e| IndexError::Task(e.to_string()))??;
        let ids: Vec<i32> = hits.iter().map(|h| h.chunk_id).collect();
        let live = chunks::existing(&self.db, &ids).await?;
        Ok(hits
            .into_iter()
            .filter(|h| live.contains(&h.chunk_id))
            .collect())
    }
}

impl KnowledgeBase {
    /// Passages by id as hits without a lexical score (found another way: by meaning), in the
    /// order asked; passages of documents no longer ready are left out.
    pub async fn hits_by_id(&self, ids: &[i32]) -> Result<Vec<search::Hit>, DbErr> {
        let rows = chunks::with_titles(&self.db, ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|(row, _)| row.id == *id))
            .map(|(row, title)| search::Hit {
                chunk_id: row.id,
                document_id: row.document_id,
                title: title.clone(),
                heading_path: row.heading_path.clone(),
                content: row.content.clone(),
                score: 0.0,
                relevance: 0.0,
                language: None,
                snippet: search::plain_snippet(&row.content),
            })
            .collect())
    }
}

/// The languages the business speaks (Settings › Business), as far as Replydesk knows them;
/// empty when none is named, and then every language is searched.
pub async fn business_languages(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<Lang>, DbErr> {
    Ok(settings::get(db, settings::keys::BUSINESS_LANGUAGES)
        .await?
        .map(|raw| language::from_names(&crate::db::parse_tags(&raw)))
        .unwrap_or_default())
}

/// The index's revision of a document: its last change, in milliseconds.
pub fn revision(summary: &documents::Summary) -> i64 {
    summary.updated_at.timestamp_millis()
}

/// The language of a document, judged from the start of its text (English when unsure).
pub fn document_language(text: &str) -> Lang {
    let sample: String = text.chars().take(8000).collect();
    language::detect(&sample, &[]).unwrap_or(Lang::En)
}

/// Passages this long or longer are judged on their own; shorter ones (a table row, a heading
/// and a line) take their document's language.
const OWN_LANGUAGE_CHARS: usize = 120;

fn indexed(
    summary: &documents::Summary,
    passages: Vec<crate::db::entities::chunk::Model>,
) -> IndexedDocument {
    let mut sample = String::new();
    for p in &passages {
        if sample.len() > 8000 {
            break;
        }
        sample.push_str(&p.content);
        sample.push('\n');
    }
    let document = document_language(&sample);
    IndexedDocument {
        document_id: summary.id,
        revision: revision(summary),
        title: summary.title.clone(),
        category: summary.category.clone(),
        tags: summary.tag_list(),
        passages: passages
            .into_iter()
            .map(|p| {
                let language = if p.content.chars().count() >= OWN_LANGUAGE_CHARS {
                    language::passage_language(&p.content, document)
                } else {
                    document
                };
                IndexedPassage {
                    chunk_id: p.id,
                    heading_path: p.heading_path,
                    content: p.content,
                    language,
                }
            })
            .collect(),
    }
}
