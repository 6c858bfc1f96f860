//! Finding passages by meaning as well as by words: when the owner's provider can embed text
//! (OpenAI, OpenRouter, or any OpenAI-compatible server with a named embeddings model), every
//! passage is embedded once — stored in the database, embedded again when the model changes,
//! in batches, each call in the usage ledger — and a question is matched against them by
//! cosine similarity. The engine fuses that ranking with the words' (reciprocal rank fusion).
//! Without such a provider nothing here runs and retrieval is by words alone.
//!
//! The vectors live in memory as well (loaded on first use, reloaded when the stored set
//! changes): a brute-force scan of 10,000 passages × 512 dimensions takes about a millisecond.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::AiBehaviour;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Mutex, RwLock};

use super::provider::{Link, Providers};
use super::{pricing, saved};
use crate::config::AiConfig;
use crate::crypto::seal::Sealer;
use crate::db::embeddings;
use crate::db::llm_usage::{self, NewUsage};
use crate::jobs::kinds::EmbedPassages;
use crate::jobs::{JobContext, JobError};

/// Passages per embeddings call.
const BATCH: u64 = 64;
/// Batches per job run; the job comes back for the rest (other jobs get their turn).
const BATCHES_PER_RUN: usize = 20;
/// The longest text embedded, in characters (passages are far shorter; a question is cut).
const MAX_INPUT_CHARS: usize = 6000;
/// One batch's call may take this long.
const BATCH_TIMEOUT: Duration = Duration::from_secs(60);
/// A question's call may take this long before the answer goes on by words alone.
const QUESTION_TIMEOUT: Duration = Duration::from_secs(5);
/// The most vector numbers held in memory (256 MB of `f32`: about 130,000 passages at 512
/// dimensions); beyond it questions are matched by words only, and the log says why.
const MAX_LOADED_FLOATS: usize = 64 * 1024 * 1024;
/// Passages the meaning ranking contributes.
pub const DENSE_CANDIDATES: usize = 30;
/// Cosine similarities mapped to relevance 0..1: at or below LOW nothing in common, at or
/// above HIGH the passage answers. Set for OpenAI's text-embedding-3 models, whose related
/// question–passage pairs score 0.45–0.7 and unrelated ones below 0.25.
const LOW: f32 = 0.25;
const HIGH: f32 = 0.5;

/// The provider and model that embed, if any.
#[derive(Debug, Clone)]
pub struct Embedder {
    pub link: Link,
    pub model: String,
}

/// The usual embeddings model of a kind of provider.
fn usual_model(kind: &str) -> Option<&'static str> {
    match kind {
        "openai" => Some("text-embedding-3-small"),
        "openrouter" => Some("openai/text-embedding-3-small"),
        _ => None,
    }
}

/// The first link of the chain that can embed: with the model the owner named (any provider
/// but Anthropic, which has no embeddings), or its kind's usual one.
pub fn choose(chain: &[Link], behaviour: &AiBehaviour) -> Option<Embedder> {
    if !behaviour.meaning_search {
        return None;
    }
    let named = behaviour.embedding_model.trim();
    chain.iter().find_map(|link| {
        let model = if named.is_empty() {
            usual_model(&link.kind)?.to_owned()
        } else if link.kind == "anthropic" {
            return None;
        } else {
            named.to_owned()
        };
        Some(Embedder {
            link: link.clone(),
            model,
        })
    })
}

/// Relevance of a cosine similarity (see [`LOW`], [`HIGH`]).
pub fn relevance(cosine: f32) -> f32 {
    ((cosine - LOW) / (HIGH - LOW)).clamp(0.0, 1.0)
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_INPUT_CHARS).collect()
}

/// The stored vectors of one model, unit length, one after another.
struct Loaded {
    model: String,
    signature: (i64, i32),
    dims: usize,
    ids: Vec<i32>,
    vectors: Vec<f32>,
}

/// A question's call: its vector and what it cost.
pub struct QuestionVector {
    pub vector: Option<Vec<f32>>,
    pub usage: NewUsage,
}

/// Embeddings: the job that fills them and the ranking that reads them. Cheap to clone.
#[derive(Clone)]
pub struct Meaning {
    db: DatabaseConnection,
    providers: Providers,
    env: AiConfig,
    sealer: Sealer,
    loaded: Arc<RwLock<Option<Loaded>>>,
    /// One run of the job at a time in this process: two would embed the same passages.
    running: Arc<Mutex<()>>,
}

impl Meaning {
    pub fn new(
        db: DatabaseConnection,
        providers: Providers,
        env: AiConfig,
        sealer: Sealer,
    ) -> Self {
        Self {
            db,
            providers,
            env,
            sealer,
            loaded: Arc::default(),
            running: Arc::default(),
        }
    }

    /// The embedder the current settings give, if any.
    pub async fn embedder(&self) -> Result<Option<Embedder>, DbErr> {
        let behaviour = saved::behaviour(&self.db).await?;
        let chain = saved::effective_chain(&self.db, &self.env, &self.sealer).await?;
        Ok(choose(&chain, &behaviour))
    }

    async fn usage_row(
        &self,
        e: &Embedder,
        tokens: u32,
        latency: Duration,
        error: Option<String>,
    ) -> Result<NewUsage, DbErr> {
        let prices = saved::prices(&self.db).await?;
        Ok(NewUsage {
            message_id: None,
            conversation_id: None,
            purpose: "embedding",
            provider: e.link.kind.clone(),
            model: e.model.clone(),
            tokens_in: tokens,
            tokens_out: 0,
            cost_micros: pricing::cost_micros(&prices, &e.model, tokens, 0),
            latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
            error,
        })
    }

    /// The job: embeds passages that have no vector from the current model.
    pub async fn run(&self, _job: EmbedPassages, _ctx: JobContext) -> Result<(), JobError> {
        let Ok(_running) = self.running.try_lock() else {
            // Another run is embedding; come back once it has moved on.
            return Err(JobError::Defer(Duration::from_secs(5)));
        };
        let Some(e) = self.embedder().await? else {
            return Ok(());
        };
        for _ in 0..BATCHES_PER_RUN {
            let pending = embeddings::missing(&self.db, &e.model, BATCH).await?;
            if pending.is_empty() {
                return Ok(());
            }
            let inputs: Vec<String> = pending.iter().map(|p| cut(&p.text)).collect();
            let started = Instant::now();
            let result = self
                .providers
                .embed(&e.link, &e.model, &inputs, BATCH_TIMEOUT)
                .await;
            let (tokens, error) = match &result {
                Ok(done) => (done.tokens, None),
                Err(err) => (0, Some(err.to_string())),
            };
            let usage = self.usage_row(&e, tokens, started.elapsed(), error).await?;
            llm_usage::insert_many(&self.db, vec![usage]).await?;
            let done = result.map_err(|err| {
                tracing::warn!(provider = %e.link.kind, model = %e.model, error = %err, "embedding passages failed; search goes on by words");
                JobError::Retry(err.to_string())
            })?;
            let rows: Vec<(i32, Vec<f32>)> = pending
                .iter()
                .map(|p| p.chunk_id)
                .zip(done.vectors)
                .collect();
            embeddings::store(&self.db, &e.model, &rows).await?;
        }
        // More to do: run again at once, without using up an attempt.
        Err(JobError::Defer(Duration::ZERO))
    }

    /// The question's vector (`None` when the call failed: the answer goes on by words).
    pub async fn embed_question(&self, e: &Embedder, text: &str) -> Result<QuestionVector, DbErr> {
        let started = Instant::now();
        let result = self
            .providers
            .embed(&e.link, &e.model, &[cut(text)], QUESTION_TIMEOUT)
            .await;
        let (tokens, error) = match &result {
            Ok(done) => (done.tokens, None),
            Err(err) => (0, Some(err.to_string())),
        };
        let usage = self.usage_row(e, tokens, started.elapsed(), error).await?;
        let vector = match result {
            Ok(done) => done.vectors.into_iter().next().map(normalised),
            Err(err) => {
                tracing::warn!(error = %err, "embedding the question failed; searching by words only");
                None
            }
        };
        Ok(QuestionVector { vector, usage })
    }

    /// The passages closest in meaning to `question` (a unit vector): (passage id, cosine),
    /// best first, at most `limit`.
    pub async fn nearest(
        &self,
        model: &str,
        question: &[f32],
        limit: usize,
    ) -> Result<Vec<(i32, f32)>, DbErr> {
        let signature = embeddings::signature(&self.db, model).await?;
        let fresh = self
            .loaded
            .read()
            .await
            .as_ref()
            .is_some_and(|l| l.model == model && l.signature == signature);
        if !fresh {
            let rows = embeddings::all(&self.db, model).await?;
            let dims = rows.first().map_or(0, |(_, v)| v.len());
            if rows.len().saturating_mul(dims) > MAX_LOADED_FLOATS {
                tracing::warn!(
                    passages = rows.len(),
                    dims,
                    "too many passage vectors to hold in memory; matching by words only"
                );
                return Ok(Vec::new());
            }
            let mut ids = Vec::with_capacity(rows.len());
            let mut vectors = Vec::with_capacity(rows.len() * dims);
            for (id, v) in rows.into_iter().filter(|(_, v)| v.len() == dims) {
                ids.push(id);
                vectors.extend(normalised(v));
            }
            *self.loaded.write().await = Some(Loaded {
                model: model.to_owned(),
                signature,
                dims,
                ids,
                vectors,
            });
        }
        let guard = self.loaded.read().await;
        let Some(l) = guard
            .as_ref()
            .filter(|l| l.dims == question.len() && l.dims > 0)
        else {
            return Ok(Vec::new());
        };
        let mut scored: Vec<(i32, f32)> = l
            .vectors
            .chunks_exact(l.dims)
            .zip(&l.ids)
            .map(|(v, id)| (*id, v.iter().zip(question).map(|(a, b)| a * b).sum()))
            .collect();
        let limit = limit.min(scored.len());
        if limit == 0 {
            return Ok(Vec::new());
        }
        scored.select_nth_unstable_by(limit - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(limit);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(scored)
    }
}

/// Reciprocal rank fusion: each list gives an item 1 / (K + rank); the sums order the items.
/// K = 60 is the usual choice: a first place counts, but agreement between lists counts more.
pub fn fuse(lists: &[Vec<i32>]) -> Vec<(i32, f32)> {
    const K: f32 = 60.0;
    let mut scores: Vec<(i32, f32)> = Vec::new();
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            let add = 1.0 / (K + rank as f32 + 1.0);
            match scores.iter_mut().find(|(i, _)| i == id) {
                Some((_, s)) => *s += add,
                None => scores.push((*id, add)),
            }
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(kind: &str) -> Link {
        Link {
            kind: kind.into(),
            base_url: "http://x".into(),
            model: "m".into(),
            api_key: None,
        }
    }

    #[test]
    fn the_first_link_that_can_embed_does() {
        let b = AiBehaviour::default();
        let chain = [link("anthropic"), link("custom"), link("openai")];
        let e = choose(&chain, &b).expect("openai embeds");
        assert_eq!(
            (e.link.kind.as_str(), e.model.as_str()),
            ("openai", "text-embedding-3-small")
        );
        let named = AiBehaviour {
            embedding_model: "nomic-embed-text".into(),
            ..AiBehaviour::default()
        };
        let e = choose(&chain, &named).expect("custom with a named model");
        assert_eq!(
            (e.link.kind.as_str(), e.model.as_str()),
            ("custom", "nomic-embed-text")
        );
        assert!(choose(&[link("anthropic"), link("custom")], &b).is_none());
        let off = AiBehaviour {
            meaning_search: false,
            ..AiBehaviour::default()
        };
        assert!(choose(&chain, &off).is_none());
    }

    #[test]
    fn fusion_rewards_agreement() {
        let fused = fuse(&[vec![1, 2, 3], vec![3, 4, 1]]);
        let order: Vec<i32> = fused.iter().map(|(id, _)| *id).collect();
        assert_eq!(order[..2], [1, 3]);
        assert_eq!(order.len(), 4);
        assert!(relevance(0.1) == 0.0 && relevance(0.9) == 1.0);
    }
}
