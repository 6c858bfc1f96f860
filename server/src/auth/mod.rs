//! The owner's authentication: password hashing, sessions, throttling, two-step sign-in. The
//! guard that denies every request without a session is at the edge, `http::owner_guard`.

pub mod password;
pub mod session_store;
pub mod throttle;
pub mod two_factor;

/// The session key holding the signed-in owner's id.
pub const OWNER_KEY: &str = "owner_id";
