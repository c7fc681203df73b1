//! A lease lock in the style of Redis `SET key value NX PX ttl`, with
//! fencing tokens (Kleppmann, "How to do distributed locking", 2016).
//!
//! Nodes by number: S1 is the lock server, the last node is the resource
//! (a storage service), every node between is a client. A client asks for
//! the lock, retries with exponential backoff and jitter while another holds
//! it, works for a while, checks that its lease is still valid, writes to
//! the resource with its fencing token, and releases the lock (the server
//! releases only for the holder of that token). The server grants a lease
//! of `ttl_ms` on its own clock with the next token of a counter that
//! survives crashes; after a restart it waits one TTL before granting, so a
//! lease it forgot has run out. The resource keeps the highest token it
//! accepted and refuses older ones.
//!
//! The gap between a client's lease check and its write going out
//! (`check_to_write_ms`) is where a GC pause (the `pause` command) or a
//! slow network turns a valid lease into a stale write: without the
//! resource's token check that write is accepted after a newer holder's.
//!
//! Break-it switches: the resource skips the token check; the server
//! forgets its lease on restart and grants at once; the server releases
//! without checking who asks. The monitor checks two properties in global
//! time: the server never grants a lease while another client's is still
//! running, and the resource never accepts a write older than one it has
//! accepted.

use super::fencing::{self, Storage};
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

/// The lease lock's settings, the `[config]` table of a `lease_lock` scenario.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeaseLockConfig {
    /// How long a granted lease lasts on the server's clock.
    #[serde(rename = "ttl_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub ttl: Micros,
    /// How long a client works while holding the lock, before it writes.
    #[serde(rename = "work_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub work: Micros,
    /// Between a client's lease check and its write going out (where a
    /// GC pause can land).
    #[serde(
        rename = "check_to_write_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub check_to_write: Micros,
    /// A client writes only if its lease has at least this long left.
    #[serde(rename = "safety_margin_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub safety_margin: Micros,
    /// Pause between a client's release and its next request.
    #[serde(rename = "think_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub think: Micros,
    /// First retry delay after a busy answer (doubles up to `retry_max_ms`).
    #[serde(rename = "retry_min_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub retry_min: Micros,
    /// Longest retry delay.
    #[serde(rename = "retry_max_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub retry_max: Micros,
    /// The first fencing token the server hands out.
    pub first_token: u64,
    /// Break it: the resource accepts any token.
    pub break_fencing_check: bool,
    /// Break it: after a restart the server grants at once, forgetting the
    /// lease it had given out.
    pub break_forget_on_restart: bool,
    /// Break it: the server releases the lock whoever asks.
    pub break_release_owner_check: bool,
}

impl Default for LeaseLockConfig {
    fn default() -> LeaseLockConfig {
        LeaseLockConfig {
            ttl: Micros::from_ms(100),
            work: Micros::from_ms(20),
            check_to_write: Micros::from_ms(2),
            safety_margin: Micros::from_ms(10),
            think: Micros::from_ms(30),
            retry_min: Micros::from_ms(5),
            retry_max: Micros::from_ms(80),
            first_token: 1,
            break_fencing_check: false,
            break_forget_on_restart: false,
            break_release_owner_check: false,
        }
    }
}

const MAX_FIRST_TOKEN: u64 = 1 << 40;
/// Nodes: one server, one resource, and up to this many minus two clients.
pub const MAX_NODES: u32 = 32;

/// A lease the server gave out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it.
    pub client: NodeId,
    /// Its fencing token.
    pub token: u64,
    /// When it ends, on the server's clock.
    pub expires: Micros,
}

/// The lock server.
#[derive(Clone, Debug)]
pub struct Server {
    /// The current lease, if any (it may have run out: checked on use).
    pub lease: Option<Lease>,
    /// The next token (survives crashes).
    pub next_token: u64,
    /// No grants before this time (one TTL after a restart).
    pub ready_at: Micros,
    /// Grants so far, and the last one (client, token), for the monitor.
    pub grants: u64,
    /// The last grant.
    pub last_grant: Option<(NodeId, u64)>,
    /// Releases so far, and the last one: (token released, asked by).
    pub releases: u64,
    /// The last release.
    pub last_release: Option<(u64, NodeId)>,
}

/// What a client is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Between tries.
    Thinking,
    /// Asked for the lock (attempt number).
    Waiting(u32),
    /// Holds the lock and works.
    Working,
    /// Checked the lease; the write goes out when the gap ends.
    Writing,
    /// Sent the write; waits for the resource's answer.
    Wrote,
}

/// A lock client.
#[derive(Clone, Debug)]
pub struct Client {
    /// What it is doing.
    pub phase: Phase,
    /// Its token while it holds (or believes it holds) the lock.
    pub token: Option<u64>,
    /// Its lease runs out at this time on its own clock (from when it asked).
    pub valid_until: Micros,
    /// When it last asked.
    pub asked_at: Micros,
    /// Writes it made.
    pub writes: u64,
    /// Writes the resource refused.
    pub refused: u64,
    /// Leases it gave up without writing (found them run out).
    pub lost: u64,
    /// Leases it got.
    pub acquired: u64,
    /// When it began trying for the current lease (own clock).
    pub wanted_since: Micros,
    /// Total time from first ask to grant, in microseconds.
    pub waited_us: u64,
    /// Each wait from first ask to grant, by bucket.
    pub waits: fencing::Waits,
}

/// What a node is.
#[derive(Clone, Debug)]
pub enum Kind {
    /// S1.
    Server(Server),
    /// S2 to the second-to-last.
    Client(Client),
    /// The last node: the storage.
    Resource(Storage),
}

/// One node of a lease-lock cluster.
#[derive(Clone, Debug)]
pub struct LockNode {
    me: NodeId,
    server: NodeId,
    resource: NodeId,
    /// What it is.
    pub kind: Kind,
}

/// What survives a crash: the server's token counter; the resource's
/// storage; nothing of a client.
#[derive(Clone, Debug)]
pub enum LockDurable {
    /// The server's next token.
    Server(u64),
    /// A client keeps nothing.
    Client,
    /// The storage.
    Resource(Storage),
}

/// A lease-lock message.
#[derive(Clone, Debug, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// Client to server: may I have the lock? (`nonce`: when it asked, on
    /// its own clock, so an answer to an older ask is recognised.)
    Acquire {
        /// Echoed in the answer.
        nonce: u64,
    },
    /// Server to client: yes, with this token, for this long.
    Granted {
        /// Fencing token.
        token: u64,
        /// Lease length.
        ttl_us: u64,
        /// The ask this answers.
        nonce: u64,
    },
    /// Server to client: someone else holds it.
    Busy {
        /// The ask this answers.
        nonce: u64,
    },
    /// Client to server: I am done with this token.
    Release {
        /// The token.
        token: u64,
    },
    /// Server to client: released (or not: not yours).
    Released {
        /// The token.
        token: u64,
        /// Whether it was released.
        ok: bool,
    },
    /// Client to resource: write this value, with this token.
    Write {
        /// Fencing token.
        token: u64,
        /// The value.
        value: u64,
    },
    /// Resource to client: accepted or refused.
    WriteAck {
        /// The token.
        token: u64,
        /// Whether it was accepted.
        accepted: bool,
    },
}

/// A client's timer (one slot: a client does one thing at a time).
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
    /// Time to ask (again).
    #[strum(props(slot = 0))]
    Ask,
    /// Work is done: check the lease.
    #[strum(props(slot = 0))]
    Work,
    /// The gap after the check: send the write.
    #[strum(props(slot = 0))]
    Write,
    /// No answer came: give up waiting.
    #[strum(props(slot = 0))]
    Patience,
}

impl LockNode {
    fn new(p: &LeaseLockConfig, me: NodeId, peers: &[NodeId]) -> LockNode {
        let n = peers.len() as u32 + 1;
        let (server, resource) = (NodeId(1), NodeId(n));
        let kind = if me == server {
            Kind::Server(Server {
                lease: None,
                next_token: p.first_token,
                ready_at: Micros::ZERO,
                grants: 0,
                last_grant: None,
                releases: 0,
                last_release: None,
            })
        } else if me == resource {
            Kind::Resource(Storage::default())
        } else {
            Kind::Client(Client {
                phase: Phase::Thinking,
                token: None,
                valid_until: Micros::ZERO,
                asked_at: Micros::ZERO,
                writes: 0,
                refused: 0,
                lost: 0,
                acquired: 0,
                wanted_since: Micros::ZERO,
                waited_us: 0,
                waits: fencing::Waits::default(),
            })
        };
        LockNode { me, server, resource, kind }
    }

    fn ask(c: &mut Client, server: NodeId, attempt: u32, cx: &mut Context<'_, LeaseLock>) {
        if attempt == 1 {
            c.wanted_since = cx.now();
        }
        c.phase = Phase::Waiting(attempt);
        c.asked_at = cx.now();
        cx.send(server, Msg::Acquire { nonce: c.asked_at.0 });
    }
}

/// The lease-lock protocol.
#[derive(Clone, Copy, Debug)]
pub struct LeaseLock;

/// Invariant names, as violations report them.
pub mod invariant {
    /// The server never grants while another lease runs.
    pub const LEASE_EXCLUSIVITY: &str = "Lease Exclusivity";
    /// The resource never accepts a write older than one it accepted.
    pub use crate::protocols::fencing::FENCED_WRITES;
}

const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: invariant::LEASE_EXCLUSIVITY,
        name_zh_cn: "租约互斥",
        source: "lease locks (Gray and Cheriton, 1989)",
        rule: "The server never grants the lock while another client's lease is still running.",
        rule_zh_cn: "在另一个客户端的租约仍然有效时，服务器绝不会再授予锁。",
    },
    fencing::FENCED_WRITES_INFO,
];

const BREAK_SWITCHES: &[BreakSwitch] = &[
    fencing::NO_FENCING_CHECK,
    BreakSwitch {
        key: "break_forget_on_restart",
        effect: "A restarted lock server grants at once, forgetting the lease it gave out.",
        effect_zh_cn: "锁服务器重启后立即授予锁，忘记了它发出的租约。",
        caught_by: invariant::LEASE_EXCLUSIVITY,
    },
    BreakSwitch {
        key: "break_release_owner_check",
        effect: "The lock server releases the lock whoever asks, even a client whose lease ran out.",
        effect_zh_cn: "锁服务器谁来释放都照办，即使那个客户端的租约早已过期。",
        caught_by: invariant::LEASE_EXCLUSIVITY,
    },
];

/// A node's role, as the legend shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// The lock server.
    #[strum(props(zh = "锁服务器", badge = "L", colour = 3))]
    Server,
    /// The storage the clients write to.
    #[strum(props(zh = "存储", badge = "R", colour = 0))]
    Resource,
    /// A client between tries.
    #[strum(props(zh = "空闲", badge = "T", colour = 1))]
    Thinking,
    /// A client waiting for the lock.
    #[strum(props(zh = "等待锁", badge = "W", colour = 1))]
    Waiting,
    /// A client holding the lock.
    #[strum(props(zh = "持有锁", badge = "H", colour = 2))]
    Holder,
}

static INFO: LazyLock<ProtocolInfo> = LazyLock::new(|| ProtocolInfo {
    name: "lease_lock",
    title: "Lease lock",
    title_zh_cn: "租约锁",
    roles: role_infos::<Role>(),
    message_kinds: <Msg as MessageKinds>::KINDS,
    timers: <Timer as TimerKind>::NAMES,
    invariants: INVARIANTS,
    break_switches: BREAK_SWITCHES,
    request_examples: &[],
    clients: Clients::SelfDriving("lease-lock clients", "租约锁的客户端"),
    logs: false,
    labels: &[
        Label { key: "holder", en: "holder", zh_cn: "持有者" },
        Label { key: "token", en: "token", zh_cn: "令牌" },
        Label { key: "expires_at_ms", en: "lease ends (ms)", zh_cn: "租约到期（毫秒）" },
        Label { key: "next_token", en: "next token", zh_cn: "下一个令牌" },
        Label { key: "grants", en: "grants", zh_cn: "授予次数" },
        Label { key: "valid_until_ms", en: "valid until (ms)", zh_cn: "有效期至（毫秒）" },
        Label { key: "writes", en: "writes", zh_cn: "写入次数" },
        Label { key: "refused", en: "refused", zh_cn: "被拒次数" },
        Label { key: "lost_leases", en: "leases lost", zh_cn: "失去租约次数" },
        Label { key: "max_token", en: "highest token", zh_cn: "最大令牌" },
        Label { key: "ttl_ms", en: "TTL (ms)", zh_cn: "租期（毫秒）" },
        Label { key: "ok", en: "granted", zh_cn: "是否授予" },
        Label { key: "value", en: "value", zh_cn: "写入值" },
        Label { key: "accepted", en: "accepted", zh_cn: "已接受" },
        Label { key: "rejected", en: "refused", zh_cn: "已拒绝" },
        Label { key: "fencing", en: "fencing check", zh_cn: "令牌检查" },
        Label { key: "ask", en: "ask again", zh_cn: "重新请求" },
        Label { key: "work", en: "work", zh_cn: "工作" },
        Label { key: "write", en: "write", zh_cn: "写入" },
        Label { key: "patience", en: "patience", zh_cn: "等待上限" },
        Label { key: "checked", en: "lease checked", zh_cn: "租约检查通过" },
        Label { key: "granted", en: "lease granted", zh_cn: "租约已授予" },
        Label { key: "role", en: "role", zh_cn: "角色" },
    ],
    family: &super::LOCKS,
    blurb: (
        "One lock server hands out leases with fencing tokens; the storage can refuse stale writes.",
        "一台锁服务器发放带防护令牌的租约；存储可以拒绝过期的写入。",
    ),
});

/// What the monitor remembers of a grant, in global time.
#[derive(Copy, Clone, Debug)]
struct Grant {
    client: NodeId,
    token: u64,
    at: Micros,
    until: Micros,
}

/// The monitor's ghost state.
#[derive(Clone, Debug, Default)]
pub struct LockMonitor {
    /// How long a lease lasts.
    ttl: Micros,
    grants_seen: u64,
    releases_seen: u64,
    /// The lease running now (ended early by its owner's release).
    current: Option<Grant>,
    /// Leases by token, to name the stale writer's lease end.
    history: Vec<Grant>,
    reported: bool,
    /// The storage's side.
    fences: fencing::FenceWatch,
}

fn ms(t: Micros) -> String {
    format!("{:.3} ms", t.0 as f64 / 1000.0)
}

impl LockMonitor {
    fn check(&mut self, cluster: &dyn Cluster<LeaseLock>, touched: NodeId, now: Micros, out: &mut Vec<Violation>) {
        let Some(node) = cluster.state(touched) else { return };
        match &node.kind {
            Kind::Server(s) => {
                if s.releases != self.releases_seen {
                    self.releases_seen = s.releases;
                    if let (Some((token, by)), Some(g)) = (s.last_release, self.current)
                        && g.token == token
                        && g.client == by
                    {
                        self.current = None;
                    }
                }
                if s.grants != self.grants_seen {
                    self.grants_seen = s.grants;
                    let Some((client, token)) = s.last_grant else { return };
                    let grant = Grant { client, token, at: now, until: now.saturating_add(self.ttl) };
                    if let Some(g) = self.current
                        && now < g.until
                        && g.client != client
                        && !self.reported
                    {
                        self.reported = true;
                        let name = invariant::LEASE_EXCLUSIVITY;
                        out.push(Violation {
                            invariant: name,
                            time_us: now.0,
                            message: Text::new(
                                format!(
                                    "{name}: the server granted the lock to {client} (token {token}) at {} while {}'s \
                                     lease (token {}, granted at {}) ran until {}.",
                                    ms(now),
                                    g.client,
                                    g.token,
                                    ms(g.at),
                                    ms(g.until)
                                ),
                                format!(
                                    "租约互斥：服务器在 {} 把锁授予了 {client}（令牌 {token}），而 {} 的租约（令牌 {}，\
                                     {} 授予）要到 {} 才结束。",
                                    ms(now),
                                    g.client,
                                    g.token,
                                    ms(g.at),
                                    ms(g.until)
                                ),
                            ),
                            nodes: vec![touched, g.client, client],
                            messages: Vec::new(),
                        });
                    }
                    // A re-sent grant of the same lease changes nothing.
                    if self.current.is_none_or(|g| g.token != token) {
                        self.current = Some(grant);
                        if self.history.len() >= 64 {
                            self.history.remove(0);
                        }
                        self.history.push(grant);
                    }
                }
            }
            Kind::Resource(r) => {
                let history = &self.history;
                let lease_end = |w: &fencing::Write| history.iter().find(|g| g.token == w.token).map(|g| g.until);
                self.fences.check(r, touched, now, lease_end, out);
            }
            Kind::Client(_) => {}
        }
    }
}

impl Protocol for LeaseLock {
    fn switch<'c>(c: &'c mut LeaseLockConfig, key: &str) -> Option<&'c mut bool> {
        match key {
            "break_fencing_check" => Some(&mut c.break_fencing_check),
            "break_forget_on_restart" => Some(&mut c.break_forget_on_restart),
            "break_release_owner_check" => Some(&mut c.break_release_owner_check),
            _ => None,
        }
    }

    type Config = LeaseLockConfig;
    type State = LockNode;
    type Durable = LockDurable;
    type Msg = Msg;
    type Timer = Timer;
    type Role = Role;
    type Request = ();
    type Monitor = LockMonitor;
    type Ghost = ();

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    const LIMITS: &'static [KeyLimit<LeaseLockConfig>] = &[
        fencing::positive_ms("ttl_ms", |c| c.ttl),
        fencing::any_ms("work_ms", |c| c.work),
        fencing::any_ms("check_to_write_ms", |c| c.check_to_write),
        fencing::any_ms("safety_margin_ms", |c| c.safety_margin),
        fencing::positive_ms("think_ms", |c| c.think),
        fencing::positive_ms("retry_min_ms", |c| c.retry_min),
        fencing::positive_ms("retry_max_ms", |c| c.retry_max),
        KeyLimit::count("first_token", 0, MAX_FIRST_TOKEN, |c| c.first_token),
    ];

    fn validate(c: &LeaseLockConfig, nodes: u32) -> Result<(), ConfigIssue> {
        if !(3..=MAX_NODES).contains(&nodes) {
            return Err(ConfigIssue {
                field: "nodes",
                message: format!(
                    "a lease lock needs 3 to {MAX_NODES} nodes (a server, at least one client, a resource), got {nodes}"
                ),
            });
        }
        if c.retry_max < c.retry_min {
            return Err(ConfigIssue {
                field: "retry_max_ms",
                message: format!(
                    "retry_max_ms = {} is below retry_min_ms = {}",
                    c.retry_max.ms_text(),
                    c.retry_min.ms_text()
                ),
            });
        }
        if c.safety_margin >= c.ttl {
            return Err(ConfigIssue {
                field: "safety_margin_ms",
                message: format!(
                    "safety_margin_ms = {} must be below ttl_ms = {}, or no client ever writes",
                    c.safety_margin.ms_text(),
                    c.ttl.ms_text()
                ),
            });
        }
        Ok(())
    }

    fn init(me: NodeId, peers: &[NodeId], cx: &mut Context<'_, Self>) -> LockNode {
        let node = LockNode::new(cx.config(), me, peers);
        if let Kind::Client(_) = node.kind {
            // Clients start a little apart, in node order, with jitter.
            let first = Micros(u64::from(me.0 - 2) * 1_000 + cx.rng().range_inclusive(0, 500));
            cx.set_timer(Timer::Ask, first);
        }
        node
    }

    fn on_message(s: &mut LockNode, from: NodeId, msg: Msg, cx: &mut Context<'_, Self>) {
        let p = cx.config();
        let server = s.server;
        let now = cx.now();
        match &mut s.kind {
            Kind::Server(sv) => match msg {
                Msg::Acquire { nonce } => {
                    if sv.lease.is_some_and(|l| now >= l.expires) {
                        sv.lease = None;
                    }
                    match sv.lease {
                        _ if now < sv.ready_at => cx.send(from, Msg::Busy { nonce }),
                        // A repeated ask from the holder (its grant was lost): the same lease again.
                        Some(l) if l.client == from => {
                            cx.send(from, Msg::Granted { token: l.token, ttl_us: l.expires.0 - now.0, nonce })
                        }
                        Some(_) => cx.send(from, Msg::Busy { nonce }),
                        None => {
                            let token = sv.next_token;
                            sv.next_token += 1;
                            sv.lease = Some(Lease { client: from, token, expires: now.saturating_add(p.ttl) });
                            sv.grants += 1;
                            sv.last_grant = Some((from, token));
                            cx.observe("granted", Obs::Int(token as i64));
                            cx.send(from, Msg::Granted { token, ttl_us: p.ttl.0, nonce });
                        }
                    }
                }
                Msg::Release { token } => {
                    let mine = sv.lease.is_some_and(|l| l.client == from && l.token == token);
                    let ok = sv.lease.is_some() && (mine || p.break_release_owner_check);
                    if ok {
                        sv.lease = None;
                        sv.releases += 1;
                        sv.last_release = Some((token, from));
                    }
                    cx.send(from, Msg::Released { token, ok });
                }
                _ => {}
            },
            Kind::Resource(r) => {
                if let Msg::Write { token, value } = msg {
                    let accepted = r.write(from, token, value, !p.break_fencing_check, cx);
                    cx.send(from, Msg::WriteAck { token, accepted });
                }
            }
            Kind::Client(c) => match msg {
                Msg::Granted { token, ttl_us, nonce }
                    if matches!(c.phase, Phase::Waiting(_)) && nonce == c.asked_at.0 =>
                {
                    // The lease is counted from when the client sent this very
                    // ask (answers to older asks are ignored): the grant left
                    // the server later, so this errs safe.
                    c.token = Some(token);
                    c.valid_until = c.asked_at.saturating_add(Micros(ttl_us));
                    c.phase = Phase::Working;
                    c.acquired += 1;
                    c.waited_us += now.0.saturating_sub(c.wanted_since.0);
                    c.waits.record(now.0.saturating_sub(c.wanted_since.0));
                    cx.observe("token", Obs::Int(token as i64));
                    cx.set_timer(Timer::Work, p.work);
                }
                Msg::Busy { nonce } => {
                    if let Phase::Waiting(attempt) = c.phase
                        && nonce == c.asked_at.0
                    {
                        let wait = s_backoff(p, attempt, cx);
                        c.phase = Phase::Waiting(attempt + 1);
                        cx.set_timer(Timer::Ask, wait);
                    }
                }
                Msg::WriteAck { token, accepted } if c.phase == Phase::Wrote && c.token == Some(token) => {
                    if !accepted {
                        c.refused += 1;
                    }
                    cx.send(server, Msg::Release { token });
                    c.token = None;
                    c.phase = Phase::Thinking;
                    cx.set_timer(Timer::Ask, p.think);
                }
                _ => {}
            },
        }
    }

    fn on_timer(s: &mut LockNode, timer: Timer, cx: &mut Context<'_, Self>) {
        let p = cx.config();
        let (server, resource, me) = (s.server, s.resource, s.me);
        let Kind::Client(c) = &mut s.kind else { return };
        let now = cx.now();
        // A client has one timer at a time (one slot), so whichever fires is
        // its current phase's timeout; a "time out now" naming another timer
        // means that one too, instead of leaving the client without a timer.
        let timer = match (timer, c.phase) {
            (_, Phase::Thinking) => Timer::Ask,
            (Timer::Ask, Phase::Waiting(_)) => Timer::Ask,
            (_, Phase::Waiting(_)) | (_, Phase::Wrote) => Timer::Patience,
            (_, Phase::Working) => Timer::Work,
            (_, Phase::Writing) => Timer::Write,
        };
        match (timer, c.phase) {
            (Timer::Ask, Phase::Thinking) => {
                LockNode::ask(c, server, 1, cx);
                cx.set_timer(Timer::Patience, p.retry_max.max(p.ttl));
            }
            (Timer::Ask, Phase::Waiting(attempt)) => {
                LockNode::ask(c, server, attempt, cx);
                cx.set_timer(Timer::Patience, p.retry_max.max(p.ttl));
            }
            (Timer::Patience, Phase::Waiting(attempt)) => {
                // No answer (lost on the way): ask again after a backoff.
                let wait = s_backoff(p, attempt, cx);
                c.phase = Phase::Waiting(attempt + 1);
                cx.set_timer(Timer::Ask, wait);
            }
            (Timer::Work, Phase::Working) => {
                // The check: is there still time left on the lease?
                if now.saturating_add(p.safety_margin) < c.valid_until {
                    c.phase = Phase::Writing;
                    cx.observe("checked", Obs::Int(c.token.unwrap_or(0) as i64));
                    cx.set_timer(Timer::Write, p.check_to_write);
                } else {
                    c.lost += 1;
                    c.token = None;
                    c.phase = Phase::Thinking;
                    cx.set_timer(Timer::Ask, p.think);
                }
            }
            (Timer::Write, Phase::Writing) => {
                // No second look at the clock: whatever happened since the
                // check (a pause, a slow network) goes unnoticed here.
                let token = c.token.unwrap_or(0);
                c.writes += 1;
                c.phase = Phase::Wrote;
                cx.send(resource, Msg::Write { token, value: u64::from(me.0) * 1_000 + c.writes });
                cx.set_timer(Timer::Patience, p.retry_max.max(p.ttl));
            }
            (Timer::Patience, Phase::Wrote) => {
                // The answer was lost: release anyway and move on.
                if let Some(token) = c.token.take() {
                    cx.send(server, Msg::Release { token });
                }
                c.phase = Phase::Thinking;
                cx.set_timer(Timer::Ask, p.think);
            }
            _ => {}
        }
    }

    fn on_request(_s: &mut LockNode, id: RequestId, _request: (), cx: &mut Context<'_, Self>) {
        cx.reply(id, Reply::Failed(fencing::no_requests(INFO.clients).en));
    }

    fn durable(s: &LockNode, _c: &LeaseLockConfig) -> LockDurable {
        match &s.kind {
            Kind::Server(sv) => LockDurable::Server(sv.next_token),
            Kind::Client(_) => LockDurable::Client,
            Kind::Resource(r) => LockDurable::Resource(r.clone()),
        }
    }

    fn on_restart(me: NodeId, peers: &[NodeId], d: LockDurable, cx: &mut Context<'_, Self>) -> LockNode {
        let p = cx.config();
        let mut node = LockNode::new(p, me, peers);
        match (&mut node.kind, d) {
            (Kind::Server(sv), LockDurable::Server(next)) => {
                sv.next_token = next;
                // It no longer knows whether a lease is out: wait one TTL so
                // any lease it gave has run out (unless broken).
                if !p.break_forget_on_restart {
                    sv.ready_at = cx.now().saturating_add(p.ttl);
                }
            }
            (Kind::Resource(r), LockDurable::Resource(kept)) => *r = kept,
            (Kind::Client(_), _) => cx.set_timer(Timer::Ask, p.think),
            _ => {}
        }
        node
    }

    fn parse_request(_text: &str) -> Result<(), Text> {
        Err(fencing::no_requests(INFO.clients))
    }

    fn new_monitor(config: &LeaseLockConfig, _nodes: usize) -> LockMonitor {
        LockMonitor { ttl: config.ttl, ..LockMonitor::default() }
    }

    fn check(
        m: &mut LockMonitor,
        cluster: &dyn Cluster<Self>,
        touched: NodeId,
        _ghosts: &[()],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        m.check(cluster, touched, now, out);
    }

    fn role(s: &LockNode) -> Role {
        match &s.kind {
            Kind::Server(_) => Role::Server,
            Kind::Resource(_) => Role::Resource,
            Kind::Client(c) => match c.phase {
                Phase::Thinking => Role::Thinking,
                Phase::Waiting(_) => Role::Waiting,
                Phase::Working | Phase::Writing | Phase::Wrote => Role::Holder,
            },
        }
    }

    fn node_view(s: &LockNode, p: &LeaseLockConfig) -> ProtocolNodeView {
        let opt = |v: Option<u64>| v.map_or(Value::None, Value::from);
        let (headline, fields) = match &s.kind {
            Kind::Server(sv) => {
                let (en, zh) = match sv.lease {
                    Some(l) => (format!("{}: {}", l.client, l.token), format!("{}：{}", l.client, l.token)),
                    None => ("free".to_string(), "空闲".to_string()),
                };
                (
                    Text::new(en, zh),
                    vec![
                        Field { name: "holder", value: Value::from(sv.lease.map(|l| l.client.to_string())) },
                        Field { name: "token", value: opt(sv.lease.map(|l| l.token)) },
                        Field {
                            name: "expires_at_ms",
                            value: sv
                                .lease
                                .map_or(Value::None, |l| Value::from(format!("{:.3}", l.expires.0 as f64 / 1000.0))),
                        },
                        Field { name: "next_token", value: Value::from(sv.next_token) },
                        Field { name: "grants", value: Value::from(sv.grants) },
                    ],
                )
            }
            Kind::Client(c) => {
                let (en, zh) = match c.token {
                    Some(t) => (format!("token {t}"), format!("令牌 {t}")),
                    None => match c.phase {
                        Phase::Waiting(a) => (format!("try {a}"), format!("第 {a} 次尝试")),
                        _ => ("no lock".to_string(), "未持锁".to_string()),
                    },
                };
                (
                    Text::new(en, zh),
                    vec![
                        Field { name: "token", value: opt(c.token) },
                        Field {
                            name: "valid_until_ms",
                            value: if c.token.is_some() {
                                Value::from(format!("{:.3}", c.valid_until.0 as f64 / 1000.0))
                            } else {
                                Value::None
                            },
                        },
                        Field { name: "writes", value: Value::from(c.writes) },
                        Field { name: "refused", value: Value::from(c.refused) },
                        Field { name: "lost_leases", value: Value::from(c.lost) },
                    ],
                )
            }
            Kind::Resource(r) => (r.headline(), r.fields(!p.break_fencing_check)),
        };
        let store = match &s.kind {
            Kind::Resource(r) => r.rows(),
            _ => Vec::new(),
        };
        let store_title = matches!(s.kind, Kind::Resource(_)).then(fencing::store_title);
        ProtocolNodeView { role: Self::role(s).key(), headline, fields, log: Vec::new(), store, store_title }
    }

    fn durable_view(d: &LockDurable, _c: &<Self as Protocol>::Config) -> ProtocolNodeView {
        let fields = match d {
            LockDurable::Server(next) => vec![Field { name: "next_token", value: Value::from(*next) }],
            LockDurable::Resource(r) => vec![Field { name: "max_token", value: Value::from(r.max_token) }],
            LockDurable::Client => Vec::new(),
        };
        ProtocolNodeView {
            role: crate::view::CRASHED,
            headline: Text::new("down", "宕机"),
            fields,
            log: Vec::new(),
            store: Vec::new(),
            store_title: None,
        }
    }

    fn message_view(msg: &Msg) -> MessageView {
        let kind = Msg::KINDS[msg.kind() as usize];
        let (summary, fields) = match *msg {
            Msg::Acquire { .. } => ("may I have the lock?".to_string(), Vec::new()),
            Msg::Granted { token, ttl_us, .. } => (
                format!("granted: token {token} for {:.1} ms", ttl_us as f64 / 1000.0),
                vec![
                    Field { name: "token", value: Value::from(token) },
                    Field { name: "ttl_ms", value: Value::from(format!("{:.1}", ttl_us as f64 / 1000.0)) },
                ],
            ),
            Msg::Busy { .. } => ("busy: someone else holds it".to_string(), Vec::new()),
            Msg::Release { token } => {
                (format!("release token {token}"), vec![Field { name: "token", value: Value::from(token) }])
            }
            Msg::Released { token, ok } => (
                format!("token {token} {}", if ok { "released" } else { "not released (not yours)" }),
                vec![
                    Field { name: "token", value: Value::from(token) },
                    Field { name: "ok", value: Value::from(if ok { "yes" } else { "no" }) },
                ],
            ),
            Msg::Write { token, value } => (
                format!("write {value} with token {token}"),
                vec![
                    Field { name: "token", value: Value::from(token) },
                    Field { name: "value", value: Value::from(value) },
                ],
            ),
            Msg::WriteAck { token, accepted } => (
                format!("write with token {token} {}", if accepted { "accepted" } else { "refused: stale token" }),
                vec![
                    Field { name: "token", value: Value::from(token) },
                    Field { name: "accepted", value: Value::from(if accepted { "yes" } else { "no" }) },
                ],
            ),
        };
        let tag = match *msg {
            Msg::Granted { token, .. }
            | Msg::Release { token }
            | Msg::Released { token, .. }
            | Msg::Write { token, .. }
            | Msg::WriteAck { token, .. } => Some(format!("#{token}")),
            Msg::Acquire { .. } | Msg::Busy { .. } => None,
        };
        MessageView { kind, summary, fields, tag }
    }

    fn stage(p: &LeaseLockConfig, states: &[Option<&LockNode>]) -> Stage {
        let n = states.len();
        let mut clients = Vec::new();
        let mut resource = None;
        for (i, st) in states.iter().enumerate() {
            let id = NodeId::from_index(i);
            match st.map(|s| (s, &s.kind)) {
                Some((s, Kind::Client(c))) => {
                    let holding = matches!(c.phase, Phase::Working | Phase::Writing | Phase::Wrote);
                    clients.push(crate::view::LockClient {
                        id,
                        role: Self::role(s).key(),
                        token: if holding { c.token } else { None },
                        lease_end_us: holding.then_some(c.valid_until.0),
                        place: None,
                        tries: if let Phase::Waiting(a) = c.phase { a } else { 0 },
                        acquired: c.acquired,
                    });
                }
                Some((_, Kind::Resource(r))) => {
                    resource = Some(fencing::board_resource(id, r, !p.break_fencing_check));
                }
                Some((_, Kind::Server(_))) => {}
                None if i > 0 && i + 1 < n => clients.push(fencing::crashed_client(id)),
                None => {}
            }
        }
        Stage::Locks(crate::view::LockView { clients: fencing::board_order(clients), lease_us: p.ttl.0, resource })
    }

    fn figures(
        _c: &LeaseLockConfig,
        states: &[Option<&LockNode>],
        now: Micros,
        messages_sent: u64,
    ) -> Vec<crate::view::Figure> {
        let clients: Vec<(u64, u64, fencing::Waits)> = states
            .iter()
            .flatten()
            .filter_map(|s| match &s.kind {
                Kind::Client(c) => Some((c.acquired, c.waited_us, c.waits)),
                _ => None,
            })
            .collect();
        fencing::lock_figures(&clients, now, messages_sent)
    }
}

/// A client's wait before attempt `attempt` (from 1): doubling from
/// `retry_min` up to `retry_max`, with jitter so clients do not retry in step.
fn s_backoff(p: &LeaseLockConfig, attempt: u32, cx: &mut Context<'_, LeaseLock>) -> Micros {
    let base = p.retry_min.0.saturating_mul(1 << attempt.min(20)).min(p.retry_max.0).max(1);
    Micros(base / 2 + cx.rng().range_inclusive(0, base / 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Effects;
    use crate::rng::{Domain, Rng};

    #[test]
    fn absurd_settings_are_refused_naming_the_field() {
        let ok = LeaseLockConfig::default();
        assert_eq!(LeaseLock::check_config(&ok, 4), Ok(()));
        for (c, nodes, field) in [
            (LeaseLockConfig { ttl: Micros::ZERO, ..ok.clone() }, 4, "ttl_ms"),
            (LeaseLockConfig { ttl: Micros::from_ms(3_600_000), ..ok.clone() }, 4, "ttl_ms"),
            (LeaseLockConfig { retry_max: Micros::from_ms(1), ..ok.clone() }, 4, "retry_max_ms"),
            (LeaseLockConfig { safety_margin: Micros::from_ms(100), ..ok.clone() }, 4, "safety_margin_ms"),
            (LeaseLockConfig { first_token: u64::MAX, ..ok.clone() }, 4, "first_token"),
            (ok.clone(), 2, "nodes"),
            (ok.clone(), 1_000, "nodes"),
        ] {
            let issue = LeaseLock::check_config(&c, nodes).expect_err(field);
            assert_eq!(issue.field, field, "{issue:?}");
        }
    }

    #[test]
    fn a_correct_server_releases_only_for_the_holder_of_that_token() {
        let config = LeaseLockConfig::default();
        let peers = [NodeId(2), NodeId(3), NodeId(4)];
        let mut server = LockNode::new(&config, NodeId(1), &peers);
        let mut rng = Rng::stream(1, Domain::Node, 1);
        let mut fx = Effects::<LeaseLock>::default();
        let mut cx = Context::new(NodeId(1), Micros(1_000), &mut rng, &mut fx, &config);
        LeaseLock::on_message(&mut server, NodeId(2), Msg::Acquire { nonce: 1 }, &mut cx);
        LeaseLock::on_message(&mut server, NodeId(3), Msg::Release { token: 1 }, &mut cx);
        LeaseLock::on_message(&mut server, NodeId(2), Msg::Release { token: 7 }, &mut cx);
        let Kind::Server(s) = &server.kind else { unreachable!() };
        assert_eq!(s.lease.map(|l| (l.client, l.token)), Some((NodeId(2), 1)), "still S2's lease");
        assert_eq!(
            fx.sent().into_iter().filter(|(_, m)| matches!(m, Msg::Released { ok: false, .. })).count(),
            2,
            "both strangers are told no"
        );
    }
}
