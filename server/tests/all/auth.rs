//! Sign-up, log-in, sessions and the guard on every route, over HTTP.

use crate::common;

use common::{client, json, spawn_app, Engine, TestApp, TestDb, BUSINESS, EMAIL, PASSWORD};
use serde_json::json;

on_both_engines!(
    setup_validates_then_creates_the_owner_once,
    pages_and_api_are_denied_without_a_session,
    login_logout_and_generic_errors,
    cookies_are_secure_behind_https,
    login_is_throttled_after_five_failures,
    a_direct_caller_cannot_pick_its_address,
    two_step_sign_in_asks_for_the_app_code_once,
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

/// A login from `ip` (the test server trusts loopback as a proxy, as a local tunnel is).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    let body = json!({"email": email, "password": password});
    app.call_with(
        &client(),
        "/api/auth/login",
        &[("x-forwarded-for", ip)],
        body,
    )
    .await
}

async fn login_is_throttled_after_five_failures(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;
    let attacker = "203.0.113.7";
    for attempt in 1..=5 {
        let res = login_from(&app, attacker, EMAIL, "not the password").await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused from that address now: the throttle answers first,
    // with a short delay that grows with each further attempt, not a 15-minute lock.
    let res = login_from(&app, attacker, EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let body = json(res).await;
    assert_eq!(body["error"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("seconds"),
        "{body}"
    );

    // Behind a proxy that adds a line of its own to X-Forwarded-For, the first line (the
    // client's claim) does not make the attacker someone else.
    let body = json!({"email": EMAIL, "password": "not the password"});
    let two_lines = [
        ("x-forwarded-for", "192.0.2.1"),
        ("x-forwarded-for", attacker),
    ];
    let res = app
        .call_with(&client(), "/api/auth/login", &two_lines, body)
        .await;
    assert_eq!(res.status(), 429);

    // The owner, from their own address, is not locked out by a stranger's guesses; and
    // logging in often is no failure: 25 logins from one address are 25 successes.
    for n in 0..25 {
        let res = login_from(&app, "198.51.100.20", EMAIL, PASSWORD).await;
        assert_eq!(res.status(), 200, "login {n}");
    }

    // Parallel guesses cannot all pass a check none of them has counted yet: at most five
    // of 40 reach the password check.
    let flood = futures::future::join_all(
        (0..40).map(|_| login_from(&app, "198.51.100.66", EMAIL, "parallel guess")),
    )
    .await;
    let checked = flood.iter().filter(|r| r.status() == 401).count();
    let throttled = flood.iter().filter(|r| r.status() == 429).count();
    assert!(checked <= 5, "{checked} guesses reached the password check");
    assert_eq!(checked + throttled, 40);

    // One address trying many accounts is throttled too, whatever the emails.
    let roamer = "198.51.100.99";
    for n in 0..20 {
        let res = login_from(&app, roamer, &format!("guess{n}@example.com"), "a guess").await;
        assert_eq!(res.status(), 401, "guess {n}");
    }
    assert_eq!(
        login_from(&app, roamer, "guess99@example.com", "a guess")
            .await
            .status(),
        429
    );

    // A reset on the server forgives every attempt at the email.
    let accounts = replydesk::services::accounts::AccountsService::new(app.db.clone());
    accounts
        .reset_password(EMAIL, secrecy::SecretString::from("brand new password"))
        .await
        .expect("reset");
    assert_eq!(
        login_from(&app, attacker, EMAIL, "brand new password")
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn a_direct_caller_cannot_pick_its_address(engine: Engine) {
    let db = TestDb::new(engine).await;
    let mut config = db.config();
    config.trusted_proxies = replydesk::client_address::TrustedProxies::none();
    let app = TestApp::start(config).await;
    app.setup_owner().await;
    // A new X-Forwarded-For on every guess: the server counts the real peer all the same.
    for n in 0..5 {
        let res = login_from(&app, &format!("198.51.100.{n}"), EMAIL, "guess").await;
        assert_eq!(res.status(), 401);
    }
    let res = login_from(&app, "198.51.100.200", EMAIL, "guess").await;
    assert_eq!(res.status(), 429);
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

async fn two_step_sign_in_asks_for_the_app_code_once(engine: Engine) {
    let (app, _db) = spawn_app(engine).await;
    app.setup_owner().await;
    let setup = json(app.post("/api/auth/two-factor/setup", json!({})).await).await;
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    assert!(setup["otpauth_url"]
        .as_str()
        .unwrap_or_default()
        .starts_with("otpauth://totp/Replydesk:"));
    assert!(setup["qr_image"]
        .as_str()
        .unwrap_or_default()
        .starts_with("data:image/svg+xml;base64,"));

    // Turning it on needs the app's current code and the password.
    let enable = |code: String, password: &str| {
        let body = json!({"secret": secret, "code": code, "password": password});
        let app = &app;
        async move { app.post("/api/auth/two-factor/enable", body).await }
    };
    let now = common::unix_now();
    let wrong_code = enable("000000".into(), PASSWORD).await;
    assert_eq!(wrong_code.status(), 400);
    assert_eq!(json(wrong_code).await["field"], "code");
    let wrong_password = enable(common::totp_code(&secret, now), "not my password").await;
    assert_eq!(json(wrong_password).await["field"], "password");
    let res = enable(common::totp_code(&secret, now), PASSWORD).await;
    assert_eq!(res.status(), 200);
    let recovery: Vec<String> = serde_json::from_value(json(res).await).expect("codes");
    assert_eq!(recovery.len(), 10);
    let state = json(app.post("/api/auth/state", json!({})).await).await;
    assert_eq!(state["owner"]["two_factor"], true);

    let login = |code: Option<String>| {
        let body = json!({"email": EMAIL, "password": PASSWORD, "code": code});
        let app = &app;
        async move { app.call(&client(), "/api/auth/login", body).await }
    };
    // The password alone is not enough.
    let res = login(None).await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "code");
    assert_eq!(login(Some("123 456".into())).await.status(), 400);
    // The app's next code (this step's was spent turning it on) signs in, once.
    let next = common::totp_code(&secret, now + 30);
    assert_eq!(login(Some(next.clone())).await.status(), 200);
    let replay = login(Some(next)).await;
    assert_eq!(replay.status(), 400, "a code is taken once");
    // A recovery code signs in once, however it is typed.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    assert_eq!(login(Some(typed.clone())).await.status(), 200);
    assert_eq!(login(Some(typed)).await.status(), 400);

    // Off again with the password; then the password alone signs in.
    let res = app
        .post(
            "/api/auth/two-factor/disable",
            json!({"password": "wrong one"}),
        )
        .await;
    assert_eq!(json(res).await["field"], "password");
    let res = app
        .post(
            "/api/auth/two-factor/disable",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(login(None).await.status(), 200);
    app.stop().await;
}
