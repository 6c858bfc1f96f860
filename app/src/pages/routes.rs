//! Every dashboard page is its own lazily loaded part of the WASM (`cargo leptos build --split`):
//! the first visit downloads the shell (router, layout, runtime) and the page opened; other pages
//! load when first visited.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// A route whose view is split into its own WASM chunk. The pages load their own data, so the
/// route's data half is empty.
macro_rules! lazy_page {
    ($($route:ident => $page:path),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                use $page as Page;
                crate::browser::mark_hydrated();
                view! { <Page /> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => super::HomePage,
    InboxRoute => super::InboxPage,
    KnowledgeRoute => super::KnowledgePage,
    DocumentRoute => super::DocumentPage,
    PromptsRoute => super::PromptsPage,
    AiRoute => super::AiPage,
    AnalyticsRoute => super::AnalyticsPage,
    SimulatorRoute => super::SimulatorPage,
    AccountRoute => super::AccountPage,
    SettingsRoute => super::SettingsPage,
}
