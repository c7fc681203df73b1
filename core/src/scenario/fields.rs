//! Values as a file writes them, checked and converted: milliseconds,
//! ratios, node numbers and roles, latencies, the network table, texts in
//! both languages, a lesson's pace.

use super::diag::{PathError, Seg, perr, with};
use super::spec::{LatencySpec, NetworkSpec, NodeRefSpec, TextSpec};
use crate::command::NodeRef;
use crate::ids::{MsgId, NodeId};
use crate::lesson::Text;
use crate::limits;
use crate::network::{Latency, LinkLatency, NetworkParams, check_ratio};
use crate::time::{Micros, number};
use crate::view::ProtocolInfo;

/// Milliseconds (possibly fractional) to microseconds, within `0..=max`.
pub(super) fn ms_field(path: &[Seg], name: &str, v: f64, max: Micros) -> Result<Micros, PathError> {
    if !v.is_finite() || v < 0.0 {
        return Err(perr(path, format!("{name} = {} must be zero or more milliseconds", number(v))));
    }
    let us = (v * 1000.0).round();
    if us > max.0 as f64 {
        return Err(perr(path, format!("{name} = {} is above the limit of {} ms", number(v), max.0 / 1000)));
    }
    Ok(Micros(us as u64))
}

pub(super) fn ratio_field(path: &[Seg], name: &str, v: f64) -> Result<f64, PathError> {
    check_ratio(name, v).map_err(|t| perr(path, t.en))?;
    Ok(v)
}

pub(super) fn node_field(path: &[Seg], v: i64, nodes: u32) -> Result<NodeId, PathError> {
    if v < 1 || v > i64::from(nodes) {
        return Err(perr(path, format!("there is no node {v}; this scenario has nodes 1 to {nodes}")));
    }
    Ok(NodeId(v as u32))
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

pub(super) fn network(
    path: &[Seg],
    s: &NetworkSpec,
    nodes: u32,
    base: &NetworkParams,
) -> Result<NetworkParams, PathError> {
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
    // The check the world makes of a `set_network` command; everything it
    // refuses was caught above with a more precise place.
    p.check(nodes).map_err(|t| perr(path, t.en))?;
    Ok(p)
}

pub(super) fn node_ref(path: &[Seg], s: &NodeRefSpec, nodes: u32, info: &ProtocolInfo) -> Result<NodeRef, PathError> {
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

pub(super) fn msg_id(path: &[Seg], v: i64) -> Result<MsgId, PathError> {
    if v < 0 {
        return Err(perr(path, format!("message id {v} must be zero or more")));
    }
    Ok(MsgId(v as u64))
}

pub(super) fn pair(path: &[Seg], v: &[i64], nodes: u32) -> Result<(NodeId, NodeId), PathError> {
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

/// A lesson's pace (simulated seconds per wall second), within the limits.
pub(super) fn pace_field(path: &[Seg], v: f64) -> Result<f64, PathError> {
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

pub(super) fn text(t: &TextSpec) -> Text {
    Text { en: t.en.clone(), zh_cn: t.zh_cn.clone() }
}

pub(super) const MAX_TEXT_BYTES: usize = 16 * 1024;

pub(super) fn check_text(path: &[Seg], t: &TextSpec) -> Result<(), PathError> {
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
