//! Live updates for open dashboards: stored changes are published on an in-process bus and
//! streamed as server-sent events by `GET /api/events`, which resumes from the last id a client
//! saw, so a reconnect loses nothing. On PostgreSQL the [`relay`] carries events between
//! replicas.

mod bus;
pub mod push;
pub mod relay;

pub use bus::Bus;
