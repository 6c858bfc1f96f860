//! The knowledge base over HTTP: uploads of real files made by third-party writers (see
//! `fixtures/make.py`), hostile files, entries, ranked search, replace and delete, limits, and
//! an index rebuilt from the database.

use crate::common;

use std::path::{Path, PathBuf};

use common::{eventually, json, Engine, TestApp, TestDb};
use replydesk::db::settings;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url("/api/knowledge/upload"))
        .query(&[("name", name)])
        .body(bytes)
        .send()
        .await
        .expect("request")
}

/// Uploads a file that must be accepted; returns its document id.
async fn accepted(app: &TestApp, name: &str, bytes: Vec<u8>) -> i64 {
    let res = upload(app, name, bytes).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 201, "{name}: {body}");
    assert_eq!(body["status"], "processing");
    body["id"].as_i64().expect("id")
}

async fn document(app: &TestApp, id: i64) -> Value {
    json(
        app.post("/api/knowledge/document", json!({ "id": id }))
            .await,
    )
    .await
}

/// Waits until processing ends; returns the document's detail.
async fn processed(app: &TestApp, id: i64) -> Value {
    eventually("processing to end", || async {
        let detail = document(app, id).await;
        (detail["document"]["status"] != "processing").then_some(detail)
    })
    .await
}

async fn ready(app: &TestApp, id: i64) -> Value {
    let detail = processed(app, id).await;
    assert_eq!(detail["document"]["status"], "ready", "{detail}");
    detail
}

/// The error a hostile file ends with.
async fn failed(app: &TestApp, id: i64) -> String {
    let detail = processed(app, id).await;
    assert_eq!(detail["document"]["status"], "error", "{detail}");
    assert_eq!(detail["document"]["passages"], 0);
    assert!(detail["passages"].as_array().expect("passages").is_empty());
    detail["document"]["error"]
        .as_str()
        .expect("reason")
        .to_owned()
}

async fn search(app: &TestApp, query: Value) -> Vec<Value> {
    let res = app
        .post("/api/knowledge/search", json!({ "query": query }))
        .await;
    assert_eq!(res.status(), 200);
    json(res).await.as_array().expect("hits").clone()
}

async fn titles(app: &TestApp, text: &str) -> Vec<String> {
    search(app, json!({ "text": text }))
        .await
        .iter()
        .map(|h| h["document_title"].as_str().expect("title").to_owned())
        .collect()
}

async fn library(app: &TestApp) -> Value {
    json(app.post("/api/knowledge/library", json!({})).await).await
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

on_both_engines!(
    real_files_become_searchable,
    hostile_files_get_clear_errors_and_leave_nothing,
    entries_edits_filters_replace_and_delete,
    the_51st_document_is_refused,
    ranking_puts_the_right_passage_first,
    a_deleted_index_is_rebuilt_with_the_same_results,
);

async fn real_files_become_searchable(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    app.setup_owner().await;

    let pdf = accepted(&app, "menu.pdf", fixture("menu.pdf")).await;
    let docx = accepted(&app, "prices.docx", fixture("prices.docx")).await;
    let utf8 = accepted(
        &app,
        "hours.txt",
        "Brunch is served on Sundays with fresh pineapple juice.\n".into(),
    )
    .await;
    let utf16 = accepted(
        &app,
        "kids.txt",
        utf16le_with_bom("El menú del niño incluye postre.\n"),
    )
    .await;
    let cp1252 = accepted(
        &app,
        "desserts.txt",
        b"Our cr\xe8me br\xfbl\xe9e is made every morning.\n".to_vec(),
    )
    .await;
    let md = accepted(
        &app,
        "delivery.md",
        "# Delivery\n\n## Zones\n\nWe deliver within 5 km of the restaurant.\n".into(),
    )
    .await;
    let csv = accepted(
        &app,
        "specials.csv",
        "Day,Special\nFriday,Paella valenciana\n".into(),
    )
    .await;

    let detail = ready(&app, pdf).await;
    let text = detail["text_preview"].as_str().expect("text");
    assert!(
        text.contains("Opening hours") && text.contains("cancelación"),
        "{text}"
    );
    let detail = ready(&app, docx).await;
    let text = detail["text_preview"].as_str().expect("text");
    // Page header, heading, list and table, in their shape.
    assert!(text.contains("Casa Lucia price list 2026"), "{text}");
    assert!(text.contains("# Wine list"), "{text}");
    assert!(text.contains("- Albariño from Rías Baixas"), "{text}");
    assert!(text.contains("Rioja Reserva | 6 € | 28 €"), "{text}");
    for id in [utf8, utf16, cp1252, md, csv] {
        ready(&app, id).await;
    }

    // Accents folded both ways; stems match across forms.
    assert_eq!(
        titles(&app, "cancelacion")
            .await
            .first()
            .map(String::as_str),
        Some("menu")
    );
    assert_eq!(
        titles(&app, "corkage").await.first().map(String::as_str),
        Some("prices")
    );
    assert_eq!(
        titles(&app, "albarino price")
            .await
            .first()
            .map(String::as_str),
        Some("prices")
    );
    assert_eq!(
        titles(&app, "nino").await.first().map(String::as_str),
        Some("kids")
    );
    assert_eq!(
        titles(&app, "creme brulee")
            .await
            .first()
            .map(String::as_str),
        Some("desserts")
    );
    assert_eq!(
        titles(&app, "pineapples").await.first().map(String::as_str),
        Some("hours")
    );
    assert_eq!(
        titles(&app, "paella friday")
            .await
            .first()
            .map(String::as_str),
        Some("specials")
    );
    let hits = search(&app, json!({ "text": "deliver" })).await;
    assert_eq!(hits[0]["heading_path"], "Delivery › Zones");
    let highlighted: Vec<&str> = hits[0]["snippet"]
        .as_array()
        .expect("snippet")
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().expect("text"))
        .collect();
    assert_eq!(highlighted, ["deliver"]);
    // Query syntax and punctuation are just text.
    assert_eq!(
        titles(&app, "\"((allergies AND:")
            .await
            .first()
            .map(String::as_str),
        Some("menu")
    );
    assert!(search(&app, json!({ "text": "?!" })).await.is_empty());

    // The library lists everything with its facts; the original comes back byte for byte.
    let lib = library(&app).await;
    assert_eq!(lib["files"], 7);
    assert_eq!(lib["max_files"], 50);
    let docs = lib["documents"].as_array().expect("documents");
    let pdf_row = docs.iter().find(|d| d["id"] == pdf).expect("pdf listed");
    assert_eq!(pdf_row["kind"], "pdf");
    assert_eq!(pdf_row["original_name"], "menu.pdf");
    assert!(pdf_row["passages"].as_i64().expect("passages") >= 1);
    let res = app
        .get(&format!("/api/knowledge/documents/{docx}/file"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .expect("header")
        .contains("prices.docx"));
    assert_eq!(
        res.bytes().await.expect("body").to_vec(),
        fixture("prices.docx")
    );

    // The same file twice is refused, naming the copy in the library.
    let res = upload(&app, "copy.pdf", fixture("menu.pdf")).await;
    assert_eq!(res.status(), 409);
    assert!(json(res).await["message"]
        .as_str()
        .expect("message")
        .contains("“menu”"));

    // Processing was pushed live, in order.
    let kinds = replydesk::db::events::after(&app.db, 0, 1000)
        .await
        .expect("events")
        .into_iter()
        .filter_map(|e| match e.change {
            app::model::Change::DocumentUpdated {
                document_id,
                status,
            } if i64::from(document_id) == pdf => Some(status),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(kinds, ["processing", "ready"]);
    app.stop().await;
}

async fn hostile_files_get_clear_errors_and_leave_nothing(engine: Engine) {
    let (app, db) = common::spawn_app(engine).await;
    app.setup_owner().await;
    let stored = db.data_dir.path().join("knowledge");

    // Refused at once, with nothing stored.
    let menu = fixture("menu.pdf");
    let refusals: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "invoice.pdf",
            [b"\x7fELF\x02\x01\x01\0".as_slice(), &[0u8; 4096]].concat(),
            415,
            "a program",
        ),
        ("empty.txt", Vec::new(), 400, "is empty"),
        (
            "../../etc/passwd.txt",
            b"root:x:0:0".to_vec(),
            400,
            "without folders",
        ),
        (
            "photo.pdf",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            415,
            "an image",
        ),
        (
            "archive.docx",
            zip_without_word(),
            415,
            "not a Word document",
        ),
        // A program in disguise, refused by its name whatever it holds.
        (
            "menu.pdf.exe",
            b"%PDF-1.4 looks fine".to_vec(),
            415,
            "ends in .exe",
        ),
        // Names that promise what the content is not.
        (
            "prices.docx",
            b"Rioja 28 euros".to_vec(),
            415,
            "named as a Word document",
        ),
        ("menu.pdf", b"just words".to_vec(), 415, "named as a PDF"),
    ];
    for (name, bytes, status, says) in refusals {
        let res = upload(&app, name, bytes).await;
        assert_eq!(res.status(), status, "{name}");
        let body = json(res).await;
        let message = body["message"].as_str().expect("message");
        assert!(message.contains(says), "{name}: {message}");
    }
    // Too large, refused from the declared length before a byte of the body is read (only
    // the headers are sent: a client still writing 10 MB would see the connection closed).
    let cookie = app.session_cookie().await;
    let (status, answer) = app
        .headers_only(
            "/api/knowledge/upload?name=big.txt",
            10 * 1024 * 1024 + 1,
            &[("Content-Type", "text/plain"), ("Cookie", &cookie)],
        )
        .await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("larger than 10 MB"), "{answer}");
    // Without a declared length the limit holds while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..11).map(|_| Ok(vec![b'b'; 1024 * 1024])).collect();
    let res = app
        .client
        .post(app.url("/api/knowledge/upload"))
        // Refused mid-stream, the server closes this connection: it must not go back to the
        // client's pool, or the next upload would be sent on it and fail.
        .header("connection", "close")
        .query(&[("name", "stream.txt")])
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 413);
    // One byte over, sent whole: the client gets to read the answer, not a reset connection.
    let res = upload(&app, "one-too-many.txt", vec![b'c'; 10 * 1024 * 1024 + 1]).await;
    assert_eq!(res.status(), 413);
    let body = json(res).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("larger than 10 MB"),
        "{body}"
    );
    assert_eq!(files_in(&stored), 0, "refused uploads left files behind");

    // Accepted although odd: a name of 255 bytes (what a file system allows), and a saved
    // terminal log with colour codes, read without them.
    let long_name = format!("{}.txt", "ñ".repeat(125));
    assert_eq!(long_name.len(), 254);
    let id = accepted(&app, &long_name, b"Long names are fine.".to_vec()).await;
    ready(&app, id).await;
    let log = "\u{1b}[1;32mDelivery\u{1b}[0m runs every Thursday\n".repeat(3);
    let id = accepted(&app, "deliveries.txt", log.into_bytes()).await;
    let detail = ready(&app, id).await;
    let text = detail["passages"][0]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("Delivery runs every Thursday"), "{detail}");
    assert!(!text.contains("[1;32m"), "{text}");

    // Accepted, then failed by extraction with the reason shown.
    let truncated = accepted(&app, "truncated.pdf", menu[..menu.len() * 3 / 5].to_vec()).await;
    let encrypted = accepted(&app, "locked.pdf", fixture("encrypted.pdf")).await;
    let scan = accepted(&app, "scan.pdf", fixture("scan.pdf")).await;
    let bomb = accepted(&app, "bomb.docx", fixture("bomb.docx")).await;
    let reasons = [
        (truncated, "damaged or incomplete"),
        (encrypted, "password-protected"),
        (scan, "no selectable text — is it a scan?"),
        (bomb, "zip bomb"),
    ];
    for (id, says) in reasons {
        let reason = failed(&app, id).await;
        assert!(reason.contains(says), "{id}: {reason}");
    }
    // Nothing of them is searchable; the server is fine and still takes good files.
    assert!(titles(&app, "Casa Lucia menu policies").await.is_empty());
    assert_eq!(app.get("/api/health").await.status(), 200);
    let good = accepted(&app, "menu.pdf", menu).await;
    ready(&app, good).await;
    assert_eq!(titles(&app, "allergies").await, ["menu"]);

    // An unauthenticated upload is refused before anything is read.
    let res = common::client()
        .post(app.url("/api/knowledge/upload?name=x.txt"))
        .body("hello")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    app.stop().await;
}

fn zip_without_word() -> Vec<u8> {
    use std::io::Write;
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    zip.start_file("notes.txt", zip::write::SimpleFileOptions::default())
        .expect("entry");
    zip.write_all(b"not a document").expect("write");
    zip.finish().expect("finish");
    buffer.into_inner()
}

async fn entries_edits_filters_replace_and_delete(engine: Engine) {
    let (app, db) = common::spawn_app(engine).await;
    app.setup_owner().await;

    // Entries: validated, then indexed like documents.
    let res = app
        .post(
            "/api/knowledge/entry",
            json!({ "entry": { "kind": "faq", "title": "Do you deliver?", "body": "" } }),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json(res).await["field"], "body");
    let faq = json(
        app.post(
            "/api/knowledge/entry",
            json!({ "entry": { "kind": "faq", "title": "Do you deliver on Sundays?", "body": "Yes, from noon to 9 pm.", "category": "Delivery", "tags": ["weekend"] } }),
        )
        .await,
    )
    .await;
    let faq_id = faq["id"].as_i64().expect("id");
    ready(&app, faq_id).await;
    let note = json(
        app.post("/api/knowledge/entry", json!({ "entry": { "kind": "note", "title": "Parking", "body": "Free parking behind the restaurant after 6 pm." } }))
            .await,
    )
    .await;
    let note_id = note["id"].as_i64().expect("id");
    ready(&app, note_id).await;
    assert_eq!(
        titles(&app, "sunday delivery")
            .await
            .first()
            .map(String::as_str),
        Some("Do you deliver on Sundays?")
    );
    // Entries do not count against the file limit.
    assert_eq!(library(&app).await["files"], 0);

    // Editing an entry re-indexes it.
    let res = app
        .post(
            "/api/knowledge/entry",
            json!({ "id": note_id, "entry": { "kind": "note", "title": "Parking", "body": "Valet parking at the door, every evening." } }),
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("the edited note to be indexed", || async {
        let t = titles(&app, "valet").await;
        (t == ["Parking"]).then_some(())
    })
    .await;
    assert!(titles(&app, "behind").await.is_empty());

    // Category and tag filters, after editing a file's details.
    let txt = accepted(
        &app,
        "weekend.txt",
        "Sunday brunch with live music on the terrace.\n".into(),
    )
    .await;
    ready(&app, txt).await;
    let res = app
        .post("/api/knowledge/update", json!({ "id": txt, "meta": { "title": "Brunch", "category": "Events", "tags": ["weekend", "music"] } }))
        .await;
    assert_eq!(res.status(), 200);
    let only = |category: Option<&str>, tag: Option<&str>| {
        let app = &app;
        let query = json!({ "text": "sunday", "category": category, "tag": tag });
        async move {
            search(app, query)
                .await
                .iter()
                .map(|h| h["document_title"].as_str().expect("title").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only(Some("events"), None).await, ["Brunch"]);
    assert_eq!(
        only(Some("Delivery"), None).await,
        ["Do you deliver on Sundays?"]
    );
    let mut weekend = only(None, Some("Weekend")).await;
    weekend.sort();
    assert_eq!(weekend, ["Brunch", "Do you deliver on Sundays?"]);
    assert_eq!(only(None, Some("music")).await, ["Brunch"]);
    let lib = library(&app).await;
    assert_eq!(lib["categories"], json!(["Delivery", "Events"]));
    assert_eq!(lib["tags"], json!(["music", "weekend"]));

    // Replace: same id, version 2, the new text in place of the old.
    let res = app
        .client
        .put(app.url(&format!("/api/knowledge/documents/{txt}/file")))
        .query(&[("name", "weekend-v2.md")])
        .body("# Weekend\n\nSunday jazz brunch from 11 am.\n")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let detail = ready(&app, txt).await;
    assert_eq!(detail["document"]["version"], 2);
    assert_eq!(detail["document"]["kind"], "md");
    assert_eq!(detail["document"]["title"], "Brunch");
    assert_eq!(titles(&app, "jazz").await, ["Brunch"]);
    assert!(titles(&app, "terrace").await.is_empty());
    assert_eq!(
        files_in(&db.data_dir.path().join("knowledge")),
        1,
        "the old version's file remains"
    );

    // Delete: gone from the library, the index and the disk.
    let res = app
        .post("/api/knowledge/delete", json!({ "id": txt }))
        .await;
    assert_eq!(res.status(), 200);
    assert!(titles(&app, "jazz").await.is_empty());
    assert_eq!(files_in(&db.data_dir.path().join("knowledge")), 0);
    let res = app
        .post("/api/knowledge/document", json!({ "id": txt }))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.get(&format!("/api/knowledge/documents/{txt}/file"))
            .await
            .status(),
        404
    );
    app.stop().await;
}

async fn the_51st_document_is_refused(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    app.setup_owner().await;
    for i in 0..50 {
        accepted(
            &app,
            &format!("doc{i}.txt"),
            format!("Document number {i}.\n").into_bytes(),
        )
        .await;
    }
    let res = upload(&app, "doc50.txt", b"One too many.".to_vec()).await;
    assert_eq!(res.status(), 409);
    let message = json(res).await["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.contains("50 of 50"), "{message}");
    // The limit is a setting.
    settings::set(&app.db, settings::keys::KNOWLEDGE_MAX_FILES, "51")
        .await
        .expect("setting");
    accepted(&app, "doc50.txt", b"Now there is room.".to_vec()).await;
    app.stop().await;
}

async fn ranking_puts_the_right_passage_first(engine: Engine) {
    let (app, _db) = common::spawn_app(engine).await;
    app.setup_owner().await;
    let english = [
        ("refunds.txt", "Refunds: we refund unopened items within 30 days of purchase. The refund goes back to the original card."),
        ("exchanges.txt", "Exchanges: we exchange unopened items within 30 days of purchase for another size or colour."),
        ("returns.txt", "Returns by post: unopened items can be returned within 30 days of purchase; postage is paid by the customer."),
    ];
    for (name, text) in english {
        let id = accepted(&app, name, text.into()).await;
        ready(&app, id).await;
    }
    assert_eq!(
        titles(&app, "How do I get my money refunded?").await[0],
        "refunds"
    );
    assert_eq!(
        titles(&app, "can I exchange it for another colour").await[0],
        "exchanges"
    );
    assert_eq!(titles(&app, "who pays the postage").await[0], "returns");

    // A business that speaks English and Spanish: Spanish documents are stemmed in Spanish,
    // English ones stay English, and questions in either language find theirs.
    let res = app
        .post(
            "/api/settings/business",
            json!({"profile": {"name": "Hotel", "timezone": "Europe/Madrid", "languages": ["English", "Español"]}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let spanish = [
        ("cancelaciones.txt", "Cancelaciones: puede cancelar su reserva sin coste hasta 24 horas antes de la llegada. Le devolvemos el importe completo."),
        ("modificaciones.txt", "Modificaciones: puede modificar su reserva sin coste hasta 24 horas antes de la llegada, según disponibilidad."),
        ("grupos.txt", "Grupos: las reservas de más de diez personas necesitan un depósito del veinte por ciento."),
    ];
    for (name, text) in spanish {
        let id = accepted(&app, name, text.into()).await;
        ready(&app, id).await;
    }
    assert_eq!(
        titles(&app, "cancelacion de mi reserva").await[0],
        "cancelaciones"
    );
    assert_eq!(
        titles(&app, "quiero modificar la reservación").await[0],
        "modificaciones"
    );
    assert_eq!(
        titles(&app, "depositos para grupos grandes").await[0],
        "grupos"
    );
    // English still ranks as before: the Spanish documents took nothing from it.
    assert_eq!(
        titles(&app, "How do I get my money refunded?").await[0],
        "refunds"
    );
    assert_eq!(titles(&app, "who pays the postage").await[0], "returns");
    let shelf = library(&app).await;
    assert_eq!(shelf["languages"], json!(["English", "Español"]));
    let language_of = |title: &str| {
        shelf["documents"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["title"] == title))
            .map(|d| d["language"].clone())
    };
    assert_eq!(language_of("refunds"), Some(json!("English")));
    assert_eq!(language_of("cancelaciones"), Some(json!("Español")));
    app.stop().await;
}

async fn a_deleted_index_is_rebuilt_with_the_same_results(engine: Engine) {
    let db = TestDb::new(engine).await;
    let app = TestApp::start(db.config()).await;
    app.setup_owner().await;
    for (name, bytes) in [
        ("menu.pdf", fixture("menu.pdf")),
        ("prices.docx", fixture("prices.docx")),
    ] {
        let id = accepted(&app, name, bytes).await;
        ready(&app, id).await;
    }
    let queries = [
        "wine by the glass",
        "cancelacion",
        "closed on mondays",
        "gluten",
    ];
    let mut before = Vec::new();
    for q in queries {
        before.push(search(&app, json!({ "text": q })).await);
    }
    assert!(before.iter().all(|hits| !hits.is_empty()));
    // A document removed from the database but not (yet) from the index — a crash between the
    // two — is never shown.
    let stale = accepted(&app, "stale.txt", b"Secret staleness marker.\n".to_vec()).await;
    ready(&app, stale).await;
    assert_eq!(titles(&app, "staleness").await, ["stale"]);
    replydesk::db::documents::delete(&app.db, stale as i32)
        .await
        .expect("row deleted");
    assert!(titles(&app, "staleness").await.is_empty());
    app.stop().await;

    std::fs::remove_dir_all(db.data_dir.path().join("index")).expect("index removed");
    let app = TestApp::start(db.config()).await;
    let res = app
        .login_with(&app.client, common::EMAIL, common::PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    for (q, expected) in queries.iter().zip(&before) {
        eventually("the rebuilt index to answer as before", || async {
            let hits = search(&app, json!({ "text": q })).await;
            (hits == *expected).then_some(())
        })
        .await;
    }
    app.stop().await;

    // An index of another schema version is rebuilt too.
    let state = db.data_dir.path().join("index/replydesk-index.json");
    std::fs::write(&state, r#"{"schema":0,"language":"english"}"#).expect("state");
    let app = TestApp::start(db.config()).await;
    app.login_with(&app.client, common::EMAIL, common::PASSWORD)
        .await;
    eventually("the index to be rebuilt", || async {
        let hits = search(&app, json!({ "text": queries[0] })).await;
        (hits == before[0]).then_some(())
    })
    .await;
    app.stop().await;
}
