//! Backup and restore across engines: a deployment on the embedded SQLite, downloaded from the
//! dashboard, restored into PostgreSQL (the path to production) and from there back into SQLite,
//! shows the same conversations, documents, files and search results each time. Without
//! `TEST_DATABASE_URL` the middle step is SQLite too.

use crate::common;

use std::path::Path;

use common::fake_graph::FakeGraph;
use common::meta::{deliver_json, inbound, text};
use common::{eventually, expect_ok, json, Engine, TestApp, TestDb, EMAIL, PASSWORD};
use replydesk::backup::{self, BackupError};
use replydesk::db::entities::message;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::{json, Value};

const HOURS: &str = "# Opening hours\nWe open Tuesday to Sunday from 8:00 to 18:00. Delivery within the city costs $5.\n";
const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes to carry";

/// Everything an owner sees that a backup must carry.
async fn snapshot(app: &TestApp) -> Value {
    let list = json(
        app.post("/api/inbox/conversations", json!({"query": {}}))
            .await,
    )
    .await;
    let mut threads = Vec::new();
    for c in list["items"].as_array().expect("items") {
        let thread = app
            .post("/api/inbox/thread", json!({"conversation_id": c["id"]}))
            .await;
        threads.push(json(thread).await);
    }
    let library = json(app.post("/api/knowledge/library", json!({})).await).await;
    let mut files = Vec::new();
    for d in library["documents"].as_array().expect("documents") {
        if d["kind"] == "faq" || d["kind"] == "note" {
            continue; // written in the dashboard: no file
        }
        let res = app
            .get(&format!("/api/knowledge/documents/{}/file", d["id"]))
            .await;
        files.push(String::from_utf8_lossy(&res.bytes().await.expect("file")).into_owned());
    }
    let photo = message::Entity::find()
        .order_by_desc(message::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("a message");
    let media = app.get(&format!("/api/media/{}", photo.id)).await;
    files.push(format!(
        "{}: {:?}",
        media.status(),
        media.bytes().await.expect("media")
    ));
    let mut search = json(
        app.post(
            "/api/knowledge/search",
            json!({"query": {"text": "delivery opening"}}),
        )
        .await,
    )
    .await;
    // Scores are floating point sums of an index rebuilt from the same passages: equal to the
    // last digits that matter.
    for hit in search.as_array_mut().expect("hits") {
        let score = hit["score"].as_f64().unwrap_or_default();
        hit["score"] = json!((score * 1e4).round() / 1e4);
    }
    json!({"conversations": list, "threads": threads, "library": library, "files": files, "search": search})
}

/// A deployment with knowledge, conversations answered by the assistant, and a photo.
async fn populated(db: &TestDb, graph: &FakeGraph) -> TestApp {
    let app = TestApp::start(common::connected(db, graph)).await;
    app.setup_owner().await;
    let res = app
        .client
        .post(app.url("/api/knowledge/upload"))
        .query(&[("name", "hours.md")])
        .body(HOURS)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201);
    expect_ok(
        app.post(
            "/api/knowledge/entry",
            json!({"entry": {"kind": "faq", "title": "Do you deliver?", "body": "Yes, within the city, for $5."}}),
        )
        .await,
    )
    .await;
    eventually("the library to be ready", || async {
        let library = json(app.post("/api/knowledge/library", json!({})).await).await;
        let docs = library["documents"].as_array()?.clone();
        (docs.len() == 2 && docs.iter().all(|d| d["status"] == "ready")).then_some(())
    })
    .await;
    let at = chrono::Utc::now().timestamp();
    for (n, body) in ["When do you open?", "How much is delivery?"]
        .iter()
        .enumerate()
    {
        let res = deliver_json(
            &app,
            &inbound(json!([text(&format!("wamid.b{n}"), at, body)])),
        )
        .await;
        assert_eq!(res.status(), 200);
        eventually("the answer", || async {
            let sent = graph
                .requests()
                .into_iter()
                .filter(|r| r.path.ends_with("/messages") && r.body["type"] == "text")
                .count();
            (sent > n).then_some(())
        })
        .await;
    }
    // A photo the customer sent, already downloaded.
    std::fs::create_dir_all(db.data_dir.path().join("media")).expect("media dir");
    std::fs::write(db.data_dir.path().join("media/photo.jpg"), PHOTO).expect("photo");
    let last = message::Entity::find()
        .order_by_desc(message::Column::Id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("a message");
    let mut photo: message::ActiveModel = last.into();
    photo.media_path = Set(Some("media/photo.jpg".to_owned()));
    photo.media_mime = Set(Some("image/jpeg".to_owned()));
    photo.media_status = Set(Some("ready".to_owned()));
    photo.update(&app.db).await.expect("photo row");
    app
}

async fn signed_in(db: &TestDb) -> TestApp {
    let app = TestApp::start(db.config()).await;
    let res = app.login_with(&app.client, EMAIL, PASSWORD).await;
    assert_eq!(
        res.status(),
        200,
        "the owner's password travels with the backup"
    );
    app
}

async fn restore(into: &TestDb, file: &Path) {
    let db = into.connect().await;
    backup::restore(&db, into.data_dir.path(), file, false)
        .await
        .expect("restore");
    db.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back() {
    let graph = FakeGraph::start().await;
    let source = TestDb::new(Engine::Sqlite).await;
    let app = populated(&source, &graph).await;
    let before = snapshot(&app).await;

    // The dashboard's download is only for the owner.
    let stranger = common::client();
    assert_eq!(
        app.get_as(&stranger, "/api/settings/backup").await.status(),
        401
    );
    let res = app.get("/api/settings/backup").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let work = tempfile::tempdir().expect("temp dir");
    let first = work.path().join("from-sqlite.zip");
    std::fs::write(&first, res.bytes().await.expect("backup")).expect("write");
    // Nothing of it is left in the data folder.
    let leftovers: Vec<_> = std::fs::read_dir(source.data_dir.path())
        .expect("data dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    app.stop().await;

    let middle_engine = if common::postgres_enabled() {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let middle = TestDb::new(middle_engine).await;
    restore(&middle, &first).await;
    let app = signed_in(&middle).await;
    assert_eq!(
        snapshot(&app).await,
        before,
        "restored into {middle_engine:?}"
    );
    // New rows get new ids (sequences moved past the restored ones).
    expect_ok(
        app.post(
            "/api/knowledge/entry",
            json!({"entry": {"kind": "note", "title": "Parking", "body": "Free parking behind the shop."}}),
        )
        .await,
    )
    .await;
    app.stop().await;

    // A database with data is refused, unless asked to replace it.
    let db = middle.connect().await;
    let refused = backup::restore(&db, middle.data_dir.path(), &first, false).await;
    assert!(
        matches!(refused, Err(BackupError::NotEmpty(ref held)) if held.contains("1 owner(s)")),
        "{refused:?}"
    );
    let second = work.path().join("from-middle.zip");
    let manifest = backup::create(&db, middle.data_dir.path(), &second)
        .await
        .expect("backup");
    assert_eq!(manifest.tables["documents"], 3);
    assert_eq!(manifest.files, 2, "the uploaded file and the photo");
    db.close().await.expect("close");

    // And back into SQLite, over a database that already has data.
    let back = TestDb::new(Engine::Sqlite).await;
    let app = populated(&back, &FakeGraph::start().await).await;
    app.stop().await;
    let db = back.connect().await;
    backup::restore(&db, back.data_dir.path(), &second, true)
        .await
        .expect("restore with replace");
    db.close().await.expect("close");
    let app = signed_in(&back).await;
    let after = snapshot(&app).await;
    assert_eq!(after["conversations"], before["conversations"]);
    assert_eq!(after["threads"], before["threads"]);
    assert_eq!(after["files"], before["files"]);
    let titles: Vec<&str> = after["library"]["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["title"].as_str())
        .collect();
    assert!(titles.contains(&"Parking"), "{titles:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_or_foreign_file_changes_nothing() {
    let target = TestDb::new(Engine::Sqlite).await;
    let db = target.connect().await;
    let work = tempfile::tempdir().expect("temp dir");
    let not_zip = work.path().join("notes.txt");
    std::fs::write(&not_zip, "hello").expect("write");
    let err = backup::restore(&db, target.data_dir.path(), &not_zip, false)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("not a Replydesk backup"), "{err}");

    // A zip without a manifest.
    let other = work.path().join("other.zip");
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&other).expect("create"));
        zip.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(b"hi").expect("write");
        zip.finish().expect("finish");
    }
    let err = backup::restore(&db, target.data_dir.path(), &other, false)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("no manifest"), "{err}");
    db.close().await.expect("close");
}

/// A backup is a file from outside: rows naming files outside the data folder (a document's
/// storage key `../../secret.key`, which the dashboard would serve and delete) refuse the whole
/// restore, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_naming_files_outside_the_data_folder_is_refused() {
    use std::io::{Read, Write};

    let graph = FakeGraph::start().await;
    let source = TestDb::new(Engine::Sqlite).await;
    let app = populated(&source, &graph).await;
    let work = tempfile::tempdir().expect("temp dir");
    let honest = work.path().join("honest.zip");
    let res = app.get("/api/settings/backup").await;
    std::fs::write(&honest, res.bytes().await.expect("backup")).expect("write");
    app.stop().await;

    // The same backup with one document's storage key pointing out of the data folder.
    let crafted = work.path().join("crafted.zip");
    {
        let mut reader =
            zip::ZipArchive::new(std::fs::File::open(&honest).expect("open")).expect("zip");
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&crafted).expect("create"));
        for i in 0..reader.len() {
            let mut entry = reader.by_index(i).expect("entry");
            let name = entry.name().expect("entry name").to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read");
            if name == "tables/documents.jsonl" {
                let text = String::from_utf8(bytes).expect("utf-8");
                let key = text
                    .split("\"storage_key\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .expect("a storage key")
                    .to_owned();
                bytes = text.replacen(&key, "../../secret.key", 1).into_bytes();
            }
            writer
                .start_file(name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(&bytes).expect("write");
        }
        writer.finish().expect("finish");
    }
    let target = TestDb::new(Engine::Sqlite).await;
    let db = target.connect().await;
    let err = backup::restore(&db, target.data_dir.path(), &crafted, false)
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("outside the knowledge folder"),
        "{err}"
    );
    use sea_orm::PaginatorTrait;
    let documents = replydesk::db::entities::document::Entity::find()
        .count(&db)
        .await
        .expect("count");
    assert_eq!(documents, 0, "nothing of the refused backup was kept");
    db.close().await.expect("close");
}
