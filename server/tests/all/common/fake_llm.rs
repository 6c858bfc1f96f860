//! An in-process OpenAI-compatible chat API: several providers on one server, each under its
//! own path (`/{name}/v1`), each recording the requests it gets and answering from a script
//! (an answer, a hand-off tool call, an HTTP error, or a delay) or, when its script is empty,
//! with its default answer.
//!
//! `/embeddings` answers with a small model of meaning: a text's vector counts its concepts,
//! where words of one concept in any language ("card", "cartões", "tarjeta") are one concept
//! and any other word is its own (its first five letters). Texts that share concepts are close.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub enum Script {
    Answer(String),
    Handoff(String),
    Status(u16),
    /// Answers after this long (longer than the call timeout = a timeout).
    Slow(Duration),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub provider: String,
    /// The `Authorization` header the provider was called with.
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone, Default)]
struct Shared {
    calls: Arc<Mutex<Vec<Call>>>,
    embedding_calls: Arc<Mutex<Vec<Call>>>,
    embedding_failures: Arc<Mutex<HashMap<String, u16>>>,
    scripts: Arc<Mutex<HashMap<String, VecDeque<Script>>>>,
    defaults: Arc<Mutex<HashMap<String, Script>>>,
}

pub struct FakeLlm {
    pub url: String,
    shared: Shared,
}

fn completion(content: Option<&str>, tool_reason: Option<&str>) -> Value {
    let tool_calls = tool_reason.map(|reason| {
        json!([{"id": "call_1", "type": "function", "function": {
            "name": "handoff_to_human", "arguments": json!({"reason": reason}).to_string()}}])
    });
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_764_000_000, "model": "fake",
        "choices": [{"index": 0, "finish_reason": if tool_calls.is_some() {"tool_calls"} else {"stop"},
            "message": {"role": "assistant", "content": content, "tool_calls": tool_calls}}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280}
    })
}

impl Call {
    fn new(provider: &str, headers: &HeaderMap, body: Value) -> Self {
        Self {
            provider: provider.to_owned(),
            authorization: headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body,
        }
    }
}

/// An OpenAI-style error answer with `code`.
fn error(code: u16) -> Response {
    (
        StatusCode::from_u16(code).expect("status"),
        Json(json!({"error": {"message": format!("scripted {code}"), "type": "server_error", "param": null, "code": null}})),
    )
        .into_response()
}

async fn chat(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared
        .calls
        .lock()
        .expect("lock")
        .push(Call::new(&name, &headers, body));
    let next = shared
        .scripts
        .lock()
        .expect("lock")
        .get_mut(&name)
        .and_then(VecDeque::pop_front)
        .or_else(|| shared.defaults.lock().expect("lock").get(&name).cloned())
        .unwrap_or_else(|| Script::Answer(format!("Answer from {name}.")));
    match next {
        Script::Answer(text) => Json(completion(Some(&text), None)).into_response(),
        Script::Handoff(reason) => Json(completion(None, Some(&reason))).into_response(),
        Script::Status(code) => error(code),
        Script::Slow(delay) => {
            tokio::time::sleep(delay).await;
            Json(completion(Some("Too late."), None)).into_response()
        }
    }
}

/// Words that mean the same, in the languages the tests write.
const CONCEPTS: &[&[&str]] = &[
    &[
        "card",
        "cards",
        "cartao",
        "cartoes",
        "tarjeta",
        "tarjetas",
        "visa",
        "mastercard",
        "credit",
    ],
    &[
        "pay",
        "payment",
        "payments",
        "pagamento",
        "pagamentos",
        "pago",
        "pagar",
        "take",
        "accept",
        "aceitamos",
        "aceptamos",
    ],
    &[
        "dog", "dogs", "pet", "pets", "cao", "caes", "perro", "perros",
    ],
];
const DIMENSIONS: usize = 64;

fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'ã' | 'á' | 'à' | 'â' => 'a',
            'õ' | 'ó' | 'ô' => 'o',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ú' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

/// The fake's vector of `text`.
pub fn fake_embedding(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIMENSIONS];
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
    {
        let word = fold(word);
        let concept = CONCEPTS
            .iter()
            .position(|c| c.contains(&word.as_str()))
            .map(|i| format!("concept-{i}"))
            .unwrap_or_else(|| word.chars().take(5).collect());
        let bucket = concept
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        v[(bucket % DIMENSIONS as u64) as usize] += 1.0;
    }
    v
}

async fn embeddings(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared
        .embedding_calls
        .lock()
        .expect("lock")
        .push(Call::new(&name, &headers, body.clone()));
    if let Some(code) = shared.embedding_failures.lock().expect("lock").get(&name) {
        return error(*code);
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let words: usize = inputs.iter().map(|i| i.split_whitespace().count()).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": fake_embedding(text)}))
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": body["model"],
        "usage": {"prompt_tokens": words, "total_tokens": words}}),
    )
    .into_response()
}

async fn models(Path(name): Path<String>) -> Response {
    Json(json!({"object": "list", "data": [
        {"id": format!("{name}-large"), "object": "model", "created": 1, "owned_by": "fake"},
        {"id": format!("{name}-small"), "object": "model", "created": 1, "owned_by": "fake"}]}))
    .into_response()
}

impl FakeLlm {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{name}/v1/chat/completions", post(chat))
            .route("/{name}/v1/models", get(models))
            .route("/{name}/v1/embeddings", post(embeddings))
            .with_state(shared.clone());
        let url = super::serve(app).await;
        Self { url, shared }
    }

    /// The base URL of provider `name`.
    pub fn base(&self, name: &str) -> String {
        format!("{}/{name}/v1", self.url)
    }

    /// Queues the next answers of `name`.
    pub fn script(&self, name: &str, answers: impl IntoIterator<Item = Script>) {
        self.shared
            .scripts
            .lock()
            .expect("lock")
            .entry(name.to_owned())
            .or_default()
            .extend(answers);
    }

    /// What `name` answers once its script is used up.
    pub fn always(&self, name: &str, answer: Script) {
        self.shared
            .defaults
            .lock()
            .expect("lock")
            .insert(name.to_owned(), answer);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().expect("lock").clone()
    }

    /// The embeddings requests received, in order.
    pub fn embedding_calls(&self) -> Vec<Call> {
        self.shared.embedding_calls.lock().expect("lock").clone()
    }

    /// Makes `name`'s embeddings endpoint answer `status` from now on (`None`: work again).
    pub fn fail_embeddings(&self, name: &str, status: Option<u16>) {
        let mut failures = self.shared.embedding_failures.lock().expect("lock");
        match status {
            Some(code) => failures.insert(name.to_owned(), code),
            None => failures.remove(name),
        };
    }
}

impl Call {
    /// The system prompt (the rendered template).
    pub fn system(&self) -> String {
        self.body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The customer's message(s).
    pub fn user(&self) -> String {
        self.body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}
