//! Benchmark entry points for `distlab bench` (through tests/e2e/bench.mjs):
//! the shipped bundle runs the same workload as the native benchmark, timed
//! with the page's clock. The lab itself never calls these.

use crate::clock::now_ms;
use distlab_core::Micros;
use distlab_core::rng::{Domain, Rng};
use distlab_core::scenario::{self, Source, StartOptions};
use distlab_core::sim::Sim;
use wasm_bindgen::prelude::wasm_bindgen;

const MAX_EVENTS: f64 = 20_000_000.0;

/// The workload of `protocol` (the headline Raft one if empty).
fn start(protocol: &str) -> Result<Box<dyn Sim>, String> {
    let w = if protocol.is_empty() {
        distlab_core::bench::workloads().next()
    } else {
        distlab_core::bench::workload(protocol)
    }
    .ok_or_else(|| format!("no benchmark workload for {protocol:?}"))?;
    let s = scenario::load(Source { name: w.path, text: w.text }).map_err(|d| format!("{d:?}"))?;
    s.start(None, StartOptions { store_trace: true }).map_err(|e| e.to_string())
}

/// The protocols with a benchmark workload, as a JSON array of names.
#[wasm_bindgen]
pub fn bench_protocols() -> String {
    let names: Vec<String> = distlab_core::bench::workloads().map(|w| format!("{:?}", w.protocol)).collect();
    format!("[{}]", names.join(","))
}

fn error(e: String) -> String {
    format!("{{\"error\":{e:?}}}")
}

/// Runs `events` events of `protocol`'s workload (Raft's if empty) after
/// an untimed run of `warm_up` events: with a warm-up, the median of
/// [`distlab_core::bench::RUNS`] timed runs, as the native bench does;
/// without (0), one timed run, the page's first. Returns
/// `{"events_per_s": .., "trace": ".."}` as JSON.
#[wasm_bindgen]
pub fn bench_throughput(events: f64, protocol: &str, warm_up: f64) -> String {
    let events = events.clamp(1.0, MAX_EVENTS) as u64;
    let warm_up = warm_up.clamp(0.0, MAX_EVENTS) as u64;
    if warm_up > 0 {
        match start(protocol) {
            Ok(mut sim) => {
                if let Err(e) = sim.run_events(warm_up) {
                    return error(e.to_string());
                }
            }
            Err(e) => return error(e),
        }
    }
    let runs = if warm_up > 0 { distlab_core::bench::RUNS } else { 1 };
    let mut rates = Vec::new();
    let mut hash = String::new();
    for _ in 0..runs {
        let mut sim = match start(protocol) {
            Ok(s) => s,
            Err(e) => return error(e),
        };
        let t = now_ms();
        if let Err(e) = sim.run_events(events) {
            return error(e.to_string());
        }
        let secs = ((now_ms() - t) / 1000.0).max(1e-9);
        rates.push(sim.events() as f64 / secs);
        hash = sim.trace().hash_hex();
    }
    let rate = distlab_core::bench::median(rates);
    format!("{{\"events_per_s\":{rate},\"trace\":\"{hash}\"}}")
}

/// Runs `events` events, then seeks to `samples` random points; returns
/// `{"seek_median_ms": .., "seek_max_ms": ..}` as JSON.
#[wasm_bindgen]
pub fn bench_seek(events: f64, samples: u32) -> String {
    let events = events.clamp(1.0, MAX_EVENTS) as u64;
    let mut sim = match start("") {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    if let Err(e) = sim.run_events(events) {
        return error(e.to_string());
    }
    let end = sim.now().0;
    let mut rng = Rng::stream(7, Domain::Faults, 1);
    let mut times = Vec::new();
    for _ in 0..samples.clamp(1, 1000) {
        let target = Micros(rng.range_inclusive(0, end));
        let t = now_ms();
        if let Err(e) = sim.seek(target) {
            return error(e.to_string());
        }
        times.push(now_ms() - t);
    }
    times.sort_by(f64::total_cmp);
    format!("{{\"seek_median_ms\":{},\"seek_max_ms\":{}}}", times[times.len() / 2], times[times.len() - 1])
}
