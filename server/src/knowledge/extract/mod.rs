//! Text from uploaded files, isolated from what a hostile or broken file can do: parsing runs
//! on the blocking pool, a panic is caught, a time limit applies, zip entries are inflated
//! under a cap, and the text has a maximum length. Every failure is an [`Unreadable`] with a
//! reason the owner can act on.

mod docx;
mod pdf;
mod text;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Duration;

use super::detect::FileKind;

/// Bounds on the work one document may cause.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most bytes a DOCX (all its parts) or a PDF (its text-bearing streams) may inflate to.
    pub max_unzipped_bytes: u64,
    /// Most bytes of extracted text.
    pub max_text_bytes: usize,
    /// Longest extraction.
    pub time_limit: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_unzipped_bytes: 64 * 1024 * 1024,
            // As much text as the largest text file one may upload.
            max_text_bytes: 10 * 1024 * 1024,
            time_limit: Duration::from_secs(60),
        }
    }
}

/// Why a document's text could not be had, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

impl Unreadable {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Extracts and normalises the text of a file's bytes (on the calling thread).
pub fn extract(kind: FileKind, bytes: &[u8], limits: &Limits) -> Result<String, Unreadable> {
    let raw = match kind {
        FileKind::Pdf => pdf::extract(bytes, limits)?,
        FileKind::Docx => docx::extract(bytes, limits)?,
        FileKind::Txt | FileKind::Md => text::decode(bytes),
        FileKind::Html => text::html_to_text(&text::decode(bytes)),
        FileKind::Csv => text::csv_to_text(&text::decode(bytes)),
    };
    let text = normalize(&raw);
    if text.is_empty() {
        return Err(Unreadable::new("The document contains no text."));
    }
    if text.len() > limits.max_text_bytes {
        return Err(Unreadable::new(format!(
            "The document holds more than {} MB of text. Split it into smaller documents.",
            limits.max_text_bytes / (1024 * 1024)
        )));
    }
    Ok(text)
}

/// [`extract`] of a stored file, isolated (see [`isolated`]).
pub async fn extract_file(
    kind: FileKind,
    path: PathBuf,
    limits: Limits,
) -> Result<String, ExtractFailure> {
    let time_limit = limits.time_limit;
    isolated(time_limit, move || {
        let bytes = std::fs::read(&path).map_err(ExtractFailure::Io)?;
        extract(kind, &bytes, &limits).map_err(ExtractFailure::Unreadable)
    })
    .await
}

/// Runs `work` on the blocking pool, with a panic turned into an [`Unreadable`] and a time
/// limit.
///
/// A parser stuck past the limit cannot be stopped from outside its thread: it is abandoned
/// (its result is dropped) and the document fails; the thread ends when the parser does.
async fn isolated(
    time_limit: Duration,
    work: impl FnOnce() -> Result<String, ExtractFailure> + Send + 'static,
) -> Result<String, ExtractFailure> {
    let task = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
            Err(ExtractFailure::Unreadable(Unreadable::new(
                "This file is malformed in a way that made the reader fail. Export or save it again and upload the new file.",
            )))
        })
    });
    match tokio::time::timeout(time_limit, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(ExtractFailure::Io(std::io::Error::other(join))),
        Err(_) => Err(ExtractFailure::Unreadable(Unreadable::new(format!(
            "Reading this file took longer than {} seconds, so it was stopped. Try a smaller or simpler version of it.",
            time_limit.as_secs()
        )))),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractFailure {
    /// The file itself is the problem: final.
    #[error("{0}")]
    Unreadable(Unreadable),
    /// The stored file could not be read: worth retrying.
    #[error("reading the stored file: {0}")]
    Io(std::io::Error),
}

/// One line ending, no control characters, no trailing spaces, at most one blank line in a row.
pub fn normalize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank_lines = 0;
    let unified = raw.replace("\r\n", "\n").replace(['\r', '\u{c}'], "\n");
    for line in unified.split('\n') {
        let line: String = line
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_lines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_lines > 0 { "\n\n" } else { "\n" });
        }
        blank_lines = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_tidies_whitespace() {
        assert_eq!(
            normalize("\r\n  \n# T  \r\n\r\n\r\n\u{c}para\u{7} one\t\nline two\n\n"),
            "  # T\n\npara one\nline two".trim_start()
        );
        assert_eq!(normalize(" \n\t\n"), "");
    }

    fn reason(result: Result<String, ExtractFailure>) -> String {
        match result {
            Err(ExtractFailure::Unreadable(reason)) => reason.0,
            other => panic!("expected a reason, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_panicking_parser_is_a_readable_failure() {
        let failed = isolated(Duration::from_secs(5), || panic!("parser bug")).await;
        assert!(reason(failed).contains("malformed"));
    }

    #[tokio::test]
    async fn a_parser_past_the_time_limit_is_abandoned() {
        let failed = isolated(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2));
            Ok(String::new())
        })
        .await;
        assert!(reason(failed).contains("took longer than"));
    }

    #[test]
    fn empty_text_and_too_much_text_are_refused() {
        let limits = Limits {
            max_text_bytes: 10,
            ..Limits::default()
        };
        assert!(extract(FileKind::Txt, b"  \n ", &limits).is_err());
        let long = extract(FileKind::Txt, b"eleven char", &limits).expect_err("refused");
        assert!(long.0.contains("more than"), "{long}");
        assert_eq!(
            extract(FileKind::Md, b"# Ok", &limits).as_deref(),
            Ok("# Ok")
        );
    }
}
