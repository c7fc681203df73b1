//! Scenario and lesson files: TOML in, a runnable [`Scenario`] out.
//!
//! A file names a protocol, its config, the network, a seed, a fault
//! schedule and a client workload; a lesson adds steps (see [`crate::lesson`]).
//! The format is documented in `tutorials/FORMAT.md`.
//!
//! Loading happens in two passes. The first reads everything that does not
//! depend on the protocol, with unknown keys rejected, and finds the
//! protocol in the registry. The second reads the `[config]` table as that
//! protocol's own config type. Syntax and type errors carry toml's byte
//! spans; semantic errors (a loss ratio of 2, node 9 of 5) carry a key path
//! that is looked up in toml's spanned document. Either way every error
//! becomes a [`Diagnostic`] with file, line, column and a sentence.

use crate::command::{Command, NodeRef};
use crate::engine::Engine;
use crate::host::{Host, Hosted};
use crate::ids::{MsgId, NodeId};
use crate::lesson::{Condition, Lesson, Step, Text};
use crate::limits::{self, Limits};
use crate::network::{Latency, LinkLatency, NetworkParams};
use crate::protocol::Protocol;
use crate::sim::{Sim, SimError};
use crate::time::{Micros, number};
use crate::view::ProtocolInfo;
use crate::world::{ClientPolicy, ClockSetting, Scheduled, Setup, Workload};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::ops::Range;
use std::rc::Rc;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The newest file format this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// A problem in a file, at a place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's name as given.
    pub file: String,
    /// Line, from 1 (0 when unknown).
    pub line: usize,
    /// Column in characters, from 1 (0 when unknown).
    pub col: usize,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line.max(1), self.col.max(1), self.message)
    }
}

/// Line and column (both from 1) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// One step of a key path into the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(&'static str),
    /// An owned table key (protocol config fields).
    Name(String),
    /// An array element.
    Index(usize),
}

/// A semantic error before it is placed in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// Where.
    pub path: Vec<Seg>,
    /// What.
    pub message: String,
}

fn perr(path: &[Seg], message: impl Into<String>) -> PathError {
    PathError { path: path.to_vec(), message: message.into() }
}

fn key_of(seg: &Seg) -> Option<&str> {
    match seg {
        Seg::Key(k) => Some(k),
        Seg::Name(k) => Some(k),
        Seg::Index(_) => None,
    }
}

/// The byte span of the value at `path`, or of the deepest part of the path
/// that exists.
fn span_at(doc: &Spanned<DeTable<'_>>, path: &[Seg]) -> Option<Range<usize>> {
    let mut best = doc.span();
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for seg in path {
        match seg {
            Seg::Index(i) => {
                let Some(DeValue::Array(a)) = value.map(|v| v.get_ref()) else { break };
                let Some(v) = a.get(*i) else { break };
                best = v.span();
                table = match v.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
                value = Some(v);
            }
            _ => {
                let want = key_of(seg).unwrap_or_default();
                let Some(t) = table else { break };
                let Some((k, v)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == want) else { break };
                best = if matches!(v.get_ref(), DeValue::Table(_)) { k.span() } else { v.span() };
                table = match v.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
                value = Some(v);
            }
        }
    }
    Some(best)
}

/// A file as TOML text, with its name for messages.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// Name (a path) for messages.
    pub name: &'a str,
    /// Contents.
    pub text: &'a str,
}

impl Source<'_> {
    fn at(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = span.map_or((0, 0), |s| line_col(self.text, s.start));
        Diagnostic { file: self.name.to_string(), line, col, message: message.into() }
    }

    fn toml_error(&self, e: &toml::de::Error) -> Diagnostic {
        let mut msg = e.message().trim().replace('\n', " ");
        // A value refused by its own reader (`ttl_ms = -5`) names the key
        // it was written under, as the semantic checks do.
        if let Some(span) = e.span()
            && let (Some(before), Some(written)) = (self.text.get(..span.start), self.text.get(span.clone()))
        {
            let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
            let key = line.trim_end().strip_suffix('=').map(str::trim).unwrap_or_default();
            let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain && !written.is_empty() && msg.starts_with(written) {
                msg = format!("{key} = {msg}");
            }
        }
        self.at(e.span(), msg)
    }
}

// ----- raw file structs (serde) -----

/// A node given by number or by role name.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeRefSpec {
    /// A number.
    Id(i64),
    /// A role name.
    Role(String),
}

impl<'de> Deserialize<'de> for NodeRefSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NodeRefSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node number (like 2) or a role name (like \"leader\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Id(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeRefSpec, E> {
                Ok(NodeRefSpec::Role(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `latency = { dist = "uniform", min_ms = 10, max_ms = 15 }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    dist: String,
    ms: Option<f64>,
    min_ms: Option<f64>,
    max_ms: Option<f64>,
    mean_ms: Option<f64>,
    std_dev_ms: Option<f64>,
}

/// One `[[network.links]]` override.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    from: i64,
    to: i64,
    #[serde(default)]
    both: bool,
    latency: LatencySpec,
}

/// The `[network]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    latency: Option<LatencySpec>,
    loss_ratio: Option<f64>,
    duplicate_ratio: Option<f64>,
    reorder_ratio: Option<f64>,
    links: Option<Vec<LinkSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockSpec {
    node: i64,
    offset_ms: Option<f64>,
    drift_ppm: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadSpec {
    start_ms: Option<f64>,
    stop_ms: Option<f64>,
    rate_per_s: f64,
    requests: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsSpec {
    retry_ms: Option<f64>,
    max_attempts: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    max_events: Option<i64>,
    max_in_flight: Option<i64>,
    max_trace_records: Option<i64>,
}

/// A command as written in a file: exactly one verb key plus its modifiers.
/// In `[[faults]]` it also has `at_ms`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    at_ms: Option<f64>,
    crash: Option<NodeRefSpec>,
    restart: Option<NodeRefSpec>,
    pause: Option<NodeRefSpec>,
    for_ms: Option<f64>,
    isolate: Option<NodeRefSpec>,
    partition: Option<Vec<Vec<i64>>>,
    cut: Option<Vec<i64>>,
    heal_link: Option<Vec<i64>>,
    both: Option<bool>,
    heal: Option<bool>,
    hold: Option<i64>,
    release: Option<i64>,
    drop: Option<i64>,
    duplicate: Option<i64>,
    request: Option<String>,
    node: Option<NodeRefSpec>,
    timeout: Option<NodeRefSpec>,
    timer: Option<String>,
    clock_jump: Option<NodeRefSpec>,
    by_ms: Option<f64>,
    set_drift: Option<NodeRefSpec>,
    ppm: Option<i64>,
    set_network: Option<NetworkSpec>,
    switch: Option<String>,
    on: Option<bool>,
}

/// `{ en = "...", zh-CN = "..." }`: text in both languages.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    en: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonSpec {
    title: TextSpec,
    summary: Option<TextSpec>,
    order: Option<i64>,
    pace: Option<f64>,
    switches: Option<Vec<String>>,
    panels: Option<Vec<String>>,
}

/// A wait condition as written in a file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    time_ms: Option<f64>,
    after_ms: Option<f64>,
    role: Option<String>,
    count: Option<i64>,
    observed: Option<String>,
    value: Option<toml::Value>,
    node: Option<i64>,
    field: Option<String>,
    at_least: Option<i64>,
    nodes: Option<String>,
    command: Option<String>,
    target_role: Option<String>,
    violation: Option<String>,
    all: Option<Vec<ConditionSpec>>,
    any: Option<Vec<ConditionSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    title: Option<TextSpec>,
    text: TextSpec,
    #[serde(rename = "do")]
    action: Option<ActionSpec>,
    until: Option<ConditionSpec>,
    solution: Option<ActionSpec>,
    solution_at: Option<i64>,
    within_ms: Option<f64>,
    #[serde(default)]
    challenge: bool,
    play: Option<String>,
    pace: Option<f64>,
    #[serde(default)]
    stay: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    format: Option<i64>,
    name: Option<String>,
    title: Option<TextSpec>,
    summary: Option<TextSpec>,
    protocol: String,
    seed: Option<i64>,
    nodes: Option<i64>,
    duration_ms: Option<f64>,
    config: Option<toml::Table>,
    network: Option<NetworkSpec>,
    clocks: Option<Vec<ClockSpec>>,
    workload: Option<WorkloadSpec>,
    clients: Option<ClientsSpec>,
    faults: Option<Vec<ActionSpec>>,
    limits: Option<LimitsSpec>,
    lesson: Option<LessonSpec>,
    steps: Option<Vec<StepSpec>>,
}

// ----- validation helpers -----

/// Milliseconds (possibly fractional) to microseconds, within `0..=max`.
fn ms_field(path: &[Seg], name: &str, v: f64, max: Micros) -> Result<Micros, PathError> {
    if !v.is_finite() || v < 0.0 {
        return Err(perr(path, format!("{name} = {} must be zero or more milliseconds", number(v))));
    }
    let us = (v * 1000.0).round();
    if us > max.0 as f64 {
        return Err(perr(path, format!("{name} = {} is above the limit of {} ms", number(v), max.0 / 1000)));
    }
    Ok(Micros(us as u64))
}

fn ratio_field(path: &[Seg], name: &str, v: f64) -> Result<f64, PathError> {
    if !v.is_finite() || !(0.0..=1.0).contains(&v) {
        return Err(perr(path, format!("{name} = {} is outside 0 to 1 (it is a probability)", number(v))));
    }
    Ok(v)
}

fn node_field(path: &[Seg], v: i64, nodes: u32) -> Result<NodeId, PathError> {
    if v < 1 || v > i64::from(nodes) {
        return Err(perr(path, format!("there is no node {v}; this scenario has nodes 1 to {nodes}")));
    }
    Ok(NodeId(v as u32))
}

fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

fn latency(path: &[Seg], s: &LatencySpec) -> Result<Latency, PathError> {
    let max = limits::MAX_LATENCY;
    let get = |name: &'static str, v: Option<f64>| -> Result<Option<u64>, PathError> {
        v.map(|v| ms_field(&with(path, Seg::Key(name)), name, v, max).map(|m| m.0)).transpose()
    };
    let need = |name: &'static str, v: Option<u64>| -> Result<u64, PathError> {
        v.ok_or_else(|| perr(path, format!("{} latency needs {name}", s.dist)))
    };
    let (ms, min, maxv, mean, sd) = (
        get("ms", s.ms)?,
        get("min_ms", s.min_ms)?,
        get("max_ms", s.max_ms)?,
        get("mean_ms", s.mean_ms)?,
        get("std_dev_ms", s.std_dev_ms)?,
    );
    let only = |allowed: &[&str]| -> Result<(), PathError> {
        let present = [("ms", ms), ("min_ms", min), ("max_ms", maxv), ("mean_ms", mean), ("std_dev_ms", sd)];
        for (k, v) in present {
            if v.is_some() && !allowed.contains(&k) {
                return Err(perr(
                    &with(path, Seg::Name(k.to_string())),
                    format!("{} latency does not use {k}; it takes {}", s.dist, allowed.join(", ")),
                ));
            }
        }
        Ok(())
    };
    let order = |lo: u64, hi: u64| -> Result<(), PathError> {
        if hi < lo {
            Err(perr(
                &with(path, Seg::Key("max_ms")),
                format!("max_ms ({} ms) is below min_ms ({} ms)", hi as f64 / 1000.0, lo as f64 / 1000.0),
            ))
        } else {
            Ok(())
        }
    };
    let l = match s.dist.as_str() {
        "constant" => {
            only(&["ms"])?;
            Latency::Constant { us: need("ms", ms)? }
        }
        "uniform" => {
            only(&["min_ms", "max_ms"])?;
            let (lo, hi) = (need("min_ms", min)?, need("max_ms", maxv)?);
            order(lo, hi)?;
            Latency::Uniform { min_us: lo, max_us: hi }
        }
        "exponential" => {
            only(&["min_ms", "mean_ms", "max_ms"])?;
            let lo = min.unwrap_or(0);
            let mean = need("mean_ms", mean)?;
            if mean < lo {
                return Err(perr(&with(path, Seg::Key("mean_ms")), "mean_ms is below min_ms"));
            }
            let hi = maxv.unwrap_or_else(|| (lo + 20 * (mean - lo)).min(max.0));
            order(lo, hi)?;
            Latency::Exponential { min_us: lo, mean_us: mean, max_us: hi }
        }
        "normal" => {
            only(&["mean_ms", "std_dev_ms", "min_ms", "max_ms"])?;
            let mean = need("mean_ms", mean)?;
            let sd = need("std_dev_ms", sd)?;
            let lo = min.unwrap_or(0);
            let hi = maxv.unwrap_or_else(|| (mean + 6 * sd).min(max.0));
            order(lo, hi)?;
            Latency::Normal { mean_us: mean, std_dev_us: sd, min_us: lo, max_us: hi }
        }
        other => {
            return Err(perr(
                &with(path, Seg::Key("dist")),
                format!("unknown latency distribution '{other}'; use constant, uniform, exponential or normal"),
            ));
        }
    };
    Ok(l)
}

fn network(path: &[Seg], s: &NetworkSpec, nodes: u32, base: &NetworkParams) -> Result<NetworkParams, PathError> {
    let mut p = base.clone();
    if let Some(l) = &s.latency {
        p.latency = latency(&with(path, Seg::Key("latency")), l)?;
    }
    if let Some(v) = s.loss_ratio {
        p.loss_ratio = ratio_field(&with(path, Seg::Key("loss_ratio")), "loss_ratio", v)?;
    }
    if let Some(v) = s.duplicate_ratio {
        p.duplicate_ratio = ratio_field(&with(path, Seg::Key("duplicate_ratio")), "duplicate_ratio", v)?;
    }
    if let Some(v) = s.reorder_ratio {
        p.reorder_ratio = ratio_field(&with(path, Seg::Key("reorder_ratio")), "reorder_ratio", v)?;
    }
    if let Some(links) = &s.links {
        p.links.clear();
        for (i, link) in links.iter().enumerate() {
            let lp = with(&with(path, Seg::Key("links")), Seg::Index(i));
            let from = node_field(&with(&lp, Seg::Key("from")), link.from, nodes)?;
            let to = node_field(&with(&lp, Seg::Key("to")), link.to, nodes)?;
            if from == to {
                return Err(perr(&lp, format!("a link needs two different nodes, got {from} twice")));
            }
            let l = latency(&with(&lp, Seg::Key("latency")), &link.latency)?;
            p.links.push(LinkLatency { from, to, latency: l.clone() });
            if link.both {
                p.links.push(LinkLatency { from: to, to: from, latency: l });
            }
        }
    }
    Ok(p)
}

/// Checks network parameters given in code (the `set_network` command).
pub fn validate_network(p: &NetworkParams, nodes: u32) -> Result<(), Text> {
    for (name, v) in
        [("loss_ratio", p.loss_ratio), ("duplicate_ratio", p.duplicate_ratio), ("reorder_ratio", p.reorder_ratio)]
    {
        ratio_field(&[], name, v)
            .map_err(|e| Text::new(e.message, format!("{name} 必须是 0 到 1 之间的比例，而不是 {v}")))?;
    }
    let check = |l: &Latency| -> Result<(), Text> {
        let ok = match *l {
            Latency::Constant { us } => us <= limits::MAX_LATENCY.0,
            Latency::Uniform { min_us, max_us } => min_us <= max_us && max_us <= limits::MAX_LATENCY.0,
            Latency::Exponential { min_us, mean_us, max_us } => {
                min_us <= mean_us && min_us <= max_us && max_us <= limits::MAX_LATENCY.0
            }
            Latency::Normal { min_us, max_us, .. } => min_us <= max_us && max_us <= limits::MAX_LATENCY.0,
        };
        if ok {
            Ok(())
        } else {
            let (what, max) = (l.describe(), limits::MAX_LATENCY.0 / 1000);
            Err(Text::new(
                format!("latency {what} is invalid: bounds must be ordered and at most {max} ms"),
                format!("延迟 {what} 无效：上下界必须有序，且不超过 {max} 毫秒"),
            ))
        }
    };
    check(&p.latency)?;
    for link in &p.links {
        if link.from.0 < 1 || link.from.0 > nodes || link.to.0 < 1 || link.to.0 > nodes {
            let (a, b) = (link.from.0, link.to.0);
            return Err(Text::new(
                format!("link {a} -> {b} names a node outside 1 to {nodes}"),
                format!("链路 {a} -> {b} 指向了 1 到 {nodes} 之外的节点"),
            ));
        }
        check(&link.latency)?;
    }
    Ok(())
}

fn node_ref(path: &[Seg], s: &NodeRefSpec, nodes: u32, info: &ProtocolInfo) -> Result<NodeRef, PathError> {
    match s {
        NodeRefSpec::Id(v) => Ok(NodeRef::Id(node_field(path, *v, nodes)?)),
        NodeRefSpec::Role(r) => {
            if info.roles.iter().any(|x| x.name == r) || r == crate::view::CRASHED {
                Ok(NodeRef::Role(r.clone()))
            } else {
                let names: Vec<&str> = info.roles.iter().map(|x| x.name).collect();
                Err(perr(
                    path,
                    format!("unknown role '{r}'; {} roles are {} (or \"crashed\")", info.title, names.join(", ")),
                ))
            }
        }
    }
}

fn msg_id(path: &[Seg], v: i64) -> Result<MsgId, PathError> {
    if v < 0 {
        return Err(perr(path, format!("message id {v} must be zero or more")));
    }
    Ok(MsgId(v as u64))
}

fn pair(path: &[Seg], v: &[i64], nodes: u32) -> Result<(NodeId, NodeId), PathError> {
    if v.len() != 2 {
        return Err(perr(path, format!("expected two node numbers [from, to], got {} values", v.len())));
    }
    let a = node_field(path, v[0], nodes)?;
    let b = node_field(path, v[1], nodes)?;
    if a == b {
        return Err(perr(path, format!("a link needs two different nodes, got {a} twice")));
    }
    Ok((a, b))
}

const VERBS: &[&str] = &[
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

/// Turns an action table into a [`Command`]. `parse_request` checks request text.
pub fn action(
    path: &[Seg],
    s: &ActionSpec,
    nodes: u32,
    info: &ProtocolInfo,
    parse_request: &dyn Fn(&str) -> Result<(), String>,
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
            let d = ms_field(&p("for_ms"), "for_ms", ms, Micros(limits::MAX_LATENCY.0 * 10))?;
            if d.0 == 0 {
                return Err(perr(&p("for_ms"), "for_ms must be more than 0"));
            }
            Command::Pause { node: nr("pause", &s.pause)?, for_us: d.0 }
        }
        "isolate" => Command::Isolate { node: nr("isolate", &s.isolate)? },
        "partition" => {
            let mut groups = Vec::new();
            let mut seen = vec![false; nodes as usize];
            for (gi, g) in s.partition.iter().flatten().enumerate() {
                let mut ids = Vec::new();
                for &v in g {
                    let id = node_field(&with(&p("partition"), Seg::Index(gi)), v, nodes)?;
                    if std::mem::replace(&mut seen[id.index()], true) {
                        return Err(perr(&p("partition"), format!("{id} is in two partition groups")));
                    }
                    ids.push(id);
                }
                groups.push(ids);
            }
            if groups.is_empty() {
                return Err(perr(&p("partition"), "partition needs groups, like [[1, 2], [3, 4, 5]]"));
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
            if op.len() > limits::MAX_REQUEST_BYTES {
                return Err(perr(
                    &p("request"),
                    format!("request is {} bytes; the limit is {}", op.len(), limits::MAX_REQUEST_BYTES),
                ));
            }
            parse_request(&op).map_err(|e| perr(&p("request"), e))?;
            let node = match &s.node {
                Some(n) => node_ref(&p("node"), n, nodes, info)?,
                None => NodeRef::Id(NodeId(1)),
            };
            Command::Request { node, op }
        }
        "timeout" => {
            let timer = s.timer.clone().unwrap_or_else(|| info.timers.first().copied().unwrap_or("").to_string());
            if !info.timers.contains(&timer.as_str()) {
                return Err(perr(
                    &p("timer"),
                    format!("unknown timer '{timer}'; {} has {}", info.title, info.timers.join(", ")),
                ));
            }
            Command::Timeout { node: nr("timeout", &s.timeout)?, timer }
        }
        "clock_jump" => {
            let ms = s.by_ms.ok_or_else(|| perr(path, "clock_jump needs by_ms (negative moves the clock back)"))?;
            let lim = limits::MAX_CLOCK_OFFSET_US as f64 / 1000.0;
            if !ms.is_finite() || ms.abs() > lim {
                return Err(perr(&p("by_ms"), format!("by_ms = {} is beyond the limit of ±{lim} ms", number(ms))));
            }
            Command::ClockJump { node: nr("clock_jump", &s.clock_jump)?, by_us: (ms * 1000.0).round() as i64 }
        }
        "set_drift" => {
            let ppm = s.ppm.ok_or_else(|| perr(path, "set_drift needs ppm"))?;
            if ppm.unsigned_abs() > limits::MAX_DRIFT_PPM as u64 {
                return Err(perr(&p("ppm"), format!("ppm = {ppm} is beyond the limit of ±{}", limits::MAX_DRIFT_PPM)));
            }
            Command::SetDrift { node: nr("set_drift", &s.set_drift)?, ppm }
        }
        "set_network" => {
            let spec = s.set_network.as_ref().expect("verb present");
            Command::SetNetwork { params: network(&p("set_network"), spec, nodes, net)? }
        }
        "switch" => Command::Switch {
            key: switch_key(&p("switch"), s.switch.as_deref().unwrap_or(""), info)?,
            on: s.on.unwrap_or(true),
        },
        _ => unreachable!("every verb is handled"),
    };
    Ok(c)
}

/// A break-it switch's key, checked against the protocol's list.
fn switch_key(path: &[Seg], key: &str, info: &ProtocolInfo) -> Result<String, PathError> {
    if info.break_switches.iter().any(|b| b.key == key) {
        return Ok(key.to_string());
    }
    let keys: Vec<&str> = info.break_switches.iter().map(|b| b.key).collect();
    Err(perr(
        path,
        if keys.is_empty() {
            format!("'{key}' is not a break-it switch; {} has none", info.title)
        } else {
            format!("'{key}' is not a break-it switch of {}; it has {}", info.title, keys.join(", "))
        },
    ))
}

/// A lesson's pace (simulated seconds per wall second), within the limits.
fn pace_field(path: &[Seg], v: f64) -> Result<f64, PathError> {
    if v.is_finite() && (crate::lesson::MIN_PACE..=crate::lesson::MAX_PACE).contains(&v) {
        Ok(v)
    } else {
        Err(perr(
            path,
            format!(
                "pace = {} is outside {} to {} (simulated seconds per second of wall time; 0.01 is 1/100 of real time)",
                number(v),
                crate::lesson::MIN_PACE,
                crate::lesson::MAX_PACE
            ),
        ))
    }
}

fn text(t: &TextSpec) -> Text {
    Text { en: t.en.clone(), zh_cn: t.zh_cn.clone() }
}

const MAX_TEXT_BYTES: usize = 16 * 1024;
const MAX_CONDITION_DEPTH: usize = 4;

fn check_text(path: &[Seg], t: &TextSpec) -> Result<(), PathError> {
    for (lang, s) in [("en", &t.en), ("zh-CN", &t.zh_cn)] {
        if s.trim().is_empty() {
            return Err(perr(
                &with(path, Seg::Name(lang.to_string())),
                format!("the {lang} text is empty; lessons speak both en and zh-CN"),
            ));
        }
        if s.len() > MAX_TEXT_BYTES {
            return Err(perr(
                &with(path, Seg::Name(lang.to_string())),
                format!("the {lang} text is {} bytes; the limit is {MAX_TEXT_BYTES}", s.len()),
            ));
        }
    }
    Ok(())
}

fn condition(
    path: &[Seg],
    s: &ConditionSpec,
    nodes: u32,
    info: &ProtocolInfo,
    depth: usize,
) -> Result<Condition, PathError> {
    if depth > MAX_CONDITION_DEPTH {
        return Err(perr(path, format!("conditions nest at most {MAX_CONDITION_DEPTH} deep")));
    }
    let kinds = [
        ("time_ms", s.time_ms.is_some()),
        ("after_ms", s.after_ms.is_some()),
        ("role", s.role.is_some()),
        ("observed", s.observed.is_some()),
        ("field", s.field.is_some()),
        ("command", s.command.is_some()),
        ("violation", s.violation.is_some()),
        ("all", s.all.is_some()),
        ("any", s.any.is_some()),
    ];
    let present: Vec<&str> = kinds.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect();
    let kind = match present.as_slice() {
        [one] => *one,
        [] => {
            let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
            return Err(perr(path, format!("a condition needs one of: {}", names.join(", "))));
        }
        many => {
            return Err(perr(
                path,
                format!("a condition tests one thing; combine {} with all = [...] or any = [...]", many.join(" and ")),
            ));
        }
    };
    let p = |k: &'static str| with(path, Seg::Key(k));
    let extras: [(&str, bool, &[&str]); 6] = [
        ("count", s.count.is_some(), &["role"]),
        ("value", s.value.is_some(), &["observed"]),
        ("node", s.node.is_some(), &["observed", "field"]),
        ("at_least", s.at_least.is_some(), &["field"]),
        ("nodes", s.nodes.is_some(), &["field"]),
        ("target_role", s.target_role.is_some(), &["command"]),
    ];
    for (name, present, with_kinds) in extras {
        if present && !with_kinds.contains(&kind) {
            return Err(perr(
                &with(path, Seg::Name(name.to_string())),
                format!("{name} belongs with {}, not {kind}", with_kinds.join(" or ")),
            ));
        }
    }
    let role_ok = |path: &[Seg], r: &str| -> Result<String, PathError> {
        if info.roles.iter().any(|x| x.name == r) || r == crate::view::CRASHED {
            Ok(r.to_string())
        } else {
            let names: Vec<&str> = info.roles.iter().map(|x| x.name).collect();
            Err(perr(path, format!("unknown role '{r}'; {} roles are {} (or crashed)", info.title, names.join(", "))))
        }
    };
    let c = match kind {
        "time_ms" => {
            Condition::TimeReached(ms_field(&p("time_ms"), "time_ms", s.time_ms.unwrap_or(0.0), limits::MAX_DURATION)?)
        }
        "after_ms" => {
            Condition::After(ms_field(&p("after_ms"), "after_ms", s.after_ms.unwrap_or(0.0), limits::MAX_DURATION)?)
        }
        "role" => {
            let count = s.count.unwrap_or(1);
            if count < 1 || count > i64::from(nodes) {
                return Err(perr(&p("count"), format!("count = {count} is outside 1 to {nodes}")));
            }
            Condition::Role { role: role_ok(&p("role"), s.role.as_deref().unwrap_or_default())?, count: count as u32 }
        }
        "observed" => {
            let value = match &s.value {
                None => None,
                Some(toml::Value::String(v)) => Some(v.clone()),
                Some(toml::Value::Integer(v)) => Some(v.to_string()),
                Some(toml::Value::Boolean(v)) => Some(v.to_string()),
                Some(_) => return Err(perr(&p("value"), "value must be text, a whole number or true/false")),
            };
            let node = s.node.map(|n| node_field(&p("node"), n, nodes)).transpose()?;
            Condition::Observed { key: s.observed.clone().unwrap_or_default(), value, node }
        }
        "field" => {
            let at_least = s.at_least.ok_or_else(|| perr(path, "a field condition needs at_least, a number"))?;
            let quorum = match s.nodes.as_deref().unwrap_or("any") {
                "any" => crate::lesson::Quorum::Any,
                "all" => crate::lesson::Quorum::All,
                "majority" => crate::lesson::Quorum::Majority,
                other => return Err(perr(&p("nodes"), format!("nodes = '{other}' must be any, all or majority"))),
            };
            let node = s.node.map(|n| node_field(&p("node"), n, nodes)).transpose()?;
            Condition::Field { field: s.field.clone().unwrap_or_default(), at_least, quorum, node }
        }
        "command" => {
            let verb = s.command.clone().unwrap_or_default();
            if !VERBS.contains(&verb.as_str()) {
                return Err(perr(
                    &p("command"),
                    format!("unknown command '{verb}'; commands are {}", VERBS.join(", ")),
                ));
            }
            let target_role = s.target_role.as_deref().map(|r| role_ok(&p("target_role"), r)).transpose()?;
            Condition::Command { verb, target_role }
        }
        "violation" => {
            let name = s.violation.clone().unwrap_or_default();
            if name != "any" && !info.invariants.iter().any(|i| i.name == name) {
                let names: Vec<&str> = info.invariants.iter().map(|i| i.name).collect();
                return Err(perr(
                    &p("violation"),
                    format!(
                        "unknown invariant '{name}'; {} checks {} (or write \"any\")",
                        info.title,
                        names.join(", ")
                    ),
                ));
            }
            Condition::Violation(name)
        }
        "all" | "any" => {
            let list = if kind == "all" { s.all.as_deref() } else { s.any.as_deref() }.unwrap_or_default();
            if list.is_empty() {
                return Err(perr(
                    &p(if kind == "all" { "all" } else { "any" }),
                    format!("{kind} needs at least one condition"),
                ));
            }
            let mut out = Vec::new();
            for (i, c) in list.iter().enumerate() {
                let cp = with(&p(if kind == "all" { "all" } else { "any" }), Seg::Index(i));
                out.push(condition(&cp, c, nodes, info, depth + 1)?);
            }
            if kind == "all" { Condition::All(out) } else { Condition::Any(out) }
        }
        _ => unreachable!("every condition kind is handled"),
    };
    Ok(c)
}

// ----- the loaded scenario -----

/// Options for starting a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartOptions {
    /// Keep every trace record (needed for views of the past, seek-back
    /// forks and trace export); otherwise only the hash is kept.
    pub store_trace: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions { store_trace: true }
    }
}

/// What the loader and a run need of the protocol, with its config read:
/// the only protocol-typed part of a scenario.
trait Factory {
    /// The protocol's side of a fresh world of `nodes` nodes.
    fn host(&self, nodes: u32) -> Box<dyn Host>;
    fn info(&self) -> &'static ProtocolInfo;
    /// Checks the config for a cluster of `nodes`.
    fn validate(&self, nodes: u32) -> Result<(), crate::protocol::ConfigIssue>;
    /// Checks a client request's text (the English sentence if it is wrong).
    fn check_request(&self, text: &str) -> Result<(), String>;
}

struct TypedFactory<P: Protocol> {
    config: P::Config,
}

impl<P: Protocol> Factory for TypedFactory<P> {
    fn host(&self, nodes: u32) -> Box<dyn Host> {
        Box::new(Hosted::<P>::new(self.config.clone(), nodes as usize))
    }

    fn info(&self) -> &'static ProtocolInfo {
        P::info()
    }

    fn validate(&self, nodes: u32) -> Result<(), crate::protocol::ConfigIssue> {
        P::validate(&self.config, nodes)
    }

    fn check_request(&self, text: &str) -> Result<(), String> {
        P::parse_request(text).map(|_| ()).map_err(|e| e.en)
    }
}

/// A validated scenario (or lesson) that can start runs.
#[derive(Clone)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// The seed in the file.
    pub seed: u64,
    /// Number of nodes.
    pub nodes: u32,
    /// How long a run lasts unless told otherwise.
    pub duration: Micros,
    /// Initial network parameters.
    pub network: NetworkParams,
    /// Initial clock settings.
    pub clocks: Vec<ClockSetting>,
    /// Fault schedule.
    pub faults: Vec<Scheduled>,
    /// Client workload.
    pub workload: Option<Workload>,
    /// Client retry policy.
    pub clients: ClientPolicy,
    /// Run-time limits.
    pub limits: Limits,
    /// Lesson steps, if this file is a lesson.
    pub lesson: Option<Lesson>,
    /// A scenario's own title in both languages (a lesson has its title).
    pub title: Option<Text>,
    /// A scenario's one-paragraph summary.
    pub summary: Option<Text>,
    factory: Rc<dyn Factory>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("protocol", &self.protocol().name)
            .field("seed", &self.seed)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// The protocol's description.
    pub fn protocol(&self) -> &'static ProtocolInfo {
        self.factory.info()
    }

    /// Starts a run with the file's seed, or `seed` if given.
    pub fn start(&self, seed: Option<u64>, options: StartOptions) -> Result<Box<dyn Sim>, SimError> {
        let setup = Setup {
            nodes: self.nodes,
            seed: seed.unwrap_or(self.seed),
            network: self.network.clone(),
            clocks: self.clocks.clone(),
            end: self.duration,
            schedule: self.faults.clone(),
            workload: self.workload.clone(),
            clients: self.clients.clone(),
            limits: self.limits.clone(),
        };
        Ok(Box::new(Engine::new(setup, self.factory.host(self.nodes), options.store_trace)?))
    }
}

/// Loads and validates a scenario or lesson file.
pub fn load(src: Source<'_>) -> Result<Scenario, Vec<Diagnostic>> {
    // Problems with the whole file are reported at its start (1:1).
    if src.text.len() > limits::MAX_FILE_BYTES {
        return Err(vec![src.at(
            Some(0..0),
            format!("the file is {} bytes; the limit is {} bytes", src.text.len(), limits::MAX_FILE_BYTES),
        )]);
    }
    if src.text.contains('\0') {
        return Err(vec![src.at(Some(0..0), "this is a binary file, not TOML text")]);
    }
    if src.text.trim().is_empty() {
        return Err(vec![src.at(Some(0..0), "the file is empty; a scenario needs at least protocol = \"...\"")]);
    }
    let doc = DeTable::parse(src.text).map_err(|e| vec![src.toml_error(&e)])?;
    let spec: FileSpec = toml::from_str(src.text).map_err(|e| vec![src.toml_error(&e)])?;
    let place = |e: PathError| src.at(span_at(&doc, &e.path), e.message);
    if let Some(v) = spec.format
        && v != FORMAT_VERSION
    {
        return Err(vec![place(perr(
            &[Seg::Key("format")],
            format!("format = {v} is not supported; this DistLab reads format {FORMAT_VERSION}"),
        ))]);
    }
    let Some(entry) = crate::protocols::find(&spec.protocol) else {
        let names: Vec<&str> = crate::protocols::all().iter().map(|p| (p.info)().name).collect();
        return Err(vec![place(perr(
            &[Seg::Key("protocol")],
            format!("unknown protocol '{}'; available: {}", spec.protocol, names.join(", ")),
        ))]);
    };
    (entry.load)(src, &doc, &Common { spec }).map_err(|errs| {
        errs.into_iter()
            .map(|e| match e {
                LoadError::Path(p) => place(p),
                LoadError::Toml(d) => d,
            })
            .collect()
    })
}

/// An error from a protocol's loader.
#[derive(Debug)]
pub enum LoadError {
    /// A semantic error at a key path.
    Path(PathError),
    /// A placed diagnostic (toml errors from the second pass).
    Toml(Diagnostic),
}

/// The protocol-independent part of a file, read in the first pass.
pub struct Common {
    spec: FileSpec,
}

/// Only the `[config]` table of a file, read with the protocol's type.
#[derive(Deserialize)]
struct ConfigPart<C> {
    config: Option<C>,
}

/// The second pass for protocol `P`: reads its `[config]` (the only
/// protocol-typed step of loading) and hands the rest to [`load_common`].
pub fn load_with<P: Protocol>(
    src: Source<'_>,
    doc: &Spanned<DeTable<'_>>,
    common: &Common,
) -> Result<Scenario, Vec<LoadError>> {
    let config: P::Config = match &common.spec.config {
        None => P::Config::default(),
        Some(_) => {
            // Parsed again from the text, so errors in [config] are placed.
            let typed: ConfigPart<P::Config> =
                toml::from_str(src.text).map_err(|e| vec![LoadError::Toml(src.toml_error(&e))])?;
            typed.config.ok_or_else(|| vec![LoadError::Path(perr(&[Seg::Key("config")], "missing [config]"))])?
        }
    };
    load_common(src, doc, common, Rc::new(TypedFactory::<P> { config }))
}

/// Validates everything in a file but its `[config]`, compiled once for
/// every protocol.
fn load_common(
    src: Source<'_>,
    doc: &Spanned<DeTable<'_>>,
    common: &Common,
    factory: Rc<dyn Factory>,
) -> Result<Scenario, Vec<LoadError>> {
    let info = factory.info();
    let s = &common.spec;
    let err = |e: PathError| vec![LoadError::Path(e)];
    let nodes = s.nodes.unwrap_or(5);
    if nodes < 1 || nodes > i64::from(limits::MAX_NODES) {
        return Err(err(perr(
            &[Seg::Key("nodes")],
            format!("nodes = {nodes} is outside 1 to {} (the node limit)", limits::MAX_NODES),
        )));
    }
    let nodes = nodes as u32;
    factory.validate(nodes).map_err(|i| err(perr(&[Seg::Key("config"), Seg::Key(i.field)], i.message)))?;
    let seed = s.seed.unwrap_or(1);
    if seed < 0 {
        return Err(err(perr(&[Seg::Key("seed")], format!("seed = {seed} must be zero or more"))));
    }
    let duration =
        ms_field(&[Seg::Key("duration_ms")], "duration_ms", s.duration_ms.unwrap_or(10_000.0), limits::MAX_DURATION)
            .map_err(err)?;
    if duration.0 == 0 {
        return Err(err(perr(&[Seg::Key("duration_ms")], "duration_ms must be more than 0")));
    }
    let net = match &s.network {
        Some(n) => network(&[Seg::Key("network")], n, nodes, &NetworkParams::default()).map_err(err)?,
        None => NetworkParams::default(),
    };
    let mut clocks = Vec::new();
    for (i, c) in s.clocks.iter().flatten().enumerate() {
        let p = vec![Seg::Key("clocks"), Seg::Index(i)];
        let node = node_field(&with(&p, Seg::Key("node")), c.node, nodes).map_err(err)?;
        let offset = c.offset_ms.unwrap_or(0.0);
        let lim = limits::MAX_CLOCK_OFFSET_US as f64 / 1000.0;
        if !offset.is_finite() || offset.abs() > lim {
            return Err(err(perr(
                &with(&p, Seg::Key("offset_ms")),
                format!("offset_ms = {} is beyond ±{lim} ms", number(offset)),
            )));
        }
        let drift = c.drift_ppm.unwrap_or(0);
        if drift.unsigned_abs() > limits::MAX_DRIFT_PPM as u64 {
            return Err(err(perr(
                &with(&p, Seg::Key("drift_ppm")),
                format!("drift_ppm = {drift} is beyond ±{}", limits::MAX_DRIFT_PPM),
            )));
        }
        clocks.push(ClockSetting { node, offset_us: (offset * 1000.0).round() as i64, drift_ppm: drift });
    }
    let parse = |t: &str| factory.check_request(t);
    let workload = match &s.workload {
        None => None,
        Some(_) if info.clients.refusal().is_some() => {
            let why = info.clients.refusal().map(|t| t.en).unwrap_or_default();
            return Err(err(perr(&[Seg::Key("workload")], format!("{} has no [workload]: {why}", info.name))));
        }
        Some(w) => {
            let p = [Seg::Key("workload")];
            let rate = w.rate_per_s;
            if !rate.is_finite() || rate <= 0.0 || rate > f64::from(limits::MAX_WORKLOAD_RATE_PER_S) {
                return Err(err(perr(
                    &with(&p, Seg::Key("rate_per_s")),
                    format!(
                        "rate_per_s = {} is outside 0 to {} requests per second",
                        number(rate),
                        limits::MAX_WORKLOAD_RATE_PER_S
                    ),
                )));
            }
            if w.requests.is_empty() {
                return Err(err(perr(
                    &with(&p, Seg::Key("requests")),
                    format!("requests is empty; give templates like {:?}", info.request_examples),
                )));
            }
            if w.requests.len() > 100 {
                return Err(err(perr(&with(&p, Seg::Key("requests")), "at most 100 request templates")));
            }
            for (i, r) in w.requests.iter().enumerate() {
                let sample = r.replace("{n}", "1");
                if r.len() > limits::MAX_REQUEST_BYTES {
                    return Err(err(perr(
                        &with(&with(&p, Seg::Key("requests")), Seg::Index(i)),
                        "request template is too long",
                    )));
                }
                parse(&sample).map_err(|e| err(perr(&with(&with(&p, Seg::Key("requests")), Seg::Index(i)), e)))?;
            }
            let start =
                ms_field(&with(&p, Seg::Key("start_ms")), "start_ms", w.start_ms.unwrap_or(0.0), limits::MAX_DURATION)
                    .map_err(err)?;
            let stop = match w.stop_ms {
                Some(v) => ms_field(&with(&p, Seg::Key("stop_ms")), "stop_ms", v, limits::MAX_DURATION).map_err(err)?,
                None => duration,
            };
            let gap = Micros(((1_000_000.0 / rate).round() as u64).max(1));
            Some(Workload { start, stop, gap, requests: w.requests.clone() })
        }
    };
    let mut clients = ClientPolicy::default();
    if let Some(c) = &s.clients {
        if let Some(r) = c.retry_ms {
            clients.retry = ms_field(&[Seg::Key("clients"), Seg::Key("retry_ms")], "retry_ms", r, limits::MAX_LATENCY)
                .map_err(err)?;
        }
        if let Some(m) = c.max_attempts {
            if !(1..=20).contains(&m) {
                return Err(err(perr(
                    &[Seg::Key("clients"), Seg::Key("max_attempts")],
                    format!("max_attempts = {m} is outside 1 to 20"),
                )));
            }
            clients.max_attempts = m as u8;
        }
    }
    let mut lim = Limits::default();
    if let Some(l) = &s.limits {
        let cap = |name: &'static str, v: Option<i64>, max: u64| -> Result<Option<u64>, PathError> {
            match v {
                None => Ok(None),
                Some(v) if v >= 1 && (v as u64) <= max => Ok(Some(v as u64)),
                Some(v) => {
                    Err(perr(&[Seg::Key("limits"), Seg::Key(name)], format!("{name} = {v} is outside 1 to {max}")))
                }
            }
        };
        if let Some(v) = cap("max_events", l.max_events, limits::HARD_MAX_EVENTS).map_err(err)? {
            lim.max_events = v;
        }
        if let Some(v) = cap("max_in_flight", l.max_in_flight, lim.max_in_flight as u64).map_err(err)? {
            lim.max_in_flight = v as usize;
        }
        if let Some(v) = cap("max_trace_records", l.max_trace_records, lim.max_trace_records as u64).map_err(err)? {
            lim.max_trace_records = v as usize;
        }
    }
    let faults_spec = s.faults.as_deref().unwrap_or_default();
    if faults_spec.len() > limits::MAX_SCHEDULE {
        return Err(err(perr(
            &[Seg::Key("faults")],
            format!("{} faults; the limit is {}", faults_spec.len(), limits::MAX_SCHEDULE),
        )));
    }
    let mut faults = Vec::new();
    for (i, f) in faults_spec.iter().enumerate() {
        let p = vec![Seg::Key("faults"), Seg::Index(i)];
        let at_ms = f.at_ms.ok_or_else(|| err(perr(&p, "a fault needs at_ms, when it happens")))?;
        let at = ms_field(&with(&p, Seg::Key("at_ms")), "at_ms", at_ms, limits::MAX_DURATION).map_err(err)?;
        let command = action(&p, f, nodes, info, &parse, &net).map_err(err)?;
        faults.push(Scheduled { at, command });
    }
    for (k, t) in [("title", &s.title), ("summary", &s.summary)] {
        if let Some(t) = t {
            check_text(&[Seg::Key(k)], t).map_err(err)?;
        }
    }
    let lesson = match (&s.lesson, &s.steps) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(err(perr(&[Seg::Key("steps")], "steps belong to a lesson; add a [lesson] table with a title")));
        }
        (Some(_), None) => return Err(err(perr(&[Seg::Key("lesson")], "a lesson needs at least one [[steps]] entry"))),
        (Some(l), Some(steps)) => {
            check_text(&[Seg::Key("lesson"), Seg::Key("title")], &l.title).map_err(err)?;
            if let Some(sum) = &l.summary {
                check_text(&[Seg::Key("lesson"), Seg::Key("summary")], sum).map_err(err)?;
            }
            if steps.is_empty() || steps.len() > limits::MAX_SCHEDULE {
                return Err(err(perr(
                    &[Seg::Key("steps")],
                    format!("a lesson has 1 to {} steps", limits::MAX_SCHEDULE),
                )));
            }
            let mut out = Vec::new();
            for (i, st) in steps.iter().enumerate() {
                let p = vec![Seg::Key("steps"), Seg::Index(i)];
                if let Some(t) = &st.title {
                    check_text(&with(&p, Seg::Key("title")), t).map_err(err)?;
                }
                check_text(&with(&p, Seg::Key("text")), &st.text).map_err(err)?;
                let act = |k: &'static str, a: &Option<ActionSpec>| -> Result<Option<Command>, Vec<LoadError>> {
                    let Some(a) = a else { return Ok(None) };
                    let ap = with(&p, Seg::Key(k));
                    if a.at_ms.is_some() {
                        return Err(err(perr(
                            &with(&ap, Seg::Key("at_ms")),
                            "at_ms belongs in [[faults]]; a step's action happens when the step starts",
                        )));
                    }
                    action(&ap, a, nodes, info, &parse, &net).map(Some).map_err(err)
                };
                let action_cmd = act("do", &st.action)?;
                let solution = act("solution", &st.solution)?;
                let until = st
                    .until
                    .as_ref()
                    .map(|c| condition(&with(&p, Seg::Key("until")), c, nodes, info, 0))
                    .transpose()
                    .map_err(err)?;
                if solution.is_some() && until.is_none() {
                    return Err(err(perr(
                        &with(&p, Seg::Key("solution")),
                        "a solution only makes sense with an until condition",
                    )));
                }
                let within = match st.within_ms {
                    Some(v) => {
                        ms_field(&with(&p, Seg::Key("within_ms")), "within_ms", v, limits::MAX_DURATION).map_err(err)?
                    }
                    None => crate::lesson::DEFAULT_WITHIN,
                };
                if within.0 == 0 {
                    return Err(err(perr(&with(&p, Seg::Key("within_ms")), "within_ms must be more than 0")));
                }
                let play = match st.play.as_deref() {
                    None | Some("auto") => crate::lesson::Play::Auto,
                    Some("learner") => crate::lesson::Play::Learner,
                    Some(other) => {
                        return Err(err(perr(
                            &with(&p, Seg::Key("play")),
                            format!(
                                "play = '{other}' must be \"auto\" (the lab plays) or \"learner\" (the learner presses Play)"
                            ),
                        )));
                    }
                };
                let pace = st.pace.map(|v| pace_field(&with(&p, Seg::Key("pace")), v)).transpose().map_err(err)?;
                let solution_at = match st.solution_at {
                    None => None,
                    Some(n) if solution.is_some() && st.stay && n >= 1 && (n as usize) <= i => Some(n as usize - 1),
                    Some(n) => {
                        return Err(err(perr(
                            &with(&p, Seg::Key("solution_at")),
                            format!(
                                "solution_at = {n}: the solution of a what-if step (stay = true, with a solution) \
                                 can be done where an earlier step began, 1 to {i}"
                            ),
                        )));
                    }
                };
                out.push(Step {
                    title: st.title.as_ref().map(text),
                    text: text(&st.text),
                    action: action_cmd,
                    until,
                    solution,
                    solution_at,
                    within,
                    challenge: st.challenge,
                    play,
                    stay: st.stay,
                    pace,
                    at: span_at(doc, &p).map_or((0, 0), |s| line_col(src.text, s.start)),
                });
            }
            let lp = [Seg::Key("lesson")];
            let pace = l.pace.map(|v| pace_field(&with(&lp, Seg::Key("pace")), v)).transpose().map_err(err)?;
            let mut switches = Vec::new();
            for (i, k) in l.switches.iter().flatten().enumerate() {
                let sp = with(&with(&lp, Seg::Key("switches")), Seg::Index(i));
                switches.push(switch_key(&sp, k, info).map_err(err)?);
            }
            let mut panels = Vec::new();
            for (i, k) in l.panels.iter().flatten().enumerate() {
                if !crate::lesson::PANELS.contains(&k.as_str()) {
                    return Err(err(perr(
                        &with(&with(&lp, Seg::Key("panels")), Seg::Index(i)),
                        format!("unknown panel '{k}'; a lesson can open {}", crate::lesson::PANELS.join(", ")),
                    )));
                }
                panels.push(k.clone());
            }
            Some(Lesson {
                title: text(&l.title),
                summary: l.summary.as_ref().map(text),
                order: l.order.unwrap_or(0),
                pace,
                switches,
                panels,
                steps: out,
            })
        }
    };
    let name = match (&lesson, &s.name) {
        (_, Some(n)) => n.clone(),
        (Some(l), None) => l.title.en.clone(),
        (None, None) => src.name.rsplit('/').next().unwrap_or(src.name).trim_end_matches(".toml").to_string(),
    };
    Ok(Scenario {
        name,
        seed: seed as u64,
        nodes,
        duration,
        network: net,
        clocks,
        faults,
        workload,
        clients,
        limits: lim,
        lesson,
        title: s.title.as_ref().map(text),
        summary: s.summary.as_ref().map(text),
        factory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Scenario, Vec<Diagnostic>> {
        load(Source { name: "t.toml", text })
    }

    fn first_error(text: &str) -> String {
        load_str(text).expect_err("should fail")[0].to_string()
    }

    #[test]
    fn minimal_file_loads_with_defaults() {
        let s = load_str("protocol = \"raft\"\n").unwrap();
        assert_eq!(s.nodes, 5);
        assert_eq!(s.seed, 1);
        assert_eq!(s.protocol().name, "raft");
    }

    #[test]
    fn unknown_top_level_key_is_an_error_with_position() {
        let e = first_error("protocol = \"raft\"\nnodez = 5\n");
        assert!(e.starts_with("t.toml:2:1:"), "{e}");
        assert!(e.contains("nodez"), "{e}");
    }

    #[test]
    fn unknown_config_key_is_caught_by_the_protocol_pass() {
        let e = first_error("protocol = \"raft\"\n[config]\nheartbeat_msec = 5\n");
        assert!(e.starts_with("t.toml:3:1:"), "{e}");
        assert!(e.contains("heartbeat_msec"), "{e}");
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let e = first_error("protocol = \"raft\"\n[network]\nloss_ratio = 2.0\n");
        assert_eq!(e, "t.toml:3:14: loss_ratio = 2 is outside 0 to 1 (it is a probability)");
        let e = first_error("protocol = \"raft\"\nnodes = 1000000000\n");
        assert!(e.starts_with("t.toml:2:9:") && e.contains("limit"), "{e}");
        let e =
            first_error("protocol = \"raft\"\n[network]\nlatency = { dist = \"uniform\", min_ms = -1, max_ms = 5 }\n");
        assert!(e.contains("min_ms = -1") && e.starts_with("t.toml:3:"), "{e}");
        let e = first_error("protocol = \"pax0s\"\n");
        assert!(e.contains("unknown protocol 'pax0s'") && e.contains("raft"), "{e}");
        let e = first_error("protocol = \"raft\"\n[config]\nheartbeat_ms = 500\n");
        assert!(e.starts_with("t.toml:3:16:") && e.contains("below election_timeout_min_ms"), "{e}");
    }

    #[test]
    fn faults_are_validated() {
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = 9\n");
        assert!(e.starts_with("t.toml:4:9:") && e.contains("no node 9"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = 1\nrestart = 2\n");
        assert!(e.contains("does one thing"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\nexplode = 1\n");
        assert!(e.contains("explode"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\nrequest = \"put x\"\n");
        assert!(e.contains("set KEY NUMBER"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = \"leadr\"\n");
        assert!(e.contains("unknown role 'leadr'"), "{e}");
    }

    #[test]
    fn empty_and_binary_files_are_refused_clearly() {
        assert!(first_error("").contains("empty"));
        assert!(first_error("  \n").contains("empty"));
        assert!(first_error("\0\u{1}ELF").contains("binary"));
        assert!(first_error("protocol = [").starts_with("t.toml:1:"));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("日本\nx", 7), (2, 1));
        assert_eq!(line_col("日本", 4), (1, 2));
    }
}
