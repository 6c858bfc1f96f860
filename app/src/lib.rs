//! Replydesk's dashboard: one Leptos application compiled twice, to WASM (`hydrate`) for the
//! browser and natively (`ssr`) for the server's HTML and server functions.

pub mod api;
pub mod browser;
pub mod components;
pub mod error;
pub mod format;
pub mod model;
pub mod pages;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod ports;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, Lazy};

use crate::components::layout::DashboardLayout;
use crate::pages::{routes, Attention, LoginPage, NotFound, SetupPage};

/// The product's name, as shown in titles and the sidebar.
pub const PRODUCT: &str = "Replydesk";

/// Applies the remembered theme before the first paint, so a dark-theme owner never sees a white
/// flash. Kept tiny and dependency-free on purpose: it runs before the WASM loads.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('replydesk-theme');if(t==='light'||t==='dark'){document.documentElement.dataset.theme=t}}catch(e){}";

/// The HTML document around the application (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <script nonce=use_nonce() inner_html=THEME_BOOT></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: script only from this server, the WASM, and the inline
/// scripts Leptos writes into this response (which carry its nonce); nothing may frame the
/// dashboard. Sent as a header (a `<meta>` policy cannot forbid framing).
#[cfg(feature = "ssr")]
fn send_page_policy() {
    let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // New customer messages and hand-offs seen while the tab was hidden: "(2) Inbox · …".
    let unseen = RwSignal::new(0u32);
    provide_context(Attention { unseen });
    view! {
        <Stylesheet id="leptos" href="/pkg/replydesk.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=move |page: String| {
            let title = if page.is_empty() { PRODUCT.to_owned() } else { format!("{page} · {PRODUCT}") };
            match unseen.get() {
                0 => title,
                n => format!("({n}) {title}"),
            }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/setup") view=SetupPage />
                <ParentRoute path=path!("") view=DashboardLayout>
                    <Route path=path!("") view={Lazy::<routes::HomeRoute>::new()} />
                    <Route path=path!("account") view={Lazy::<routes::AccountRoute>::new()} />
                    // One route for the list and an open conversation: switching conversations
                    // keeps the page (its list, scroll position and stream) instead of remounting.
                    <Route path=path!("inbox/:id?") view={Lazy::<routes::InboxRoute>::new()} />
                    <Route path=path!("knowledge") view={Lazy::<routes::KnowledgeRoute>::new()} />
                    <Route path=path!("knowledge/:id") view={Lazy::<routes::DocumentRoute>::new()} />
                    <Route path=path!("prompts") view={Lazy::<routes::PromptsRoute>::new()} />
                    <Route path=path!("ai") view={Lazy::<routes::AiRoute>::new()} />
                    <Route path=path!("simulator") view={Lazy::<routes::SimulatorRoute>::new()} />
                    <Route path=path!("analytics") view={Lazy::<routes::AnalyticsRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<routes::SettingsRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
