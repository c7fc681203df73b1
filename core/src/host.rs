//! The protocol's side of a world, behind one object-safe trait.
//!
//! The [`World`](crate::world::World) is the protocol-independent kernel:
//! the event queue, the network, clocks, the node life cycle, the timer
//! table, the in-flight window, clients, the trace and command validation.
//! It is compiled once. Everything that needs the protocol's types lives in
//! [`Hosted<P>`], which the kernel reaches through `dyn Host`: node states
//! and what survives a crash, the payloads of messages in flight (by
//! handle), parsed client requests, the config in force, the monitor and
//! the views. So a new protocol adds its handlers and this small adapter to
//! the program, not another copy of the event loop, the engine and the
//! loader.
//!
//! A handler's effects come back as a protocol-independent
//! [`Outbox`]: message kinds and payload handles, timer indexes and slots,
//! observations and replies. The kernel applies them in order, exactly as
//! when the world was generic, so traces are unchanged.

use crate::ids::{NodeId, RequestId};
use crate::protocol::{Cluster, Context, Effects, Obs, Outbox, Protocol, RoleKind, TimerKind};
use crate::rng::Rng;
use crate::text::Text;
use crate::time::Micros;
use crate::view::{Action, CRASHED, Figure, MessageView, ProtocolInfo, ProtocolNodeView, Stage, Violation};
use std::fmt::Debug;
use std::rc::Rc;

/// What a handler call needs from the kernel: the node, its local clock
/// and its random stream.
pub struct Env<'a> {
    /// The node the handler runs on.
    pub me: NodeId,
    /// Its local clock.
    pub now: Micros,
    /// Its random stream.
    pub rng: &'a mut Rng,
}

/// The protocol's side of a world (see the module docs). Node indexes are
/// 0-based; payload and request handles are the host's own.
pub trait Host: Debug {
    /// A copy, for checkpoints.
    fn boxed_clone(&self) -> Box<dyn Host>;
    /// The protocol's description.
    fn info(&self) -> &'static ProtocolInfo;
    /// The slot of each timer, by its index in [`ProtocolInfo::timers`].
    fn timer_slots(&self) -> Vec<u16>;

    /// Creates node `i`.
    fn init(&mut self, i: usize, env: Env<'_>);
    /// Delivers the message whose payload is `payload` to node `i`
    /// (consuming the payload).
    fn deliver(&mut self, i: usize, from: NodeId, payload: u32, env: Env<'_>);
    /// Fires timer `timer` (an index) on node `i`.
    fn timer(&mut self, i: usize, timer: u8, env: Env<'_>);
    /// Hands client request `id` (parsed as `request`) to node `i`.
    fn request(&mut self, i: usize, id: RequestId, request: u32, env: Env<'_>);
    /// Crashes node `i`: its state is reduced to what survives.
    fn crash(&mut self, i: usize);
    /// Restarts node `i` from what survived; false if nothing did.
    fn restart(&mut self, i: usize, env: Env<'_>) -> bool;
    /// The effects of the last handler call, for the kernel to apply.
    fn outbox(&mut self) -> &mut Outbox;
    /// Runs the monitor after handlers on `touched`, with the notes they
    /// sent it; new violations go to `out`.
    fn check(&mut self, touched: NodeId, now: Micros, out: &mut Vec<Violation>);

    /// Node `i`'s role key, none while it is crashed.
    fn role(&self, i: usize) -> Option<&'static str>;
    /// A second copy of a payload in flight (the network duplicated it).
    fn copy_payload(&mut self, payload: u32) -> u32;
    /// Forgets a payload whose message will never be delivered.
    fn discard_payload(&mut self, payload: u32);
    /// How a message in flight looks.
    fn message_view(&self, payload: u32) -> MessageView;

    /// Checks a client request's text.
    fn check_request(&self, text: &str) -> Result<(), Text>;
    /// Parses and keeps a client request until [`Host::forget_request`].
    fn parse_request(&mut self, text: &str) -> Result<u32, Text>;
    /// Forgets a parsed request (answered, failed or given up).
    fn forget_request(&mut self, request: u32);

    /// Turns a break-it switch on or off; nodes see it from their next event.
    fn set_switch(&mut self, key: &str, on: bool);
    /// Each break-it switch and whether it is on.
    fn switches(&self) -> Vec<(&'static str, bool)>;

    /// How node `i` looks: live, crashed (its durable state), or empty.
    fn node_view(&self, i: usize) -> ProtocolNodeView;
    /// Live figures at global time `now`, after `sent` messages.
    fn figures(&self, now: Micros, sent: u64) -> Vec<Figure>;
    /// What the stage draws.
    fn stage(&self) -> Stage;
    /// The protocol's own actions.
    fn actions(&self) -> Vec<Action>;
}

impl Clone for Box<dyn Host> {
    fn clone(&self) -> Self {
        self.boxed_clone()
    }
}

/// Protocol `P` adapted to [`Host`].
#[derive(Clone, Debug)]
pub struct Hosted<P: Protocol> {
    /// The config in force: the scenario's, until a break-it switch flips.
    config: Rc<P::Config>,
    peers: Rc<[Vec<NodeId>]>,
    states: Vec<Option<P::State>>,
    durables: Vec<Option<P::Durable>>,
    /// The role last reported in the trace (none after a crash), so the
    /// framework observes `role` whenever a handler changes it.
    role_seen: Vec<Option<&'static str>>,
    effects: Effects<P>,
    requests: slab::Slab<P::Request>,
    monitor: P::Monitor,
}

impl<P: Protocol> Hosted<P> {
    /// A host for `nodes` nodes under `config`, before any node exists.
    pub fn new(config: P::Config, nodes: usize) -> Hosted<P> {
        let all: Vec<NodeId> = (0..nodes).map(NodeId::from_index).collect();
        let peers: Vec<Vec<NodeId>> = all.iter().map(|me| all.iter().copied().filter(|p| p != me).collect()).collect();
        Hosted {
            monitor: P::new_monitor(&config, nodes),
            config: Rc::new(config),
            peers: peers.into(),
            states: vec![None; nodes],
            durables: vec![None; nodes],
            role_seen: vec![None; nodes],
            effects: Effects::default(),
            requests: slab::Slab::new(),
        }
    }

    /// After a handler on node `i`: the framework observes the role when
    /// it changed, after the handler's own observations.
    fn observe_role(&mut self, i: usize) {
        // Keys are static strings, so the same role is almost always the same
        // pointer: the text is compared only when the pointers differ.
        if let Some(role) = self.states[i].as_ref().map(|st| P::role(st).key())
            && !self.role_seen[i].is_some_and(|seen| std::ptr::eq(seen, role) || seen == role)
        {
            self.role_seen[i] = Some(role);
            self.effects.out.observations.push(("role", Obs::Str(role)));
        }
    }

    fn state_refs(&self) -> Vec<Option<&P::State>> {
        self.states.iter().map(Option::as_ref).collect()
    }
}

struct States<'a, P: Protocol>(&'a [Option<P::State>]);

impl<P: Protocol> Cluster<P> for States<'_, P> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn state(&self, id: NodeId) -> Option<&P::State> {
        self.0.get(id.index())?.as_ref()
    }
}

impl<P: Protocol> Host for Hosted<P> {
    fn boxed_clone(&self) -> Box<dyn Host> {
        Box::new(self.clone())
    }

    fn info(&self) -> &'static ProtocolInfo {
        P::info()
    }

    fn timer_slots(&self) -> Vec<u16> {
        (0..<P::Timer as TimerKind>::NAMES.len())
            .filter_map(|i| <P::Timer as TimerKind>::from_index(i as u8))
            .map(|t| t.slot() as u16)
            .collect()
    }

    fn init(&mut self, i: usize, env: Env<'_>) {
        let peers = Rc::clone(&self.peers);
        let mut cx = Context::new(env.me, env.now, env.rng, &mut self.effects, &self.config);
        self.states[i] = Some(P::init(env.me, &peers[i], &mut cx));
        self.observe_role(i);
    }

    fn deliver(&mut self, i: usize, from: NodeId, payload: u32, env: Env<'_>) {
        let Some(msg) = self.effects.payloads.try_remove(payload as usize) else { return };
        if let Some(state) = self.states[i].as_mut() {
            let mut cx = Context::new(env.me, env.now, env.rng, &mut self.effects, &self.config);
            P::on_message(state, from, msg, &mut cx);
        }
        self.observe_role(i);
    }

    fn timer(&mut self, i: usize, timer: u8, env: Env<'_>) {
        let Some(timer) = <P::Timer as TimerKind>::from_index(timer) else { return };
        if let Some(state) = self.states[i].as_mut() {
            let mut cx = Context::new(env.me, env.now, env.rng, &mut self.effects, &self.config);
            P::on_timer(state, timer, &mut cx);
        }
        self.observe_role(i);
    }

    fn request(&mut self, i: usize, id: RequestId, request: u32, env: Env<'_>) {
        let Some(request) = self.requests.get(request as usize).cloned() else { return };
        if let Some(state) = self.states[i].as_mut() {
            let mut cx = Context::new(env.me, env.now, env.rng, &mut self.effects, &self.config);
            P::on_request(state, id, request, &mut cx);
        }
        self.observe_role(i);
    }

    fn crash(&mut self, i: usize) {
        if let Some(state) = self.states[i].take() {
            self.durables[i] = Some(P::durable(&state, &self.config));
        }
        self.role_seen[i] = None;
    }

    fn restart(&mut self, i: usize, env: Env<'_>) -> bool {
        let Some(durable) = self.durables[i].take() else { return false };
        let peers = Rc::clone(&self.peers);
        let mut cx = Context::new(env.me, env.now, env.rng, &mut self.effects, &self.config);
        self.states[i] = Some(P::on_restart(env.me, &peers[i], durable, &mut cx));
        self.observe_role(i);
        true
    }

    fn outbox(&mut self) -> &mut Outbox {
        &mut self.effects.out
    }

    fn check(&mut self, touched: NodeId, now: Micros, out: &mut Vec<Violation>) {
        P::check(&mut self.monitor, &States::<P>(&self.states), touched, &self.effects.ghosts, now, out);
        self.effects.ghosts.clear();
    }

    fn role(&self, i: usize) -> Option<&'static str> {
        self.states.get(i)?.as_ref().map(|st| P::role(st).key())
    }

    fn copy_payload(&mut self, payload: u32) -> u32 {
        match self.effects.payloads.get(payload as usize).cloned() {
            Some(msg) => self.effects.payloads.insert(msg) as u32,
            None => u32::MAX,
        }
    }

    fn discard_payload(&mut self, payload: u32) {
        self.effects.payloads.try_remove(payload as usize);
    }

    fn message_view(&self, payload: u32) -> MessageView {
        self.effects.payloads.get(payload as usize).map(P::message_view).unwrap_or_default()
    }

    fn check_request(&self, text: &str) -> Result<(), Text> {
        P::parse_request(text).map(|_| ())
    }

    fn parse_request(&mut self, text: &str) -> Result<u32, Text> {
        let request = P::parse_request(text)?;
        Ok(self.requests.insert(request) as u32)
    }

    fn forget_request(&mut self, request: u32) {
        self.requests.try_remove(request as usize);
    }

    fn set_switch(&mut self, key: &str, on: bool) {
        let mut config = (*self.config).clone();
        if let Some(flag) = P::switch(&mut config, key) {
            *flag = on;
        }
        self.config = Rc::new(config);
    }

    fn switches(&self) -> Vec<(&'static str, bool)> {
        let mut probe = (*self.config).clone();
        P::info().break_switches.iter().map(|b| (b.key, P::switch(&mut probe, b.key).is_some_and(|on| *on))).collect()
    }

    fn node_view(&self, i: usize) -> ProtocolNodeView {
        match (&self.states[i], &self.durables[i]) {
            (Some(st), _) => P::node_view(st, &self.config),
            (None, Some(d)) => {
                let mut v = P::durable_view(d, &self.config);
                v.role = CRASHED;
                v
            }
            (None, None) => ProtocolNodeView::default(),
        }
    }

    fn figures(&self, now: Micros, sent: u64) -> Vec<Figure> {
        P::figures(&self.config, &self.state_refs(), now, sent)
    }

    fn stage(&self) -> Stage {
        P::stage(&self.config, &self.state_refs())
    }

    fn actions(&self) -> Vec<Action> {
        P::actions(&self.config, &self.state_refs())
    }
}
