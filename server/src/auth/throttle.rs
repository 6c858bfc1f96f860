//! Login throttling: after [`MAX_FAILURES`] failures for one email or from one IP within
//! [`WINDOW`], further attempts are refused until the oldest of those failures leaves the window.
//! Kept in the database so it survives restarts and holds across replicas.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::login_failures;

pub const MAX_FAILURES: u64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// Seconds until the next attempt is allowed, or `None` if it is allowed now.
pub async fn retry_after(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
) -> Result<Option<u64>, DbErr> {
    let now = Utc::now();
    let since = now - window();
    let mut wait = None;
    for (by_email, value) in [(true, email), (false, ip)] {
        let (count, oldest) = login_failures::recent(db, by_email, value, since).await?;
        if count >= MAX_FAILURES {
            let until = oldest.unwrap_or(now) + window();
            let seconds = u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1);
            wait = Some(wait.map_or(seconds, |w: u64| w.max(seconds)));
        }
    }
    Ok(wait)
}

pub async fn record_failure(db: &impl ConnectionTrait, email: &str, ip: &str) -> Result<(), DbErr> {
    login_failures::record(db, email, ip).await?;
    // Keep the table small: anything older than the window no longer counts.
    login_failures::prune(db, Utc::now() - window()).await?;
    Ok(())
}

/// After a successful login the email's failures are forgiven (the IP's are not: one address
/// guessing at many accounts stays throttled).
pub async fn record_success(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    login_failures::forgive_email(db, email).await
}

/// A password reset is done on the server itself, by someone who controls it: every failure
/// of the email is forgotten, including those counting against the owner's own address.
pub async fn record_reset(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    login_failures::clear_email(db, email).await
}

/// "Try again in 14 minutes."
pub fn wait_message(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    if minutes <= 1 {
        "Too many failed attempts. Try again in a minute.".to_owned()
    } else {
        format!("Too many failed attempts. Try again in {minutes} minutes.")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wait_messages() {
        assert_eq!(
            super::wait_message(30),
            "Too many failed attempts. Try again in a minute."
        );
        assert_eq!(
            super::wait_message(841),
            "Too many failed attempts. Try again in 15 minutes."
        );
    }
}
