//! `GET /api/events`: the owner's stream of changes, as server-sent events.
//!
//! A client passes the last id it saw (`Last-Event-ID`, which browsers' `EventSource` sends on
//! reconnect, or `?after=`); the stream first replays what it missed from the database, then
//! follows the bus. Whenever the bus skips ahead (a slow client lagged, or ids are not
//! contiguous), the stream reads the database again from its last id, so every event arrives
//! once and in order.
//!
//! A stream lives no longer than the session that opened it: logging out or changing the
//! password (which ends the other sessions) closes it within [`SESSION_CHECK`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::model::PushEvent;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::sync::watch;
use tower_sessions::Session;

use super::Bus;
use crate::db::{events, sessions};
use crate::error::{internal, respond};

const PAGE: u64 = 500;
/// How often an open stream checks that its session still exists.
pub const SESSION_CHECK: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct PushState {
    pub db: DatabaseConnection,
    pub bus: Bus,
    /// Turns true when the server stops: open streams end so the graceful shutdown can finish
    /// (browsers reconnect to the next process with their last id).
    pub stopping: watch::Receiver<bool>,
}

#[derive(Deserialize)]
pub struct Resume {
    after: Option<i32>,
}

pub async fn stream(
    State(state): State<Arc<PushState>>,
    headers: HeaderMap,
    session: Session,
    Query(resume): Query<Resume>,
) -> Response {
    // The guard let this request through, so it has a stored session.
    let Some(session_id) = session.id().map(|id| id.to_string()) else {
        return respond(&AppError::unauthorized());
    };
    // Subscribe before reading the database, so nothing falls between the two.
    let rx = state.bus.subscribe();
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i32>().ok());
    let last = match header.or(resume.after) {
        Some(id) => id.max(0),
        // A new client starts with what happens from now on.
        None => match events::latest_id(&state.db).await {
            Ok(id) => id,
            Err(e) => return respond(&internal("reading the event log failed", e)),
        },
    };
    let cursor = Cursor {
        db: state.db.clone(),
        rx,
        last,
        backlog: VecDeque::new(),
        catch_up: true,
        stopping: state.stopping.clone(),
        session_id,
        session_check: tokio::time::interval_at(
            tokio::time::Instant::now() + SESSION_CHECK,
            SESSION_CHECK,
        ),
    };
    Sse::new(events_after(cursor))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

struct Cursor {
    db: DatabaseConnection,
    rx: Receiver<PushEvent>,
    last: i32,
    backlog: VecDeque<PushEvent>,
    catch_up: bool,
    stopping: watch::Receiver<bool>,
    session_id: String,
    session_check: tokio::time::Interval,
}

impl Cursor {
    /// Whether the session that opened the stream still exists (a failed read keeps it open:
    /// the next check will tell).
    async fn session_alive(&self) -> bool {
        match sessions::live(&self.db, &self.session_id).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "checking an event stream's session failed");
                true
            }
        }
    }
}

fn events_after(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(cursor, |mut c| async move {
        loop {
            if c.catch_up {
                match events::after(&c.db, c.last, PAGE).await {
                    Ok(page) => {
                        c.catch_up = page.len() as u64 == PAGE;
                        c.backlog.extend(page);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "event stream ended: reading the event log failed");
                        return None;
                    }
                }
            }
            if let Some(event) = c.backlog.pop_front() {
                c.last = event.id;
                return Some((Ok(sse(&event)), c));
            }
            if *c.stopping.borrow() {
                return None;
            }
            let received = tokio::select! {
                received = c.rx.recv() => received,
                _ = c.stopping.changed() => return None,
                _ = c.session_check.tick() => {
                    if !c.session_alive().await {
                        return None;
                    }
                    continue;
                }
            };
            match received {
                Ok(event) if event.id <= c.last => {}
                Ok(event) if event.id == c.last + 1 => {
                    c.last = event.id;
                    return Some((Ok(sse(&event)), c));
                }
                // A gap, or this client fell behind: the database has the exact sequence.
                Ok(_) | Err(RecvError::Lagged(_)) => c.catch_up = true,
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

fn sse(event: &PushEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.change.kind())
        .data(serde_json::to_string(event).unwrap_or_default())
}
