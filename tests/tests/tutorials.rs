//! Every lesson in tutorials/ replays headless to its end without a
//! violation, and every file's trace hash is pinned (the wasm test checks
//! the same pins in headless Chrome).

#![cfg(not(target_arch = "wasm32"))]

use distlab_tests::{embedded, hash_lines, run_file};
use expect_test::expect_file;

#[test]
fn every_tutorial_replays_without_violations() {
    assert!(embedded::TUTORIALS.len() >= 2, "tutorials/ should hold the Raft lessons");
    for (name, text) in embedded::TUTORIALS {
        let out = run_file(name, text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.violations.is_empty(), "{name}: {:#?}", out.violations);
        assert!(out.events > 100, "{name} did almost nothing");
    }
}

#[test]
fn trace_hashes_are_pinned() {
    // Regenerate after an intended change: UPDATE_EXPECT=1 cargo test.
    expect_file!["../golden/trace-hashes.txt"].assert_eq(&hash_lines());
}

#[test]
fn a_different_seed_gives_a_different_trace() {
    let (name, text) = embedded::TUTORIALS[0];
    let a = run_file(name, text, Some(1)).unwrap();
    let b = run_file(name, text, Some(2)).unwrap();
    let a2 = run_file(name, text, Some(1)).unwrap();
    assert_ne!(a.hash, b.hash);
    assert_eq!(a.hash, a2.hash);
}
