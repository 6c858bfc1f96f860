//! One implementation per port of `app::ports`: thin, orchestrating the modules below.

pub mod accounts;
pub mod inbox;
pub mod system;
