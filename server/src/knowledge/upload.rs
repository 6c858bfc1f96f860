//! Receiving knowledge files: streamed to disk under a new key, hashed and size-checked as they
//! arrive (never held in memory), their kind checked by content, then a document row and its
//! extraction job. The HTTP routes are `http::knowledge_files`.

use std::path::{Path, PathBuf};

use app::error::{AppError, ErrorKind};
use app::model::Change;
use axum::body::Body;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::detect::{self, FileKind, Refusal, SNIFF_BYTES};
use super::KnowledgeBase;
use crate::db::{self, documents};
use crate::error::internal;
use crate::jobs::kinds::ExtractDocument;
use crate::jobs::Enqueue;

/// Longest file name kept, in bytes: what file systems allow (NAME_MAX), so any name a
/// computer can give a file is accepted.
const MAX_NAME_BYTES: usize = 255;

/// The extensions of files Replydesk reads. A name may also have none ("notes", "v2.5").
const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "docx", "txt", "text", "md", "markdown", "html", "htm", "csv",
];

/// The name's extension, lowercased, when it has one (letters after the last dot: "v2.5" has
/// none, ".env" is a name).
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && ext.chars().any(char::is_alphabetic)).then(|| ext.to_lowercase())
}

/// The display name of an upload: a bare file name, never a path.
pub fn file_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "The file has no name."));
    }
    if name.contains(['/', '\\']) || name.split('.').all(str::is_empty) || name.contains("..") {
        return Err(AppError::invalid(
            "name",
            "The file name must be a plain name, without folders (\"/\", \"\\\" or \"..\").",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            "The file name contains control characters.",
        ));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(AppError::invalid(
            "name",
            format!("The file name is longer than {MAX_NAME_BYTES} bytes. Rename the file with a shorter name."),
        ));
    }
    // "menu.pdf.exe" is a program in disguise whatever its content: refused by its name.
    if let Some(ext) = extension(name).filter(|ext| !DOCUMENT_EXTENSIONS.contains(&ext.as_str())) {
        return Err(AppError::new(
            ErrorKind::UnsupportedType,
            format!(
                "“{name}” ends in .{ext}. Upload a PDF (.pdf), a Word document (.docx), or a text, Markdown, HTML or CSV file."
            ),
        ));
    }
    Ok(name.to_owned())
}

/// "menu-2026.pdf" → "menu-2026" (cut to the longest title the library shows).
fn title_of(name: &str) -> String {
    let title = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim(),
        _ => name,
    };
    title.chars().take(app::validate::MAX_TITLE_CHARS).collect()
}

/// After an upload is found too large, up to this much more of it is read and dropped (for up
/// to [`DRAIN_TIME`], while it keeps coming) before the 413 is sent: a client still sending
/// would otherwise see the connection reset instead of the message. Past this, the
/// connection is cut.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);
/// A client that sends nothing for this long is not waiting to finish: answer it.
const DRAIN_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

async fn drain<S, E>(mut stream: S, mut left: u64)
where
    S: futures::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
{
    let reading = async {
        while left > 0 {
            match tokio::time::timeout(DRAIN_IDLE, stream.next()).await {
                Ok(Some(Ok(chunk))) => left = left.saturating_sub(chunk.len() as u64),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}

fn too_large(name: &str, limit: u64) -> AppError {
    AppError::new(
        ErrorKind::PayloadTooLarge,
        format!(
            "“{name}” is larger than {} — the limit per file.",
            app::format::bytes(limit)
        ),
    )
}

/// A file received and checked, stored under its final key.
struct Received {
    key: String,
    name: String,
    kind: FileKind,
    size: u64,
    sha256: String,
}

/// Deletes the file it guards unless defused: an upload that fails leaves nothing behind.
struct Cleanup(Option<PathBuf>);

impl Cleanup {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl KnowledgeBase {
    /// Streams the body to disk under a new key, hashing and size-checking as it goes, then
    /// checks what the content is.
    async fn receive(
        &self,
        name: String,
        declared: Option<u64>,
        body: Body,
    ) -> Result<(Received, Cleanup), AppError> {
        let limit = self
            .limits()
            .await
            .map_err(|e| internal("reading knowledge limits failed", e))?
            .max_file_bytes;
        if let Some(declared) = declared.filter(|len| *len > limit) {
            if declared - limit <= DRAIN_BYTES {
                drain(body.into_data_stream(), declared).await;
            }
            return Err(too_large(&name, limit));
        }

        let key = uuid::Uuid::new_v4().simple().to_string();
        let path = self.file_path(&key);
        let cleanup = Cleanup(Some(path.clone()));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| internal("creating an upload file failed", e))?;
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut size = 0u64;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                AppError::bad_request(format!(
                    "The upload of “{name}” was interrupted. Please try again."
                ))
            })?;
            size += chunk.len() as u64;
            if size > limit {
                drain(stream, DRAIN_BYTES).await;
                return Err(too_large(&name, limit));
            }
            if head.len() < SNIFF_BYTES {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| internal("writing an upload failed", e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| internal("writing an upload failed", e))?;
        drop(file);

        let kind = detect::detect(&head, &name).map_err(|refusal| match refusal {
            Refusal::Empty => AppError::invalid("file", format!("“{name}” is empty.")),
            other => AppError::new(ErrorKind::UnsupportedType, format!("“{name}”: {other}")),
        })?;
        // A name that promises a PDF or a Word document must be one: a text file called
        // "menu.docx" is a mistake (or a disguise), not something to index as text.
        let promised = match extension(&name).as_deref() {
            Some("pdf") => Some((FileKind::Pdf, "a PDF")),
            Some("docx") => Some((FileKind::Docx, "a Word document")),
            _ => None,
        };
        if let Some((_, what)) = promised.filter(|(promised, _)| *promised != kind) {
            return Err(AppError::new(
                ErrorKind::UnsupportedType,
                format!("“{name}” is named as {what}, but its content is not one. Open it in the program that made it and save it again."),
            ));
        }
        if kind == FileKind::Docx && !is_word_document(path.clone()).await {
            return Err(AppError::new(
                ErrorKind::UnsupportedType,
                format!("“{name}” is a zip file, not a Word document (.docx). Upload the document itself."),
            ));
        }
        Ok((
            Received {
                key,
                name,
                kind,
                size,
                sha256: hex::encode(hasher.finalize()),
            },
            cleanup,
        ))
    }

    async fn refuse_duplicate(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        sha256: &str,
        replacing: Option<i32>,
    ) -> Result<(), AppError> {
        match documents::with_sha256(conn, sha256).await {
            Ok(Some(existing)) if Some(existing.id) != replacing => {
                Err(AppError::conflict(format!(
                    "This file is already in the library as “{}”.",
                    existing.title
                )))
            }
            Ok(_) => Ok(()),
            Err(e) => Err(internal("checking for a duplicate upload failed", e)),
        }
    }

    /// A new document from an upload.
    pub async fn upload(
        &self,
        name: &str,
        declared: Option<u64>,
        body: Body,
    ) -> Result<documents::Summary, AppError> {
        let name = file_name(name)?;
        self.check_room_in(&self.db).await?;
        let (file, cleanup) = self.receive(name, declared, body).await?;

        let txn = db::write_txn(&self.db)
            .await
            .map_err(|e| internal("starting an upload transaction failed", e))?;
        // Checked again inside the transaction: two uploads racing for the last place.
        self.check_room_in(&txn).await?;
        self.refuse_duplicate(&txn, &file.sha256, None).await?;
        let document = documents::insert(
            &txn,
            documents::NewDocument {
                storage_key: file.key.clone(),
                title: title_of(&file.name),
                original_name: Some(file.name.clone()),
                kind: file.kind.key().to_owned(),
                mime: Some(file.kind.mime().to_owned()),
                size_bytes: file.size as i64,
                sha256: Some(file.sha256.clone()),
                source_text: None,
                category: None,
                tags: Vec::new(),
            },
        )
        .await
        .map_err(|e| internal("storing an upload failed", e))?;
        let stored = self
            .start_processing(txn, document.id, document.version)
            .await?;
        cleanup.defuse();
        Ok(stored)
    }

    /// A new version of an uploaded document's file.
    pub async fn replace(
        &self,
        id: i32,
        name: &str,
        declared: Option<u64>,
        body: Body,
    ) -> Result<documents::Summary, AppError> {
        let name = file_name(name)?;
        let current = self.file_document(id).await?;
        let (file, cleanup) = self.receive(name, declared, body).await?;
        let txn = db::write_txn(&self.db)
            .await
            .map_err(|e| internal("starting an upload transaction failed", e))?;
        self.refuse_duplicate(&txn, &file.sha256, Some(id)).await?;
        let version = documents::replace_file(
            &txn,
            &current,
            documents::NewFile {
                storage_key: file.key.clone(),
                original_name: file.name.clone(),
                kind: file.kind.key().to_owned(),
                mime: file.kind.mime().to_owned(),
                size_bytes: file.size as i64,
                sha256: file.sha256.clone(),
            },
        )
        .await
        .map_err(|e| internal("storing a replacement failed", e))?;
        let stored = self.start_processing(txn, id, version).await?;
        cleanup.defuse();
        // The old file is no longer referenced.
        let _ = tokio::fs::remove_file(self.file_path(&current.storage_key)).await;
        Ok(stored)
    }

    /// Queues extraction and tells open dashboards, in the caller's transaction. Returns the
    /// document as this transaction stored it: read after the commit, a fast extraction job
    /// could already have moved it on, and the caller's answer would describe someone else's
    /// change.
    pub async fn start_processing(
        &self,
        txn: sea_orm::DatabaseTransaction,
        document_id: i32,
        version: i32,
    ) -> Result<documents::Summary, AppError> {
        let stored = documents::summary(&txn, document_id)
            .await
            .map_err(|e| internal("reading a document failed", e))?
            .ok_or_else(AppError::internal)?;
        self.queue
            .enqueue(
                &txn,
                &ExtractDocument {
                    document_id,
                    version,
                },
                Enqueue::default(),
            )
            .await
            .map_err(|e| internal("queueing extraction failed", e))?;
        self.bus
            .commit(
                txn,
                vec![Change::DocumentUpdated {
                    document_id,
                    status: documents::status::PROCESSING.to_owned(),
                }],
            )
            .await
            .map_err(|e| internal("committing a document failed", e))?;
        // Enqueue woke the workers before the commit; wake them again now the job is visible.
        self.queue.wake().notify_waiters();
        Ok(stored)
    }

    pub async fn summary_of(&self, id: i32) -> Result<documents::Summary, AppError> {
        documents::summary(&self.db, id)
            .await
            .map_err(|e| internal("reading a document failed", e))?
            .ok_or_else(|| AppError::not_found("There is no such document."))
    }

    /// An uploaded document (not a written entry).
    pub async fn file_document(&self, id: i32) -> Result<documents::Summary, AppError> {
        let document = self.summary_of(id).await?;
        if !document.is_file() {
            return Err(AppError::bad_request(
                "This entry was written in the dashboard; edit it instead of uploading a file.",
            ));
        }
        Ok(document)
    }

    async fn check_room_in(&self, conn: &impl sea_orm::ConnectionTrait) -> Result<(), AppError> {
        let limits = self
            .limits()
            .await
            .map_err(|e| internal("reading knowledge limits failed", e))?;
        let files = documents::count_files(conn)
            .await
            .map_err(|e| internal("counting documents failed", e))?;
        if files >= limits.max_files {
            return Err(AppError::conflict(format!(
                "The library is full: {files} of {} documents. Delete one to make room, or replace an old version instead.",
                limits.max_files
            )));
        }
        Ok(())
    }
}

/// Whether a zip file is a Word document (has `word/document.xml`); reads only its directory.
async fn is_word_document(path: PathBuf) -> bool {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path).ok()?;
        let zip = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
        zip.index_for_name("word/document.xml")
    })
    .await
    .ok()
    .flatten()
    .is_some()
}

/// Removes files in the knowledge folder that no document refers to (uploads cut off by a
/// crash, replaced versions whose removal failed).
pub async fn remove_orphans(kb: &KnowledgeBase) -> Result<usize, std::io::Error> {
    let keys: std::collections::HashSet<String> = documents::list(&kb.db)
        .await
        .map_err(std::io::Error::other)?
        .into_iter()
        .map(|d| d.storage_key)
        .collect();
    let mut removed = 0;
    let mut entries = tokio::fs::read_dir(kb.files_dir()).await?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !keys.contains(&name) && is_old(&entry.path()).await {
            tokio::fs::remove_file(entry.path()).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Older than an hour: not an upload still in progress.
async fn is_old(path: &Path) -> bool {
    tokio::fs::metadata(path)
        .await
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_file_names() {
        assert_eq!(file_name(" menu.pdf ").as_deref(), Ok("menu.pdf"));
        assert_eq!(
            file_name("carta de vinos.docx").as_deref(),
            Ok("carta de vinos.docx")
        );
        for bad in [
            "",
            "  ",
            "../../etc/passwd",
            "a/b.txt",
            "c:\\x.txt",
            "..",
            "...",
            "a\u{0}.txt",
        ] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        // 255 bytes is the most a file system allows, and what is accepted.
        let longest = format!("{}.pdf", "é".repeat(125));
        assert_eq!(longest.len(), 254);
        assert!(file_name(&longest).is_ok());
        assert!(file_name(&format!("{}.pdf", "x".repeat(252))).is_err());
    }

    #[test]
    fn names_of_programs_are_refused_whatever_comes_before() {
        for bad in [
            "menu.pdf.exe",
            "prices.docx.js",
            "a.PDF.scr",
            "setup.exe",
            "x.svg",
        ] {
            let refused = file_name(bad).expect_err(bad);
            assert_eq!(refused.kind, ErrorKind::UnsupportedType, "{bad}");
        }
        for good in [
            "menu.PDF",
            "notes",
            "price list v2.5",
            ".env",
            "faq.markdown",
        ] {
            assert!(file_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn titles_and_headers() {
        assert_eq!(title_of("menu-2026.pdf"), "menu-2026");
        assert_eq!(title_of(".env"), ".env");
    }
}
