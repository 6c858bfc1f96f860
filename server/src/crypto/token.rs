//! Tokens a person copies by hand: the setup token, printed in the server's log so that only
//! whoever can read that log can create the first owner.

use rand::Rng;

/// Crockford's base32: no I, L, O or U, so nothing is misread when copied from a log.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Groups of 4 characters, 5 bits each: 6 × 4 × 5 = 120 bits, beyond guessing.
const GROUPS: usize = 6;
const GROUP_LEN: usize = 4;

/// A new token such as `7KQ2-M9XD-…` (six groups of four).
pub fn new_setup_token() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..GROUPS)
        .map(|_| {
            (0..GROUP_LEN)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The token as typed, in its canonical form: case, spaces and dashes do not matter, and
/// letters that are easily misread count as the digits they look like.
fn canonical(typed: &str) -> Vec<u8> {
    typed
        .bytes()
        .filter(|b| !matches!(b, b'-' | b' ' | b'\t'))
        .map(|b| match b.to_ascii_uppercase() {
            b'O' => b'0',
            b'I' | b'L' => b'1',
            other => other,
        })
        .take(64)
        .collect()
}

/// Whether `typed` is `expected`, compared in constant time.
pub fn matches(expected: &str, typed: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (expected, typed) = (canonical(expected), canonical(typed));
    !expected.is_empty() && expected.len() == typed.len() && bool::from(expected.ct_eq(&typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_fresh_and_readable() {
        let a = new_setup_token();
        assert_eq!(a.len(), GROUPS * GROUP_LEN + GROUPS - 1);
        assert!(a.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
        assert_ne!(a, new_setup_token());
    }

    #[test]
    fn typing_is_forgiven_but_nothing_else() {
        let token = "7KQ2-M9XD-AB01-ZZZZ-1234-5678";
        assert!(matches(token, token));
        assert!(matches(token, " 7kq2m9xd ab0i zzzz-1234-5678 "));
        assert!(matches(token, "7KQ2-M9XD-ABOL-ZZZZ-1234-5678"));
        assert!(!matches(token, "7KQ2-M9XD-AB01-ZZZZ-1234-567"));
        assert!(!matches(token, "7KQ2-M9XD-AB01-ZZZZ-1234-5679"));
        assert!(!matches(token, ""));
        assert!(!matches(token, &"7KQ2".repeat(10_000)));
        // A token that is somehow empty opens nothing.
        assert!(!matches("", ""));
        assert!(!matches("", "-"));
    }
}
