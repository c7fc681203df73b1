//! Consistent hashing with live rebalancing: a key-value store whose keys
//! are placed by one of the schemes in [`crate::hashring`] and move over the
//! simulated network when a node joins or leaves.
//!
//! Every node can take a client request (`get k7`, `put k7 3`) as a
//! gateway: it sends it to the key's primary, the first node of the key's
//! preference list. The primary answers a read, and for a write bumps the
//! key's version, copies it to the key's other `replicas - 1` nodes and
//! answers once every one of them has confirmed. When the primary does not
//! answer in time, a read tries the replicas in turn, so a crashed node's
//! keys are still served; a write fails instead (writes need every copy).
//!
//! Membership is kept by a coordinator, the lowest-numbered member. It
//! takes `join N` and `leave N`, computes the next membership (with its
//! placement, shared by every node as immutable data) and sends it to all
//! nodes, repeating it until each one answers. It accepts the next change
//! only when every node of the old and new membership reports that it has
//! finished rebalancing.
//!
//! Rebalancing. When a node learns a membership in which a key it is the
//! primary of belongs to another node, it keeps serving the key and queues
//! a handoff. Handoffs and the copies a new primary owes its new replicas
//! leave in batches of `batch_keys`, paced at `transfer_keys_per_s`, so a
//! rebalancing takes visible time. From the moment a key's handoff is sent
//! the old primary forwards requests for it to the new one; the new primary
//! holds requests for a key it is waiting for until the handoff arrives.
//! A transfer is repeated until it is confirmed; the old primary drops the
//! key then (unless it stays a replica), other nodes that are no longer
//! replicas drop it when they learn the membership. Stores, memberships and
//! transfer bookkeeping are on disk (they survive a crash); requests in
//! progress are not.
//!
//! Break-it switches: ownership switches before the transfer (the new
//! primary serves at once with what it has and the old one drops its keys);
//! replicas are the next points on the ring whoever owns them, so copies can
//! share a physical node. The monitor checks that no acknowledged write is
//! lost (no read or write at a key's owner sees an older version than one
//! acknowledged) and, whenever every node is up and done rebalancing, that
//! every key is held by exactly its replica list of distinct nodes.

use crate::chunked::ChunkVec;
use crate::hashring::{self, Scheme};
use crate::ids::{NodeId, RequestId};
use crate::protocol::{
    Cluster, ConfigIssue, Context, MessageKinds, Obs, Protocol, Reply, RoleKind, TimerKind, role_infos,
};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{
    Action, Bar, BreakSwitch, Clients, Field, Figure, InvariantInfo, KeyDot, KeyState, Label, MessageView,
    ProtocolInfo, ProtocolNodeView, RingView, Stage, Value, Violation,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::LazyLock;

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
const MAX_HOPS: u8 = 6;
/// Most requests a node holds while it waits for keys.
const MAX_WAITING: usize = 1_000;
/// Largest value a `put` may write.
const MAX_VALUE: u32 = 1_000_000_000;

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
    scheme: Scheme,
    vnodes: u32,
    balance: f64,
    r: usize,
    keys: u32,
    nodes: u32,
    members: u32,
    batch: usize,
    /// Microseconds per key sent.
    per_key: u64,
    timeout: Micros,
    resend: Micros,
}

impl Params {
    fn new(c: &HashRingConfig, nodes: u32) -> Params {
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

    fn has_ring(&self) -> bool {
        matches!(self.scheme, Scheme::Ring { .. } | Scheme::Bounded { .. })
    }
}

/// How much the last membership change moved, and what the other schemes
/// would have moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Fraction of keys whose primary changed.
    pub moved: f64,
    /// The ideal: the change in node count over the larger count (1/(n+1)
    /// for a join).
    pub ideal: f64,
    /// Every scheme for the same change: (name, fraction moved, spread after).
    pub compare: Vec<(String, f64, f64)>,
}

/// A membership and its placement: immutable once made, shared by every
/// node that knows it (and by the messages that carry it).
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// Its version, from 1.
    pub epoch: u32,
    /// The nodes in the ring, in order.
    pub members: Vec<NodeId>,
    r: usize,
    /// Preference lists, `r` per key, primary first.
    table: Vec<NodeId>,
    /// Keys each member is primary of, in member order.
    loads: Vec<u64>,
    /// Virtual-node points (top 32 bits) for schemes with a ring.
    points: Vec<(u32, NodeId)>,
    /// Arcs whose owner changed from the previous membership.
    changed: Vec<(u32, u32)>,
    /// What the change from the previous membership moved.
    change: Option<Change>,
    /// The load spread this membership would have with 1, 10, 100 and
    /// 1,000 virtual nodes (computed by the coordinator only).
    by_vnodes: Vec<(u32, f64)>,
}

impl Membership {
    fn new(
        c: &HashRingConfig,
        p: &Params,
        epoch: u32,
        members: Vec<NodeId>,
        prev: Option<&Membership>,
        figures: bool,
    ) -> Membership {
        let distinct = !c.break_replicas_same_node;
        let (r, table) = hashring::replica_table(p.scheme, &members, u64::from(p.keys), p.r, distinct);
        let mut loads = vec![0u64; members.len()];
        for k in 0..p.keys as usize {
            if let Some(i) = table.get(k * r).and_then(|n| members.iter().position(|m| m == n)) {
                loads[i] += 1;
            }
        }
        let (points, changed) = match p.scheme {
            Scheme::Ring { vnodes } | Scheme::Bounded { vnodes, .. } => {
                let ring = hashring::Ring::new(&members, vnodes);
                let points = ring.points().iter().map(|&(h, n)| ((h >> 32) as u32, n)).collect();
                let mut changed: Vec<(u32, u32)> = Vec::new();
                if let Some(prev) = prev {
                    let before = hashring::Ring::new(&prev.members, vnodes);
                    // Arcs of the new ring whose owner differs (a join), and
                    // arcs of the old ring whose owner is gone (a leave).
                    for (now, then) in [(&ring, &before), (&before, &ring)] {
                        let pts = now.points();
                        for (i, &(h, owner)) in pts.iter().enumerate() {
                            let start = if i == 0 { pts[pts.len() - 1].0 } else { pts[i - 1].0 };
                            if then.owner_of(h) != Some(owner) {
                                let (a, b) = ((start >> 32) as u32, (h >> 32) as u32);
                                match changed.last_mut() {
                                    Some(last) if last.1 == a => last.1 = b,
                                    _ => changed.push((a, b)),
                                }
                            }
                        }
                    }
                }
                (points, changed)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let change = prev.map(|prev| {
            let keys = u64::from(p.keys);
            let moved = (0..p.keys).filter(|&k| prev.primary(k) != table.get(k as usize * r).copied()).count();
            let (a, b) = (prev.members.len() as f64, members.len() as f64);
            let compare = [
                Scheme::ModN,
                Scheme::Ring { vnodes: p.vnodes },
                Scheme::Jump,
                Scheme::Rendezvous,
                Scheme::Bounded { vnodes: p.vnodes, balance: p.balance.max(1.0) },
            ]
            .iter()
            .map(|&s| {
                let (x, y) = (hashring::place(s, &prev.members, keys), hashring::place(s, &members, keys));
                let moved = hashring::moved(&x, &prev.members, &y, &members);
                (s.name(), moved, hashring::spread(&hashring::loads(&y, members.len())))
            })
            .collect();
            Change { moved: moved as f64 / f64::from(p.keys.max(1)), ideal: (a - b).abs() / a.max(b).max(1.0), compare }
        });
        let by_vnodes = if figures {
            [1u32, 10, 100, 1_000]
                .iter()
                .map(|&v| {
                    let owners = hashring::place(Scheme::Ring { vnodes: v }, &members, u64::from(p.keys));
                    (v, hashring::spread(&hashring::loads(&owners, members.len())))
                })
                .collect()
        } else {
            Vec::new()
        };
        Membership { epoch, members, r, table, loads, points, changed, change, by_vnodes }
    }

    /// The preference list of `key`, primary first.
    pub fn replicas(&self, key: u32) -> &[NodeId] {
        let i = key as usize * self.r;
        self.table.get(i..i + self.r).unwrap_or(&[])
    }

    /// The primary of `key`.
    pub fn primary(&self, key: u32) -> Option<NodeId> {
        self.replicas(key).first().copied()
    }

    /// The coordinator: the lowest-numbered member.
    pub fn coordinator(&self) -> NodeId {
        self.members.iter().copied().min().unwrap_or(NodeId(1))
    }

    fn has(&self, n: NodeId) -> bool {
        self.members.contains(&n)
    }
}

/// One stored key.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Its version, 0 when the node does not hold the key.
    pub version: u32,
    /// Its value.
    pub value: u32,
}

/// What a client asked for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read the key.
    Get,
    /// Write this value.
    Put(u32),
}

/// A client request as it travels from the gateway to the owner.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The client's request.
    pub id: RequestId,
    /// The node the client asked, which answers it.
    pub gateway: NodeId,
    /// The key.
    pub key: u32,
    /// Read or write.
    pub op: Op,
    /// Times forwarded.
    pub hops: u8,
    /// The primary did not answer: a replica may serve the read.
    pub replica: bool,
}

/// The owner's answer to the gateway.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The key's value (`replica`: served by a replica, not the primary).
    Value {
        /// Its version.
        version: u32,
        /// Its value.
        value: u32,
        /// Served by a replica.
        replica: bool,
    },
    /// The write is done on every copy, as this version.
    Written {
        /// The version written.
        version: u32,
    },
    /// A replica does not hold the key.
    NotHere,
    /// Forwarded too often.
    Lost,
}

/// A message.
#[derive(Clone, Debug, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// The coordinator announces a membership.
    Members {
        /// The membership.
        view: Rc<Membership>,
    },
    /// A node tells the coordinator it knows `epoch` (and is done rebalancing).
    Status {
        /// The membership it knows.
        epoch: u32,
        /// Whether it has nothing left to send or receive.
        done: bool,
    },
    /// A read on its way to the key's owner.
    Get {
        /// The request.
        ask: Ask,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// A write on its way to the key's owner.
    Put {
        /// The request.
        ask: Ask,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// The owner's answer.
    Answer {
        /// The client's request.
        id: RequestId,
        /// The key.
        key: u32,
        /// The answer.
        answer: Answer,
    },
    /// The primary copies a write to a replica.
    Replicate {
        /// The key.
        key: u32,
        /// The new entry.
        entry: Entry,
        /// The write's gateway and request.
        origin: (NodeId, RequestId),
        /// The primary's membership.
        view: Rc<Membership>,
    },
    /// A replica confirms a copy.
    ReplicateAck {
        /// The key.
        key: u32,
        /// The version stored (or already newer there).
        version: u32,
        /// The write's gateway and request.
        origin: (NodeId, RequestId),
    },
    /// Keys moving in a rebalancing: (key, entry, handoff of ownership).
    Transfer {
        /// The batch number (per sender).
        batch: u64,
        /// The keys.
        entries: Vec<(u32, Entry, bool)>,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// The receiver has stored a batch.
    TransferAck {
        /// The batch number.
        batch: u64,
    },
}

/// A timer.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    strum::VariantArray,
    strum::VariantNames,
    strum::IntoStaticStr,
    strum::EnumProperty,
)]
#[strum(serialize_all = "snake_case")]
pub enum Timer {
    /// Send the next transfer batch.
    Send,
    /// Time out requests, repeat unconfirmed transfers and memberships.
    Tick,
}

/// A client request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `get k7` (`get any`: a key the gateway picks at random).
    Get(Option<u32>),
    /// `put k7 3` (`put any 3`).
    Put(Option<u32>, u32),
    /// `join 5`: add node 5 to the ring.
    Join(u32),
    /// `leave 3`: take node 3 out of the ring.
    Leave(u32),
}

const INCOMING: u8 = 1;
const WAITING: u8 = 2;
const SENT: u8 = 4;
/// A new replica of the key, waiting for its copy from the primary: it
/// serves no replica read until the copy of this membership arrives.
const COPY: u8 = 8;

/// A batch sent and not yet confirmed.
#[derive(Clone, Debug)]
struct Batch {
    to: NodeId,
    keys: Vec<(u32, bool)>,
    sent_at: Micros,
}

/// A request this node is the gateway of.
#[derive(Copy, Clone, Debug)]
struct Pending {
    key: u32,
    op: Op,
    /// Index in the preference list being tried.
    tried: usize,
    deadline: Micros,
}

/// What the monitor reads after each event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ghost {
    /// The gateway told a client its write is done as `version`.
    Acked {
        /// The key.
        key: u32,
        /// The version.
        version: u32,
    },
    /// A node served a read or applied a write at `version`.
    Served {
        /// The key.
        key: u32,
        /// The version read or written (0: the node did not have the key).
        version: u32,
        /// A write.
        write: bool,
    },
}

/// One node of the store.
#[derive(Clone, Debug)]
pub struct RingNode {
    p: Params,
    me: NodeId,
    view: Rc<Membership>,
    prev: Option<Rc<Membership>>,
    store: ChunkVec<Entry>,
    held: u32,
    flags: ChunkVec<u8>,
    flagged: u32,
    queue: VecDeque<(NodeId, u32, bool)>,
    unacked: BTreeMap<u64, Batch>,
    next_batch: u64,
    done_reported: u32,
    settled_reported: u32,
    send_armed: bool,
    tick_armed: bool,
    // Volatile: lost in a crash.
    pending: BTreeMap<RequestId, Pending>,
    waiting: Vec<Ask>,
    writes: BTreeMap<(NodeId, RequestId), (u32, u32, Vec<NodeId>)>,
    // The coordinator's bookkeeping for the current epoch.
    heard: BTreeSet<NodeId>,
    done: BTreeSet<NodeId>,
    last_resend: Micros,
    last_slow_resend: Micros,
    answered: u64,
    failed: u64,
}

impl RingNode {
    fn entry(&self, k: u32) -> Entry {
        self.store.get(k as usize).copied().unwrap_or_default()
    }

    fn flag(&self, k: u32) -> u8 {
        self.flags.get(k as usize).copied().unwrap_or(0)
    }

    fn set_flags(&mut self, k: u32, f: u8) {
        let old = self.flag(k);
        if old == f {
            return;
        }
        if old == 0 {
            self.flagged += 1;
        } else if f == 0 {
            self.flagged -= 1;
        }
        self.flags.set(k as usize, f);
    }

    fn put_entry(&mut self, k: u32, e: Entry) {
        let old = self.entry(k);
        if old.version == 0 && e.version > 0 {
            self.held += 1;
        } else if old.version > 0 && e.version == 0 {
            self.held -= 1;
        }
        self.store.set(k as usize, e);
    }

    fn drop_key(&mut self, k: u32) {
        self.put_entry(k, Entry::default());
    }

    fn busy(&self) -> bool {
        self.flagged > 0 || !self.queue.is_empty() || !self.unacked.is_empty()
    }

    fn is_coordinator(&self) -> bool {
        self.view.has(self.me) && self.view.coordinator() == self.me
    }

    /// Every node of the old and the new membership has finished.
    fn settled(&self) -> bool {
        let old = self.prev.as_ref().map(|p| p.members.as_slice()).unwrap_or(&[]);
        self.view.members.iter().chain(old).all(|n| self.done.contains(n))
    }

    fn role(&self) -> Role {
        if !self.view.has(self.me) {
            if self.busy() { Role::Leaving } else { Role::Spare }
        } else if self.busy() {
            Role::Moving
        } else if self.is_coordinator() {
            Role::Coordinator
        } else {
            Role::Member
        }
    }
}

/// The consistent-hashing store.
#[derive(Clone, Debug)]
pub struct HashRing;

/// A node's role, as the legend shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Coordinates joins and leaves.
    #[strum(props(zh = "协调者", badge = "C", colour = 1))]
    Coordinator,
    /// In the ring, nothing to move.
    #[strum(props(zh = "成员", badge = "M", colour = 2))]
    Member,
    /// In the ring, sending or receiving keys.
    #[strum(props(zh = "迁移中", badge = "T", colour = 3))]
    Moving,
    /// Leaving the ring, handing its keys over.
    #[strum(props(zh = "退出中", badge = "L", colour = 4))]
    Leaving,
    /// Not in the ring; it can join.
    #[strum(props(zh = "备用", badge = "S", colour = 0))]
    Spare,
}

static INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: "No Lost Write",
        name_zh_cn: "已确认的写不丢失",
        source: "Dynamo (DeCandia et al., 2007) §4.6; Redis Cluster slot migration",
        rule: "Once a write is acknowledged, every read and write of that key sees that version or a later one, \
               during migration and crashes too.",
        rule_zh_cn: "写一旦被确认，之后对这个键的每次读写都看到这个版本或更新的版本，迁移和宕机期间也是如此。",
    },
    InvariantInfo {
        name: "Replica Placement",
        name_zh_cn: "副本放置",
        source: "Karger et al., 1997; Dynamo §4.3",
        rule: "When every node is up and rebalancing is done, each key is held by exactly its primary and its \
               replicas, R distinct nodes.",
        rule_zh_cn: "所有节点都在线且再平衡完成时，每个键恰好由它的主节点和副本持有，即 R 个不同的节点。",
    },
];

static BREAK_SWITCHES: &[BreakSwitch] = &[
    BreakSwitch {
        key: "break_switch_before_transfer",
        effect: "A node takes over the keys of a new membership at once, before they arrive, and the old owner \
                 drops them without sending them.",
        effect_zh_cn: "新成员关系一生效，节点立刻接管键（键还没到），旧主人不发送就把键丢了。",
        caught_by: "No Lost Write",
    },
    BreakSwitch {
        key: "break_replicas_same_node",
        effect: "Replicas are the next points on the ring, whoever owns them, so two copies can sit on one node.",
        effect_zh_cn: "副本取环上接下来的点，不管属于谁，所以两份副本可能落在同一个节点上。",
        caught_by: "Replica Placement",
    },
];

static INFO: LazyLock<ProtocolInfo> = LazyLock::new(|| ProtocolInfo {
    name: "hash_ring",
    title: "Consistent hashing",
    title_zh_cn: "一致性哈希",
    roles: role_infos::<Role>(),
    message_kinds: <Msg as MessageKinds>::KINDS,
    timers: <Timer as TimerKind>::NAMES,
    invariants: INVARIANTS,
    break_switches: BREAK_SWITCHES,
    request_examples: &["get k7", "put k7 42", "get any", "join 5", "leave 2"],
    clients: Clients::Gateway,
    logs: false,
    labels: &[
        Label { key: "role", en: "role", zh_cn: "角色" },
        Label { key: "epoch", en: "membership version", zh_cn: "成员版本" },
        Label { key: "keys_held", en: "keys held (copies)", zh_cn: "持有的键（含副本）" },
        Label { key: "keys_primary", en: "keys as primary", zh_cn: "作为主节点的键" },
        Label { key: "to_send", en: "keys to send", zh_cn: "待发送的键" },
        Label { key: "incoming", en: "keys coming", zh_cn: "待接收的键" },
        Label { key: "requests_waiting", en: "requests waiting", zh_cn: "等待中的请求" },
        Label { key: "key", en: "key", zh_cn: "键" },
        Label { key: "gateway", en: "gateway", zh_cn: "网关" },
        Label { key: "batch", en: "batch", zh_cn: "批次" },
        Label { key: "keys", en: "keys", zh_cn: "键数" },
        Label { key: "send", en: "send", zh_cn: "发送" },
        Label { key: "tick", en: "tick", zh_cn: "节拍" },
        Label { key: "done", en: "done moving keys", zh_cn: "迁移完成" },
        Label { key: "rebalanced", en: "rebalanced", zh_cn: "再平衡完成" },
        Label { key: "acked", en: "acknowledged", zh_cn: "已确认" },
        Label { key: "forwarded", en: "forwarded", zh_cn: "已转发" },
        Label { key: "held_for_key", en: "held for a key", zh_cn: "因键未到而等待" },
        Label { key: "received", en: "keys received", zh_cn: "收到的键" },
    ],
    family: &super::PARTITIONING,
    blurb: (
        "A key-value store placed by consistent hashing; watch keys move when nodes join or leave.",
        "按一致性哈希放置的键值存储；看节点加入或离开时键如何迁移。",
    ),
});

fn ms(t: Micros) -> String {
    format!("{:.3} s", t.0 as f64 / 1e6)
}

fn node_list(ns: &[NodeId]) -> String {
    ns.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
}

/// The monitor's ghost state.
#[derive(Clone, Debug)]
pub struct RingMonitor {
    /// Per key: the highest acknowledged version, when and by which gateway.
    acked: Vec<(u32, Micros, Option<NodeId>)>,
    /// Keys already reported lost.
    lost: BTreeSet<u32>,
    /// The last epoch whose settled placement was checked.
    checked: u32,
}

const MAX_LOST_REPORTS: usize = 20;

impl RingMonitor {
    fn check(
        &mut self,
        cluster: &dyn Cluster<HashRing>,
        touched: NodeId,
        ghosts: &[Ghost],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        if cluster.state(touched).is_some() {
            for g in ghosts {
                match *g {
                    Ghost::Acked { key, version } => {
                        if let Some(a) = self.acked.get_mut(key as usize)
                            && version > a.0
                        {
                            *a = (version, now, Some(touched));
                        }
                    }
                    Ghost::Served { key, version, write } => {
                        let Some(&(acked, at, by)) = self.acked.get(key as usize) else { continue };
                        let stale = if write { version <= acked } else { version < acked };
                        if stale && self.lost.len() < MAX_LOST_REPORTS && self.lost.insert(key) {
                            let had = if version == 0 || (write && version == 1) {
                                ("did not have the key", "没有这个键")
                            } else {
                                ("had an older version", "只有旧版本")
                            };
                            let (what, what_zh) = if write {
                                (
                                    format!("wrote k{key} as version {version}"),
                                    format!("把 k{key} 写成了版本 {version}"),
                                )
                            } else {
                                (format!("read k{key} at version {version}"), format!("读到 k{key} 的版本 {version}"))
                            };
                            out.push(Violation {
                                invariant: "No Lost Write",
                                time_us: now.0,
                                message: Text::new(
                                    format!(
                                        "No Lost Write: {touched} {what} ({}), but version {acked} {}: that write \
                                         is lost",
                                        had.0,
                                        by.map_or("was written when the store was loaded".to_string(), |by| format!(
                                            "was acknowledged to a client by {by} at {}",
                                            ms(at)
                                        ))
                                    ),
                                    format!(
                                        "已确认的写不丢失：{touched} {what_zh}（{}），但版本 {acked} {}：这次写丢失了",
                                        had.1,
                                        by.map_or("在存储装载时就已写入".to_string(), |by| format!(
                                            "已在 {} 由 {by} 确认给客户端",
                                            ms(at)
                                        ))
                                    ),
                                ),
                                nodes: match by {
                                    Some(by) if by != touched => vec![touched, by],
                                    _ => vec![touched],
                                },
                                messages: Vec::new(),
                            });
                        }
                    }
                }
            }
        }
        // The settled placement, once per epoch, when every node is up and done.
        let n = cluster.len();
        let mut states = Vec::with_capacity(n);
        for i in 0..n {
            match cluster.state(NodeId::from_index(i)) {
                Some(s) if !s.busy() => states.push(s),
                _ => return,
            }
        }
        let Some(first) = states.first() else { return };
        let epoch = first.view.epoch;
        if epoch <= self.checked || states.iter().any(|s| s.view.epoch != epoch) {
            return;
        }
        self.checked = epoch;
        let view = &first.view;
        let want = first.p.r.min(view.members.len());
        let mut bad = 0usize;
        let mut first_bad: Option<(u32, Vec<NodeId>, Vec<NodeId>)> = None;
        for k in 0..first.p.keys {
            let holders: Vec<NodeId> = states.iter().filter(|s| s.entry(k).version > 0).map(|s| s.me).collect();
            let mut list: Vec<NodeId> = view.replicas(k).to_vec();
            list.sort_unstable();
            list.dedup();
            if holders != list || list.len() != want {
                bad += 1;
                if first_bad.is_none() {
                    first_bad = Some((k, holders, view.replicas(k).to_vec()));
                }
            }
        }
        if let Some((k, holders, list)) = first_bad {
            let others = bad - 1;
            out.push(Violation {
                invariant: "Replica Placement",
                time_us: now.0,
                message: Text::new(
                    format!(
                        "Replica Placement: after rebalancing to epoch {epoch}, k{k} should be on {want} distinct \
                         nodes; its replica list is [{}] and it is held by [{}] ({others} more keys are misplaced)",
                        node_list(&list),
                        node_list(&holders)
                    ),
                    format!(
                        "副本放置：再平衡到第 {epoch} 版成员后，k{k} 应在 {want} 个不同节点上；它的副本列表是 [{}]，\
                         实际持有者是 [{}]（另有 {others} 个键放错）",
                        node_list(&list),
                        node_list(&holders)
                    ),
                ),
                nodes: if holders.is_empty() { list } else { holders },
                messages: Vec::new(),
            });
        }
    }
}

// ----- handlers -----

fn ensure_tick(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.tick_armed {
        s.tick_armed = true;
        let period = (s.p.timeout.min(s.p.resend).0 / 2).max(1_000);
        cx.set_timer(Timer::Tick, Micros(period));
    }
}

fn ensure_send(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.send_armed && !s.queue.is_empty() {
        s.send_armed = true;
        cx.set_timer(Timer::Send, Micros(s.p.per_key.max(1)));
    }
}

/// Learns a newer membership and works out what to send, expect and drop.
fn adopt(s: &mut RingNode, new: &Rc<Membership>, cx: &mut Context<'_, HashRing>) {
    if new.epoch <= s.view.epoch {
        return;
    }
    let old = std::mem::replace(&mut s.view, Rc::clone(new));
    let me = s.me;
    for k in 0..s.p.keys {
        let (ol, nl) = (old.replicas(k), new.replicas(k));
        let (Some(&op), Some(&np)) = (ol.first(), nl.first()) else { continue };
        let held = s.entry(k).version > 0;
        let f = s.flag(k);
        if cx.config().break_switch_before_transfer {
            if held && !nl.contains(&me) {
                s.drop_key(k);
            }
            continue;
        }
        if op == me && np != me {
            if held && f & INCOMING == 0 {
                s.queue.push_back((np, k, true));
                s.set_flags(k, f | WAITING);
            }
        } else if np == me && op != me {
            s.set_flags(k, f | INCOMING);
        } else if np == me && f & INCOMING == 0 {
            for &r in &nl[1..] {
                if r != me && !ol.contains(&r) {
                    s.queue.push_back((r, k, false));
                }
            }
        } else if np != me && nl.contains(&me) && !ol.contains(&me) {
            s.set_flags(k, f | COPY);
        }
        if held && !nl.contains(&me) && op != me && s.flag(k) & (WAITING | SENT) == 0 {
            s.drop_key(k);
        }
    }
    s.prev = Some(old);
    if s.is_coordinator() {
        s.heard.clear();
        s.done.clear();
        s.heard.insert(me);
        s.last_resend = cx.now();
        s.last_slow_resend = cx.now();
        ensure_tick(s, cx);
    }
    cx.observe("epoch", Obs::Int(i64::from(new.epoch)));
    // Requests held for keys this node no longer waits for go where they now belong.
    let held_asks = std::mem::take(&mut s.waiting);
    for ask in held_asks {
        serve(s, ask, cx);
    }
}

fn answer(s: &mut RingNode, ask: &Ask, a: Answer, cx: &mut Context<'_, HashRing>) {
    answer_to(s, (ask.gateway, ask.id), ask.key, a, cx);
}

/// Answers request `id` about `key` at its gateway (here, or by message).
fn answer_to(
    s: &mut RingNode,
    (gateway, id): (NodeId, RequestId),
    key: u32,
    a: Answer,
    cx: &mut Context<'_, HashRing>,
) {
    if gateway == s.me {
        on_answer(s, id, key, a, cx);
    } else {
        cx.send(gateway, Msg::Answer { id, key, answer: a });
    }
}

/// Sends a request to a node, or serves it here.
fn route(s: &mut RingNode, to: NodeId, ask: Ask, cx: &mut Context<'_, HashRing>) {
    if to == s.me {
        serve(s, ask, cx);
    } else {
        let view = Rc::clone(&s.view);
        let msg = match ask.op {
            Op::Get => Msg::Get { ask, view },
            Op::Put(_) => Msg::Put { ask, view },
        };
        cx.send(to, msg);
    }
}

/// A request reached this node: serve, hold, or forward it.
fn serve(s: &mut RingNode, ask: Ask, cx: &mut Context<'_, HashRing>) {
    let k = ask.key;
    let me = s.me;
    let list = s.view.replicas(k).to_vec();
    let Some(&np) = list.first() else { return };
    let f = s.flag(k);
    let acting = if cx.config().break_switch_before_transfer {
        np == me
    } else {
        (np == me && f & INCOMING == 0) || f & WAITING != 0
    };
    if acting {
        let e = s.entry(k);
        match ask.op {
            Op::Get => {
                cx.ghost(Ghost::Served { key: k, version: e.version, write: false });
                answer(s, &ask, Answer::Value { version: e.version, value: e.value, replica: false }, cx);
            }
            Op::Put(value) => {
                let entry = Entry { version: e.version + 1, value };
                s.put_entry(k, entry);
                cx.ghost(Ghost::Served { key: k, version: entry.version, write: true });
                // The copies of both the current and the previous membership
                // get the write: while keys move, a node of either may still
                // serve it. (Narrowing this to keys whose handoff is pending
                // lost writes in the swarm; see the closing note.)
                let mut targets: Vec<NodeId> = list.clone();
                if let Some(prev) = &s.prev {
                    targets.extend_from_slice(prev.replicas(k));
                }
                targets.sort_unstable();
                targets.dedup();
                targets.retain(|&n| n != me);
                if targets.is_empty() {
                    answer(s, &ask, Answer::Written { version: entry.version }, cx);
                } else {
                    let origin = (ask.gateway, ask.id);
                    for &t in &targets {
                        let view = Rc::clone(&s.view);
                        cx.send(t, Msg::Replicate { key: k, entry, origin, view });
                    }
                    s.writes.insert(origin, (k, entry.version, targets));
                }
            }
        }
    } else if np == me {
        // Waiting for the key's handoff.
        if s.waiting.len() < MAX_WAITING {
            s.waiting.push(ask);
            cx.observe("held_for_key", Obs::Int(i64::from(k)));
        }
    } else if ask.replica && ask.op == Op::Get {
        let e = s.entry(k);
        if e.version > 0 && f & (INCOMING | COPY) == 0 && list.contains(&me) {
            cx.ghost(Ghost::Served { key: k, version: e.version, write: false });
            answer(s, &ask, Answer::Value { version: e.version, value: e.value, replica: true }, cx);
        } else {
            answer(s, &ask, Answer::NotHere, cx);
        }
    } else if ask.hops >= MAX_HOPS {
        answer(s, &ask, Answer::Lost, cx);
    } else {
        // Not the owner (any more): forward to the owner.
        cx.observe("forwarded", Obs::Int(i64::from(k)));
        route(s, np, Ask { hops: ask.hops + 1, ..ask }, cx);
    }
}

fn on_answer(s: &mut RingNode, id: RequestId, key: u32, a: Answer, cx: &mut Context<'_, HashRing>) {
    let Some(p) = s.pending.get(&id).copied() else { return };
    if p.key != key {
        return;
    }
    match a {
        Answer::Value { version, value, replica } => {
            s.pending.remove(&id);
            s.answered += 1;
            let from = if replica { ", from a replica" } else { "" };
            let text = if version == 0 {
                format!("k{key} not found")
            } else {
                format!("k{key} = {value} (version {version}{from})")
            };
            cx.reply(id, Reply::Ok(Value::Text(text)));
        }
        Answer::Written { version } => {
            s.pending.remove(&id);
            s.answered += 1;
            cx.ghost(Ghost::Acked { key, version });
            cx.observe("acked", Obs::Int(i64::from(key)));
            cx.reply(id, Reply::Ok(Value::Text(format!("k{key} written as version {version}"))));
        }
        Answer::NotHere => try_next(s, id, cx),
        Answer::Lost => {
            s.pending.remove(&id);
            s.failed += 1;
            cx.reply(
                id,
                Reply::Failed(format!("k{key}: the request was forwarded {MAX_HOPS} times without finding its owner")),
            );
        }
    }
}

/// The read's current node did not answer or does not hold the key: the
/// next replica, or give up.
fn try_next(s: &mut RingNode, id: RequestId, cx: &mut Context<'_, HashRing>) {
    let Some(mut p) = s.pending.get(&id).copied() else { return };
    let list = s.view.replicas(p.key).to_vec();
    let key = p.key;
    match p.op {
        Op::Put(_) => {
            s.pending.remove(&id);
            s.failed += 1;
            let owner = list.first().map_or_else(|| "?".to_string(), |n| n.to_string());
            cx.reply(
                id,
                Reply::Failed(format!(
                    "k{key}: no answer from its primary {owner} and replicas in time; a write needs every copy (it may \
                     or may not have been applied)"
                )),
            );
        }
        Op::Get => {
            p.tried += 1;
            match list.get(p.tried) {
                Some(&next) => {
                    p.deadline = cx.now().saturating_add(s.p.timeout);
                    s.pending.insert(id, p);
                    let ask = Ask { id, gateway: s.me, key, op: Op::Get, hops: 0, replica: true };
                    route(s, next, ask, cx);
                }
                None => {
                    s.pending.remove(&id);
                    s.failed += 1;
                    cx.reply(id, Reply::Failed(format!("k{key}: none of its {} copies answered", list.len())));
                }
            }
        }
    }
}

fn send_batch(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    s.send_armed = false;
    let Some(&(dest, _, _)) = s.queue.front() else { return };
    let mut keys: Vec<(u32, bool)> = Vec::new();
    let batch = s.p.batch;
    s.queue.retain(|&(to, k, handoff)| {
        if to == dest && keys.len() < batch {
            keys.push((k, handoff));
            false
        } else {
            true
        }
    });
    let mut entries = Vec::with_capacity(keys.len());
    for &(k, handoff) in &keys {
        entries.push((k, s.entry(k), handoff));
        if handoff {
            let f = s.flag(k);
            s.set_flags(k, (f & !WAITING) | SENT);
        }
    }
    let id = s.next_batch;
    s.next_batch += 1;
    let n = keys.len() as u64;
    s.unacked.insert(id, Batch { to: dest, keys, sent_at: cx.now() });
    let view = Rc::clone(&s.view);
    cx.send(dest, Msg::Transfer { batch: id, entries, view });
    if !s.queue.is_empty() {
        s.send_armed = true;
        cx.set_timer(Timer::Send, Micros(s.p.per_key.saturating_mul(n).max(1)));
    }
    ensure_tick(s, cx);
}

fn on_transfer(
    s: &mut RingNode,
    from: NodeId,
    batch: u64,
    epoch: u32,
    entries: Vec<(u32, Entry, bool)>,
    cx: &mut Context<'_, HashRing>,
) {
    let me = s.me;
    let mut arrived = Vec::new();
    if epoch != s.view.epoch {
        // From an earlier membership (a late duplicate): every batch of a
        // change is confirmed before the next change starts, so this one
        // was, and its keys may have moved on since.
        cx.send(from, Msg::TransferAck { batch });
        return;
    }
    for (k, e, handoff) in entries {
        let list = s.view.replicas(k);
        let f = s.flag(k);
        if e.version > s.entry(k).version && (list.contains(&me) || f & INCOMING != 0) {
            s.put_entry(k, e);
        }
        if !handoff && f & COPY != 0 {
            s.set_flags(k, f & !COPY);
        }
        if handoff && f & INCOMING != 0 {
            s.set_flags(k, f & !INCOMING);
            arrived.push(k);
            // The copies this node owes as the new primary.
            let new_list = s.view.replicas(k).to_vec();
            let old_list = s.prev.as_ref().map(|p| p.replicas(k).to_vec()).unwrap_or_default();
            for r in new_list.into_iter().skip(1) {
                if r != me && !old_list.contains(&r) {
                    s.queue.push_back((r, k, false));
                }
            }
        }
    }
    cx.send(from, Msg::TransferAck { batch });
    if !arrived.is_empty() {
        cx.observe("received", Obs::Int(arrived.len() as i64));
        let (ready, still): (Vec<Ask>, Vec<Ask>) =
            std::mem::take(&mut s.waiting).into_iter().partition(|a| arrived.contains(&a.key));
        s.waiting = still;
        for ask in ready {
            serve(s, ask, cx);
        }
    }
    ensure_send(s, cx);
}

fn on_tick(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    s.tick_armed = false;
    let now = cx.now();
    let late: Vec<RequestId> = s.pending.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| *id).collect();
    for id in late {
        try_next(s, id, cx);
    }
    let resend = s.p.resend;
    let again: Vec<u64> =
        s.unacked.iter().filter(|(_, b)| now.saturating_sub(b.sent_at) >= resend).map(|(id, _)| *id).collect();
    for id in again {
        let Some(b) = s.unacked.get_mut(&id) else { continue };
        b.sent_at = now;
        let (to, keys) = (b.to, b.keys.clone());
        let entries = keys.iter().map(|&(k, h)| (k, s.entry(k), h)).collect();
        let view = Rc::clone(&s.view);
        cx.send(to, Msg::Transfer { batch: id, entries, view });
    }
    let mut more = !s.pending.is_empty() || !s.unacked.is_empty();
    if s.is_coordinator() {
        let fast = now.saturating_sub(s.last_resend) >= resend;
        let slow = now.saturating_sub(s.last_slow_resend) >= Micros(resend.0.saturating_mul(4));
        if fast {
            s.last_resend = now;
        }
        if slow {
            s.last_slow_resend = now;
        }
        let old = s.prev.as_ref().map(|p| p.members.clone()).unwrap_or_default();
        for i in 0..s.p.nodes as usize {
            let n = NodeId::from_index(i);
            if n == s.me {
                continue;
            }
            let involved = s.view.has(n) || old.contains(&n);
            if (fast && !s.heard.contains(&n)) || (slow && involved && !s.done.contains(&n)) {
                cx.send(n, Msg::Members { view: Rc::clone(&s.view) });
            }
        }
        more |= !s.settled() || (0..s.p.nodes as usize).any(|i| !s.heard.contains(&NodeId::from_index(i)));
    }
    if more {
        ensure_tick(s, cx);
    }
}

/// After every handler: report being done, keep the timers going.
fn after(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.busy() && s.done_reported < s.view.epoch {
        s.done_reported = s.view.epoch;
        if s.is_coordinator() {
            s.done.insert(s.me);
        } else if s.view.has(s.me) || s.prev.as_ref().is_some_and(|p| p.has(s.me)) {
            let epoch = s.view.epoch;
            let to = s.view.coordinator();
            cx.send(to, Msg::Status { epoch, done: true });
        }
        if s.view.epoch > 1 {
            cx.observe("done", Obs::Int(i64::from(s.view.epoch)));
        }
    }
    if s.is_coordinator() && s.settled() && s.settled_reported < s.view.epoch {
        // Every node of the old and new membership is done.
        s.settled_reported = s.view.epoch;
        cx.observe("rebalanced", Obs::Int(i64::from(s.view.epoch)));
    }
    ensure_send(s, cx);
    if !s.pending.is_empty() || !s.unacked.is_empty() {
        ensure_tick(s, cx);
    }
}

fn change_membership(s: &mut RingNode, id: RequestId, join: bool, n: u32, cx: &mut Context<'_, HashRing>) {
    let coordinator = s.view.coordinator();
    if s.me != coordinator {
        cx.reply(id, Reply::Redirect(Some(coordinator)));
        return;
    }
    let node = NodeId(n);
    let fail = |cx: &mut Context<'_, HashRing>, why: String| cx.reply(id, Reply::Failed(why));
    if n == 0 || n > s.p.nodes {
        return fail(cx, format!("there is no node {n}: the nodes are S1 to S{}", s.p.nodes));
    }
    if join && s.view.has(node) {
        return fail(cx, format!("{node} is already in the ring"));
    }
    if !join && !s.view.has(node) {
        return fail(cx, format!("{node} is not in the ring"));
    }
    if join && !s.heard.contains(&node) {
        // A node that missed a membership would work out its duties from
        // the wrong one; it joins once it knows the current one.
        return fail(
            cx,
            format!(
                "{node} has not confirmed epoch {} yet (it may be down or cut off); try again when it has",
                s.view.epoch
            ),
        );
    }
    if !join && node == s.me {
        return fail(cx, format!("{node} coordinates the membership and cannot leave"));
    }
    if !join && s.view.members.len() <= s.p.r.max(1) {
        return fail(cx, format!("with {} copies of each key the ring needs at least {} members", s.p.r, s.p.r.max(1)));
    }
    if !s.settled() {
        let old = s.prev.as_ref().map(|p| p.members.clone()).unwrap_or_default();
        let mut left: Vec<NodeId> =
            s.view.members.iter().chain(&old).copied().filter(|m| !s.done.contains(m)).collect();
        left.sort_unstable();
        left.dedup();
        return fail(
            cx,
            format!(
                "epoch {} is still rebalancing ({} not done yet); try again when it is done",
                s.view.epoch,
                node_list(&left)
            ),
        );
    }
    let mut members = s.view.members.clone();
    if join {
        members.push(node);
        members.sort_unstable();
    } else {
        members.retain(|&m| m != node);
    }
    let next = Rc::new(Membership::new(cx.config(), &s.p, s.view.epoch + 1, members, Some(&s.view), true));
    adopt(s, &next, cx);
    for i in 0..s.p.nodes as usize {
        let n = NodeId::from_index(i);
        if n != s.me {
            cx.send(n, Msg::Members { view: Rc::clone(&next) });
        }
    }
    cx.reply(id, Reply::Ok(Value::Text(format!("epoch {}: members {}", next.epoch, node_list(&next.members)))));
}

/// `k7` (or `7`) is key 7; `any` lets the gateway pick.
fn parse_key(word: &str) -> Option<Option<u32>> {
    if word == "any" {
        return Some(None);
    }
    word.strip_prefix('k').unwrap_or(word).parse().ok().map(Some)
}

fn parse_node(word: &str) -> Option<u32> {
    word.strip_prefix('S').or_else(|| word.strip_prefix('s')).unwrap_or(word).parse().ok()
}

impl Protocol for HashRing {
    fn switch<'c>(c: &'c mut HashRingConfig, key: &str) -> Option<&'c mut bool> {
        match key {
            "break_switch_before_transfer" => Some(&mut c.break_switch_before_transfer),
            "break_replicas_same_node" => Some(&mut c.break_replicas_same_node),
            _ => None,
        }
    }

    type Config = HashRingConfig;
    type State = RingNode;
    type Durable = RingNode;
    type Msg = Msg;
    type Timer = Timer;
    type Role = Role;
    type Request = Request;
    type Monitor = RingMonitor;
    type Ghost = Ghost;

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    fn validate(c: &HashRingConfig, nodes: u32) -> Result<(), ConfigIssue> {
        let members = c.members.unwrap_or(nodes);
        if members == 0 || members > nodes {
            return Err(ConfigIssue {
                field: "members",
                message: format!("members = {members} is outside 1 to the {nodes} nodes of the scenario"),
            });
        }
        let p = Params::new(c, nodes);
        if c.keys == 0 || c.keys > MAX_KEYS {
            return Err(ConfigIssue {
                field: "keys",
                message: format!(
                    "keys = {} is outside 1 to {MAX_KEYS} (the `distlab ring` tables go to {})",
                    c.keys,
                    hashring::MAX_KEYS
                ),
            });
        }
        // The comparison figures build every scheme with these settings,
        // so vnodes and balance are checked whatever the scheme.
        let all = Scheme::Bounded { vnodes: c.vnodes, balance: c.balance };
        if let Err(t) = p.scheme.validate(nodes as usize, u64::from(c.keys)).and(all.validate(nodes as usize, 1)) {
            let field = if t.en.starts_with("balance") { "balance" } else { "vnodes" };
            return Err(ConfigIssue { field, message: t.en });
        }
        if c.replicas == 0 || c.replicas > MAX_REPLICAS || c.replicas > members {
            return Err(ConfigIssue {
                field: "replicas",
                message: format!(
                    "replicas = {} is outside 1 to {}: each copy needs its own node and the ring starts with {members}",
                    c.replicas,
                    MAX_REPLICAS.min(members)
                ),
            });
        }
        if c.batch_keys == 0 || c.batch_keys > MAX_BATCH {
            return Err(ConfigIssue {
                field: "batch_keys",
                message: format!("batch_keys = {} is outside 1 to {MAX_BATCH}", c.batch_keys),
            });
        }
        if !(c.transfer_keys_per_s.is_finite() && (0.1..=MAX_RATE).contains(&c.transfer_keys_per_s)) {
            return Err(ConfigIssue {
                field: "transfer_keys_per_s",
                message: format!("transfer_keys_per_s = {} is outside 0.1 to {MAX_RATE}", c.transfer_keys_per_s),
            });
        }
        for (field, v) in [("request_timeout_ms", c.request_timeout), ("resend_ms", c.resend)] {
            if !(Micros::from_ms(1)..=MAX_DURATION).contains(&v) {
                let (v, hi) = (v.ms_text(), MAX_DURATION.ms_text());
                return Err(ConfigIssue { field, message: format!("{field} = {v} is outside 1 to {hi} ms") });
            }
        }
        Ok(())
    }

    fn init(me: NodeId, peers: &[NodeId], cx: &mut Context<'_, Self>) -> RingNode {
        let c = cx.config();
        let nodes = peers.len() as u32 + 1;
        let p = Params::new(c, nodes);
        let members: Vec<NodeId> = (0..p.members as usize).map(NodeId::from_index).collect();
        let view = Rc::new(Membership::new(c, &p, 1, members, None, me == NodeId(1)));
        let mut store = ChunkVec::new();
        let mut flags = ChunkVec::new();
        let mut held = 0;
        for k in 0..p.keys {
            let mine = view.replicas(k).contains(&me);
            held += u32::from(mine);
            store.push(if mine { Entry { version: 1, value: 0 } } else { Entry::default() });
            flags.push(0u8);
        }
        let mut heard = BTreeSet::new();
        let mut done = BTreeSet::new();
        if view.coordinator() == me {
            // Everyone knows the first membership and has nothing to move.
            heard.extend((0..nodes as usize).map(NodeId::from_index));
            done.extend(view.members.iter().copied());
        }
        RingNode {
            p,
            me,
            view,
            prev: None,
            store,
            held,
            flags,
            flagged: 0,
            queue: VecDeque::new(),
            unacked: BTreeMap::new(),
            next_batch: 1,
            done_reported: 1,
            settled_reported: 1,
            send_armed: false,
            tick_armed: false,
            pending: BTreeMap::new(),
            waiting: Vec::new(),
            writes: BTreeMap::new(),
            heard,
            done,
            last_resend: Micros::ZERO,
            last_slow_resend: Micros::ZERO,
            answered: 0,
            failed: 0,
        }
    }

    fn on_message(s: &mut RingNode, from: NodeId, msg: Msg, cx: &mut Context<'_, Self>) {
        match msg {
            Msg::Members { view } => {
                adopt(s, &view, cx);
                let done = !s.busy();
                cx.send(from, Msg::Status { epoch: s.view.epoch, done });
                if done {
                    s.done_reported = s.done_reported.max(s.view.epoch);
                }
            }
            Msg::Status { epoch, done } => {
                if s.is_coordinator() && epoch == s.view.epoch {
                    s.heard.insert(from);
                    if done {
                        s.done.insert(from);
                    }
                }
            }
            Msg::Get { ask, view } | Msg::Put { ask, view } => {
                adopt(s, &view, cx);
                serve(s, ask, cx);
            }
            Msg::Answer { id, key, answer } => on_answer(s, id, key, answer, cx),
            Msg::Replicate { key, entry, origin, view } => {
                adopt(s, &view, cx);
                let wanted = s.view.replicas(key).contains(&s.me) || s.flag(key) & INCOMING != 0;
                if wanted && entry.version > s.entry(key).version {
                    s.put_entry(key, entry);
                }
                cx.send(from, Msg::ReplicateAck { key, version: entry.version, origin });
            }
            Msg::ReplicateAck { key, version: stored, origin } => {
                // A duplicated request writes twice; only the copy of the
                // version it waits for counts.
                if let Some((k, version, need)) = s.writes.get_mut(&origin)
                    && *k == key
                    && *version == stored
                {
                    need.retain(|&n| n != from);
                    if need.is_empty() {
                        let version = *version;
                        s.writes.remove(&origin);
                        answer_to(s, origin, key, Answer::Written { version }, cx);
                    }
                }
            }
            Msg::Transfer { batch, entries, view } => {
                adopt(s, &view, cx);
                on_transfer(s, from, batch, view.epoch, entries, cx);
            }
            Msg::TransferAck { batch } => {
                if let Some(b) = s.unacked.remove(&batch) {
                    for (k, handoff) in b.keys {
                        if handoff {
                            let f = s.flag(k);
                            s.set_flags(k, f & !SENT);
                            if !s.view.replicas(k).contains(&s.me) {
                                s.drop_key(k);
                            }
                        }
                    }
                }
            }
        }
        after(s, cx);
    }

    fn on_timer(s: &mut RingNode, t: Timer, cx: &mut Context<'_, Self>) {
        match t {
            Timer::Send => send_batch(s, cx),
            Timer::Tick => on_tick(s, cx),
        }
        after(s, cx);
    }

    fn on_request(s: &mut RingNode, id: RequestId, r: Request, cx: &mut Context<'_, Self>) {
        let any =
            |cx: &mut Context<'_, Self>, k: Option<u32>| k.unwrap_or_else(|| cx.rng().index(s.p.keys as usize) as u32);
        match r {
            Request::Get(Some(key)) | Request::Put(Some(key), _) if key >= s.p.keys => {
                cx.reply(id, Reply::Failed(format!("there is no k{key}: the keys are k0 to k{}", s.p.keys - 1)));
            }
            Request::Get(key) | Request::Put(key, _) => {
                let key = any(cx, key);
                let op = if let Request::Put(_, v) = r { Op::Put(v) } else { Op::Get };
                let deadline = cx.now().saturating_add(s.p.timeout);
                s.pending.insert(id, Pending { key, op, tried: 0, deadline });
                let ask = Ask { id, gateway: s.me, key, op, hops: 0, replica: false };
                match s.view.primary(key) {
                    Some(owner) => route(s, owner, ask, cx),
                    None => {
                        s.pending.remove(&id);
                        cx.reply(id, Reply::Failed("the ring has no members".into()));
                    }
                }
            }
            Request::Join(n) => change_membership(s, id, true, n, cx),
            Request::Leave(n) => change_membership(s, id, false, n, cx),
        }
        after(s, cx);
    }

    fn durable(s: &RingNode, _c: &HashRingConfig) -> RingNode {
        s.clone()
    }

    fn on_restart(_me: NodeId, _peers: &[NodeId], mut s: RingNode, cx: &mut Context<'_, Self>) -> RingNode {
        // Requests in progress are lost; the disk keeps keys, memberships
        // and what is still to move. Unconfirmed batches go out again.
        s.pending.clear();
        s.waiting.clear();
        s.writes.clear();
        s.send_armed = false;
        s.tick_armed = false;
        s.done_reported = s.done_reported.min(s.view.epoch.saturating_sub(1));
        let batches = std::mem::take(&mut s.unacked);
        for (_, b) in batches.into_iter().rev() {
            for &(k, handoff) in b.keys.iter().rev() {
                s.queue.push_front((b.to, k, handoff));
            }
        }
        if s.is_coordinator() {
            // Ask everyone again where they stand.
            s.heard.clear();
            s.heard.insert(s.me);
            s.done.clear();
            ensure_tick(&mut s, cx);
        }
        after(&mut s, cx);
        s
    }

    fn parse_request(text: &str) -> Result<Request, Text> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let bad = || {
            Text::new(
                format!("cannot read \"{text}\": try get k7, put k7 42, get any, join 5 or leave 2"),
                format!("无法理解“{text}”：可以试试 get k7、put k7 42、get any、join 5 或 leave 2"),
            )
        };
        match words.as_slice() {
            ["get", k] => parse_key(k).map(Request::Get).ok_or_else(bad),
            ["put", k, v] => match (parse_key(k), v.parse::<u32>().ok()) {
                (Some(k), Some(v)) if v <= MAX_VALUE => Ok(Request::Put(k, v)),
                _ => Err(bad()),
            },
            ["join", n] => parse_node(n).map(Request::Join).ok_or_else(bad),
            ["leave", n] => parse_node(n).map(Request::Leave).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    fn new_monitor(c: &HashRingConfig, _nodes: usize) -> RingMonitor {
        RingMonitor {
            acked: vec![(1, Micros::ZERO, None); c.keys.min(MAX_KEYS) as usize],
            lost: BTreeSet::new(),
            checked: 0,
        }
    }

    fn check(
        m: &mut RingMonitor,
        cluster: &dyn Cluster<Self>,
        touched: NodeId,
        ghosts: &[Ghost],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        m.check(cluster, touched, ghosts, now, out);
    }

    fn role(s: &RingNode) -> Role {
        s.role()
    }

    fn node_view(s: &RingNode, _c: &HashRingConfig) -> ProtocolNodeView {
        let primary = s.view.members.iter().position(|&m| m == s.me).map_or(0, |i| s.view.loads[i]);
        let to_send = s.queue.len() + s.unacked.values().map(|b| b.keys.len()).sum::<usize>();
        let incoming = if s.flagged == 0 { 0 } else { (0..s.p.keys).filter(|&k| s.flag(k) & INCOMING != 0).count() };
        // Short enough for the node's circle; the inspector has the rest.
        let headline = if !s.view.has(s.me) && !s.busy() {
            Text::new("not in ring", "不在环上")
        } else if s.busy() {
            Text::new(format!("↑{to_send} ↓{incoming}"), format!("↑{to_send} ↓{incoming}"))
        } else if s.p.r > 1 {
            // With copies: the keys it is primary for (what Figures counts)
            // and every copy it holds.
            Text::new(format!("{primary} own · {} held", s.held), format!("主 {primary} · 共 {}", s.held))
        } else {
            Text::new(format!("{} keys", s.held), format!("{} 个键", s.held))
        };
        let mut store = Vec::new();
        for k in 0..s.p.keys {
            if store.len() >= 12 {
                break;
            }
            let e = s.entry(k);
            if e.version > 0 {
                store.push((format!("k{k}"), format!("{} (v{})", e.value, e.version)));
            }
        }
        ProtocolNodeView {
            role: s.role().key(),
            headline,
            fields: vec![
                Field { name: "epoch", value: Value::from(u64::from(s.view.epoch)) },
                Field { name: "keys_held", value: Value::from(u64::from(s.held)) },
                Field { name: "keys_primary", value: Value::from(primary) },
                Field { name: "to_send", value: Value::from(to_send as u64) },
                Field { name: "incoming", value: Value::from(incoming as u64) },
                Field { name: "requests_waiting", value: Value::from(s.waiting.len() as u64) },
            ],
            log: Vec::new(),
            store,
            store_title: None,
        }
    }

    fn durable_view(s: &RingNode, c: &HashRingConfig) -> ProtocolNodeView {
        let mut v = Self::node_view(s, c);
        v.headline = Text::new(format!("{} on disk", s.held), format!("磁盘上 {} 个", s.held));
        v
    }

    fn message_view(msg: &Msg) -> MessageView {
        let kind = Msg::KINDS[msg.kind() as usize];
        let (summary, fields) = match msg {
            Msg::Members { view } => (
                format!("epoch {}: members {}", view.epoch, node_list(&view.members)),
                vec![Field { name: "epoch", value: Value::from(u64::from(view.epoch)) }],
            ),
            Msg::Status { epoch, done } => (
                format!("knows epoch {epoch}{}", if *done { ", done" } else { ", still moving keys" }),
                vec![Field { name: "epoch", value: Value::from(u64::from(*epoch)) }],
            ),
            Msg::Get { ask, .. } | Msg::Put { ask, .. } => {
                let what = match ask.op {
                    Op::Get => format!("get k{}", ask.key),
                    Op::Put(v) => format!("put k{} {v}", ask.key),
                };
                let extra = match (ask.replica, ask.hops) {
                    (true, _) => " (from a replica)".to_string(),
                    (false, 0) => String::new(),
                    (false, h) => format!(" (forwarded {h}×)"),
                };
                (
                    format!("{what}{extra}"),
                    vec![
                        Field { name: "key", value: Value::from(format!("k{}", ask.key)) },
                        Field { name: "gateway", value: Value::from(ask.gateway.to_string()) },
                    ],
                )
            }
            Msg::Answer { key, answer, .. } => {
                let text = match answer {
                    Answer::Value { version, value, replica } => {
                        format!("k{key} = {value} v{version}{}", if *replica { " (replica)" } else { "" })
                    }
                    Answer::Written { version } => format!("k{key} written v{version}"),
                    Answer::NotHere => format!("k{key} not here"),
                    Answer::Lost => format!("k{key}: owner not found"),
                };
                (text, vec![Field { name: "key", value: Value::from(format!("k{key}")) }])
            }
            Msg::Replicate { key, entry, .. } => (
                format!("copy k{key} = {} v{}", entry.value, entry.version),
                vec![Field { name: "key", value: Value::from(format!("k{key}")) }],
            ),
            Msg::ReplicateAck { key, version, .. } => (
                format!("stored k{key} v{version}"),
                vec![Field { name: "key", value: Value::from(format!("k{key}")) }],
            ),
            Msg::Transfer { batch, entries, .. } => {
                let names: Vec<String> = entries.iter().take(6).map(|(k, _, _)| format!("k{k}")).collect();
                let more = if entries.len() > 6 { " …" } else { "" };
                let handoff = entries.iter().filter(|e| e.2).count();
                (
                    format!("{} keys ({handoff} handed over): {}{more}", entries.len(), names.join(" ")),
                    vec![
                        Field { name: "batch", value: Value::from(*batch) },
                        Field { name: "keys", value: Value::from(entries.len() as u64) },
                    ],
                )
            }
            Msg::TransferAck { batch } => {
                (format!("batch {batch} stored"), vec![Field { name: "batch", value: Value::from(*batch) }])
            }
        };
        MessageView { kind, summary, fields, tag: None }
    }

    fn figures(_c: &HashRingConfig, states: &[Option<&RingNode>], _now: Micros, _messages_sent: u64) -> Vec<Figure> {
        let Some(s) = newest(states) else { return Vec::new() };
        let v = &s.view;
        let mut out = Vec::new();
        let loads = Figure {
            name: Text::new("keys per node (as primary)", "每个节点的键数（作为主节点）"),
            value: Text::new(
                format!("{} keys on {} nodes", s.p.keys, v.members.len()),
                format!("{} 个键，{} 个节点", s.p.keys, v.members.len()),
            ),
            bars: v
                .members
                .iter()
                .zip(&v.loads)
                .map(|(&n, &l)| Bar { label: n.to_string(), value: l as f64, node: Some(n) })
                .collect(),
        };
        out.push(loads);
        let spread = hashring::spread(&v.loads);
        let value = if s.p.has_ring() {
            format!("{spread:.2} (1/√V = {:.2})", 1.0 / f64::from(s.p.vnodes.max(1)).sqrt())
        } else {
            format!("{spread:.2}")
        };
        out.push(Figure::new(Text::new("load spread (std-dev / mean)", "负载离散度（标准差 / 均值）"), value));
        if s.p.has_ring() && !v.by_vnodes.is_empty() {
            let row: Vec<String> = v.by_vnodes.iter().map(|(n, x)| format!("V={n}: {x:.2}")).collect();
            out.push(Figure::new(Text::new("ring spread by V", "不同 V 下环的离散度"), row.join(" · ")));
        }
        if let Some(c) = &v.change {
            out.push(Figure::new(
                Text::new("keys moved by the last change", "上次成员变化移动的键"),
                Text::new(
                    format!("{:.1} % (ideal {:.1} %)", c.moved * 100.0, c.ideal * 100.0),
                    format!("{:.1} %（理想值 {:.1} %）", c.moved * 100.0, c.ideal * 100.0),
                ),
            ));
            for (name, moved, spread) in &c.compare {
                out.push(Figure::new(
                    Text::new(format!("{name} would move"), format!("{name} 会移动")),
                    Text::new(
                        format!("{:.1} % (spread {spread:.2})", moved * 100.0),
                        format!("{:.1} %（离散度 {spread:.2}）", moved * 100.0),
                    ),
                ));
            }
        }
        // Keys whose owner changed and copies still owed to new replicas.
        let moving = marks(states, s.p.keys).iter().filter(|m| **m != KeyState::Home).count();
        let copies: usize = states.iter().flatten().map(|s| s.queue.iter().filter(|q| !q.2).count()).sum();
        out.push(Figure::new(
            Text::new("rebalancing", "再平衡"),
            match (moving, copies) {
                (0, 0) => Text::new("done", "完成"),
                (m, 0) => Text::new(format!("{m} keys to go"), format!("还有 {m} 个键")),
                (m, c) => Text::new(format!("{m} keys to go, {c} copies"), format!("还有 {m} 个键，{c} 份副本")),
            },
        ));
        let (ok, failed) = states.iter().flatten().fold((0, 0), |(a, b), s| (a + s.answered, b + s.failed));
        out.push(Figure::new(Text::new("requests answered / failed", "请求成功 / 失败"), format!("{ok} / {failed}")));
        out
    }

    fn stage(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Stage {
        let Some(s) = newest(states) else { return Stage::Cluster };
        let v = &s.view;
        let marks = marks(states, s.p.keys);
        let keys = (0..s.p.keys)
            .map(|k| KeyDot {
                key: k,
                pos: (hashring::key_hash(u64::from(k)) >> 32) as u32,
                owner: v.primary(k).unwrap_or(NodeId(1)),
                state: marks[k as usize],
            })
            .collect();
        Stage::Ring(RingView {
            scheme: s.p.scheme.name(),
            epoch: v.epoch,
            members: v.members.clone(),
            spares: (0..s.p.nodes as usize).map(NodeId::from_index).filter(|n| !v.has(*n)).collect(),
            coordinator: v.coordinator(),
            points: v.points.clone(),
            changed: v.changed.clone(),
            keys,
        })
    }

    fn actions(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Vec<Action> {
        let Some(s) = newest(states) else { return Vec::new() };
        let v = &s.view;
        let coordinator = v.coordinator();
        let join = (0..s.p.nodes as usize).map(NodeId::from_index).filter(|n| !v.has(*n)).map(|n| Action {
            group: "join",
            label: Text::new("Add", "加入"),
            subject: n,
            node: coordinator,
            request: format!("join {}", n.0),
        });
        let leave = v.members.iter().filter(|&&n| n != coordinator).map(|&n| Action {
            group: "leave",
            label: Text::new("Remove", "移出"),
            subject: n,
            node: coordinator,
            request: format!("leave {}", n.0),
        });
        join.chain(leave).collect()
    }
}

/// Where each key stands in a rebalancing, from every live node's flags:
/// waiting while its old owner still has it, travelling once sent or while
/// its new owner expects it.
fn marks(states: &[Option<&RingNode>], keys: u32) -> Vec<KeyState> {
    let mut marks = vec![KeyState::Home; keys as usize];
    for st in states.iter().flatten().filter(|st| st.flagged > 0) {
        for k in 0..st.p.keys.min(keys) {
            let f = st.flag(k);
            let m = &mut marks[k as usize];
            if f & WAITING != 0 {
                *m = KeyState::Waiting;
            } else if f & (SENT | INCOMING) != 0 && *m == KeyState::Home {
                *m = KeyState::Travelling;
            }
        }
    }
    marks
}

/// The live node that knows the newest membership.
fn newest<'a>(states: &[Option<&'a RingNode>]) -> Option<&'a RingNode> {
    states.iter().flatten().copied().max_by_key(|s| (s.view.epoch, std::cmp::Reverse(s.me)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(scheme: SchemeName) -> Params {
        Params::new(&HashRingConfig { scheme, keys: 500, replicas: 2, ..HashRingConfig::default() }, 6)
    }

    #[test]
    fn a_join_and_a_leave_both_mark_the_arcs_that_changed_owner() {
        let p = params(SchemeName::Ring);
        let four: Vec<NodeId> = (1..=4).map(NodeId).collect();
        let five: Vec<NodeId> = (1..=5).map(NodeId).collect();
        let a = Membership::new(&HashRingConfig::default(), &p, 1, four.clone(), None, false);
        let joined = Membership::new(&HashRingConfig::default(), &p, 2, five, Some(&a), false);
        let left = Membership::new(&HashRingConfig::default(), &p, 3, four, Some(&joined), false);
        assert!(!joined.changed.is_empty() && !left.changed.is_empty());
        // Leaving undoes the join: the same arcs change owner back.
        assert_eq!(joined.changed.len(), left.changed.len());
        let moved = joined.change.as_ref().map(|c| c.moved).unwrap_or(0.0);
        assert!(moved > 0.1 && moved < 0.3, "a join moved {moved}");
    }

    #[test]
    fn requests_parse_and_bad_ones_say_what_is_accepted() {
        assert_eq!(HashRing::parse_request("get k7"), Ok(Request::Get(Some(7))));
        assert_eq!(HashRing::parse_request("put any 3"), Ok(Request::Put(None, 3)));
        assert_eq!(HashRing::parse_request("join S5"), Ok(Request::Join(5)));
        assert_eq!(HashRing::parse_request("leave 2"), Ok(Request::Leave(2)));
        for bad in ["", "get", "put k1", "put k1 -3", "put k1 99999999999", "set x 1", "join five"] {
            let e = HashRing::parse_request(bad).expect_err(bad);
            assert!(e.en.contains("get k7") && !e.zh_cn.is_empty(), "{bad}: {e}");
        }
    }
}
