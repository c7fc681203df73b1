//! The protocol suite and the registry that names it.
//!
//! The registry is the one place that lists protocols by name. Adding a
//! protocol means writing its module and adding one entry here; the
//! simulator, the scenario loader, the CLI and the UI do not change.

// A build with every protocol left out (to measure the engine alone) has
// an empty registry.
#![cfg_attr(
    all(without = "raft", without = "lease_lock", without = "redlock", without = "queue_lock", without = "hash_ring"),
    allow(unused)
)]

#[cfg(not(all(without = "lease_lock", without = "redlock", without = "queue_lock")))]
pub mod fencing;
#[cfg(not(without = "hash_ring"))]
pub mod hash_ring;
#[cfg(not(without = "lease_lock"))]
pub mod lease_lock;
#[cfg(not(without = "queue_lock"))]
pub mod queue_lock;
#[cfg(not(without = "raft"))]
pub mod raft;
#[cfg(not(without = "redlock"))]
pub mod redlock;

use crate::limits::{KeyRange, key_ranges};
use crate::protocol::Protocol;
use crate::scenario::{Common, LoadError, Scenario, Source, load_with};
use crate::view::{Family, ProtocolInfo};
use toml::Spanned;
use toml::de::DeTable;

/// Consensus: servers agree on one log.
pub static CONSENSUS: Family = Family {
    key: "consensus",
    title: ("Consensus", "共识"),
    blurb: (
        "Servers agree on one sequence of commands despite crashes and partitions.",
        "多台服务器在崩溃和网络分区下仍就同一串命令达成一致。",
    ),
    order: 1,
};

/// Distributed locks.
pub static LOCKS: Family = Family {
    key: "locks",
    title: ("Distributed locks", "分布式锁"),
    blurb: (
        "One client at a time: leases, majorities, queues, and the fencing tokens that make them safe.",
        "同一时刻只让一个客户端操作：租约、多数派、排队，以及让它们真正安全的防护令牌。",
    ),
    order: 2,
};

/// Partitioning data over nodes.
pub static PARTITIONING: Family = Family {
    key: "partitioning",
    title: ("Consistent hashing", "一致性哈希"),
    blurb: (
        "Spread keys over nodes, and move only a few of them when a node joins or leaves.",
        "把键分布到各个节点上，节点加入或离开时只移动少量的键。",
    ),
    order: 3,
};

/// Every family, in the start page's order (each protocol names its own).
pub fn families() -> Vec<&'static Family> {
    let mut out: Vec<&'static Family> = Vec::new();
    for p in ALL {
        let f = (p.info)().family;
        if !out.iter().any(|x| x.key == f.key) {
            out.push(f);
        }
    }
    out.sort_by_key(|f| f.order);
    out
}

/// A protocol's second loading pass (see [`crate::scenario`]).
pub type LoadFn = for<'a, 'b, 'c> fn(Source<'a>, &'b Spanned<DeTable<'c>>, &Common) -> Result<Scenario, Vec<LoadError>>;

/// A registered protocol.
pub struct ProtocolEntry {
    /// Its description.
    pub info: fn() -> &'static ProtocolInfo,
    /// Its second loading pass.
    pub load: LoadFn,
    /// Its `[config]` keys with their defaults, as a file writes them.
    pub defaults: fn() -> toml::Table,
    /// The range of every number in its config ([`Protocol::LIMITS`]).
    pub limits: fn() -> Vec<KeyRange>,
    /// Its benchmark workload (path, text), for `distlab bench`.
    pub bench: (&'static str, &'static str),
}

/// `P`'s config defaults as a `[config]` table (durations as `_ms` keys).
pub fn defaults<P: Protocol>() -> toml::Table {
    toml::Table::try_from(P::Config::default()).unwrap_or_default()
}

macro_rules! entry {
    ($p:ty, $bench:literal) => {
        ProtocolEntry {
            info: <$p>::info,
            load: load_with::<$p>,
            defaults: defaults::<$p>,
            limits: || key_ranges(<$p as Protocol>::LIMITS),
            bench: ($bench, include_str!(concat!("../../../", $bench))),
        }
    };
}

/// The registry. A build can leave a protocol out by its name
/// (`DISTLAB_WITHOUT`, see build.rs).
static ALL: &[ProtocolEntry] = &[
    #[cfg(not(without = "raft"))]
    entry!(raft::Raft, "tests/bench/raft-steady.toml"),
    #[cfg(not(without = "lease_lock"))]
    entry!(lease_lock::LeaseLock, "tests/bench/lease_lock.toml"),
    #[cfg(not(without = "redlock"))]
    entry!(redlock::Redlock, "tests/bench/redlock.toml"),
    #[cfg(not(without = "queue_lock"))]
    entry!(queue_lock::QueueLock, "tests/bench/queue_lock.toml"),
    #[cfg(not(without = "hash_ring"))]
    entry!(hash_ring::HashRing, "tests/bench/hash_ring.toml"),
];

/// Every registered protocol.
pub fn all() -> &'static [ProtocolEntry] {
    ALL
}

/// The protocol registered under `name`.
pub fn find(name: &str) -> Option<&'static ProtocolEntry> {
    ALL.iter().find(|p| (p.info)().name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_that_can_be_left_out_is_registered_under_that_name() {
        // `distlab bench --marginal` leaves protocols out by their registry
        // names; a misspelt `without = "…"` would never take effect.
        let source = include_str!("mod.rs");
        let names: Vec<&str> = all().iter().map(|p| (p.info)().name).collect();
        let mut seen = Vec::new();
        for part in source.split("without = \"").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(names.contains(&name) || name == "…", "`without = \"{name}\"` names no registered protocol");
            seen.push(name);
        }
        for n in names {
            assert!(seen.contains(&n), "`{n}` cannot be left out: its entry has no cfg(not(without = \"{n}\"))");
        }
    }

    #[test]
    fn defaults_read_back_as_the_default_config() {
        let t = defaults::<raft::Raft>();
        assert_eq!(t.get("heartbeat_ms").and_then(|v| v.as_integer()), Some(50));
        let back: raft::RaftConfig = toml::Value::Table(t).try_into().unwrap();
        assert_eq!(back, raft::RaftConfig::default());
        for p in all() {
            assert!(!(p.defaults)().is_empty(), "{} has no config keys", (p.info)().name);
        }
    }

    use crate::limits::Range;

    #[test]
    fn every_number_in_a_config_has_a_range_and_its_default_is_inside() {
        // "Put a limit on everything": a numeric key without a declared
        // range would take any value a file gives it.
        for p in all() {
            let name = (p.info)().name;
            let limits = (p.limits)();
            for (key, value) in (p.defaults)() {
                let number = value.as_integer().map(|v| v as f64).or(value.as_float());
                let Some(v) = number else { continue };
                let l = limits.iter().find(|l| l.key == key);
                let Some(l) = l else { panic!("{name}: `{key}` has no range in LIMITS") };
                let inside = match l.range {
                    Range::Count(lo, hi) => (lo as f64..=hi as f64).contains(&v),
                    Range::Ms(lo, hi) => (lo.as_ms_f64()..=hi.as_ms_f64()).contains(&v),
                    Range::Real(lo, hi) => (lo..=hi).contains(&v),
                };
                assert!(inside, "{name}: the default {key} = {v} is outside {}", l.range.text());
            }
            for l in &limits {
                assert!(
                    (p.defaults)().contains_key(l.key),
                    "{name}: LIMITS names `{}`, which is not a config key",
                    l.key
                );
            }
        }
    }

    #[test]
    fn a_value_outside_its_range_is_refused_by_the_loader_naming_key_and_range() {
        use crate::scenario::{Source, load};
        let (path, text) = find("raft").unwrap().bench;
        let text = format!("{text}\n[config]\nmax_entries_per_append = 0\n");
        let err = load(Source { name: path, text: &text }).unwrap_err();
        let msg = err.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
        assert!(msg.contains("max_entries_per_append = 0 is outside 1 to 10000"), "{msg}");
    }

    #[test]
    fn every_listed_switch_flips_its_config_flag() {
        use crate::command::Command;
        use crate::scenario::{Source, StartOptions, load};
        for p in all() {
            let (path, text) = p.bench;
            let scenario = load(Source { name: path, text }).expect("bench workload loads");
            let mut sim = scenario.start(None, StartOptions { store_trace: false }).unwrap();
            for b in (p.info)().break_switches {
                sim.apply(Command::Switch { key: b.key.to_string(), on: true }).unwrap();
                let on = sim.switches().into_iter().find(|(k, _)| *k == b.key).map(|(_, on)| on);
                assert_eq!(on, Some(true), "{}: switch {} is listed but flips nothing", (p.info)().name, b.key);
            }
        }
    }

    #[test]
    fn every_role_declares_its_chinese_name_badge_and_colour() {
        for p in all() {
            let info = (p.info)();
            assert!(!info.roles.is_empty(), "{} has no roles", info.name);
            for r in info.roles {
                assert_ne!(r.badge, "?", "{}: role {} has no badge", info.name, r.name);
                assert_ne!(r.name_zh_cn, r.name, "{}: role {} has no Chinese name", info.name, r.name);
                assert!(r.colour <= 4, "{}: role {} colour {}", info.name, r.name, r.colour);
            }
        }
        let raft: Vec<_> = (find("raft").unwrap().info)().roles.iter().map(|r| (r.name, r.badge)).collect();
        assert_eq!(raft, [("follower", "F"), ("candidate", "C"), ("leader", "L")]);
    }
}
