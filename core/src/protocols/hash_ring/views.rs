//! How the store looks: node and message views, figures, the ring stage and its actions.

use super::config::HashRingConfig;
use super::messages::{Answer, Msg, Op};
use super::node::{INCOMING, RingNode, SENT, WAITING};
use super::node_list;
use crate::hashring::{self};
use crate::ids::NodeId;
use crate::protocol::{MessageKinds, RoleKind};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{
    Action, Bar, Field, Figure, KeyDot, KeyState, MessageView, ProtocolNodeView, RingView, Stage, Value,
};

pub(super) fn node_view(s: &RingNode, _c: &HashRingConfig) -> ProtocolNodeView {
    let primary = s.view.members.iter().position(|&m| m == s.me).map_or(0, |i| s.view.loads[i]);
    let to_send = s.queue.len() + s.unacked.values().map(|b| b.keys.len()).sum::<usize>();
    let incoming = if s.flagged == 0 { 0 } else { (0..s.p.keys).filter(|&k| s.flag(k) & INCOMING != 0).count() };
    // Short enough for the node's circle; the inspector has the rest.
    let headline = if !s.view.has(s.me) && !s.busy() {
        Text::new("not in ring", "不在环上")
    } else if s.busy() {
        Text::new(format!("↑{to_send} ↓{incoming}"), format!("↑{to_send} ↓{incoming}"))
    } else if s.p.r > 1 {
        // With copies: the keys it is primary for (what Figures counts)
        // and every copy it holds.
        Text::new(format!("{primary} own · {} held", s.held), format!("主 {primary} · 共 {}", s.held))
    } else {
        Text::new(format!("{} keys", s.held), format!("{} 个键", s.held))
    };
    let mut store = Vec::new();
    for k in 0..s.p.keys {
        if store.len() >= 12 {
            break;
        }
        let e = s.entry(k);
        if e.version > 0 {
            store.push((format!("k{k}"), format!("{} (v{})", e.value, e.version)));
        }
    }
    ProtocolNodeView {
        role: s.role().key(),
        headline,
        fields: vec![
            Field { name: "epoch", value: Value::from(u64::from(s.view.epoch)) },
            Field { name: "keys_held", value: Value::from(u64::from(s.held)) },
            Field { name: "keys_primary", value: Value::from(primary) },
            Field { name: "to_send", value: Value::from(to_send as u64) },
            Field { name: "incoming", value: Value::from(incoming as u64) },
            Field { name: "requests_waiting", value: Value::from(s.waiting.len() as u64) },
        ],
        log: Vec::new(),
        store,
        store_title: None,
    }
}

pub(super) fn durable_view(s: &RingNode, c: &HashRingConfig) -> ProtocolNodeView {
    let mut v = node_view(s, c);
    v.headline = Text::new(format!("{} on disk", s.held), format!("磁盘上 {} 个", s.held));
    v
}

pub(super) fn message_view(msg: &Msg) -> MessageView {
    let kind = Msg::KINDS[msg.kind() as usize];
    let (summary, fields) = match msg {
        Msg::Members { view } => (
            format!("epoch {}: members {}", view.epoch, node_list(&view.members)),
            vec![Field { name: "epoch", value: Value::from(u64::from(view.epoch)) }],
        ),
        Msg::Status { epoch, done } => (
            format!("knows epoch {epoch}{}", if *done { ", done" } else { ", still moving keys" }),
            vec![Field { name: "epoch", value: Value::from(u64::from(*epoch)) }],
        ),
        Msg::Get { ask, .. } | Msg::Put { ask, .. } => {
            let what = match ask.op {
                Op::Get => format!("get k{}", ask.key),
                Op::Put(v) => format!("put k{} {v}", ask.key),
            };
            let extra = match (ask.replica, ask.hops) {
                (true, _) => " (from a replica)".to_string(),
                (false, 0) => String::new(),
                (false, h) => format!(" (forwarded {h}×)"),
            };
            (
                format!("{what}{extra}"),
                vec![
                    Field { name: "key", value: Value::from(format!("k{}", ask.key)) },
                    Field { name: "gateway", value: Value::from(ask.gateway.to_string()) },
                ],
            )
        }
        Msg::Answer { key, answer, .. } => {
            let text = match answer {
                Answer::Value { version, value, replica } => {
                    format!("k{key} = {value} v{version}{}", if *replica { " (replica)" } else { "" })
                }
                Answer::Written { version } => format!("k{key} written v{version}"),
                Answer::NotHere => format!("k{key} not here"),
                Answer::Lost => format!("k{key}: owner not found"),
            };
            (text, vec![Field { name: "key", value: Value::from(format!("k{key}")) }])
        }
        Msg::Replicate { key, entry, .. } => (
            format!("copy k{key} = {} v{}", entry.value, entry.version),
            vec![Field { name: "key", value: Value::from(format!("k{key}")) }],
        ),
        Msg::ReplicateAck { key, version, .. } => {
            (format!("stored k{key} v{version}"), vec![Field { name: "key", value: Value::from(format!("k{key}")) }])
        }
        Msg::Transfer { batch, entries, .. } => {
            let names: Vec<String> = entries.iter().take(6).map(|(k, _, _)| format!("k{k}")).collect();
            let more = if entries.len() > 6 { " …" } else { "" };
            let handoff = entries.iter().filter(|e| e.2).count();
            (
                format!("{} keys ({handoff} handed over): {}{more}", entries.len(), names.join(" ")),
                vec![
                    Field { name: "batch", value: Value::from(*batch) },
                    Field { name: "keys", value: Value::from(entries.len() as u64) },
                ],
            )
        }
        Msg::TransferAck { batch } => {
            (format!("batch {batch} stored"), vec![Field { name: "batch", value: Value::from(*batch) }])
        }
    };
    MessageView { kind, summary, fields, tag: None }
}

pub(super) fn figures(
    _c: &HashRingConfig,
    states: &[Option<&RingNode>],
    _now: Micros,
    _messages_sent: u64,
) -> Vec<Figure> {
    let Some(s) = newest(states) else { return Vec::new() };
    let v = &s.view;
    let mut out = Vec::new();
    let loads = Figure {
        name: Text::new("keys per node (as primary)", "每个节点的键数（作为主节点）"),
        value: Text::new(
            format!("{} keys on {} nodes", s.p.keys, v.members.len()),
            format!("{} 个键，{} 个节点", s.p.keys, v.members.len()),
        ),
        bars: v
            .members
            .iter()
            .zip(&v.loads)
            .map(|(&n, &l)| Bar { label: n.to_string(), value: l as f64, node: Some(n) })
            .collect(),
    };
    out.push(loads);
    let spread = hashring::spread(&v.loads);
    let value = if s.p.has_ring() {
        format!("{spread:.2} (1/√V = {:.2})", 1.0 / f64::from(s.p.vnodes.max(1)).sqrt())
    } else {
        format!("{spread:.2}")
    };
    out.push(Figure::new(Text::new("load spread (std-dev / mean)", "负载离散度（标准差 / 均值）"), value));
    if s.p.has_ring() && !v.by_vnodes.is_empty() {
        let row: Vec<String> = v.by_vnodes.iter().map(|(n, x)| format!("V={n}: {x:.2}")).collect();
        out.push(Figure::new(Text::new("ring spread by V", "不同 V 下环的离散度"), row.join(" · ")));
    }
    if let Some(c) = &v.change {
        out.push(Figure::new(
            Text::new("keys moved by the last change", "上次成员变化移动的键"),
            Text::new(
                format!("{:.1} % (ideal {:.1} %)", c.moved * 100.0, c.ideal * 100.0),
                format!("{:.1} %（理想值 {:.1} %）", c.moved * 100.0, c.ideal * 100.0),
            ),
        ));
        for (name, moved, spread) in &c.compare {
            out.push(Figure::new(
                Text::new(format!("{name} would move"), format!("{name} 会移动")),
                Text::new(
                    format!("{:.1} % (spread {spread:.2})", moved * 100.0),
                    format!("{:.1} %（离散度 {spread:.2}）", moved * 100.0),
                ),
            ));
        }
    }
    // Keys whose owner changed and copies still owed to new replicas.
    let moving = marks(states, s.p.keys).iter().filter(|m| **m != KeyState::Home).count();
    let copies: usize = states.iter().flatten().map(|s| s.queue.iter().filter(|q| !q.2).count()).sum();
    out.push(Figure::new(
        Text::new("rebalancing", "再平衡"),
        match (moving, copies) {
            (0, 0) => Text::new("done", "完成"),
            (m, 0) => Text::new(format!("{m} keys to go"), format!("还有 {m} 个键")),
            (m, c) => Text::new(format!("{m} keys to go, {c} copies"), format!("还有 {m} 个键，{c} 份副本")),
        },
    ));
    let (ok, failed) = states.iter().flatten().fold((0, 0), |(a, b), s| (a + s.answered, b + s.failed));
    out.push(Figure::new(Text::new("requests answered / failed", "请求成功 / 失败"), format!("{ok} / {failed}")));
    out
}

pub(super) fn stage(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Stage {
    let Some(s) = newest(states) else { return Stage::Cluster };
    let v = &s.view;
    let marks = marks(states, s.p.keys);
    let keys = (0..s.p.keys)
        .map(|k| KeyDot {
            key: k,
            pos: (hashring::key_hash(u64::from(k)) >> 32) as u32,
            owner: v.primary(k).unwrap_or(NodeId(1)),
            state: marks[k as usize],
        })
        .collect();
    Stage::Ring(RingView {
        scheme: s.p.scheme.name(),
        epoch: v.epoch,
        members: v.members.clone(),
        spares: (0..s.p.nodes as usize).map(NodeId::from_index).filter(|n| !v.has(*n)).collect(),
        coordinator: v.coordinator(),
        points: v.points.clone(),
        changed: v.changed.clone(),
        keys,
    })
}

pub(super) fn actions(_c: &HashRingConfig, states: &[Option<&RingNode>]) -> Vec<Action> {
    let Some(s) = newest(states) else { return Vec::new() };
    let v = &s.view;
    let coordinator = v.coordinator();
    let join = (0..s.p.nodes as usize).map(NodeId::from_index).filter(|n| !v.has(*n)).map(|n| Action {
        group: "join",
        label: Text::new("Add", "加入"),
        subject: n,
        node: coordinator,
        request: format!("join {}", n.0),
    });
    let leave = v.members.iter().filter(|&&n| n != coordinator).map(|&n| Action {
        group: "leave",
        label: Text::new("Remove", "移出"),
        subject: n,
        node: coordinator,
        request: format!("leave {}", n.0),
    });
    join.chain(leave).collect()
}

/// Where each key stands in a rebalancing, from every live node's flags:
/// waiting while its old owner still has it, travelling once sent or while
/// its new owner expects it.
pub(super) fn marks(states: &[Option<&RingNode>], keys: u32) -> Vec<KeyState> {
    let mut marks = vec![KeyState::Home; keys as usize];
    for st in states.iter().flatten().filter(|st| st.flagged > 0) {
        for k in 0..st.p.keys.min(keys) {
            let f = st.flag(k);
            let m = &mut marks[k as usize];
            if f & WAITING != 0 {
                *m = KeyState::Waiting;
            } else if f & (SENT | INCOMING) != 0 && *m == KeyState::Home {
                *m = KeyState::Travelling;
            }
        }
    }
    marks
}

/// The live node that knows the newest membership.
pub(super) fn newest<'a>(states: &[Option<&'a RingNode>]) -> Option<&'a RingNode> {
    states.iter().flatten().copied().max_by_key(|s| (s.view.epoch, std::cmp::Reverse(s.me)))
}
