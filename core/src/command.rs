//! Interventions. Every change a learner, lesson, test or fault schedule
//! makes to a running simulation is a [`Command`] value; the engine records
//! each one with the point of the run where it was applied, so a run is
//! fully described by `(scenario, seed, commands)`.

use crate::ids::{MsgId, NodeId};
use crate::network::NetworkParams;
use crate::time::Micros;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A node named either by number or by the role it has when the command is
/// applied ("leader"). Role references resolve to a number before the
/// command is recorded, so replays do not depend on resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NodeRef {
    /// A node number (1-based).
    Id(NodeId),
    /// The lowest-numbered live node whose role has this name, or with
    /// `crashed`, the lowest-numbered crashed node.
    Role(String),
}

impl From<NodeId> for NodeRef {
    fn from(id: NodeId) -> NodeRef {
        NodeRef::Id(id)
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Id(id) => write!(f, "{id}"),
            NodeRef::Role(r) => write!(f, "the {r}"),
        }
    }
}

/// One intervention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Command {
    /// Crash a node: volatile state is lost, durable state kept.
    Crash {
        /// The node.
        node: NodeRef,
    },
    /// Restart a crashed node from its durable state.
    Restart {
        /// The node.
        node: NodeRef,
    },
    /// Stop a node for a while, like a stop-the-world GC pause: nothing
    /// runs on it, messages and timers wait until it resumes.
    Pause {
        /// The node.
        node: NodeRef,
        /// How long.
        for_us: u64,
    },
    /// Split the cluster: nodes in different groups cannot talk. Nodes in no
    /// group form one more group together.
    Partition {
        /// The groups.
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut a node off from every other node, both ways.
    Isolate {
        /// The node.
        node: NodeRef,
    },
    /// Cut one directed link (or both directions).
    Cut {
        /// Sender side.
        from: NodeId,
        /// Receiver side.
        to: NodeId,
        /// Also cut `to -> from`.
        #[serde(default)]
        both: bool,
    },
    /// Heal one directed link (or both directions).
    HealLink {
        /// Sender side.
        from: NodeId,
        /// Receiver side.
        to: NodeId,
        /// Also heal `to -> from`.
        #[serde(default)]
        both: bool,
    },
    /// Heal every link.
    Heal,
    /// Hold a message in flight: it waits until released or dropped.
    Hold {
        /// The message.
        msg: MsgId,
    },
    /// Release a held message: it arrives now (or when due, if not yet due).
    Release {
        /// The message.
        msg: MsgId,
    },
    /// Drop a message in flight.
    Drop {
        /// The message.
        msg: MsgId,
    },
    /// Send a copy of a message in flight, with its own latency.
    Duplicate {
        /// The message.
        msg: MsgId,
    },
    /// A client request, in the protocol's request syntax (Raft: `set x 1`).
    Request {
        /// The node the client contacts.
        node: NodeRef,
        /// The request text.
        op: String,
    },
    /// Fire a named timer now (Raft: `election`, to force an election).
    Timeout {
        /// The node.
        node: NodeRef,
        /// The timer's name.
        timer: String,
    },
    /// Replace the network parameters.
    SetNetwork {
        /// The new parameters.
        params: NetworkParams,
    },
    /// Move a node's clock by a signed amount.
    ClockJump {
        /// The node.
        node: NodeRef,
        /// Microseconds to add (negative: back).
        by_us: i64,
    },
    /// Set a node's clock rate error in parts per million.
    SetDrift {
        /// The node.
        node: NodeRef,
        /// Drift: positive runs fast.
        ppm: i64,
    },
    /// Turn one of the protocol's break-it switches on or off; every node
    /// takes the new setting at once (a crashed one when it restarts).
    Switch {
        /// The switch's config key (`break_election_restriction`).
        key: String,
        /// On (the protocol broken) or off.
        on: bool,
    },
}

impl Command {
    /// The command's verb, as in files and traces.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Crash { .. } => "crash",
            Command::Restart { .. } => "restart",
            Command::Pause { .. } => "pause",
            Command::Partition { .. } => "partition",
            Command::Isolate { .. } => "isolate",
            Command::Cut { .. } => "cut",
            Command::HealLink { .. } => "heal_link",
            Command::Heal => "heal",
            Command::Hold { .. } => "hold",
            Command::Release { .. } => "release",
            Command::Drop { .. } => "drop",
            Command::Duplicate { .. } => "duplicate",
            Command::Request { .. } => "request",
            Command::Timeout { .. } => "timeout",
            Command::SetNetwork { .. } => "set_network",
            Command::ClockJump { .. } => "clock_jump",
            Command::SetDrift { .. } => "set_drift",
            Command::Switch { .. } => "switch",
        }
    }

    /// The node the command targets, if it targets one.
    pub fn target(&self) -> Option<&NodeRef> {
        match self {
            Command::Crash { node }
            | Command::Restart { node }
            | Command::Pause { node, .. }
            | Command::Isolate { node }
            | Command::Request { node, .. }
            | Command::Timeout { node, .. }
            | Command::ClockJump { node, .. }
            | Command::SetDrift { node, .. } => Some(node),
            _ => None,
        }
    }

    /// The node the command targets, mutably (to resolve a role reference).
    pub fn target_mut(&mut self) -> Option<&mut NodeRef> {
        match self {
            Command::Crash { node }
            | Command::Restart { node }
            | Command::Pause { node, .. }
            | Command::Isolate { node }
            | Command::Request { node, .. }
            | Command::Timeout { node, .. }
            | Command::ClockJump { node, .. }
            | Command::SetDrift { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// A command as the engine recorded it: where in the run it was applied,
/// with role references already resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// Events processed before the command was applied.
    pub after_events: u64,
    /// Queue entries acted on before the command was applied; replays apply
    /// it at exactly this point.
    pub after_pops: u64,
    /// Simulated time when it was applied.
    pub at: Micros,
    /// The command, with node references resolved to numbers.
    pub command: Command,
    /// The role the target node had when the command was applied, if any.
    pub target_role: Option<String>,
}
