//! Headers every answer carries: no framing, no sniffing, no referrer leaving the dashboard
//! (the setup link carries its token), a default Content-Security-Policy for whatever does not
//! set its own (pages set theirs with a nonce, customer media a sandbox), and HSTS when the
//! public address is https.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Nothing loads, runs or frames: right for JSON, files and anything unforeseen.
const DEFAULT_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Two years, the preload lists' minimum; subdomains are the owner's business, not ours.
const HSTS: &str = "max-age=63072000";

#[derive(Clone, Copy)]
pub struct SecurityHeaders {
    /// Whether `PUBLIC_URL` is https (then browsers are told to never use plain http).
    pub https: bool,
}

pub async fn add(State(policy): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if policy.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
