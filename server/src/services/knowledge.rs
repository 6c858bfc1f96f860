use app::error::AppError;
use app::model::{
    Change, CitedPassage, DocumentDetail, DocumentMeta, DocumentView, EntryInput, KnowledgeQuery,
    Library, PassageView, SearchHit, SnippetPart,
};
use app::ports::Knowledge;
use app::validate;
use async_trait::async_trait;

use super::time;
use crate::db::{self, chunks, documents};
use crate::error::{edge, internal, Failure};
use crate::knowledge::index::Change as IndexChange;
use crate::knowledge::language::Lang;
use crate::knowledge::{business_languages, search, KnowledgeBase};

/// Characters of extracted text the preview shows.
pub const PREVIEW_CHARS: usize = 20_000;
/// Passages the document view lists.
const PREVIEW_PASSAGES: u64 = 200;
const DEFAULT_HITS: u32 = 10;
const MAX_HITS: u32 = 50;
/// An AI answer is given a handful of passages; more than this is not a real request.
const MAX_CITED: usize = 50;

pub struct KnowledgeService {
    kb: KnowledgeBase,
}

impl KnowledgeService {
    pub fn new(kb: KnowledgeBase) -> Self {
        Self { kb }
    }
}

/// A passage as the dashboard shows it.
pub fn hit_view(h: search::Hit) -> SearchHit {
    SearchHit {
        passage_id: h.chunk_id,
        document_id: h.document_id,
        document_title: h.title,
        heading_path: h.heading_path,
        score: h.score,
        relevance: h.relevance,
        snippet: h
            .snippet
            .into_iter()
            .map(|(text, hit)| SnippetPart { text, hit })
            .collect(),
        content: h.content,
    }
}

pub fn document_view(d: documents::Summary) -> DocumentView {
    DocumentView {
        tags: d.tag_list(),
        id: d.id,
        title: d.title,
        original_name: d.original_name,
        kind: d.kind,
        size_bytes: d.size_bytes,
        status: d.status,
        error: d.error,
        category: d.category,
        passages: d.chunk_count,
        language: d
            .language
            .as_deref()
            .and_then(Lang::from_code)
            .map(|l| l.name().to_owned()),
        version: d.version,
        created_at: time(d.created_at),
        updated_at: time(d.updated_at),
    }
}

fn updated(document_id: i32, status: &str) -> Change {
    Change::DocumentUpdated {
        document_id,
        status: status.to_owned(),
    }
}

impl KnowledgeService {
    /// Puts a ready document's new title, category or tags into the index.
    async fn reindex(&self, id: i32) -> Result<(), Failure> {
        if let Some(indexed) = self.kb.indexed(id).await? {
            self.kb
                .index
                .apply(vec![IndexChange::Upsert(indexed)])
                .await
                .map_err(|e| internal("updating the search index failed", e))?;
        }
        Ok(())
    }

    async fn entry_document(&self, id: i32) -> Result<documents::Summary, Failure> {
        let document = self.kb.summary_of(id).await?;
        if document.is_file() {
            return Err(AppError::bad_request(
                "This document is an uploaded file; replace the file instead.",
            )
            .into());
        }
        Ok(document)
    }
}

#[async_trait]
impl Knowledge for KnowledgeService {
    #[tracing::instrument(name = "knowledge.library", skip_all)]
    async fn library(&self) -> Result<Library, AppError> {
        edge(async move {
            let db = &self.kb.db;
            let list = documents::list(db).await?;
            let limits = self.kb.limits().await?;
            let mut categories: Vec<String> =
                list.iter().filter_map(|d| d.category.clone()).collect();
            categories.sort_by_key(|c| c.to_lowercase());
            categories.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            let mut tags: Vec<String> = list.iter().flat_map(|d| d.tag_list()).collect();
            tags.sort_by_key(|t| t.to_lowercase());
            tags.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            Ok(Library {
                files: list.iter().filter(|d| d.is_file()).count() as u32,
                max_files: limits.max_files as u32,
                max_file_bytes: limits.max_file_bytes,
                languages: business_languages(db)
                    .await?
                    .into_iter()
                    .map(|l| l.name().to_owned())
                    .collect(),
                categories,
                tags,
                documents: list.into_iter().map(document_view).collect(),
            })
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.document", skip_all)]
    async fn document(&self, id: i32) -> Result<DocumentDetail, AppError> {
        edge(async move {
            let db = &self.kb.db;
            let document = documents::by_id(db, id)
                .await?
                .ok_or_else(|| AppError::not_found("There is no such document."))?;
            let text = document.extracted_text.clone().unwrap_or_default();
            let passages = chunks::of_document(db, id, Some(PREVIEW_PASSAGES)).await?;
            let summary = self.kb.summary_of(id).await?;
            Ok(DocumentDetail {
                source_text: document.source_text,
                text_preview: text.chars().take(PREVIEW_CHARS).collect(),
                text_chars: text.chars().count() as u64,
                passages: passages
                    .into_iter()
                    .map(|p| PassageView {
                        id: p.id,
                        position: p.position,
                        heading_path: p.heading_path,
                        content: p.content,
                    })
                    .collect(),
                document: document_view(summary),
            })
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.update_meta", skip_all)]
    async fn update_meta(&self, id: i32, meta: DocumentMeta) -> Result<DocumentView, AppError> {
        edge(async move {
            let meta = validate::document_meta(&meta)?;
            let current = self.kb.summary_of(id).await?;
            let txn = db::write_txn(&self.kb.db).await?;
            documents::update_meta(&txn, id, meta.title, meta.category, &meta.tags).await?;
            self.kb
                .bus
                .commit(txn, vec![updated(id, &current.status)])
                .await?;
            self.reindex(id).await?;
            Ok(document_view(self.kb.summary_of(id).await?))
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.delete", skip_all)]
    async fn delete(&self, id: i32) -> Result<(), AppError> {
        edge(async move {
            let current = self.kb.summary_of(id).await?;
            let txn = db::write_txn(&self.kb.db).await?;
            chunks::delete_for(&txn, id).await?;
            documents::delete(&txn, id).await?;
            self.kb
                .bus
                .commit(txn, vec![Change::DocumentDeleted { document_id: id }])
                .await?;
            // The database no longer has it: an index failure here is repaired at the next start.
            if let Err(e) = self.kb.index.apply(vec![IndexChange::Delete(id)]).await {
                tracing::warn!(document = id, error = %e, "removing passages from the index failed");
            }
            if current.is_file() {
                let _ = tokio::fs::remove_file(self.kb.file_path(&current.storage_key)).await;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.create_entry", skip_all)]
    async fn create_entry(&self, entry: EntryInput) -> Result<DocumentView, AppError> {
        edge(async move {
            let entry = validate::entry(&entry)?;
            let txn = db::write_txn(&self.kb.db).await?;
            let document = documents::insert(
                &txn,
                documents::NewDocument {
                    storage_key: format!("entry-{}", uuid::Uuid::new_v4().simple()),
                    title: entry.title,
                    original_name: None,
                    kind: entry.kind,
                    mime: None,
                    size_bytes: entry.body.len() as i64,
                    sha256: None,
                    source_text: Some(entry.body),
                    category: entry.category,
                    tags: entry.tags,
                },
            )
            .await?;
            let stored = self
                .kb
                .start_processing(txn, document.id, document.version)
                .await?;
            Ok(document_view(stored))
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.update_entry", skip_all)]
    async fn update_entry(&self, id: i32, entry: EntryInput) -> Result<DocumentView, AppError> {
        edge(async move {
            let entry = validate::entry(&entry)?;
            let current = self.entry_document(id).await?;
            if current.kind != entry.kind {
                return Err(AppError::invalid(
                    "kind",
                    "An FAQ pair stays an FAQ pair and a note stays a note; create a new entry instead.",
                ).into());
            }
            let txn = db::write_txn(&self.kb.db).await?;
            let version = documents::replace_entry(
                &txn,
                &current,
                entry.title,
                entry.body,
                entry.category,
                &entry.tags,
            )
            .await?;
            let stored = self.kb.start_processing(txn, id, version).await?;
            Ok(document_view(stored))
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.passages", skip_all)]
    async fn passages(&self, ids: Vec<i32>) -> Result<Vec<CitedPassage>, AppError> {
        edge(async move {
            if ids.len() > MAX_CITED {
                return Err(AppError::invalid(
                    "ids",
                    format!("Ask for at most {MAX_CITED} passages."),
                )
                .into());
            }
            Ok(chunks::cited(&self.kb.db, &ids)
                .await?
                .into_iter()
                .map(|(chunk, document_title)| CitedPassage {
                    id: chunk.id,
                    document_id: chunk.document_id,
                    document_title,
                    heading_path: chunk.heading_path,
                    content: chunk.content,
                })
                .collect())
        })
        .await
    }

    #[tracing::instrument(name = "knowledge.search", skip_all)]
    async fn search(&self, query: KnowledgeQuery) -> Result<Vec<SearchHit>, AppError> {
        edge(async move {
            if query.text.chars().count() > validate::MAX_QUERY_CHARS {
                return Err(AppError::invalid(
                    "text",
                    format!(
                        "Search for at most {} characters.",
                        validate::MAX_QUERY_CHARS
                    ),
                )
                .into());
            }
            let limit = match query.limit.unwrap_or(DEFAULT_HITS) {
                n @ 1..=MAX_HITS => n as usize,
                _ => {
                    return Err(AppError::invalid(
                        "limit",
                        format!("Ask for 1 to {MAX_HITS} results."),
                    )
                    .into())
                }
            };
            let request = search::Request {
                text: query.text,
                category: query.category,
                tag: query.tag,
                limit,
                languages: business_languages(&self.kb.db).await?,
            };
            let hits = self
                .kb
                .search(request)
                .await
                .map_err(|e| internal("search failed", e))?;
            Ok(hits.into_iter().map(hit_view).collect())
        })
        .await
    }
}
