//! The `distlab` binary as an instructor uses it: good files run and report
//! JSON; bad files and bad flags get a clear `file:line:col: message` and an
//! exit code, never a panic (a panic exits with 101).

use std::path::PathBuf;
use std::process::{Command, Output};

fn distlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_distlab")).args(args).current_dir(root()).output().expect("distlab runs")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn temp_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("distlab-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs `check` and `run` on a bad file; both must refuse it with `want`
/// at `line:col`, with the expected exit codes and no panic.
fn refused(name: &str, body: &[u8], line_col: &str, want: &str) {
    let path = temp_file(name, body);
    let check = distlab(&["check", &path]);
    let run = distlab(&["run", &path]);
    for (o, code) in [(&check, 1), (&run, 2)] {
        let out = text(o);
        assert_eq!(o.status.code(), Some(code), "{name}: exit code; output:\n{out}");
        assert!(out.contains(&format!("{path}:{line_col}: ")), "{name}: no {line_col} in:\n{out}");
        assert!(out.contains(want), "{name}: expected '{want}' in:\n{out}");
        assert!(!out.contains("panicked"), "{name}: panicked:\n{out}");
    }
}

#[test]
fn malformed_toml_names_the_line() {
    refused("malformed.toml", b"protocol = \"raft\"\nnodes = \n", "2:9", "expected");
}

#[test]
fn unknown_protocol_lists_the_known_ones() {
    refused("proto.toml", b"protocol = \"paxoss\"\n", "1:12", "unknown protocol 'paxoss'; available: raft");
}

#[test]
fn a_billion_nodes_is_above_the_limit() {
    refused("nodes.toml", b"protocol = \"raft\"\nnodes = 1000000000\n", "2:9", "nodes = 1000000000 is outside 1 to 64");
}

#[test]
fn negative_latency_is_refused() {
    refused(
        "latency.toml",
        b"protocol = \"raft\"\n[network]\nlatency = { dist = \"uniform\", min_ms = -5, max_ms = 10 }\n",
        "3:40",
        "min_ms = -5 must be zero or more milliseconds",
    );
}

#[test]
fn a_loss_ratio_of_two_is_refused() {
    refused(
        "loss.toml",
        b"protocol = \"raft\"\n[network]\nloss_ratio = 2.0\n",
        "3:14",
        "loss_ratio = 2 is outside 0 to 1",
    );
}

#[test]
fn an_unknown_command_is_refused() {
    refused("cmd.toml", b"protocol = \"raft\"\n[[faults]]\nat_ms = 1\nexplode = 3\n", "4:1", "explode");
}

#[test]
fn a_typo_in_a_key_is_refused() {
    refused("typo.toml", b"protocol = \"raft\"\nduraton_ms = 5\n", "2:1", "duraton_ms");
}

#[test]
fn empty_and_binary_files_are_refused() {
    refused("empty.toml", b"", "1:1", "the file is empty");
    refused("binary.toml", &[0x7f, b'E', b'L', b'F', 0, 0, 0xff, 0xfe], "1:1", "not UTF-8");
    refused("nul.toml", b"protocol = \"raft\"\0\n", "1:1", "binary file");
}

#[test]
fn an_oversized_file_is_refused() {
    let big = format!("protocol = \"raft\"\n# {}\n", "x".repeat(300 * 1024));
    refused("big.toml", big.as_bytes(), "1:1", "the limit is 262144 bytes");
}

#[test]
fn a_lesson_whose_condition_never_comes_true_fails_check_with_its_step() {
    let body = br#"protocol = "raft"
[lesson]
title = { en = "t", zh-CN = "t" }

[[steps]]
text = { en = "a", zh-CN = "a" }
until = { role = "leader", count = 3 }
within_ms = 500
"#;
    let path = temp_file("never.toml", body);
    let o = distlab(&["check", &path]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("{path}:5:1: step 1: its condition was not met within 500.000 ms")), "{out}");
    let o = distlab(&["run", &path]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn bad_flags_and_missing_files_are_usage_errors() {
    for args in [
        vec!["run", "tutorials/raft/playground.toml", "--until-ms", "-5"],
        vec!["run", "tutorials/raft/playground.toml", "--until-ms", "1e30"],
        vec!["run", "tutorials/raft/playground.toml", "--seed", "-1"],
        vec!["run", "no/such/file.toml"],
        vec!["check", "no/such/dir"],
        vec!["frobnicate"],
        vec!["bench", "--events", "0"],
    ] {
        let o = distlab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{args:?}");
    }
}

#[test]
fn run_json_reports_what_happened() {
    let run = |seed: &str| {
        let o = distlab(&["run", "tests/scenarios/leader-crash.toml", "--json", "--seed", seed]);
        assert!(o.status.success(), "{}", text(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let a = run("12");
    let again = run("12");
    let b = run("13");
    assert_eq!(a["protocol"], "raft");
    assert_eq!(a["seed"], 12);
    assert!(a["events"].as_u64().unwrap() > 50);
    assert_eq!(a["end_time_us"], 1_200_000);
    assert_eq!(a["trace_hash"].as_str().unwrap().len(), 16);
    assert_eq!(a["trace_hash"], again["trace_hash"], "same seed, same trace");
    assert_ne!(a["trace_hash"], b["trace_hash"], "different seed, different trace");
    assert_eq!(a["violations"].as_array().unwrap().len(), 0);
    let nodes = a["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    for n in nodes {
        assert!(n["id"].is_u64() && n["status"].is_string() && n["role"].is_string() && n["term"].is_u64(), "{n}");
    }
    assert_eq!(nodes.iter().filter(|n| n["role"] == "leader").count(), 1);
}

#[test]
fn run_reports_violations_of_a_broken_protocol() {
    let body = br#"protocol = "raft"
seed = 0
duration_ms = 4000
[config]
break_consistency_check = true
[network]
loss_ratio = 0.05
reorder_ratio = 0.3
[workload]
rate_per_s = 50
requests = ["set x {n}"]
[[faults]]
at_ms = 700
crash = "leader"
[[faults]]
at_ms = 1500
restart = "crashed"
"#;
    let path = temp_file("broken.toml", body);
    let o = distlab(&["run", &path, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let violations = v["violations"].as_array().unwrap();
    assert!(!violations.is_empty(), "the broken consistency check should be caught");
    let first = &violations[0];
    assert_eq!(first["invariant"], "Log Matching");
    assert!(first["time_us"].is_u64());
    assert!(first["message"].as_str().unwrap().contains("Raft §5.3"));
}

#[test]
fn check_walks_directories_and_accepts_every_shipped_file() {
    let o = distlab(&["check", "tutorials", "tests/scenarios", "tests/bench"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).matches("ok ").count() >= 7);
}

#[test]
fn ring_compares_the_schemes_and_refuses_absurd_parameters() {
    let o = distlab(&["ring", "--nodes", "10", "--keys", "20000"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for scheme in ["mod-N", "ring V=100", "jump hash", "rendezvous", "bounded c=1.1"] {
        assert!(out.contains(scheme), "no row for {scheme}:\n{out}");
    }
    // mod-N moves about 10/11 of the keys when the eleventh node joins.
    let moved_on_join = |row: &str| -> f64 {
        let line = out.lines().find(|l| l.contains(row)).unwrap_or_default();
        line.split('|').nth(4).and_then(|c| c.trim().trim_end_matches('%').parse().ok()).unwrap_or(-1.0)
    };
    let (m, r) = (moved_on_join("mod-N"), moved_on_join("ring V=100"));
    assert!(m > 85.0, "mod-N moved {m}%:\n{out}");
    assert!((5.0..14.0).contains(&r), "the ring moved {r}%:\n{out}");
    for (args, want) in [
        (vec!["ring", "--vnodes", "0"], "vnodes = 0 is outside 1 to 1000"),
        (vec!["ring", "--keys", "10000000"], "keys = 10000000 is above the limit"),
        (vec!["ring", "--balance", "0.5"], "balance = 0.5 is outside 1 to 100"),
        (vec!["ring", "--nodes", "1"], "nodes = 1 is below 2"),
    ] {
        let o = distlab(&args);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(want) && !out.contains("panicked"), "{args:?}: {out}");
    }
}

#[test]
fn absurd_ring_and_lock_settings_name_the_field_and_the_limit() {
    // The issue's list: V = 0, R above the node count, a TTL of zero or
    // below, a balance factor under 1, ten million keys.
    let ring = |config: &str| format!("protocol = \"hash_ring\"\nnodes = 4\n[config]\n{config}\n");
    refused("v0.toml", ring("vnodes = 0").as_bytes(), "4:10", "vnodes = 0 is outside 1 to 1000");
    refused("r9.toml", ring("replicas = 9").as_bytes(), "4:12", "replicas = 9 is outside 1 to 5");
    refused(
        "r5.toml",
        ring("replicas = 5").as_bytes(),
        "4:12",
        "replicas = 5 is outside 1 to 4: each copy needs its own node",
    );
    refused(
        "balance.toml",
        ring("scheme = \"bounded\"\nbalance = 0.5").as_bytes(),
        "5:11",
        "balance = 0.5 is outside 1 to 100",
    );
    refused("keys.toml", ring("keys = 10000000").as_bytes(), "4:8", "keys = 10000000 is outside 1 to 10000");
    // The comparison figures build every scheme, so these count whatever the scheme.
    refused("modn.toml", ring("scheme = \"mod_n\"\nvnodes = 4000000000").as_bytes(), "5:10", "vnodes = 4000000000");
    refused("modn-b.toml", ring("scheme = \"mod_n\"\nbalance = 1e30").as_bytes(), "5:11", "balance = 1e30 is outside");
    refused("members.toml", ring("members = 7").as_bytes(), "4:11", "members = 7 is outside 1 to the 4 nodes");
    let lock = |ttl: &str| format!("protocol = \"lease_lock\"\nnodes = 4\n[config]\nttl_ms = {ttl}\n");
    refused("ttl0.toml", lock("0").as_bytes(), "4:10", "ttl_ms = 0 is outside 0.001 to 60000 ms");
    refused("ttl-.toml", lock("-5").as_bytes(), "4:10", "ttl_ms = -5 must be zero or more milliseconds");
    refused("ttl-big.toml", lock("1e300").as_bytes(), "4:10", "ttl_ms = 1e300 ms is above the limit of 86400000 ms");
}

#[test]
fn protocols_describes_every_protocol_for_tools() {
    let o = distlab(&["protocols", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let names: Vec<&str> = list.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["raft", "lease_lock", "redlock", "queue_lock", "hash_ring"]);
    let raft = &list[0];
    assert_eq!(raft["config"]["heartbeat_ms"], 50);
    assert_eq!(raft["timers"][2], "vote_retry");
    assert_eq!(raft["break_switches"][0]["key"], "break_election_restriction");
    assert_eq!(raft["roles"][2]["badge"], "L");
    let heartbeat = raft["limits"].as_array().unwrap().iter().find(|l| l["key"] == "heartbeat_ms").unwrap();
    assert_eq!(
        (&heartbeat["unit"], &heartbeat["min"], &heartbeat["max"]),
        (&"ms".into(), &0.1.into(), &60000.0.into())
    );
    let plain = text(&distlab(&["protocols"]));
    assert!(plain.contains("queue_lock (") && plain.contains("    ttl_ms = 100  (0.001 to 60000 ms)"), "{plain}");
}

#[test]
fn a_protocol_whose_clients_drive_themselves_refuses_a_workload() {
    let body = b"protocol = \"redlock\"\nnodes = 7\n[workload]\nrate_per_s = 10\nrequests = [\"set x 1\"]\n";
    refused(
        "self-driving.toml",
        body,
        "3:2",
        "redlock has no [workload]: Redlock clients act on their own; there are no client requests to send",
    );
}
