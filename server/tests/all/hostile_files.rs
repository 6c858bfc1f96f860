//! Files built to hurt the server — PDF and DOCX bombs, a 20,000-page PDF — uploaded while the
//! server's resident memory is sampled: each ends as a document with a readable error, the
//! server answers its health check throughout, and its memory stays far below what the bombs
//! inflate to. The server is the real binary in a process of its own, so that only its memory
//! is counted (the tests share this one).

use crate::common;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::process::ServerProcess;
use common::{eventually, json, Engine, TestDb};
use flate2::write::ZlibEncoder;
use lopdf::{dictionary, Document, Object, Stream};
use replydesk::config::Isolation;
use replydesk::knowledge::detect::FileKind;
use replydesk::knowledge::extract::child;
use replydesk::knowledge::extract::{extract, ExtractFailure, Limits};
use serde_json::json;

const MB: u64 = 1024 * 1024;

fn deflate(bytes: impl Fn(&mut dyn Write)) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    bytes(&mut encoder);
    encoder.finish().expect("deflate")
}

/// `total` bytes of spaces, deflated twice: a few kilobytes on disk.
fn double_deflated(total: u64) -> Vec<u8> {
    let once = deflate(|out| {
        let chunk = vec![b' '; MB as usize];
        for _ in 0..total / MB {
            out.write_all(&chunk).expect("deflate");
        }
    });
    deflate(|out| out.write_all(&once).expect("deflate"))
}

/// A PDF of `pages` pages that all draw `content`.
fn pdf(content: Stream, pages: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let content = doc.add_object(content);
    let kids: Vec<Object> = (0..pages)
        .map(|_| {
            doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            })
            .into()
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Count" => pages as i64, "Kids" => kids,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save");
    bytes
}

fn double_deflate_bomb() -> Vec<u8> {
    pdf(
        Stream::new(
            dictionary! { "Filter" => vec!["FlateDecode".into(), "FlateDecode".into()] },
            double_deflated(1024 * MB),
        ),
        1,
    )
}

/// 2,000 pages sharing one stream of 8 MB of text operators: 16 GB for a reader that draws
/// every page.
fn shared_stream_bomb() -> Vec<u8> {
    let content = deflate(|out| {
        let line = b"BT /F1 12 Tf 72 720 Td (Casa Lucia) Tj ET\n";
        for _ in 0..(8 * MB as usize / line.len()) {
            out.write_all(line).expect("deflate");
        }
    });
    pdf(
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, content),
        2_000,
    )
}

fn twenty_thousand_pages() -> Vec<u8> {
    pdf(
        Stream::new(
            dictionary! {},
            b"BT /F1 12 Tf 72 720 Td (Page) Tj ET".to_vec(),
        ),
        20_000,
    )
}

fn docx_bomb() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bomb.docx");
    std::fs::read(path).expect("fixture")
}

/// A process's resident memory, in bytes (0 once it has exited).
fn resident(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Samples a process's [`resident`] memory every few milliseconds until dropped; keeps the
/// highest.
struct MemoryWatch {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl MemoryWatch {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(resident(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(resident(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self { peak, stop }
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

async fn upload(
    server: &ServerProcess,
    owner: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
) -> i64 {
    let res = owner
        .post(server.url("/api/knowledge/upload"))
        .query(&[("name", name)])
        .body(bytes)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 201, "{name}: {body}");
    body["id"].as_i64().expect("id")
}

async fn health(server: &ServerProcess, owner: &reqwest::Client) -> u16 {
    let res = owner.get(server.url("/api/health")).send().await;
    res.map_or(0, |r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_end_as_errors_while_the_server_stays_small_and_up() {
    let bombs = [
        ("double-deflate.pdf", double_deflate_bomb(), "zip bomb"),
        ("shared-stream.pdf", shared_stream_bomb(), "zip bomb"),
        ("manual.pdf", twenty_thousand_pages(), "20000 pages"),
        ("bomb.docx", docx_bomb(), "zip bomb"),
    ];
    let db = TestDb::new(Engine::Sqlite).await;
    let log = db.data_dir.path().join("server.log");
    let server = ServerProcess::on(&db.url, db.data_dir.path(), &log).await;
    let owner = server.owner().await;
    let pid = server.pid();
    let watch = MemoryWatch::start(pid);
    let before = resident(pid);

    let mut ids = Vec::new();
    for (name, bytes, says) in bombs {
        ids.push((name, upload(&server, &owner, name, bytes).await, says));
    }
    for (name, id, says) in ids {
        let reason = eventually("the bomb to be read", || async {
            assert_eq!(health(&server, &owner).await, 200, "health during {name}");
            let detail = json(
                owner
                    .post(server.url("/api/knowledge/document"))
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                    .expect("request"),
            )
            .await;
            let document = &detail["document"];
            (document["status"] != "processing").then(|| {
                assert_eq!(document["status"], "error", "{name}: {detail}");
                document["error"].as_str().expect("reason").to_owned()
            })
        })
        .await;
        assert!(reason.contains(says), "{name}: {reason}");
    }
    assert_eq!(health(&server, &owner).await, 200);
    let peak = watch.peak();
    eprintln!(
        "resident memory: {} MB before the uploads, {} MB at most",
        before / MB,
        peak / MB
    );
    assert!(peak > 0, "the server's memory was not read");
    assert!(peak < 512 * MB, "the server grew to {} MB", peak / MB);
}

fn replydesk() -> Isolation {
    Isolation {
        program: PathBuf::from(env!("CARGO_BIN_EXE_replydesk")),
        memory_bytes: 160 * MB,
    }
}

fn unreadable(result: Result<String, ExtractFailure>) -> String {
    match result {
        Err(ExtractFailure::Unreadable(reason)) => reason.0,
        other => panic!("expected a reason, got {other:?}"),
    }
}

/// With the size check out of the way, the operating system's limit is what stops the bomb:
/// the reader runs out of memory, the server gets a reason.
#[tokio::test]
async fn the_memory_limit_stops_what_the_checks_let_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.pdf");
    std::fs::write(&path, double_deflate_bomb()).expect("write");
    let limits = Limits {
        max_unzipped_bytes: u64::MAX / 2,
        ..Limits::default()
    };
    let reason = unreadable(child::run(&replydesk(), FileKind::Pdf, &path, &limits).await);
    assert!(reason.contains("160 MB of memory"), "{reason}");
}

#[tokio::test]
async fn a_missing_file_is_worth_retrying_and_text_comes_back_tidied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("gone.txt");
    let failed = child::run(&replydesk(), FileKind::Txt, &missing, &Limits::default()).await;
    assert!(matches!(failed, Err(ExtractFailure::Io(_))), "{failed:?}");

    let text = dir.path().join("hours.txt");
    std::fs::write(&text, "Open from noon.\r\n\r\n\r\nClosed on Mondays.").expect("write");
    let read = child::run(&replydesk(), FileKind::Txt, &text, &Limits::default()).await;
    assert_eq!(read.expect("text"), "Open from noon.\n\nClosed on Mondays.");
}

fn deflated(bytes: &[u8]) -> Vec<u8> {
    deflate(|out| out.write_all(bytes).expect("deflate"))
}

/// What the PDF reader says of `bytes` within an inflation budget of `budget_mb`.
fn pdf_verdict(bytes: &[u8], budget_mb: u64) -> Result<String, String> {
    let limits = Limits {
        max_unzipped_bytes: budget_mb * MB,
        max_pages: 50,
        ..Limits::default()
    };
    extract(FileKind::Pdf, bytes, &limits).map_err(|reason| reason.0)
}

fn is_bomb(verdict: &Result<String, String>) -> bool {
    matches!(verdict, Err(reason) if reason.contains("zip bomb"))
}

#[test]
fn the_inflation_check_sees_through_filter_chains_shared_streams_and_false_images() {
    // Deflated twice: counted at its full 4 MB.
    let twice = Stream::new(
        dictionary! { "Filter" => vec!["FlateDecode".into(), "FlateDecode".into()] },
        deflated(&deflated(&vec![b' '; 4 * MB as usize])),
    );
    let twice = pdf(twice, 1);
    assert!(!is_bomb(&pdf_verdict(&twice, 8)));
    assert!(is_bomb(&pdf_verdict(&twice, 1)));
    // One 64 KB stream drawn by 40 pages counts 40 times: 2.5 MB.
    let page = Stream::new(
        dictionary! { "Filter" => "FlateDecode" },
        deflated(&vec![b' '; 64 * 1024]),
    );
    let shared = pdf(page, 40);
    assert!(!is_bomb(&pdf_verdict(&shared, 4)));
    assert!(is_bomb(&pdf_verdict(&shared, 2)));
    // A content stream that calls itself an image is still read, so still counted.
    let liar = Stream::new(
        dictionary! { "Filter" => "FlateDecode", "Subtype" => "Image" },
        deflated(&vec![b' '; 2 * MB as usize]),
    );
    assert!(is_bomb(&pdf_verdict(&pdf(liar, 1), 1)));
}

#[test]
fn text_shown_with_the_quote_operators_and_a_filter_array_is_read() {
    let content = b"BT /F1 12 Tf 72 720 Td 14 TL (Opening hours) ' 0 0 (Tuesday to Sunday) \" ET";
    let doc = pdf(
        Stream::new(
            dictionary! { "Filter" => vec!["FlateDecode".into()] },
            deflated(content),
        ),
        1,
    );
    let text = pdf_verdict(&doc, 64).expect("text");
    assert!(text.contains("Opening hours"), "{text:?}");
    assert!(text.contains("Tuesday to Sunday"), "{text:?}");
}

#[test]
fn too_many_pages_are_refused_with_the_count() {
    let doc = pdf(Stream::new(dictionary! {}, b"BT ET".to_vec()), 60);
    let refused = pdf_verdict(&doc, 64).expect_err("refused");
    assert!(refused.contains("60 pages"), "{refused}");
}

/// Restricted only from editing (an empty user password), in the old 40-bit RC4 and in AES:
/// readable, as every PDF reader finds them.
#[test]
fn pdfs_with_an_owner_password_only_are_read() {
    for name in ["owner-only-rc4-40.pdf", "owner-only-aes-128.pdf"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let bytes = std::fs::read(path).expect("fixture");
        let text = pdf_verdict(&bytes, 64).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains("Opening hours"), "{name}: {text}");
    }
}
