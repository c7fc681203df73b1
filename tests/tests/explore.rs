//! Exploration helper (not a claim): how many seeds each break-it switch
//! needs. Runs only when DISTLAB_EXPLORE is set.
#![cfg(not(target_arch = "wasm32"))]
use distlab_tests::{swarm_run, swarm_scenario};
#[test]
fn explore() {
    let Ok(spec) = std::env::var("DISTLAB_EXPLORE") else { return };
    let mut parts = spec.splitn(4, '|');
    let nodes: u32 = parts.next().unwrap().parse().unwrap();
    let rate: u32 = parts.next().unwrap().parse().unwrap();
    let max: u64 = parts.next().unwrap().parse().unwrap();
    let config = parts.next().unwrap().replace(';', "\n");
    let s = swarm_scenario(nodes, rate, &config);
    let mut hits = 0;
    let mut first = None;
    let mut kinds = std::collections::BTreeMap::new();
    for seed in 0..max {
        let out = swarm_run(&s, seed);
        if let Some(v) = out.violations.first() {
            hits += 1;
            first.get_or_insert((seed, v.message.clone()));
            *kinds.entry(v.invariant).or_insert(0) += 1;
        }
    }
    println!("EXPLORE nodes={nodes} {config:?}: {hits}/{max} seeds violated; by invariant {kinds:?}; first {first:?}");
}
