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

mod config;
mod handlers;
mod membership;
mod messages;
mod monitor;
mod node;
mod views;

pub use config::{HashRingConfig, MAX_BATCH, MAX_DURATION, MAX_KEYS, MAX_RATE, MAX_REPLICAS, Params, SchemeName};
pub use membership::{Change, Membership};
pub use messages::{Answer, Ask, Entry, Msg, Op, Request, Timer};
pub use monitor::RingMonitor;
pub use node::{Ghost, RingNode, Role};

use crate::chunked::ChunkVec;
use crate::hashring::{self, Scheme};
use crate::ids::{NodeId, RequestId};
use crate::limits::KeyLimit;
use crate::protocol::{Cluster, ConfigIssue, Context, MessageKinds, Protocol, Reply, TimerKind, role_infos};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{
    Action, BreakSwitch, Clients, Figure, InvariantInfo, Label, MessageView, ProtocolInfo, ProtocolNodeView, Stage,
    Violation,
};
use config::MAX_VALUE;
use handlers::{
    adopt, after, answer_to, change_membership, ensure_tick, on_answer, on_tick, on_transfer, parse_key, parse_node,
    route, send_batch, serve,
};
use node::{INCOMING, Pending, SENT};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::LazyLock;

/// The consistent-hashing store.
#[derive(Clone, Debug)]
pub struct HashRing;

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

/// A time for a sentence, in seconds.
pub(super) fn ms(t: Micros) -> String {
    format!("{:.3} s", t.0 as f64 / 1e6)
}

/// Nodes for a sentence: `S1, S3`.
pub(super) fn node_list(ns: &[NodeId]) -> String {
    ns.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
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

    const LIMITS: &'static [KeyLimit<HashRingConfig>] = &[
        KeyLimit::count("vnodes", 1, hashring::MAX_VNODES as u64, |c| u64::from(c.vnodes)),
        KeyLimit::<HashRingConfig>::real("balance", 1.0, hashring::MAX_BALANCE, |c| c.balance)
            .because("below 1 the nodes cannot hold every key"),
        KeyLimit::count("replicas", 1, MAX_REPLICAS as u64, |c| u64::from(c.replicas)),
        KeyLimit::<HashRingConfig>::count("keys", 1, MAX_KEYS as u64, |c| u64::from(c.keys))
            .because("the `distlab ring` tables take more"),
        KeyLimit::real("transfer_keys_per_s", 0.1, MAX_RATE, |c| c.transfer_keys_per_s),
        KeyLimit::count("batch_keys", 1, MAX_BATCH as u64, |c| u64::from(c.batch_keys)),
        KeyLimit::ms("request_timeout_ms", Micros::from_ms(1), MAX_DURATION, |c| c.request_timeout),
        KeyLimit::ms("resend_ms", Micros::from_ms(1), MAX_DURATION, |c| c.resend),
    ];

    fn validate(c: &HashRingConfig, nodes: u32) -> Result<(), ConfigIssue> {
        let members = c.members.unwrap_or(nodes);
        if members == 0 || members > nodes {
            return Err(ConfigIssue {
                field: "members",
                message: format!("members = {members} is outside 1 to the {nodes} nodes of the scenario"),
            });
        }
        let p = Params::new(c, nodes);
        // The comparison figures build every scheme with these settings,
        // so vnodes and balance are checked whatever the scheme.
        let all = Scheme::Bounded { vnodes: c.vnodes, balance: c.balance };
        if let Err(t) = p.scheme.validate(nodes as usize, u64::from(c.keys)).and(all.validate(nodes as usize, 1)) {
            let field = if t.en.starts_with("balance") { "balance" } else { "vnodes" };
            return Err(ConfigIssue { field, message: t.en });
        }
        if c.replicas > members {
            return Err(ConfigIssue {
                field: "replicas",
                message: format!(
                    "replicas = {} is outside 1 to {}: each copy needs its own node and the ring starts with {members}",
                    c.replicas,
                    MAX_REPLICAS.min(members)
                ),
            });
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
        views::node_view(s, _c)
    }

    fn durable_view(s: &RingNode, c: &HashRingConfig) -> ProtocolNodeView {
        views::durable_view(s, c)
    }

    fn message_view(msg: &Msg) -> MessageView {
        views::message_view(msg)
    }

    fn figures(_c: &HashRingConfig, states: &[Option<&RingNode>], _now: Micros, _messages_sent: u64) -> Vec<Figure> {
        views::figures(_c, states, _now, _messages_sent)
    }

    fn stage(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Stage {
        views::stage(_c, states)
    }

    fn actions(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Vec<Action> {
        views::actions(_c, states)
    }
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
