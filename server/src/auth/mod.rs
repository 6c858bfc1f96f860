//! The owner's authentication: password hashing, sessions, throttling, and the guard that
//! denies every request without a session unless its path is public.

pub mod client_address;
pub mod guard;
pub mod password;
pub mod session_store;
pub mod throttle;
pub mod two_factor;

/// The session key holding the signed-in owner's id.
pub const OWNER_KEY: &str = "owner_id";
