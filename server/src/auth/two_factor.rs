//! Two-step sign-in: a time-based code from the owner's authenticator app (TOTP, RFC 6238:
//! SHA-1, 6 digits, 30-second steps, one step of clock drift either way), or one of ten
//! single-use recovery codes.
//!
//! A code is accepted once: the step it belongs to is stored and only a later step passes, so
//! a code seen over the owner's shoulder cannot be replayed. Recovery codes are stored as
//! SHA-256 hashes (each carries 50 bits of randomness: a slow hash adds nothing).

use base64::Engine as _;
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, Totp};

/// The name an authenticator app shows above the code.
pub const ISSUER: &str = "Replydesk";
const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;
/// Recovery codes are written in this alphabet (no look-alikes), 10 characters in two groups.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("the authenticator key is not valid")]
    BadSecret,
    #[error("the QR code could not be drawn: {0}")]
    Qr(String),
}

fn totp(secret_base32: &str, account: &str) -> Result<Totp, TwoFactorError> {
    let secret = Secret::try_from_base32(secret_base32).map_err(|_| TwoFactorError::BadSecret)?;
    if secret.len() < 16 {
        return Err(TwoFactorError::BadSecret);
    }
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER.to_owned()))
        .with_account_name(account.replace(':', ""))
        .build()
        .map_err(|_| TwoFactorError::BadSecret)
}

/// Whether `secret_base32` is a key this module accepts (base32, at least 128 bits, at most
/// 128 characters: a key from [`new_secret`] is 32).
pub fn is_secret(secret_base32: &str) -> bool {
    secret_base32.len() <= 128 && totp(secret_base32, "owner").is_ok()
}

/// A new random secret (160 bits, as RFC 4226 recommends), base32 as apps take it.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::thread_rng().gen();
    Secret::from(bytes).to_base32()
}

/// What the Account page shows to add the secret to an app: the `otpauth://` address and a
/// QR code of it (an SVG as a data: URL, drawn here so the page loads nothing).
pub fn enrolment(secret_base32: &str, account: &str) -> Result<(String, String), TwoFactorError> {
    let url = totp(secret_base32, account)?
        .to_url()
        .map_err(|e| TwoFactorError::Qr(e.to_string()))?;
    let svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| TwoFactorError::Qr(e.to_string()))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let data_url = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    Ok((url, data_url))
}

/// The time step `code` belongs to (the current one, or one either side), if it is right.
pub fn matching_step(secret_base32: &str, code: &str, now_unix: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The caller takes each step once (see `owners::take_totp_step`): the library does not.
    totp(secret_base32, "owner")
        .ok()?
        .check(&code, now_unix)
        .and_then(|step| i64::try_from(step).ok())
}

/// Ten new recovery codes (as shown to the owner, once) and their hashes (as stored).
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut code: String = (0..10)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            code.insert(5, '-');
            code
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// The stored form of a recovery code as typed: case, spaces and dashes do not matter.
pub fn recovery_hash(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Whether `typed` looks like a recovery code rather than a 6-digit code.
pub fn is_recovery_code(typed: &str) -> bool {
    typed.chars().filter(char::is_ascii_alphanumeric).count() == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890", 8 digits there; the
    /// last 6 digits are the 6-digit code.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            let code = &eight_digits[2..];
            assert_eq!(
                matching_step(&secret, code, time),
                Some((time / 30) as i64),
                "{time}"
            );
        }
    }

    #[test]
    fn a_code_is_good_for_one_step_either_side_only() {
        let secret = new_secret();
        let totp = totp(&secret, "owner@example.com").expect("totp");
        let now = 1_900_000_000;
        let code = totp.generate(now).to_string();
        assert!(matching_step(&secret, &code, now + 30).is_some());
        assert!(matching_step(&secret, &code, now - 30).is_some());
        assert!(matching_step(&secret, &code, now + 90).is_none());
        for wrong in ["", "12345", "1234567", "abcdef", "000000 0"] {
            assert!(matching_step(&secret, wrong, now).is_none(), "{wrong}");
        }
        assert!(matching_step("not base32!", "123456", now).is_none());
        assert!(is_secret(&secret));
        for bad in ["", "not base32!", "AAAA", &"A".repeat(200)] {
            assert!(!is_secret(bad), "{bad}");
        }
    }

    #[test]
    fn recovery_codes_are_random_and_typed_loosely() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_ne!(codes[0], codes[1]);
        assert!(is_recovery_code(&codes[0]));
        assert!(!is_recovery_code("123456"));
        assert_eq!(
            recovery_hash(&codes[3].to_uppercase().replace('-', " ")),
            hashes[3]
        );
    }

    #[test]
    fn enrolment_gives_an_address_and_a_picture() {
        let (url, picture) = enrolment(&new_secret(), "owner@example.com").expect("enrolment");
        assert!(
            url.starts_with("otpauth://totp/Replydesk:owner%40example.com?"),
            "{url}"
        );
        assert!(picture.starts_with("data:image/svg+xml;base64,"));
    }
}
