//! The extraction job: a document's text → passages in the database → the index → ready.

use app::model::{is_file_kind, Change as Pushed};
use sea_orm::TransactionTrait;

use super::detect::FileKind;
use super::extract::{self, ExtractFailure};
use super::index::Change;
use super::{chunk, KnowledgeBase};
use crate::db::{self, chunks, documents};
use crate::jobs::{Job, JobContext, JobError};

use crate::jobs::kinds::{EmbedPassages, ExtractDocument};

impl KnowledgeBase {
    /// Asks for the passages without vectors to be embedded (new passages, another model).
    pub async fn request_embeddings(&self) {
        if let Err(e) = self
            .queue
            .enqueue(&self.db, &EmbedPassages {}, crate::jobs::Enqueue::default())
            .await
        {
            tracing::warn!(error = %e, "embedding job not queued; the next change or start queues it");
        }
    }
}

/// The text of an entry written in the dashboard.
fn entry_text(kind: &str, title: &str, body: &str) -> String {
    match kind {
        // The question as a heading keeps it with its answer in every passage.
        "faq" => format!("# {}\n\n{}", title.trim(), body.trim()),
        _ => body.trim().to_owned(),
    }
}

impl KnowledgeBase {
    /// The job.
    pub async fn run_extraction(
        &self,
        job: ExtractDocument,
        ctx: JobContext,
    ) -> Result<(), JobError> {
        let Some(document) = documents::by_id(&self.db, job.document_id).await? else {
            return Ok(()); // deleted since
        };
        if document.version != job.version {
            return Ok(()); // replaced since; the newer version has its own job
        }
        let text = if !is_file_kind(&document.kind) {
            let body = document.source_text.as_deref().unwrap_or_default();
            Ok(extract::normalize(&entry_text(
                &document.kind,
                &document.title,
                body,
            )))
        } else if let Some(kind) = FileKind::from_key(&document.kind) {
            let path = self.file_path(&document.storage_key);
            extract::extract_file(&self.isolation, kind, &path, &self.extract_limits).await
        } else {
            Err(ExtractFailure::Unreadable(extract::Unreadable::new(
                "This kind of document cannot be read.",
            )))
        };
        let text = match text {
            Ok(text) => text,
            Err(ExtractFailure::Io(e)) if ctx.attempt < ExtractDocument::MAX_ATTEMPTS => {
                return Err(JobError::Retry(e.to_string()))
            }
            Err(ExtractFailure::Io(e)) => {
                tracing::error!(document = document.id, error = %e, "stored knowledge file unreadable");
                return self
                    .fail(&job, "The stored file could not be read. Upload it again.")
                    .await;
            }
            Err(ExtractFailure::Unreadable(reason)) => return self.fail(&job, &reason.0).await,
        };
        let passages = chunk::passages(&text);
        if passages.is_empty() {
            return self.fail(&job, "The document contains no text.").await;
        }

        let txn = db::write_txn(&self.db).await?;
        let stored = chunks::replace(&txn, job.document_id, &passages).await?;
        let current = documents::store_text(
            &txn,
            job.document_id,
            job.version,
            &text,
            stored.len() as i32,
            super::document_language(&text).code(),
        )
        .await?;
        if !current {
            return Ok(()); // replaced while being read: dropping the transaction undoes it
        }
        txn.commit().await?;

        // The index gets the new passages before the document says ready; a crash in between
        // leaves it processing, and the job (claimed again) repeats the work.
        let summary = documents::summary(&self.db, job.document_id).await?;
        let Some(summary) = summary else {
            return Ok(());
        };
        let indexed = super::indexed(&summary, stored);
        self.index
            .apply(vec![Change::Upsert(indexed)])
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;

        let txn = self.db.begin().await?;
        if documents::finish(&txn, job.document_id, job.version, None).await? {
            self.bus
                .commit(txn, vec![ready_change(job.document_id)])
                .await?;
            self.request_embeddings().await;
        } else if documents::summary(&self.db, job.document_id)
            .await?
            .is_none()
        {
            // Deleted while being indexed: its delete may have reached the index first.
            self.index
                .apply(vec![Change::Delete(job.document_id)])
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
        }
        Ok(())
    }

    /// Ends a document in error: no passages anywhere, the reason shown in the library.
    async fn fail(&self, job: &ExtractDocument, reason: &str) -> Result<(), JobError> {
        let txn = db::write_txn(&self.db).await?;
        if !documents::finish(&txn, job.document_id, job.version, Some(reason)).await? {
            return Ok(());
        }
        chunks::delete_for(&txn, job.document_id).await?;
        self.bus
            .commit(
                txn,
                vec![Pushed::DocumentUpdated {
                    document_id: job.document_id,
                    status: documents::status::ERROR.to_owned(),
                }],
            )
            .await?;
        // A replaced document may still have its old passages in the index.
        if let Err(e) = self
            .index
            .apply(vec![Change::Delete(job.document_id)])
            .await
        {
            tracing::warn!(document = job.document_id, error = %e, "removing passages from the index failed; the next start repairs it");
        }
        Ok(())
    }
}

fn ready_change(document_id: i32) -> Pushed {
    Pushed::DocumentUpdated {
        document_id,
        status: documents::status::READY.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::entry_text;

    #[test]
    fn faq_entries_keep_the_question_as_heading() {
        assert_eq!(
            entry_text("faq", " Do you deliver? ", "Yes, within 5 km."),
            "# Do you deliver?\n\nYes, within 5 km."
        );
        assert_eq!(
            entry_text("note", "Parking", " Free after 6 pm "),
            "Free after 6 pm"
        );
    }
}
