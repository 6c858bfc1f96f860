//! The Graph API client against an in-process fake of Meta's server.

use crate::common;

use common::fake_graph::{FakeGraph, FILE, PHONE_ID, TOKEN};
use replydesk::config::Config;
use replydesk::whatsapp::client::{Content, ErrorClass, GraphClient, GraphError, Outgoing};

fn client_for(url: &str) -> GraphClient {
    let mut config = Config::from_lookup(|_| None).expect("config").whatsapp;
    config.graph_url = url::Url::parse(url).expect("url");
    config.access_token = Some(TOKEN.to_owned().into());
    config.phone_number_id = Some(PHONE_ID.to_owned());
    GraphClient::new(&config).expect("client")
}

fn hello() -> Outgoing {
    Outgoing {
        to: "5511987654321".into(),
        content: Content::Text {
            body: "Olá! Your order ships today.".into(),
            preview_url: false,
        },
        reply_to: Some("wamid.in".into()),
        callback: Some("message:1".into()),
    }
}

#[tokio::test]
async fn send_success_and_request_shape() {
    let graph = FakeGraph::start().await;
    let client = client_for(&graph.url);
    let wamid = client.send(&hello()).await.expect("sent");
    assert_eq!(wamid, "wamid.fake.1");
    let request = &graph.requests()[0];
    assert_eq!(request.path, format!("/v25.0/{PHONE_ID}/messages"));
    assert_eq!(
        request.authorization.as_deref(),
        Some("Bearer test-access-token")
    );
    assert_eq!(request.body["to"], "+5511987654321");
    assert_eq!(request.body["text"]["body"], "Olá! Your order ships today.");
    assert_eq!(request.body["context"]["message_id"], "wamid.in");

    client.mark_read("wamid.in", true).await.expect("read");
    let request = &graph.requests()[1];
    assert_eq!(request.body["status"], "read");
    assert_eq!(request.body["typing_indicator"]["type"], "text");
}

#[tokio::test]
async fn errors_are_classified_by_code() {
    let graph = FakeGraph::start().await;
    let client = client_for(&graph.url);
    graph.fail(400, 130429, "Rate limit hit");
    graph.fail(400, 131047, "Re-engagement message");
    graph.fail(401, 190, "Access token has expired");
    graph.answer(502, serde_json::json!({"oops": true}));
    let mut classes = Vec::new();
    for _ in 0..4 {
        classes.push(client.send(&hello()).await.expect_err("fails").class());
    }
    assert_eq!(
        classes,
        [
            ErrorClass::Retry { after: None },
            ErrorClass::Permanent,
            ErrorClass::TokenInvalid,
            ErrorClass::Retry { after: None },
        ]
    );
    // After the script: success again (130429 is retried by the job and then succeeds).
    assert!(client.send(&hello()).await.is_ok());
}

#[tokio::test]
async fn window_error_keeps_meta_details() {
    let graph = FakeGraph::start().await;
    let client = client_for(&graph.url);
    graph.fail(400, 131047, "Re-engagement message");
    match client.send(&hello()).await {
        Err(GraphError::Api {
            code,
            details,
            class,
            ..
        }) => {
            assert_eq!(code, 131047);
            assert_eq!(class, ErrorClass::Permanent);
            assert_eq!(details.as_deref(), Some("Re-engagement message"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn media_is_fetched_in_two_authenticated_steps() {
    let graph = FakeGraph::start().await;
    let client = client_for(&graph.url);
    let info = client.media_info("88231").await.expect("info");
    assert_eq!(info.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    assert_eq!(
        info.file_size,
        Some(FILE.len() as u64),
        "file_size given as a string"
    );
    let bytes = client
        .download(&info.url)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], FILE);
    assert!(graph
        .requests()
        .iter()
        .all(|r| r.authorization.as_deref() == Some("Bearer test-access-token")));
    // An expired URL answers 404: the caller fetches the metadata again.
    graph.answer_on("files", 404, serde_json::json!({}));
    let err = client.download(&info.url).await.expect_err("expired");
    assert!(matches!(err, GraphError::Http { status: 404 }));
}

#[tokio::test]
async fn unreachable_and_unconfigured() {
    let closed = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", probe.local_addr().expect("addr"))
    };
    let err = client_for(&closed)
        .send(&hello())
        .await
        .expect_err("no server");
    assert_eq!(err.class(), ErrorClass::Retry { after: None });

    let config = Config::from_lookup(|_| None).expect("config").whatsapp;
    let err = GraphClient::new(&config)
        .expect("client")
        .send(&hello())
        .await
        .expect_err("no token");
    assert_eq!(
        err.to_string(),
        "WhatsApp is not configured: set WHATSAPP_PHONE_NUMBER_ID"
    );
}
