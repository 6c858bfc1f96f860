//! The reply engine: one job per customer message, answering a burst once.
//!
//! The job of message *m* in conversation *c*:
//! 1. returns at once if *c* already answered *m* (`replied_through`), or if a newer customer
//!    message exists (that message's job answers the whole burst);
//! 2. waits out the burst window (deferred, not sleeping in a worker slot);
//! 3. handles STOP and START whatever the AI switch says; then checks the switch, a pause after
//!    the owner's reply, a hand-off and an opt-out;
//! 4. shows the typing indicator, retrieves passages, renders the active template and asks the
//!    provider chain (or answers extractively, or hands off);
//! 5. stores the answer in one transaction under the conversation's row lock, re-checking
//!    everything from 1 and 3: an owner who replied or switched the AI off while the model was
//!    writing wins, and a retried job finds `replied_through` moved and sends nothing twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::{AiBehaviour, AiDetails, AnswerMode, Change};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use super::embeddings::{self, Meaning};
use super::intent::{classify, Intent, SmallTalk};
use super::phrases::{say, Phrase};
use super::prompt::{render, Variables};
use super::provider::{Attempt, Completion, Prompt, Providers};
use super::{extractive, formatting, grounding, pricing, saved};
use crate::config::AiConfig;
use crate::crypto::seal::Sealer;
use crate::db::entities::{conversation, customer, message};
use crate::db::llm_usage::{self, NewUsage};
use crate::db::{conversations, customers, messages, prompt_templates, settings as kv};
use crate::jobs::{JobContext, JobError};
use crate::knowledge::language::{self, Lang};
use crate::knowledge::{business_languages, search, KnowledgeBase, KnowledgeError};
use crate::realtime::Bus;
use crate::whatsapp::client::Content;
use crate::whatsapp::outbound::{Outbound, SendError};

/// Passages retrieved before the token budget picks from them.
const CANDIDATE_PASSAGES: usize = 8;
/// Told to the model of a knowledge-only template when no passage covers the question.
const NOTHING_RELEVANT: &str = "\n\nNote: nothing in the business information matches this \
message well. Unless it is a greeting, thanks or small talk, do not answer it: use the handoff \
tool.";
/// WhatsApp's typing indicator lasts 25 s; refresh it a little before.
const TYPING_REFRESH: Duration = Duration::from_secs(20);

use crate::jobs::kinds::Reply;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("knowledge: {0}")]
    Knowledge(#[from] KnowledgeError),
}

/// What to answer, and with which template.
#[derive(Debug, Clone)]
pub struct Question {
    pub text: String,
    pub customer_name: String,
    pub history: String,
    pub template: String,
    /// The template answers only from the knowledge base: when no passage is relevant, the
    /// model is told to hand off anything but small talk.
    pub knowledge_only: bool,
}

/// An answer, with everything that went into it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub mode: AnswerMode,
    pub text: String,
    pub prompt: String,
    pub passages: Vec<search::Hit>,
    pub attempts: Vec<Attempt>,
    pub handoff_reason: Option<String>,
    pub latency: Duration,
    /// Whether the best passage reached the relevance threshold (small talk needs none).
    pub relevant: bool,
    /// The passage an extractive answer comes from (an index into `passages`).
    pub source: Option<usize>,
    /// The call that embedded the question, when passages are found by meaning too.
    pub embedding: Option<NewUsage>,
}

impl Answer {
    fn plain(mode: AnswerMode, text: String) -> Self {
        Self {
            mode,
            text,
            prompt: String::new(),
            passages: Vec::new(),
            attempts: Vec::new(),
            handoff_reason: None,
            latency: Duration::ZERO,
            relevant: false,
            source: None,
            embedding: None,
        }
    }

    fn handoff(message: &str, reason: &str) -> Self {
        Self {
            handoff_reason: Some(reason.to_owned()),
            ..Self::plain(AnswerMode::Handoff, message.to_owned())
        }
    }

    /// The call that answered, if a model did.
    pub fn completion(&self) -> Option<(&Attempt, &Completion)> {
        let last = self.attempts.last()?;
        last.outcome.as_ref().ok().map(|c| (last, c))
    }

    /// The messages the customer receives.
    pub fn replies(&self) -> Vec<String> {
        formatting::split(&self.text, formatting::MESSAGE_LIMIT)
    }

    /// The passages the answer comes from: the model's context, or the extract's source.
    pub fn cited(&self) -> Vec<i32> {
        match (&self.mode, self.source) {
            (AnswerMode::Extractive, Some(i)) => self
                .passages
                .get(i)
                .map(|h| h.chunk_id)
                .into_iter()
                .collect(),
            (AnswerMode::Extractive, None) => Vec::new(),
            _ => self.passages.iter().map(|h| h.chunk_id).collect(),
        }
    }

    /// A question the knowledge base could not answer: analytics lists these so the owner can
    /// add what is missing. A declined topic is the owner's choice, not a gap.
    pub fn knowledge_gap(&self) -> bool {
        match self.mode {
            AnswerMode::Handoff => true,
            AnswerMode::Model | AnswerMode::Extractive => !self.relevant,
            AnswerMode::Declined => false,
        }
    }
}

/// The engine's parts. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    /// Conversations this process is answering now: one reply in flight per conversation (a
    /// second job waits its turn instead of paying for a second answer that would be dropped).
    in_flight: std::sync::Mutex<std::collections::HashSet<i32>>,
    db: DatabaseConnection,
    bus: Bus,
    kb: KnowledgeBase,
    outbound: Outbound,
    providers: Providers,
    meaning: Meaning,
    env: AiConfig,
    sealer: Sealer,
}

fn ai_may_answer(c: &conversation::Model, now: DateTime<Utc>) -> bool {
    c.ai_enabled && c.handoff == "none" && c.ai_paused_until.is_none_or(|until| until <= now)
}

fn customer_name(c: &customer::Model) -> String {
    c.display_name
        .clone()
        .or_else(|| c.profile_name.clone())
        .unwrap_or_else(|| "there".to_owned())
}

fn history_line(m: &message::Model) -> Option<String> {
    let who = match (m.direction.as_str(), m.sender.as_str()) {
        ("inbound", _) => "Customer",
        (_, "agent") => "Team",
        _ => "Assistant",
    };
    let body = m.body.trim();
    (!body.is_empty()).then(|| format!("{who}: {body}"))
}

/// The passages given to the model: best first, until the token budget (≈ 4 characters a
/// token) is spent.
fn within_budget(hits: Vec<search::Hit>, tokens: u32) -> Vec<search::Hit> {
    let mut left = tokens as usize * 4;
    let mut kept = Vec::new();
    for hit in hits {
        let size = hit.content.len() + hit.title.len() + hit.heading_path.len();
        if size > left && !kept.is_empty() {
            break;
        }
        left = left.saturating_sub(size);
        kept.push(hit);
    }
    kept
}

/// The language to reply in: the customer's, among the languages the business speaks (the
/// first of those when unsure); English when the business names none Replydesk knows.
pub fn reply_language(text: &str, business: &[Lang]) -> Lang {
    language::detect(text, business)
        .or_else(|| business.first().copied())
        .unwrap_or(Lang::En)
}

/// The fixed reply to small talk (no model): nothing at all to an acknowledgement.
fn small_talk(kind: SmallTalk, behaviour: &AiBehaviour, lang: Lang) -> Answer {
    let text = match kind {
        SmallTalk::Greeting => say(Phrase::Greeting, behaviour, lang),
        SmallTalk::Thanks => say(Phrase::Thanks, behaviour, lang),
        SmallTalk::Acknowledgement => String::new(),
    };
    Answer {
        relevant: true,
        ..Answer::plain(AnswerMode::Extractive, text)
    }
}

fn documents_block(passages: &[search::Hit]) -> String {
    if passages.is_empty() {
        return "(nothing in the knowledge base matches this question)".to_owned();
    }
    passages
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let place = if h.heading_path.is_empty() || h.heading_path == h.title {
                h.title.clone()
            } else {
                format!("{} — {}", h.title, h.heading_path)
            };
            format!("[{}] {place}\n{}", i + 1, h.content.trim())
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl Engine {
    pub fn new(
        db: DatabaseConnection,
        bus: Bus,
        kb: KnowledgeBase,
        outbound: Outbound,
        env: AiConfig,
        sealer: Sealer,
    ) -> Self {
        let providers = Providers::new();
        let meaning = Meaning::new(db.clone(), providers.clone(), env.clone(), sealer.clone());
        Self {
            inner: Arc::new(Inner {
                in_flight: std::sync::Mutex::default(),
                db,
                bus,
                kb,
                outbound,
                providers,
                meaning,
                env,
                sealer,
            }),
        }
    }

    /// Passages found by meaning: the embeddings job and ranking.
    pub fn meaning(&self) -> &Meaning {
        &self.inner.meaning
    }

    /// Queues the embedding of passages without vectors (after the settings changed).
    pub async fn request_embeddings(&self) {
        self.inner.kb.request_embeddings().await;
    }

    /// The passages for `text`, best first: by words in the business's languages, fused with
    /// those closest in meaning when a provider embeds. The question's embedding call, if made.
    async fn retrieve(
        &self,
        text: &str,
        langs: &[Lang],
    ) -> Result<(Vec<search::Hit>, Option<NewUsage>), EngineError> {
        let i = &self.inner;
        let embedder = i.meaning.embedder().await?;
        let mut lexical =
            i.kb.search(search::Request {
                text: text.to_owned(),
                limit: if embedder.is_some() {
                    embeddings::DENSE_CANDIDATES
                } else {
                    CANDIDATE_PASSAGES
                },
                languages: langs.to_vec(),
                ..search::Request::default()
            })
            .await?;
        let Some(embedder) = embedder else {
            return Ok((lexical, None));
        };
        let asked = i.meaning.embed_question(&embedder, text).await?;
        let dense = match &asked.vector {
            Some(v) => {
                i.meaning
                    .nearest(&embedder.model, v, embeddings::DENSE_CANDIDATES)
                    .await?
            }
            None => Vec::new(),
        };
        if dense.is_empty() {
            lexical.truncate(CANDIDATE_PASSAGES);
            return Ok((lexical, Some(asked.usage)));
        }
        let fused = embeddings::fuse(&[
            lexical.iter().map(|h| h.chunk_id).collect(),
            dense.iter().map(|(id, _)| *id).collect(),
        ]);
        let top: Vec<i32> = fused
            .iter()
            .take(CANDIDATE_PASSAGES)
            .map(|(id, _)| *id)
            .collect();
        let only_dense: Vec<i32> = top
            .iter()
            .filter(|id| !lexical.iter().any(|h| h.chunk_id == **id))
            .copied()
            .collect();
        let mut found = i.kb.hits_by_id(&only_dense).await?;
        let mut hits = Vec::with_capacity(top.len());
        for id in top {
            let hit = match lexical.iter().position(|h| h.chunk_id == id) {
                Some(at) => Some(lexical.swap_remove(at)),
                None => found
                    .iter()
                    .position(|h| h.chunk_id == id)
                    .map(|at| found.swap_remove(at)),
            };
            if let Some(mut hit) = hit {
                let cosine = dense
                    .iter()
                    .find(|(d, _)| *d == id)
                    .map_or(0.0, |(_, c)| *c);
                hit.relevance = hit.relevance.max(embeddings::relevance(cosine));
                hits.push(hit);
            }
        }
        Ok((hits, Some(asked.usage)))
    }

    pub fn providers(&self) -> &Providers {
        &self.inner.providers
    }

    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    pub fn env(&self) -> &AiConfig {
        &self.inner.env
    }

    /// Whether any provider is configured (dashboard or environment).
    pub async fn has_provider(&self) -> Result<bool, DbErr> {
        let i = &self.inner;
        Ok(!saved::effective_chain(&i.db, &i.env, &i.sealer)
            .await?
            .is_empty())
    }

    /// Answers `question` through the whole pipeline: retrieval in the business's languages,
    /// the template, the provider chain, the guardrails, and the extractive or hand-off
    /// fallbacks, in the customer's language.
    ///
    /// With a provider the model decides: greetings and small talk are answered by it, and a
    /// question the passages do not answer is handed off by its tool. Without one, small talk
    /// gets a fixed reply, a question the documents cover an extract, anything else a person.
    pub async fn answer(
        &self,
        question: &Question,
        behaviour: &AiBehaviour,
    ) -> Result<Answer, EngineError> {
        let i = &self.inner;
        let started = Instant::now();
        let langs = business_languages(&i.db).await?;
        let lang = reply_language(&question.text, &langs);
        let chain = saved::effective_chain(&i.db, &i.env, &i.sealer).await?;
        let talk = match classify(&question.text, behaviour) {
            Intent::SmallTalk(kind) => Some(kind),
            _ => None,
        };
        if let (Some(kind), true) = (talk, chain.is_empty()) {
            let mut answer = small_talk(kind, behaviour, lang);
            answer.latency = started.elapsed();
            return Ok(answer);
        }
        let (hits, embedding) = match talk {
            Some(_) => (Vec::new(), None),
            None => self.retrieve(&question.text, &langs).await?,
        };
        let passages = within_budget(hits, behaviour.context_tokens);
        let relevant = talk.is_some()
            || passages
                .first()
                .is_some_and(|best| best.relevance * 100.0 >= behaviour.min_match as f32);
        let handoff_message = say(Phrase::Handoff, behaviour, lang);
        let mut answer = Answer {
            mode: AnswerMode::Extractive,
            text: String::new(),
            prompt: String::new(),
            passages,
            attempts: Vec::new(),
            handoff_reason: None,
            latency: Duration::ZERO,
            relevant,
            source: None,
            embedding,
        };
        // Rendered even without a provider: "try it" shows the owner what a model would read.
        let vars = self.variables(question, &answer.passages).await?;
        answer.prompt = render(&question.template, &vars);
        if question.knowledge_only && !relevant {
            answer.prompt.push_str(NOTHING_RELEVANT);
        }
        if !chain.is_empty() {
            answer.attempts = i
                .providers
                .complete(
                    &chain,
                    &Prompt {
                        system: answer.prompt.clone(),
                        user: question.text.clone(),
                        handoff_tool: true,
                    },
                    Duration::from_secs(behaviour.call_timeout_secs.into()),
                    Duration::from_secs(behaviour.total_budget_secs.into()),
                )
                .await;
            if let Some((_, completion)) = answer.completion() {
                if let Some(reason) = completion.handoff.clone() {
                    answer.mode = AnswerMode::Handoff;
                    answer.text = handoff_message;
                    answer.handoff_reason = Some(reason);
                    answer.latency = started.elapsed();
                    return Ok(answer);
                }
                let text = formatting::shorten(
                    &formatting::to_whatsapp(&completion.text),
                    behaviour.max_answer_chars as usize,
                );
                let sources: Vec<&str> =
                    answer.passages.iter().map(|h| h.content.as_str()).collect();
                match grounding::unsupported_claim(&text, &sources) {
                    None => {
                        answer.mode = AnswerMode::Model;
                        answer.text = text;
                        answer.latency = started.elapsed();
                        return Ok(answer);
                    }
                    Some(claim) => tracing::warn!(
                        %claim,
                        "the model's answer states an amount or date the passages do not; answering from the passages instead"
                    ),
                }
            }
            if let Some(kind) = talk {
                // Every provider failed on a greeting: the fixed reply still fits.
                let fixed = small_talk(kind, behaviour, lang);
                answer.mode = fixed.mode;
                answer.text = fixed.text;
                answer.latency = started.elapsed();
                return Ok(answer);
            }
        }
        let intro = say(Phrase::Intro, behaviour, lang);
        let extract = relevant
            .then(|| extractive::answer(&question.text, &answer.passages, &langs, &intro))
            .flatten();
        match extract {
            Some((text, source)) => {
                answer.text = text;
                answer.source = Some(source);
            }
            None => {
                answer.mode = AnswerMode::Handoff;
                answer.text = handoff_message;
                answer.handoff_reason = Some(if chain.is_empty() {
                    "Nothing in the knowledge base answers the customer's question.".to_owned()
                } else {
                    "Nothing in the knowledge base answers the question, and no AI provider answered."
                        .to_owned()
                });
            }
        }
        answer.latency = started.elapsed();
        Ok(answer)
    }

    /// The template's variables for `question` with `passages`.
    async fn variables(
        &self,
        question: &Question,
        passages: &[search::Hit],
    ) -> Result<Variables, DbErr> {
        let db = &self.inner.db;
        Ok(Variables {
            business_name: kv::get(db, kv::keys::BUSINESS_NAME)
                .await?
                .unwrap_or_default(),
            customer_name: question.customer_name.clone(),
            customer_message: question.text.clone(),
            relevant_documents: documents_block(passages),
            conversation_history: if question.history.is_empty() {
                "(this is the first message)".to_owned()
            } else {
                question.history.clone()
            },
            current_date: Utc::now().format("%A, %-d %B %Y").to_string(),
            business_languages: kv::get(db, kv::keys::BUSINESS_LANGUAGES)
                .await?
                .map(|raw| crate::db::parse_tags(&raw).join(", "))
                .unwrap_or_default(),
        })
    }

    /// Usage rows for an answer's calls.
    pub async fn usage(
        &self,
        answer: &Answer,
        purpose: &'static str,
        conversation_id: Option<i32>,
        message_id: Option<i32>,
    ) -> Result<Vec<NewUsage>, DbErr> {
        // The question's embedding is part of answering it.
        let embedding = answer.embedding.clone().map(|u| NewUsage {
            purpose,
            conversation_id,
            message_id: if u.error.is_none() { message_id } else { None },
            ..u
        });
        if answer.attempts.is_empty() {
            return Ok(embedding.into_iter().collect());
        }
        let prices = saved::prices(&self.inner.db).await?;
        Ok(embedding
            .into_iter()
            .chain(answer.attempts.iter().map(|a| {
                let (tokens_in, tokens_out, error) = match &a.outcome {
                    Ok(c) => (c.tokens_in, c.tokens_out, None),
                    Err(e) => (0, 0, Some(e.to_string())),
                };
                NewUsage {
                    message_id: if error.is_none() { message_id } else { None },
                    conversation_id,
                    purpose,
                    provider: a.kind.clone(),
                    model: a.model.clone(),
                    tokens_in,
                    tokens_out,
                    cost_micros: pricing::cost_micros(&prices, &a.model, tokens_in, tokens_out),
                    latency_ms: i64::try_from(a.latency.as_millis()).unwrap_or(i64::MAX),
                    error,
                }
            }))
            .collect())
    }

    /// The reply job.
    #[tracing::instrument(
        name = "reply",
        skip_all,
        fields(conversation_id = job.conversation_id, message_id = job.message_id)
    )]
    pub async fn run(&self, job: Reply, _ctx: JobContext) -> Result<(), JobError> {
        self.reply(job).await.map_err(|e| match e {
            ReplyError::Defer(d) => JobError::Defer(d),
            ReplyError::Engine(e) => JobError::Retry(e.to_string()),
        })
    }

    async fn reply(&self, job: Reply) -> Result<(), ReplyError> {
        let i = &self.inner;
        let Some((conv, customer)) = conversations::with_customer(&i.db, job.conversation_id)
            .await
            .map_err(EngineError::from)?
        else {
            return Ok(());
        };
        if conv.replied_through >= job.message_id {
            return Ok(());
        }
        let newest = messages::newest_inbound_id(&i.db, conv.id)
            .await
            .map_err(EngineError::from)?
            .unwrap_or(0);
        if newest > job.message_id {
            return Ok(()); // the newer message's job answers the whole burst
        }
        let Some(message) = messages::by_id(&i.db, job.message_id)
            .await
            .map_err(EngineError::from)?
        else {
            return Ok(());
        };
        let behaviour = saved::behaviour(&i.db).await.map_err(EngineError::from)?;
        let due = message.created_at + chrono::Duration::milliseconds(behaviour.burst_ms.into());
        let now = Utc::now();
        if due > now {
            return Err(ReplyError::Defer((due - now).to_std().unwrap_or_default()));
        }

        let Some(_turn) = InFlight::take(&self.inner, conv.id) else {
            return Err(ReplyError::Defer(WAIT_FOR_TURN));
        };
        // What another job stored while this one waited for its turn.
        let conv = match conversations::by_id(&i.db, conv.id)
            .await
            .map_err(EngineError::from)?
        {
            Some(fresh) if fresh.replied_through < job.message_id => fresh,
            _ => return Ok(()),
        };
        let burst = messages::latest_inbound_between(
            &i.db,
            conv.id,
            conv.replied_through,
            job.message_id,
            u64::from(behaviour.burst_messages.max(1)),
        )
        .await
        .map_err(EngineError::from)?;
        let last = burst.last().map(|m| m.body.as_str()).unwrap_or_default();
        let langs = business_languages(&i.db).await.map_err(EngineError::from)?;
        match classify(last, &behaviour) {
            Intent::OptOut => {
                // "stop" says little about a language: the customer's earlier words say more.
                let lang = reply_language(&burst_text(&burst), &langs);
                let reply = Outcome::opt(true, &say(Phrase::OptOut, &behaviour, lang));
                return Ok(self.store(&conv, job.message_id, reply).await?);
            }
            Intent::OptIn if customer.opted_out_at.is_some() => {
                let lang = reply_language(&burst_text(&burst), &langs);
                let reply = Outcome::opt(false, &say(Phrase::OptIn, &behaviour, lang));
                return Ok(self.store(&conv, job.message_id, reply).await?);
            }
            _ => {}
        }
        if customer.opted_out_at.is_some() || !ai_may_answer(&conv, now) {
            return Ok(());
        }
        let text = latest_chars(&burst_text(&burst), behaviour.burst_chars as usize);
        if text.is_empty() {
            return Ok(()); // a sticker or a photo alone: nothing to answer
        }
        let lang = reply_language(&text, &langs);
        let answer = match classify(&text, &behaviour) {
            Intent::Human => Answer::handoff(
                &say(Phrase::Handoff, &behaviour, lang),
                "The customer asked for a person.",
            ),
            Intent::Declined(topic) => {
                tracing::info!(conversation = conv.id, %topic, "declined topic");
                Answer::plain(AnswerMode::Declined, say(Phrase::Decline, &behaviour, lang))
            }
            _ => {
                let _typing = self.typing(&conv, &message).await;
                let first = burst.first().map_or(job.message_id, |m| m.id);
                let history = messages::page(
                    &i.db,
                    conv.id,
                    Some(first),
                    u64::from(behaviour.history_messages),
                )
                .await
                .map_err(EngineError::from)?
                .iter()
                .rev()
                .filter_map(history_line)
                .collect::<Vec<_>>()
                .join("\n");
                let (template, knowledge_only) =
                    active_template(&i.db).await.map_err(EngineError::from)?;
                let question = Question {
                    text,
                    customer_name: customer_name(&customer),
                    history,
                    template,
                    knowledge_only,
                };
                self.answer(&question, &behaviour).await?
            }
        };
        let usage = self
            .usage(&answer, "reply", Some(conv.id), None)
            .await
            .map_err(EngineError::from)?;
        self.store(&conv, job.message_id, Outcome::answer(answer, usage))
            .await?;
        Ok(())
    }

    /// Shows that a reply is being written: the dashboard gets an event, the customer the
    /// typing dots (refreshed until the returned guard is dropped).
    async fn typing(
        &self,
        conv: &conversation::Model,
        message: &message::Model,
    ) -> Option<AbortOnDrop> {
        let i = &self.inner;
        let change = Change::Typing {
            conversation_id: conv.id,
        };
        match crate::db::write_txn(&i.db).await {
            Ok(txn) => {
                if let Err(e) = i.bus.commit(txn, vec![change]).await {
                    tracing::debug!(error = %e, "typing event not stored");
                }
            }
            Err(e) => tracing::debug!(error = %e, "typing event not stored"),
        }
        if conv.simulated {
            return None;
        }
        let wamid = message.wamid.clone()?;
        let outbound = i.outbound.clone();
        Some(AbortOnDrop(tokio::spawn(async move {
            loop {
                outbound.typing(&wamid).await;
                tokio::time::sleep(TYPING_REFRESH).await;
            }
        })))
    }

    /// Stores an outcome under the conversation's lock, unless the situation changed while it
    /// was being written.
    async fn store(
        &self,
        conv: &conversation::Model,
        through: i32,
        outcome: Outcome,
    ) -> Result<(), EngineError> {
        let i = &self.inner;
        let txn = crate::db::write_txn(&i.db).await?;
        let Some(now_conv) = conversations::lock(&txn, conv.id).await? else {
            return Ok(());
        };
        let customer_opted_out = customers::by_ids(&txn, vec![now_conv.customer_id])
            .await?
            .first()
            .is_some_and(|c| c.opted_out_at.is_some());
        let stale =
            // a retry, or the owner answered meanwhile
            now_conv.replied_through >= through
            // the customer wrote again meanwhile: that message's job answers everything
            || messages::newest_inbound_id(&txn, conv.id).await?.unwrap_or(0) > through
            // switched off, paused, handed off or opted out while the answer was written
            || (outcome.opt.is_none()
                && (customer_opted_out || !ai_may_answer(&now_conv, Utc::now())));
        if stale {
            // Nothing is sent, but the calls were made (and paid for): they stay in the ledger.
            let usage = outcome
                .usage
                .into_iter()
                .map(|u| NewUsage {
                    message_id: None,
                    ..u
                })
                .collect();
            llm_usage::insert_many(&txn, usage).await?;
            txn.commit().await?;
            return Ok(());
        }
        let mut changes = Vec::new();
        if let Some(out) = outcome.opt {
            customers::set_opted_out(&txn, now_conv.customer_id, out.then(Utc::now)).await?;
        }
        let mut first_id = None;
        for (n, part) in outcome.replies.iter().enumerate() {
            let content = Content::Text {
                body: part.clone(),
                preview_url: false,
            };
            let meta = if n == 0 { outcome.meta.clone() } else { None };
            match i
                .outbound
                .queue_in(&txn, conv.id, outcome.sender, content, None, meta)
                .await
            {
                Ok(queued) => {
                    first_id.get_or_insert(queued.message_id);
                    changes.extend(queued.changes);
                }
                Err(e @ (SendError::WindowClosed { .. } | SendError::NeverWrote)) => {
                    tracing::warn!(conversation = conv.id, error = %e, "reply not sent");
                    break;
                }
                Err(SendError::Db(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::error!(conversation = conv.id, error = %e, "reply not queued");
                    break;
                }
            }
        }
        if let Some(reason) = &outcome.handoff_reason {
            conversations::hand_off(&txn, conv.id, reason).await?;
            changes.push(Change::HandoffRequested {
                conversation_id: conv.id,
                reason: reason.clone(),
            });
        }
        let usage = outcome
            .usage
            .into_iter()
            .map(|u| NewUsage {
                message_id: u
                    .message_id
                    .or(if u.error.is_none() { first_id } else { None }),
                ..u
            })
            .collect();
        llm_usage::insert_many(&txn, usage).await?;
        conversations::set_replied(&txn, conv.id, through).await?;
        changes.push(Change::ConversationUpdated {
            conversation_id: conv.id,
        });
        i.bus.commit(txn, changes).await?;
        Ok(())
    }
}

/// What the reply job stores.
struct Outcome {
    replies: Vec<String>,
    sender: &'static str,
    meta: Option<AiDetails>,
    handoff_reason: Option<String>,
    usage: Vec<NewUsage>,
    /// Opt the customer out (true) or in (false): stored even with the AI off.
    opt: Option<bool>,
}

impl Outcome {
    fn opt(out: bool, reply: &str) -> Self {
        Self {
            replies: vec![reply.to_owned()],
            sender: "system",
            meta: None,
            handoff_reason: None,
            usage: Vec::new(),
            opt: Some(out),
        }
    }

    fn answer(answer: Answer, usage: Vec<NewUsage>) -> Self {
        let cost = usage.iter().map(|u| u.cost_micros).sum();
        let meta = match answer.completion() {
            Some((attempt, c))
                if answer.mode == AnswerMode::Model || answer.mode == AnswerMode::Handoff =>
            {
                AiDetails {
                    provider: attempt.kind.clone(),
                    model: Some(attempt.model.clone()),
                    tokens_in: i32::try_from(c.tokens_in).unwrap_or(i32::MAX),
                    tokens_out: i32::try_from(c.tokens_out).unwrap_or(i32::MAX),
                    cost_micros: cost,
                    latency_ms: i32::try_from(answer.latency.as_millis()).unwrap_or(i32::MAX),
                    passages: answer.cited(),
                    mode: Some(answer.mode.clone()),
                    knowledge_gap: answer.knowledge_gap(),
                }
            }
            _ => AiDetails {
                provider: match answer.mode {
                    AnswerMode::Handoff => "handoff",
                    AnswerMode::Declined => "declined",
                    _ => "extractive",
                }
                .to_owned(),
                model: None,
                cost_micros: cost,
                latency_ms: i32::try_from(answer.latency.as_millis()).unwrap_or(i32::MAX),
                passages: answer.cited(),
                mode: Some(answer.mode.clone()),
                knowledge_gap: answer.knowledge_gap(),
                ..AiDetails::default()
            },
        };
        Self {
            replies: answer.replies(),
            sender: "ai",
            meta: Some(meta),
            handoff_reason: answer.handoff_reason,
            usage,
            opt: None,
        }
    }
}

enum ReplyError {
    Defer(Duration),
    Engine(EngineError),
}

impl From<EngineError> for ReplyError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// How long a job waits before trying again when its conversation is being answered.
const WAIT_FOR_TURN: Duration = Duration::from_millis(250);

/// A conversation's turn to be answered by this process; released when dropped.
struct InFlight<'a> {
    inner: &'a Inner,
    conversation_id: i32,
}

impl<'a> InFlight<'a> {
    fn take(inner: &'a Inner, conversation_id: i32) -> Option<Self> {
        let mut set = inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        // `then`, not `then_some`: a guard built for a refused turn would release the other
        // job's turn when dropped (and deadlock on this very lock).
        set.insert(conversation_id).then(|| Self {
            inner,
            conversation_id,
        })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut set = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        set.remove(&self.conversation_id);
    }
}

/// Stops the typing refresher when the answer is ready (or the job fails).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The active template's body and whether it answers only from the knowledge base (replies and
/// "try it" without a draft both use it; empty when no template is active).
pub async fn active_template(db: &DatabaseConnection) -> Result<(String, bool), DbErr> {
    Ok(prompt_templates::active(db)
        .await?
        .map(|t| (t.body, t.knowledge_only))
        .unwrap_or_default())
}

/// A burst's messages as one text, oldest first.
fn burst_text(burst: &[message::Model]) -> String {
    burst
        .iter()
        .map(|m| m.body.trim())
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The last `max` characters of `text` (whole characters; the latest words matter most).
fn latest_chars(text: &str, max: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(max)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_flood_is_cut_to_its_latest_characters() {
        assert_eq!(super::latest_chars("¿dónde?", 3), "de?");
        assert_eq!(super::latest_chars("hi", 10), "hi");
        let flood = "a".repeat(100_000) + "where are you?";
        assert_eq!(super::latest_chars(&flood, 14), "where are you?");
    }
}
