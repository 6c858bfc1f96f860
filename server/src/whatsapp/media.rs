//! Inbound media: a job per photo, voice note, video, document or sticker, downloaded in Meta's
//! two steps into `DATA_DIR/media/`, size-capped while streaming and checked against its hash.

use std::path::{Path, PathBuf};

use app::model::Change;
use base64::Engine as _;
use futures::StreamExt;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::client::{ErrorClass, GraphClient, GraphError};
use crate::config::MediaLimits;
use crate::db::messages;
use crate::jobs::{Job, JobContext, JobError};
use crate::realtime::Bus;

use crate::jobs::kinds::DownloadMedia;

/// Why one download attempt failed.
enum Failure {
    /// Try again later.
    Retry(String),
    /// Will not work: shown on the message.
    Permanent(String),
}

/// Whether `path` is one this server gives a downloaded file: `media/<name>`, the name a
/// plain file name (no folders, no `..`, nothing hidden).
pub fn is_media_path(path: &str) -> bool {
    path.strip_prefix("media/").is_some_and(|name| {
        !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            && !name.contains("..")
    })
}

/// The most one download may write, and which limit that is (for the note on the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cap {
    bytes: u64,
    limit: &'static str,
}

impl Cap {
    fn tightest(limits: &MediaLimits, used_total: u64, used_customer: u64) -> Self {
        [
            Cap {
                bytes: limits.file_bytes,
                limit: "the size limit for one file (WHATSAPP_MEDIA_MAX_MB)",
            },
            Cap {
                bytes: limits.total_bytes.saturating_sub(used_total),
                limit: "the space for customers' files (WHATSAPP_MEDIA_TOTAL_MB)",
            },
            Cap {
                bytes: limits.customer_bytes.saturating_sub(used_customer),
                limit:
                    "this customer's share of the space for files (WHATSAPP_MEDIA_PER_CUSTOMER_MB)",
            },
        ]
        .into_iter()
        .min_by_key(|cap| cap.bytes)
        .unwrap_or(Cap {
            bytes: 0,
            limit: "the size limit",
        })
    }

    fn check(&self, size: Option<u64>) -> Result<(), Failure> {
        match size {
            Some(size) if size > self.bytes => Err(Failure::Permanent(format!(
                "it is {} MB, more than {} allows ({} MB left)",
                size.div_ceil(1024 * 1024),
                self.limit,
                self.bytes / (1024 * 1024)
            ))),
            _ => Ok(()),
        }
    }
}

#[derive(Clone)]
pub struct MediaDownloads {
    db: DatabaseConnection,
    bus: Bus,
    client: GraphClient,
    data_dir: PathBuf,
    limits: MediaLimits,
}

/// Whether `digest` matches what Meta said: hex in media look-ups, base64 in webhooks.
fn same_hash(digest: &[u8], expected: &str) -> bool {
    let expected = expected.trim();
    hex::encode(digest).eq_ignore_ascii_case(expected)
        || base64::engine::general_purpose::STANDARD.encode(digest) == expected
}

fn extension(mime: Option<&str>) -> &'static str {
    match mime
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
    {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

fn classify(e: &GraphError) -> Failure {
    match e.class() {
        ErrorClass::Retry { .. } => Failure::Retry(e.to_string()),
        ErrorClass::TokenInvalid => Failure::Permanent(
            "The WhatsApp access token is invalid or expired; replace WHATSAPP_ACCESS_TOKEN."
                .into(),
        ),
        ErrorClass::Permanent => Failure::Permanent(format!("WhatsApp refused the download: {e}")),
    }
}

impl MediaDownloads {
    pub fn new(
        db: DatabaseConnection,
        bus: Bus,
        client: GraphClient,
        data_dir: &Path,
        limits: MediaLimits,
    ) -> Self {
        Self {
            db,
            bus,
            client,
            data_dir: data_dir.to_path_buf(),
            limits,
        }
    }

    /// The job.
    pub async fn run(&self, job: DownloadMedia, ctx: JobContext) -> Result<(), JobError> {
        let Some(message) = messages::by_id(&self.db, job.message_id).await? else {
            return Ok(()); // erased since
        };
        let Some(media_id) = message.media_id.clone() else {
            return Ok(());
        };
        if message.media_status.as_deref() == Some("ready") {
            return Ok(());
        }
        let (used_total, used_customer) =
            messages::media_bytes_used(&self.db, message.conversation_id).await?;
        let cap = Cap::tightest(&self.limits, used_total, used_customer);
        let fetched = match cap.check(Some(1)) {
            // Nothing left at all: not even Meta is asked.
            Err(_) => Err(Failure::Permanent(format!(
                "it would go past {}",
                cap.limit
            ))),
            Ok(()) => {
                self.fetch(&media_id, message.media_sha256.as_deref(), message.id, cap)
                    .await
            }
        };
        match fetched {
            Ok((path, mime, size, sha)) => {
                self.finish(message.conversation_id, message.id, |txn| {
                    Box::pin(async move {
                        messages::media_ready(txn, job.message_id, &path, mime, size, &sha).await
                    })
                })
                .await
            }
            Err(Failure::Retry(reason)) if ctx.attempt < DownloadMedia::MAX_ATTEMPTS => {
                Err(JobError::Retry(reason))
            }
            Err(Failure::Retry(reason) | Failure::Permanent(reason)) => {
                let shown = format!("Could not download this file: {reason}");
                self.finish(message.conversation_id, message.id, |txn| {
                    Box::pin(
                        async move { messages::media_failed(txn, job.message_id, &shown).await },
                    )
                })
                .await?;
                Err(JobError::Permanent(reason))
            }
        }
    }

    /// Applies `update` and tells the dashboards, in one transaction.
    async fn finish<F>(
        &self,
        conversation_id: i32,
        message_id: i32,
        update: F,
    ) -> Result<(), JobError>
    where
        F: for<'t> FnOnce(
            &'t sea_orm::DatabaseTransaction,
        ) -> futures::future::BoxFuture<'t, Result<(), DbErr>>,
    {
        async {
            let txn = self.db.begin().await?;
            update(&txn).await?;
            let change = Change::MessageUpdated {
                conversation_id,
                message_id,
            };
            self.bus.commit(txn, vec![change]).await
        }
        .await
        .map_err(JobError::from)
    }

    /// Downloads into `media/` and returns (relative path, mime type, size, hex sha256).
    async fn fetch(
        &self,
        media_id: &str,
        webhook_sha: Option<&str>,
        message_id: i32,
        cap: Cap,
    ) -> Result<(String, Option<String>, i64, String), Failure> {
        let info = self
            .client
            .media_info(media_id)
            .await
            .map_err(|e| classify(&e))?;
        cap.check(info.file_size)?;
        let response = match self.client.download(&info.url).await {
            Ok(response) => response,
            // The URL lives 5 minutes: an expired one answers 404 (or 401/403). Ask again.
            Err(GraphError::Http {
                status: 401 | 403 | 404,
            }) => {
                let fresh = self
                    .client
                    .media_info(media_id)
                    .await
                    .map_err(|e| classify(&e))?;
                self.client
                    .download(&fresh.url)
                    .await
                    .map_err(|e| classify(&e))?
            }
            Err(e) => return Err(classify(&e)),
        };
        let mime = info.mime_type.clone().or_else(|| {
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let dir = self.data_dir.join("media");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Failure::Retry(format!("cannot create the media folder: {e}")))?;
        let name = format!(
            "{}.{}",
            uuid::Uuid::new_v4().simple(),
            extension(mime.as_deref())
        );
        let partial = dir.join(format!("{name}.part"));
        let result = stream_to(response, &partial, cap).await;
        let (size, digest) = match result {
            Ok(done) => done,
            Err(failure) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(failure);
            }
        };
        let expected = info.sha256.as_deref().or(webhook_sha);
        if let Some(expected) = expected.filter(|e| !e.is_empty()) {
            if !same_hash(&digest, expected) {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(Failure::Retry(
                    "the downloaded file does not match its checksum".into(),
                ));
            }
        }
        tokio::fs::rename(&partial, dir.join(&name))
            .await
            .map_err(|e| Failure::Retry(format!("cannot store the file: {e}")))?;
        tracing::info!(message = message_id, size, "media downloaded");
        Ok((format!("media/{name}"), mime, size, hex::encode(digest)))
    }
}

/// Streams the body to `path`, within `cap` (the announced size can be wrong or missing: the
/// cap holds while streaming). Returns the size and the sha256.
async fn stream_to(
    response: reqwest::Response,
    path: &Path,
    cap: Cap,
) -> Result<(i64, Vec<u8>), Failure> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| Failure::Retry(format!("cannot write the file: {e}")))?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| Failure::Retry(format!("download interrupted: {}", e.without_url())))?;
        size += chunk.len() as u64;
        cap.check(Some(size))?;
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| Failure::Retry(format!("cannot write the file: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| Failure::Retry(format!("cannot write the file: {e}")))?;
    Ok((
        i64::try_from(size).unwrap_or(i64::MAX),
        hasher.finalize().to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_in_hex_or_base64() {
        let digest = Sha256::digest(b"hello").to_vec();
        assert!(same_hash(&digest, &hex::encode(&digest)));
        assert!(same_hash(&digest, &hex::encode(&digest).to_uppercase()));
        assert!(same_hash(
            &digest,
            &base64::engine::general_purpose::STANDARD.encode(&digest)
        ));
        assert!(!same_hash(&digest, "abc"));
    }

    #[test]
    fn the_tightest_limit_caps_a_download_and_names_itself() {
        const MB: u64 = 1024 * 1024;
        let limits = MediaLimits {
            file_bytes: 100 * MB,
            total_bytes: 1000 * MB,
            customer_bytes: 200 * MB,
        };
        assert_eq!(Cap::tightest(&limits, 0, 0).bytes, 100 * MB);
        let customer = Cap::tightest(&limits, 0, 150 * MB);
        assert_eq!(customer.bytes, 50 * MB);
        let Err(Failure::Permanent(note)) = customer.check(Some(60 * MB)) else {
            panic!("a 60 MB file passed a 50 MB allowance");
        };
        assert!(note.contains("WHATSAPP_MEDIA_PER_CUSTOMER_MB"), "{note}");
        let full = Cap::tightest(&limits, 1000 * MB, 0);
        assert_eq!(full.bytes, 0);
        assert!(full.check(Some(1)).is_err());
        assert!(full.limit.contains("WHATSAPP_MEDIA_TOTAL_MB"));
    }

    #[test]
    fn media_paths_are_plain_names_in_the_media_folder() {
        assert!(is_media_path("media/0f3a.ogg"));
        for bad in [
            "media/../secret.key",
            "media/",
            "media/a/b.ogg",
            "knowledge/x",
            "/etc/passwd",
            "media/.hidden",
            "media/a..b",
        ] {
            assert!(!is_media_path(bad), "{bad}");
        }
    }

    #[test]
    fn extensions_from_mime_types() {
        assert_eq!(extension(Some("audio/ogg; codecs=opus")), "ogg");
        assert_eq!(extension(Some("image/jpeg")), "jpg");
        assert_eq!(extension(None), "bin");
    }
}
