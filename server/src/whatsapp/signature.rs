//! `X-Hub-Signature-256`: hex HMAC-SHA256 of the raw request body, keyed with the App Secret.
//! Checked over the bytes exactly as received — Meta writes `\uXXXX` and `\/` escapes that no
//! re-serialisation reproduces — and before anything is parsed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Verifies `header` (the header's value, if any) for `body` under `app_secret`.
pub fn verify(app_secret: &[u8], header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body` (for the simulator and tests).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(app_secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret-123";

    #[test]
    fn accepts_the_exact_bytes_only() {
        // As Meta sends it: non-ASCII as \u escapes, slashes escaped.
        let body = br#"{"text":{"body":"Ol\u00e1 \ud83d\udc4b"},"mime_type":"image\/jpeg"}"#;
        let header = sign(SECRET, body);
        assert_eq!(verify(SECRET, Some(&header), body), Ok(()));
        // The same JSON re-serialised is different bytes, and rightly fails.
        let reserialised =
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(body).expect("json"))
                .expect("json");
        assert_eq!(
            verify(SECRET, Some(&header), &reserialised),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_missing_malformed_and_wrong() {
        let body = b"{}";
        assert_eq!(verify(SECRET, None, body), Err(SignatureError::Missing));
        assert_eq!(
            verify(SECRET, Some("abc"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some("sha256=zz"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some(&format!("sha256={}", "0".repeat(64))), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other secret", Some(&sign(SECRET, body)), body),
            Err(SignatureError::Mismatch)
        );
    }
}
