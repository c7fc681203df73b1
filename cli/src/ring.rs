//! `distlab ring`: the key-placement schemes side by side. For `n` nodes
//! and `keys` keys it prints, per scheme, how evenly the keys spread and
//! what fraction moves when a node joins and when one leaves, next to the
//! ideal and to 1/sqrt(V).

use clap::Args;
use distlab_core::NodeId;
use distlab_core::hashring::{Scheme, loads, moved, place, spread};
use std::process::ExitCode;

/// Arguments of `distlab ring`.
#[derive(Args)]
pub struct RingArgs {
    /// Nodes before the change.
    #[arg(long, default_value_t = 10)]
    nodes: usize,
    /// Keys placed.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Virtual nodes per node (ring and bounded loads).
    #[arg(long, default_value_t = 100)]
    vnodes: u32,
    /// Balance factor for bounded loads (at least 1).
    #[arg(long, default_value_t = 1.1)]
    balance: f64,
}

/// Runs `distlab ring`.
pub fn main(a: RingArgs) -> ExitCode {
    let schemes = [
        Scheme::ModN,
        Scheme::Ring { vnodes: 1 },
        Scheme::Ring { vnodes: a.vnodes },
        Scheme::Jump,
        Scheme::Rendezvous,
        Scheme::Bounded { vnodes: a.vnodes, balance: a.balance },
    ];
    for s in &schemes {
        if let Err(e) = s.validate(a.nodes + 1, a.keys) {
            eprintln!("distlab ring: {e}");
            return ExitCode::from(2);
        }
    }
    if a.nodes < 2 {
        eprintln!("distlab ring: nodes = {} is below 2: a node must be able to leave", a.nodes);
        return ExitCode::from(2);
    }
    let ids = |n: usize| (1..=n as u32).map(NodeId).collect::<Vec<_>>();
    let (base, grown) = (ids(a.nodes), ids(a.nodes + 1));
    // A node in the middle leaves (jump hash can only lose the last one).
    let shrunk: Vec<NodeId> = base.iter().copied().filter(|&n| n.0 as usize != a.nodes / 2 + 1).collect();
    let shrunk_jump = ids(a.nodes - 1);
    println!(
        "{} nodes, {} keys; a node joins ({} nodes) and one leaves ({} nodes)\n",
        a.nodes,
        a.keys,
        a.nodes + 1,
        a.nodes - 1
    );
    println!("| {:<22} | {:>8} | {:>9} | {:>10} | {:>10} |", "scheme", "spread", "max/mean", "moved +1", "moved -1");
    println!("|{}|{}|{}|{}|{}|", "-".repeat(24), "-".repeat(10), "-".repeat(11), "-".repeat(12), "-".repeat(12));
    for s in schemes {
        let before = place(s, &base, a.keys);
        let l = loads(&before, base.len());
        let mean = a.keys as f64 / base.len() as f64;
        let max = l.iter().copied().max().unwrap_or(0) as f64 / mean.max(1e-9);
        let join = moved(&before, &base, &place(s, &grown, a.keys), &grown);
        let leave_to = if s == Scheme::Jump { &shrunk_jump } else { &shrunk };
        let leave = moved(&before, &base, &place(s, leave_to, a.keys), leave_to);
        println!(
            "| {:<22} | {:>8.4} | {:>9.3} | {:>9.2}% | {:>9.2}% |",
            s.name(),
            spread(&l),
            max,
            join * 100.0,
            leave * 100.0
        );
    }
    println!(
        "\nideal: moved +1 = 1/(n+1) = {:.2}%, moved -1 = 1/n = {:.2}%; ring spread is about 1/sqrt(V) = {:.4} (V = {})",
        100.0 / (a.nodes + 1) as f64,
        100.0 / a.nodes as f64,
        1.0 / f64::from(a.vnodes).sqrt(),
        a.vnodes
    );
    ExitCode::SUCCESS
}
