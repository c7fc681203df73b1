//! The benchmark workloads, one per registered protocol (`tests/bench/`),
//! shared by `distlab bench` (native) and the page's bench exports (wasm),
//! so both measure the same runs.

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

/// Every workload; the first is the headline one (Raft).
pub const WORKLOADS: &[Workload] = &[
    Workload {
        protocol: "raft",
        path: "tests/bench/raft-steady.toml",
        text: include_str!("../../tests/bench/raft-steady.toml"),
    },
    Workload {
        protocol: "lease_lock",
        path: "tests/bench/lease_lock.toml",
        text: include_str!("../../tests/bench/lease_lock.toml"),
    },
    Workload {
        protocol: "redlock",
        path: "tests/bench/redlock.toml",
        text: include_str!("../../tests/bench/redlock.toml"),
    },
    Workload {
        protocol: "queue_lock",
        path: "tests/bench/queue_lock.toml",
        text: include_str!("../../tests/bench/queue_lock.toml"),
    },
    Workload {
        protocol: "hash_ring",
        path: "tests/bench/hash_ring.toml",
        text: include_str!("../../tests/bench/hash_ring.toml"),
    },
];

/// The workload of `protocol`, if it has one.
pub fn workload(protocol: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.protocol == protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, Source, StartOptions};

    #[test]
    fn every_registered_protocol_has_a_workload_that_runs() {
        for p in crate::protocols::all() {
            let name = (p.info)().name;
            let w = workload(name).unwrap_or_else(|| panic!("{name} has no benchmark workload in tests/bench/"));
            let s = scenario::load(Source { name: w.path, text: w.text }).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(s.protocol().name, name, "{} runs {}", w.path, s.protocol().name);
            let mut sim = s.start(None, StartOptions { store_trace: false }).unwrap();
            sim.run_events(20_000).unwrap();
            assert_eq!(sim.events(), 20_000, "{} stops early", w.path);
            assert!(sim.violations().is_empty(), "{}: {:?}", w.path, sim.violations());
        }
    }
}
