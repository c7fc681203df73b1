//! Component tests in headless Chrome (`wasm-pack test --headless --chrome web`).

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host.unchecked_into()
}

#[wasm_bindgen_test]
fn the_lab_mounts_and_draws_every_node_with_a_role() {
    let host = host();
    let handle = leptos::mount::mount_to(host.clone(), distlab_web::app::App);
    let nodes = host.query_selector_all("[data-testid='cluster'] [data-testid^='node-']").unwrap();
    assert_eq!(nodes.length(), 5);
    let first = host.query_selector("[data-testid='node-1']").unwrap().unwrap();
    assert_eq!(first.get_attribute("data-role").as_deref(), Some("follower"));
    assert!(host.query_selector("[data-testid='error']").unwrap().is_none());
    assert!(host.query_selector("[data-testid='invariants-ok']").unwrap().is_some());
    drop(handle);
}

#[wasm_bindgen_test]
fn every_embedded_file_loads() {
    for (path, text) in distlab_web::tutorials::TUTORIALS {
        let r = distlab_core::scenario::load(distlab_core::scenario::Source { name: path, text });
        assert!(r.is_ok(), "{path}: {:?}", r.err());
    }
}
