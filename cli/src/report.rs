//! What `distlab run` prints.

use distlab_core::scenario::Scenario;
use distlab_core::sim::Sim;
use distlab_core::view::Value;
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// One violation, as JSON.
#[derive(Serialize)]
pub struct ViolationOut {
    invariant: &'static str,
    time_us: u64,
    message: String,
    nodes: Vec<u32>,
}

/// The result of a run (`--json` prints exactly this).
#[derive(Serialize)]
pub struct Report {
    name: String,
    protocol: &'static str,
    seed: u64,
    events: u64,
    end_time_us: u64,
    trace_hash: String,
    messages_in_flight: usize,
    violations: Vec<ViolationOut>,
    notes: Vec<String>,
    nodes: Vec<Map<String, Json>>,
    /// The protocol's live figures at the end: (name, value).
    figures: Vec<(String, String)>,
    failure: Option<String>,
}

fn json_value(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Text(t) => Json::from(t.clone()),
        Value::None => Json::Null,
    }
}

impl Report {
    /// Builds the report for `sim` as it stands.
    pub fn of(scenario: &Scenario, sim: &mut dyn Sim, failure: Option<String>) -> Report {
        let view = sim.view();
        let nodes = view
            .nodes
            .iter()
            .map(|n| {
                let mut m = Map::new();
                m.insert("id".into(), Json::from(n.id.0));
                m.insert("status".into(), Json::from(n.status.name()));
                m.insert("role".into(), Json::from(n.protocol.role));
                for f in &n.protocol.fields {
                    m.insert(f.name.into(), json_value(&f.value));
                }
                if !n.protocol.store.is_empty() {
                    let store: Map<String, Json> =
                        n.protocol.store.iter().map(|(k, v)| (k.clone(), Json::from(v.clone()))).collect();
                    m.insert("store".into(), Json::Object(store));
                }
                m
            })
            .collect();
        Report {
            name: scenario.name.clone(),
            protocol: sim.info().name,
            seed: sim.seed(),
            events: sim.events(),
            end_time_us: sim.now().0,
            trace_hash: sim.trace().hash_hex(),
            messages_in_flight: sim.in_flight(),
            violations: sim
                .violations()
                .iter()
                .map(|v| ViolationOut {
                    invariant: v.invariant,
                    time_us: v.time_us,
                    message: v.message.en.clone(),
                    nodes: v.nodes.iter().map(|n| n.0).collect(),
                })
                .collect(),
            notes: sim.notes().iter().map(|n| format!("{}: {}", n.time, n.text)).collect(),
            nodes,
            figures: view.figures.iter().map(|f| (f.name.en.clone(), f.value.en.clone())).collect(),
            failure,
        }
    }

    /// The human-readable form.
    pub fn text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("{} ({}), seed {}\n", self.name, self.protocol, self.seed));
        s.push_str(&format!(
            "{} events, ended at {:.3} ms, trace {}\n",
            self.events,
            self.end_time_us as f64 / 1000.0,
            self.trace_hash
        ));
        s.push_str("nodes:\n");
        for n in &self.nodes {
            let mut parts = Vec::new();
            for (k, v) in n {
                if k == "id" || k == "store" {
                    continue;
                }
                let v = match v {
                    Json::String(t) => t.clone(),
                    Json::Null => "-".into(),
                    other => other.to_string(),
                };
                parts.push(format!("{k}={v}"));
            }
            s.push_str(&format!("  S{}: {}\n", n.get("id").cloned().unwrap_or_default(), parts.join(" ")));
        }
        if !self.figures.is_empty() {
            let parts: Vec<String> = self.figures.iter().map(|(k, v)| format!("{k} {v}")).collect();
            s.push_str(&format!("figures: {}\n", parts.join(", ")));
        }
        if self.violations.is_empty() {
            s.push_str("invariants: all held\n");
        } else {
            s.push_str(&format!("violations ({}):\n", self.violations.len()));
            for v in &self.violations {
                s.push_str(&format!("  at {:.3} ms: {}\n", v.time_us as f64 / 1000.0, v.message));
            }
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        s
    }
}

/// The stored trace as a JSON document.
pub fn trace_json(sim: &dyn Sim) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        protocol: &'static str,
        seed: u64,
        message_kinds: &'static [&'static str],
        trace_hash: String,
        records: &'a distlab_core::trace::Records,
    }
    let doc = Doc {
        protocol: sim.info().name,
        seed: sim.seed(),
        message_kinds: sim.info().message_kinds,
        trace_hash: sim.trace().hash_hex(),
        records: sim.trace().records(),
    };
    serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// What the lab shows when a lesson step is done: the time, each node's
/// role, headline and fields, its log length and store, the figures.
pub fn step_text(r: &distlab_core::lesson::StepReport, sim: &mut dyn Sim) -> String {
    use std::fmt::Write as _;
    let view = sim.view();
    let mut out = String::new();
    let _ = writeln!(out, "-- step {}: began {}, done {}", r.step, r.began, r.done);
    for n in &view.nodes {
        let fields: Vec<String> =
            n.protocol.fields.iter().map(|f| format!("{}={}", f.name, f.value.display())).collect();
        let _ = write!(out, "   {} {} {} | {}", n.id, n.protocol.role, n.protocol.headline.en, fields.join(" "));
        if !n.protocol.log.is_empty() {
            let log: Vec<String> = n
                .protocol
                .log
                .iter()
                .map(|e| format!("{}{}:{}", if e.committed { "" } else { "~" }, e.term, e.text))
                .collect();
            let _ = write!(out, " | log {}", log.join(", "));
        }
        if !n.protocol.store.is_empty() {
            let store: Vec<String> = n.protocol.store.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(out, " | store {}", store.join(" "));
        }
        out.push('\n');
    }
    for f in &view.figures {
        let bars: Vec<String> = f.bars.iter().map(|b| format!("{}:{}", b.label, b.value)).collect();
        let _ = writeln!(out, "   figure {} = {} {}", f.name.en, f.value.en, bars.join(" "));
    }
    for v in &view.violations {
        let _ = writeln!(out, "   violation {} at {} µs: {}", v.invariant, v.time_us, v.message.en);
    }
    out
}
