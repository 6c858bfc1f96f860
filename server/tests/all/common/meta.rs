//! Meta's side of the WhatsApp webhook, for tests: payloads shaped like the reference's, signed.

use replydesk::whatsapp::signature::sign;
use serde_json::{json, Value};

use super::{Engine, TestApp, TestDb};

pub const SECRET: &str = "test-app-secret";
pub const VERIFY: &str = "test-verify-token";
pub const PATH: &str = "/api/webhook/whatsapp";
pub const ANA: &str = "5511987654321";

/// A server with WhatsApp's app secret and verify token configured.
pub async fn spawn(engine: Engine) -> (TestApp, TestDb) {
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.whatsapp.app_secret = Some(SECRET.to_owned().into());
    config.whatsapp.verify_token = Some(VERIFY.to_owned().into());
    (TestApp::start(config).await, db)
}

pub fn envelope(value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "204815162342108", "changes": [
        {"field": "messages", "value": value}]}]})
}

/// A `messages` change from Ana carrying `messages`.
pub fn inbound(messages: Value) -> Value {
    envelope(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001234", "phone_number_id": "301122334455667"},
        "contacts": [{"profile": {"name": "Ana Souza"}, "wa_id": ANA}],
        "messages": messages
    }))
}

pub fn text(id: &str, at: i64, body: &str) -> Value {
    json!({"from": ANA, "id": id, "timestamp": at.to_string(), "type": "text", "text": {"body": body}})
}

/// Posts `body` as Meta does: the exact bytes, signed.
pub async fn deliver(app: &TestApp, body: &[u8]) -> reqwest::Response {
    deliver_to(&app.client, &app.base, body).await
}

/// [`deliver`] to the server at `base` (a server process of its own).
pub async fn deliver_to(client: &reqwest::Client, base: &str, body: &[u8]) -> reqwest::Response {
    client
        .post(format!("{base}{PATH}"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(SECRET.as_bytes(), body))
        .body(body.to_vec())
        .send()
        .await
        .expect("request")
}

pub async fn deliver_json(app: &TestApp, value: &Value) -> reqwest::Response {
    deliver(app, value.to_string().as_bytes()).await
}
