//! The backup file: a zip archive written by one blocking thread (the database is read
//! asynchronously and streamed to it), and read back entry by entry.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::BackupError;

/// What the writer thread is asked to do, in order.
enum Piece {
    /// Starts a new entry named so.
    Start(String),
    /// Appends to the current entry.
    Bytes(Vec<u8>),
    /// A file from disk as a whole entry.
    Copy { name: String, path: PathBuf },
}

/// Writes entries to a zip file from async code, without blocking the runtime.
pub struct Writer {
    tx: mpsc::Sender<Piece>,
    thread: tokio::task::JoinHandle<Result<(), BackupError>>,
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true)
}

impl Writer {
    pub fn create(path: &Path) -> Result<Self, BackupError> {
        let file = File::create(path)?;
        let (tx, mut rx) = mpsc::channel::<Piece>(64);
        let thread = tokio::task::spawn_blocking(move || {
            let mut zip = ZipWriter::new(BufWriter::new(file));
            while let Some(piece) = rx.blocking_recv() {
                match piece {
                    Piece::Start(name) => zip.start_file(name, options())?,
                    Piece::Bytes(bytes) => zip.write_all(&bytes)?,
                    Piece::Copy { name, path } => {
                        zip.start_file(name, options())?;
                        std::io::copy(&mut File::open(&path)?, &mut zip)?;
                    }
                }
            }
            zip.finish()?.flush()?;
            Ok(())
        });
        Ok(Self { tx, thread })
    }

    async fn send(&self, piece: Piece) -> Result<(), BackupError> {
        // A closed channel means the thread stopped on an error: `finish` reports it.
        self.tx
            .send(piece)
            .await
            .map_err(|_| BackupError::Corrupt("the backup file could not be written".into()))
    }

    pub async fn start(&self, name: &str) -> Result<(), BackupError> {
        self.send(Piece::Start(name.to_owned())).await
    }

    pub async fn bytes(&self, bytes: Vec<u8>) -> Result<(), BackupError> {
        self.send(Piece::Bytes(bytes)).await
    }

    pub async fn copy(&self, name: String, path: PathBuf) -> Result<(), BackupError> {
        self.send(Piece::Copy { name, path }).await
    }

    /// Closes the archive; the first error the thread met, if any.
    pub async fn finish(self) -> Result<(), BackupError> {
        drop(self.tx);
        self.thread
            .await
            .map_err(|e| BackupError::Io(std::io::Error::other(e)))?
    }
}

/// A backup file opened for reading.
pub struct Reader {
    zip: ZipArchive<BufReader<File>>,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Self, BackupError> {
        let file = File::open(path)?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|_| {
            BackupError::Corrupt("this is not a Replydesk backup (not a zip file)".into())
        })?;
        Ok(Self { zip })
    }

    /// An entry read whole, `None` when the archive has none of that name. Entries larger than
    /// `limit` bytes are refused (a crafted file cannot exhaust memory).
    pub fn read(&mut self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, BackupError> {
        let entry = match self.zip.by_name(name) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if entry.size() > limit {
            return Err(BackupError::Corrupt(format!(
                "{name} is larger than expected"
            )));
        }
        let mut out = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry.take(limit + 1).read_to_end(&mut out)?;
        Ok(Some(out))
    }

    /// Extracts every entry under `prefix` into `dir`, keeping the rest of its path; how many.
    /// Names that would leave `dir` (absolute, `..`) are refused.
    pub fn extract(&mut self, prefix: &str, dir: &Path) -> Result<u64, BackupError> {
        let mut count = 0;
        for i in 0..self.zip.len() {
            let mut entry = self.zip.by_index(i)?;
            let Some(name) = entry.enclosed_name() else {
                return Err(BackupError::Corrupt(
                    "an entry's name leaves the data folder".into(),
                ));
            };
            let Ok(relative) = name.strip_prefix(prefix) else {
                continue;
            };
            if entry.is_dir() || relative.as_os_str().is_empty() {
                continue;
            }
            let target = dir.join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::io::copy(&mut entry, &mut File::create(&target)?)?;
            count += 1;
        }
        Ok(count)
    }
}
