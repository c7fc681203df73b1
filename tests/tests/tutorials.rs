//! Every lesson in tutorials/ replays headless to its end without a
//! violation, and every file's trace hash is pinned (the wasm test checks
//! the same pins in headless Chrome).

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::lesson::Condition;
use distlab_tests::{embedded, hash_lines, load, run_file};
use expect_test::expect_file;

/// Invariants a lesson deliberately breaks: those a step waits to see violated.
fn expected_violations(c: &Condition, out: &mut Vec<String>) {
    match c {
        Condition::Violation(name) => out.push(name.clone()),
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| expected_violations(c, out)),
        _ => {}
    }
}

#[test]
fn every_tutorial_replays_without_violations() {
    // ...except a "break it" lesson, whose steps wait for the violation it is
    // about (and whose replay fails if the checker misses it).
    assert!(embedded::TUTORIALS.len() >= 2, "tutorials/ should hold the Raft lessons");
    let mut broken_on_purpose = 0;
    for (name, text) in embedded::TUTORIALS {
        let out = run_file(name, text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut expected = Vec::new();
        if let Some(lesson) = &load(name, text).lesson {
            lesson.steps.iter().filter_map(|s| s.until.as_ref()).for_each(|c| expected_violations(c, &mut expected));
        }
        if expected.is_empty() {
            assert!(out.violations.is_empty(), "{name}: {:#?}", out.violations);
        } else {
            broken_on_purpose += 1;
            let first = out.violations.first().unwrap_or_else(|| panic!("{name}: expected {expected:?} to break"));
            assert!(
                expected.iter().any(|e| e == first.invariant || e == "any"),
                "{name}: first broke {}",
                first.invariant
            );
        }
        assert!(out.events > 100, "{name} did almost nothing");
    }
    assert!(broken_on_purpose >= 1, "tutorials/ should hold a break-it lesson");
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
