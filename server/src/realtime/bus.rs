use app::model::PushEvent;
use tokio::sync::broadcast;

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

    pub fn subscribe(&self) -> broadcast::Receiver<PushEvent> {
        self.tx.subscribe()
    }
}
