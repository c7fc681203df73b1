//! A ZooKeeper-style queue lock (the "lock" recipe of the ZooKeeper
//! documentation), and the herd effect of its naive variant.
//!
//! Nodes by number: S1 is the coordination service (ZooKeeper, shown as one
//! node; its state survives crashes as a replicated ensemble's would), the
//! last node is the storage, every node between is a client. A client opens
//! a session kept alive by heartbeats, creates an ephemeral sequential node
//! under the lock, and reads the children: the lowest sequence number holds
//! the lock. Every other client watches only its predecessor, so a release
//! wakes exactly one client (fair, first come first served). In the naive
//! variant (`watch_all = true`) every waiting client watches the whole lock
//! node, and each release wakes all of them to read the children again: the
//! herd effect. A session that misses heartbeats expires and its node goes
//! away, which is how a crashed (or paused) holder loses the lock. The
//! sequence number is the fencing token; the storage refuses older tokens.

use super::fencing::{self, FenceWatch, Storage};
use crate::ids::{NodeId, RequestId};
use crate::limits::KeyLimit;
use crate::protocol::{
    Cluster, ConfigIssue, Context, MessageKinds, Obs, Protocol, Reply, RoleKind, TimerKind, role_infos,
};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{Clients, Field, Label, MessageView, ProtocolInfo, ProtocolNodeView, Stage, Value, Violation};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The queue lock's settings, the `[config]` table of a `queue_lock` scenario.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueLockConfig {
    /// A session expires after this long without a heartbeat.
    #[serde(
        rename = "session_timeout_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub session_timeout: Micros,
    /// Gap between a client's heartbeats.
    #[serde(rename = "heartbeat_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub heartbeat: Micros,
    /// How long a client works holding the lock, before it writes.
    #[serde(rename = "work_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub work: Micros,
    /// Pause between a release and the next request.
    #[serde(rename = "think_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub think: Micros,
    /// The naive variant: every waiting client watches the whole lock node.
    pub watch_all: bool,
    /// Break it: the storage accepts any token.
    pub break_fencing_check: bool,
}

impl Default for QueueLockConfig {
    fn default() -> QueueLockConfig {
        QueueLockConfig {
            session_timeout: Micros::from_ms(100),
            heartbeat: Micros::from_ms(30),
            work: Micros::from_ms(20),
            think: Micros::from_ms(40),
            watch_all: false,
            break_fencing_check: false,
        }
    }
}

/// Most nodes.
pub const MAX_NODES: u32 = 40;

/// The coordination service.
#[derive(Clone, Debug, Default)]
pub struct Coordinator {
    /// The lock's children: (sequence number, owner), in order.
    pub queue: Vec<(u64, NodeId)>,
    /// The next sequence number.
    pub next_seq: u64,
    /// Live sessions: (client, last heartbeat on the coordinator's clock).
    pub sessions: Vec<(NodeId, Micros)>,
    /// Watches: (watcher, the sequence number watched; 0 = the whole lock).
    pub watches: Vec<(NodeId, u64)>,
    /// Notifications sent so far.
    pub notifications: u64,
    /// Sessions expired so far.
    pub expired: u64,
}

/// What a client is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Between tries.
    Thinking,
    /// Asked to join the queue.
    Joining,
    /// In the queue, waiting for its turn.
    Waiting,
    /// Holds the lock and works.
    Working,
    /// Sent its write.
    Wrote,
}

/// A lock client.
#[derive(Clone, Debug)]
pub struct QClient {
    /// What it is doing.
    pub phase: Phase,
    /// Its sequence number in the queue (its fencing token once it holds).
    pub seq: Option<u64>,
    /// Times it held the lock.
    pub acquired: u64,
    /// When it started waiting (own clock), and its total wait.
    pub waiting_since: Micros,
    /// Total time spent waiting, in microseconds.
    pub waited_us: u64,
    /// Each wait, by bucket.
    pub waits: fencing::Waits,
    /// Messages it sent and received while waiting (the herd's cost).
    pub wait_messages: u64,
    /// Writes the storage refused.
    pub refused: u64,
    /// Whether it has a session (it heartbeats while it does).
    pub in_session: bool,
    /// When it last asked for the children (own clock).
    pub last_poll: Micros,
}

/// One node of a queue-lock cluster.
#[derive(Clone, Debug)]
pub enum QNode {
    /// S1.
    Coordinator(Coordinator),
    /// A client (its own id, the storage's id).
    Client(NodeId, NodeId, QClient),
    /// The last node.
    Storage(Storage),
}

/// What survives a crash: the coordinator's state (replicated in a real
/// ensemble), the storage; nothing of a client.
#[derive(Clone, Debug)]
pub enum QDurable {
    /// The coordinator.
    Coordinator(Coordinator),
    /// A client.
    Client,
    /// The storage.
    Storage(Storage),
}

/// A queue-lock message.
#[derive(Clone, Debug, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// Client: create my ephemeral sequential node.
    Create,
    /// Coordinator: created, with this sequence number.
    Created {
        /// Sequence number.
        seq: u64,
    },
    /// Client: list the lock's children.
    GetChildren,
    /// Coordinator: the children's sequence numbers, in order.
    Children {
        /// Sequence numbers.
        seqs: Vec<u64>,
    },
    /// Client: tell me when node `seq` goes away; with `all`, when any
    /// child does (the naive variant; `seq` is then the node just ahead,
    /// and if it is already gone the watch fires at once).
    Watch {
        /// The node watched (or the one just ahead).
        seq: u64,
        /// Watch the whole lock node.
        all: bool,
    },
    /// Coordinator: a watched node went away.
    Changed {
        /// The node that went away.
        seq: u64,
    },
    /// Client: delete my node (release).
    Delete {
        /// Sequence number.
        seq: u64,
    },
    /// Client: my session is alive, and this is the node I own
    /// ([`NOTHING`] none, [`JOINING`] one on its way).
    Heartbeat {
        /// The client's node.
        owns: u64,
    },
    /// Coordinator: your session had expired.
    SessionExpired,
    /// Client to storage: write with this token.
    Write {
        /// Fencing token.
        token: u64,
    },
    /// Storage: accepted or refused.
    WriteAck {
        /// Token.
        token: u64,
        /// Whether accepted.
        accepted: bool,
    },
}

/// Timers.
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
    /// Client: try to take the lock.
    #[strum(props(slot = 0))]
    Ask,
    /// Client: work done, write.
    #[strum(props(slot = 0))]
    Work,
    /// Client: send a heartbeat.
    #[strum(props(slot = 1))]
    Heartbeat,
    /// Coordinator: look for expired sessions.
    #[strum(props(slot = 0))]
    Sweep,
}

/// The queue-lock protocol.
#[derive(Clone, Copy, Debug)]
pub struct QueueLock;

/// A node's role, as the legend shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Coordinates the others.
    #[strum(props(zh = "协调服务", badge = "Z", colour = 3))]
    Coordinator,
    /// The storage the clients write to.
    #[strum(props(zh = "存储", badge = "R", colour = 0))]
    Storage,
    /// A client between tries.
    #[strum(props(zh = "空闲", badge = "T", colour = 1))]
    Thinking,
    /// A client waiting for the lock.
    #[strum(props(zh = "排队中", badge = "W", colour = 1))]
    Waiting,
    /// A client holding the lock.
    #[strum(props(zh = "持有锁", badge = "H", colour = 2))]
    Holder,
}

static INFO: LazyLock<ProtocolInfo> = LazyLock::new(|| ProtocolInfo {
    name: "queue_lock",
    title: "Queue lock (ZooKeeper recipe)",
    title_zh_cn: "队列锁（ZooKeeper 做法）",
    roles: role_infos::<Role>(),
    message_kinds: <Msg as MessageKinds>::KINDS,
    timers: <Timer as TimerKind>::NAMES,
    invariants: &[fencing::FENCED_WRITES_INFO],
    break_switches: &[fencing::NO_FENCING_CHECK],
    request_examples: &[],
    clients: Clients::SelfDriving("queue-lock clients", "队列锁的客户端"),
    logs: false,
    labels: &[
        Label { key: "queue", en: "queue", zh_cn: "队列" },
        Label { key: "sessions", en: "sessions", zh_cn: "会话数" },
        Label { key: "watches", en: "watches", zh_cn: "监听数" },
        Label { key: "notifications", en: "notifications sent", zh_cn: "已发通知" },
        Label { key: "expired_sessions", en: "sessions expired", zh_cn: "过期会话" },
        Label { key: "seq", en: "sequence number", zh_cn: "序号" },
        Label { key: "acquired", en: "times acquired", zh_cn: "获得次数" },
        Label { key: "mean_wait_ms", en: "mean wait (ms)", zh_cn: "平均等待（毫秒）" },
        Label { key: "wait_messages", en: "messages while waiting", zh_cn: "等待期间的消息" },
        Label { key: "refused", en: "refused", zh_cn: "被拒次数" },
        Label { key: "seqs", en: "sequence numbers", zh_cn: "序号列表" },
        Label { key: "accepted", en: "accepted", zh_cn: "已接受" },
        Label { key: "rejected", en: "refused", zh_cn: "已拒绝" },
        Label { key: "max_token", en: "highest token", zh_cn: "最大令牌" },
        Label { key: "fencing", en: "fencing check", zh_cn: "令牌检查" },
        Label { key: "token", en: "token", zh_cn: "令牌" },
        Label { key: "ask", en: "ask", zh_cn: "请求" },
        Label { key: "work", en: "work", zh_cn: "工作" },
        Label { key: "heartbeat", en: "heartbeat", zh_cn: "心跳" },
        Label { key: "sweep", en: "session sweep", zh_cn: "会话清理" },
        Label { key: "role", en: "role", zh_cn: "角色" },
    ],
    family: &super::LOCKS,
    blurb: (
        "The ZooKeeper recipe: sessions, ephemeral sequential nodes and watches form a fair queue.",
        "ZooKeeper 的做法：会话、临时顺序节点和监听组成一个公平队列。",
    ),
});

const COORDINATOR: NodeId = NodeId(1);
/// A heartbeat's `owns` when the client has no node.
pub const NOTHING: u64 = 0;
/// A heartbeat's `owns` while the client's create is on its way.
pub const JOINING: u64 = u64::MAX;

impl Coordinator {
    /// Removes `seq` from the queue and tells its watchers.
    fn remove(&mut self, seq: u64, cx: &mut Context<'_, QueueLock>) {
        let Some(i) = self.queue.iter().position(|(s, _)| *s == seq) else { return };
        self.queue.remove(i);
        // One-shot watches: on this node, or on the whole lock.
        let (fire, keep): (Vec<_>, Vec<_>) = self.watches.iter().partition(|(_, w)| *w == seq || *w == 0);
        self.watches = keep;
        for (who, _) in fire {
            self.notifications += 1;
            cx.send(who, Msg::Changed { seq });
        }
    }

    /// Ends `client`'s session: its node goes away.
    fn expire(&mut self, client: NodeId, cx: &mut Context<'_, QueueLock>) {
        self.sessions.retain(|(c, _)| *c != client);
        self.watches.retain(|(c, _)| *c != client);
        self.expired += 1;
        let mine: Vec<u64> = self.queue.iter().filter(|(_, c)| *c == client).map(|(s, _)| *s).collect();
        for s in mine {
            self.remove(s, cx);
        }
    }
}

impl QClient {
    fn join(&mut self, p: &QueueLockConfig, cx: &mut Context<'_, QueueLock>) {
        self.phase = Phase::Joining;
        self.seq = None;
        self.waiting_since = cx.now();
        cx.send(COORDINATOR, Msg::Create);
        // The heartbeat loop also repeats a create that got lost.
        if !self.in_session {
            self.in_session = true;
            cx.set_timer(Timer::Heartbeat, p.heartbeat);
        }
    }

    fn give_up(&mut self, p: &QueueLockConfig, cx: &mut Context<'_, QueueLock>) {
        self.phase = Phase::Thinking;
        self.seq = None;
        cx.set_timer(Timer::Ask, p.think);
    }
}

impl Protocol for QueueLock {
    fn switch<'c>(c: &'c mut QueueLockConfig, key: &str) -> Option<&'c mut bool> {
        match key {
            "break_fencing_check" => Some(&mut c.break_fencing_check),
            _ => None,
        }
    }

    type Config = QueueLockConfig;
    type State = QNode;
    type Durable = QDurable;
    type Msg = Msg;
    type Timer = Timer;
    type Role = Role;
    type Request = ();
    type Monitor = FenceWatch;
    type Ghost = ();

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    const LIMITS: &'static [KeyLimit<QueueLockConfig>] = &[
        fencing::positive_ms("session_timeout_ms", |c| c.session_timeout),
        fencing::positive_ms("heartbeat_ms", |c| c.heartbeat),
        fencing::positive_ms("work_ms", |c| c.work),
        fencing::positive_ms("think_ms", |c| c.think),
    ];

    fn validate(c: &QueueLockConfig, nodes: u32) -> Result<(), ConfigIssue> {
        if !(3..=MAX_NODES).contains(&nodes) {
            return Err(ConfigIssue {
                field: "nodes",
                message: format!(
                    "a queue lock needs 3 to {MAX_NODES} nodes (the coordinator, at least one client, the storage), got {nodes}"
                ),
            });
        }
        if c.heartbeat >= c.session_timeout {
            return Err(ConfigIssue {
                field: "heartbeat_ms",
                message: format!(
                    "heartbeat_ms = {} must be below session_timeout_ms = {}, or every session expires",
                    c.heartbeat.ms_text(),
                    c.session_timeout.ms_text()
                ),
            });
        }
        Ok(())
    }

    fn init(me: NodeId, peers: &[NodeId], cx: &mut Context<'_, Self>) -> QNode {
        let p = cx.config();
        let last = NodeId(peers.len() as u32 + 1);
        if me == COORDINATOR {
            cx.set_timer(Timer::Sweep, p.heartbeat);
            QNode::Coordinator(Coordinator { next_seq: 1, ..Coordinator::default() })
        } else if me == last {
            QNode::Storage(Storage::default())
        } else {
            let first = Micros(u64::from(me.0 - 2) * 500 + cx.rng().range_inclusive(0, 300));
            cx.set_timer(Timer::Ask, first);
            QNode::Client(
                me,
                last,
                QClient {
                    phase: Phase::Thinking,
                    seq: None,
                    acquired: 0,
                    waiting_since: Micros::ZERO,
                    waited_us: 0,
                    waits: fencing::Waits::default(),
                    wait_messages: 0,
                    refused: 0,
                    in_session: false,
                    last_poll: Micros::ZERO,
                },
            )
        }
    }

    fn on_message(s: &mut QNode, from: NodeId, msg: Msg, cx: &mut Context<'_, Self>) {
        let now = cx.now();
        let p = cx.config();
        match s {
            QNode::Coordinator(z) => {
                let alive = z.sessions.iter().any(|(c, _)| *c == from);
                match msg {
                    Msg::Heartbeat { owns } => {
                        if let Some(sess) = z.sessions.iter_mut().find(|(c, _)| *c == from) {
                            sess.1 = now;
                            // Nodes the client no longer owns (a lost delete,
                            // a former incarnation's) go away, so nobody waits
                            // behind them.
                            if owns != JOINING {
                                let stale: Vec<u64> =
                                    z.queue.iter().filter(|(s, c)| *c == from && *s != owns).map(|(s, _)| *s).collect();
                                for s in stale {
                                    z.remove(s, cx);
                                }
                            }
                        } else if owns != JOINING {
                            // (A joining client's create is on its way and
                            // opens the session.)
                            cx.send(from, Msg::SessionExpired);
                        }
                    }
                    Msg::Create => {
                        // A new session starts with the first create.
                        if !alive {
                            z.sessions.push((from, now));
                        }
                        // A client has one node at a time: a repeated create
                        // (its answer was lost, or a duplicate) gets the same.
                        let seq = match z.queue.iter().find(|(_, c)| *c == from) {
                            Some(&(seq, _)) => seq,
                            None => {
                                let seq = z.next_seq;
                                z.next_seq += 1;
                                z.queue.push((seq, from));
                                seq
                            }
                        };
                        cx.send(from, Msg::Created { seq });
                    }
                    _ if !alive => cx.send(from, Msg::SessionExpired),
                    Msg::GetChildren => {
                        cx.send(from, Msg::Children { seqs: z.queue.iter().map(|(s, _)| *s).collect() });
                    }
                    Msg::Watch { seq, all } => {
                        if !z.queue.iter().any(|(s, _)| *s == seq) {
                            // Already gone: fire at once.
                            z.notifications += 1;
                            cx.send(from, Msg::Changed { seq });
                        } else {
                            // A repeated watch (asked again after a loss) is one watch.
                            let w = (from, if all { 0 } else { seq });
                            if !z.watches.contains(&w) {
                                z.watches.push(w);
                            }
                        }
                    }
                    Msg::Delete { seq } if z.queue.iter().any(|(s, c)| *s == seq && *c == from) => z.remove(seq, cx),
                    _ => {}
                }
            }
            QNode::Storage(st) => {
                if let Msg::Write { token } = msg {
                    let accepted = st.write(from, token, token, !p.break_fencing_check, cx);
                    cx.send(from, Msg::WriteAck { token, accepted });
                }
            }
            QNode::Client(_, _, c) => {
                if matches!(c.phase, Phase::Joining | Phase::Waiting) {
                    c.wait_messages += 1;
                }
                match msg {
                    Msg::Created { seq } if c.phase == Phase::Joining => {
                        c.seq = Some(seq);
                        c.phase = Phase::Waiting;
                        c.last_poll = now;
                        cx.send(COORDINATOR, Msg::GetChildren);
                        c.wait_messages += 1;
                    }
                    Msg::Children { seqs } if c.phase == Phase::Waiting => {
                        let Some(me) = c.seq else { return };
                        if !seqs.contains(&me) {
                            // My node is gone (the session expired): start over.
                            c.give_up(p, cx);
                        } else if seqs.first() == Some(&me) {
                            c.phase = Phase::Working;
                            c.acquired += 1;
                            c.waited_us += now.0.saturating_sub(c.waiting_since.0);
                            c.waits.record(now.0.saturating_sub(c.waiting_since.0));
                            cx.observe("token", Obs::Int(me as i64));
                            cx.set_timer(Timer::Work, p.work);
                        } else {
                            let before = seqs.iter().take_while(|s| **s < me).last().copied().unwrap_or(0);
                            cx.send(COORDINATOR, Msg::Watch { seq: before, all: p.watch_all });
                            c.wait_messages += 1;
                        }
                    }
                    Msg::Changed { .. } if c.phase == Phase::Waiting => {
                        c.last_poll = now;
                        cx.send(COORDINATOR, Msg::GetChildren);
                        c.wait_messages += 1;
                    }
                    Msg::WriteAck { token, accepted } if c.phase == Phase::Wrote && c.seq == Some(token) => {
                        if !accepted {
                            c.refused += 1;
                        }
                        cx.send(COORDINATOR, Msg::Delete { seq: token });
                        c.give_up(p, cx);
                    }
                    Msg::SessionExpired => {
                        // Whatever it was doing, its node is gone. (A holder
                        // that was paused learns it only now, after its write.)
                        c.in_session = false;
                        cx.cancel_timer(Timer::Heartbeat);
                        if c.phase != Phase::Thinking {
                            c.give_up(p, cx);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn on_timer(s: &mut QNode, timer: Timer, cx: &mut Context<'_, Self>) {
        let now = cx.now();
        let p = cx.config();
        match s {
            // The coordinator's only timer is the sweep (whatever is forced).
            QNode::Coordinator(z) => {
                let late: Vec<NodeId> = z
                    .sessions
                    .iter()
                    .filter(|(_, t)| now.0.saturating_sub(t.0) > p.session_timeout.0)
                    .map(|(c, _)| *c)
                    .collect();
                for c in late {
                    z.expire(c, cx);
                }
                cx.set_timer(Timer::Sweep, p.heartbeat);
            }
            QNode::Client(_, storage, c) => {
                // Slot 0 holds the phase's timer, whichever name fires.
                let timer = match (timer, c.phase) {
                    (Timer::Heartbeat, _) => Timer::Heartbeat,
                    (_, Phase::Thinking) => Timer::Ask,
                    (_, Phase::Working) => Timer::Work,
                    (other, _) => other,
                };
                match timer {
                    Timer::Ask if c.phase == Phase::Thinking => c.join(p, cx),
                    Timer::Work if c.phase == Phase::Working => {
                        c.phase = Phase::Wrote;
                        cx.send(*storage, Msg::Write { token: c.seq.unwrap_or(0) });
                    }
                    Timer::Heartbeat if c.in_session => {
                        let owns = match c.phase {
                            Phase::Thinking => NOTHING,
                            Phase::Joining => JOINING,
                            _ => c.seq.unwrap_or(NOTHING),
                        };
                        // Whatever was lost on the way is asked again with the
                        // heartbeat: every request here is safe to repeat (a
                        // repeated create gets the same node).
                        if c.phase == Phase::Joining {
                            cx.send(COORDINATOR, Msg::Create);
                        }
                        cx.send(COORDINATOR, Msg::Heartbeat { owns });
                        match c.phase {
                            // Quiet for a session timeout: perhaps a reply or a
                            // watch was lost; look again.
                            Phase::Waiting if now.0.saturating_sub(c.last_poll.0) > p.session_timeout.0 => {
                                c.last_poll = now;
                                cx.send(COORDINATOR, Msg::GetChildren);
                            }
                            Phase::Wrote => cx.send(*storage, Msg::Write { token: c.seq.unwrap_or(0) }),
                            _ => {}
                        }
                        cx.set_timer(Timer::Heartbeat, p.heartbeat);
                    }
                    _ => {}
                }
            }
            QNode::Storage(..) => {}
        }
    }

    fn on_request(_s: &mut QNode, id: RequestId, _r: (), cx: &mut Context<'_, Self>) {
        cx.reply(id, Reply::Failed(fencing::no_requests(INFO.clients).en));
    }

    fn durable(s: &QNode, _c: &QueueLockConfig) -> QDurable {
        match s {
            QNode::Coordinator(z) => QDurable::Coordinator(z.clone()),
            QNode::Client(..) => QDurable::Client,
            QNode::Storage(st) => QDurable::Storage(st.clone()),
        }
    }

    fn on_restart(me: NodeId, peers: &[NodeId], d: QDurable, cx: &mut Context<'_, Self>) -> QNode {
        let mut node = Self::init(me, peers, cx);
        match (&mut node, d) {
            (QNode::Coordinator(z), QDurable::Coordinator(kept)) => {
                // Sessions get a fresh grace period, as after a leader change.
                *z = kept;
                let now = cx.now();
                for s in &mut z.sessions {
                    s.1 = now;
                }
            }
            (QNode::Storage(st), QDurable::Storage(kept)) => *st = kept,
            _ => {}
        }
        node
    }

    fn parse_request(_text: &str) -> Result<(), Text> {
        Err(fencing::no_requests(INFO.clients))
    }

    fn new_monitor(_config: &QueueLockConfig, _nodes: usize) -> FenceWatch {
        FenceWatch::default()
    }

    fn check(
        m: &mut FenceWatch,
        cluster: &dyn Cluster<Self>,
        touched: NodeId,
        _ghosts: &[()],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        if let Some(QNode::Storage(st)) = cluster.state(touched) {
            m.check(st, touched, now, |_| None, out);
        }
    }

    fn role(s: &QNode) -> Role {
        match s {
            QNode::Coordinator(..) => Role::Coordinator,
            QNode::Storage(..) => Role::Storage,
            QNode::Client(_, _, c) => match c.phase {
                Phase::Thinking => Role::Thinking,
                Phase::Joining | Phase::Waiting => Role::Waiting,
                Phase::Working | Phase::Wrote => Role::Holder,
            },
        }
    }

    fn node_view(s: &QNode, p: &QueueLockConfig) -> ProtocolNodeView {
        let (headline, fields, store) = match s {
            QNode::Coordinator(z) => {
                let queue: Vec<String> = z.queue.iter().map(|(s, c)| format!("{s}:{c}")).collect();
                (
                    Text::new(format!("queue {}", z.queue.len()), format!("队列 {}", z.queue.len())),
                    vec![
                        Field { name: "queue", value: Value::from(queue.join(" ")) },
                        Field { name: "sessions", value: Value::from(z.sessions.len() as u64) },
                        Field { name: "watches", value: Value::from(z.watches.len() as u64) },
                        Field { name: "notifications", value: Value::from(z.notifications) },
                        Field { name: "expired_sessions", value: Value::from(z.expired) },
                    ],
                    Vec::new(),
                )
            }
            QNode::Client(_, _, c) => {
                let (en, zh) = match (c.phase, c.seq) {
                    (Phase::Working | Phase::Wrote, Some(s)) => (format!("token {s}"), format!("令牌 {s}")),
                    (Phase::Waiting, Some(s)) => (format!("#{s} in line"), format!("排队 #{s}")),
                    _ => ("no lock".to_string(), "未持锁".to_string()),
                };
                let mean_wait = if c.acquired == 0 { 0.0 } else { c.waited_us as f64 / c.acquired as f64 / 1000.0 };
                (
                    Text::new(en, zh),
                    vec![
                        Field { name: "seq", value: c.seq.map_or(Value::None, Value::from) },
                        Field { name: "acquired", value: Value::from(c.acquired) },
                        Field { name: "mean_wait_ms", value: Value::from(format!("{mean_wait:.1}")) },
                        Field { name: "wait_messages", value: Value::from(c.wait_messages) },
                        Field { name: "refused", value: Value::from(c.refused) },
                    ],
                    Vec::new(),
                )
            }
            QNode::Storage(st) => (st.headline(), st.fields(!p.break_fencing_check), st.rows()),
        };
        let store_title = matches!(s, QNode::Storage(..)).then(fencing::store_title);
        ProtocolNodeView { role: Self::role(s).key(), headline, fields, log: Vec::new(), store, store_title }
    }

    fn durable_view(_d: &QDurable, _c: &<Self as Protocol>::Config) -> ProtocolNodeView {
        ProtocolNodeView {
            role: crate::view::CRASHED,
            headline: Text::new("down", "宕机"),
            fields: Vec::new(),
            log: Vec::new(),
            store: Vec::new(),
            store_title: None,
        }
    }

    fn message_view(msg: &Msg) -> MessageView {
        let kind = Msg::KINDS[msg.kind() as usize];
        let int = |name: &'static str, v: u64| Field { name, value: Value::from(v) };
        let (summary, fields) = match msg {
            Msg::Create => ("create my node under /lock".to_string(), Vec::new()),
            Msg::Created { seq } => (format!("created /lock/{seq}"), vec![int("seq", *seq)]),
            Msg::GetChildren => ("list /lock".to_string(), Vec::new()),
            Msg::Children { seqs } => {
                let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
                (
                    format!("children: {}", list.join(", ")),
                    vec![Field { name: "seqs", value: Value::from(list.join(" ")) }],
                )
            }
            Msg::Watch { seq, all: true } => (format!("watch all of /lock (ahead: {seq})"), vec![int("seq", *seq)]),
            Msg::Watch { seq, all: false } => (format!("watch /lock/{seq}"), vec![int("seq", *seq)]),
            Msg::Changed { seq } => (format!("/lock/{seq} is gone"), vec![int("seq", *seq)]),
            Msg::Delete { seq } => (format!("delete /lock/{seq}"), vec![int("seq", *seq)]),
            Msg::Heartbeat { owns } => ("session heartbeat".to_string(), vec![int("owns", *owns)]),
            Msg::SessionExpired => ("your session expired".to_string(), Vec::new()),
            Msg::Write { token } => (format!("write with token {token}"), vec![int("token", *token)]),
            Msg::WriteAck { token, accepted } => (
                format!("write with token {token} {}", if *accepted { "accepted" } else { "refused: stale token" }),
                vec![
                    int("token", *token),
                    Field { name: "accepted", value: Value::from(if *accepted { "yes" } else { "no" }) },
                ],
            ),
        };
        let tag = match msg {
            Msg::Write { token } | Msg::WriteAck { token, .. } => Some(format!("#{token}")),
            _ => None,
        };
        MessageView { kind, summary, fields, tag }
    }

    fn stage(p: &QueueLockConfig, states: &[Option<&QNode>]) -> Stage {
        let n = states.len();
        // The queue as the coordinator has it: place by sequence number.
        let queue: Vec<(u64, NodeId)> = match states.first() {
            Some(Some(QNode::Coordinator(z))) => {
                let mut q = z.queue.clone();
                q.sort_unstable();
                q
            }
            _ => Vec::new(),
        };
        let mut clients = Vec::new();
        let mut resource = None;
        for (i, st) in states.iter().enumerate() {
            let id = NodeId::from_index(i);
            match st {
                Some(s @ QNode::Client(_, _, c)) => {
                    let place = queue.iter().position(|&(_, owner)| owner == id).map(|p| p as u32 + 1);
                    let holding = matches!(c.phase, Phase::Working | Phase::Wrote);
                    clients.push(crate::view::LockClient {
                        id,
                        role: Self::role(s).key(),
                        token: if holding { c.seq } else { None },
                        lease_end_us: None,
                        place,
                        tries: 0,
                        acquired: c.acquired,
                    });
                }
                Some(QNode::Storage(st)) => resource = Some(fencing::board_resource(id, st, !p.break_fencing_check)),
                Some(QNode::Coordinator(..)) => {}
                None if i > 0 && i + 1 < n => clients.push(fencing::crashed_client(id)),
                None => {}
            }
        }
        Stage::Locks(crate::view::LockView { clients: fencing::board_order(clients), lease_us: 0, resource })
    }

    fn figures(
        _c: &QueueLockConfig,
        states: &[Option<&QNode>],
        now: Micros,
        messages_sent: u64,
    ) -> Vec<crate::view::Figure> {
        let clients: Vec<(u64, u64, fencing::Waits)> = states
            .iter()
            .flatten()
            .filter_map(|s| match s {
                QNode::Client(_, _, c) => Some((c.acquired, c.waited_us, c.waits)),
                _ => None,
            })
            .collect();
        fencing::lock_figures(&clients, now, messages_sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_settings_are_refused_naming_the_field() {
        let ok = QueueLockConfig::default();
        assert_eq!(QueueLock::check_config(&ok, 5), Ok(()));
        for (c, nodes, field) in [
            (ok.clone(), 2, "nodes"),
            (QueueLockConfig { session_timeout: Micros::ZERO, ..ok.clone() }, 5, "session_timeout_ms"),
            (QueueLockConfig { heartbeat: Micros::from_ms(200), ..ok.clone() }, 5, "heartbeat_ms"),
            (QueueLockConfig { work: Micros::from_ms(3_600_000), ..ok.clone() }, 5, "work_ms"),
        ] {
            assert_eq!(QueueLock::check_config(&c, nodes).expect_err(field).field, field);
        }
    }
}
