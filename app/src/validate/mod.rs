//! Validation shared by the dashboard (instant feedback) and the server (the rule that counts).

use crate::error::AppError;
use crate::model::{is_file_kind, DocumentMeta, EntryInput};

mod ai;
mod inbox;
mod webhook;
pub use ai::*;
pub use inbox::*;
pub use webhook::*;

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
/// Browsers drop tabs and line breaks from addresses and read a backslash as `/`, so a path with any
/// control character, whitespace or backslash is refused: `/\t/evil.example` is not local.
pub fn local_redirect(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
                && !path.starts_with("/login")
                && !path.starts_with("/setup") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_CATEGORY_CHARS: usize = 60;
pub const MAX_TAGS: usize = 12;
pub const MAX_TAG_CHARS: usize = 40;
pub const MAX_ENTRY_CHARS: usize = 20_000;
pub const MAX_QUERY_CHARS: usize = 500;

/// A document's title, category and tags, tidied: trimmed, an empty category dropped, tags
/// de-duplicated (case-insensitively) in their order.
pub fn document_meta(meta: &DocumentMeta) -> Result<DocumentMeta, AppError> {
    let title = meta.title.trim().to_owned();
    if title.is_empty() {
        return Err(AppError::invalid("title", "Enter a title."));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::invalid(
            "title",
            format!("Use at most {MAX_TITLE_CHARS} characters."),
        ));
    }
    let category = meta
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if category
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CATEGORY_CHARS)
    {
        return Err(AppError::invalid(
            "category",
            format!("Use at most {MAX_CATEGORY_CHARS} characters."),
        ));
    }
    let tags = tags(&meta.tags)?;
    Ok(DocumentMeta {
        title,
        category,
        tags,
    })
}

/// Tags tidied: trimmed, empty ones dropped, de-duplicated case-insensitively in their order.
pub fn tags(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(AppError::invalid(
                "tags",
                format!("Each tag can have at most {MAX_TAG_CHARS} characters."),
            ));
        }
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(AppError::invalid(
            "tags",
            format!("Use at most {MAX_TAGS} tags."),
        ));
    }
    Ok(tags)
}

/// Tags typed as one comma-separated line.
pub fn split_tags(line: &str) -> Vec<String> {
    line.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An FAQ pair or a note, tidied.
pub fn entry(input: &EntryInput) -> Result<EntryInput, AppError> {
    if is_file_kind(&input.kind) {
        return Err(AppError::invalid("kind", "Choose an FAQ pair or a note."));
    }
    let meta = document_meta(&DocumentMeta {
        title: input.title.clone(),
        category: input.category.clone(),
        tags: input.tags.clone(),
    })
    .map_err(|e| match (input.kind.as_str(), e.field.as_deref()) {
        ("faq", Some("title")) if input.title.trim().is_empty() => {
            AppError::invalid("title", "Enter the question.")
        }
        _ => e,
    })?;
    let body = input.body.trim().to_owned();
    if body.is_empty() {
        let what = if input.kind == "faq" {
            "the answer"
        } else {
            "the note"
        };
        return Err(AppError::invalid("body", format!("Enter {what}.")));
    }
    if body.chars().count() > MAX_ENTRY_CHARS {
        return Err(AppError::invalid(
            "body",
            format!("Use at most {MAX_ENTRY_CHARS} characters; upload longer texts as a file."),
        ));
    }
    Ok(EntryInput {
        kind: input.kind.clone(),
        title: meta.title,
        body,
        category: meta.category,
        tags: meta.tags,
    })
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
        assert_eq!(local_redirect(Some("/\t/evil.example")), "/");
        assert_eq!(local_redirect(Some("/\n/evil.example")), "/");
        assert_eq!(local_redirect(Some("/ /evil.example")), "/");
        assert_eq!(local_redirect(Some("/\\evil.example")), "/");
        assert_eq!(local_redirect(Some("/inbox?q=a%20b")), "/inbox?q=a%20b");
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

    #[test]
    fn document_meta_is_tidied_and_bounded() {
        use crate::model::DocumentMeta;
        let meta = document_meta(&DocumentMeta {
            title: "  Menu ".into(),
            category: Some("  ".into()),
            tags: vec![" Wine".into(), "wine".into(), "".into(), "Food".into()],
        })
        .expect("valid");
        assert_eq!(meta.title, "Menu");
        assert_eq!(meta.category, None);
        assert_eq!(meta.tags, ["Wine", "Food"]);
        let field = |m: DocumentMeta| document_meta(&m).expect_err("refused").field;
        assert_eq!(field(DocumentMeta::default()).as_deref(), Some("title"));
        assert_eq!(
            field(DocumentMeta {
                title: "x".into(),
                tags: (0..13).map(|i| i.to_string()).collect(),
                ..Default::default()
            })
            .as_deref(),
            Some("tags")
        );
        assert_eq!(split_tags("a, b ,,c"), ["a", "b", "c"]);
    }

    #[test]
    fn entries_need_their_parts() {
        use crate::model::EntryInput;
        let faq = |title: &str, body: &str| EntryInput {
            kind: "faq".into(),
            title: title.into(),
            body: body.into(),
            ..Default::default()
        };
        assert_eq!(
            entry(&faq("", "Yes")).expect_err("refused").message,
            "Enter the question."
        );
        assert_eq!(
            entry(&faq("Open?", " ")).expect_err("refused").message,
            "Enter the answer."
        );
        assert!(entry(&faq("Open?", "Yes")).is_ok());
        let bad_kind = EntryInput {
            kind: "pdf".into(),
            ..faq("a", "b")
        };
        assert_eq!(
            entry(&bad_kind).expect_err("refused").field.as_deref(),
            Some("kind")
        );
    }
}
