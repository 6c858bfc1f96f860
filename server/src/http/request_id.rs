//! Every request gets an id: the `X-Request-Id` a proxy in front already gave it, or a new one. The id is in the request's span (`TraceLayer`, see `layer`), in the
//! answer's `X-Request-Id` header, and in every job the request enqueues (`telemetry`), so a
//! message can be followed from the webhook to the reply it got.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{
    DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse,
    TraceLayer,
};
use tracing::{Level, Span};

use crate::telemetry;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest id taken from a caller; anything else is replaced (a header is outside input).
const MAX_CHARS: usize = 64;

fn acceptable(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (!text.is_empty()
        && text.len() <= MAX_CHARS
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then(|| text.to_owned())
}

/// The header a proxy's own id is moved to, for the span.
const UPSTREAM: HeaderName = HeaderName::from_static("x-upstream-request-id");

/// Gives the request its id (before `layer`'s span reads it) and answers with it.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let upstream = req.headers_mut().remove(&HEADER);
    if let Some(upstream) = upstream.as_ref().and_then(acceptable) {
        if let Ok(value) = HeaderValue::from_str(&upstream) {
            req.headers_mut().insert(UPSTREAM, value);
        }
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(HEADER, value.clone());
    let mut response = telemetry::with_request_id(id, next.run(req)).await;
    response.headers_mut().insert(HEADER, value);
    response
}

/// The request's trace layer, as `layer` configures it.
pub type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
>;

/// The request's span: its id, method and path (never the query, which may hold a token).
/// Each answer is logged at debug level, server errors too: their causes are logged where
/// they happen (a database that is down would otherwise add an error per health probe).
pub fn layer() -> RequestTrace {
    fn span(req: &Request) -> Span {
        let header = |name: &HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        tracing::info_span!(
            "request",
            request_id = %header(&HEADER),
            upstream_id = %header(&UPSTREAM),
            method = %req.method(),
            path = %req.uri().path(),
        )
    }
    TraceLayer::new_for_http()
        .make_span_with(span as fn(&Request) -> Span)
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_failure(DefaultOnFailure::new().level(Level::DEBUG))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_id_is_taken_only_when_short_and_plain() {
        let ok = HeaderValue::from_static("a1b2-c3_d4.e5");
        assert_eq!(acceptable(&ok).as_deref(), Some("a1b2-c3_d4.e5"));
        for bad in ["", "has space", "quote\"", &"x".repeat(65)] {
            let value = HeaderValue::from_str(bad).expect("header");
            assert_eq!(acceptable(&value), None, "{bad:?}");
        }
    }
}
