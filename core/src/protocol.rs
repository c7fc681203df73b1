//! The protocol contract.
//!
//! A protocol is a set of pure handlers over its own node state. Handlers
//! never do IO and never fail: stale or malformed input is ignored (and may
//! be observed). Effects (sends, timers, observations, client replies) go
//! out through the [`Context`], and the world applies them after the handler
//! returns, in the order they were made.
//!
//! A protocol also describes itself ([`ProtocolInfo`]) and its state
//! ([`ProtocolNodeView`], [`MessageView`]) so the simulator and the UI never
//! need to know which protocol they run.

use crate::ids::{NodeId, RequestId};
use crate::limits::KeyLimit;
use crate::rng::Rng;
use crate::time::Micros;
use crate::view::{Action, Figure, MessageView, ProtocolInfo, ProtocolNodeView, RoleInfo, Stage, Violation};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use strum::{EnumProperty, IntoDiscriminant, VariantArray, VariantNames};

/// A problem with a protocol's config, found by [`Protocol::validate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The config key at fault (`election_timeout_ms`).
    pub field: &'static str,
    /// What is wrong and what the limit is.
    pub message: String,
}

/// A value a handler reports for lessons, tests and the trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Obs {
    /// A number (a term, an index).
    Int(i64),
    /// A name (a role).
    Str(&'static str),
}

impl Obs {
    /// The value as text, as lesson conditions compare it.
    pub fn text(&self) -> String {
        match self {
            Obs::Int(v) => v.to_string(),
            Obs::Str(s) => (*s).to_string(),
        }
    }
}

/// How a node answered a client request.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Done, with the result (a read's value, or nothing for a write).
    Ok(crate::view::Value),
    /// Not the right node; try this one (if known).
    Redirect(Option<NodeId>),
    /// Refused, with a reason.
    Failed(String),
}

/// A timer change a handler asked for, by the timer's index in
/// [`TimerKind::NAMES`] and its slot.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TimerOp {
    /// Fire the timer after this long on the node's own clock, replacing
    /// any pending timer in the same slot.
    Set {
        /// The timer's index.
        timer: u8,
        /// Its slot.
        slot: u16,
        /// When, on the node's clock.
        after: Micros,
    },
    /// Cancel whatever is pending in this slot.
    Cancel {
        /// The slot.
        slot: u16,
    },
}

/// A message a handler sent: its kind and a handle to its payload, which
/// stays with the protocol's side of the world until delivery.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The receiver.
    pub to: NodeId,
    /// The message's kind, an index into [`MessageKinds::KINDS`].
    pub kind: u8,
    /// The payload's handle.
    pub payload: u32,
}

/// The protocol-independent part of a handler's effects, which the
/// engine applies in order after the handler returns.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    /// Messages sent.
    pub sends: Vec<Sent>,
    /// Timer changes.
    pub timers: Vec<TimerOp>,
    /// Observations.
    pub observations: Vec<(&'static str, Obs)>,
    /// Client replies.
    pub replies: Vec<(RequestId, Reply)>,
}

impl Outbox {
    /// Empties every buffer, keeping capacity.
    pub fn clear(&mut self) {
        self.sends.clear();
        self.timers.clear();
        self.observations.clear();
        self.replies.clear();
    }
}

/// Everything handlers asked for during one event, with the payloads of
/// the messages in flight (so a message is stored once, from its send to
/// its delivery) and the notes for the monitor.
#[derive(Clone, Debug)]
pub struct Effects<P: Protocol> {
    /// The protocol-independent effects.
    pub out: Outbox,
    /// Payloads of messages in flight, by handle.
    pub(crate) payloads: slab::Slab<P::Msg>,
    /// Notes for the monitor only (see [`Context::ghost`]).
    pub(crate) ghosts: Vec<P::Ghost>,
}

impl<P: Protocol> Default for Effects<P> {
    fn default() -> Self {
        Effects { out: Outbox::default(), payloads: slab::Slab::new(), ghosts: Vec::new() }
    }
}

impl<P: Protocol> Effects<P> {
    /// The messages sent so far, in order, with their payloads (for unit
    /// tests that drive handlers directly).
    pub fn sent(&self) -> Vec<(NodeId, &P::Msg)> {
        self.out.sends.iter().filter_map(|s| Some((s.to, self.payloads.get(s.payload as usize)?))).collect()
    }
}

/// What a handler can see and do.
pub struct Context<'a, P: Protocol> {
    me: NodeId,
    now: Micros,
    rng: &'a mut Rng,
    effects: &'a mut Effects<P>,
    config: &'a P::Config,
}

impl<'a, P: Protocol> Context<'a, P> {
    /// A context for node `me` whose local clock reads `now`, under `config`.
    pub fn new(me: NodeId, now: Micros, rng: &'a mut Rng, effects: &'a mut Effects<P>, config: &'a P::Config) -> Self {
        Context { me, now, rng, effects, config }
    }

    /// The config in force (the scenario's, with the break-it switches as
    /// the learner set them). Handlers read their settings here rather than
    /// keeping a copy in node state.
    pub fn config(&self) -> &'a P::Config {
        self.config
    }

    /// This node.
    pub fn me(&self) -> NodeId {
        self.me
    }

    /// The node's local clock (drift and jumps included).
    pub fn now(&self) -> Micros {
        self.now
    }

    /// The node's own random stream.
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Sends `msg` to `to` through the simulated network.
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        let kind = msg.kind();
        let payload = self.effects.payloads.insert(msg) as u32;
        self.effects.out.sends.push(Sent { to, kind, payload });
    }

    /// Sets `timer` to fire after `after` on this node's clock.
    pub fn set_timer(&mut self, timer: P::Timer, after: Micros) {
        self.effects.out.timers.push(TimerOp::Set { timer: timer.index(), slot: timer.slot() as u16, after });
    }

    /// Cancels `timer`'s slot.
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.out.timers.push(TimerOp::Cancel { slot: timer.slot() as u16 });
    }

    /// Reports a value, for lesson conditions and the trace.
    pub fn observe(&mut self, key: &'static str, value: Obs) {
        self.effects.out.observations.push((key, value));
    }

    /// Tells the invariant monitor something that happened in this event
    /// (a write acknowledged, a read served) that node state does not keep.
    /// The monitor receives the event's notes in [`Protocol::check`]; they
    /// are gone after it, and never reach the trace or the views.
    pub fn ghost(&mut self, note: P::Ghost) {
        self.effects.ghosts.push(note);
    }

    /// Answers client request `id`.
    pub fn reply(&mut self, id: RequestId, reply: Reply) {
        self.effects.out.replies.push((id, reply));
    }
}

/// A protocol's message type. Its kinds are its variants: derive
/// `strum::EnumDiscriminants` with
/// `#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]`
/// and the list of kind names and the kind of each message come from the
/// same enum, so they cannot drift apart.
pub trait MessageKinds {
    /// Every kind's name, in declaration order.
    const KINDS: &'static [&'static str];
    /// This message's kind, an index into [`MessageKinds::KINDS`].
    fn kind(&self) -> u8;
}

impl<M> MessageKinds for M
where
    M: IntoDiscriminant,
    M::Discriminant: VariantArray + VariantNames + PartialEq,
{
    const KINDS: &'static [&'static str] = <M::Discriminant as VariantNames>::VARIANTS;

    #[inline]
    fn kind(&self) -> u8 {
        let d = self.discriminant();
        <M::Discriminant as VariantArray>::VARIANTS.iter().position(|v| *v == d).unwrap_or(0) as u8
    }
}

/// A protocol's timer type, a fieldless enum. Derive `strum::VariantArray`,
/// `strum::VariantNames` and `strum::IntoStaticStr` with
/// `#[strum(serialize_all = "snake_case")]`: the names (for the `timeout`
/// command and the trace) come from the variants. Each variant has its own
/// slot unless it says `#[strum(props(slot = N))]` (timers that share a slot
/// replace each other); derive `strum::EnumProperty` for that. Give either
/// every variant a slot or none: a variant without one takes its position,
/// which could land on a slot another variant names.
pub trait TimerKind: Copy + Eq + Debug + 'static {
    /// Every timer's name, in declaration order.
    const NAMES: &'static [&'static str];
    /// The timer's name.
    fn name(self) -> &'static str;
    /// Its slot: setting a timer replaces the pending one in its slot.
    fn slot(self) -> usize;
    /// The number of slots per node.
    fn slots() -> usize;
    /// The timer a name refers to (the `timeout` command).
    fn by_name(name: &str) -> Option<Self>;
    /// Its position in [`TimerKind::NAMES`].
    fn index(self) -> u8;
    /// The timer at a position in [`TimerKind::NAMES`].
    fn from_index(index: u8) -> Option<Self>;
}

impl<T> TimerKind for T
where
    T: Copy + Eq + Debug + 'static + VariantArray + VariantNames + EnumProperty + Into<&'static str>,
{
    const NAMES: &'static [&'static str] = <T as VariantNames>::VARIANTS;

    #[inline]
    fn name(self) -> &'static str {
        self.into()
    }

    #[inline]
    fn slot(self) -> usize {
        match self.get_int("slot") {
            Some(s) => s.max(0) as usize,
            None => <T as VariantArray>::VARIANTS.iter().position(|v| *v == self).unwrap_or(0),
        }
    }

    fn slots() -> usize {
        <T as VariantArray>::VARIANTS.iter().map(|t| t.slot() + 1).max().unwrap_or(0)
    }

    fn by_name(name: &str) -> Option<T> {
        <T as VariantArray>::VARIANTS.iter().copied().find(|t| t.name() == name)
    }

    #[inline]
    fn index(self) -> u8 {
        <T as VariantArray>::VARIANTS.iter().position(|v| *v == self).unwrap_or(0) as u8
    }

    #[inline]
    fn from_index(index: u8) -> Option<T> {
        <T as VariantArray>::VARIANTS.get(usize::from(index)).copied()
    }
}

/// A protocol's role type, a fieldless enum whose variants are the roles
/// in the legend's order. Derive `strum::VariantArray`,
/// `strum::IntoStaticStr` (`serialize_all = "snake_case"`) and
/// `strum::EnumProperty`, and give each variant
/// `#[strum(props(zh = "跟随者", badge = "F", colour = 1))]`: the role's
/// key, its Chinese name, its badge letter and its colour slot all come
/// from the variant, so `ProtocolInfo::roles` ([`role_infos`]) and
/// [`Protocol::role`] cannot disagree.
pub trait RoleKind: Copy + Eq + Debug + 'static {
    /// The role's key (`leader`).
    fn key(self) -> &'static str;
}

impl<T> RoleKind for T
where
    T: Copy + Eq + Debug + 'static + VariantArray + EnumProperty + Into<&'static str>,
{
    #[inline]
    fn key(self) -> &'static str {
        self.into()
    }
}

/// Every role of `R` as the legend draws it. Built once per protocol (its
/// `ProtocolInfo` is a lazily built static), so the slice lives as long as
/// the program.
pub fn role_infos<R>() -> &'static [RoleInfo]
where
    R: Copy + VariantArray + EnumProperty + Into<&'static str>,
{
    let all: Vec<RoleInfo> = R::VARIANTS
        .iter()
        .map(|r| {
            let name: &'static str = (*r).into();
            RoleInfo {
                name,
                name_zh_cn: r.get_str("zh").unwrap_or(name),
                badge: r.get_str("badge").unwrap_or("?"),
                colour: r.get_int("colour").unwrap_or(0).clamp(0, 255) as u8,
            }
        })
        .collect();
    Box::leak(all.into_boxed_slice())
}

/// Read access to every node's state, for invariant monitors.
pub trait Cluster<P: Protocol> {
    /// Number of nodes.
    fn len(&self) -> usize;
    /// Whether the cluster has no nodes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The live state of a node (none if crashed).
    fn state(&self, id: NodeId) -> Option<&P::State>;
}

/// A protocol the simulator can run.
pub trait Protocol: Sized + Clone + Debug + 'static {
    /// Settings from the scenario's `[config]` table (unknown keys must be
    /// rejected: use `#[serde(deny_unknown_fields)]`).
    type Config: Clone + Debug + Default + DeserializeOwned + serde::Serialize;
    /// One node's state, volatile and durable.
    type State: Clone + Debug;
    /// What survives a crash.
    type Durable: Clone + Debug;
    /// A message; its kinds come from its variants.
    type Msg: Clone + Debug + MessageKinds;
    /// A timer; names and slots come from its variants.
    type Timer: TimerKind;
    /// A role; names, badges and colours come from its variants.
    type Role: RoleKind;
    /// A client request.
    type Request: Clone + Debug;
    /// The invariant monitor's own (ghost) state.
    type Monitor: Clone + Debug;
    /// What handlers tell the monitor through [`Context::ghost`] (`()` if
    /// the monitor reads node state only).
    type Ghost: Clone + Debug;

    /// The protocol's self-description.
    fn info() -> &'static ProtocolInfo;

    /// The range of every number in the config, declared once: checked by
    /// [`Protocol::check_config`] and listed by `distlab protocols`. A test
    /// fails if a numeric key of the defaults has no range here.
    const LIMITS: &'static [KeyLimit<Self::Config>];

    /// The rules [`Protocol::LIMITS`] cannot say: keys that depend on each
    /// other or on the cluster size (`nodes`).
    fn validate(config: &Self::Config, nodes: u32) -> Result<(), ConfigIssue>;

    /// Checks a config for an `nodes`-node cluster: every key's range, then
    /// [`Protocol::validate`].
    fn check_config(config: &Self::Config, nodes: u32) -> Result<(), ConfigIssue> {
        crate::limits::check_keys(Self::LIMITS, config).map_err(|(field, message)| ConfigIssue { field, message })?;
        Self::validate(config, nodes)
    }

    /// A fresh node.
    fn init(me: NodeId, peers: &[NodeId], cx: &mut Context<'_, Self>) -> Self::State;

    /// A message arrived.
    fn on_message(state: &mut Self::State, from: NodeId, msg: Self::Msg, cx: &mut Context<'_, Self>);

    /// A timer fired.
    fn on_timer(state: &mut Self::State, timer: Self::Timer, cx: &mut Context<'_, Self>);

    /// A client asked this node to do something.
    fn on_request(state: &mut Self::State, id: RequestId, request: Self::Request, cx: &mut Context<'_, Self>);

    /// What a crash keeps of `state` under `config`.
    fn durable(state: &Self::State, config: &Self::Config) -> Self::Durable;

    /// A crashed node starts again from what it kept.
    fn on_restart(me: NodeId, peers: &[NodeId], durable: Self::Durable, cx: &mut Context<'_, Self>) -> Self::State;

    /// Parses a client request (`set x 1`); the error says what is accepted.
    fn parse_request(text: &str) -> Result<Self::Request, crate::text::Text>;

    /// A fresh monitor for `nodes` nodes.
    fn new_monitor(config: &Self::Config, nodes: usize) -> Self::Monitor;

    /// Checks every invariant after an event that ran handlers on `touched`
    /// (which sent the monitor `ghosts`), pushing each new violation once.
    fn check(
        monitor: &mut Self::Monitor,
        cluster: &dyn Cluster<Self>,
        touched: NodeId,
        ghosts: &[Self::Ghost],
        now: Micros,
        out: &mut Vec<Violation>,
    );

    /// The node's role key, cheap (used to resolve "the leader"). The
    /// framework reports it as the `role` observation after any handler
    /// that changed it (and after `init` and `on_restart`), so handlers
    /// never observe `role` themselves.
    fn role(state: &Self::State) -> Self::Role;

    /// How a live node looks under `config`.
    fn node_view(state: &Self::State, config: &Self::Config) -> ProtocolNodeView;

    /// How a crashed node's durable state looks.
    fn durable_view(durable: &Self::Durable, config: &Self::Config) -> ProtocolNodeView;

    /// How a message looks.
    fn message_view(msg: &Self::Msg) -> MessageView;

    /// The break-it switch `key` in `config` (one of
    /// [`ProtocolInfo::break_switches`]), so a learner can turn it on and
    /// off while the run goes on; none for any other key. None by default.
    fn switch<'c>(config: &'c mut Self::Config, key: &str) -> Option<&'c mut bool> {
        let _ = (config, key);
        None
    }

    /// Live figures from the nodes' states (`None` for a crashed node) at
    /// global time `now`, after `messages_sent` messages: throughput,
    /// fairness, cost. None by default.
    fn figures(config: &Self::Config, states: &[Option<&Self::State>], now: Micros, messages_sent: u64) -> Vec<Figure> {
        let _ = (config, states, now, messages_sent);
        Vec::new()
    }

    /// What the stage draws inside the circle of nodes, from the nodes'
    /// states (`None` for a crashed node). The plain cluster by default.
    fn stage(config: &Self::Config, states: &[Option<&Self::State>]) -> Stage {
        let _ = (config, states);
        Stage::Cluster
    }

    /// Requests the protocol offers as buttons beside its stage (the hash
    /// ring's join and leave). None by default.
    fn actions(config: &Self::Config, states: &[Option<&Self::State>]) -> Vec<Action> {
        let _ = (config, states);
        Vec::new()
    }
}
