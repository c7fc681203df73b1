//! Plain data that describes a protocol and the state of a run to the UI and
//! the CLI. Views are built on demand; nothing here feeds back into the
//! simulation. The generic UI draws only what these types say, so it never
//! needs to know which protocol it shows.

use crate::ids::{MsgId, NodeId};
use crate::text::Text;
use serde::Serialize;

/// What a protocol's stage draws: the nodes on a circle with their
/// messages, and inside it what the protocol is about. Each kind has one
/// file in the web's `stage/` folder; adding a kind is one variant here,
/// one file there and its arm in that folder's dispatch.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stage {
    /// Nodes on a circle, messages along chords (Raft, Paxos, ...).
    #[default]
    Cluster,
    /// A hash ring drawn inside the circle of nodes.
    Ring(RingView),
    /// A board of the lock's clients in queue order, with the resource.
    Locks(LockView),
}

impl Stage {
    /// Whether the cluster draws the network's links (a ring inside the
    /// circle has no room for them; cut links are drawn anyway).
    pub fn draws_links(&self) -> bool {
        !matches!(self, Stage::Ring(_))
    }
}

/// A request a protocol offers as a button beside its stage (the hash
/// ring's "add S6", "remove S3"), so the UI sends it without knowing the
/// protocol's request syntax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    /// Its group (`join`, `leave`): actions of one group share a label and
    /// are drawn together (as buttons, or a list when there are many).
    pub group: &'static str,
    /// The group's label, in both languages.
    pub label: Text,
    /// The node the action is about (drawn in its colour).
    pub subject: NodeId,
    /// The node that takes the request.
    pub node: NodeId,
    /// The client request (`join 6`).
    pub request: String,
}

/// A role a node can have, as the protocol names and draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    /// The role's key, as in node views and lesson conditions (`leader`);
    /// also its English label.
    pub name: &'static str,
    /// Its label in Chinese (`领导者`).
    pub name_zh_cn: &'static str,
    /// A one-letter badge drawn on the node so roles differ without colour.
    pub badge: &'static str,
    /// A colour slot (0 = neutral) the UI maps to a colour-blind-safe palette.
    pub colour: u8,
}

/// A safety property the protocol's monitor checks after every event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantInfo {
    /// Its name (`Election Safety`), as lessons and reports use it.
    pub name: &'static str,
    /// Its name in Chinese (`选举安全性`).
    pub name_zh_cn: &'static str,
    /// Where it comes from (`Raft §5.2, Figure 3`).
    pub source: &'static str,
    /// The rule in one sentence.
    pub rule: &'static str,
    /// The rule in Chinese.
    pub rule_zh_cn: &'static str,
}

/// A switch in the protocol's config that deliberately breaks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakSwitch {
    /// The config key (`break_election_restriction`).
    pub key: &'static str,
    /// What it turns off, in one sentence.
    pub effect: &'static str,
    /// The same in Chinese.
    pub effect_zh_cn: &'static str,
    /// The invariant expected to catch it.
    pub caught_by: &'static str,
}

/// What a protocol calls something a learner reads (a field, a timer, an
/// observation), keyed as in views and lesson conditions, with its label
/// in both languages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The key (`commit_index`).
    pub key: &'static str,
    /// The English label (`commit index`).
    pub en: &'static str,
    /// The Chinese label (`提交位置`).
    pub zh_cn: &'static str,
}

impl Label {
    /// The label in `lang`.
    pub fn get(&self, lang: crate::text::Lang) -> &'static str {
        match lang {
            crate::text::Lang::En => self.en,
            crate::text::Lang::ZhCn => self.zh_cn,
        }
    }
}

/// A family of protocols, as the lab's start page lists them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Family {
    /// The family's key (`consensus`).
    pub key: &'static str,
    /// Its name (English, Chinese).
    pub title: (&'static str, &'static str),
    /// One line on what it is about (English, Chinese).
    pub blurb: (&'static str, &'static str),
    /// Its place on the start page.
    pub order: u32,
}

/// How clients reach a protocol: where the built-in client (a scenario's
/// `[workload]`, a learner's request) sends its requests.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clients {
    /// To the leader: other nodes answer with a redirect, and the client
    /// follows it and remembers the node that last answered (Raft).
    Leader,
    /// To any node, which acts as the gateway for the request; the client
    /// keeps using the node that last answered (the hash ring).
    Gateway,
    /// Always to this node (a transaction coordinator, a broker).
    Fixed(NodeId),
    /// Nowhere: the protocol's own client nodes act by themselves (the lock
    /// protocols). The names say who, in English and Chinese.
    SelfDriving(&'static str, &'static str),
}

impl Clients {
    /// Why a request is refused, for a protocol whose clients drive
    /// themselves.
    pub fn refusal(self) -> Option<Text> {
        match self {
            Clients::SelfDriving(who, who_zh) => Some(Text::new(
                format!("{who} act on their own; there are no client requests to send"),
                format!("{who_zh}自己行动；没有可发送的客户端请求"),
            )),
            Clients::Leader | Clients::Gateway | Clients::Fixed(_) => None,
        }
    }
}

/// How a protocol describes itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProtocolInfo {
    /// Registry key, as in scenario files (`raft`).
    pub name: &'static str,
    /// Display title (`Raft`).
    pub title: &'static str,
    /// Display title in Chinese.
    pub title_zh_cn: &'static str,
    /// The roles its nodes take.
    pub roles: &'static [RoleInfo],
    /// The kinds of message it sends.
    pub message_kinds: &'static [&'static str],
    /// Its timers by name.
    pub timers: &'static [&'static str],
    /// The invariants its monitor checks.
    pub invariants: &'static [InvariantInfo],
    /// Its break-it switches.
    pub break_switches: &'static [BreakSwitch],
    /// Examples of client requests it accepts (`set x 1`).
    pub request_examples: &'static [&'static str],
    /// How clients reach it.
    pub clients: Clients,
    /// Its nodes keep a replicated log (node views carry it): the lab can
    /// show every node's log side by side.
    pub logs: bool,
    /// Labels for its field names, timer names and observation keys.
    pub labels: &'static [Label],
    /// The family it belongs to.
    pub family: &'static Family,
    /// One line on what it is (English, Chinese).
    pub blurb: (&'static str, &'static str),
}

impl ProtocolInfo {
    /// The label for a field, timer or observation key, if it has one.
    pub fn label(&self, key: &str) -> Option<&'static Label> {
        self.labels.iter().find(|l| l.key == key)
    }

    /// The label of `key` in `lang`, or the key with spaces for
    /// underscores when the protocol gives none.
    pub fn label_text(&self, key: &str, lang: crate::text::Lang) -> String {
        self.label(key).map_or_else(|| key.replace('_', " "), |l| l.get(lang).to_string())
    }
}

/// A value shown in a node or message view.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
    /// Nothing (for example no vote cast).
    None,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v as i64)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::None, Into::into)
    }
}

impl Value {
    /// The value as a number, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as display text.
    pub fn display(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Text(t) => t.clone(),
            Value::None => "–".to_string(),
        }
    }
}

/// A named value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    /// Key (`term`).
    pub name: &'static str,
    /// Value.
    pub value: Value,
}

/// One entry of a replicated log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntryView {
    /// Position, from 1.
    pub index: u64,
    /// The term (or epoch, ballot) that created it.
    pub term: u64,
    /// What it says (`set x 1`).
    pub text: String,
    /// Whether this node knows it is committed.
    pub committed: bool,
}

/// A protocol's view of one node's state.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct ProtocolNodeView {
    /// Role key (see [`RoleInfo`]).
    pub role: &'static str,
    /// A short line drawn on the node under its name (Raft: `term 3`).
    pub headline: Text,
    /// Fields to show, in order.
    pub fields: Vec<Field>,
    /// The node's log, if the protocol has one.
    pub log: Vec<LogEntryView>,
    /// Key-value contents of the node's state machine, if any.
    pub store: Vec<(String, String)>,
    /// What the store rows are, when they are not a key-value store (a
    /// lock's storage lists the writes it accepted).
    pub store_title: Option<Text>,
}

/// A protocol's view of one message.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MessageView {
    /// Kind (`RequestVote`).
    pub kind: &'static str,
    /// One line (`RequestVote term 3, last log 5/2`).
    pub summary: String,
    /// Fields to show.
    pub fields: Vec<Field>,
    /// A short label the message's dot carries in the cluster (a fencing
    /// token, `#7`), if any.
    pub tag: Option<String>,
}

/// Life-cycle status of a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Running.
    Up,
    /// Crashed: only durable state survives.
    Crashed,
    /// Paused (GC pause) until the given time.
    Paused,
}

impl NodeStatus {
    /// The status's name.
    pub const fn name(self) -> &'static str {
        match self {
            NodeStatus::Up => "up",
            NodeStatus::Crashed => CRASHED,
            NodeStatus::Paused => "paused",
        }
    }
}

/// The role a crashed node shows in views and lesson conditions, and the
/// name files use for "the crashed node" (`restart = "crashed"`). The one
/// place it is spelled: code asks [`NodeStatus::Crashed`], not the string.
pub const CRASHED: &str = "crashed";

/// A pending timer of a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimerView {
    /// Its name (`election`).
    pub name: &'static str,
    /// When it was set (global time).
    pub set_at_us: u64,
    /// When it fires (global time).
    pub fires_at_us: u64,
}

/// Everything the UI shows about one node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeView {
    /// Node number.
    pub id: NodeId,
    /// Life-cycle status.
    pub status: NodeStatus,
    /// Until when it is paused, if paused.
    pub paused_until_us: Option<u64>,
    /// The node's local clock reading.
    pub clock_us: u64,
    /// Clock drift in parts per million.
    pub drift_ppm: i64,
    /// Pending timers.
    pub timers: Vec<TimerView>,
    /// Protocol state; for a crashed node, the role is `crashed` and the
    /// fields show the durable state.
    pub protocol: ProtocolNodeView,
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InFlightView {
    /// Message id.
    pub id: MsgId,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// Send time.
    pub sent_us: u64,
    /// Scheduled delivery time.
    pub deliver_us: u64,
    /// Held by a command.
    pub held: bool,
    /// A copy made by the network or a command.
    pub duplicate: bool,
    /// The protocol's description.
    pub message: MessageView,
}

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's name.
    pub invariant: &'static str,
    /// When it was detected.
    pub time_us: u64,
    /// A sentence that names the rule and the nodes.
    pub message: Text,
    /// The nodes involved.
    pub nodes: Vec<NodeId>,
    /// The messages involved: the simulator adds the one whose delivery
    /// led to the violation, when a delivery did.
    pub messages: Vec<MsgId>,
}

/// A snapshot of a run for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorldView {
    /// The protocol's description.
    pub protocol: ProtocolInfo,
    /// Current simulated time.
    pub time_us: u64,
    /// Events processed so far.
    pub events: u64,
    /// Every node.
    pub nodes: Vec<NodeView>,
    /// Messages in flight, in send order.
    pub messages: Vec<InFlightView>,
    /// Cut directed links.
    pub cut_links: Vec<(NodeId, NodeId)>,
    /// Invariant violations so far.
    pub violations: Vec<Violation>,
    /// Scheduled end of the scenario.
    pub end_us: u64,
    /// Time of the next pending event, if any.
    pub next_event_us: Option<u64>,
    /// Live figures the protocol computes from its nodes (see
    /// [`crate::protocol::Protocol::figures`]).
    pub figures: Vec<Figure>,
    /// Each break-it switch of the protocol and whether it is on now.
    pub switches: Vec<(&'static str, bool)>,
    /// What the stage draws inside the circle of nodes.
    pub stage: Stage,
    /// Requests the protocol offers as buttons.
    pub actions: Vec<Action>,
}

/// A live figure (`fairness (Jain's index)`: `0.97`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// What it measures, in both languages.
    pub name: Text,
    /// Its value, formatted, in both languages (numbers read the same).
    pub value: Text,
    /// Bars to draw under it (a load per node, a histogram), if any.
    pub bars: Vec<Bar>,
}

impl Figure {
    /// A figure without bars.
    pub fn new(name: Text, value: impl Into<Text>) -> Figure {
        Figure { name, value: value.into(), bars: Vec::new() }
    }
}

/// One bar of a figure's chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bar {
    /// Its label under the bar (`S3`, `40-80 ms`).
    pub label: String,
    /// Its height.
    pub value: f64,
    /// The node it stands for, so the UI can give it that node's colour.
    pub node: Option<NodeId>,
}

/// Where a key of a hash ring stands in a rebalancing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// With its owner.
    Home,
    /// Its owner changed; the old owner still has it and serves it.
    Waiting,
    /// Sent to its new owner, not yet confirmed.
    Travelling,
}

/// A key on the ring.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyDot {
    /// Its number (`k17` is 17).
    pub key: u32,
    /// Its position: the top 32 bits of its hash (0 at the top, clockwise).
    pub pos: u32,
    /// Its primary owner in the newest membership.
    pub owner: NodeId,
    /// Where it stands in a rebalancing.
    pub state: KeyState,
}

/// One client in the lock view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockClient {
    /// The client.
    pub id: NodeId,
    /// Its role key (`holder`, `waiting`, `thinking`), as in its node view.
    pub role: &'static str,
    /// Its fencing token while it holds (or believes it holds) the lock.
    pub token: Option<u64>,
    /// When its lease ends, on its own clock, while it holds one.
    pub lease_end_us: Option<u64>,
    /// Its place in the lock's queue (1 = holder), for queue locks.
    pub place: Option<u32>,
    /// Tries so far for the current acquisition (retries show as more than 1).
    pub tries: u32,
    /// Times it got the lock.
    pub acquired: u64,
}

/// What the lock stage draws (see [`Stage::Locks`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockView {
    /// Clients in the order they are served: holders, then the queue (or
    /// the waiting clients), then the rest.
    pub clients: Vec<LockClient>,
    /// How long a lease lasts, for the countdown bars' full length.
    pub lease_us: u64,
    /// The resource: its node, the last token it accepted, whether it checks
    /// tokens, writes accepted and refused.
    pub resource: Option<(NodeId, Option<u64>, bool, u64, u64)>,
}

/// What the ring stage draws (see [`Stage::Ring`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RingView {
    /// The placement scheme (`ring V=16`).
    pub scheme: String,
    /// The membership's version.
    pub epoch: u32,
    /// The nodes in the ring.
    pub members: Vec<NodeId>,
    /// The nodes that may join.
    pub spares: Vec<NodeId>,
    /// The node that takes `join` and `leave` requests.
    pub coordinator: NodeId,
    /// Virtual-node points (top 32 bits of their position) and owners;
    /// empty for schemes without a ring.
    pub points: Vec<(u32, NodeId)>,
    /// Arcs `(from, to]` whose owner changed in the last membership change.
    pub changed: Vec<(u32, u32)>,
    /// Every key.
    pub keys: Vec<KeyDot>,
}
