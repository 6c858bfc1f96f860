use app::model::{Change, PushEvent};
use sea_orm::{DatabaseTransaction, DbErr};
use tokio::sync::broadcast;

use crate::db::events;

/// How many events a slow subscriber may fall behind before it catches up from the database.
const CAPACITY: usize = 1024;

/// Fan-out of committed events to every open push stream of this process.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<PushEvent>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Bus {
    /// Publishes events already committed to the database, in id order.
    pub fn publish(&self, events: Vec<PushEvent>) {
        for event in events {
            // No subscriber is not an error: nobody has the dashboard open.
            let _ = self.tx.send(event);
        }
    }

    /// Records `changes` in `txn`, commits it, and publishes them: the one way a change reaches
    /// open dashboards, so no event is published for work that was rolled back.
    pub async fn commit(
        &self,
        txn: DatabaseTransaction,
        changes: Vec<Change>,
    ) -> Result<(), DbErr> {
        let recorded = events::record(&txn, changes).await?;
        txn.commit().await?;
        self.publish(recorded);
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<PushEvent> {
        self.tx.subscribe()
    }
}
