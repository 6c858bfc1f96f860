//! Keys and tokens: sealing the secrets the owner saves, the server's secret key (from
//! `SECRET_KEY` or generated into `DATA_DIR`), the setup token, and TLS for outgoing calls.

pub mod key_file;
pub mod seal;
pub mod token;

/// A builder for an outgoing HTTPS client (Meta, LLM providers), with TLS through ring: the
/// provider is installed once for the process, before the first client needs it.
pub fn http_client() -> reqwest::ClientBuilder {
    static TLS: std::sync::Once = std::sync::Once::new();
    TLS.call_once(|| {
        // Another part of the process may have installed one already: either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
