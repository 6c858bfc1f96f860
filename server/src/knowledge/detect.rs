//! What an upload is, from its first bytes (the name's extension only tells text formats apart).

use std::fmt;

/// Bytes of the start of a file that detection looks at.
pub const SNIFF_BYTES: usize = 8192;

/// Kinds of file the knowledge base reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Docx,
    Txt,
    Md,
    Html,
    Csv,
}

impl FileKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Txt => "txt",
            Self::Md => "md",
            Self::Html => "html",
            Self::Csv => "csv",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            Self::Pdf,
            Self::Docx,
            Self::Txt,
            Self::Md,
            Self::Html,
            Self::Csv,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Txt => "text/plain; charset=utf-8",
            Self::Md => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Why a file is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// A known kind of file that holds no readable text (an image, a program, an archive…).
    Unsupported(&'static str),
    /// Binary content of no known kind.
    Binary,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const READABLE: &str =
            "Upload a PDF, a Word document (.docx), or a text, Markdown, HTML or CSV file.";
        match self {
            Self::Empty => write!(f, "The file is empty."),
            Self::Unsupported(what) => write!(f, "This file is {what}, not a document. {READABLE}"),
            Self::Binary => write!(
                f,
                "This file's content is not a document Replydesk can read. {READABLE}"
            ),
        }
    }
}

/// Signatures of files that are surely not documents, with what to call them.
const NOT_DOCUMENTS: &[(&[u8], &str)] = &[
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF8", "an image (GIF)"),
    (b"RIFF", "an image or audio file (RIFF)"),
    (b"\x1f\x8b", "a compressed archive (gzip)"),
    (b"Rar!", "a compressed archive (RAR)"),
    (b"7z\xbc\xaf", "a compressed archive (7-Zip)"),
    (
        b"\xd0\xcf\x11\xe0",
        "an old Office file (.doc/.xls); save it as .docx or PDF",
    ),
];

/// Detects the kind of a file from its first bytes; `name` picks among text formats.
pub fn detect(head: &[u8], name: &str) -> Result<FileKind, Refusal> {
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    // PDF readers accept the header anywhere in the first KB.
    if head[..head.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Ok(FileKind::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        // Confirmed a Word document (not another zip) when it is opened: see `extract::docx`.
        return Ok(FileKind::Docx);
    }
    if let Some((_, what)) = NOT_DOCUMENTS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
    {
        return Err(Refusal::Unsupported(what));
    }
    if !looks_like_text(head) {
        return Err(Refusal::Binary);
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let start = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
    let start = start.trim_start_matches('\u{feff}').trim_start();
    Ok(match extension.as_str() {
        _ if start.starts_with("<!doctype html") || start.starts_with("<html") => FileKind::Html,
        "html" | "htm" => FileKind::Html,
        "md" | "markdown" => FileKind::Md,
        "csv" => FileKind::Csv,
        _ => FileKind::Txt,
    })
}

/// Text in UTF-8, UTF-16 (with a byte-order mark) or a single-byte encoding: no NUL bytes
/// outside UTF-16, and few control characters.
fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return true;
    }
    if head.contains(&0) {
        return false;
    }
    let controls = head
        .iter()
        // Escape starts terminal colour codes: a saved log or command output is still text.
        .filter(|b| b.is_ascii_control() && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    controls * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_content() {
        assert_eq!(detect(b"%PDF-1.7\n...", "menu.txt"), Ok(FileKind::Pdf));
        assert_eq!(detect(b"\xef\xbb\xbf%PDF-1.4", "x"), Ok(FileKind::Pdf));
        assert_eq!(detect(b"PK\x03\x04rest", "prices.pdf"), Ok(FileKind::Docx));
        assert_eq!(
            detect(b"<!DOCTYPE html><p>hi", "page.txt"),
            Ok(FileKind::Html)
        );
        assert_eq!(detect(b"# Title", "faq.md"), Ok(FileKind::Md));
        assert_eq!(detect(b"a,b\n1,2", "prices.CSV"), Ok(FileKind::Csv));
        assert_eq!(detect(b"plain words", "notes"), Ok(FileKind::Txt));
        assert_eq!(detect(b"\xff\xfeh\0i\0", "utf16.txt"), Ok(FileKind::Txt));
        assert_eq!(detect("café".as_bytes(), "a.txt"), Ok(FileKind::Txt));
        assert_eq!(detect(b"caf\xe9 cr\xe8me", "a.txt"), Ok(FileKind::Txt));
        let coloured = "\u{1b}[1;32mOpen\u{1b}[0m daily\n".repeat(20);
        assert_eq!(detect(coloured.as_bytes(), "hours.txt"), Ok(FileKind::Txt));
    }

    #[test]
    fn non_documents_are_refused_with_what_they_are() {
        assert_eq!(detect(b"", "a.pdf"), Err(Refusal::Empty));
        let elf = detect(b"\x7fELF\x02\x01\x01\0\0\0", "invoice.pdf").expect_err("refused");
        assert!(elf.to_string().contains("a program"), "{elf}");
        assert!(matches!(
            detect(b"\x89PNG\r\n", "menu.pdf"),
            Err(Refusal::Unsupported(_))
        ));
        assert_eq!(
            detect(b"ab\0\0\x01\x02\x03", "data.txt"),
            Err(Refusal::Binary)
        );
        assert_eq!(
            detect(&[0x01, 0x02, 0x03, 0x04, b'a'], "x.txt"),
            Err(Refusal::Binary)
        );
    }

    #[test]
    fn keys_round_trip() {
        for kind in ["pdf", "docx", "txt", "md", "html", "csv"] {
            assert_eq!(FileKind::from_key(kind).map(FileKind::key), Some(kind));
        }
        assert_eq!(FileKind::from_key("faq"), None);
    }
}
