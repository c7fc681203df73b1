//! Interventions. Every change a learner, lesson, test or fault schedule
//! makes to a running simulation is a [`Command`] value; the engine records
//! each one with the point of the run where it was applied, so a run is
//! fully described by `(scenario, seed, commands)`.

use crate::ids::{MsgId, NodeId};
use crate::limits;
use crate::network::NetworkParams;
use crate::text::Text;
use crate::time::Micros;
use crate::view::ProtocolInfo;
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

/// Why a command is refused whatever the state of the run, and which of
/// its fields is at fault: the key of a lesson's action table (`for_ms`,
/// `partition`, `timer`), so the loader can point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong, in both languages.
    pub text: Text,
}

/// The longest pause a command may ask for.
pub const MAX_PAUSE: Micros = Micros(limits::MAX_LATENCY.0 * 10);

impl Command {
    /// Checks everything about a command that does not depend on the state
    /// of the run: node numbers within `1..=nodes`, disjoint partition
    /// groups, a link with two different ends, the pause, clock jump and
    /// drift limits, the request's size and text (`check_request`, the
    /// protocol's parser), the timer and switch names, the network knobs.
    /// The one static check: the loader asks it of every action in a file,
    /// the world of every command before it looks at the nodes' state.
    pub fn check(
        &self,
        nodes: u32,
        info: &ProtocolInfo,
        check_request: &dyn Fn(&str) -> Result<(), Text>,
    ) -> Result<(), Refusal> {
        let no = |field: &'static str, en: String, zh: String| Err(Refusal { field, text: Text::new(en, zh) });
        let node = |field: &'static str, id: NodeId| {
            if (1..=nodes).contains(&id.0) {
                Ok(())
            } else {
                no(
                    field,
                    format!("there is no node {}; nodes are numbered 1 to {nodes}", id.0),
                    format!("没有节点 {}；节点编号为 1 到 {nodes}", id.0),
                )
            }
        };
        if let Some(NodeRef::Id(id)) = self.target() {
            node(if matches!(self, Command::Request { .. }) { "node" } else { self.verb() }, *id)?;
        }
        match self {
            Command::Pause { for_us, .. } => {
                if *for_us == 0 || *for_us > MAX_PAUSE.0 {
                    let (ms, max) = (*for_us as f64 / 1000.0, MAX_PAUSE.0 / 1000);
                    return no(
                        "for_ms",
                        format!("pause for {ms} ms is outside 0.001 to {max} ms"),
                        format!("暂停 {ms} 毫秒超出了 0.001 到 {max} 毫秒的范围"),
                    );
                }
            }
            Command::Partition { groups } => {
                if groups.iter().all(Vec::is_empty) {
                    return no(
                        "partition",
                        "partition needs groups, like [[1, 2], [3, 4, 5]]".into(),
                        "分区需要分组，例如 [[1, 2], [3, 4, 5]]".into(),
                    );
                }
                let mut seen = vec![false; nodes as usize];
                for id in groups.iter().flatten() {
                    node("partition", *id)?;
                    if std::mem::replace(&mut seen[id.index()], true) {
                        return no(
                            "partition",
                            format!("{id} is in two partition groups"),
                            format!("{id} 同时在两个分区组里"),
                        );
                    }
                }
            }
            Command::Cut { from, to, .. } | Command::HealLink { from, to, .. } => {
                let field = self.verb();
                node(field, *from)?;
                node(field, *to)?;
                if from == to {
                    return no(
                        field,
                        format!("a link needs two different nodes, got {from} twice"),
                        format!("一条链路需要两个不同的节点，这里两次都是 {from}"),
                    );
                }
            }
            Command::Request { op, .. } => {
                if let Some(why) = info.clients.refusal() {
                    return Err(Refusal { field: "request", text: why });
                }
                if op.len() > limits::MAX_REQUEST_BYTES {
                    let (n, max) = (op.len(), limits::MAX_REQUEST_BYTES);
                    return no(
                        "request",
                        format!("request is {n} bytes; the limit is {max}"),
                        format!("请求有 {n} 字节；上限是 {max}"),
                    );
                }
                check_request(op).map_err(|text| Refusal { field: "request", text })?;
            }
            Command::Timeout { timer, .. } => {
                if !info.timers.contains(&timer.as_str()) {
                    let (title, timers) = (info.title, info.timers.join(", "));
                    return no(
                        "timer",
                        format!("unknown timer '{timer}'; {title} has: {timers}"),
                        format!("未知的计时器“{timer}”；{title} 的计时器有：{timers}"),
                    );
                }
            }
            Command::SetNetwork { params } => {
                params.check(nodes).map_err(|text| Refusal { field: "set_network", text })?;
            }
            Command::ClockJump { by_us, .. } => {
                if by_us.unsigned_abs() > limits::MAX_CLOCK_OFFSET_US as u64 {
                    let (ms, max) = (*by_us as f64 / 1000.0, limits::MAX_CLOCK_OFFSET_US / 1000);
                    return no(
                        "by_ms",
                        format!("clock jump of {ms} ms is beyond the limit of ±{max} ms"),
                        format!("时钟跳变 {ms} 毫秒超出了 ±{max} 毫秒的上限"),
                    );
                }
            }
            Command::SetDrift { ppm, .. } => {
                if ppm.unsigned_abs() > limits::MAX_DRIFT_PPM as u64 {
                    let max = limits::MAX_DRIFT_PPM;
                    return no(
                        "ppm",
                        format!("drift {ppm} ppm is beyond the limit of ±{max} ppm"),
                        format!("时钟漂移 {ppm} ppm 超出了 ±{max} ppm 的上限"),
                    );
                }
            }
            Command::Switch { key, .. } => {
                if !info.break_switches.iter().any(|b| b.key == key) {
                    let keys: Vec<&str> = info.break_switches.iter().map(|b| b.key).collect();
                    let list = if keys.is_empty() { "none".to_string() } else { keys.join(", ") };
                    return no(
                        "switch",
                        format!("'{key}' is not a break-it switch of {}; it has: {list}", info.title),
                        format!("“{key}”不是 {} 的破坏开关；它有：{list}", info.title_zh_cn),
                    );
                }
            }
            Command::Crash { .. }
            | Command::Restart { .. }
            | Command::Isolate { .. }
            | Command::Heal
            | Command::Hold { .. }
            | Command::Release { .. }
            | Command::Drop { .. }
            | Command::Duplicate { .. } => {}
        }
        Ok(())
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
