//! Property tests: what customers, Meta and uploads can send, generated — the webhook parser,
//! the document readers and the WhatsApp formatter never panic, never loop, and keep their
//! promises, whatever they are fed. Bounded: a fixed number of cases each, small inputs, so CI
//! time stays predictable (a failure prints the smallest input that shows it).

use std::path::PathBuf;

use proptest::prelude::*;
use replydesk::ai::formatting::{split, to_whatsapp, MESSAGE_LIMIT};
use replydesk::config::Isolation;
use replydesk::knowledge::detect::{detect, FileKind};
use replydesk::knowledge::extract::child;
use replydesk::knowledge::extract::{extract, ExtractFailure, Limits};
use replydesk::whatsapp::payload;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// JSON shaped like a webhook: the keys Meta uses, at any depth, with any kind of value.
fn webhook_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "object",
        "entry",
        "changes",
        "field",
        "value",
        "messages",
        "statuses",
        "contacts",
        "metadata",
        "phone_number_id",
        "display_phone_number",
        "from",
        "id",
        "timestamp",
        "type",
        "text",
        "body",
        "image",
        "audio",
        "document",
        "caption",
        "filename",
        "mime_type",
        "sha256",
        "context",
        "reaction",
        "message_id",
        "status",
        "errors",
        "code",
        "title",
        "wa_id",
        "profile",
        "name",
        "location",
        "latitude",
        "longitude",
        "interactive",
        "biz_opaque_callback_data",
        "user_id",
        "from_user_id",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "messages",
            "text",
            "image",
            "sent",
            "read",
            "failed",
            "1700000000"
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 200, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|pairs| Value::Object(
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// A file's bytes with some of them changed, cut short or grown: what a damaged or crafted
/// upload looks like to a reader that expects the real thing.
fn mutated(original: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = original.len();
    (prop::collection::vec((0..len, any::<u8>()), 0..24), 0..=len).prop_map(
        move |(changes, keep)| {
            let mut bytes = original.clone();
            for (at, byte) in changes {
                bytes[at] = byte;
            }
            bytes.truncate(keep.max(1));
            bytes
        },
    )
}

fn limits() -> Limits {
    Limits {
        max_unzipped_bytes: 8 * 1024 * 1024,
        max_text_bytes: 1024 * 1024,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_webhook_parser_takes_anything(envelope in webhook_json()) {
        let delivery = payload::read(&envelope);
        // Whatever it kept is well-formed: every message has an id.
        prop_assert!(delivery.messages.iter().all(|m| !m.wamid.is_empty()));
    }

    #[test]
    fn a_real_webhook_with_noise_still_parses(noise in webhook_json()) {
        let mut envelope = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"metadata": {"phone_number_id": "301"},
             "messages": [{"from": "5511987654321", "id": "wamid.x", "timestamp": "1700000000",
                           "type": "text", "text": {"body": "hi"}}]}}]}]});
        envelope["entry"][0]["changes"][0]["value"]["extra"] = noise;
        let delivery = payload::read(&envelope);
        prop_assert_eq!(delivery.messages.len(), 1);
        prop_assert_eq!(&delivery.messages[0].body, "hi");
    }

    #[test]
    fn whatsapp_formatting_never_panics_and_splits_within_the_limit(
        text in "(?s).{0,3000}",
        limit in 1usize..300,
    ) {
        let formatted = to_whatsapp(&text);
        let parts = split(&formatted, limit);
        for part in &parts {
            prop_assert!(part.chars().count() <= limit, "{} > {limit}", part.chars().count());
            prop_assert!(!part.trim().is_empty());
        }
        // Nothing but whitespace is lost between the parts.
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        prop_assert_eq!(squeeze(&parts.concat()), squeeze(&formatted));
        prop_assert!(split(&"x".repeat(limit * 3), limit).len() == 3);
        prop_assert!(MESSAGE_LIMIT >= 4096);
    }

    #[test]
    fn text_readers_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for kind in [FileKind::Txt, FileKind::Md, FileKind::Html, FileKind::Csv] {
            if let Ok(text) = extract(kind, &bytes, &limits()) {
                prop_assert!(!text.is_empty());
                prop_assert!(text.len() <= limits().max_text_bytes);
            }
        }
        // Detection never panics either, whatever the name.
        let _ = detect(&bytes, "x.txt");
    }

    #[test]
    fn the_word_reader_takes_damaged_documents(bytes in mutated(fixture("prices.docx"))) {
        // Ok or a reason; never a panic, however the zip or its XML is broken.
        let _ = extract(FileKind::Docx, &bytes, &limits());
    }
}

proptest! {
    // Each case starts a reader process: fewer cases.
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// The PDF reader (pdf-extract) can panic on broken files; it runs in the confined child,
    /// so the server always gets text or a reason, never a crash, an I/O error or a hang.
    #[test]
    fn damaged_pdfs_end_in_text_or_a_reason(bytes in mutated(fixture("menu.pdf"))) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("damaged.pdf");
        std::fs::write(&path, &bytes).expect("write");
        let isolation = Isolation {
            program: PathBuf::from(env!("CARGO_BIN_EXE_replydesk")),
            memory_bytes: 256 * 1024 * 1024,
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let result = runtime.block_on(child::run(&isolation, FileKind::Pdf, &path, &limits()));
        prop_assert!(
            matches!(result, Ok(_) | Err(ExtractFailure::Unreadable(_))),
            "{result:?}"
        );
    }
}
