//! argon2id password hashing (a hash takes tens of milliseconds of CPU and 19 MiB of memory).
//! At most one hash per core runs at a time, on threads of its own: a flood of logins queues
//! here briefly and is then turned away ([`PasswordError::Busy`]), so it can neither exhaust
//! the memory nor starve the other work of the CPU.
//!
//! Why threads of their own rather than tokio's blocking pool: the allocator keeps a freed
//! 19 MiB block in the arena of the thread that freed it, and the blocking pool runs each hash
//! on whichever of its (up to 512) threads is idle — a flood of 300 logins left ~390 MB
//! resident (bench/login-flood.py). A fixed thread per core reuses its own block.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Semaphore, SemaphorePermit};

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// One hash per core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

type Work = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue (`None` if not one thread could be started).
static THREADS: LazyLock<Option<Mutex<mpsc::Sender<Work>>>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::channel::<Work>();
    let receiver = Arc::new(Mutex::new(receiver));
    let started = (0..cores())
        .filter(|n| {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let next = match receiver.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(work) => work(),
                        Err(_) => return,
                    }
                })
                .map_err(|e| tracing::error!(error = %e, "cannot start a password hashing thread"))
                .is_ok()
        })
        .count();
    (started > 0).then(|| Mutex::new(sender))
});

/// Runs `work` on a hashing thread (on the blocking pool if none could be started).
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let Some(queue) = THREADS.as_ref() else {
        return Ok(tokio::task::spawn_blocking(work).await?);
    };
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Work = Box::new(move || {
        let _ = done.send(work());
    });
    queue
        .lock()
        .map_err(|_| PasswordError::Threads)?
        .send(job)
        .map_err(|_| PasswordError::Threads)?;
    result.await.map_err(|_| PasswordError::Threads)
}

/// How long a request waits for a free core before it is told to come back.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

async fn permit() -> Result<SemaphorePermit<'static>, PasswordError> {
    match tokio::time::timeout(QUEUE_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(PasswordError::Busy),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Every core is busy hashing; the caller should try again in a few seconds.
    #[error("every core is busy checking passwords")]
    Busy,
    #[error("the password hashing threads stopped")]
    Threads,
}

pub async fn hash(password: SecretString) -> Result<String, PasswordError> {
    let _permit = permit().await?;
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await?
}

/// A well-formed hash of a random password, verified against when the email is unknown so that
/// the answer takes as long as for a known one and does not reveal which emails exist.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3aXD1cU8vJxIqU8Dp9F2TBd4nXh0u8B1pVq8Wr6kzc4";

/// Whether `password` matches `stored` (or the decoy, which never matches a real password).
pub async fn verify(password: SecretString, stored: Option<String>) -> Result<bool, PasswordError> {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DECOY_HASH.to_owned());
    let _permit = permit().await?;
    let matches = on_hashing_thread(move || {
        PasswordHash::new(&stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await?;
    Ok(known && matches)
}

/// A password for `reset-password` when none is given: 20 characters from a 57-symbol alphabet
/// without look-alikes (≈ 116 bits).
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let hashed = hash(SecretString::from("correct horse battery"))
            .await
            .expect("hash");
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify(
            SecretString::from("correct horse battery"),
            Some(hashed.clone())
        )
        .await
        .expect("verify"));
        assert!(
            !verify(SecretString::from("wrong horse battery"), Some(hashed))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        assert!(
            PasswordHash::new(DECOY_HASH).is_ok(),
            "decoy must parse so it costs a real hash"
        );
        assert!(!verify(SecretString::from("anything"), None)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn hashes_past_one_per_core_wait_and_then_are_turned_away() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let held: Vec<_> = futures::future::join_all((0..cores).map(|_| permit()))
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("one permit per core");
        tokio::time::pause();
        let refused = verify(SecretString::from("anything"), None).await;
        assert!(matches!(refused, Err(PasswordError::Busy)), "{refused:?}");
        drop(held);
        tokio::time::resume();
        assert!(!verify(SecretString::from("anything"), None)
            .await
            .expect("a core is free again"));
    }

    #[test]
    fn generated_passwords_are_long_and_valid() {
        let a = generate();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate());
        assert!(app::validate::new_password("password", &a).is_ok());
    }
}
