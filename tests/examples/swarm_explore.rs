//! How often does a config break an invariant under the swarm's random
//! faults? Used to choose the seed budgets of the break-it tests.
//!
//! `cargo run --release -p distlab-tests --example swarm_explore -- NODES RATE SEEDS 'key = value; ...'`

use distlab_tests::{swarm_run, swarm_scenario};
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: swarm_explore NODES RATE_PER_S SEEDS ['config; config']");
        std::process::exit(2);
    }
    let nodes: u32 = args[0].parse().expect("NODES is a number");
    let rate: u32 = args[1].parse().expect("RATE_PER_S is a number");
    let seeds: u64 = args[2].parse().expect("SEEDS is a number");
    let config = args.get(3).map(|c| c.replace(';', "\n")).unwrap_or_default();
    let scenario = swarm_scenario(nodes, rate, &config);
    let mut by_invariant = BTreeMap::new();
    let mut first = None;
    for seed in 0..seeds {
        if let Some(v) = swarm_run(&scenario, seed).violations.first() {
            *by_invariant.entry(v.invariant).or_insert(0u64) += 1;
            first.get_or_insert((seed, v.message.en.clone()));
        }
    }
    let hits: u64 = by_invariant.values().sum();
    println!("{hits}/{seeds} seeds broke an invariant: {by_invariant:?}");
    if let Some((seed, message)) = first {
        println!("first at seed {seed}: {message}");
    }
}
