//! The Graph API client: sends, read receipts with the typing indicator, and media look-ups.
//!
//! One call is one HTTP request: retrying is the job queue's business, so a failed call comes back
//! classified ([`ErrorClass`]) by Meta's error code, as the reference's §11 recommends, instead of
//! by HTTP status.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

use super::credentials::Credentials;
use crate::config::WhatsAppConfig;

/// What to do about a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Temporary: try again, no sooner than `after` when Meta's code says how long.
    Retry { after: Option<Duration> },
    /// The access token is expired or revoked: nothing works until the owner replaces it.
    TokenInvalid,
    /// Will not succeed as it is (closed 24-hour window, bad parameters, blocked recipient …).
    Permanent,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    #[error("WhatsApp is not configured: set {0}")]
    NotConfigured(&'static str),
    #[error("WhatsApp refused the request: {title} (code {code})")]
    Api {
        code: i64,
        title: String,
        details: Option<String>,
        class: ErrorClass,
    },
    #[error("WhatsApp answered HTTP {status} without an error code")]
    Http { status: u16 },
    /// The connection was never made: nothing reached Meta.
    #[error("could not connect to WhatsApp: {0}")]
    Unreachable(String),
    /// Meta answered 200 with a body we could not read: the request was accepted.
    #[error("WhatsApp's answer could not be read: {0}")]
    Unreadable(&'static str),
    /// The request may have reached Meta (a timeout or reset after sending).
    #[error("no answer from WhatsApp: {0}")]
    Network(String),
}

fn transport(e: reqwest::Error) -> GraphError {
    let e = e.without_url();
    if e.is_connect() {
        GraphError::Unreachable(e.to_string())
    } else {
        GraphError::Network(e.to_string())
    }
}

impl GraphError {
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotConfigured(_) => ErrorClass::Permanent,
            Self::Api { class, .. } => *class,
            Self::Http { status } if *status == 429 || *status >= 500 => {
                ErrorClass::Retry { after: None }
            }
            Self::Http { .. } => ErrorClass::Permanent,
            Self::Unreachable(_) | Self::Network(_) | Self::Unreadable(_) => {
                ErrorClass::Retry { after: None }
            }
        }
    }

    /// Whether Meta may have accepted the message although no answer said so.
    pub fn maybe_delivered(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Unreadable(_))
    }
}

/// Meta's error codes, by what to do about them (reference §11).
pub fn classify(code: i64) -> ErrorClass {
    let minutes = |m: u64| ErrorClass::Retry {
        after: Some(Duration::from_secs(60 * m)),
    };
    match code {
        // Throughput of the number, or temporary trouble: back off and retry.
        130429 | 1 | 2 | 131000 | 131016 | 133004 => ErrorClass::Retry { after: None },
        // Pair rate limit: one message per 6 s to the same user.
        131056 => ErrorClass::Retry {
            after: Some(Duration::from_secs(6)),
        },
        // App / WABA rate limits and the number's throughput upgrade: minutes.
        4 | 80007 | 131057 => minutes(1),
        190 => ErrorClass::TokenInvalid,
        _ => ErrorClass::Permanent,
    }
}

/// What a message is. Stored with an outbound message until it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
        preview_url: bool,
    },
    Media {
        /// image, audio, video, document or sticker
        kind: String,
        /// An uploaded media id, or a public https link.
        id: Option<String>,
        link: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
    },
    Template {
        name: String,
        language: String,
        components: Value,
    },
}

impl Content {
    /// Only templates may be sent outside the 24-hour customer-service window.
    pub fn is_template(&self) -> bool {
        matches!(self, Self::Template { .. })
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The customer's WhatsApp id (a phone number's digits, or a username user's id).
    pub to: String,
    pub content: Content,
    /// Quote this message (the customer's wamid).
    pub reply_to: Option<String>,
    /// Echoed back by Meta in this message's status webhooks.
    pub callback: Option<String>,
}

impl Outgoing {
    /// The request body (reference §7).
    pub fn body(&self) -> Value {
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual"});
        if self.to.bytes().all(|b| b.is_ascii_digit()) {
            // With the '+', Meta never prepends the business number's country code.
            body["to"] = json!(format!("+{}", self.to));
        } else {
            body["recipient"] = json!(self.to);
        }
        match &self.content {
            Content::Text {
                body: text,
                preview_url,
            } => {
                body["type"] = json!("text");
                body["text"] = json!({"body": text, "preview_url": preview_url});
            }
            Content::Media {
                kind,
                id,
                link,
                caption,
                filename,
            } => {
                let mut media = json!({});
                if let Some(id) = id {
                    media["id"] = json!(id);
                } else if let Some(link) = link {
                    media["link"] = json!(link);
                }
                if let Some(caption) = caption {
                    media["caption"] = json!(caption);
                }
                if let Some(filename) = filename {
                    media["filename"] = json!(filename);
                }
                body["type"] = json!(kind);
                body[kind.as_str()] = media;
            }
            Content::Template {
                name,
                language,
                components,
            } => {
                body["type"] = json!("template");
                body["template"] = json!({
                    "name": name,
                    "language": {"policy": "deterministic", "code": language},
                    "components": components,
                });
            }
        }
        if let Some(reply_to) = &self.reply_to {
            body["context"] = json!({"message_id": reply_to});
        }
        if let Some(callback) = &self.callback {
            body["biz_opaque_callback_data"] = json!(callback);
        }
        body
    }
}

/// `GET /{media-id}`: where to download an inbound file, for 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// A WhatsApp business phone number, as the Graph API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    pub display: String,
    pub verified_name: Option<String>,
    pub quality: Option<String>,
}

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: Url,
    /// Read at each call: the owner can change them while the server runs.
    credentials: Credentials,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<i64>,
    message: Option<String>,
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

impl GraphClient {
    /// A client with the environment's credentials only.
    pub fn new(config: &WhatsAppConfig) -> Result<Self, GraphError> {
        Self::with_credentials(Credentials::from_env(config))
    }

    pub fn with_credentials(credentials: Credentials) -> Result<Self, GraphError> {
        let http = crate::crypto::http_client()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("Replydesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            base: credentials.env().graph_url.clone(),
            credentials,
        })
    }

    fn token(&self) -> Result<SecretString, GraphError> {
        self.credentials
            .current()
            .access_token
            .ok_or(GraphError::NotConfigured("WHATSAPP_ACCESS_TOKEN"))
    }

    fn url(&self, tail: &str) -> Result<Url, GraphError> {
        self.base
            .join(&format!(
                "{}/{tail}",
                self.credentials.current().api_version
            ))
            .map_err(|_| GraphError::NotConfigured("WHATSAPP_GRAPH_URL"))
    }

    fn phone_number_id(&self) -> Result<String, GraphError> {
        self.credentials
            .current()
            .phone_number_id
            .ok_or(GraphError::NotConfigured("WHATSAPP_PHONE_NUMBER_ID"))
    }

    /// The configured phone number as Meta knows it: proves the token, the number id and the
    /// API version work together (Settings' "check connection").
    pub async fn phone_number(&self) -> Result<PhoneNumber, GraphError> {
        let mut url = self.url(&self.phone_number_id()?)?;
        url.query_pairs_mut().append_pair(
            "fields",
            "display_phone_number,verified_name,quality_rating",
        );
        let answer = Self::read(self.get(url.as_str()).await?).await?;
        let text = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(PhoneNumber {
            display: text("display_phone_number")
                .ok_or(GraphError::Unreadable("no phone number"))?,
            verified_name: text("verified_name"),
            quality: text("quality_rating"),
        })
    }

    fn messages_url(&self) -> Result<Url, GraphError> {
        self.url(&format!("{}/messages", self.phone_number_id()?))
    }

    /// Sends a message; returns the WhatsApp id Meta gives it (acceptance, not delivery).
    pub async fn send(&self, message: &Outgoing) -> Result<String, GraphError> {
        let answer = self.post(self.messages_url()?, &message.body()).await?;
        answer
            .pointer("/messages/0/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(GraphError::Unreadable("no message id"))
    }

    /// Marks `wamid` (and everything before it) read; with `typing`, shows the typing indicator
    /// for up to 25 s or until the reply.
    pub async fn mark_read(&self, wamid: &str, typing: bool) -> Result<(), GraphError> {
        let mut body =
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        if typing {
            body["typing_indicator"] = json!({"type": "text"});
        }
        self.post(self.messages_url()?, &body).await.map(|_| ())
    }

    /// Step one of a media download.
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, GraphError> {
        let answer = Self::read(self.get(self.url(media_id)?.as_str()).await?).await?;
        let size = answer.get("file_size").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        Ok(MediaInfo {
            url: answer
                .get("url")
                .and_then(Value::as_str)
                .ok_or(GraphError::Unreadable("no download URL"))?
                .to_owned(),
            mime_type: answer
                .get("mime_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
            sha256: answer
                .get("sha256")
                .and_then(Value::as_str)
                .map(str::to_owned),
            file_size: size,
        })
    }

    /// Step two: the file itself, with the same bearer token. The URL carries credentials and
    /// is never logged.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response, GraphError> {
        let response = self.get(url).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(GraphError::Http {
                status: response.status().as_u16(),
            })
        }
    }

    /// A GET with the bearer token; the answer as it came.
    async fn get(&self, url: &str) -> Result<reqwest::Response, GraphError> {
        self.http
            .get(url)
            .bearer_auth(self.token()?.expose_secret())
            .send()
            .await
            .map_err(transport)
    }

    async fn post(&self, url: Url, body: &Value) -> Result<Value, GraphError> {
        let response = self
            .http
            .post(url)
            .bearer_auth(self.token()?.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        Self::read(response).await
    }

    async fn read(response: reqwest::Response) -> Result<Value, GraphError> {
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|_| GraphError::Unreadable("not JSON"));
        }
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(ErrorBody { error }) if error.code.is_some() => {
                let code = error.code.unwrap_or_default();
                Err(GraphError::Api {
                    code,
                    title: error.message.unwrap_or_default(),
                    details: error.error_data.and_then(|d| d.details),
                    class: classify(code),
                })
            }
            _ => Err(GraphError::Http {
                status: status.as_u16(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_as_the_reference_says() {
        assert_eq!(classify(130429), ErrorClass::Retry { after: None });
        assert_eq!(
            classify(131056),
            ErrorClass::Retry {
                after: Some(Duration::from_secs(6))
            }
        );
        assert_eq!(
            classify(80007),
            ErrorClass::Retry {
                after: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(classify(190), ErrorClass::TokenInvalid);
        for permanent in [131047, 131026, 100, 131051, 132000, 368] {
            assert_eq!(classify(permanent), ErrorClass::Permanent, "{permanent}");
        }
        assert_eq!(
            GraphError::Http { status: 503 }.class(),
            ErrorClass::Retry { after: None }
        );
        assert_eq!(
            GraphError::Http { status: 400 }.class(),
            ErrorClass::Permanent
        );
        assert_eq!(
            GraphError::Network("reset".into()).class(),
            ErrorClass::Retry { after: None }
        );
        // Accepted but unreadable: may have been sent, so never resent blindly.
        assert!(GraphError::Unreadable("no message id").maybe_delivered());
        assert!(!GraphError::Http { status: 503 }.maybe_delivered());
    }

    #[test]
    fn bodies_follow_the_reference() {
        let text = Outgoing {
            to: "5511987654321".into(),
            content: Content::Text {
                body: "Saiu para entrega".into(),
                preview_url: true,
            },
            reply_to: Some("wamid.in".into()),
            callback: Some("message:7".into()),
        };
        assert_eq!(
            text.body(),
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+5511987654321",
                   "type": "text", "text": {"body": "Saiu para entrega", "preview_url": true},
                   "context": {"message_id": "wamid.in"}, "biz_opaque_callback_data": "message:7"})
        );
        let username = Outgoing {
            to: "US.1349".into(),
            reply_to: None,
            callback: None,
            ..text
        };
        assert_eq!(username.body()["recipient"], "US.1349");
        assert!(username.body().get("to").is_none());
        let media = Outgoing {
            to: "1".into(),
            content: Content::Media {
                kind: "document".into(),
                id: Some("m1".into()),
                link: None,
                caption: None,
                filename: Some("a.pdf".into()),
            },
            reply_to: None,
            callback: None,
        };
        assert_eq!(
            media.body()["document"],
            json!({"id": "m1", "filename": "a.pdf"})
        );
        let template = Outgoing {
            to: "1".into(),
            content: Content::Template {
                name: "order_update".into(),
                language: "de".into(),
                components: json!([]),
            },
            reply_to: None,
            callback: None,
        };
        assert!(template.content.is_template());
        assert_eq!(
            template.body()["template"]["language"],
            json!({"policy": "deterministic", "code": "de"})
        );
    }
}
