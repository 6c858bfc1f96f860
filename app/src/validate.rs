//! Validation shared by the dashboard (instant feedback) and the server (the rule that counts).

use crate::error::AppError;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// argon2 is happy with long inputs, but hashing megabytes per login attempt is a denial of service.
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_BUSINESS_NAME_CHARS: usize = 120;

/// A syntactically plausible email address, trimmed and lower-cased.
pub fn email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let invalid = || {
        AppError::invalid(
            "email",
            "Enter a valid email address, like owner@example.com.",
        )
    };
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter your email address."));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c == '@');
    if local_ok && domain_ok {
        Ok(email)
    } else {
        Err(invalid())
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub fn new_password(field: &str, raw: &str) -> Result<(), AppError> {
    let chars = raw.chars().count();
    if chars == 0 {
        return Err(AppError::invalid(field, "Enter a password."));
    }
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

/// A password typed to log in or confirm: only bounded, never judged.
pub fn entered_password(field: &str, raw: &str) -> Result<(), AppError> {
    if raw.is_empty() {
        return Err(AppError::invalid(field, "Enter your password."));
    }
    if raw.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(field, "That password is too long."));
    }
    Ok(())
}

pub fn business_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "business_name",
            "Enter your business name.",
        ));
    }
    if name.chars().count() > MAX_BUSINESS_NAME_CHARS {
        return Err(AppError::invalid(
            "business_name",
            format!("Use at most {MAX_BUSINESS_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "business_name",
            "The name cannot contain control characters.",
        ));
    }
    Ok(name.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

impl Strength {
    pub fn label(self) -> &'static str {
        match self {
            Self::TooShort => "Too short",
            Self::Weak => "Weak: add words, digits or symbols",
            Self::Fair => "Fair",
            Self::Strong => "Strong",
        }
    }

    /// 0–3, for the meter's width and colour.
    pub fn level(self) -> u8 {
        self as u8
    }
}

/// A hint for the setup and change-password forms: length counts most, then variety, and a
/// single repeated character or an all-digit password is weak whatever its length.
pub fn password_strength(password: &str) -> Strength {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Strength::TooShort;
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 || password.chars().all(|c| c.is_ascii_digit()) {
        return Strength::Weak;
    }
    match (chars, classes) {
        (16.., 2..) | (12.., 3..) => Strength::Strong,
        (_, 2..) | (14.., _) => Strength::Fair,
        _ => Strength::Weak,
    }
}

/// Where to go after login: only a path on this site (never `//evil.example` or a full URL).
pub fn local_redirect(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login")
                && !path.starts_with("/setup") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("  Owner@Example.COM ").expect("valid"),
            "owner@example.com"
        );
        for bad in [
            "",
            "owner",
            "owner@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@ex..com",
            "a@.example.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(email(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn passwords() {
        assert_eq!(
            new_password("password", "")
                .expect_err("empty")
                .field
                .as_deref(),
            Some("password")
        );
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", "long enough pass").is_ok());
        assert!(new_password("password", &"x".repeat(257)).is_err());
        assert!(entered_password("password", "").is_err());
        assert!(entered_password("password", "x").is_ok());
    }

    #[test]
    fn strength() {
        assert_eq!(password_strength("abc"), Strength::TooShort);
        assert_eq!(password_strength("aaaaaaaaaaaa"), Strength::Weak);
        assert_eq!(password_strength("123456789012"), Strength::Weak);
        assert_eq!(password_strength("lowercaseonly"), Strength::Weak);
        assert_eq!(password_strength("Lowercase1234"), Strength::Strong);
        assert_eq!(password_strength("correct horse battery"), Strength::Strong);
    }

    #[test]
    fn redirects_stay_local() {
        assert_eq!(local_redirect(Some("/account")), "/account");
        assert_eq!(local_redirect(Some("//evil.example")), "/");
        assert_eq!(local_redirect(Some("https://evil.example")), "/");
        assert_eq!(local_redirect(Some("/login?next=/")), "/");
        assert_eq!(local_redirect(None), "/");
    }

    #[test]
    fn business_names() {
        assert_eq!(business_name("  Café Lima ").expect("valid"), "Café Lima");
        assert!(business_name(" ").is_err());
        assert!(business_name("a\u{0}b").is_err());
    }
}
