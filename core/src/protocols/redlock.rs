//! Redlock: one lock over several independent lock servers (the algorithm
//! in the Redis documentation, and Kleppmann's 2016 critique of it).
//!
//! Nodes by number: S1 to S`servers` are lock servers that know nothing of
//! each other; every later node is a client. A client asks every server at
//! once, notes its own clock when it started, and waits for all answers (or
//! a short timeout). It holds the lock if a majority granted it and time is
//! left: validity = TTL - elapsed - drift allowance. It works while the
//! validity lasts, then releases on every server (also after a failed
//! attempt, so no server keeps a stray lease).
//!
//! Each server measures leases on its own clock. A clock that jumps forward
//! (the `clock_jump` command) ends a lease early on that server, so a second
//! client can win a majority while the first still believes it holds the
//! lock: the monitor checks, in global time, that no two clients hold it at
//! once. Break-it switches: a client settles for any single grant, or
//! ignores the time the acquisition took.

use super::fencing;
use crate::ids::{NodeId, RequestId};
use crate::limits::KeyLimit;
use crate::protocol::{
    Cluster, ConfigIssue, Context, MessageKinds, Obs, Protocol, Reply, RoleKind, TimerKind, role_infos,
};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{
    BreakSwitch, Clients, Field, InvariantInfo, Label, MessageView, ProtocolInfo, ProtocolNodeView, Stage, Value,
    Violation,
};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Redlock's settings, the `[config]` table of a `redlock` scenario.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedlockConfig {
    /// Lock servers (the first nodes); the rest are clients.
    pub servers: u32,
    /// Lease length on each server's clock.
    #[serde(rename = "ttl_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub ttl: Micros,
    /// Subtracted from the validity for clock drift between machines.
    #[serde(
        rename = "drift_allowance_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub drift_allowance: Micros,
    /// How long a client waits for the servers' answers.
    #[serde(
        rename = "acquire_timeout_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub acquire_timeout: Micros,
    /// How long a client works holding the lock (it stops early if the
    /// validity runs out first).
    #[serde(rename = "work_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub work: Micros,
    /// Pause between tries.
    #[serde(rename = "think_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub think: Micros,
    /// Longest random extra wait before a retry.
    #[serde(rename = "retry_jitter_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub retry_jitter: Micros,
    /// Break it: a client holds the lock after a single grant.
    pub break_majority: bool,
    /// Break it: a client takes the full TTL as validity, whatever the
    /// acquisition took.
    pub break_validity: bool,
}

impl Default for RedlockConfig {
    fn default() -> RedlockConfig {
        RedlockConfig {
            servers: 5,
            ttl: Micros::from_ms(200),
            drift_allowance: Micros::from_ms(5),
            acquire_timeout: Micros::from_ms(20),
            work: Micros::from_ms(100),
            think: Micros::from_ms(30),
            retry_jitter: Micros::from_ms(40),
            break_majority: false,
            break_validity: false,
        }
    }
}

/// Most lock servers.
pub const MAX_SERVERS: u32 = 15;
/// Most nodes in all.
pub const MAX_NODES: u32 = 40;

/// A lock server: one lease at a time, on its own clock.
#[derive(Clone, Debug, Default)]
pub struct LockServer {
    /// (holder, attempt, expiry on this server's clock).
    pub lease: Option<(NodeId, u64, Micros)>,
    /// Grants so far.
    pub grants: u64,
    /// No grants before this time: one TTL after a restart (the "delayed
    /// restart" the Redlock description asks for, since nothing persists).
    pub ready_at: Micros,
}

/// What a client is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Between tries.
    Thinking,
    /// Asked every server; collecting answers.
    Acquiring,
    /// Holds the lock.
    Holding,
}

/// A Redlock client.
#[derive(Clone, Debug)]
pub struct RedClient {
    /// What it is doing.
    pub phase: Phase,
    /// The current attempt's random value, the value Redlock stores in each
    /// key: answers to older attempts are ignored, and a restarted client
    /// cannot be mistaken for its former self.
    pub attempt: u64,
    /// When the attempt started, on its own clock.
    pub started: Micros,
    /// Servers that granted this attempt (bit per server).
    pub granted: u64,
    /// Servers that answered this attempt.
    pub answered: u64,
    /// When its validity ends, on its own clock.
    pub valid_until: Micros,
    /// When it became holder, on its own clock.
    pub held_since: Micros,
    /// Times it held the lock.
    pub acquired: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// When it began trying for the current hold (own clock).
    pub wanted_since: Option<Micros>,
    /// Total time from first try to holding, in microseconds.
    pub waited_us: u64,
    /// Each wait from first try to holding, by bucket.
    pub waits: fencing::Waits,
}

/// One node of a Redlock cluster.
#[derive(Clone, Debug)]
pub enum RedNode {
    /// A lock server.
    Server(LockServer),
    /// A client.
    Client(NodeId, RedClient),
}

/// What survives a crash: nothing (Redis without persistence).
#[derive(Clone, Debug)]
pub struct RedDurable;

/// A Redlock message.
#[derive(Clone, Debug, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// Client to server: lock for this attempt.
    Lock {
        /// The client's attempt.
        attempt: u64,
    },
    /// Server to client: granted or not.
    LockReply {
        /// The attempt answered.
        attempt: u64,
        /// Whether the lease was granted.
        ok: bool,
    },
    /// Client to server: release the lease of this attempt.
    Unlock {
        /// The attempt.
        attempt: u64,
    },
}

/// A client's timer.
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
    /// Time to try.
    #[strum(props(slot = 0))]
    Try,
    /// Stop waiting for answers.
    #[strum(props(slot = 0))]
    Deadline,
    /// Work is over (or the validity is): release.
    #[strum(props(slot = 0))]
    Done,
}

fn bit(server: NodeId) -> u64 {
    1u64 << (server.0 - 1)
}

/// The Redlock protocol.
#[derive(Clone, Copy, Debug)]
pub struct Redlock;

/// The invariant's name.
pub const LOCK_EXCLUSIVITY: &str = "Lock Exclusivity";

const INVARIANTS: &[InvariantInfo] = &[InvariantInfo {
    name: LOCK_EXCLUSIVITY,
    name_zh_cn: "锁互斥",
    source: "Redlock (Redis documentation); Kleppmann, 2016",
    rule: "No two clients hold the lock at the same moment.",
    rule_zh_cn: "任何时刻都不会有两个客户端同时持有锁。",
}];

const BREAK_SWITCHES: &[BreakSwitch] = &[
    BreakSwitch {
        key: "break_majority",
        effect: "A client holds the lock after a single server's grant.",
        effect_zh_cn: "客户端只要一台服务器同意就认为自己持有锁。",
        caught_by: LOCK_EXCLUSIVITY,
    },
    BreakSwitch {
        key: "break_validity",
        effect: "A client takes the full TTL as its validity, however long acquiring took.",
        effect_zh_cn: "客户端把完整的 TTL 当作有效期，不管获取锁花了多久。",
        caught_by: LOCK_EXCLUSIVITY,
    },
];

/// A node's role, as the legend shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// The lock server.
    #[strum(props(zh = "锁服务器", badge = "L", colour = 3))]
    Server,
    /// A client between tries.
    #[strum(props(zh = "空闲", badge = "T", colour = 1))]
    Thinking,
    /// A client asking the servers for the lock.
    #[strum(props(zh = "申请中", badge = "A", colour = 1))]
    Acquiring,
    /// A client holding the lock.
    #[strum(props(zh = "持有锁", badge = "H", colour = 2))]
    Holder,
}

static INFO: LazyLock<ProtocolInfo> = LazyLock::new(|| ProtocolInfo {
    name: "redlock",
    title: "Redlock",
    title_zh_cn: "Redlock",
    roles: role_infos::<Role>(),
    message_kinds: <Msg as MessageKinds>::KINDS,
    timers: <Timer as TimerKind>::NAMES,
    invariants: INVARIANTS,
    break_switches: BREAK_SWITCHES,
    request_examples: &[],
    clients: Clients::SelfDriving("Redlock clients", "Redlock 的客户端"),
    logs: false,
    labels: &[
        Label { key: "holder", en: "holder", zh_cn: "持有者" },
        Label { key: "expires_at_ms", en: "lease ends (ms)", zh_cn: "租约到期（毫秒）" },
        Label { key: "grants", en: "grants", zh_cn: "授予次数" },
        Label { key: "valid_until_ms", en: "valid until (ms)", zh_cn: "有效期至（毫秒）" },
        Label { key: "acquired", en: "times acquired", zh_cn: "获得次数" },
        Label { key: "failed", en: "tries failed", zh_cn: "失败次数" },
        Label { key: "attempt", en: "attempt", zh_cn: "尝试编号" },
        Label { key: "ok", en: "granted", zh_cn: "是否授予" },
        Label { key: "try", en: "try again", zh_cn: "重试" },
        Label { key: "deadline", en: "answer deadline", zh_cn: "等待期限" },
        Label { key: "done", en: "work done", zh_cn: "工作完成" },
        Label { key: "votes", en: "grants counted", zh_cn: "得到的授予" },
        Label { key: "role", en: "role", zh_cn: "角色" },
    ],
    family: &super::LOCKS,
    blurb: (
        "Redlock: a majority of independent lock servers, with a validity that subtracts elapsed time and drift.",
        "Redlock：多数独立锁服务器，有效期扣除已用时间和时钟漂移。",
    ),
});

/// The monitor: who holds the lock, until when, in global time.
#[derive(Clone, Debug, Default)]
pub struct RedMonitor {
    /// (client, acquisition count, global end of its validity).
    holders: Vec<(NodeId, u64, Micros)>,
    reported: bool,
}

fn ms(t: Micros) -> String {
    format!("{:.3} ms", t.0 as f64 / 1000.0)
}

impl RedClient {
    fn start(&mut self, p: &RedlockConfig, cx: &mut Context<'_, Redlock>) {
        // Random, as in Redlock (a counter would repeat after a restart
        // and match a lease the client's former self still has).
        self.attempt = cx.rng().next_u64() >> 16;
        self.phase = Phase::Acquiring;
        self.started = cx.now();
        self.wanted_since.get_or_insert(cx.now());
        self.granted = 0;
        self.answered = 0;
        for s in 1..=p.servers {
            cx.send(NodeId(s), Msg::Lock { attempt: self.attempt });
        }
        cx.set_timer(Timer::Deadline, p.acquire_timeout);
    }

    /// All answers are in, or the deadline passed: hold or give up.
    fn decide(&mut self, p: &RedlockConfig, cx: &mut Context<'_, Redlock>) {
        let votes = self.granted.count_ones();
        let enough = if p.break_majority { votes >= 1 } else { votes > p.servers / 2 };
        let elapsed = if p.break_validity { 0 } else { cx.now().0.saturating_sub(self.started.0) };
        let validity = p.ttl.0.saturating_sub(elapsed).saturating_sub(p.drift_allowance.0);
        if enough && validity > 0 {
            self.phase = Phase::Holding;
            self.acquired += 1;
            if let Some(since) = self.wanted_since.take() {
                self.waited_us += cx.now().0.saturating_sub(since.0);
                self.waits.record(cx.now().0.saturating_sub(since.0));
            }
            self.held_since = cx.now();
            self.valid_until = cx.now().saturating_add(Micros(validity));
            cx.observe("votes", Obs::Int(i64::from(votes)));
            cx.set_timer(Timer::Done, Micros(p.work.0.min(validity)));
        } else {
            self.failed += 1;
            self.release(p, cx);
        }
    }

    fn release(&mut self, p: &RedlockConfig, cx: &mut Context<'_, Redlock>) {
        for s in 1..=p.servers {
            cx.send(NodeId(s), Msg::Unlock { attempt: self.attempt });
        }
        self.phase = Phase::Thinking;
        let wait = p.think.0 + cx.rng().range_inclusive(0, p.retry_jitter.0);
        cx.set_timer(Timer::Try, Micros(wait));
    }
}

impl Protocol for Redlock {
    fn switch<'c>(c: &'c mut RedlockConfig, key: &str) -> Option<&'c mut bool> {
        match key {
            "break_majority" => Some(&mut c.break_majority),
            "break_validity" => Some(&mut c.break_validity),
            _ => None,
        }
    }

    type Config = RedlockConfig;
    type State = RedNode;
    type Durable = RedDurable;
    type Msg = Msg;
    type Timer = Timer;
    type Role = Role;
    type Request = ();
    type Monitor = RedMonitor;
    type Ghost = ();

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    const LIMITS: &'static [KeyLimit<RedlockConfig>] = &[
        KeyLimit::count("servers", 1, MAX_SERVERS as u64, |c| u64::from(c.servers)),
        fencing::positive_ms("ttl_ms", |c| c.ttl),
        fencing::any_ms("drift_allowance_ms", |c| c.drift_allowance),
        fencing::positive_ms("acquire_timeout_ms", |c| c.acquire_timeout),
        fencing::positive_ms("work_ms", |c| c.work),
        fencing::positive_ms("think_ms", |c| c.think),
        fencing::any_ms("retry_jitter_ms", |c| c.retry_jitter),
    ];

    fn validate(c: &RedlockConfig, nodes: u32) -> Result<(), ConfigIssue> {
        if nodes < c.servers + 1 || nodes > MAX_NODES {
            return Err(ConfigIssue {
                field: "nodes",
                message: format!(
                    "Redlock with {} servers needs {} to {MAX_NODES} nodes (the servers, then at least one client), got {nodes}",
                    c.servers,
                    c.servers + 1
                ),
            });
        }
        Ok(())
    }

    fn init(me: NodeId, _peers: &[NodeId], cx: &mut Context<'_, Self>) -> RedNode {
        let p = cx.config();
        if me.0 <= p.servers {
            return RedNode::Server(LockServer::default());
        }
        let first = Micros(u64::from(me.0 - p.servers - 1) * 2_000 + cx.rng().range_inclusive(0, 1_000));
        cx.set_timer(Timer::Try, first);
        RedNode::Client(
            me,
            RedClient {
                phase: Phase::Thinking,
                attempt: 0,
                started: Micros::ZERO,
                granted: 0,
                answered: 0,
                valid_until: Micros::ZERO,
                held_since: Micros::ZERO,
                acquired: 0,
                failed: 0,
                wanted_since: None,
                waited_us: 0,
                waits: fencing::Waits::default(),
            },
        )
    }

    fn on_message(s: &mut RedNode, from: NodeId, msg: Msg, cx: &mut Context<'_, Self>) {
        let now = cx.now();
        let p = cx.config();
        match s {
            RedNode::Server(sv) => match msg {
                Msg::Lock { attempt } => {
                    if sv.lease.is_some_and(|(_, _, until)| now >= until) {
                        sv.lease = None;
                    }
                    let ok = match sv.lease {
                        None if now < sv.ready_at => false,
                        None => {
                            sv.lease = Some((from, attempt, now.saturating_add(p.ttl)));
                            sv.grants += 1;
                            true
                        }
                        Some((holder, a, _)) => holder == from && a == attempt,
                    };
                    cx.send(from, Msg::LockReply { attempt, ok });
                }
                Msg::Unlock { attempt } => {
                    if sv.lease.is_some_and(|(holder, a, _)| holder == from && a == attempt) {
                        sv.lease = None;
                    }
                }
                Msg::LockReply { .. } => {}
            },
            RedNode::Client(_, c) => {
                if let Msg::LockReply { attempt, ok } = msg
                    && attempt == c.attempt
                    && c.phase == Phase::Acquiring
                {
                    c.answered |= bit(from);
                    if ok {
                        c.granted |= bit(from);
                    }
                    if c.answered.count_ones() == p.servers {
                        cx.cancel_timer(Timer::Deadline);
                        c.decide(p, cx);
                    }
                }
            }
        }
    }

    fn on_timer(s: &mut RedNode, _timer: Timer, cx: &mut Context<'_, Self>) {
        let RedNode::Client(_, c) = s else { return };
        let p = cx.config();
        // One timer slot: whichever fires is the current phase's timeout (a
        // "time out now" naming another timer must not strand the client).
        let timer = match c.phase {
            Phase::Thinking => Timer::Try,
            Phase::Acquiring => Timer::Deadline,
            Phase::Holding => Timer::Done,
        };
        match (timer, c.phase) {
            (Timer::Try, Phase::Thinking) => c.start(p, cx),
            (Timer::Deadline, Phase::Acquiring) => c.decide(p, cx),
            (Timer::Done, Phase::Holding) => c.release(p, cx),
            _ => {}
        }
    }

    fn on_request(_s: &mut RedNode, id: RequestId, _r: (), cx: &mut Context<'_, Self>) {
        cx.reply(id, Reply::Failed(fencing::no_requests(INFO.clients).en));
    }

    fn durable(_s: &RedNode, _c: &RedlockConfig) -> RedDurable {
        RedDurable
    }

    fn on_restart(me: NodeId, peers: &[NodeId], _d: RedDurable, cx: &mut Context<'_, Self>) -> RedNode {
        // A restarted server has forgotten its lease (no persistence), so it
        // grants nothing for one TTL: any lease it gave has run out by then.
        let mut node = Self::init(me, peers, cx);
        if let RedNode::Server(sv) = &mut node {
            sv.ready_at = cx.now().saturating_add(cx.config().ttl);
        }
        node
    }

    fn parse_request(_text: &str) -> Result<(), Text> {
        Err(fencing::no_requests(INFO.clients))
    }

    fn new_monitor(_config: &RedlockConfig, _nodes: usize) -> RedMonitor {
        RedMonitor::default()
    }

    fn check(
        m: &mut RedMonitor,
        cluster: &dyn Cluster<Self>,
        touched: NodeId,
        _ghosts: &[()],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        let Some(RedNode::Client(me, c)) = cluster.state(touched) else { return };
        let known = m.holders.iter().position(|(n, _, _)| n == me);
        match (c.phase, known) {
            // Released (or gave up): no longer a holder.
            (Phase::Thinking | Phase::Acquiring, Some(i)) => {
                m.holders.remove(i);
            }
            // A new acquisition: its validity in global time.
            (Phase::Holding, None) => {
                let until = now.saturating_add(Micros(c.valid_until.0.saturating_sub(c.held_since.0)));
                if let Some(&(other, _, other_until)) = m.holders.iter().find(|(_, _, u)| now < *u)
                    && !m.reported
                {
                    m.reported = true;
                    out.push(Violation {
                        invariant: LOCK_EXCLUSIVITY,
                        time_us: now.0,
                        message: Text::new(
                            format!(
                                "{LOCK_EXCLUSIVITY}: {me} acquired the lock at {} with {} grants while {other} still \
                                 held it (valid until {}).",
                                ms(now),
                                c.granted.count_ones(),
                                ms(other_until)
                            ),
                            format!(
                                "锁互斥：{me} 在 {} 凭 {} 个授权拿到了锁，而 {other} 仍然持有它（有效期到 {}）。",
                                ms(now),
                                c.granted.count_ones(),
                                ms(other_until)
                            ),
                        ),
                        nodes: vec![*me, other],
                        messages: Vec::new(),
                    });
                }
                m.holders.push((*me, c.acquired, until));
            }
            _ => {}
        }
    }

    fn role(s: &RedNode) -> Role {
        match s {
            RedNode::Server(..) => Role::Server,
            RedNode::Client(_, c) => match c.phase {
                Phase::Thinking => Role::Thinking,
                Phase::Acquiring => Role::Acquiring,
                Phase::Holding => Role::Holder,
            },
        }
    }

    fn node_view(s: &RedNode, p: &RedlockConfig) -> ProtocolNodeView {
        let (headline, fields) = match s {
            RedNode::Server(sv) => {
                let (en, zh) = match sv.lease {
                    Some((holder, _, _)) => (format!("lent to {holder}"), format!("借给 {holder}")),
                    None => ("free".to_string(), "空闲".to_string()),
                };
                (
                    Text::new(en, zh),
                    vec![
                        Field { name: "holder", value: Value::from(sv.lease.map(|(h, _, _)| h.to_string())) },
                        Field {
                            name: "expires_at_ms",
                            value: sv
                                .lease
                                .map_or(Value::None, |(_, _, u)| Value::from(format!("{:.3}", u.0 as f64 / 1000.0))),
                        },
                        Field { name: "grants", value: Value::from(sv.grants) },
                    ],
                )
            }
            RedNode::Client(_, c) => {
                let votes = c.granted.count_ones();
                let (en, zh) = match c.phase {
                    Phase::Holding => {
                        (format!("holds ({votes}/{})", p.servers), format!("持有（{votes}/{}）", p.servers))
                    }
                    Phase::Acquiring => {
                        (format!("{votes}/{} granted", p.servers), format!("已获 {votes}/{}", p.servers))
                    }
                    Phase::Thinking => ("no lock".to_string(), "未持锁".to_string()),
                };
                (
                    Text::new(en, zh),
                    vec![
                        Field { name: "grants", value: Value::from(u64::from(votes)) },
                        Field {
                            name: "valid_until_ms",
                            value: if c.phase == Phase::Holding {
                                Value::from(format!("{:.3}", c.valid_until.0 as f64 / 1000.0))
                            } else {
                                Value::None
                            },
                        },
                        Field { name: "acquired", value: Value::from(c.acquired) },
                        Field { name: "failed", value: Value::from(c.failed) },
                    ],
                )
            }
        };
        ProtocolNodeView {
            role: Self::role(s).key(),
            headline,
            fields,
            log: Vec::new(),
            store: Vec::new(),
            store_title: None,
        }
    }

    fn durable_view(_d: &RedDurable, _c: &<Self as Protocol>::Config) -> ProtocolNodeView {
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
        let (summary, fields) = match *msg {
            Msg::Lock { attempt } => {
                (format!("lock, attempt {attempt}"), vec![Field { name: "attempt", value: Value::from(attempt) }])
            }
            Msg::LockReply { attempt, ok } => (
                format!("attempt {attempt}: {}", if ok { "granted" } else { "refused" }),
                vec![
                    Field { name: "attempt", value: Value::from(attempt) },
                    Field { name: "ok", value: Value::from(if ok { "yes" } else { "no" }) },
                ],
            ),
            Msg::Unlock { attempt } => {
                (format!("unlock, attempt {attempt}"), vec![Field { name: "attempt", value: Value::from(attempt) }])
            }
        };
        MessageView { kind, summary, fields, tag: None }
    }

    fn stage(p: &RedlockConfig, states: &[Option<&RedNode>]) -> Stage {
        let mut clients = Vec::new();
        let servers = p.servers as usize;
        for (i, st) in states.iter().enumerate() {
            let id = NodeId::from_index(i);
            match st {
                Some(s @ RedNode::Client(_, c)) => {
                    let holding = c.phase == Phase::Holding;
                    clients.push(crate::view::LockClient {
                        id,
                        role: Self::role(s).key(),
                        token: None,
                        lease_end_us: holding.then_some(c.valid_until.0),
                        place: None,
                        tries: u32::from(c.phase == Phase::Acquiring),
                        acquired: c.acquired,
                    });
                }
                Some(RedNode::Server(_)) => {}
                // Crashed servers are not clients.
                None if i < servers => {}
                None => clients.push(fencing::crashed_client(id)),
            }
        }
        Stage::Locks(crate::view::LockView {
            clients: fencing::board_order(clients),
            lease_us: p.ttl.0,
            resource: None,
        })
    }

    fn figures(
        _c: &RedlockConfig,
        states: &[Option<&RedNode>],
        now: Micros,
        messages_sent: u64,
    ) -> Vec<crate::view::Figure> {
        let clients: Vec<(u64, u64, fencing::Waits)> = states
            .iter()
            .flatten()
            .filter_map(|s| match s {
                RedNode::Client(_, c) => Some((c.acquired, c.waited_us, c.waits)),
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
        let ok = RedlockConfig::default();
        assert_eq!(Redlock::check_config(&ok, 7), Ok(()));
        for (c, nodes, field) in [
            (RedlockConfig { servers: 0, ..ok.clone() }, 7, "servers"),
            (RedlockConfig { servers: 99, ..ok.clone() }, 7, "servers"),
            (ok.clone(), 5, "nodes"),
            (RedlockConfig { ttl: Micros::ZERO, ..ok.clone() }, 7, "ttl_ms"),
            (RedlockConfig { acquire_timeout: Micros::from_ms(3_600_000), ..ok.clone() }, 7, "acquire_timeout_ms"),
        ] {
            let issue = Redlock::check_config(&c, nodes).expect_err(field);
            assert_eq!(issue.field, field, "{issue:?}");
        }
    }
}
