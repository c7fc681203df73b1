//! The benchmark workloads, one per registered protocol (`tests/bench/`,
//! named in the registry), shared by `distlab bench` (native) and the
//! page's bench exports (wasm), so both measure the same runs.

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

/// Timed runs per throughput figure, native and wasm alike.
pub const RUNS: u32 = 3;

/// The median of `xs` (the upper one of an even count; 0 when empty).
pub fn median(mut xs: Vec<f64>) -> f64 {
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
    use crate::scenario::{self, Source, StartOptions};

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
