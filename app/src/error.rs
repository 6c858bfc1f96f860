//! The one error type at the API edge.
//!
//! Policy: server modules use narrow `thiserror` enums and convert to `AppError` only where a
//! result leaves for the browser or an API client. An `AppError` carries a category (which fixes
//! the HTTP status), a message a business owner can act on, and optionally the form field it is
//! about. Internal causes are logged by the server and never put in `message`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Decodes, Encodes};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    /// An upload that is not a kind of file Replydesk reads.
    UnsupportedType,
    TooManyRequests,
    Unavailable,
    /// The browser could not reach the server at all (client side only).
    Network,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedType => 415,
            Self::TooManyRequests => 429,
            Self::Unavailable | Self::Network => 503,
            Self::Internal => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    #[serde(rename = "error")]
    pub kind: ErrorKind,
    pub message: String,
    /// The form field the message is about, so the dashboard can show it beside that field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds until a throttled request may be tried again (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field: None,
            retry_after_s: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// A validation error about one form field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::bad_request(message)
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthorized, "Please log in to continue.")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn too_many_requests(message: impl Into<String>, retry_after_s: u64) -> Self {
        Self {
            retry_after_s: Some(retry_after_s),
            ..Self::new(ErrorKind::TooManyRequests, message)
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// Something went wrong that the owner cannot fix; the cause is in the server log.
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Internal,
            "Something went wrong on the server. Please try again; if it keeps happening, check the server log.",
        )
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The JSON body sent for this error, as the dashboard and API clients receive it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from(r#"{"error":"internal"}"#))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                Self::bad_request(format!("The request was not understood: {detail}"))
            }
            ServerFnErrorErr::Request(_) => Self::new(
                ErrorKind::Network,
                "Could not reach the server. Check your connection and try again.",
            ),
            // On the server, decoding fails only for a request's arguments: the caller's mistake.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(detail) => {
                Self::bad_request(format!("The request was not understood: {detail}"))
            }
            // In the browser, it is the server's answer that did not decode.
            #[cfg(not(feature = "ssr"))]
            ServerFnErrorErr::Deserialization(_) => Self::new(
                ErrorKind::Network,
                "The server sent an unexpected answer. Reload the page and try again.",
            ),
            _ => Self::internal(),
        }
    }

    fn ser(&self) -> Bytes {
        // The server encodes an error inside the request's reactive scope: this is the one place
        // that turns every error of every server function into its HTTP status (server_fn would
        // otherwise answer 500 for all of them).
        #[cfg(feature = "ssr")]
        crate::api::apply_error_status(self);
        <JsonEncoding as Encodes<Self>>::encode(self).unwrap_or_else(|_| Bytes::from_static(b"{}"))
    }

    fn de(data: Bytes) -> Self {
        <JsonEncoding as Decodes<Self>>::decode(data).unwrap_or_else(|_| Self::internal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_stable() {
        let err = AppError::invalid("email", "Enter a valid email address.");
        assert_eq!(
            err.to_json(),
            r#"{"error":"bad_request","message":"Enter a valid email address.","field":"email"}"#
        );
        let back: AppError = serde_json::from_str(&err.to_json()).expect("round trip");
        assert_eq!(back, err);
    }

    #[test]
    fn statuses_follow_kinds() {
        assert_eq!(AppError::unauthorized().status(), 401);
        assert_eq!(AppError::too_many_requests("slow down", 60).status(), 429);
        assert_eq!(AppError::internal().status(), 500);
    }
}
