//! Secrets at rest (the WhatsApp token and app secret, AI provider keys): XChaCha20-Poly1305
//! under a key derived from the server's secret key (`SECRET_KEY`, or the generated key file).
//!
//! Stored as `v1:<base64(nonce ‖ ciphertext)>`. A database dump or a backup without the key
//! reveals nothing; a secret sealed under another key is unreadable (the owner enters it again),
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
    #[error("the stored secret cannot be read with this server's secret key; enter it again")]
    Unreadable,
}

fn cipher(secret_key: &SecretString) -> XChaCha20Poly1305 {
    // Domain-separated, so the same SECRET_KEY used elsewhere yields a different key.
    let digest = Sha256::new()
        .chain_update(b"replydesk provider keys v1\0")
        .chain_update(secret_key.expose_secret().as_bytes())
        .finalize();
    XChaCha20Poly1305::new(&digest)
}

/// Seals with one key; opens with it or with an earlier one.
#[derive(Clone)]
pub struct Sealer {
    current: XChaCha20Poly1305,
    /// Keys secrets may still be sealed with: the generated key file once `SECRET_KEY` is set,
    /// so setting the variable later loses nothing.
    earlier: Vec<XChaCha20Poly1305>,
}

impl Sealer {
    pub fn new(secret_key: &SecretString) -> Self {
        Self {
            current: cipher(secret_key),
            earlier: Vec::new(),
        }
    }

    /// Also opens secrets sealed with `key`.
    pub fn also_opening(mut self, key: &SecretString) -> Self {
        self.earlier.push(cipher(key));
        self
    }

    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption fails only for inputs of gigabytes; everything sealed here is a short key.
        let sealed = self
            .current
            .encrypt(&nonce, plain.as_bytes())
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    pub fn open(&self, sealed: &str) -> Result<SecretString, SealError> {
        self.open_telling(sealed).map(|(plain, _)| plain)
    }

    /// `None` when `sealed` is sealed with the current key; the same secret sealed with it when
    /// only an earlier key opens it (so that earlier key is no longer needed once stored).
    pub fn reseal(&self, sealed: &str) -> Result<Option<String>, SealError> {
        let (plain, current) = self.open_telling(sealed)?;
        Ok((!current).then(|| self.seal(plain.expose_secret())))
    }

    /// The secret, and whether the current key (not an earlier one) opened it.
    fn open_telling(&self, sealed: &str) -> Result<(SecretString, bool), SealError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SealError::Unreadable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let (n, plain) = std::iter::once(&self.current)
            .chain(&self.earlier)
            .enumerate()
            .find_map(|(n, cipher)| {
                cipher
                    .decrypt(XNonce::from_slice(nonce), body)
                    .ok()
                    .map(|plain| (n, plain))
            })
            .ok_or(SealError::Unreadable)?;
        let plain = String::from_utf8(plain).map_err(|_| SealError::Unreadable)?;
        Ok((SecretString::from(plain), n == 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> Sealer {
        Sealer::new(&SecretString::from(key.to_owned()))
    }

    #[test]
    fn round_trips_and_hides_the_key() {
        let s = sealer("0123456789abcdef0123456789abcdef");
        let sealed = s.seal("sk-live-123");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("sk-live"));
        assert_ne!(sealed, s.seal("sk-live-123"), "fresh nonce");
        assert_eq!(
            s.open(&sealed).expect("opened").expose_secret(),
            "sk-live-123"
        );
    }

    #[test]
    fn another_key_or_tampering_is_unreadable() {
        let sealed = sealer("0123456789abcdef0123456789abcdef").seal("sk");
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
        assert!(sealer("0123456789abcdef0123456789abcdef")
            .open("v1:AAAA")
            .is_err());
    }

    #[test]
    fn an_earlier_key_still_opens_what_it_sealed() {
        let generated = SecretString::from("a generated key, kept in secret.key".to_owned());
        let old = Sealer::new(&generated).seal("EAAG-token");
        let now = sealer("the SECRET_KEY set later, 32 characters").also_opening(&generated);
        assert_eq!(
            now.open(&old).expect("opened").expose_secret(),
            "EAAG-token"
        );
        // What it seals from now on needs the new key.
        let new = now.seal("EAAG-token");
        assert!(Sealer::new(&generated).open(&new).is_err());
        // Resealing: nothing to do for the new key's, a new sealing for the old key's.
        assert_eq!(now.reseal(&new), Ok(None));
        let resealed = now.reseal(&old).expect("opened").expect("resealed");
        let only_new = sealer("the SECRET_KEY set later, 32 characters");
        assert_eq!(
            only_new.open(&resealed).expect("opened").expose_secret(),
            "EAAG-token"
        );
        assert!(now.reseal("v1:garbage").is_err());
    }
}
