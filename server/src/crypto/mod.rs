//! Keys and tokens: sealing the secrets the owner saves, the server's secret key (from
//! `SECRET_KEY` or generated into `DATA_DIR`), and the setup token.

pub mod key_file;
pub mod seal;
pub mod token;
