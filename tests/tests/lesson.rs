//! The lesson runner: conditions count only what happened between a step's
//! start and the cursor; the lesson follows the time cursor back and forth
//! (scrubbing back shows the step that was current then, forward again
//! restores the steps already reached), a fork forgets the dropped future,
//! "skip to it" stops at the moment a condition holds, and a step waiting
//! for something that never comes still times out.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::Micros;
use distlab_core::command::Command;
use distlab_core::ids::NodeId;
use distlab_core::lesson::{LessonRun, Point, StepMark, StepState};
use distlab_core::scenario::StartOptions;
use distlab_core::sim::Sim;
use distlab_tests::load;

fn ms(v: u64) -> Micros {
    Micros::from_ms(v)
}

/// A Raft lesson: wait for a leader, then 300 ms, then the checker (which
/// never fires in a correct cluster), then a last free step.
const LESSON: &str = r#"
protocol = "raft"
seed = 3
nodes = 5
duration_ms = 6000
[network]
latency = { dist = "uniform", min_ms = 10, max_ms = 15 }
[lesson]
title.en = "t"
title.zh-CN = "t"
[[steps]]
text.en = "a leader"
text.zh-CN = "领导者"
until = { role = "leader" }
within_ms = 2000
[[steps]]
text.en = "wait"
text.zh-CN = "等"
until = { after_ms = 300 }
[[steps]]
text.en = "never"
text.zh-CN = "永不"
until = { violation = "Election Safety" }
within_ms = 400
[[steps]]
text.en = "end"
text.zh-CN = "完"
"#;

fn open() -> (Box<dyn Sim>, LessonRun) {
    let s = load("lesson.toml", LESSON);
    let sim = s.start(None, StartOptions { store_trace: true }).unwrap();
    (sim, LessonRun::new(s.lesson.unwrap()))
}

#[test]
fn a_lesson_step_after_a_rewind_does_not_see_the_recorded_future() {
    let (mut sim, mut run) = open();
    sim.run_until(ms(2000)).unwrap();
    sim.seek(ms(1)).unwrap();
    run.begin(0, sim.as_mut()).unwrap();
    assert!(
        matches!(run.poll(sim.as_mut()), StepState::Waiting { .. }),
        "a leader elected later in the recorded run must not count yet"
    );
    sim.run_until(ms(2000)).unwrap();
    assert_eq!(run.poll(sim.as_mut()), StepState::Met);
}

#[test]
fn skip_stops_at_the_moment_the_condition_holds() {
    let (mut sim, mut run) = open();
    run.begin(0, sim.as_mut()).unwrap();
    assert_eq!(run.skip(sim.as_mut()).unwrap(), StepState::Met);
    let leader_at = run.met_at(0).expect("met");
    assert_eq!(Point::of(sim.as_ref()), leader_at, "skip stops where the condition first held");
    assert!(sim.roles().contains(&"leader"));
    // One event earlier there was no leader yet.
    sim.seek_to(leader_at.time, leader_at.events - 1).unwrap();
    assert!(!sim.roles().contains(&"leader"), "the leader appeared exactly at the point skip stopped at");
}

#[test]
fn a_step_waiting_for_something_that_never_comes_times_out_when_skipped() {
    let (mut sim, mut run) = open();
    for i in 0..2 {
        run.begin(i, sim.as_mut()).unwrap();
        assert_eq!(run.skip(sim.as_mut()).unwrap(), StepState::Met);
    }
    run.begin(2, sim.as_mut()).unwrap();
    let began = sim.now();
    assert_eq!(run.skip(sim.as_mut()).unwrap(), StepState::TimedOut);
    assert_eq!(sim.now(), began.saturating_add(ms(400)), "skip gives up at the step's deadline");
    assert!(run.progress(sim.as_mut()).is_some_and(|p| p.left == Micros::ZERO));
}

/// Plays the whole lesson as a learner pressing Continue; returns where
/// each step began.
fn play_through(sim: &mut dyn Sim, run: &mut LessonRun) -> Vec<Point> {
    let mut starts = Vec::new();
    for i in 0..4 {
        run.begin(i, sim).unwrap();
        starts.push(Point::of(sim));
        let _ = run.skip(sim).unwrap();
    }
    starts
}

#[test]
fn scrubbing_back_shows_the_step_current_then_and_forward_restores_later_steps() {
    let (mut sim, mut run) = open();
    let starts = play_through(sim.as_mut(), &mut run);
    let end = Point::of(sim.as_ref());
    assert_eq!(run.index(), 3);
    assert!(run.finished());

    // Into step 2 (the 300 ms wait), halfway: it waits again, with progress.
    let mid = starts[1].time.saturating_add(ms(150));
    sim.seek(mid).unwrap();
    assert!(matches!(run.poll(sim.as_mut()), StepState::Waiting { .. }), "halfway through the wait it waits");
    assert_eq!(run.index(), 1);
    let p = run.progress(sim.as_mut()).expect("waiting");
    assert!((p.fraction.unwrap() - 0.5).abs() < 0.01, "150 of 300 ms: {:?}", p.fraction);
    assert_eq!(p.what.en, "300 ms of simulated time pass");

    // Step 2 began where step 1's leader appeared (Continue right then):
    // one event before, step 1 waits for it again.
    sim.seek_to(starts[1].time, starts[1].events - 1).unwrap();
    assert!(matches!(run.poll(sim.as_mut()), StepState::Waiting { .. }));
    assert_eq!(run.index(), 0);
    sim.seek(ms(1)).unwrap();
    assert!(matches!(run.poll(sim.as_mut()), StepState::Waiting { .. }));
    assert_eq!(run.index(), 0);

    // Forward to the end again: the last step, already reached.
    sim.seek_to(end.time, end.events).unwrap();
    assert_eq!(run.poll(sim.as_mut()), StepState::Free);
    assert_eq!(run.index(), 3, "scrubbing forward restores the steps already reached");
    assert!(run.finished());
    // And to the middle of step 2 from the front.
    sim.seek(mid).unwrap();
    let _ = run.poll(sim.as_mut());
    assert_eq!(run.index(), 1);
    sim.seek(starts[2].time.saturating_add(ms(10))).unwrap();
    let _ = run.poll(sim.as_mut());
    assert_eq!(run.index(), 2);
}

#[test]
fn acting_in_the_past_forks_the_lesson_with_the_run() {
    let (mut sim, mut run) = open();
    let starts = play_through(sim.as_mut(), &mut run);
    let mid = starts[1].time.saturating_add(ms(100));
    sim.seek(mid).unwrap();
    let _ = run.poll(sim.as_mut());
    assert_eq!(run.index(), 1);
    let here = StepMark::of(sim.as_ref());
    let fork = sim.apply(Command::Crash { node: NodeId(1).into() }).unwrap();
    assert!(fork.is_some(), "acting behind the horizon forks");
    run.forked(here);
    assert!(run.marks()[2].is_none() && run.marks()[3].is_none(), "the later steps belonged to the dropped future");
    assert!(run.marks()[1].is_some(), "the current step keeps its start");
    assert!(!run.finished());
    // The fork's new future: the wait completes again, later steps are new.
    assert_eq!(run.skip(sim.as_mut()).unwrap(), StepState::Met);
    run.begin(2, sim.as_mut()).unwrap();
    assert_eq!(run.index(), 2);
}

#[test]
fn a_lesson_action_that_forks_forgets_the_later_steps() {
    let (mut sim, mut run) = open();
    let starts = play_through(sim.as_mut(), &mut run);
    // Back to step 1's region, then Continue: step 2 begins afresh there.
    sim.seek(starts[1].time.saturating_sub(ms(1))).unwrap();
    let _ = run.poll(sim.as_mut());
    assert_eq!(run.index(), 0);
    run.begin(1, sim.as_mut()).unwrap();
    assert!(run.marks()[2].is_none() && run.marks()[3].is_none());
}

#[test]
fn conditions_are_described_in_both_languages() {
    let (mut sim, mut run) = open();
    run.begin(0, sim.as_mut()).unwrap();
    let p = run.progress(sim.as_mut()).expect("waits");
    assert_eq!(p.what.en, "a node is leader");
    assert_eq!(p.what.zh_cn, "出现一个领导者");
    assert_eq!(p.fraction, Some(0.0));
    assert_eq!(p.left, ms(2000));
    let s = load(
        "t.toml",
        r#"
protocol = "raft"
[lesson]
title.en = "t"
title.zh-CN = "t"
[[steps]]
text.en = "x"
text.zh-CN = "x"
until = { all = [{ field = "commit_index", at_least = 2, nodes = "majority" }, { command = "crash", target_role = "leader" }] }
"#,
    );
    let c = s.lesson.as_ref().unwrap().steps[0].until.clone().unwrap();
    let t = c.describe(s.protocol());
    assert_eq!(t.en, "commit index reaches 2 on a majority of nodes and you crash the leader");
    assert_eq!(t.zh_cn, "多数节点的提交位置达到 2，并且你让领导者崩溃");
}

#[test]
fn a_break_switch_flips_mid_run_and_replays_the_same() {
    let (mut sim, _) = open();
    sim.run_until(ms(500)).unwrap();
    let key = "break_election_restriction";
    assert_eq!(sim.view().switches.iter().find(|(k, _)| *k == key), Some(&(key, false)));
    sim.apply(Command::Switch { key: key.into(), on: true }).unwrap();
    assert_eq!(sim.view().switches.iter().find(|(k, _)| *k == key), Some(&(key, true)));
    sim.run_until(ms(1500)).unwrap();
    sim.apply(Command::Switch { key: key.into(), on: false }).unwrap();
    sim.run_until(ms(2500)).unwrap();
    let hash = sim.trace().hash_hex();
    // The same log replayed in a fresh run gives the same trace.
    let s = load("lesson.toml", LESSON);
    let mut again = s.start(None, StartOptions { store_trace: true }).unwrap();
    again.adopt(sim.commands().to_vec()).unwrap();
    again.run_until(ms(2500)).unwrap();
    assert_eq!(again.trace().hash_hex(), hash);
    // Seeking back before the switch shows it off again.
    sim.seek(ms(600)).unwrap();
    assert_eq!(sim.view().switches.iter().find(|(k, _)| *k == key), Some(&(key, true)));
    sim.seek(ms(400)).unwrap();
    assert_eq!(sim.view().switches.iter().find(|(k, _)| *k == key), Some(&(key, false)));
    // A key that is not a switch is refused, naming the ones there are.
    let err = sim.apply(Command::Switch { key: "election_timeout_min_ms".into(), on: true }).unwrap_err();
    assert!(err.to_string().contains("break_commit_rule"), "{err}");
}

/// Raft 3's what-if: rewound to just after the heal, the switch turned off
/// there, the same cluster elects a leader that holds every committed entry.
#[test]
fn raft_3_with_the_rule_put_back_in_the_past_loses_nothing() {
    let (mut sim, mut run) = distlab_tests::lesson_through("break-election-restriction", 4);
    assert!(!sim.violations().is_empty(), "with the switch on, the checker fires");
    run.begin(4, sim.as_mut()).unwrap();
    let heal = run.marks()[2].expect("step 3 began at the heal");
    sim.seek_to(heal.time, heal.events).unwrap();
    let _ = run.poll(sim.as_mut());
    assert_eq!(run.index(), 4, "the what-if step stays while the learner travels in time");
    let before = StepMark::of(sim.as_ref());
    let fork = sim.apply(Command::Switch { key: "break_election_restriction".into(), on: false }).unwrap();
    assert!(fork.is_some());
    run.forked(before);
    assert_eq!(run.skip(sim.as_mut()).unwrap(), StepState::Met);
    sim.run_until(heal.time.saturating_add(ms(1500))).unwrap();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let v = sim.view();
    let leader = v.nodes.iter().find(|n| n.protocol.role == "leader").expect("a leader");
    assert_ne!(leader.id, NodeId(5), "S5's empty log cannot win");
    let s5 = &v.nodes[4];
    let len = |n: &distlab_core::view::NodeView| {
        n.protocol.fields.iter().find(|f| f.name == "log_length").and_then(|f| f.value.as_int())
    };
    assert!(len(s5) >= Some(7), "S5 caught up: {:?}", len(s5));
}

/// Raft 1: the learner crashes the leader on the challenge step, Continue,
/// then Back: the lesson is on the challenge again, before the crash, and
/// waits for it (a step begins just after its own action, not after the
/// learner's).
#[test]
fn back_after_the_learners_action_returns_to_before_it() {
    let (mut sim, mut run) = distlab_tests::lesson_through("leader-election", 4);
    run.begin(4, sim.as_mut()).unwrap();
    assert!(run.step().unwrap().challenge);
    sim.apply(Command::Crash { node: distlab_core::command::NodeRef::Role("leader".into()) }).unwrap();
    assert_eq!(run.poll(sim.as_mut()), StepState::Met);
    run.begin(5, sim.as_mut()).unwrap();
    run.back(4, sim.as_mut()).unwrap();
    assert!(matches!(run.poll(sim.as_mut()), StepState::Waiting { .. }), "the crash is after the step's start");
    assert_eq!(run.index(), 4);
    assert!(sim.roles().contains(&"leader"), "the leader is up again at the step's start");
    // A step with an action: Back lands after it (Raft 1's last step restarts S3).
    let (mut sim, mut run) = distlab_tests::lesson_through("leader-election", 7);
    run.back(6, sim.as_mut()).unwrap();
    assert!(!sim.roles().contains(&"crashed"), "Back to the restart step lands after its restart");
}
