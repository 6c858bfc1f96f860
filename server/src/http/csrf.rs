//! Cross-site request refusal: a state-changing request that a browser says comes from another
//! site is refused. Requests without browser headers (curl, automation) are not cross-site
//! requests and pass; they still need the session cookie like everything else.

use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::respond;

/// The origin configured in `PUBLIC_URL`, if any (e.g. `https://support.example.com`).
#[derive(Clone, Default)]
pub struct AllowedOrigin(pub Option<String>);

pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigin>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if is_same_site(req.headers(), allowed.0.as_deref()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site request refused");
    respond(&AppError::forbidden(
        "This request came from another website and was refused.",
    ))
}

fn is_same_site(headers: &HeaderMap, public: Option<&str>) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match header(ORIGIN.as_str()) {
        Some(origin) => is_own_origin(origin, header(HOST.as_str()), public),
        // No Origin: fall back on the fetch metadata browsers send.
        None => header("sec-fetch-site") != Some("cross-site"),
    }
}

fn is_own_origin(origin: &str, host: Option<&str>, public: Option<&str>) -> bool {
    if public.is_some_and(|p| p.trim_end_matches('/') == origin) {
        return true;
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::is_own_origin;

    #[test]
    fn origins() {
        assert!(is_own_origin(
            "http://localhost:3000",
            Some("localhost:3000"),
            None
        ));
        assert!(is_own_origin(
            "https://support.example.com",
            Some("internal:8080"),
            Some("https://support.example.com/")
        ));
        assert!(!is_own_origin(
            "https://evil.example",
            Some("localhost:3000"),
            None
        ));
        assert!(!is_own_origin("null", Some("localhost:3000"), None));
        assert!(!is_own_origin(
            "http://localhost:3000.evil.example",
            Some("localhost:3000"),
            None
        ));
    }
}
