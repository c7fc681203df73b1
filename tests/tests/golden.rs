//! Golden traces: each scenario's full trace is rendered and compared with a
//! snapshot file, so a change in behaviour cannot slip in unnoticed.
//! After an intended change, regenerate with `UPDATE_EXPECT=1 cargo test`
//! and review the diff.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::scenario::StartOptions;
use distlab_tests::{load, render_trace, scenario_text};
use expect_test::expect_file;

fn golden(name: &str) -> (String, Vec<distlab_core::view::Violation>, Vec<&'static str>) {
    let s = load(name, scenario_text(name));
    let mut sim = s.start(None, StartOptions { store_trace: true }).unwrap();
    sim.run_until(s.duration).unwrap();
    let mut text = render_trace(sim.as_ref());
    text.push_str(&format!("# {} events, trace {}\n", sim.events(), sim.trace().hash_hex()));
    (text, sim.violations().to_vec(), sim.roles())
}

#[test]
fn initial_election_elects_one_leader() {
    // Raft §5.2: randomized timeouts let one candidate win.
    let (text, violations, roles) = golden("initial-election.toml");
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(roles.iter().filter(|r| **r == "leader").count(), 1, "{roles:?}");
    expect_file!["../golden/initial-election.trace"].assert_eq(&text);
}

#[test]
fn leader_crash_leads_to_a_new_leader_in_a_higher_term() {
    // Raft §5.2: followers time out and elect a new leader; the restarted
    // node keeps its term and log (Figure 2, persistent state).
    let (text, violations, roles) = golden("leader-crash.toml");
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(roles.iter().filter(|r| **r == "leader").count(), 1, "{roles:?}");
    assert!(text.contains("term = 2"), "a second term should start");
    expect_file!["../golden/leader-crash.trace"].assert_eq(&text);
}

#[test]
fn partition_then_heal_replaces_the_minority_leaders_entry() {
    // Raft §5.3: after the heal the old leader adopts the new term and its
    // uncommitted entry is overwritten by the majority's.
    let (text, violations, roles) = golden("partition-heal.toml");
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(roles.iter().filter(|r| **r == "leader").count(), 1, "{roles:?}");
    expect_file!["../golden/partition-heal.trace"].assert_eq(&text);
}

/// The storage's answers in a lock scenario: (accepted, refused) tokens.
fn lock_outcomes(text: &str) -> (Vec<String>, Vec<String>) {
    let pick = |key: &str| {
        text.lines()
            .filter(|l| l.contains(&format!("S4 {key} = ")))
            .filter_map(|l| l.rsplit(" = ").next().map(str::to_string))
            .collect()
    };
    (pick("accepted"), pick("rejected"))
}

#[test]
fn a_gc_pause_past_the_lease_is_refused_by_the_fencing_check() {
    // Kleppmann 2016: S2 pauses between its lease check and its write;
    // S3 writes with 34; S2's write with 33 arrives afterwards.
    let (text, violations, _) = golden("lock-gc-pause.toml");
    assert!(violations.is_empty(), "{violations:?}");
    let (accepted, refused) = lock_outcomes(&text);
    assert_eq!(accepted.first().map(String::as_str), Some("34"), "S3's write comes first: {accepted:?}");
    assert_eq!(refused, ["33"], "S2's stale write is refused");
    expect_file!["../golden/lock-gc-pause.trace"].assert_eq(&text);
}

#[test]
fn without_fencing_the_same_pause_corrupts_the_storage() {
    let (text, violations, _) = golden("lock-gc-pause-unfenced.toml");
    let v = violations.first().expect("the stale write is caught");
    assert_eq!(v.invariant, "Fenced Writes");
    assert!(v.message.en.contains("S2's write with token 33") && v.message.en.contains("token 34"), "{}", v.message);
    let (accepted, refused) = lock_outcomes(&text);
    assert!(accepted.iter().position(|t| t == "33") > accepted.iter().position(|t| t == "34"), "{accepted:?}");
    assert!(refused.is_empty());
    expect_file!["../golden/lock-gc-pause-unfenced.trace"].assert_eq(&text);
}

#[test]
fn a_write_delayed_past_the_lease_is_refused_by_the_fencing_check() {
    let (text, violations, _) = golden("lock-slow-write.toml");
    assert!(violations.is_empty(), "{violations:?}");
    let (_, refused) = lock_outcomes(&text);
    assert_eq!(refused, ["33"], "the late write with token 33 is refused");
    expect_file!["../golden/lock-slow-write.trace"].assert_eq(&text);
}

#[test]
fn a_clock_jump_on_one_redlock_server_lets_two_clients_hold_the_lock() {
    // Kleppmann 2016: the majorities {S1, S2, S3} and {S3, S4, S5} overlap
    // only in S3, whose clock jumped.
    let (text, violations, _) = golden("redlock-clock-jump.toml");
    let v = violations.first().expect("two holders are caught");
    assert_eq!(v.invariant, "Lock Exclusivity");
    assert!(v.message.en.contains("S7 acquired") && v.message.en.contains("S6 still held"), "{}", v.message);
    assert!(text.contains("command clock_jump S3 (scheduled)"), "the jump is in the trace");
    expect_file!["../golden/redlock-clock-jump.trace"].assert_eq(&text);
}
