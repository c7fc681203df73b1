//! Every lesson in tutorials/ replays headless to its end without a
//! violation, and every file's trace hash is pinned (the wasm test checks
//! the same pins in headless Chrome).

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::Micros;
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
            // The replay reached the step that waits for the violation (it
            // fails otherwise); what is left at the end may be a what-if
            // fork that put the rule back.
            broken_on_purpose += 1;
            if let Some(first) = out.violations.first() {
                assert!(
                    expected.iter().any(|e| e == first.invariant || e == "any"),
                    "{name}: first broke {}",
                    first.invariant
                );
            }
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

#[test]
fn every_field_timer_and_observation_a_learner_sees_has_a_label() {
    use distlab_core::scenario::StartOptions;
    use distlab_core::trace::RecordKind;
    let mut missing = std::collections::BTreeSet::new();
    for (name, text) in embedded::TUTORIALS {
        let s = load(name, text);
        let info = s.protocol();
        let mut sim = s.start(None, StartOptions { store_trace: true }).unwrap();
        if s.lesson.is_some() {
            distlab_core::lesson::replay(&s, sim.as_mut()).unwrap();
        }
        let end = sim.now().max(s.duration.min(Micros::from_ms(3000)));
        for k in 1..=30 {
            sim.seek(Micros(end.0 * k / 30)).unwrap();
            let v = sim.view();
            let keys = v
                .nodes
                .iter()
                .flat_map(|n| n.protocol.fields.iter().map(|f| f.name).chain(n.timers.iter().map(|t| t.name)))
                .chain(v.messages.iter().flat_map(|m| m.message.fields.iter().map(|f| f.name)));
            for key in keys {
                if info.label(key).is_none() {
                    missing.insert(format!("{}: {key}", info.name));
                }
            }
        }
        for r in sim.trace().records().iter_from(0) {
            if let RecordKind::Observe { key, .. } = r.kind
                && info.label(key).is_none()
            {
                missing.insert(format!("{}: observation {key}", info.name));
            }
        }
        for t in info.timers {
            if info.label(t).is_none() {
                missing.insert(format!("{}: timer {t}", info.name));
            }
        }
    }
    assert!(missing.is_empty(), "no label (en and zh-CN) for:\n{}", missing.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn no_lesson_step_keeps_a_learner_waiting_more_than_15_s_at_its_pace() {
    use distlab_core::lesson::{DEFAULT_PACE, MAX_WAIT_S, replay};
    use distlab_core::scenario::StartOptions;
    let mut report = Vec::new();
    let mut slow = false;
    for (name, text) in embedded::TUTORIALS {
        let s = load(name, text);
        let Some(lesson) = s.lesson.clone() else { continue };
        let mut sim = s.start(None, StartOptions { store_trace: true }).unwrap();
        for r in replay(&s, sim.as_mut()).unwrap() {
            let pace = lesson.pace_of(r.step - 1).unwrap_or(DEFAULT_PACE);
            let wall = (r.done.0 - r.began.0) as f64 / 1e6 / pace;
            let mark = if wall > MAX_WAIT_S { " <- too slow" } else { "" };
            slow |= wall > MAX_WAIT_S;
            report.push(format!(
                "{name} step {}: {:.1} ms simulated, {wall:.1} s at pace {pace}{mark}",
                r.step,
                (r.done.0 - r.began.0) as f64 / 1e3
            ));
        }
    }
    assert!(!slow, "steps that wait longer than {MAX_WAIT_S} s:\n{}", report.join("\n"));
    if std::env::var_os("DISTLAB_PRINT_WAITS").is_some() {
        println!("{}", report.join("\n"));
    }
}
