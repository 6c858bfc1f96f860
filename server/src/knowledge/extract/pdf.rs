//! PDF text: parsed with lopdf, checked, then read with pdf-extract, or with lopdf's own
//! content-stream walk where pdf-extract finds nothing.

use std::collections::BTreeMap;
use std::io::Read;

use flate2::read::ZlibDecoder;
use lopdf::encryption::DecryptionError;
use lopdf::{Document, Object, ObjectId};
use pdf_extract::{OutputError, PlainTextOutput};

use super::{Limits, Unreadable};

fn locked() -> Unreadable {
    Unreadable::new(
        "This PDF is password-protected. Open it, save or print it as a PDF without a password, and upload that.",
    )
}

fn damaged(detail: impl std::fmt::Display) -> Unreadable {
    Unreadable::new(format!(
        "This PDF is damaged or incomplete and could not be read ({detail}). Export it again and upload the new file."
    ))
}

fn read_error(e: lopdf::Error) -> Unreadable {
    match e {
        lopdf::Error::Decryption(DecryptionError::IncorrectPassword)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => locked(),
        lopdf::Error::Decryption(_) => Unreadable::new(
            "This PDF is encrypted in a way Replydesk cannot read. Save or print it as a PDF without protection, and upload that.",
        ),
        other => damaged(other),
    }
}

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<String, Unreadable> {
    let mut doc = Document::load_mem(bytes).map_err(read_error)?;
    if doc.is_encrypted() {
        // Readable without a password when only editing is restricted (an empty user password).
        doc.decrypt("").map_err(read_error)?;
    }
    let pages = doc.get_pages();
    if pages.len() > limits.max_pages {
        return Err(Unreadable::new(format!(
            "This PDF has {} pages; Replydesk reads documents of up to {} pages. Split it into smaller files.",
            pages.len(),
            limits.max_pages
        )));
    }
    check_inflated_size(&doc, limits.max_unzipped_bytes)?;
    let (texts, read) = page_texts(&doc, pages.keys().copied());
    let text = without_running_lines(&texts);
    if has_text(&text) {
        return Ok(text);
    }
    // pdf-extract misses some valid files (text shown with the ' and " operators, fonts it
    // cannot map); lopdf's own walk of the content streams reads those.
    let page_numbers: Vec<u32> = pages.keys().copied().collect();
    let walked: String = doc
        .extract_text_chunks(&page_numbers)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    if has_text(&walked) {
        return Ok(walked);
    }
    match read {
        Err(OutputError::PdfError(e)) => Err(read_error(e)),
        Err(other) => Err(damaged(other)),
        Ok(()) => Err(Unreadable::new(
            "This PDF has no selectable text — is it a scan? Export it from the original document, or run it through OCR first.",
        )),
    }
}

/// Each page's text, until a page fails to read (the error is returned with what was read).
fn page_texts(
    doc: &Document,
    numbers: impl Iterator<Item = u32>,
) -> (Vec<String>, Result<(), OutputError>) {
    let mut texts = Vec::new();
    for number in numbers {
        let mut text = String::new();
        let read = pdf_extract::output_doc_page(doc, &mut PlainTextOutput::new(&mut text), number);
        texts.push(text);
        if read.is_err() {
            return (texts, read);
        }
    }
    (texts, Ok(()))
}

/// A line's shape with its numbers masked: "Page 3 of 9" and "Page 4 of 9" are one shape.
fn shape(line: &str) -> String {
    line.trim()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Lines near a page's top or bottom that are looked at for running headers and footers.
const EDGE_LINES: usize = 2;

/// The pages' text joined, without running headers and footers: a line (numbers masked) found
/// within the first or last [`EDGE_LINES`] lines of at least half the pages (three at least)
/// is the page's furniture, not its content, and would repeat in every passage.
fn without_running_lines(pages: &[String]) -> String {
    let lines: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.lines().filter(|l| !l.trim().is_empty()).collect())
        .collect();
    let edges = |page: &Vec<&str>| -> Vec<String> {
        let n = page.len();
        // On a page this short every line is at an edge: it says nothing about furniture.
        if n < 3 * EDGE_LINES {
            return Vec::new();
        }
        let mut at: Vec<usize> = (0..n.min(EDGE_LINES)).collect();
        at.extend(n.saturating_sub(EDGE_LINES).max(EDGE_LINES.min(n))..n);
        let mut shapes: Vec<String> = at.into_iter().map(|i| shape(page[i])).collect();
        shapes.sort();
        shapes.dedup();
        shapes
    };
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for page in &lines {
        for s in edges(page) {
            *counts.entry(s).or_default() += 1;
        }
    }
    let needed = (pages.len() / 2).max(3);
    let running = |line: &str| {
        let s = shape(line);
        s.chars().count() <= 120 && counts.get(&s).is_some_and(|c| *c >= needed)
    };
    let mut out = String::new();
    for page in &lines {
        let n = page.len();
        for (i, line) in page.iter().enumerate() {
            let at_edge = i < EDGE_LINES || i + EDGE_LINES >= n;
            if at_edge && running(line) {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn has_text(text: &str) -> bool {
    !text.chars().all(|c| c.is_whitespace() || c.is_control())
}

/// Refuses a PDF whose compressed streams inflate past `budget` (a "zip bomb" in PDF form):
/// every page counts the content streams it draws, whatever they claim to be (a stream shared
/// by 2,000 pages is read 2,000 times); every other stream but an image counts once (text
/// extraction never decodes images). Chains of deflate filters (a stream deflated twice) are
/// inflated link by link; other filters are left to the reader's memory limit.
fn check_inflated_size(doc: &Document, budget: u64) -> Result<(), Unreadable> {
    let mut total = 0u64;
    let mut add = |size: u64| {
        total = total.saturating_add(size);
        if total > budget {
            Err(Unreadable::new(
                "This PDF unpacks to far more data than a document holds (a \"zip bomb\"?). It was not read.",
            ))
        } else {
            Ok(total)
        }
    };
    let pages = doc.get_pages();
    let mut drawn: BTreeMap<ObjectId, u64> = BTreeMap::new();
    for page in pages.values() {
        for content in doc.get_page_contents(*page) {
            *drawn.entry(content).or_default() += 1;
        }
    }
    let mut spent = 0;
    for (id, object) in &doc.objects {
        let Object::Stream(stream) = object else {
            continue;
        };
        let uses = match drawn.get(id) {
            Some(uses) => *uses,
            None if is_image(stream) => continue,
            None => 1,
        };
        let size = inflated_size(stream, budget.saturating_sub(spent));
        spent = add(size.saturating_mul(uses))?;
    }
    Ok(())
}

fn is_image(stream: &lopdf::Stream) -> bool {
    stream
        .dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|name| name == b"Image")
}

/// The stream's size once its deflate filters are undone, reading at most `left + 1` bytes.
fn inflated_size(stream: &lopdf::Stream, left: u64) -> u64 {
    let Ok(filters) = stream.filters() else {
        return stream.content.len() as u64;
    };
    if filters.is_empty() || filters.iter().any(|f| *f != b"FlateDecode") {
        return stream.content.len() as u64;
    }
    let mut reader: Box<dyn Read + '_> = Box::new(stream.content.as_slice());
    for _ in &filters {
        reader = Box::new(ZlibDecoder::new(reader));
    }
    std::io::copy(&mut reader.take(left + 1), &mut std::io::sink()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::ZlibEncoder;
    use lopdf::{dictionary, Stream};

    use super::*;

    #[test]
    fn running_headers_and_footers_are_dropped() {
        let sections = ["Starters", "Fish", "Meat", "Desserts"];
        let pages: Vec<String> = (1..=4)
            .map(|n| {
                let section = sections[n - 1];
                format!(
                    "Tasca do Rio · Menu\n{section}\nCod fritters cost €8.{n}0 each.\nServed with lemon.\nAsk for the daily fish.\nRua do Alecrim 12 · Page {n} of 4\n"
                )
            })
            .collect();
        let text = without_running_lines(&pages);
        assert!(!text.contains("Tasca do Rio · Menu"), "{text}");
        assert!(!text.contains("Page"), "{text}");
        for n in 1..=4 {
            let section = sections[n - 1];
            assert!(text.contains(&format!("{section}\nCod fritters cost €8.{n}0 each.")));
        }
        // Two pages are too few to tell furniture from content.
        let two = without_running_lines(&pages[..2]);
        assert!(two.contains("Tasca do Rio · Menu"));
    }

    #[test]
    fn streams_that_inflate_past_the_budget_are_refused() {
        let mut encoder = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder
            .write_all(&vec![b' '; 4 * 1024 * 1024])
            .expect("deflate");
        let bomb = encoder.finish().expect("deflate");
        let mut doc = Document::with_version("1.5");
        doc.add_object(Stream::new(dictionary! { "Filter" => "FlateDecode" }, bomb));
        assert!(check_inflated_size(&doc, 8 * 1024 * 1024).is_ok());
        let refused = check_inflated_size(&doc, 1024 * 1024).expect_err("refused");
        assert!(refused.0.contains("zip bomb"), "{refused}");
    }
}
