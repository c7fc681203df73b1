//! Helpers shared by DistLab's integration tests, native and wasm: the
//! embedded data files, headless replays, and the swarm (many seeds with
//! random faults).

#![forbid(unsafe_code)]

use distlab_core::Micros;
use distlab_core::command::Command;
use distlab_core::ids::NodeId;
use distlab_core::rng::{Domain, Rng};
use distlab_core::scenario::{self, Scenario, Source, StartOptions};
use distlab_core::sim::Sim;
use distlab_core::view::{NodeStatus, Violation};

/// The data files, embedded at build time.
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Loads a file or panics with its diagnostics.
pub fn load(name: &str, text: &str) -> Scenario {
    match scenario::load(Source { name, text }) {
        Ok(s) => s,
        Err(ds) => panic!("{}", ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

/// Starts the embedded lesson whose path contains `part` and plays its
/// first `steps` steps as a learner pressing Continue would (doing what a
/// step asks, then on to the moment its condition holds).
pub fn lesson_through(part: &str, steps: usize) -> (Box<dyn Sim>, distlab_core::lesson::LessonRun) {
    let (name, text) =
        embedded::TUTORIALS.iter().find(|(n, _)| n.contains(part)).unwrap_or_else(|| panic!("no lesson like {part}"));
    let s = load(name, text);
    let mut sim = s.start(None, StartOptions { store_trace: true }).expect("starts");
    let mut run = distlab_core::lesson::LessonRun::new(s.lesson.clone().expect("a lesson"));
    for i in 0..steps {
        run.begin(i, sim.as_mut()).expect("the step begins");
        run.solve(sim.as_mut()).expect("the solution applies");
        run.skip(sim.as_mut()).expect("the step plays");
    }
    (sim, run)
}

/// What a headless run ended with.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Trace fingerprint.
    pub hash: String,
    /// Events processed.
    pub events: u64,
    /// Violations found.
    pub violations: Vec<Violation>,
}

/// Runs a scenario to its end (replaying its lesson first, if it is one),
/// as `distlab run` does.
pub fn run_file(name: &str, text: &str, seed: Option<u64>) -> Result<Outcome, String> {
    let s = load(name, text);
    let mut sim = s.start(seed, StartOptions { store_trace: s.lesson.is_some() }).map_err(|e| e.to_string())?;
    if s.lesson.is_some() {
        distlab_core::lesson::replay(&s, sim.as_mut()).map_err(|e| format!("{name}: {e}"))?;
    }
    if sim.now() < s.duration {
        sim.run_until(s.duration).map_err(|e| e.to_string())?;
    }
    Ok(Outcome { hash: sim.trace().hash_hex(), events: sim.events(), violations: sim.violations().to_vec() })
}

/// The base of every swarm run: `nodes` Raft nodes under client load on a
/// lossy, duplicating, reordering network. `config` is spliced into the
/// `[config]` table (break-it switches).
pub fn swarm_scenario(nodes: u32, rate_per_s: u32, config: &str) -> Scenario {
    let text = format!(
        r#"
protocol = "raft"
nodes = {nodes}
duration_ms = 4000
[config]
{config}
[network]
latency = {{ dist = "uniform", min_ms = 2, max_ms = 30 }}
loss_ratio = 0.03
duplicate_ratio = 0.03
reorder_ratio = 0.1
[workload]
start_ms = 100
rate_per_s = {rate_per_s}
requests = ["set x {{n}}", "set y {{n}}", "get x"]
"#
    );
    load("swarm.toml", &text)
}

/// The base of the lock swarms: `protocol` on `nodes` nodes on a lossy,
/// duplicating, reordering network with latency up to `max_latency_ms`.
/// `config` is spliced into `[config]` (break-it switches).
pub fn lossy_scenario(protocol: &str, nodes: u32, max_latency_ms: u32, config: &str) -> Scenario {
    let text = format!(
        r#"
protocol = "{protocol}"
nodes = {nodes}
duration_ms = 4000
[config]
{config}
[network]
latency = {{ dist = "uniform", min_ms = 1, max_ms = {max_latency_ms} }}
loss_ratio = 0.03
duplicate_ratio = 0.03
reorder_ratio = 0.1
"#
    );
    load(&format!("{protocol}-swarm.toml"), &text)
}

/// How one seed's adversary behaves. Swarm testing (Groce et al., 2012):
/// each seed draws its own mix, so some seeds hammer one kind of fault and
/// others combine a few, which finds rare interleavings far more often than
/// one fixed mix.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Longest gap between faults.
    pub gap_max: Micros,
    /// Enabled fault kinds: crash, restart, pause, partition, heal, isolate, one-way cut.
    pub kinds: [bool; 7],
    /// Chance that a crash is followed by a quick restart (a bounce).
    pub bounce: f64,
    /// Chance that a crash or pause targets the leader.
    pub leader_bias: f64,
    /// Chance that a crash targets a node that has just voted for someone else.
    pub voter_bias: f64,
}

impl Profile {
    /// Draws a profile from the seed's fault stream.
    pub fn draw(rng: &mut Rng) -> Profile {
        let gaps = [60_000, 150_000, 400_000];
        let mut kinds = [false; 7];
        for k in kinds.iter_mut() {
            *k = rng.chance(0.7);
        }
        kinds[0] = true;
        let third = |rng: &mut Rng, v: [f64; 3]| v[rng.index(3)];
        Profile {
            gap_max: Micros(gaps[rng.index(3)]),
            kinds,
            bounce: third(rng, [0.0, 0.5, 1.0]),
            leader_bias: third(rng, [0.0, 0.5, 0.9]),
            voter_bias: third(rng, [0.0, 0.3, 0.7]),
        }
    }
}

/// One random fault, drawn from the fault stream.
fn random_fault(rng: &mut Rng, p: &Profile, sim: &mut dyn Sim, n: u32) -> Option<Command> {
    let view = sim.view();
    let crashed: Vec<NodeId> = view.nodes.iter().filter(|v| v.status == NodeStatus::Crashed).map(|v| v.id).collect();
    let up: Vec<NodeId> = view.nodes.iter().filter(|v| v.status != NodeStatus::Crashed).map(|v| v.id).collect();
    let leader = view.nodes.iter().find(|v| v.protocol.role == "leader").map(|v| v.id);
    let voters: Vec<NodeId> = view
        .nodes
        .iter()
        .filter(|v| {
            let voted = v.protocol.fields.iter().find(|f| f.name == "voted_for").map(|f| f.value.display());
            v.protocol.role == "follower" && voted.is_some_and(|x| x != "–" && x != v.id.to_string())
        })
        .map(|v| v.id)
        .collect();
    let pick = |rng: &mut Rng, from: &[NodeId]| from.get(rng.index(from.len())).copied();
    let kind = rng.index(7);
    if !p.kinds[kind] {
        return None;
    }
    Some(match kind {
        0 => {
            if crashed.len() * 2 + 2 > n as usize {
                return None;
            }
            let node = match leader {
                Some(l) if rng.chance(p.leader_bias) => l,
                _ if !voters.is_empty() && rng.chance(p.voter_bias) => pick(rng, &voters)?,
                _ => pick(rng, &up)?,
            };
            Command::Crash { node: node.into() }
        }
        1 => Command::Restart { node: pick(rng, &crashed)?.into() },
        2 => {
            let node = match leader {
                Some(l) if rng.chance(p.leader_bias) => l,
                _ => pick(rng, &up)?,
            };
            Command::Pause { node: node.into(), for_us: rng.range_inclusive(50_000, 600_000) }
        }
        3 => {
            let mut a = Vec::new();
            let mut b = Vec::new();
            for i in 1..=n {
                if rng.chance(0.5) { a.push(NodeId(i)) } else { b.push(NodeId(i)) }
            }
            Command::Partition { groups: vec![a, b] }
        }
        4 => Command::Heal,
        5 => Command::Isolate { node: pick(rng, &up)?.into() },
        _ => {
            let from = NodeId(rng.range_inclusive(1, u64::from(n)) as u32);
            let to = NodeId(rng.range_inclusive(1, u64::from(n)) as u32);
            if from == to {
                return None;
            }
            Command::Cut { from, to, both: false }
        }
    })
}

/// Runs one swarm seed: the scenario with random faults every 50 to 400 ms,
/// all drawn from the seed's fault stream. Returns the violations.
pub fn swarm_run(scenario: &Scenario, seed: u64) -> Outcome {
    swarm_sim(scenario, seed, false).0
}

/// Like [`swarm_run`], also returning the simulation (with its trace stored
/// if `store`), to look at what a failing seed did.
pub fn swarm_sim(scenario: &Scenario, seed: u64, store: bool) -> (Outcome, Box<dyn Sim>) {
    let mut sim = scenario.start(Some(seed), StartOptions { store_trace: store }).expect("swarm scenario starts");
    let mut rng = Rng::stream(seed, Domain::Faults, 0);
    let profile = Profile::draw(&mut rng);
    let end = scenario.duration;
    let mut t = Micros::ZERO;
    let mut bounce: Option<(Micros, NodeId)> = None;
    loop {
        let next_fault = t.saturating_add(Micros(rng.range_inclusive(10_000, profile.gap_max.0)));
        if let Some((at, node)) = bounce.filter(|(at, _)| *at < next_fault && *at < end) {
            sim.run_until(at).expect("swarm run stays within limits");
            let _ = sim.apply(Command::Restart { node: node.into() });
            bounce = None;
        }
        t = next_fault;
        if t >= end || !sim.violations().is_empty() {
            break;
        }
        sim.run_until(t).expect("swarm run stays within limits");
        let roll_bounce = rng.chance(profile.bounce);
        let delay = Micros(rng.range_inclusive(5_000, 120_000));
        if let Some(c) = random_fault(&mut rng, &profile, sim.as_mut(), scenario.nodes) {
            let crashed = match &c {
                Command::Crash { node: distlab_core::NodeRef::Id(id) } => Some(*id),
                _ => None,
            };
            // A fault that no longer fits (a node restarted meanwhile) is skipped.
            if sim.apply(c).is_ok()
                && roll_bounce
                && bounce.is_none()
                && let Some(id) = crashed
            {
                bounce = Some((t.saturating_add(delay), id));
            }
        }
    }
    if sim.violations().is_empty() {
        sim.run_until(end).expect("swarm run stays within limits");
    }
    (Outcome { hash: sim.trace().hash_hex(), events: sim.events(), violations: sim.violations().to_vec() }, sim)
}

/// A readable rendering of a stored trace, one line per record, for golden
/// files: a change in behaviour shows up as a reviewable diff.
pub fn render_trace(sim: &dyn Sim) -> String {
    use distlab_core::trace::{ObsValue, RecordKind as K};
    use std::fmt::Write as _;
    let kinds = sim.info().message_kinds;
    let kind = |k: u8| kinds.get(k as usize).copied().unwrap_or("?");
    let mut out = String::new();
    for r in sim.trace().records().iter() {
        let t = format!("{:>10.3}", r.time.0 as f64 / 1000.0);
        let line = match r.kind {
            K::Init { node } => format!("{node} starts"),
            K::Send { msg, from, to, kind: k, deliver_at, copy_of } => {
                let copy = copy_of.map(|c| format!(" (copy of {c})")).unwrap_or_default();
                format!("  {from} -> {to} {} {msg} due {:.3}{copy}", kind(k), deliver_at.0 as f64 / 1000.0)
            }
            K::Deliver { msg, from, to, kind: k } => format!("{to} <- {from} {} {msg}", kind(k)),
            K::Drop { msg, from, to, kind: k, reason } => {
                format!("  drop {msg} {from} -> {to} {} ({})", kind(k), reason.name())
            }
            K::Undeliverable { msg, from, to, kind: k, reason } => {
                format!("lost {msg} {from} -> {to} {} ({})", kind(k), reason.name())
            }
            K::Held { msg } => format!("held {msg}"),
            K::Timer { node, timer } => format!("{node} timer {timer}"),
            K::Command { verb, node, scheduled } => {
                let who = node.map(|n| format!(" {n}")).unwrap_or_default();
                format!("command {verb}{who}{}", if scheduled { " (scheduled)" } else { "" })
            }
            K::Crash { node } => format!("  {node} crashes"),
            K::Restart { node } => format!("  {node} restarts"),
            K::Pause { node, until } => format!("  {node} pauses until {:.3}", until.0 as f64 / 1000.0),
            K::Resume { node } => format!("{node} resumes"),
            K::Request { id, node, attempt } => format!("request {id} at {node} (attempt {attempt})"),
            K::Reply { id, node, outcome } => {
                format!("  reply {id} from {node}: {}", ["ok", "redirect", "failed"][outcome.min(2) as usize])
            }
            K::Observe { node, key, value } => {
                let v = match value {
                    ObsValue::Int(i) => i.to_string(),
                    ObsValue::Str(s) => s.to_string(),
                };
                format!("  {node} {key} = {v}")
            }
            K::Violation { invariant } => format!("  VIOLATION {invariant}"),
        };
        let _ = writeln!(out, "{t} {line}");
    }
    out
}

/// Finds an embedded scenario by file name.
pub fn scenario_text(name: &str) -> &'static str {
    embedded::SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

/// One line per embedded tutorial and scenario: `file events trace-hash`,
/// each run to its end (lessons replayed first). The native and the wasm
/// test both compare this with `tests/golden/trace-hashes.txt`, which is how
/// native == wasm is checked.
pub fn hash_lines() -> String {
    let mut out = String::new();
    for (dir, files) in [("tutorials", embedded::TUTORIALS), ("tests/scenarios", embedded::SCENARIOS)] {
        for (name, text) in files {
            let path = format!("{dir}/{name}");
            match run_file(&path, text, None) {
                Ok(o) => out.push_str(&format!("{path} {} {}\n", o.events, o.hash)),
                Err(e) => out.push_str(&format!("{path} FAILED {e}\n")),
            }
        }
    }
    out
}
