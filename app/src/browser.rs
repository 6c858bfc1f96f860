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

    /// Puts `text` on the clipboard (the browser may refuse outside a secure context).
    pub fn copy(text: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(text);
        }
    }

    /// This page's scheme, host and port ("https://shop.example.com").
    pub fn origin() -> Option<String> {
        web_sys::window().and_then(|w| w.location().origin().ok())
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
        let done_tx = RefCell::new(Some(done_tx));
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

    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    type Handler = Rc<dyn Fn(&str, String)>;

    /// The one change stream of this tab, shared by every component that listens. It remembers
    /// the last event id, so a stream re-opened after the browser went offline (or after the
    /// server closed it for good) resumes where it stopped.
    #[derive(Default)]
    struct Hub {
        source: Option<web_sys::EventSource>,
        handlers: Vec<(u64, &'static [&'static str], Handler)>,
        next_handler: u64,
        last_id: Option<i32>,
        connected: bool,
        /// The browser's own online/offline events are watched once.
        watching_network: bool,
    }

    thread_local! {
        static HUB: RefCell<Hub> = RefCell::new(Hub::default());
    }

    /// Calls every handler listening to `kind`, outside the hub's borrow (a handler may
    /// subscribe or unsubscribe).
    fn dispatch(kind: &str, data: String) {
        let handlers: Vec<Handler> = HUB.with_borrow(|hub| {
            hub.handlers
                .iter()
                .filter(|(_, kinds, _)| kinds.contains(&kind))
                .map(|(_, _, h)| h.clone())
                .collect()
        });
        for handler in handlers {
            handler(kind, data.clone());
        }
    }

    fn set_connected(connected: bool) {
        let changed = HUB
            .with_borrow_mut(|hub| std::mem::replace(&mut hub.connected, connected) != connected);
        if changed || connected {
            // Every (re)connection is followed by a re-read of what is on screen: whatever
            // happened between the page's load and the stream's start is then shown too.
            dispatch(
                if connected {
                    super::CONNECTED
                } else {
                    super::DISCONNECTED
                },
                String::new(),
            );
        }
    }

    fn open() {
        let url = HUB.with_borrow(|hub| match hub.last_id {
            Some(id) => format!("/api/events?after={id}"),
            None => "/api/events".to_owned(),
        });
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_event =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(|ev: web_sys::MessageEvent| {
                if let Ok(id) = ev.last_event_id().parse::<i32>() {
                    HUB.with_borrow_mut(|hub| hub.last_id = Some(id));
                }
                if let Some(data) = ev.data().as_string() {
                    dispatch(&ev.type_(), data);
                }
            });
        for kind in crate::model::CHANGE_KINDS {
            let _ =
                source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();
        let on_open = Closure::<dyn Fn()>::new(|| set_connected(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_error = Closure::<dyn Fn()>::new(|| {
            set_connected(false);
            let closed = HUB.with_borrow(|hub| {
                hub.source
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == web_sys::EventSource::CLOSED)
            });
            // The browser retries by itself unless the server refused the stream (a restart
            // mid-deploy, a proxy error): then this tab tries again in a few seconds.
            if closed {
                let retry = Closure::once_into_js(|| {
                    let offline = HUB.with_borrow(|hub| hub.source.is_none());
                    if !offline {
                        reopen();
                    }
                });
                if let Some(window) = web_sys::window() {
                    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                        retry.unchecked_ref(),
                        3_000,
                    );
                }
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        HUB.with_borrow_mut(|hub| hub.source = Some(source));
    }

    fn close() {
        if let Some(source) = HUB.with_borrow_mut(|hub| hub.source.take()) {
            source.close();
        }
    }

    fn reopen() {
        close();
        open();
    }

    /// Offline, the stream is closed at once (the browser would otherwise keep a dead
    /// connection for minutes); online again, it resumes from the last id.
    fn watch_network() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let offline = Closure::<dyn Fn()>::new(|| {
            close();
            set_connected(false);
        });
        let online = Closure::<dyn Fn()>::new(|| {
            let watching = HUB.with_borrow(|hub| !hub.handlers.is_empty());
            if watching {
                reopen();
            }
        });
        let _ =
            window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        offline.forget();
        online.forget();
    }

    /// A subscription to the change stream; ends when dropped.
    pub struct Listener(u64);

    impl Drop for Listener {
        fn drop(&mut self) {
            HUB.with_borrow_mut(|hub| hub.handlers.retain(|(id, _, _)| *id != self.0));
        }
    }

    /// Listens to the server's change stream (`/api/events`) for the given event names (and
    /// [`super::CONNECTED`] / [`super::DISCONNECTED`]); the payload (a `PushEvent` as JSON)
    /// goes to `on_change`. The stream is opened by the first listener and shared.
    pub fn listen(
        kinds: &'static [&'static str],
        on_change: impl Fn(String) + 'static,
    ) -> Option<Listener> {
        let handler: Handler = Rc::new(move |_kind: &str, data: String| on_change(data));
        let (id, start, watch, connected) = HUB.with_borrow_mut(|hub| {
            hub.next_handler += 1;
            let id = hub.next_handler;
            hub.handlers.push((id, kinds, handler.clone()));
            let watch = !std::mem::replace(&mut hub.watching_network, true);
            (id, hub.source.is_none(), watch, hub.connected)
        });
        if watch {
            watch_network();
        }
        if start {
            open();
        } else if connected && kinds.contains(&super::CONNECTED) {
            // Joining a stream already open: nothing was missed since this page's data loaded
            // only if it loaded after the stream opened, so re-read once.
            handler(super::CONNECTED, String::new());
        }
        Some(Listener(id))
    }

    /// Seconds since 1970, and the owner's UTC offset in seconds (for local times).
    pub fn now() -> (i64, i64) {
        let date = web_sys::js_sys::Date::new_0();
        let now = (date.get_time() / 1000.0) as i64;
        let offset = -(date.get_timezone_offset() as i64) * 60;
        (now, offset)
    }

    /// Whether the owner is looking at this tab.
    pub fn tab_visible() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
    }

    /// Whether notifications may be shown ("granted"), asked for ("default") or not ("denied",
    /// or no support).
    pub fn notification_permission() -> &'static str {
        use web_sys::NotificationPermission as P;
        if !notifications_supported() {
            return "unsupported";
        }
        match web_sys::Notification::permission() {
            P::Granted => "granted",
            P::Default => "default",
            _ => "denied",
        }
    }

    fn notifications_supported() -> bool {
        web_sys::window().is_some_and(|w| {
            web_sys::js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false)
        })
    }

    /// Asks for permission (from a click: browsers ignore it otherwise); `done` gets the answer.
    pub fn ask_notifications(done: impl Fn(&'static str) + 'static) {
        if !notifications_supported() {
            return done("unsupported");
        }
        let Ok(promise) = web_sys::Notification::request_permission() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done(notification_permission());
        });
    }

    /// A system notification; clicking it brings the tab forward and opens `url`.
    pub fn notify(title: &str, body: &str, url: String) {
        if notification_permission() != "granted" {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(&url);
        let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else {
            return;
        };
        let on_click = Closure::once_into_js(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                go_to(&url);
            }
        });
        notification.set_onclick(Some(on_click.unchecked_ref()));
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

    pub fn now() -> (i64, i64) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        (now, 0)
    }

    pub fn tab_visible() -> bool {
        true
    }

    pub fn notification_permission() -> &'static str {
        "unsupported"
    }

    pub fn ask_notifications(_done: impl Fn(&'static str) + 'static) {}

    pub fn notify(_title: &str, _body: &str, _url: String) {}

    pub fn stored_theme() -> Theme {
        Theme::System
    }

    pub fn set_theme(_theme: Theme) {}

    pub fn go_to(_url: &str) {}

    pub fn copy(_text: &str) {}

    pub fn origin() -> Option<String> {
        None
    }

    /// Server-side stand-in: there is no change stream to listen to while rendering.
    pub struct Listener;

    pub fn listen(
        _kinds: &'static [&'static str],
        _on_change: impl Fn(String) + 'static,
    ) -> Option<Listener> {
        None
    }
}

/// Marks `<body data-hydrated="true">` once the calling page has hydrated (effects run in the
/// browser only, after their view is live). End-to-end tests wait for it before clicking: a
/// click on server-rendered HTML that has not been hydrated yet does nothing. Each route's view
/// calls it, as a lazily loaded page hydrates after the application's shell.
pub fn mark_hydrated() {
    leptos::prelude::Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// A pseudo event kind: the change stream (re)connected. Listeners re-read what they show, as
/// changes may have happened while it was down or before it first opened.
pub const CONNECTED: &str = "connected";
/// A pseudo event kind: the change stream dropped (offline, or the server is restarting).
pub const DISCONNECTED: &str = "disconnected";

/// Calls `on_change` with each change of `kinds` on the server, for as long as the calling
/// component lives. An effect runs in the browser only, so the (thread-bound) subscription never
/// exists on the server; it is dropped, closing the stream, with the effect's owner.
pub fn on_changes(kinds: &'static [&'static str], on_change: impl Fn(String) + Clone + 'static) {
    leptos::prelude::Effect::new(move |_| {
        let listener = listen(kinds, on_change.clone());
        leptos::prelude::StoredValue::new_local(listener);
    });
}

pub use imp::{
    ask_notifications, copy, go_to, listen, notification_permission, notify, now, origin,
    set_theme, stored_theme, tab_visible, Listener,
};
#[cfg(feature = "hydrate")]
pub use imp::{files, send_file};

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
