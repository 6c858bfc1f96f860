//! Extraction in a child process of this same binary (`replydesk extract …`), contained by the
//! operating system (architecture rule 10): the child sets hard limits on its own address
//! space, CPU time, open files and file writes before it reads a byte of the file, and the
//! server kills it at the wall-clock limit. Whatever a hostile PDF or DOCX does — inflate to
//! gigabytes, loop, crash — ends the child, never the server, and the document fails with a
//! reason the owner can act on.
//!
//! The protocol is the exit code: [`EXIT_TEXT`] with the text on standard output,
//! [`EXIT_UNREADABLE`] with the reason on standard output, [`EXIT_IO`] when the stored file
//! could not be read. Anything else (a signal, an abort) is a crash, told apart by its cause.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::{ExtractFailure, Limits, Unreadable};
use crate::config::Isolation;
use crate::knowledge::detect::FileKind;

pub const EXIT_TEXT: u8 = 0;
pub const EXIT_UNREADABLE: u8 = 3;
pub const EXIT_IO: u8 = 4;

/// Most bytes of a crashed child's standard error kept for the log.
const STDERR_CAP: u64 = 16 * 1024;

/// One extraction, as the command line carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub kind: FileKind,
    pub path: PathBuf,
    pub limits: Limits,
    pub memory_bytes: u64,
}

impl Request {
    /// The arguments after `replydesk extract`.
    fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            ("--kind", self.kind.key().to_owned()),
            ("--memory-bytes", self.memory_bytes.to_string()),
            (
                "--cpu-seconds",
                self.limits.time_limit.as_secs().max(1).to_string(),
            ),
            ("--max-text-bytes", self.limits.max_text_bytes.to_string()),
            (
                "--max-unzipped-bytes",
                self.limits.max_unzipped_bytes.to_string(),
            ),
            ("--max-pages", self.limits.max_pages.to_string()),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [OsString::from(flag), OsString::from(value)])
        .collect();
        args.push("--".into());
        args.push(self.path.clone().into_os_string());
        args
    }

    /// Parses what [`Request::to_args`] wrote.
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        let mut kind = None;
        let mut path = None;
        let mut memory_bytes = Isolation::DEFAULT_MEMORY_MB * 1024 * 1024;
        let mut limits = Limits::default();
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            if flag == "--" {
                path = rest.next().map(PathBuf::from);
                break;
            }
            let value = rest
                .next()
                .ok_or_else(|| format!("extract: {flag} needs a value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("extract: {flag} must be a number"))
            };
            match flag.as_str() {
                "--kind" => {
                    kind = Some(
                        FileKind::from_key(value)
                            .ok_or_else(|| format!("extract: unknown kind {value:?}"))?,
                    )
                }
                "--memory-bytes" => memory_bytes = number()?,
                "--cpu-seconds" => limits.time_limit = Duration::from_secs(number()?),
                "--max-text-bytes" => limits.max_text_bytes = number()? as usize,
                "--max-unzipped-bytes" => limits.max_unzipped_bytes = number()?,
                "--max-pages" => limits.max_pages = number()? as usize,
                other => return Err(format!("extract: unknown option {other}")),
            }
        }
        Ok(Self {
            kind: kind.ok_or("extract: --kind is required")?,
            path: path.ok_or("extract: the file to read is required after --")?,
            limits,
            memory_bytes,
        })
    }
}

/// The server's side: runs the child and reads its answer.
pub async fn run(
    isolation: &Isolation,
    kind: FileKind,
    path: &Path,
    limits: &Limits,
) -> Result<String, ExtractFailure> {
    let request = Request {
        kind,
        path: path.to_path_buf(),
        limits: limits.clone(),
        memory_bytes: isolation.memory_bytes,
    };
    let mut child = tokio::process::Command::new(&isolation.program)
        .arg("extract")
        .args(request.to_args())
        // Nothing of the server's environment (keys, DATABASE_URL) reaches the parser.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            ExtractFailure::Io(std::io::Error::other(format!(
                "starting {} extract: {e}",
                isolation.program.display()
            )))
        })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ExtractFailure::Io(std::io::Error::other(
            "the extraction's output pipes are missing",
        )));
    };
    // The child itself refuses text past the limit; the margin is for the reason's words.
    let stdout_cap = limits.max_text_bytes as u64 + 64 * 1024;
    let answer = async {
        let (out, err) = tokio::join!(
            read_capped(stdout, stdout_cap),
            read_capped(stderr, STDERR_CAP)
        );
        let status = child.wait().await;
        (out, err, status)
    };
    // The child's own CPU limit stops a busy loop; this stops one that waits (and one whose
    // output would not end).
    let wall = limits.time_limit + Duration::from_secs(5);
    let (out, err, status) = match tokio::time::timeout(wall, answer).await {
        Ok(done) => done,
        Err(_) => return Err(ExtractFailure::Unreadable(took_too_long(limits))),
    };
    let status = status.map_err(ExtractFailure::Io)?;
    let (out, out_complete) = out.map_err(ExtractFailure::Io)?;
    let (err, _) = err.unwrap_or_default();
    if !out_complete {
        return Err(ExtractFailure::Unreadable(too_much_text(limits)));
    }
    interpret(status, out, &err, isolation, limits)
}

fn interpret(
    status: ExitStatus,
    out: Vec<u8>,
    err: &[u8],
    isolation: &Isolation,
    limits: &Limits,
) -> Result<String, ExtractFailure> {
    let words = || String::from_utf8_lossy(&out).into_owned();
    match status.code().and_then(|c| u8::try_from(c).ok()) {
        Some(EXIT_TEXT) => String::from_utf8(out).map_err(|_| {
            ExtractFailure::Io(std::io::Error::other("the extraction's text is not UTF-8"))
        }),
        Some(EXIT_UNREADABLE) => Err(ExtractFailure::Unreadable(Unreadable(words()))),
        Some(EXIT_IO) => Err(ExtractFailure::Io(std::io::Error::other(words()))),
        _ => {
            let stderr = String::from_utf8_lossy(err);
            tracing::warn!(
                ?status,
                stderr = %stderr.trim(),
                "the document reader stopped; the document is marked unreadable"
            );
            Err(ExtractFailure::Unreadable(crash_reason(
                status, &stderr, isolation, limits,
            )))
        }
    }
}

/// Words for a child that did not answer: out of memory, out of time, or broken by the file.
fn crash_reason(
    status: ExitStatus,
    stderr: &str,
    isolation: &Isolation,
    limits: &Limits,
) -> Unreadable {
    const SIGKILL: i32 = 9;
    const SIGXCPU: i32 = 24;
    let out_of_memory = stderr.contains("memory allocation")
        || stderr.contains("capacity overflow")
        || stderr.contains("Cannot allocate memory");
    if out_of_memory {
        return Unreadable(format!(
            "Reading this file needed more than the {} MB of memory one document may use, so it was stopped (it may be a \"zip bomb\"). Save it again from the program that made it, or split it into smaller files.",
            isolation.memory_mb()
        ));
    }
    match status.signal() {
        Some(SIGXCPU | SIGKILL) => took_too_long(limits),
        _ => malformed(),
    }
}

fn malformed() -> Unreadable {
    Unreadable::new(
        "This file is malformed in a way that made the reader fail. Export or save it again and upload the new file.",
    )
}

fn took_too_long(limits: &Limits) -> Unreadable {
    Unreadable(format!(
        "Reading this file took longer than {} seconds, so it was stopped. Try a smaller or simpler version of it.",
        limits.time_limit.as_secs()
    ))
}

pub fn too_much_text(limits: &Limits) -> Unreadable {
    Unreadable(format!(
        "The document holds more than {} MB of text. Split it into smaller documents.",
        limits.max_text_bytes / (1024 * 1024)
    ))
}

/// Reads at most `cap` bytes; `false` when there was more.
async fn read_capped(stream: impl AsyncRead + Unpin, cap: u64) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    let mut limited = stream.take(cap + 1);
    limited.read_to_end(&mut buf).await?;
    let complete = buf.len() as u64 <= cap;
    buf.truncate(cap as usize);
    Ok((buf, complete))
}

/// The child's side: `replydesk extract …`. Runs before any configuration, logging or async
/// runtime exists, and with an empty environment.
pub fn main(args: &[String]) -> ExitCode {
    let request = match Request::from_args(args) {
        Ok(request) => request,
        Err(message) => {
            eprintln!("replydesk: {message}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = confine(&request) {
        eprintln!("replydesk extract: cannot set limits: {e}");
        return ExitCode::from(EXIT_IO);
    }
    let (code, output) = match std::fs::read(&request.path) {
        Err(e) => (EXIT_IO, format!("reading the stored file: {e}")),
        Ok(bytes) => {
            let result =
                std::panic::catch_unwind(|| super::extract(request.kind, &bytes, &request.limits));
            match result {
                Ok(Ok(text)) => (EXIT_TEXT, text),
                Ok(Err(reason)) => (EXIT_UNREADABLE, reason.0),
                Err(_) => (EXIT_UNREADABLE, malformed().0),
            }
        }
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(EXIT_IO);
    }
    ExitCode::from(code)
}

/// Hard limits on this process, set before the file is opened: memory (address space), CPU
/// seconds (SIGXCPU, then SIGKILL a second later), no files written, no core dumps, few open
/// files.
fn confine(request: &Request) -> rustix::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    let limit = |value: u64| Rlimit {
        current: Some(value),
        maximum: Some(value),
    };
    let cpu = request.limits.time_limit.as_secs().max(1);
    setrlimit(Resource::As, limit(request.memory_bytes))?;
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu),
            maximum: Some(cpu + 1),
        },
    )?;
    setrlimit(Resource::Fsize, limit(0))?;
    setrlimit(Resource::Core, limit(0))?;
    setrlimit(Resource::Nofile, limit(16))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_survive_the_command_line() {
        let request = Request {
            kind: FileKind::Docx,
            path: PathBuf::from("/data/knowledge/--odd name"),
            limits: Limits {
                max_unzipped_bytes: 7,
                max_text_bytes: 8,
                max_pages: 9,
                time_limit: Duration::from_secs(10),
            },
            memory_bytes: 11,
        };
        let args: Vec<String> = request
            .to_args()
            .into_iter()
            .map(|a| a.into_string().expect("utf-8"))
            .collect();
        assert_eq!(Request::from_args(&args), Ok(request));
        assert!(Request::from_args(&["--kind".into(), "exe".into()]).is_err());
        assert!(Request::from_args(&["--kind".into(), "pdf".into()]).is_err());
    }

    #[tokio::test]
    async fn output_past_the_cap_is_cut_and_reported() {
        let (out, complete) = read_capped(&b"0123456789"[..], 4).await.expect("read");
        assert_eq!((out.as_slice(), complete), (&b"0123"[..], false));
        let (out, complete) = read_capped(&b"0123"[..], 4).await.expect("read");
        assert_eq!((out.as_slice(), complete), (&b"0123"[..], true));
    }
}
