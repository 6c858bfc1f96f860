//! Events across replicas: on PostgreSQL every transaction that records events also sends a
//! `NOTIFY` (delivered at commit, to every process listening), and each process relays what it
//! has not seen from the event log onto its own bus. Railway overlaps the old and the new
//! deployment, and a dashboard connected to one must see what the other stored.
//!
//! The notification carries nothing: the log is read from the last relayed id, so a lost or
//! merged notification costs nothing, and a dropped listener connection ends in a catch-up.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::sync::watch;

use super::Bus;
use crate::db::events::{self, CHANNEL};

/// How many events are read from the log at a time.
const PAGE: u64 = 500;

/// Relays other replicas' events onto `bus` until `stop` turns true. Returns at once on SQLite.
pub async fn run(db: DatabaseConnection, bus: Bus, mut stop: watch::Receiver<bool>) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let mut last = match events::latest_id(&db).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "event relay not started: reading the event log failed");
            return;
        }
    };
    loop {
        let mut listener = match listen(&db).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "event relay cannot listen; retrying in 2 s");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        // Whatever was committed while the listener was away.
        last = relay(&db, &bus, last).await;
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                _ = stop.changed() => return,
            };
            match received {
                Ok(Some(_)) => last = relay(&db, &bus, last).await,
                // The connection dropped (notifications may have been missed): catch up, go on.
                Ok(None) => last = relay(&db, &bus, last).await,
                Err(e) => {
                    tracing::warn!(error = %e, "event relay lost its connection; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn listen(db: &DatabaseConnection) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Publishes every event after `last` and returns the new last id. Events this process stored
/// itself are published again: push streams skip ids they have already sent.
async fn relay(db: &DatabaseConnection, bus: &Bus, mut last: i32) -> i32 {
    loop {
        match events::after(db, last, PAGE).await {
            Ok(page) => {
                let full = page.len() as u64 == PAGE;
                if let Some(event) = page.last() {
                    last = event.id;
                }
                bus.publish(page);
                if !full {
                    return last;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "event relay could not read the event log");
                return last;
            }
        }
    }
}
