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
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::Theme;

    pub fn stored_theme() -> Theme {
        Theme::System
    }

    pub fn set_theme(_theme: Theme) {}

    pub fn go_to(_url: &str) {}
}

pub use imp::{go_to, set_theme, stored_theme};

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
