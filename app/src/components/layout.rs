//! The dashboard frame: sidebar navigation (a menu under 768 px), business name, owner menu.
//!
//! Each part ends in `.into_any()`: Leptos view types nest with the markup, and erasing them at
//! these seams keeps the compiler's type depth (and build time) bounded.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

use crate::api::auth::{session_state, Logout};
use crate::browser;
use crate::components::theme::ThemePicker;
use crate::model::AuthState;
use crate::PRODUCT;

/// Pages that exist. An entry is added here only together with a page that works.
/// A section's link stays current on its sub-pages ("/knowledge/3"); home's only on "/".
const NAV: &[(&str, &str)] = &[
    ("/", "Home"),
    ("/inbox", "Inbox"),
    ("/knowledge", "Knowledge"),
    ("/prompts", "Prompts"),
    ("/ai", "AI"),
    ("/simulator", "Simulator"),
    ("/analytics", "Analytics"),
    ("/settings", "Settings"),
];

#[component]
pub fn DashboardLayout() -> impl IntoView {
    let auth = Resource::new(|| (), |_| session_state());
    let auth = Signal::derive(move || auth.get().and_then(Result::ok));
    // The mobile menu is open on the page it was opened on: following a link closes it, with no
    // effect to keep in step.
    let pathname = use_location().pathname;
    let opened_on = RwSignal::new(None::<String>);
    let menu_open = Signal::derive(move || {
        opened_on.with(|opened| opened.as_deref() == Some(pathname.get().as_str()))
    });
    let toggle_menu = Callback::new(move |()| {
        let next = (!menu_open.get_untracked()).then(|| pathname.get_untracked());
        opened_on.set(next);
    });

    view! {
        <div class="layout" class:menu-open=move || menu_open.get()>
            <Topbar auth menu_open toggle_menu />
            <Sidebar auth />
            <main class="content" id="main">
                <Outlet />
            </main>
        </div>
    }
}

fn business_name(auth: Option<AuthState>) -> String {
    auth.and_then(|state| state.business_name)
        .unwrap_or_else(|| PRODUCT.to_owned())
}

#[component]
fn Topbar(
    auth: Signal<Option<AuthState>>,
    menu_open: Signal<bool>,
    toggle_menu: Callback<()>,
) -> impl IntoView {
    view! {
        <header class="topbar">
            <button
                type="button"
                class="menu-button"
                aria-controls="sidebar"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| toggle_menu.run(())
            >
                <span aria-hidden="true">"☰"</span>
                <span class="visually-hidden">"Menu"</span>
            </button>
            <span class="topbar-title">
                <Transition fallback=|| PRODUCT>{move || business_name(auth.get())}</Transition>
            </span>
        </header>
    }
    .into_any()
}

#[component]
fn Sidebar(auth: Signal<Option<AuthState>>) -> impl IntoView {
    view! {
        <nav id="sidebar" class="sidebar" aria-label="Main">
            <div class="brand">
                <span class="brand-mark" aria-hidden="true">"R"</span>
                <div>
                    <div class="brand-name">
                        <Transition fallback=|| PRODUCT>{move || business_name(auth.get())}</Transition>
                    </div>
                    <div class="brand-product">{PRODUCT}</div>
                </div>
            </div>
            <ul class="nav-list">
                {NAV
                    .iter()
                    .map(|(href, label)| {
                        view! {
                            <li>
                                <A href=*href exact=*href == "/">
                                    {*label}
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <div class="sidebar-footer">
                <ThemePicker />
                <OwnerMenu auth />
            </div>
        </nav>
    }
    .into_any()
}

#[component]
fn OwnerMenu(auth: Signal<Option<AuthState>>) -> impl IntoView {
    let email = move || {
        auth.get()
            .and_then(|state| state.owner)
            .map(|owner| owner.email)
            .unwrap_or_default()
    };
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            browser::go_to("/login");
        }
    });
    view! {
        <details class="owner-menu">
            <summary>
                <span class="visually-hidden">"Account menu for "</span>
                <Transition fallback=|| "Account">{email}</Transition>
            </summary>
            <div class="owner-menu-items">
                <A href="/account">"Change password"</A>
                <button
                    type="button"
                    class="link-button"
                    disabled=move || logout.pending().get()
                    on:click=move |_| {
                        logout.dispatch(Logout {});
                    }
                >
                    {move || if logout.pending().get() { "Logging out…" } else { "Log out" }}
                </button>
            </div>
        </details>
    }
    .into_any()
}
