//! Text from uploaded files. [`extract`] is the parser, run only inside the child process of
//! [`child`] (memory, CPU and file limits set by the operating system); [`extract_file`] is the
//! server's way in. Zip entries and PDF streams are also inflated under a cap and the text has
//! a maximum length, so an ordinary oversized file gets a precise reason rather than a kill.
//! Every failure is an [`Unreadable`] with a reason the owner can act on.

pub mod child;
mod docx;
mod pdf;
mod text;

use std::path::Path;
use std::time::Duration;

use super::detect::FileKind;

/// Bounds on the work one document may cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes a DOCX (all its parts) or a PDF (its text-bearing streams) may inflate to.
    pub max_unzipped_bytes: u64,
    /// Most bytes of extracted text.
    pub max_text_bytes: usize,
    /// Most pages of a PDF.
    pub max_pages: usize,
    /// Longest extraction.
    pub time_limit: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_unzipped_bytes: 64 * 1024 * 1024,
            // As much text as the largest text file one may upload.
            max_text_bytes: 10 * 1024 * 1024,
            // A thick manual has a few hundred; thousands are an export gone wrong or an attack.
            max_pages: 2_000,
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
        FileKind::Txt | FileKind::Md => text::strip_terminal_codes(&text::decode(bytes)),
        FileKind::Html => text::html_to_text(&text::decode(bytes)),
        FileKind::Csv => text::csv_to_text(&text::decode(bytes)),
    };
    let text = normalize(&raw);
    if text.is_empty() {
        return Err(Unreadable::new("The document contains no text."));
    }
    if text.len() > limits.max_text_bytes {
        return Err(child::too_much_text(limits));
    }
    Ok(text)
}

/// [`extract`] of a stored file, in a confined child process (see [`child`]).
pub async fn extract_file(
    isolation: &crate::config::Isolation,
    kind: FileKind,
    path: &Path,
    limits: &Limits,
) -> Result<String, ExtractFailure> {
    child::run(isolation, kind, path, limits).await
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
