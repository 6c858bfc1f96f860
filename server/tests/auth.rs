mod common;

use common::{client, json, spawn_app, Engine, TestApp, TestDb, BUSINESS, EMAIL, PASSWORD};
use serde_json::json;

on_both_engines!(
    setup_validates_then_creates_the_owner_once,
    pages_and_api_are_denied_without_a_session,
    login_logout_and_generic_errors,
    cookies_are_secure_behind_https,
    login_is_throttled_after_five_failures,
    change_password_ends_other_sessions,
    session_survives_a_restart,
    admin_variables_create_the_owner_at_boot,
    bad_requests_get_clear_4xx,
    setup_takes_the_token_from_the_log_once,
);

async fn setup_validates_then_creates_the_owner_once(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    let state = json(app.post("/api/auth/state", json!({})).await).await;
    assert_eq!(state["needs_setup"], true);
    assert!(state["owner"].is_null());

    for (input, field) in [
        (
            json!({"business_name": BUSINESS, "email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"business_name": BUSINESS, "email": EMAIL, "password": ""}),
            "password",
        ),
        (
            json!({"business_name": BUSINESS, "email": EMAIL, "password": "short"}),
            "password",
        ),
        (
            json!({"business_name": "  ", "email": EMAIL, "password": PASSWORD}),
            "business_name",
        ),
    ] {
        let res = app.post("/api/auth/setup", json!({ "input": input })).await;
        assert_eq!(res.status(), 400, "{input}");
        let body = json(res).await;
        assert_eq!(body["error"], "bad_request");
        assert_eq!(body["field"], field, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    app.setup_owner().await;
    let state = json(app.post("/api/auth/state", json!({})).await).await;
    assert_eq!(state["needs_setup"], false);
    assert_eq!(state["owner"]["email"], EMAIL);
    assert_eq!(state["business_name"], BUSINESS);

    // Setup is closed now, even to a stranger with valid input.
    let stranger = client();
    let res = app.call(&stranger, "/api/auth/setup", json!({"input": {"business_name": "Other", "email": "other@example.com", "password": PASSWORD, "setup_token": "ANY"}})).await;
    assert_eq!(res.status(), 409);
    let res = app.get_as(&stranger, "/setup").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    app.stop().await;
}

async fn pages_and_api_are_denied_without_a_session(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    // Before setup every page leads to setup.
    let res = app.get("/account").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/setup");
    let res = app.get("/setup").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("html").contains("Create account"));

    app.setup_owner().await;
    let anonymous = client();
    let res = app.get_as(&anonymous, "/account?tab=password").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?next=%2Faccount%3Ftab%3Dpassword"
    );

    for path in [
        "/api/system/overview",
        "/api/auth/logout",
        "/api/auth/change-password",
        "/api/anything/else",
    ] {
        let res = app.call(&anonymous, path, json!({})).await;
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(json(res).await["error"], "unauthorized", "{path}");
    }
    // Signed in, an unknown API path is a JSON 404.
    let res = app.post("/api/anything/else", json!({})).await;
    assert_eq!(res.status(), 404);
    assert_eq!(json(res).await["error"], "not_found");
    // Public: health, login page, static 404 page.
    assert_eq!(app.get_as(&anonymous, "/api/health").await.status(), 200);
    assert_eq!(app.get_as(&anonymous, "/login").await.status(), 200);

    // The owner sees the dashboard with real data.
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let overview = json(app.post("/api/system/overview", json!({})).await).await;
    assert_eq!(overview["business_name"], BUSINESS);
    assert_eq!(overview["health"]["db_ok"], true);
    assert_eq!(overview["whatsapp_configured"], false);
    assert_eq!(overview["jobs"]["dead"], 0);
    // …and is sent home from the login page.
    let res = app.get("/login").await;
    assert_eq!(res.headers()["location"], "/");
    app.stop().await;
}

async fn login_logout_and_generic_errors(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;
    let browser = client();

    // A wrong password and an unknown email get the same answer.
    let wrong = app.login_with(&browser, EMAIL, "wrong password!").await;
    assert_eq!(wrong.status(), 401);
    let wrong = json(wrong).await;
    let unknown = json(
        app.login_with(&browser, "nobody@example.com", "wrong password!")
            .await,
    )
    .await;
    assert_eq!(wrong["message"], unknown["message"]);
    assert!(!wrong["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase()
        .contains("exist"));

    // Email is case-insensitive.
    let res = app
        .login_with(&browser, "OWNER@example.com", PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("replydesk_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "no https PUBLIC_URL, so no Secure flag"
    );
    assert!(cookie.contains("Max-Age=604800"), "7-day expiry: {cookie}");

    let state = app.call(&browser, "/api/auth/state", json!({})).await;
    assert_eq!(json(state).await["owner"]["email"], EMAIL);

    let res = app.call(&browser, "/api/auth/logout", json!({})).await;
    assert_eq!(res.status(), 200);
    let res = app.call(&browser, "/api/system/overview", json!({})).await;
    assert_eq!(res.status(), 401);
    app.stop().await;
}

async fn cookies_are_secure_behind_https(engine: Engine) {
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.public_url = Some(url::Url::parse("https://support.example.com").expect("url"));
    let app = TestApp::start(config).await;
    let res = app
        .post(
            "/api/auth/setup",
            common::setup_body(&app.setup_token().await),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Requests from the public origin pass the cross-site check even behind a proxy whose Host
    // header differs.
    let res = app
        .call_with(
            &app.client,
            "/api/auth/state",
            &[("origin", "https://support.example.com")],
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

async fn login_is_throttled_after_five_failures(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;
    let browser = client();
    for attempt in 1..=5 {
        let res = app.login_with(&browser, EMAIL, "not the password").await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused now: the throttle answers before checking.
    let res = app.login_with(&browser, EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((800..=900).contains(&retry_after), "{retry_after}");
    let body = json(res).await;
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("15 minutes"),
        "{body}"
    );

    // Per IP too: the same client guessing at other emails is throttled.
    let res = app
        .login_with(&browser, "someone@example.com", "whatever pass")
        .await;
    assert_eq!(res.status(), 429);

    // From another address the email is still throttled…
    let from = |ip: &'static str, email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        let (app, browser) = (&app, &browser);
        async move {
            let forwarded = [("x-forwarded-for", ip)];
            app.call_with(browser, "/api/auth/login", &forwarded, body)
                .await
        }
    };
    let elsewhere = |password: &str| from("203.0.113.7", EMAIL, password);
    assert_eq!(elsewhere(PASSWORD).await.status(), 429);
    // …until the owner resets the password, which forgives the email's failures.
    let accounts = replydesk::services::accounts::AccountsService::new(app.db.clone());
    accounts
        .reset_password(EMAIL, secrecy::SecretString::from("brand new password"))
        .await
        .expect("reset");
    assert_eq!(elsewhere("brand new password").await.status(), 200);

    // A successful login forgives the email, not the address: two slips and a login, then
    // three guesses at another account from the same address, and the address is throttled.
    let from_third = |email: &str, password: &str| from("198.51.100.9", email, password);
    for _ in 0..2 {
        assert_eq!(
            from_third(EMAIL, "a slip of the finger").await.status(),
            401
        );
    }
    assert_eq!(from_third(EMAIL, "brand new password").await.status(), 200);
    for _ in 0..3 {
        let res = from_third("someone@example.com", "a guess").await;
        assert_eq!(res.status(), 401);
    }
    let res = from_third("someone@example.com", "a guess").await;
    assert_eq!(res.status(), 429);
    // The owner's email itself was forgiven, but the address it comes from is not.
    assert_eq!(from_third(EMAIL, "brand new password").await.status(), 429);
    assert_eq!(elsewhere("brand new password").await.status(), 200);
    app.stop().await;
}

async fn change_password_ends_other_sessions(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;
    let other = client();
    assert_eq!(app.login_with(&other, EMAIL, PASSWORD).await.status(), 200);

    let res = app
        .post(
            "/api/auth/change-password",
            json!({"current": "wrong one", "new": "another good password"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "current");
    let res = app
        .post(
            "/api/auth/change-password",
            json!({"current": PASSWORD, "new": "short"}),
        )
        .await;
    assert_eq!(json(res).await["field"], "new");

    let res = app
        .post(
            "/api/auth/change-password",
            json!({"current": PASSWORD, "new": "another good password"}),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );

    // This session goes on; the other one is over.
    assert_eq!(
        app.post("/api/system/overview", json!({})).await.status(),
        200
    );
    let res = app.call(&other, "/api/system/overview", json!({})).await;
    assert_eq!(res.status(), 401);
    // Old password no longer works, the new one does.
    assert_eq!(
        app.login_with(&client(), EMAIL, PASSWORD).await.status(),
        401
    );
    assert_eq!(
        app.login_with(&client(), EMAIL, "another good password")
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn session_survives_a_restart(engine: Engine) {
    let db = TestDb::new(engine).await;
    let app = TestApp::start(db.config()).await;
    app.setup_owner().await;
    let browser = app.client.clone();
    app.stop().await;

    let app = TestApp::start(db.config()).await;
    let res = app.call(&browser, "/api/system/overview", json!({})).await;
    assert_eq!(
        res.status(),
        200,
        "the session cookie still works after a restart"
    );
    app.stop().await;
}

async fn admin_variables_create_the_owner_at_boot(engine: Engine) {
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.admin = Some(replydesk::config::AdminBootstrap {
        email: "boss@example.com".into(),
        password: secrecy::SecretString::from("bootstrap password"),
        business_name: "Dental Sur".into(),
    });
    let app = TestApp::start(config.clone()).await;
    let state = json(app.post("/api/auth/state", json!({})).await).await;
    assert_eq!(state["needs_setup"], false);
    assert_eq!(state["business_name"], "Dental Sur");
    // The owner came from the environment: no setup token was ever made.
    assert_eq!(
        replydesk::db::settings::get(&app.db, replydesk::db::settings::keys::SETUP_TOKEN)
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        app.login_with(&client(), "boss@example.com", "bootstrap password")
            .await
            .status(),
        200
    );
    app.stop().await;

    // A second boot with the same variables changes nothing (and does not fail).
    config.admin.as_mut().expect("admin").password =
        secrecy::SecretString::from("another password!");
    let app = TestApp::start(config).await;
    assert_eq!(
        app.login_with(&client(), "boss@example.com", "bootstrap password")
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn setup_takes_the_token_from_the_log_once(engine: Engine) {
    let db = TestDb::new(engine).await;
    let app = TestApp::start(db.config()).await;
    let token = app.setup_token().await;
    let owner = |token: Option<&str>| {
        let mut input = json!({"business_name": BUSINESS, "email": EMAIL, "password": PASSWORD});
        if let Some(token) = token {
            input["setup_token"] = json!(token);
        }
        json!({ "input": input })
    };

    // Without the token, or with a wrong one: refused, saying where to find it; no owner.
    for (body, says) in [
        (owner(None), "Enter the setup token"),
        (owner(Some("")), "Enter the setup token"),
        (
            owner(Some("0000-0000-0000-0000-0000-0000")),
            "not this server's setup token",
        ),
        (
            owner(Some(&format!("{token}X"))),
            "not this server's setup token",
        ),
        (
            owner(Some(&"A".repeat(10_000))),
            "not this server's setup token",
        ),
    ] {
        let res = app.post("/api/auth/setup", body).await;
        assert_eq!(res.status(), 400);
        let error = json(res).await;
        assert_eq!(error["field"], "setup_token", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message}");
        assert!(message.contains("server's log"), "{message}");
    }
    let state = json(app.post("/api/auth/state", json!({})).await).await;
    assert_eq!(state["needs_setup"], true);

    // A restart keeps the same token (the log line seen before still works).
    app.stop().await;
    let app = TestApp::start(db.config()).await;
    assert_eq!(app.setup_token().await, token);

    // The right token, typed loosely (lower case, spaces for dashes), creates the owner.
    let typed = token.to_lowercase().replace('-', " ");
    common::expect_ok(app.post("/api/auth/setup", owner(Some(&typed))).await).await;

    // Single use: gone from the database, and setup is closed even with it.
    assert_eq!(
        replydesk::db::settings::get(&app.db, replydesk::db::settings::keys::SETUP_TOKEN)
            .await
            .expect("read"),
        None
    );
    let res = app
        .call(&client(), "/api/auth/setup", owner(Some(&token)))
        .await;
    assert_eq!(res.status(), 409);
    app.stop().await;
}

async fn bad_requests_get_clear_4xx(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;

    // 10 MB to a server function: refused from the headers, before the body is read (a raw
    // socket, because an HTTP client would fail writing the body the server never reads).
    let (status, body) = app
        .post_headers_only("/api/auth/login", 10 * 1024 * 1024)
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains(r#""error":"payload_too_large""#), "{body}");

    // Not JSON, and JSON of the wrong shape.
    for body in ["{not json", r#"{"email": 5}"#, "[]"] {
        let res = app
            .client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(json(res).await["error"], "bad_request");
    }

    // An invalid email and an empty password on login.
    let res = app
        .post("/api/auth/login", json!({"email": "nope", "password": "x"}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "email");
    let res = app
        .post("/api/auth/login", json!({"email": EMAIL, "password": ""}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "password");

    // A state-changing request from another site is refused, whatever the session.
    let res = app
        .call_with(
            &app.client,
            "/api/auth/logout",
            &[("origin", "https://evil.example")],
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(json(res).await["error"], "forbidden");
    // From our own origin it goes through.
    let res = app
        .client
        .post(app.url("/api/system/overview"))
        .header("origin", app.base.clone())
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);

    // And after all that the server is still serving.
    assert_eq!(app.get("/api/health").await.status(), 200);
    app.stop().await;
}
