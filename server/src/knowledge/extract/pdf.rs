//! PDF text: parsed with lopdf, checked, then read with pdf-extract.

use std::io::Read;

use flate2::read::ZlibDecoder;
use lopdf::encryption::DecryptionError;
use lopdf::{Document, Object};
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
    check_inflated_size(&doc, limits.max_unzipped_bytes)?;
    let mut text = String::new();
    pdf_extract::output_doc(&doc, &mut PlainTextOutput::new(&mut text)).map_err(|e| match e {
        OutputError::PdfError(e) => read_error(e),
        other => damaged(other),
    })?;
    if text.chars().all(|c| c.is_whitespace() || c.is_control()) {
        return Err(Unreadable::new(
            "This PDF has no selectable text — is it a scan? Export it from the original document, or run it through OCR first.",
        ));
    }
    Ok(text)
}

/// Refuses a PDF whose compressed streams inflate past `budget` (a "zip bomb" in PDF form).
/// Images are skipped: text extraction never inflates them.
fn check_inflated_size(doc: &Document, budget: u64) -> Result<(), Unreadable> {
    let mut total = 0u64;
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let image = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|name| name == b"Image");
        let flate = stream
            .filters()
            .is_ok_and(|filters| filters.iter().any(|f| *f == b"FlateDecode"));
        if image || !flate {
            continue;
        }
        let left = budget - total;
        let inflated = std::io::copy(
            &mut ZlibDecoder::new(stream.content.as_slice()).take(left + 1),
            &mut std::io::sink(),
        )
        .unwrap_or(0);
        total += inflated;
        if total > budget {
            return Err(Unreadable::new(
                "This PDF unpacks to far more data than a document holds (a \"zip bomb\"?). It was not read.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::ZlibEncoder;
    use lopdf::{dictionary, Stream};

    use super::*;

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
