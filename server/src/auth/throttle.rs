//! Login throttling with growing delays, kept in the database so it survives restarts and
//! holds across replicas.
//!
//! Every attempt is recorded *before* the password is checked, under a lock on its (email,
//! address) pair, so parallel guesses cannot all pass a check that none of them has counted
//! yet. Two counters decide:
//!
//! - the pair: [`FREE_PER_PAIR`] attempts, then each further one waits twice as long as the
//!   last (30 s, 1 min, 2 min … at most [`MAX_DELAY_S`]). A stranger guessing at the owner's
//!   email slows down only themselves: the owner, from their own address, is not locked out.
//! - the address: [`FREE_PER_ADDRESS`] attempts at any emails, then the same curve — one
//!   address trying many accounts. An IPv6 client counts by its /64 (one subscriber's
//!   network: a single machine can take any of its 2^64 addresses).
//! - the email, from anywhere: [`FREE_PER_EMAIL`] attempts, then the same curve — a ceiling
//!   for guesses spread over many addresses, far above what the owner's own slips reach.
//!
//! A successful login is not counted, and forgives its pair's failures (which still count
//! against the address).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::db;
use crate::db::login_failures::{self, Counted};

pub const FREE_PER_PAIR: u64 = 5;
pub const FREE_PER_ADDRESS: u64 = 20;
pub const FREE_PER_EMAIL: u64 = 100;
/// The first delay once the free attempts are spent; it doubles with each further attempt.
const FIRST_DELAY_S: i64 = 30;
pub const MAX_DELAY_S: i64 = 15 * 60;
/// Attempts older than this no longer count.
const WINDOW_HOURS: i64 = 1;

fn window() -> Duration {
    Duration::hours(WINDOW_HOURS)
}

/// The outcome of asking to try a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; the attempt is recorded as `attempt` (a failure until forgiven).
    Admitted { attempt: i32 },
    /// Not now: try again in this many seconds.
    Wait { seconds: u64 },
}

/// How long after the latest of `count` recent attempts the next one may come, when
/// `free` are allowed without waiting.
fn delay_after(count: u64, free: u64) -> Option<Duration> {
    let extra = count.checked_sub(free)?;
    let doublings = u32::try_from(extra).unwrap_or(u32::MAX).min(16);
    let seconds = FIRST_DELAY_S
        .saturating_mul(1_i64 << doublings)
        .min(MAX_DELAY_S);
    Some(Duration::seconds(seconds))
}

/// Seconds left of the delay the counters impose at `now`, if any.
fn wait_left(now: DateTime<Utc>, counters: [(u64, Option<DateTime<Utc>>, u64); 3]) -> Option<u64> {
    counters
        .into_iter()
        .filter_map(|(count, latest, free)| {
            let until = latest? + delay_after(count, free)?;
            let left = (until - now).num_seconds();
            (left > 0).then_some(left as u64)
        })
        .max()
}

/// The address as the throttle counts it: an IPv6 address by its /64 network.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| ip.to_owned()),
        _ => ip.to_owned(),
    }
}

/// Records an attempt for `email` from `ip`, or says how long to wait.
pub async fn admit(db: &DatabaseConnection, email: &str, ip: &str) -> Result<Admission, DbErr> {
    let ip = &address_key(ip);
    let txn = db::write_txn(db).await?;
    login_failures::lock_pair(&txn, email, ip).await?;
    let now = Utc::now();
    let since = now - window();
    let (pair, pair_latest) =
        login_failures::recent(&txn, Counted::Pair { email, ip }, since).await?;
    let (address, address_latest) =
        login_failures::recent(&txn, Counted::Address(ip), since).await?;
    let (anywhere, anywhere_latest) =
        login_failures::recent(&txn, Counted::Email(email), since).await?;
    let wait = wait_left(
        now,
        [
            (pair, pair_latest, FREE_PER_PAIR),
            (address, address_latest, FREE_PER_ADDRESS),
            (anywhere, anywhere_latest, FREE_PER_EMAIL),
        ],
    );
    if let Some(seconds) = wait {
        return Ok(Admission::Wait { seconds });
    }
    let attempt = login_failures::record(&txn, email, ip, now).await?;
    // Keep the table small: anything older than the window no longer counts.
    login_failures::prune(&txn, since).await?;
    txn.commit().await?;
    Ok(Admission::Admitted { attempt })
}

/// The login succeeded: `attempt` was no failure (it is removed, so an owner who logs in
/// often never fills the address's count), and this pair's earlier failures are forgiven.
pub async fn record_success(
    db: &impl ConnectionTrait,
    email: &str,
    ip: &str,
    attempt: i32,
) -> Result<(), DbErr> {
    login_failures::delete(db, attempt).await?;
    login_failures::forgive_pair(db, email, &address_key(ip)).await
}

/// The password was never checked (the server was too busy): the attempt does not count.
pub async fn withdraw(db: &impl ConnectionTrait, attempt: i32) -> Result<(), DbErr> {
    login_failures::delete(db, attempt).await
}

/// A password reset is done on the server itself, by someone who controls it: every attempt
/// at the email is forgotten, wherever it came from.
pub async fn record_reset(db: &impl ConnectionTrait, email: &str) -> Result<(), DbErr> {
    login_failures::clear_email(db, email).await
}

/// "Try again in 2 minutes."
pub fn wait_message(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    if seconds <= 60 {
        format!(
            "Too many failed attempts. Try again in {} seconds.",
            seconds.max(1)
        )
    } else {
        format!("Too many failed attempts. Try again in {minutes} minutes.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_messages() {
        assert_eq!(
            wait_message(30),
            "Too many failed attempts. Try again in 30 seconds."
        );
        assert_eq!(
            wait_message(841),
            "Too many failed attempts. Try again in 15 minutes."
        );
    }

    #[test]
    fn delays_double_after_the_free_attempts_and_stop_growing() {
        let seconds = |count| delay_after(count, 5).map(|d| d.num_seconds());
        assert_eq!(seconds(4), None);
        assert_eq!(seconds(5), Some(30));
        assert_eq!(seconds(6), Some(60));
        assert_eq!(seconds(7), Some(120));
        assert_eq!(seconds(10), Some(MAX_DELAY_S));
        assert_eq!(seconds(u64::MAX), Some(MAX_DELAY_S));
    }

    #[test]
    fn the_longest_delay_of_the_counters_holds() {
        let now = Utc::now();
        let ago = |s| Some(now - Duration::seconds(s));
        let calm = (0, None, 100);
        assert_eq!(
            wait_left(now, [(4, ago(0), 5), (4, ago(0), 20), calm]),
            None
        );
        assert_eq!(
            wait_left(now, [(5, ago(10), 5), (5, ago(10), 20), calm]),
            Some(20)
        );
        assert_eq!(
            wait_left(now, [(5, ago(40), 5), (21, ago(40), 20), calm]),
            Some(20)
        );
        assert_eq!(
            wait_left(now, [(5, ago(40), 5), (5, ago(40), 20), calm]),
            None
        );
        // Guesses from many addresses meet the email's own ceiling.
        assert_eq!(
            wait_left(now, [(1, ago(0), 5), (1, ago(0), 20), (101, ago(0), 100)]),
            Some(60)
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_network() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("unknown"), "unknown");
    }
}
