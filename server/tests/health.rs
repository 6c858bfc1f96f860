mod common;

use common::{json, spawn_app, Engine};

on_both_engines!(
    health_reports_engine_and_database,
    health_is_503_without_database
);

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
