//! The event loop, compiled once for every protocol.
//!
//! The world is the protocol-independent kernel; the protocol's side (node
//! states, payloads, the monitor, views) sits behind [`Host`] (see
//! [`crate::host`]).
//!
//! No networking code, no timestamps from the OS: time is passed in through
//! the event queue. Events are ordered by `(time, seq)` where `seq` strictly
//! increases, so two events at the same instant run in the order they were
//! scheduled. Stale queue entries (a timer that was reset, a message that a
//! command dropped) are skipped without counting as events.
//!
//! A [`World`] is `Clone`: the engine keeps clones as checkpoints for seek.
//! The trace is passed into every stepping call instead of being owned, so a
//! checkpoint never copies it, and a replay can run without recording.

use crate::command::{Command, NodeRef};
use crate::host::{Env, Host};
use crate::ids::{MsgId, NodeId, RequestId};
use crate::limits::Limits;
use crate::network::{DropReason, Fate, Network, NetworkParams};
use crate::protocol::{Outbox, Reply, Sent, TimerOp};
use crate::rng::{Domain, Rng};
use crate::text::Text;
use crate::time::Micros;
use crate::trace::{RecordKind, Trace, TraceFull};
use crate::view::{
    CRASHED, Clients, InFlightView, NodeStatus, NodeView, ProtocolInfo, TimerView, Violation, WorldView,
};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::rc::Rc;

/// Initial clock settings of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockSetting {
    /// The node.
    pub node: NodeId,
    /// Offset of its clock at time zero.
    pub offset_us: i64,
    /// Rate error in parts per million (positive runs fast).
    pub drift_ppm: i64,
}

/// A client workload: requests issued at a steady average rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// First request.
    pub start: Micros,
    /// No new requests after this time.
    pub stop: Micros,
    /// Mean gap between requests; each gap is uniform in `[gap/2, 3*gap/2]`.
    pub gap: Micros,
    /// Request templates, chosen uniformly; `{n}` becomes the request number.
    pub requests: Vec<String>,
}

/// How clients retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPolicy {
    /// Delay before the first retry (following a redirect or trying another
    /// node); each further retry waits twice as long.
    pub retry: Micros,
    /// Most attempts per request.
    pub max_attempts: u8,
}

impl Default for ClientPolicy {
    fn default() -> ClientPolicy {
        ClientPolicy { retry: Micros::from_ms(20), max_attempts: 8 }
    }
}

/// A command from the scenario's fault schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    /// When it applies.
    pub at: Micros,
    /// What it does.
    pub command: Command,
}

/// Everything fixed about a run except the protocol's config (which its
/// [`Host`] holds). Shared (not copied) by checkpoints.
#[derive(Debug)]
pub struct Setup {
    /// Number of nodes.
    pub nodes: u32,
    /// The seed every random stream derives from.
    pub seed: u64,
    /// Initial network parameters.
    pub network: NetworkParams,
    /// Initial clock settings.
    pub clocks: Vec<ClockSetting>,
    /// Scheduled end of the run.
    pub end: Micros,
    /// Fault schedule.
    pub schedule: Vec<Scheduled>,
    /// Client workload, if any.
    pub workload: Option<Workload>,
    /// Client retry policy.
    pub clients: ClientPolicy,
    /// Run-time limits.
    pub limits: Limits,
}

/// Why a run stopped or a command was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// A limit was reached.
    LimitReached {
        /// What ran out.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A command cannot be applied; the sentence says why.
    Command(Text),
    /// A seek or replay went somewhere it cannot.
    Replay(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::LimitReached { what, limit } => {
                write!(f, "limit reached: at most {limit} {what}; the run stops here")
            }
            SimError::Command(s) => write!(f, "{s}"),
            SimError::Replay(s) => write!(f, "replay failed: {s}"),
        }
    }
}

impl SimError {
    /// A refusal in both languages.
    pub fn refused(en: impl Into<String>, zh_cn: impl Into<String>) -> SimError {
        SimError::Command(Text::new(en, zh_cn))
    }

    /// What to tell a learner, in both languages.
    pub fn text(&self) -> Text {
        match self {
            SimError::LimitReached { what, limit } => {
                let zh = match *what {
                    "commands" => "条命令",
                    "events" => "个事件",
                    "messages in flight" => "条传输中的消息",
                    "trace records" => "条轨迹记录",
                    other => other,
                };
                Text::new(self.to_string(), format!("已达上限：最多 {limit} {zh}；运行到此停止"))
            }
            SimError::Command(t) => t.clone(),
            // Replays fail only on a damaged command log; the detail is
            // technical and stays in English.
            SimError::Replay(s) => Text::new(self.to_string(), format!("重放失败：{s}")),
        }
    }
}

impl std::error::Error for SimError {}

impl From<TraceFull> for SimError {
    fn from(t: TraceFull) -> SimError {
        SimError::LimitReached { what: "trace records", limit: t.max_records as u64 }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum EventKind {
    /// A message arrives; it waits in this slot of the window.
    Deliver(MsgId, u32),
    Timer {
        node: u32,
        slot: u16,
        generation: u64,
    },
    Scheduled(u32),
    Workload,
    ClientSend {
        id: RequestId,
        node: NodeId,
        attempt: u8,
    },
    Resume {
        node: u32,
        generation: u32,
    },
}

/// A queue entry: 32 bytes (the kind fits in 16), so a heap pop moves little.
#[derive(Copy, Clone, Debug)]
struct Event {
    time: Micros,
    seq: u64,
    kind: EventKind,
}

const _: () = assert!(std::mem::size_of::<Event>() == 32);

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Event) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    /// Reversed, so the std max-heap pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Event) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Clone, Debug)]
struct PendingTimer {
    /// The timer's index in [`ProtocolInfo::timers`].
    timer: u8,
    generation: u64,
    set_at: Micros,
    fires_at: Micros,
    /// When this slot's queue entry pops. Resetting a timer to a later time
    /// keeps the entry; when it pops early it re-arms itself at `fires_at`.
    /// So a timer reset on every heartbeat costs one queue entry, not one per reset.
    queued_at: Micros,
}

#[derive(Clone, Debug)]
struct Slot {
    id: NodeId,
    status: NodeStatus,
    paused_until: Micros,
    pause_generation: u32,
    timers: Vec<Option<PendingTimer>>,
    rng: Rng,
    net_rng: Rng,
    /// Local clock = anchor_local + (t - anchor_global) * (1e6 + drift) / 1e6.
    anchor_global: Micros,
    anchor_local: i64,
    drift_ppm: i64,
}

impl Slot {
    fn local_clock(&self, now: Micros) -> i64 {
        if self.drift_ppm == 0 {
            // The common case, without 128-bit arithmetic (a slow call on wasm32).
            let elapsed = now.0.saturating_sub(self.anchor_global.0).min(i64::MAX as u64) as i64;
            return self.anchor_local.saturating_add(elapsed);
        }
        let elapsed = i128::from(now.0.saturating_sub(self.anchor_global.0));
        let scaled = elapsed * i128::from(1_000_000 + self.drift_ppm) / 1_000_000;
        self.anchor_local.saturating_add(scaled as i64)
    }

    fn local_now(&self, now: Micros) -> Micros {
        Micros(self.local_clock(now).max(0) as u64)
    }

    /// Converts a duration on this node's clock to global time.
    fn to_global(&self, local: Micros) -> Micros {
        if self.drift_ppm == 0 {
            return local;
        }
        let rate = i128::from(1_000_000 + self.drift_ppm).max(1);
        let g = (i128::from(local.0) * 1_000_000 + rate - 1) / rate;
        Micros(g.min(i128::from(u64::MAX)) as u64)
    }

    /// Whether the node runs handlers (it has state): up or paused.
    fn is_live(&self) -> bool {
        self.status != NodeStatus::Crashed
    }
}

#[derive(Clone, Debug)]
struct InFlight {
    from: NodeId,
    to: NodeId,
    /// The payload's handle in the host.
    payload: u32,
    kind: u8,
    sent: Micros,
    deliver: Micros,
    held: bool,
    /// Held and already due: waits for a release.
    waiting: bool,
    copy_of: Option<MsgId>,
}

/// Messages in flight in a slab: a delivery finds its message by the slot
/// its queue entry carries (one indexed lookup, checked against the id, as
/// slots are reused), and memory follows what is really in flight, so one
/// message held forever does not make it grow with every later send.
/// Commands name messages by id and search; views sort by id (send order).
#[derive(Clone, Debug)]
struct Window {
    slab: slab::Slab<(MsgId, InFlight)>,
}

impl Window {
    fn new() -> Self {
        Window { slab: slab::Slab::new() }
    }

    fn live(&self) -> usize {
        self.slab.len()
    }

    fn insert(&mut self, id: MsgId, m: InFlight) -> u32 {
        self.slab.insert((id, m)) as u32
    }

    /// The message `id` at `slot`.
    fn at(&self, id: MsgId, slot: u32) -> Option<&InFlight> {
        self.slab.get(slot as usize).filter(|(i, _)| *i == id).map(|(_, m)| m)
    }

    fn at_mut(&mut self, id: MsgId, slot: u32) -> Option<&mut InFlight> {
        self.slab.get_mut(slot as usize).filter(|(i, _)| *i == id).map(|(_, m)| m)
    }

    fn remove_at(&mut self, id: MsgId, slot: u32) -> Option<InFlight> {
        self.at(id, slot)?;
        Some(self.slab.remove(slot as usize).1)
    }

    /// The slot of message `id` (a search: for commands).
    fn slot_of(&self, id: MsgId) -> Option<u32> {
        self.slab.iter().find(|(_, (i, _))| *i == id).map(|(k, _)| k as u32)
    }

    fn get(&self, id: MsgId) -> Option<&InFlight> {
        self.at(id, self.slot_of(id)?)
    }

    fn remove(&mut self, id: MsgId) -> Option<InFlight> {
        let slot = self.slot_of(id)?;
        self.remove_at(id, slot)
    }

    /// Every message in send order.
    fn sorted(&self) -> Vec<(MsgId, &InFlight)> {
        let mut all: Vec<(MsgId, &InFlight)> = self.slab.iter().map(|(_, (id, m))| (*id, m)).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }
}

#[derive(Clone, Debug)]
struct PendingRequest {
    text: RequestText,
    /// The parsed request's handle in the host.
    request: u32,
    attempt: u8,
}

/// A pending request's text, kept for the notes that name it. A workload
/// request keeps its template and number instead of a copy of the text, so
/// the steady client load allocates nothing per request.
#[derive(Clone, Debug)]
enum RequestText {
    /// Given whole (a `request` command).
    Given(Rc<str>),
    /// Workload template `template` filled with request number `n`.
    Workload { template: u32, n: u64 },
}

/// Writes `template` with every `{n}` replaced by `n` into `out` (cleared
/// first). The workload calls this once per request, so it scans bytes and
/// writes digits itself rather than going through a substring searcher and
/// the formatter (together 4 % of the benchmark's instructions).
fn fill_template(template: &str, n: u64, out: &mut String) {
    out.clear();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut v = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let number = std::str::from_utf8(&digits[at..]).unwrap_or("0");
    let mut rest = template;
    while let Some(p) = rest.as_bytes().windows(3).position(|w| w == b"{n}") {
        out.push_str(&rest[..p]);
        out.push_str(number);
        rest = &rest[p + 3..];
    }
    out.push_str(rest);
}

/// Something worth telling the user that is not an error of the run (a
/// scheduled fault that did not apply, a client that gave up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// When.
    pub time: Micros,
    /// What.
    pub text: String,
}

const MAX_NOTES: usize = 200;
const MAX_VIOLATIONS: usize = 1_000;

/// The state of one run at one instant.
#[derive(Clone, Debug)]
pub struct World {
    setup: Rc<Setup>,
    info: &'static ProtocolInfo,
    /// The slot of each timer, by index.
    timer_slots: Rc<[u16]>,
    host: Box<dyn Host>,
    now: Micros,
    seq: u64,
    events: u64,
    /// Queue entries taken and acted on, counted or not as events (a timer
    /// re-arming itself, an event deferred for a paused node). Commands are
    /// positioned by this count, so a replay applies them at exactly the
    /// same point.
    pops: u64,
    queue: BinaryHeap<Event>,
    slots: Vec<Slot>,
    net: Network,
    in_flight: Window,
    next_msg: u64,
    timer_generation: u64,
    violations: Vec<Violation>,
    notes: Vec<Note>,
    leader_hint: Option<NodeId>,
    next_request: u64,
    requests: BTreeMap<RequestId, PendingRequest>,
    workload_rng: Rng,
    /// The effects being applied (swapped with the host's after a handler).
    outbox: Outbox,
    found: Vec<Violation>,
    /// Reused for each workload request's text.
    scratch: String,
}

/// What [`World::apply`] did, for the engine's command log.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The command with role references resolved.
    pub command: Command,
    /// The target's role before the command, if it had a target.
    pub target_role: Option<String>,
}

/// What a handler on node `i` sees of the kernel at global time `now`.
fn env(slots: &mut [Slot], now: Micros, i: usize) -> Env<'_> {
    let slot = &mut slots[i];
    Env { me: slot.id, now: slot.local_now(now), rng: &mut slot.rng }
}

impl World {
    /// A world at time zero: every node initialised, the fault schedule and
    /// the workload queued. Initial effects are recorded into `trace`.
    /// `host` is the protocol's side, for `setup.nodes` nodes.
    pub fn new(setup: Setup, host: Box<dyn Host>, trace: Option<&mut Trace>) -> Result<World, SimError> {
        let n = setup.nodes as usize;
        let timer_slots: Rc<[u16]> = host.timer_slots().into();
        let slot_count = timer_slots.iter().map(|s| usize::from(*s) + 1).max().unwrap_or(0);
        let slots = (0..n)
            .map(NodeId::from_index)
            .map(|id| {
                let clock = setup.clocks.iter().rev().find(|c| c.node == id);
                Slot {
                    id,
                    status: NodeStatus::Up,
                    paused_until: Micros::ZERO,
                    pause_generation: 0,
                    timers: vec![None; slot_count],
                    rng: Rng::stream(setup.seed, Domain::Node, u64::from(id.0)),
                    net_rng: Rng::stream(setup.seed, Domain::Network, u64::from(id.0)),
                    anchor_global: Micros::ZERO,
                    anchor_local: clock.map_or(0, |c| c.offset_us),
                    drift_ppm: clock.map_or(0, |c| c.drift_ppm),
                }
            })
            .collect();
        let net = Network::new(n, setup.network.clone());
        let workload_rng = Rng::stream(setup.seed, Domain::Workload, 0);
        let mut world = World {
            info: host.info(),
            timer_slots,
            host,
            now: Micros::ZERO,
            seq: 0,
            events: 0,
            pops: 0,
            queue: BinaryHeap::new(),
            slots,
            net,
            in_flight: Window::new(),
            next_msg: 0,
            timer_generation: 0,
            violations: Vec::new(),
            notes: Vec::new(),
            leader_hint: None,
            next_request: 0,
            requests: BTreeMap::new(),
            workload_rng,
            outbox: Outbox::default(),
            found: Vec::new(),
            scratch: String::new(),
            setup: Rc::new(setup),
        };
        let mut trace = trace;
        for i in 0..world.setup.schedule.len() {
            let at = world.setup.schedule[i].at;
            world.push(at, EventKind::Scheduled(i as u32));
        }
        if let Some(w) = &world.setup.workload {
            let start = w.start;
            world.push(start, EventKind::Workload);
        }
        for i in 0..n {
            let me = NodeId::from_index(i);
            world.events += 1;
            if let Some(t) = trace.as_deref_mut() {
                t.push(Micros::ZERO, RecordKind::Init { node: me })?;
            }
            world.host.init(i, env(&mut world.slots, world.now, i));
            world.finish_handler(i, None, trace.as_deref_mut())?;
        }
        Ok(world)
    }

    fn push(&mut self, time: Micros, kind: EventKind) {
        self.seq += 1;
        self.queue.push(Event { time, seq: self.seq, kind });
    }

    /// The run's fixed setup.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Current simulated time.
    pub fn now(&self) -> Micros {
        self.now
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Queue entries acted on so far (see the field docs).
    pub fn pops(&self) -> u64 {
        self.pops
    }

    /// Invariant violations found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Notes (skipped scheduled faults, clients giving up).
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.slots.len()
    }

    /// The protocol's description.
    pub fn info(&self) -> &'static ProtocolInfo {
        self.info
    }

    /// A node's life-cycle status.
    pub fn status(&self, id: NodeId) -> Option<NodeStatus> {
        Some(self.slots.get(id.index())?.status)
    }

    /// Messages currently in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.live()
    }

    /// The time of the next real (not stale) event, discarding stale queue
    /// entries on the way.
    pub fn next_event_time(&mut self) -> Option<Micros> {
        while let Some(e) = self.queue.peek().copied() {
            if self.is_stale(&e) {
                self.queue.pop();
            } else {
                return Some(e.time);
            }
        }
        None
    }

    fn is_stale(&self, e: &Event) -> bool {
        match e.kind {
            EventKind::Deliver(id, slot) => self.in_flight.at(id, slot).is_none_or(|m| m.waiting),
            EventKind::Timer { node, slot, generation } => {
                self.slots[node as usize].timers[slot as usize].as_ref().is_none_or(|p| p.generation != generation)
            }
            EventKind::Resume { node, generation } => {
                let s = &self.slots[node as usize];
                s.pause_generation != generation || s.status != NodeStatus::Paused
            }
            EventKind::ClientSend { id, .. } => !self.requests.contains_key(&id),
            EventKind::Scheduled(_) | EventKind::Workload => false,
        }
    }

    /// Processes the next event. Returns `false` when nothing is left.
    pub fn step(&mut self, trace: Option<&mut Trace>) -> Result<bool, SimError> {
        if self.events >= self.setup.limits.max_events {
            return Err(SimError::LimitReached { what: "events", limit: self.setup.limits.max_events });
        }
        if self.next_event_time().is_none() {
            return Ok(false);
        }
        let Some(e) = self.queue.pop() else { return Ok(false) };
        self.pops += 1;
        debug_assert!(e.time >= self.now);
        self.now = self.now.max(e.time);
        self.dispatch(e, trace)?;
        Ok(true)
    }

    /// Processes every event at or before `t`, then moves the clock to `t`.
    pub fn run_until(&mut self, t: Micros, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        while let Some(next) = self.next_event_time() {
            if next > t {
                break;
            }
            self.step(trace.as_deref_mut())?;
        }
        self.now = self.now.max(t);
        Ok(())
    }

    /// Processes events until `events` have been processed in total (or
    /// nothing is left).
    pub fn run_to_event(&mut self, events: u64, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        while self.events < events {
            if !self.step(trace.as_deref_mut())? {
                break;
            }
        }
        Ok(())
    }

    /// Moves the clock forward to `t` without processing anything (used by
    /// replays to restore the instant a command was applied at).
    pub fn advance_clock(&mut self, t: Micros) {
        self.now = self.now.max(t);
    }

    fn head(&mut self, trace: &mut Option<&mut Trace>, kind: RecordKind) -> Result<(), SimError> {
        self.events += 1;
        if let Some(t) = trace.as_deref_mut() {
            t.push(self.now, kind)?;
        }
        Ok(())
    }

    fn dispatch(&mut self, e: Event, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        match e.kind {
            EventKind::Deliver(id, slot) => self.deliver(id, slot, trace),
            EventKind::Timer { node, slot, .. } => {
                let i = node as usize;
                let due = self.slots[i].timers[slot as usize].as_ref().map(|p| p.fires_at);
                if let Some(fires_at) = due.filter(|f| *f > e.time) {
                    // Reset to a later time since this entry was queued.
                    if let Some(p) = self.slots[i].timers[slot as usize].as_mut() {
                        p.queued_at = fires_at;
                    }
                    self.push(fires_at, e.kind);
                    return Ok(());
                }
                if self.slots[i].status == NodeStatus::Paused {
                    // Timers pile up during a pause and fire when it ends.
                    let until = self.slots[i].paused_until;
                    self.push(until, e.kind);
                    return Ok(());
                }
                let Some(pending) = self.slots[i].timers[slot as usize].take() else { return Ok(()) };
                let name = self.timer_name(pending.timer);
                self.head(&mut trace, RecordKind::Timer { node: self.slots[i].id, timer: name })?;
                self.run_timer(i, pending.timer, trace)
            }
            EventKind::Scheduled(k) => {
                let command = self.setup.schedule[k as usize].command.clone();
                let verb = command.verb();
                let node = self.peek_target(&command);
                self.head(&mut trace, RecordKind::Command { verb, node, scheduled: true })?;
                if let Err(err) = self.perform(command, trace) {
                    match err {
                        SimError::Command(text) => self.note(format!("scheduled {verb} skipped: {}", text.en)),
                        other => return Err(other),
                    }
                }
                Ok(())
            }
            EventKind::Workload => self.workload_tick(trace),
            EventKind::ClientSend { id, node, attempt } => self.client_send(id, node, attempt, e.kind, trace),
            EventKind::Resume { node, .. } => {
                let i = node as usize;
                self.slots[i].status = NodeStatus::Up;
                self.head(&mut trace, RecordKind::Resume { node: self.slots[i].id })?;
                Ok(())
            }
        }
    }

    fn deliver(&mut self, id: MsgId, slot: u32, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        let Some(m) = self.in_flight.at_mut(id, slot) else { return Ok(()) };
        if m.held {
            m.waiting = true;
            self.head(&mut trace, RecordKind::Held { msg: id })?;
            return Ok(());
        }
        let (to, from) = (m.to, m.from);
        let i = to.index();
        if self.slots[i].status == NodeStatus::Paused {
            let until = self.slots[i].paused_until;
            self.push(until, EventKind::Deliver(id, slot));
            return Ok(());
        }
        let Some(m) = self.in_flight.remove_at(id, slot) else { return Ok(()) };
        let reason = if !self.slots[i].is_live() {
            Some(DropReason::NodeDown)
        } else if self.net.is_cut(from, to) {
            Some(DropReason::Partition)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.host.discard_payload(m.payload);
            self.head(&mut trace, RecordKind::Undeliverable { msg: id, from, to, kind: m.kind, reason })?;
            return Ok(());
        }
        self.head(&mut trace, RecordKind::Deliver { msg: id, from, to, kind: m.kind })?;
        self.host.deliver(i, from, m.payload, env(&mut self.slots, self.now, i));
        self.finish_handler(i, Some(id), trace)
    }

    fn timer_name(&self, timer: u8) -> &'static str {
        self.info.timers.get(usize::from(timer)).copied().unwrap_or("timer")
    }

    fn run_timer(&mut self, i: usize, timer: u8, trace: Option<&mut Trace>) -> Result<(), SimError> {
        self.host.timer(i, timer, env(&mut self.slots, self.now, i));
        self.finish_handler(i, None, trace)
    }

    /// Applies the effects a handler on node `i` produced, then checks the
    /// invariants; `cause` is the message the handler received, if any.
    fn finish_handler(
        &mut self,
        i: usize,
        cause: Option<MsgId>,
        mut trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        let mut fx = std::mem::take(&mut self.outbox);
        std::mem::swap(&mut fx, self.host.outbox());
        let me = self.slots[i].id;
        let now = self.now;
        let result = (|| -> Result<(), SimError> {
            for (key, value) in fx.observations.drain(..) {
                if let Some(t) = trace.as_deref_mut() {
                    t.push(now, RecordKind::Observe { node: me, key, value: value.into() })?;
                }
            }
            for op in fx.timers.drain(..) {
                match op {
                    TimerOp::Set { timer, slot: slot_ix, after } => {
                        let slot = &mut self.slots[i];
                        let fires_at = now.saturating_add(slot.to_global(after));
                        let Some(entry) = slot.timers.get_mut(usize::from(slot_ix)) else { continue };
                        match entry {
                            // A queue entry that pops no later than the new time
                            // can carry the timer: it re-arms itself when it pops.
                            Some(p) if p.queued_at <= fires_at => {
                                p.timer = timer;
                                p.set_at = now;
                                p.fires_at = fires_at;
                            }
                            _ => {
                                self.timer_generation += 1;
                                let generation = self.timer_generation;
                                *entry = Some(PendingTimer {
                                    timer,
                                    generation,
                                    set_at: now,
                                    fires_at,
                                    queued_at: fires_at,
                                });
                                self.push(fires_at, EventKind::Timer { node: i as u32, slot: slot_ix, generation });
                            }
                        }
                    }
                    TimerOp::Cancel { slot } => {
                        if let Some(entry) = self.slots[i].timers.get_mut(usize::from(slot)) {
                            *entry = None;
                        }
                    }
                }
            }
            for sent in fx.sends.drain(..) {
                self.send(me, sent, None, trace.as_deref_mut())?;
            }
            for (id, reply) in fx.replies.drain(..) {
                self.client_reply(id, me, reply, trace.as_deref_mut())?;
            }
            Ok(())
        })();
        fx.clear();
        self.outbox = fx;
        result?;
        self.check(me, cause, trace)
    }

    /// Runs the monitor after a handler on `touched`; a violation it finds
    /// names `cause` (the message just handled) among the messages involved.
    fn check(&mut self, touched: NodeId, cause: Option<MsgId>, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        self.host.check(touched, self.now, &mut self.found);
        for mut v in std::mem::take(&mut self.found) {
            if let Some(m) = cause
                && !v.messages.contains(&m)
            {
                v.messages.push(m);
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(self.now, RecordKind::Violation { invariant: v.invariant })?;
            }
            if self.violations.len() < MAX_VIOLATIONS {
                self.violations.push(v);
            }
        }
        Ok(())
    }

    fn send(
        &mut self,
        from: NodeId,
        sent: Sent,
        copy_of: Option<MsgId>,
        mut trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        let Sent { to, kind, payload } = sent;
        if to.index() >= self.slots.len() || to == from {
            // A protocol bug, not a user error: keep running, say so once.
            self.host.discard_payload(payload);
            self.note(format!("{from} tried to send to {to}, which is not a peer; message ignored"));
            return Ok(());
        }
        let now = self.now;
        let fi = from.index();
        let fate = match copy_of {
            None => self.net.route(now, from, to, &mut self.slots[fi].net_rng),
            Some(_) => Fate::Deliver(self.net.schedule(now, from, to, &mut self.slots[fi].net_rng), None),
        };
        let id = MsgId(self.next_msg);
        self.next_msg += 1;
        match fate {
            Fate::Dropped(reason) => {
                self.host.discard_payload(payload);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(now, RecordKind::Send { msg: id, from, to, kind, deliver_at: now, copy_of })?;
                    t.push(now, RecordKind::Drop { msg: id, from, to, kind, reason })?;
                }
            }
            Fate::Deliver(at, dup) => {
                let dup_msg = dup.map(|d| (d, self.host.copy_payload(payload)));
                self.enqueue(id, from, to, payload, kind, at, copy_of, trace.as_deref_mut())?;
                if let Some((at2, copy)) = dup_msg {
                    let id2 = MsgId(self.next_msg);
                    self.next_msg += 1;
                    self.enqueue(id2, from, to, copy, kind, at2, Some(id), trace)?;
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        id: MsgId,
        from: NodeId,
        to: NodeId,
        payload: u32,
        kind: u8,
        at: Micros,
        copy_of: Option<MsgId>,
        trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        if self.in_flight.live() >= self.setup.limits.max_in_flight {
            return Err(SimError::LimitReached {
                what: "messages in flight",
                limit: self.setup.limits.max_in_flight as u64,
            });
        }
        let now = self.now;
        let slot = self.in_flight.insert(
            id,
            InFlight { from, to, payload, kind, sent: now, deliver: at, held: false, waiting: false, copy_of },
        );
        self.push(at, EventKind::Deliver(id, slot));
        if let Some(t) = trace {
            t.push(now, RecordKind::Send { msg: id, from, to, kind, deliver_at: at, copy_of })?;
        }
        Ok(())
    }

    fn note(&mut self, text: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(Note { time: self.now, text });
        }
    }

    // ----- clients -----

    fn workload_tick(&mut self, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        let setup = Rc::clone(&self.setup);
        let Some(w) = setup.workload.as_ref() else { return Ok(()) };
        self.head(&mut trace, RecordKind::Command { verb: "workload", node: None, scheduled: true })?;
        if w.requests.is_empty() {
            return Ok(());
        }
        let k = self.workload_rng.index(w.requests.len());
        let n = self.next_request + 1;
        let mut text = std::mem::take(&mut self.scratch);
        fill_template(&w.requests[k], n, &mut text);
        let target = match (self.info.clients, self.leader_hint) {
            (Clients::Fixed(n), _) if n.index() < self.slots.len() => n,
            (_, Some(l)) => l,
            (_, None) => NodeId::from_index(self.workload_rng.index(self.slots.len())),
        };
        if let Ok(request) = self.host.parse_request(&text) {
            self.issue_request(target, RequestText::Workload { template: k as u32, n }, request);
        }
        self.scratch = text;
        let half = w.gap.0 / 2;
        let gap = Micros(self.workload_rng.range_inclusive(half.max(1), w.gap.0.saturating_add(half).max(1)));
        let next = self.now.saturating_add(gap);
        if next <= w.stop {
            self.push(next, EventKind::Workload);
        }
        Ok(())
    }

    /// A pending request's text, as the client sent it.
    fn request_text(&self, text: &RequestText) -> String {
        match text {
            RequestText::Given(t) => t.to_string(),
            RequestText::Workload { template, n } => {
                let template = self.setup.workload.as_ref().and_then(|w| w.requests.get(*template as usize));
                let mut out = String::new();
                fill_template(template.map_or("", |t| t.as_str()), *n, &mut out);
                out
            }
        }
    }

    fn issue_request(&mut self, node: NodeId, text: RequestText, request: u32) -> RequestId {
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.requests.insert(id, PendingRequest { text, request, attempt: 0 });
        let now = self.now;
        self.push(now, EventKind::ClientSend { id, node, attempt: 0 });
        id
    }

    fn client_send(
        &mut self,
        id: RequestId,
        node: NodeId,
        attempt: u8,
        kind: EventKind,
        mut trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        let i = node.index();
        if self.slots[i].status == NodeStatus::Paused {
            let until = self.slots[i].paused_until;
            self.push(until, kind);
            return Ok(());
        }
        let Some(req) = self.requests.get(&id) else { return Ok(()) };
        let request = req.request;
        self.head(&mut trace, RecordKind::Request { id, node, attempt })?;
        if !self.slots[i].is_live() {
            // No answer from a crashed node: the client tries another one.
            return self.client_retry(id, None, trace);
        }
        self.host.request(i, id, request, env(&mut self.slots, self.now, i));
        self.finish_handler(i, None, trace)
    }

    fn client_reply(
        &mut self,
        id: RequestId,
        node: NodeId,
        reply: Reply,
        mut trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        let outcome = match reply {
            Reply::Ok(_) => 0,
            Reply::Redirect(_) => 1,
            Reply::Failed(_) => 2,
        };
        if let Some(t) = trace.as_deref_mut() {
            t.push(self.now, RecordKind::Reply { id, node, outcome })?;
        }
        match reply {
            Reply::Ok(_) => {
                self.leader_hint = Some(node);
                if let Some(req) = self.requests.remove(&id) {
                    self.host.forget_request(req.request);
                }
                Ok(())
            }
            Reply::Failed(why) => {
                if let Some(req) = self.requests.remove(&id) {
                    self.host.forget_request(req.request);
                    let text = self.request_text(&req.text);
                    self.note(format!("client request {id} ({text}) failed at {node}: {why}"));
                }
                Ok(())
            }
            Reply::Redirect(hint) => {
                self.leader_hint = hint;
                self.client_retry(id, hint, trace)
            }
        }
    }

    fn client_retry(
        &mut self,
        id: RequestId,
        hint: Option<NodeId>,
        _trace: Option<&mut Trace>,
    ) -> Result<(), SimError> {
        let max = self.setup.clients.max_attempts;
        let Some(req) = self.requests.get_mut(&id) else { return Ok(()) };
        req.attempt = req.attempt.saturating_add(1);
        if req.attempt >= max {
            let (text, request) = (req.text.clone(), req.request);
            let text = format!("client gave up on {id} ({}) after {max} attempts", self.request_text(&text));
            self.requests.remove(&id);
            self.host.forget_request(request);
            self.note(text);
            return Ok(());
        }
        let attempt = req.attempt;
        let target = match (self.info.clients, hint) {
            (Clients::Fixed(n), _) if n.index() < self.slots.len() => n,
            (_, Some(h)) if h.index() < self.slots.len() => h,
            _ => NodeId::from_index(self.workload_rng.index(self.slots.len())),
        };
        // Exponential backoff: retry, 2 x retry, 4 x retry, ...
        let backoff = Micros(self.setup.clients.retry.0.saturating_mul(1u64 << (attempt - 1).min(16)));
        let at = self.now.saturating_add(backoff);
        self.push(at, EventKind::ClientSend { id, node: target, attempt });
        Ok(())
    }

    // ----- commands -----

    fn peek_target(&self, c: &Command) -> Option<NodeId> {
        c.target().and_then(|r| self.resolve(r).ok())
    }

    /// Resolves a node reference against the current state.
    pub fn resolve(&self, r: &NodeRef) -> Result<NodeId, SimError> {
        match r {
            NodeRef::Id(id) => {
                if id.0 >= 1 && id.index() < self.slots.len() {
                    Ok(*id)
                } else {
                    Err(SimError::refused(
                        format!("there is no node {}; nodes are numbered 1 to {}", id.0, self.slots.len()),
                        format!("没有节点 {}；节点编号为 1 到 {}", id.0, self.slots.len()),
                    ))
                }
            }
            NodeRef::Role(role) if role == CRASHED => self
                .slots
                .iter()
                .find(|s| s.status == NodeStatus::Crashed)
                .map(|s| s.id)
                .ok_or_else(|| SimError::refused("no node is crashed right now", "现在没有崩溃的节点")),
            NodeRef::Role(role) => (0..self.slots.len())
                .find(|&i| self.host.role(i) == Some(role.as_str()))
                .map(NodeId::from_index)
                .ok_or_else(|| {
                    let zh = self
                        .info
                        .roles
                        .iter()
                        .find(|r| r.name == role.as_str())
                        .map_or(role.as_str(), |r| r.name_zh_cn);
                    SimError::refused(format!("no node is {role} right now"), format!("现在没有{zh}"))
                }),
        }
    }

    fn role_of(&self, id: NodeId) -> Option<String> {
        self.slots.get(id.index())?;
        Some(self.host.role(id.index()).unwrap_or(CRASHED).to_string())
    }

    /// Applies a command now, as one event. On success returns the command
    /// with references resolved, for the engine's log.
    pub fn apply(&mut self, command: Command, mut trace: Option<&mut Trace>) -> Result<Applied, SimError> {
        let resolved = self.resolve_command(command)?;
        self.validate_command(&resolved)?;
        if self.events >= self.setup.limits.max_events {
            return Err(SimError::LimitReached { what: "events", limit: self.setup.limits.max_events });
        }
        let target = resolved.target().and_then(|r| self.resolve(r).ok());
        let target_role = target.and_then(|t| self.role_of(t));
        self.head(&mut trace, RecordKind::Command { verb: resolved.verb(), node: target, scheduled: false })?;
        self.perform(resolved.clone(), trace)?;
        Ok(Applied { command: resolved, target_role })
    }

    /// Resolves and checks a command without applying it.
    pub fn validate(&self, command: Command) -> Result<Command, SimError> {
        let resolved = self.resolve_command(command)?;
        self.validate_command(&resolved)?;
        Ok(resolved)
    }

    fn resolve_command(&self, mut c: Command) -> Result<Command, SimError> {
        if let Some(node) = c.target_mut() {
            *node = NodeRef::Id(self.resolve(node)?);
        }
        Ok(c)
    }

    /// Checks a resolved command without changing anything: first what
    /// holds in any state ([`Command::check`], shared with the loader), then
    /// what depends on the nodes and the messages now.
    fn validate_command(&self, c: &Command) -> Result<(), SimError> {
        let host = &*self.host;
        c.check(self.slots.len() as u32, self.info, &|op| host.check_request(op))
            .map_err(|r| SimError::Command(r.text))?;
        let err = |en: String, zh: String| Err(SimError::refused(en, zh));
        let status = |r: &NodeRef| match r {
            NodeRef::Id(id) => (*id, self.slots[id.index()].status),
            NodeRef::Role(_) => unreachable!("commands are resolved before they are checked"),
        };
        match c {
            Command::Crash { node } => {
                let (id, st) = status(node);
                if st == NodeStatus::Crashed {
                    return err(format!("{id} is already crashed"), format!("{id} 已经崩溃"));
                }
            }
            Command::Restart { node } => {
                let (id, st) = status(node);
                if st != NodeStatus::Crashed {
                    return err(
                        format!("{id} is not crashed, so it cannot restart"),
                        format!("{id} 没有崩溃，无法重启"),
                    );
                }
            }
            Command::Pause { node, .. } => {
                let (id, st) = status(node);
                if st == NodeStatus::Crashed {
                    return err(
                        format!("{id} is crashed; only a running node can pause"),
                        format!("{id} 已崩溃；只有运行中的节点可以暂停"),
                    );
                }
            }
            Command::Hold { msg } | Command::Release { msg } | Command::Drop { msg } | Command::Duplicate { msg } => {
                let Some(m) = self.in_flight.get(*msg) else {
                    return err(
                        format!("message {msg} is not in flight (delivered, dropped or never sent)"),
                        format!("消息 {msg} 不在传输中（已送达、已丢弃或从未发出）"),
                    );
                };
                match c {
                    Command::Hold { .. } if m.held => {
                        return err(format!("message {msg} is already held"), format!("消息 {msg} 已被扣留"));
                    }
                    Command::Release { .. } if !m.held => {
                        return err(format!("message {msg} is not held"), format!("消息 {msg} 没有被扣留"));
                    }
                    _ => {}
                }
            }
            Command::Timeout { node, .. } => {
                let (id, st) = status(node);
                if st == NodeStatus::Crashed {
                    return err(format!("{id} is crashed; it has no timers"), format!("{id} 已崩溃；它没有计时器"));
                }
                if st == NodeStatus::Paused {
                    return err(
                        format!("{id} is paused; nothing runs on it until it resumes"),
                        format!("{id} 已暂停；恢复之前它上面什么也不会运行"),
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Performs a command (resolving and validating it first). The head
    /// record has already been written.
    fn perform(&mut self, command: Command, mut trace: Option<&mut Trace>) -> Result<(), SimError> {
        let c = self.resolve_command(command)?;
        self.validate_command(&c)?;
        let id_of = |r: &NodeRef| match r {
            NodeRef::Id(id) => *id,
            NodeRef::Role(_) => NodeId(0),
        };
        let now = self.now;
        match c {
            Command::Crash { node } => {
                let id = id_of(&node);
                // Messages that reached the node while it was paused die with it.
                let arrived: Vec<MsgId> = self
                    .in_flight
                    .sorted()
                    .into_iter()
                    .filter(|(_, m)| m.to == id && m.deliver <= now && !m.held)
                    .map(|(k, _)| k)
                    .collect();
                for msg in arrived {
                    let Some(m) = self.in_flight.remove(msg) else { continue };
                    self.host.discard_payload(m.payload);
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(
                            now,
                            RecordKind::Drop {
                                msg,
                                from: m.from,
                                to: m.to,
                                kind: m.kind,
                                reason: DropReason::NodeDown,
                            },
                        )?;
                    }
                }
                self.host.crash(id.index());
                let slot = &mut self.slots[id.index()];
                slot.status = NodeStatus::Crashed;
                slot.timers.iter_mut().for_each(|t| *t = None);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(now, RecordKind::Crash { node: id })?;
                }
            }
            Command::Restart { node } => {
                let id = id_of(&node);
                let i = id.index();
                if !self.host.restart(i, env(&mut self.slots, now, i)) {
                    return Err(SimError::refused(
                        format!("{id} has no durable state to restart from"),
                        format!("{id} 没有可用于重启的持久状态"),
                    ));
                }
                self.slots[i].status = NodeStatus::Up;
                if let Some(t) = trace.as_deref_mut() {
                    t.push(now, RecordKind::Restart { node: id })?;
                }
                self.finish_handler(i, None, trace)?;
            }
            Command::Pause { node, for_us } => {
                let id = id_of(&node);
                let i = id.index();
                let slot = &mut self.slots[i];
                let until = now.saturating_add(Micros(for_us));
                slot.paused_until =
                    if slot.status == NodeStatus::Paused { slot.paused_until.max(until) } else { until };
                slot.status = NodeStatus::Paused;
                slot.pause_generation += 1;
                let (until, generation) = (slot.paused_until, slot.pause_generation);
                self.push(until, EventKind::Resume { node: i as u32, generation });
                if let Some(t) = trace.as_deref_mut() {
                    t.push(now, RecordKind::Pause { node: id, until })?;
                }
            }
            Command::Partition { groups } => {
                let n = self.slots.len();
                let mut group_of = vec![usize::MAX; n];
                for (g, members) in groups.iter().enumerate() {
                    for id in members {
                        group_of[id.index()] = g;
                    }
                }
                self.net.heal_all();
                for a in 0..n {
                    for b in 0..n {
                        if group_of[a] != group_of[b] {
                            self.net.set_cut(NodeId::from_index(a), NodeId::from_index(b), true);
                        }
                    }
                }
            }
            Command::Isolate { node } => {
                let id = id_of(&node);
                for other in 0..self.slots.len() {
                    let o = NodeId::from_index(other);
                    self.net.set_cut(id, o, true);
                    self.net.set_cut(o, id, true);
                }
            }
            Command::Cut { from, to, both } => {
                self.net.set_cut(from, to, true);
                if both {
                    self.net.set_cut(to, from, true);
                }
            }
            Command::HealLink { from, to, both } => {
                self.net.set_cut(from, to, false);
                if both {
                    self.net.set_cut(to, from, false);
                }
            }
            Command::Heal => self.net.heal_all(),
            Command::Hold { msg } => {
                if let Some(m) = self.in_flight.slot_of(msg).and_then(|k| self.in_flight.at_mut(msg, k)) {
                    m.held = true;
                }
            }
            Command::Release { msg } => {
                if let Some(slot) = self.in_flight.slot_of(msg)
                    && let Some(m) = self.in_flight.at_mut(msg, slot)
                {
                    m.held = false;
                    if std::mem::take(&mut m.waiting) {
                        m.deliver = now;
                        self.push(now, EventKind::Deliver(msg, slot));
                    }
                }
            }
            Command::Drop { msg } => {
                let Some(m) = self.in_flight.remove(msg) else { return Ok(()) };
                self.host.discard_payload(m.payload);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(
                        now,
                        RecordKind::Drop { msg, from: m.from, to: m.to, kind: m.kind, reason: DropReason::Command },
                    )?;
                }
            }
            Command::Duplicate { msg } => {
                if let Some(m) = self.in_flight.get(msg) {
                    let (from, to, kind, payload) = (m.from, m.to, m.kind, m.payload);
                    let payload = self.host.copy_payload(payload);
                    self.send(from, Sent { to, kind, payload }, Some(msg), trace)?;
                }
            }
            Command::Request { node, op } => {
                let id = id_of(&node);
                let request = self.host.parse_request(&op).map_err(SimError::Command)?;
                self.issue_request(id, RequestText::Given(op.into()), request);
            }
            Command::Timeout { node, timer } => {
                let id = id_of(&node);
                let i = id.index();
                let Some(t) = self.info.timers.iter().position(|n| *n == timer.as_str()) else { return Ok(()) };
                let slot = self.timer_slots.get(t).copied().map_or(usize::MAX, usize::from);
                if let Some(entry) = self.slots[i].timers.get_mut(slot) {
                    *entry = None;
                }
                self.run_timer(i, t as u8, trace)?;
            }
            Command::SetNetwork { params } => self.net.set_params(params),
            Command::ClockJump { node, by_us } => {
                let slot = &mut self.slots[id_of(&node).index()];
                let local = slot.local_clock(now);
                slot.anchor_global = now;
                slot.anchor_local = local.saturating_add(by_us);
            }
            Command::SetDrift { node, ppm } => {
                let slot = &mut self.slots[id_of(&node).index()];
                let local = slot.local_clock(now);
                slot.anchor_global = now;
                slot.anchor_local = local;
                slot.drift_ppm = ppm;
            }
            // Handlers read the config through their context, so live
            // nodes act on the new setting from their next event on.
            Command::Switch { key, on } => self.host.set_switch(&key, on),
        }
        Ok(())
    }

    // ----- views -----

    /// A plain-data picture of the world now.
    pub fn view(&mut self) -> WorldView {
        let next_event_us = self.next_event_time().map(|t| t.0);
        let nodes = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let protocol = self.host.node_view(i);
                NodeView {
                    id: s.id,
                    status: s.status,
                    paused_until_us: (s.status == NodeStatus::Paused).then_some(s.paused_until.0),
                    clock_us: s.local_now(self.now).0,
                    drift_ppm: s.drift_ppm,
                    timers: s
                        .timers
                        .iter()
                        .flatten()
                        .map(|p| TimerView {
                            name: self.timer_name(p.timer),
                            set_at_us: p.set_at.0,
                            fires_at_us: p.fires_at.0,
                        })
                        .collect(),
                    protocol,
                }
            })
            .collect();
        let messages = self
            .in_flight
            .sorted()
            .into_iter()
            .map(|(id, m)| InFlightView {
                id,
                from: m.from,
                to: m.to,
                sent_us: m.sent.0,
                deliver_us: m.deliver.0,
                held: m.held,
                duplicate: m.copy_of.is_some(),
                message: self.host.message_view(m.payload),
            })
            .collect();
        WorldView {
            protocol: self.info.clone(),
            time_us: self.now.0,
            events: self.events,
            nodes,
            messages,
            cut_links: self.net.cuts(),
            violations: self.violations.clone(),
            end_us: self.setup.end.0,
            next_event_us,
            figures: self.host.figures(self.now, self.next_msg),
            switches: self.switches(),
            stage: self.host.stage(),
            actions: self.host.actions(),
        }
    }

    /// Each break-it switch of the protocol and whether it is on now.
    pub fn switches(&self) -> Vec<(&'static str, bool)> {
        self.host.switches()
    }

    /// The role of every node, in node order (`crashed` for crashed nodes).
    pub fn roles(&self) -> Vec<&'static str> {
        (0..self.slots.len()).map(|i| self.host.role(i).unwrap_or(CRASHED)).collect()
    }

    /// The current network parameters.
    pub fn network(&self) -> &NetworkParams {
        self.net.params()
    }
}

#[cfg(test)]
mod tests {
    use super::fill_template;

    #[test]
    fn a_template_is_filled_at_every_hole_and_the_buffer_is_reused() {
        let mut out = String::from("left over");
        fill_template("set x {n}", 42, &mut out);
        assert_eq!(out, "set x 42");
        fill_template("{n}:{n}", 7, &mut out);
        assert_eq!(out, "7:7");
        fill_template("get x", 7, &mut out);
        assert_eq!(out, "get x");
        fill_template("", 7, &mut out);
        assert_eq!(out, "");
        fill_template("n={n}", 0, &mut out);
        assert_eq!(out, "n=0");
        fill_template("{n} {n", u64::MAX, &mut out);
        assert_eq!(out, "18446744073709551615 {n");
        fill_template("令{n}牌", 12, &mut out);
        assert_eq!(out, "令12牌");
    }
}
