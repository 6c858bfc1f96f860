//! The health endpoint and the security headers on every answer, over HTTP.

use crate::common;

use common::{json, spawn_app, Engine, TestApp, TestDb};

on_both_engines!(
    health_reports_engine_and_database,
    health_is_503_without_database,
    every_answer_carries_the_security_headers
);

async fn every_answer_carries_the_security_headers(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    // A page: scripts only from this server, the WASM, and the inline scripts this response
    // wrote (which carry its nonce); never framed.
    let res = app.get("/setup").await;
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let policy = header(&res, "content-security-policy").expect("page policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(
        !policy.contains("'unsafe-inline' 'unsafe-eval'"),
        "{policy}"
    );
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    assert_eq!(header(&res, "x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        header(&res, "referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        header(&res, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        header(&res, "strict-transport-security"),
        None,
        "not over http"
    );
    let html = res.text().await.expect("html");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce"
    );
    // Another response, another nonce.
    let again = header(&app.get("/setup").await, "content-security-policy").expect("policy");
    assert!(!again.contains(&nonce));

    // JSON and files: nothing may load or run at all.
    let res = app.get("/api/health").await;
    let policy = header(&res, "content-security-policy").expect("default policy");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    app.stop().await;

    // HSTS once the public address is https.
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.public_url = Some(url::Url::parse("https://support.example.com").expect("url"));
    let app = TestApp::start(config).await;
    let res = app.get("/api/health").await;
    assert!(header(&res, "strict-transport-security")
        .expect("hsts")
        .starts_with("max-age="));
    app.stop().await;
}

async fn health_reports_engine_and_database(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["db_ok"], true);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    assert!(body["uptime_s"].is_u64());
    app.stop().await;
}

async fn health_is_503_without_database(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    // Closing the pool makes every query fail, as a lost database would.
    app.db.close_by_ref().await.expect("close pool");
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), 503);
    let body = json(res).await;
    assert_eq!(body["db_ok"], false);
    assert_eq!(body["status"], "degraded");
}
