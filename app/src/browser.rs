//! The few browser APIs the dashboard uses, behind functions that do nothing on the server.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    System,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Light, Theme::Dark, Theme::System];

    pub fn key(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
            Self::System => "system",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Dark => "Dark",
            Self::System => "System",
        }
    }

    pub fn from_key(key: &str) -> Self {
        match key {
            "light" => Self::Light,
            "dark" => Self::Dark,
            _ => Self::System,
        }
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::Theme;

    const THEME_KEY: &str = "replydesk-theme";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn stored_theme() -> Theme {
        storage()
            .and_then(|s| s.get_item(THEME_KEY).ok().flatten())
            .map(|key| Theme::from_key(&key))
            .unwrap_or(Theme::System)
    }

    pub fn set_theme(theme: Theme) {
        if let Some(storage) = storage() {
            let _ = storage.set_item(THEME_KEY, theme.key());
        }
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            let _ = match theme {
                Theme::System => root.remove_attribute("data-theme"),
                other => root.set_attribute("data-theme", other.key()),
            };
        }
    }

    /// A full page load: used after login and logout so every part of the page is rendered again
    /// for the new session.
    pub fn go_to(url: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(url);
        }
    }
    /// Sends `file` as the raw body of a `method` request to `url`, reporting bytes sent, and
    /// returns the body of a 2xx answer, or the API's error. (`fetch` cannot report upload
    /// progress.)
    pub async fn send_file(
        method: &str,
        url: &str,
        file: &web_sys::File,
        on_progress: impl Fn(f64) + 'static,
    ) -> Result<String, crate::error::AppError> {
        use crate::error::{AppError, ErrorKind};

        let interrupted = || {
            AppError::new(
                ErrorKind::Network,
                "The upload was interrupted. Check the connection and try again.",
            )
        };
        let (status, body) = transfer(method, url, file, on_progress)
            .await
            .ok_or_else(interrupted)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(serde_json::from_str::<AppError>(&body)
            .unwrap_or_else(|_| AppError::new(ErrorKind::Internal, "The upload failed.")))
    }

    /// The request itself: its status and text, or `None` if it never completed.
    async fn transfer(
        method: &str,
        url: &str,
        file: &web_sys::File,
        on_progress: impl Fn(f64) + 'static,
    ) -> Option<(u16, String)> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        let xhr = web_sys::XmlHttpRequest::new().ok()?;
        xhr.open(method, url).ok()?;
        let (done_tx, done_rx) = futures::channel::oneshot::channel::<bool>();
        let done_tx = std::cell::RefCell::new(Some(done_tx));
        let progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
                on_progress(ev.loaded());
            });
        let finished = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
            if let Some(tx) = done_tx.borrow_mut().take() {
                let _ = tx.send(ev.type_() == "load");
            }
        });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        for event in ["load", "error", "abort", "timeout"] {
            let _ = xhr.add_event_listener_with_callback(event, finished.as_ref().unchecked_ref());
        }
        xhr.send_with_opt_blob(Some(file)).ok()?;
        // The closures live until the request ends (they are dropped with this future).
        let loaded = done_rx.await.unwrap_or(false);
        drop((progress, finished));
        if !loaded {
            return None;
        }
        let status = xhr.status().unwrap_or(0);
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        Some((status, text))
    }

    /// An open subscription to the server's change stream; closed when dropped.
    pub struct Listener {
        source: web_sys::EventSource,
        _handler: wasm_bindgen::closure::Closure<dyn Fn(web_sys::MessageEvent)>,
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    /// Listens to the server's change stream (`/api/events`) for the given event names; the
    /// payload (a `PushEvent` as JSON) goes to `on_change`. The browser reconnects by itself
    /// after a drop, sending the last id it saw, so nothing is missed.
    pub fn listen(kinds: &[&str], on_change: impl Fn(String) + 'static) -> Option<Listener> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        let source = web_sys::EventSource::new("/api/events").ok()?;
        let handler =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if let Some(data) = ev.data().as_string() {
                    on_change(data);
                }
            });
        for kind in kinds {
            let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        }
        Some(Listener {
            source,
            _handler: handler,
        })
    }

    /// The files of a file input or of a drop.
    pub fn files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
        let Some(list) = list else {
            return Vec::new();
        };
        (0..list.length()).filter_map(|i| list.get(i)).collect()
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::Theme;

    pub fn stored_theme() -> Theme {
        Theme::System
    }

    pub fn set_theme(_theme: Theme) {}

    pub fn go_to(_url: &str) {}

    /// Server-side stand-in: there is no change stream to listen to while rendering.
    pub struct Listener;

    pub fn listen(_kinds: &[&str], _on_change: impl Fn(String) + 'static) -> Option<Listener> {
        None
    }
}

/// Calls `on_change` with each change of `kinds` on the server, for as long as the calling
/// component lives. An effect runs in the browser only, so the (thread-bound) subscription never
/// exists on the server; it is dropped, closing the stream, with the effect's owner.
pub fn on_changes(kinds: &'static [&'static str], on_change: impl Fn(String) + Clone + 'static) {
    leptos::prelude::Effect::new(move |_| {
        let listener = listen(kinds, on_change.clone());
        leptos::prelude::StoredValue::new_local(listener);
    });
}

#[cfg(feature = "hydrate")]
pub use imp::{files, send_file};
pub use imp::{go_to, listen, set_theme, stored_theme, Listener};

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn theme_keys_round_trip() {
        for theme in Theme::ALL {
            assert_eq!(Theme::from_key(theme.key()), theme);
        }
        assert_eq!(Theme::from_key("nonsense"), Theme::System);
    }
}
