//! The engine's promises: seeking reproduces state exactly, logged commands
//! replay after a rewind, a fork equals a fresh run with the same commands,
//! and limits end a run with a clear error instead of a hang.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::Micros;
use distlab_core::command::Command;
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::scenario::StartOptions;
use distlab_core::sim::{Sim, SimError};
use distlab_core::view::NodeStatus;
use distlab_tests::load;

const BUSY: &str = r#"
protocol = "raft"
seed = 21
nodes = 5
duration_ms = 3000
[network]
latency = { dist = "exponential", min_ms = 3, mean_ms = 12 }
loss_ratio = 0.02
duplicate_ratio = 0.02
reorder_ratio = 0.1
[workload]
start_ms = 200
rate_per_s = 80
requests = ["set x {n}", "get x"]
[[faults]]
at_ms = 900
crash = "leader"
[[faults]]
at_ms = 1600
restart = "crashed"
"#;

fn ms(v: u64) -> Micros {
    Micros::from_ms(v)
}

fn start(text: &str) -> Box<dyn Sim> {
    load("t.toml", text).start(None, StartOptions { store_trace: true }).unwrap()
}

#[test]
fn seeking_back_and_forth_reproduces_the_same_state() {
    let mut fresh = start(BUSY);
    fresh.run_until(ms(1234)).unwrap();
    let at_1234 = fresh.view();

    let mut sim = start(BUSY);
    sim.run_until(ms(3000)).unwrap();
    let end = sim.view();
    let hash = sim.trace().hash_hex();
    sim.seek(ms(1234)).unwrap();
    assert_eq!(sim.view(), at_1234, "seeking back gives the state a fresh run has there");
    sim.seek(ms(10)).unwrap();
    sim.seek(ms(3000)).unwrap();
    assert_eq!(sim.view(), end, "seeking forward again gives the same end state");
    assert_eq!(sim.trace().hash_hex(), hash, "replaying does not touch the recorded trace");
}

#[test]
fn stepping_one_event_at_a_time_equals_running() {
    let mut a = start(BUSY);
    a.run_until(ms(1500)).unwrap();
    let mut b = start(BUSY);
    while b.next_event_time().is_some_and(|t| t <= ms(1500)) {
        assert!(b.step().unwrap());
    }
    b.run_until(ms(1500)).unwrap();
    assert_eq!(a.trace().hash_hex(), b.trace().hash_hex());
    assert_eq!(a.view(), b.view());
}

#[test]
fn logged_commands_replay_after_a_rewind() {
    let mut sim = start(BUSY);
    sim.run_until(ms(500)).unwrap();
    sim.apply(Command::Pause { node: NodeId(2).into(), for_us: 300_000 }).unwrap();
    sim.run_until(ms(700)).unwrap();
    sim.apply(Command::Partition { groups: vec![vec![NodeId(1), NodeId(2)], vec![NodeId(3), NodeId(4), NodeId(5)]] })
        .unwrap();
    sim.run_until(ms(1200)).unwrap();
    sim.apply(Command::Heal).unwrap();
    sim.run_until(ms(2500)).unwrap();
    let end = sim.view();
    let hash = sim.trace().hash_hex();
    sim.seek(ms(300)).unwrap();
    assert_eq!(sim.view().cut_links.len(), 0);
    sim.seek(ms(800)).unwrap();
    assert_eq!(sim.view().cut_links.len(), 12, "the partition was replayed");
    sim.run_until(ms(2500)).unwrap();
    assert_eq!(sim.view(), end);
    assert_eq!(sim.trace().hash_hex(), hash);
    assert_eq!(sim.commands().len(), 3);
}

#[test]
fn a_fork_equals_a_fresh_run_with_the_same_commands() {
    let mut forked = start(BUSY);
    forked.run_until(ms(400)).unwrap();
    forked.apply(Command::Crash { node: NodeId(3).into() }).unwrap();
    forked.run_until(ms(2000)).unwrap();
    // Rewind and act differently: the old future is discarded.
    forked.seek(ms(600)).unwrap();
    let fork = forked.apply(Command::Restart { node: NodeId(3).into() }).unwrap().expect("acting in the past forks");
    assert!(fork.discarded_events > 0);
    forked.run_until(ms(2000)).unwrap();

    let mut fresh = start(BUSY);
    fresh.run_until(ms(400)).unwrap();
    fresh.apply(Command::Crash { node: NodeId(3).into() }).unwrap();
    fresh.run_until(ms(600)).unwrap();
    assert!(fresh.apply(Command::Restart { node: NodeId(3).into() }).unwrap().is_none());
    fresh.run_until(ms(2000)).unwrap();

    assert_eq!(forked.commands(), fresh.commands());
    assert_eq!(forked.trace().hash_hex(), fresh.trace().hash_hex());
    assert_eq!(forked.trace().records(), fresh.trace().records());
    assert_eq!(forked.view(), fresh.view());
}

#[test]
fn role_references_resolve_once_and_replay_as_numbers() {
    let mut sim = start(BUSY);
    sim.run_until(ms(500)).unwrap();
    let leader = sim.roles().iter().position(|r| *r == "leader").map(NodeId::from_index).unwrap();
    sim.apply(Command::Crash { node: distlab_core::NodeRef::Role("leader".into()) }).unwrap();
    let rec = &sim.commands()[0];
    assert_eq!(rec.command, Command::Crash { node: leader.into() });
    assert_eq!(rec.target_role.as_deref(), Some("leader"));
}

#[test]
fn bad_commands_are_refused_with_a_reason_and_change_nothing() {
    let mut sim = start(BUSY);
    sim.run_until(ms(500)).unwrap();
    let before = sim.trace().hash_hex();
    let cases = [
        (Command::Crash { node: NodeId(9).into() }, "no node 9"),
        (Command::Restart { node: NodeId(1).into() }, "not crashed"),
        (Command::Release { msg: MsgId(999_999) }, "not in flight"),
        (Command::Request { node: NodeId(1).into(), op: "put x 1".into() }, "set KEY NUMBER"),
        (Command::Timeout { node: NodeId(1).into(), timer: "nap".into() }, "unknown timer"),
        (Command::Pause { node: NodeId(1).into(), for_us: 0 }, "pause for"),
        (Command::SetDrift { node: NodeId(1).into(), ppm: 10_000_000 }, "beyond the limit"),
        (Command::Cut { from: NodeId(2), to: NodeId(2), both: false }, "two different nodes"),
    ];
    for (c, want) in cases {
        match sim.apply(c.clone()) {
            Err(SimError::Command(msg)) => {
                assert!(msg.en.contains(want), "{c:?}: {msg}");
                assert!(
                    msg.zh_cn.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                    "{c:?} has no Chinese wording: {}",
                    msg.zh_cn
                );
            }
            other => panic!("{c:?} should be refused, got {other:?}"),
        }
    }
    assert_eq!(sim.trace().hash_hex(), before);
    assert!(sim.commands().is_empty());
}

#[test]
fn a_held_message_waits_until_released() {
    let mut sim = start(BUSY);
    sim.run_until(ms(500)).unwrap();
    let m = sim.view().messages.first().cloned().expect("something is in flight");
    sim.apply(Command::Hold { msg: m.id }).unwrap();
    sim.run_until(ms(800)).unwrap();
    let held = sim.view().messages.into_iter().find(|x| x.id == m.id).expect("still in flight after its due time");
    assert!(held.held);
    sim.apply(Command::Release { msg: m.id }).unwrap();
    sim.step().unwrap();
    assert!(sim.view().messages.iter().all(|x| x.id != m.id), "delivered right after release");
}

#[test]
fn a_paused_leader_is_replaced_and_steps_down_when_it_wakes() {
    // A stop-the-world pause longer than the election timeout.
    let quiet = &BUSY[..BUSY.find("[[faults]]").unwrap()];
    let mut sim = start(quiet);
    sim.run_until(ms(500)).unwrap();
    let leader = sim.roles().iter().position(|r| *r == "leader").map(NodeId::from_index).unwrap();
    sim.apply(Command::Pause { node: leader.into(), for_us: 800_000 }).unwrap();
    sim.run_until(ms(1200)).unwrap();
    let v = sim.view();
    assert_eq!(v.nodes[leader.index()].status, NodeStatus::Paused);
    assert_eq!(v.nodes.iter().filter(|n| n.protocol.role == "leader").count(), 2, "the sleeper still believes");
    sim.run_until(ms(1400)).unwrap();
    let v = sim.view();
    assert_eq!(v.nodes[leader.index()].status, NodeStatus::Up);
    assert_eq!(v.nodes[leader.index()].protocol.role, "follower", "it learned the new term and stepped down");
    assert!(sim.violations().is_empty());
}

#[test]
fn hitting_a_limit_stops_the_run_with_a_clear_error() {
    let text = BUSY.replace("duration_ms = 3000", "duration_ms = 3000\n[limits]\nmax_in_flight = 3");
    let mut sim = start(&text);
    let err = sim.run_until(ms(3000)).expect_err("a candidate alone sends four messages at once");
    assert_eq!(err, SimError::LimitReached { what: "messages in flight", limit: 3 });
    assert!(err.to_string().contains("at most 3 messages in flight"), "{err}");
    assert_eq!(sim.run_until(ms(3000)), Err(err.clone()), "the run stays stopped");
    // Looking back still works.
    sim.seek(ms(1)).unwrap();

    let text = BUSY.replace("duration_ms = 3000", "duration_ms = 3000\n[limits]\nmax_events = 500");
    let mut sim = start(&text);
    let err = sim.run_until(ms(3000)).expect_err("500 events is too few");
    assert_eq!(err, SimError::LimitReached { what: "events", limit: 500 });
}

#[test]
fn clock_drift_changes_timer_lengths_on_that_node_only() {
    let text = r#"
protocol = "raft"
nodes = 3
[[clocks]]
node = 1
drift_ppm = 500000
"#;
    let mut sim = start(text);
    let v = sim.view();
    let t1 = &v.nodes[0].timers[0];
    assert_eq!(t1.name, "election");
    sim.run_until(ms(100)).unwrap();
    let v = sim.view();
    assert_eq!(v.nodes[0].clock_us, 150_000, "a 50% fast clock reads 150 ms after 100 ms");
    assert_eq!(v.nodes[1].clock_us, 100_000);
}

/// Random commands at random instants (often between a timer's queue entry
/// and its re-armed firing, or while a node is paused), then seeks in a
/// shuffled order: every revisited instant must look exactly as it did live.
#[test]
fn seeking_anywhere_reproduces_what_was_seen_live() {
    use distlab_core::rng::{Domain, Rng};
    for seed in 0..25u64 {
        let mut rng = Rng::stream(seed, Domain::Faults, 3);
        let mut sim = start(BUSY);
        let mut seen = Vec::new();
        let mut t = 0;
        while t < 2_500 {
            t += rng.range_inclusive(1, 120);
            sim.run_until(ms(t)).unwrap();
            let node = NodeId(rng.range_inclusive(1, 5) as u32);
            let in_flight: Vec<MsgId> = sim.view().messages.iter().map(|m| m.id).collect();
            let msg = in_flight.get(rng.index(in_flight.len())).copied().unwrap_or(MsgId(0));
            let c = match rng.index(8) {
                0 => Command::Crash { node: node.into() },
                1 => Command::Restart { node: node.into() },
                2 => Command::Pause { node: node.into(), for_us: rng.range_inclusive(1_000, 300_000) },
                3 => Command::Hold { msg },
                4 => Command::Release { msg },
                5 => Command::Drop { msg },
                6 => Command::Isolate { node: node.into() },
                _ => Command::Heal,
            };
            let _ = sim.apply(c);
            seen.push((ms(t), sim.view()));
        }
        let hash = sim.trace().hash_hex();
        let mut order: Vec<usize> = (0..seen.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.index(i + 1));
        }
        for i in order {
            let (at, ref want) = seen[i];
            sim.seek(at).unwrap_or_else(|e| panic!("seed {seed}: seek to {at}: {e}"));
            let got = sim.view();
            assert!(got == *want, "seed {seed}: the world at {at} differs from what was seen live");
        }
        sim.seek(ms(t)).unwrap();
        assert_eq!(sim.trace().hash_hex(), hash, "seed {seed}: seeking must not touch the recorded trace");
    }
}

#[test]
fn acting_behind_a_stopped_run_forks_it() {
    let text = BUSY.replace("duration_ms = 3000", "duration_ms = 3000\n[limits]\nmax_in_flight = 3");
    let mut sim = start(&text);
    assert!(sim.run_until(ms(3000)).is_err());
    sim.seek(ms(1)).unwrap();
    let fork = sim.apply(Command::SetDrift { node: NodeId(1).into(), ppm: 1_000 }).expect("acting earlier forks");
    assert!(fork.is_some());
    assert!(sim.halted().is_none(), "the fork has its own future");
}

#[test]
fn a_hash_only_run_refuses_to_branch_from_the_past() {
    let s = load("t.toml", BUSY);
    let mut sim = s.start(None, StartOptions { store_trace: false }).unwrap();
    sim.run_until(ms(800)).unwrap();
    sim.seek(ms(400)).unwrap();
    match sim.apply(Command::Heal) {
        Err(SimError::Command(m)) => assert!(m.en.contains("cannot branch"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn messages_waiting_at_a_paused_node_die_when_it_crashes() {
    let quiet = &BUSY[..BUSY.find("[[faults]]").unwrap()];
    let mut sim = start(quiet);
    sim.run_until(ms(500)).unwrap();
    sim.apply(Command::Pause { node: NodeId(2).into(), for_us: 400_000 }).unwrap();
    sim.run_until(ms(700)).unwrap();
    let waiting = sim.view().messages.iter().filter(|m| m.to == NodeId(2) && m.deliver_us <= 700_000).count();
    assert!(waiting > 0, "heartbeats pile up at the paused node");
    sim.apply(Command::Crash { node: NodeId(2).into() }).unwrap();
    let left = sim.view().messages.iter().filter(|m| m.to == NodeId(2) && m.deliver_us <= 700_000).count();
    assert_eq!(left, 0);
    sim.apply(Command::Restart { node: NodeId(2).into() }).unwrap();
    sim.run_until(ms(1500)).unwrap();
    assert!(sim.violations().is_empty());
}

#[test]
fn absurd_values_are_refused_not_wrapped() {
    let mut sim = start(BUSY);
    sim.run_until(ms(300)).unwrap();
    for c in [
        Command::SetDrift { node: NodeId(1).into(), ppm: i64::MIN },
        Command::ClockJump { node: NodeId(1).into(), by_us: i64::MIN },
        Command::Drop { msg: MsgId(1 << 32) },
        Command::Pause { node: NodeId(1).into(), for_us: u64::MAX },
    ] {
        assert!(matches!(sim.apply(c.clone()), Err(SimError::Command(_))), "{c:?} should be refused");
    }
    sim.apply(Command::Pause { node: NodeId(1).into(), for_us: 100_000 }).unwrap();
    match sim.apply(Command::Timeout { node: NodeId(1).into(), timer: "election".into() }) {
        Err(SimError::Command(m)) => assert!(m.en.contains("paused"), "{m}"),
        other => panic!("a paused node runs nothing: {other:?}"),
    }
    let e = distlab_core::scenario::load(distlab_core::scenario::Source {
        name: "d.toml",
        text: "protocol = \"raft\"\n[[clocks]]\nnode = 1\ndrift_ppm = -9223372036854775808\n",
    })
    .unwrap_err();
    assert!(e[0].to_string().contains("beyond"), "{}", e[0]);
}

#[test]
fn an_adopted_command_log_replays_to_the_same_trace() {
    // This is how a share link restores a run: same file and seed, the
    // recorded commands handed to a fresh engine.
    let mut live = start(BUSY);
    live.run_until(ms(400)).unwrap();
    live.apply(Command::Crash { node: NodeId(2).into() }).unwrap();
    live.run_until(ms(700)).unwrap();
    live.apply(Command::Request { node: NodeId(3).into(), op: "set y 7".into() }).unwrap();
    live.apply(Command::Restart { node: NodeId(2).into() }).unwrap();
    live.run_until(ms(2000)).unwrap();

    let mut shared = start(BUSY);
    shared.adopt(live.commands().to_vec()).unwrap();
    shared.seek(ms(2000)).unwrap();
    assert_eq!(shared.trace().hash_hex(), live.trace().hash_hex());
    assert_eq!(shared.view(), live.view());

    let mut used = start(BUSY);
    used.run_until(ms(1)).unwrap();
    assert!(used.adopt(live.commands().to_vec()).is_err(), "a started run cannot adopt a log");
    let mut reversed = live.commands().to_vec();
    reversed.reverse();
    let err = start(BUSY).adopt(reversed).unwrap_err().to_string();
    assert!(err.contains("out of order"), "{err}");
}

#[test]
fn seek_to_finds_a_point_that_time_alone_cannot() {
    // Release an overdue held message (its delivery is due now), deliver it
    // with one step, then act again at the same instant: three things at one
    // time. Only (time, events) names the point after all of them.
    let mut live = start(BUSY);
    live.run_until(ms(300)).unwrap();
    let msg = live.view().messages.first().expect("messages in flight").id;
    live.apply(Command::Hold { msg }).unwrap();
    live.run_until(ms(400)).unwrap();
    live.apply(Command::Release { msg }).unwrap();
    assert!(live.step().unwrap());
    assert_eq!(live.now(), ms(400), "the released message arrives at once");
    live.apply(Command::Request { node: NodeId(1).into(), op: "get x".into() }).unwrap();
    let (t, events) = (live.now(), live.events());
    let seen = live.view();
    live.run_until(ms(900)).unwrap();

    let mut shared = start(BUSY);
    shared.adopt(live.commands().to_vec()).unwrap();
    shared.seek_to(t, events).unwrap();
    assert_eq!(shared.view(), seen);
    // Back and forth within the same engine too.
    live.seek_to(t, events).unwrap();
    assert_eq!(live.view(), seen);
    live.seek(ms(10)).unwrap();
    live.seek_to(t, events).unwrap();
    assert_eq!(live.view(), seen);
    // The same events but a later clock (time ran on with nothing happening).
    live.seek_to(t, events).unwrap();
    let quiet = live.next_event_time().map_or(t, |n| Micros(n.0.saturating_sub(1)).max(t));
    live.run_until(quiet).unwrap();
    live.seek_to(t, events).unwrap();
    assert_eq!(live.now(), t);
    assert_eq!(live.view(), seen);
}

#[test]
fn a_violation_names_the_message_whose_delivery_broke_the_rule() {
    // Up to the step that waits for the violation (the lesson later forks
    // back into the past to put the rule back).
    let (sim, _) = distlab_tests::lesson_through("break-election-restriction", 3);
    let v = sim.violations().first().cloned().expect("the lesson breaks Leader Completeness");
    assert_eq!(v.messages.len(), 1, "one message is named: {v:?}");
    let id = v.messages[0];
    let delivered = sim.trace().records().iter_from(0).any(|r| {
        matches!(r.kind, distlab_core::trace::RecordKind::Deliver { msg, to, .. }
            if msg == id && v.nodes.contains(&to) && r.time.0 == v.time_us)
    });
    assert!(delivered, "{id} was not delivered to a node involved at {} µs", v.time_us);
}

#[test]
fn a_request_to_self_driving_clients_is_refused_with_the_reason() {
    use distlab_core::command::{Command, NodeRef};
    let s = distlab_tests::load("lease.toml", "protocol = \"lease_lock\"\nnodes = 4\nduration_ms = 100\n");
    let mut sim = s.start(None, distlab_core::scenario::StartOptions { store_trace: true }).unwrap();
    let err = sim.apply(Command::Request { node: NodeRef::Id(distlab_core::NodeId(2)), op: "set x 1".into() });
    let text = format!("{:?}", err.expect_err("refused"));
    assert!(text.contains("lease-lock clients act on their own"), "{text}");
}
