//! The dashboard's WASM entry point.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous: the page's own part of the WASM loads before the page hydrates (the App
    // marks the body `data-hydrated` once it has).
    leptos::mount::hydrate_lazy(app::App);
}
