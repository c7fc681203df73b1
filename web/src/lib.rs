//! DistLab's browser lab: a Leptos client-side app that runs the simulation
//! core compiled to WebAssembly and draws it.
//!
//! Components render the core's plain-data `WorldView` and hold no protocol
//! logic; they never branch on a protocol's name.

#![forbid(unsafe_code)]

pub mod app;
pub mod bench;
pub mod clock;
pub mod code;
pub mod lesson;
pub mod palette;
pub mod panels;
pub mod pool;
pub mod prefs;
pub mod size;
pub mod stage;
pub mod state;
pub mod strings;
pub mod timeline;

// Unit tests run in headless Chrome under wasm-pack, like the component tests.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Fetches the catalogue and the files the address names, then mounts
/// the lab into the page body.
pub fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let (search, hash) = web_sys::window()
            .map(|w| (w.location().search().unwrap_or_default(), w.location().hash().unwrap_or_default()))
            .unwrap_or_default();
        lesson::files::boot(&app::wanted_files(&search, &hash)).await;
        leptos::mount::mount_to_body(app::App);
    });
}
