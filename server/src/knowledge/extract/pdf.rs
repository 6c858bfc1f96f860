//! PDF text with pdf-extract (which parses with lopdf).

use lopdf::encryption::DecryptionError;
use pdf_extract::OutputError;

use super::Unreadable;

pub fn extract(bytes: &[u8]) -> Result<String, Unreadable> {
    let text = pdf_extract::extract_text_from_mem(bytes).map_err(|e| match e {
        OutputError::PdfError(
            lopdf::Error::Decryption(DecryptionError::IncorrectPassword)
            | lopdf::Error::InvalidPassword
            | lopdf::Error::UnsupportedSecurityHandler(_),
        ) => Unreadable::new(
            "This PDF is password-protected. Open it, save or print it as a PDF without a password, and upload that.",
        ),
        OutputError::PdfError(lopdf::Error::Decryption(_)) => Unreadable::new(
            "This PDF is encrypted in a way Replydesk cannot read. Save or print it as a PDF without protection, and upload that.",
        ),
        other => Unreadable::new(format!(
            "This PDF is damaged or incomplete and could not be read ({other}). Export it again and upload the new file."
        )),
    })?;
    if text.chars().all(|c| c.is_whitespace() || c.is_control()) {
        return Err(Unreadable::new(
            "This PDF has no selectable text — is it a scan? Export it from the original document, or run it through OCR first.",
        ));
    }
    Ok(text)
}
