//! Runs in headless Chrome (`wasm-pack test --headless --chrome tests`):
//! the wasm build must produce the same trace hashes as native.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wasm_trace_hashes_equal_native() {
    let pinned = include_str!("../golden/trace-hashes.txt");
    assert_eq!(distlab_tests::hash_lines(), pinned);
}

#[wasm_bindgen_test]
fn bad_files_are_refused_without_panicking_in_wasm() {
    let e = distlab_core::scenario::load(distlab_core::scenario::Source {
        name: "bad.toml",
        text: "protocol = \"raft\"\nnodes = 1000000000\n",
    })
    .unwrap_err();
    assert!(e[0].to_string().starts_with("bad.toml:2:9:"), "{}", e[0]);
}
