//! Provider keys at rest: XChaCha20-Poly1305 under a key derived from `SECRET_KEY`.
//!
//! Stored as `v1:<base64(nonce ‖ ciphertext)>`. A database dump without the environment reveals
//! no key; a changed `SECRET_KEY` makes stored keys unreadable (the owner enters them again),
//! never wrong.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("no SECRET_KEY is set, so keys cannot be stored in the database")]
    NoKey,
    #[error("the stored key cannot be read with this SECRET_KEY; enter it again")]
    Unreadable,
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Option<XChaCha20Poly1305>,
}

impl Sealer {
    pub fn new(secret_key: Option<&SecretString>) -> Self {
        let cipher = secret_key.map(|key| {
            // Domain-separated, so the same SECRET_KEY used elsewhere yields a different key.
            let digest = Sha256::new()
                .chain_update(b"replydesk provider keys v1\0")
                .chain_update(key.expose_secret().as_bytes())
                .finalize();
            XChaCha20Poly1305::new(&digest)
        });
        Self { cipher }
    }

    pub fn can_seal(&self) -> bool {
        self.cipher.is_some()
    }

    pub fn seal(&self, plain: &str) -> Result<String, SealError> {
        let cipher = self.cipher.as_ref().ok_or(SealError::NoKey)?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| SealError::Unreadable)?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    pub fn open(&self, sealed: &str) -> Result<SecretString, SealError> {
        let cipher = self.cipher.as_ref().ok_or(SealError::NoKey)?;
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SealError::Unreadable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| SealError::Unreadable)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SealError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> Sealer {
        Sealer::new(Some(&SecretString::from(key.to_owned())))
    }

    #[test]
    fn round_trips_and_hides_the_key() {
        let s = sealer("0123456789abcdef0123456789abcdef");
        let sealed = s.seal("sk-live-123").expect("sealed");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("sk-live"));
        assert_ne!(
            sealed,
            s.seal("sk-live-123").expect("sealed"),
            "fresh nonce"
        );
        assert_eq!(
            s.open(&sealed).expect("opened").expose_secret(),
            "sk-live-123"
        );
    }

    #[test]
    fn another_key_or_tampering_is_unreadable() {
        let sealed = sealer("0123456789abcdef0123456789abcdef")
            .seal("sk")
            .expect("sealed");
        let other = sealer("fedcba9876543210fedcba9876543210");
        assert_eq!(other.open(&sealed).err(), Some(SealError::Unreadable));
        // One bit of the authentication tag flipped (a changed character could decode to the
        // same byte, or be the same character: this always changes the sealed bytes).
        let mut bytes = STANDARD
            .decode(sealed.strip_prefix(PREFIX).expect("prefix"))
            .expect("base64");
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        let tampered = format!("{PREFIX}{}", STANDARD.encode(bytes));
        assert!(sealer("0123456789abcdef0123456789abcdef")
            .open(&tampered)
            .is_err());
        assert_eq!(Sealer::new(None).seal("x").err(), Some(SealError::NoKey));
    }
}
