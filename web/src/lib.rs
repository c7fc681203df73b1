//! DistLab's browser lab: a Leptos client-side app that runs the simulation
//! core compiled to WebAssembly and draws it.
//!
//! Components render the core's plain-data `WorldView` and hold no protocol
//! logic; they never branch on a protocol's name.

#![forbid(unsafe_code)]

pub mod app;
pub mod bench;
pub mod clock;
pub mod cluster;
pub mod home;
pub mod lesson_pane;
pub mod logs;
// The Markdown renderer runs in build.rs; in the bundle only for tests.
#[cfg(test)]
mod markdown;
pub mod panels;
pub mod pool;
pub mod progress;
pub mod share;
pub mod size;
pub mod spacetime;
pub mod stage;
pub mod state;
pub mod strings;
pub mod transport;
pub mod tutorials;

// Unit tests run in headless Chrome under wasm-pack, like the component tests.
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the lab into the page body.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
