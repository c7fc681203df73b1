//! An action table (`do = ...`, `[[faults]]`, a solution) into a
//! [`Command`]: one verb and its modifiers, converted here, then checked by
//! [`Command::check`], the same check the world makes of a learner's click.

use super::diag::{PathError, Seg, perr, with};
use super::fields::{ms_field, msg_id, network, node_field, node_ref, pair};
use super::spec::{ActionSpec, NodeRefSpec};
use crate::command::{Command, MAX_PAUSE, NodeRef};
use crate::ids::NodeId;
use crate::lesson::Text;
use crate::limits;
use crate::network::NetworkParams;
use crate::time::number;
use crate::view::ProtocolInfo;

pub(super) const VERBS: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "isolate",
    "partition",
    "cut",
    "heal_link",
    "heal",
    "hold",
    "release",
    "drop",
    "duplicate",
    "request",
    "timeout",
    "clock_jump",
    "set_drift",
    "set_network",
    "switch",
];

/// Turns an action table into a [`Command`] and checks it
/// ([`Command::check`]); `check_request` is the protocol's request parser.
pub fn action(
    path: &[Seg],
    s: &ActionSpec,
    nodes: u32,
    info: &ProtocolInfo,
    check_request: &dyn Fn(&str) -> Result<(), Text>,
    net: &NetworkParams,
) -> Result<Command, PathError> {
    let present: Vec<&str> = [
        s.crash.is_some(),
        s.restart.is_some(),
        s.pause.is_some(),
        s.isolate.is_some(),
        s.partition.is_some(),
        s.cut.is_some(),
        s.heal_link.is_some(),
        s.heal.is_some(),
        s.hold.is_some(),
        s.release.is_some(),
        s.drop.is_some(),
        s.duplicate.is_some(),
        s.request.is_some(),
        s.timeout.is_some(),
        s.clock_jump.is_some(),
        s.set_drift.is_some(),
        s.set_network.is_some(),
        s.switch.is_some(),
    ]
    .iter()
    .zip(VERBS)
    .filter(|(p, _)| **p)
    .map(|(_, v)| *v)
    .collect();
    let verb = match present.as_slice() {
        [one] => *one,
        [] => return Err(perr(path, format!("an action needs one of: {}", VERBS.join(", ")))),
        many => return Err(perr(path, format!("an action does one thing; this one has {}", many.join(" and ")))),
    };
    let p = |k: &'static str| with(path, Seg::Key(k));
    let modifiers: [(&str, bool, &[&str]); 7] = [
        ("on", s.on.is_some(), &["switch"]),
        ("for_ms", s.for_ms.is_some(), &["pause"]),
        ("both", s.both.is_some(), &["cut", "heal_link"]),
        ("node", s.node.is_some(), &["request"]),
        ("timer", s.timer.is_some(), &["timeout"]),
        ("by_ms", s.by_ms.is_some(), &["clock_jump"]),
        ("ppm", s.ppm.is_some(), &["set_drift"]),
    ];
    for (name, present, verbs) in modifiers {
        if present && !verbs.contains(&verb) {
            return Err(perr(
                &with(path, Seg::Name(name.to_string())),
                format!("{name} belongs with {}, not {verb}", verbs.join(" or ")),
            ));
        }
    }
    let nr = |k: &'static str, v: &Option<NodeRefSpec>| -> Result<NodeRef, PathError> {
        node_ref(&p(k), v.as_ref().expect("verb present"), nodes, info)
    };
    let c = match verb {
        "crash" => Command::Crash { node: nr("crash", &s.crash)? },
        "restart" => Command::Restart { node: nr("restart", &s.restart)? },
        "pause" => {
            let ms = s.for_ms.ok_or_else(|| perr(path, "pause needs for_ms, how long the node stops"))?;
            let d = ms_field(&p("for_ms"), "for_ms", ms, MAX_PAUSE)?;
            Command::Pause { node: nr("pause", &s.pause)?, for_us: d.0 }
        }
        "isolate" => Command::Isolate { node: nr("isolate", &s.isolate)? },
        "partition" => {
            let mut groups = Vec::new();
            for (gi, g) in s.partition.iter().flatten().enumerate() {
                let at = with(&p("partition"), Seg::Index(gi));
                groups.push(g.iter().map(|&v| node_field(&at, v, nodes)).collect::<Result<Vec<_>, _>>()?);
            }
            Command::Partition { groups }
        }
        "cut" => {
            let (from, to) = pair(&p("cut"), s.cut.as_deref().unwrap_or_default(), nodes)?;
            Command::Cut { from, to, both: s.both.unwrap_or(false) }
        }
        "heal_link" => {
            let (from, to) = pair(&p("heal_link"), s.heal_link.as_deref().unwrap_or_default(), nodes)?;
            Command::HealLink { from, to, both: s.both.unwrap_or(false) }
        }
        "heal" => {
            if s.heal != Some(true) {
                return Err(perr(&p("heal"), "write heal = true"));
            }
            Command::Heal
        }
        "hold" => Command::Hold { msg: msg_id(&p("hold"), s.hold.unwrap_or(-1))? },
        "release" => Command::Release { msg: msg_id(&p("release"), s.release.unwrap_or(-1))? },
        "drop" => Command::Drop { msg: msg_id(&p("drop"), s.drop.unwrap_or(-1))? },
        "duplicate" => Command::Duplicate { msg: msg_id(&p("duplicate"), s.duplicate.unwrap_or(-1))? },
        "request" => {
            let op = s.request.clone().unwrap_or_default();
            let node = match &s.node {
                Some(n) => node_ref(&p("node"), n, nodes, info)?,
                None => NodeRef::Id(NodeId(1)),
            };
            Command::Request { node, op }
        }
        "timeout" => {
            let timer = s.timer.clone().unwrap_or_else(|| info.timers.first().copied().unwrap_or("").to_string());
            Command::Timeout { node: nr("timeout", &s.timeout)?, timer }
        }
        "clock_jump" => {
            let ms = s.by_ms.ok_or_else(|| perr(path, "clock_jump needs by_ms (negative moves the clock back)"))?;
            // Only what converting needs; the limit is Command::check's.
            let lim = limits::MAX_CLOCK_OFFSET_US as f64 / 1000.0;
            if !ms.is_finite() || ms.abs() > lim {
                return Err(perr(&p("by_ms"), format!("by_ms = {} is beyond the limit of ±{lim} ms", number(ms))));
            }
            Command::ClockJump { node: nr("clock_jump", &s.clock_jump)?, by_us: (ms * 1000.0).round() as i64 }
        }
        "set_drift" => {
            let ppm = s.ppm.ok_or_else(|| perr(path, "set_drift needs ppm"))?;
            Command::SetDrift { node: nr("set_drift", &s.set_drift)?, ppm }
        }
        "set_network" => {
            let spec = s.set_network.as_ref().expect("verb present");
            Command::SetNetwork { params: network(&p("set_network"), spec, nodes, net)? }
        }
        "switch" => Command::Switch { key: s.switch.clone().unwrap_or_default(), on: s.on.unwrap_or(true) },
        _ => unreachable!("every verb is handled"),
    };
    c.check(nodes, info, check_request).map_err(|r| perr(&p(r.field), r.text.en))?;
    Ok(c)
}

/// A break-it switch's key (a lesson's `switches` list), checked as a
/// `switch` command would be.
pub(super) fn switch_key(path: &[Seg], key: &str, info: &ProtocolInfo) -> Result<String, PathError> {
    let c = Command::Switch { key: key.to_string(), on: true };
    c.check(1, info, &|_| Ok(())).map_err(|r| perr(path, r.text.en))?;
    Ok(key.to_string())
}
