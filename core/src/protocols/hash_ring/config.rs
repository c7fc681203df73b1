//! The store's `[config]` and what follows from it for a run.

use crate::hashring::Scheme;
use crate::time::Micros;
use serde::{Deserialize, Serialize};

/// Most keys a simulated ring holds (the `distlab ring` tables take more).
pub const MAX_KEYS: u32 = 10_000;
/// Most copies of a key.
pub const MAX_REPLICAS: u32 = 5;
/// Most keys in one transfer message.
pub const MAX_BATCH: u32 = 100;
/// Fastest transfer rate, keys per second per sending node.
pub const MAX_RATE: f64 = 100_000.0;
/// Longest timeout or resend period.
pub const MAX_DURATION: Micros = Micros::from_ms(60_000);
/// A request is forwarded at most this many times.
pub(super) const MAX_HOPS: u8 = 6;
/// Most requests a node holds while it waits for keys.
pub(super) const MAX_WAITING: usize = 1_000;
/// Largest value a `put` may write.
pub(super) const MAX_VALUE: u32 = 1_000_000_000;

/// Which placement scheme the store uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeName {
    /// `hash(key) mod n`.
    ModN,
    /// A ring with `vnodes` virtual nodes per node.
    Ring,
    /// Jump consistent hash.
    Jump,
    /// Highest random weight.
    Rendezvous,
    /// The ring with bounded loads (`balance`).
    Bounded,
}

/// The store's settings, the `[config]` table of a `hash_ring` scenario.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashRingConfig {
    /// The placement scheme.
    pub scheme: SchemeName,
    /// Virtual nodes per node (ring and bounded loads).
    pub vnodes: u32,
    /// The balance factor of bounded loads: no node takes more than
    /// `balance` times the mean load.
    pub balance: f64,
    /// Copies of each key, the primary included (R).
    pub replicas: u32,
    /// How many keys (`k0` to `k{keys-1}`), each written once at the start.
    pub keys: u32,
    /// How many nodes start in the ring (the first ones); the others are
    /// spares that can join. All nodes by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
    /// Keys per second one node sends while rebalancing.
    pub transfer_keys_per_s: f64,
    /// Keys per transfer message.
    pub batch_keys: u32,
    /// How long a gateway waits for an answer before it tries the next
    /// replica (reads) or gives up (writes).
    #[serde(
        rename = "request_timeout_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub request_timeout: Micros,
    /// How long a node waits before it repeats an unconfirmed transfer or
    /// membership message.
    #[serde(rename = "resend_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub resend: Micros,
    /// Break it: ownership switches before the keys are transferred.
    pub break_switch_before_transfer: bool,
    /// Break it: replicas are the next ring points whoever owns them.
    pub break_replicas_same_node: bool,
}

impl Default for HashRingConfig {
    fn default() -> HashRingConfig {
        HashRingConfig {
            scheme: SchemeName::Ring,
            vnodes: 16,
            balance: 1.25,
            replicas: 1,
            keys: 120,
            members: None,
            transfer_keys_per_s: 100.0,
            batch_keys: 4,
            request_timeout: Micros::from_ms(150),
            resend: Micros::from_ms(300),
            break_switch_before_transfer: false,
            break_replicas_same_node: false,
        }
    }
}

/// The settings that follow from the config and the cluster's size, fixed
/// for a run (the break-it switches, which a learner flips while it runs,
/// are read from the config through the context instead).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Params {
    pub(super) scheme: Scheme,
    pub(super) vnodes: u32,
    pub(super) balance: f64,
    pub(super) r: usize,
    pub(super) keys: u32,
    pub(super) nodes: u32,
    pub(super) members: u32,
    pub(super) batch: usize,
    /// Microseconds per key sent.
    pub(super) per_key: u64,
    pub(super) timeout: Micros,
    pub(super) resend: Micros,
}

impl Params {
    pub(super) fn new(c: &HashRingConfig, nodes: u32) -> Params {
        let scheme = match c.scheme {
            SchemeName::ModN => Scheme::ModN,
            SchemeName::Ring => Scheme::Ring { vnodes: c.vnodes },
            SchemeName::Jump => Scheme::Jump,
            SchemeName::Rendezvous => Scheme::Rendezvous,
            SchemeName::Bounded => Scheme::Bounded { vnodes: c.vnodes, balance: c.balance },
        };
        Params {
            scheme,
            vnodes: c.vnodes,
            balance: c.balance,
            r: c.replicas as usize,
            keys: c.keys,
            nodes,
            members: c.members.unwrap_or(nodes).min(nodes),
            batch: c.batch_keys.max(1) as usize,
            per_key: (1e6 / c.transfer_keys_per_s.max(1e-3)).round() as u64,
            timeout: c.request_timeout,
            resend: c.resend,
        }
    }

    pub(super) fn has_ring(&self) -> bool {
        matches!(self.scheme, Scheme::Ring { .. } | Scheme::Bounded { .. })
    }
}
