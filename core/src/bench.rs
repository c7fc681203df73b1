//! The benchmark workloads, one per registered protocol (`tests/bench/`,
//! named in the registry), shared by `distlab bench` (native) and the
//! page's bench exports (wasm), so both measure the same runs, and how a
//! throughput figure is taken from them ([`throughput`]).

use crate::scenario::{self, Source, StartOptions};
use crate::sim::Sim;

/// A benchmark workload: a scenario file that runs far longer than any
/// benchmark asks for.
#[derive(Copy, Clone, Debug)]
pub struct Workload {
    /// The protocol it runs (its registry name).
    pub protocol: &'static str,
    /// The file's path in the repository, for messages.
    pub path: &'static str,
    /// The file.
    pub text: &'static str,
}

/// Every registered protocol's workload, in the registry's order (the
/// first is the headline one).
pub fn workloads() -> impl Iterator<Item = Workload> {
    crate::protocols::all().iter().map(|p| Workload { protocol: (p.info)().name, path: p.bench.0, text: p.bench.1 })
}

/// The workload of `protocol`, if it is registered.
pub fn workload(protocol: &str) -> Option<Workload> {
    workloads().find(|w| w.protocol == protocol)
}

impl Workload {
    /// Loads the workload's file and starts a run (trace stored or hash only).
    pub fn start(&self, store_trace: bool) -> Result<Box<dyn Sim>, String> {
        let s = scenario::load(Source { name: self.path, text: self.text })
            .map_err(|d| d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))?;
        s.start(None, StartOptions { store_trace }).map_err(|e| e.to_string())
    }
}

/// Timed runs per throughput figure, native and wasm alike.
pub const RUNS: u32 = 3;

/// Events of the untimed warm-up before the timed runs of `events` events.
pub fn warm_up(events: u64) -> u64 {
    (events / 4).max(1)
}

/// Events per second of `events` events of `w`, with its trace hash. After
/// an untimed run of `warm_up` events (caches and allocator, and in the
/// browser the optimising compiler and the grown memory), the median of
/// [`RUNS`] timed runs, so a noisy moment on a shared machine moves one run,
/// not the figure; without a warm-up (0), one timed run. `clock_ms` is the
/// caller's clock in milliseconds (the core has none); `distlab bench` and
/// the page's bench export both measure through here.
pub fn throughput(
    w: &Workload,
    events: u64,
    store_trace: bool,
    warm_up: u64,
    clock_ms: &dyn Fn() -> f64,
) -> Result<(f64, String), String> {
    if warm_up > 0 {
        w.start(store_trace)?.run_events(warm_up).map_err(|e| e.to_string())?;
    }
    let runs = if warm_up > 0 { RUNS } else { 1 };
    let mut rates = Vec::new();
    let mut hash = String::new();
    for _ in 0..runs {
        let mut sim = w.start(store_trace)?;
        let t = clock_ms();
        sim.run_events(events).map_err(|e| e.to_string())?;
        let secs = ((clock_ms() - t) / 1000.0).max(1e-9);
        if let Some(v) = sim.violations().first() {
            return Err(format!("the benchmark run broke an invariant: {}", v.message));
        }
        rates.push(sim.events() as f64 / secs);
        hash = sim.trace().hash_hex();
    }
    Ok((median(rates), hash))
}

/// The median of `xs` (the upper one of an even count; 0 when empty).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_ignores_one_outlier_either_way() {
        assert_eq!(median(vec![2.0, 100.0, 3.0]), 3.0);
        assert_eq!(median(vec![0.1, 2.0, 3.0]), 2.0);
        assert_eq!(median(Vec::new()), 0.0);
    }

    #[test]
    fn every_registered_protocol_has_a_workload_that_runs() {
        for p in crate::protocols::all() {
            let name = (p.info)().name;
            let w = workload(name).expect("registered");
            let s = scenario::load(Source { name: w.path, text: w.text }).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(s.protocol().name, name, "{} runs {}", w.path, s.protocol().name);
            let mut sim = s.start(None, StartOptions { store_trace: false }).unwrap();
            sim.run_events(20_000).unwrap();
            assert_eq!(sim.events(), 20_000, "{} stops early", w.path);
            assert!(sim.violations().is_empty(), "{}: {:?}", w.path, sim.violations());
        }
    }
}
