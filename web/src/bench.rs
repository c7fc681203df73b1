//! Benchmark entry points for `distlab bench` (through tests/e2e/bench.mjs):
//! the shipped bundle runs the same workload as the native benchmark, timed
//! with the page's clock. The lab itself never calls these.

use crate::clock::now_ms;
use distlab_core::Micros;
use distlab_core::bench::{self, Workload};
use distlab_core::rng::{Domain, Rng};
use wasm_bindgen::prelude::wasm_bindgen;

const MAX_EVENTS: f64 = 20_000_000.0;

/// The workload of `protocol` (the headline Raft one if empty).
fn workload(protocol: &str) -> Result<Workload, String> {
    if protocol.is_empty() { bench::workloads().next() } else { bench::workload(protocol) }
        .ok_or_else(|| format!("no benchmark workload for {protocol:?}"))
}

/// The protocols with a benchmark workload, as a JSON array of names.
#[wasm_bindgen]
pub fn bench_protocols() -> String {
    let names: Vec<String> = bench::workloads().map(|w| format!("{:?}", w.protocol)).collect();
    format!("[{}]", names.join(","))
}

/// Loads the code of every protocol with a workload (the first load
/// leaves some out, see [`crate::code`]); resolves to an error text, empty
/// when all is ready. The benchmark awaits it before the per-protocol rows.
#[wasm_bindgen]
pub async fn bench_ready() -> String {
    for w in bench::workloads() {
        if let Err(e) = crate::code::ensure(w.protocol).await {
            return e;
        }
    }
    String::new()
}

fn error(e: String) -> String {
    format!("{{\"error\":{e:?}}}")
}

/// Runs `events` events of `protocol`'s workload (Raft's if empty), warm
/// after `warm_up` events or cold without (see
/// [`distlab_core::bench::throughput`]); returns
/// `{"events_per_s": .., "trace": ".."}` as JSON.
#[wasm_bindgen]
pub fn bench_throughput(events: f64, protocol: &str, warm_up: f64) -> String {
    let events = events.clamp(1.0, MAX_EVENTS) as u64;
    let warm_up = warm_up.clamp(0.0, MAX_EVENTS) as u64;
    match workload(protocol).and_then(|w| bench::throughput(&w, events, true, warm_up, &now_ms)) {
        Ok((rate, hash)) => format!("{{\"events_per_s\":{rate},\"trace\":\"{hash}\"}}"),
        Err(e) => error(e),
    }
}

/// Runs `events` events, then seeks to `samples` random points; returns
/// `{"seek_median_ms": .., "seek_max_ms": ..}` as JSON.
#[wasm_bindgen]
pub fn bench_seek(events: f64, samples: u32) -> String {
    let events = events.clamp(1.0, MAX_EVENTS) as u64;
    let mut sim = match workload("").and_then(|w| w.start(true)) {
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
