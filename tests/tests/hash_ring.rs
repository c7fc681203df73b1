//! A hand-made interleaving the random swarm rarely produces: a transfer
//! held in the network across two membership changes and released when
//! its receiver again waits for the same key. The receiver must not take
//! the old copy for the handoff it waits for (it would serve a version
//! older than one already acknowledged).

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::Micros;
use distlab_core::command::Command;
use distlab_core::ids::NodeId;
use distlab_core::scenario::StartOptions;
use distlab_core::sim::Sim;
use distlab_tests::load;

const STORE: &str = r#"
protocol = "hash_ring"
seed = 3
nodes = 5
duration_ms = 20000
[config]
keys = 40
members = 4
replicas = 1
transfer_keys_per_s = 1000
batch_keys = 40
resend_ms = 50
[network]
latency = { dist = "constant", ms = 5 }
"#;

fn request(sim: &mut dyn Sim, node: u32, op: &str) {
    sim.apply(Command::Request { node: NodeId(node).into(), op: op.into() }).expect("request accepted");
}

fn run_for(sim: &mut dyn Sim, ms: u64) {
    let t = sim.now().saturating_add(Micros(ms * 1000));
    sim.run_until(t).expect("runs");
}

fn settled(sim: &mut dyn Sim, epoch: u32) -> bool {
    let v = sim.view();
    matches!(&v.stage, distlab_core::view::Stage::Ring(r) if r.epoch == epoch)
        && v.figures.iter().any(|f| f.name.en == "rebalancing" && f.value.en == "done")
}

#[test]
fn a_transfer_released_two_memberships_later_is_not_taken_for_the_handoff() {
    let scenario = load("held-transfer.toml", STORE);
    let mut sim = scenario.start(None, StartOptions { store_trace: false }).unwrap();
    run_for(sim.as_mut(), 10);
    // Epoch 2: S5 joins. Hold the first handoff batch on its way to S5.
    request(sim.as_mut(), 1, "join 5");
    let mut held = None;
    for _ in 0..200 {
        sim.step().unwrap();
        let v = sim.view();
        if let Some(m) = v.messages.iter().find(|m| m.to == NodeId(5) && m.message.kind == "Transfer") {
            held = Some((m.id, m.message.summary.clone()));
            break;
        }
    }
    let (id, summary) = held.expect("a transfer to S5");
    sim.apply(Command::Hold { msg: id }).unwrap();
    // The sender repeats it; the copy gets through and epoch 2 settles.
    run_for(sim.as_mut(), 500);
    assert!(settled(sim.as_mut(), 2), "epoch 2 did not settle");
    // A key from the held batch, written twice on the way.
    let key = summary.split(": ").nth(1).and_then(|k| k.split_whitespace().next()).expect("a key").to_string();
    request(sim.as_mut(), 1, &format!("put {key} 7"));
    run_for(sim.as_mut(), 200);
    // Epoch 3: S5 leaves (the key goes back), another write.
    request(sim.as_mut(), 1, "leave 5");
    run_for(sim.as_mut(), 500);
    assert!(settled(sim.as_mut(), 3), "epoch 3 did not settle");
    request(sim.as_mut(), 1, &format!("put {key} 8"));
    run_for(sim.as_mut(), 200);
    // Epoch 4: S5 joins again and waits for the key. Once S5 knows the
    // membership (at 5 ms) and before the real handoff comes (at 6 ms),
    // the old batch arrives, and a read of the key goes to S5.
    request(sim.as_mut(), 1, "join 5");
    let t = sim.now().saturating_add(Micros(5_500));
    sim.run_until(t).unwrap();
    sim.apply(Command::Release { msg: id }).unwrap();
    request(sim.as_mut(), 5, &format!("get {key}"));
    run_for(sim.as_mut(), 1000);
    assert!(settled(sim.as_mut(), 4), "epoch 4 did not settle");
    assert!(sim.violations().is_empty(), "{:#?}", sim.violations());
    // And the key is where it should be, at its latest version.
    request(sim.as_mut(), 2, &format!("get {key}"));
    run_for(sim.as_mut(), 200);
    assert!(sim.violations().is_empty(), "{:#?}", sim.violations());
}
