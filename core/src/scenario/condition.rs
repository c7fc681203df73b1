//! A lesson step's `until` table into a [`Condition`].

use super::action::VERBS;
use super::diag::{PathError, Seg, perr, with};
use super::fields::{ms_field, node_field};
use super::spec::ConditionSpec;
use crate::lesson::Condition;
use crate::limits;
use crate::view::ProtocolInfo;

const MAX_CONDITION_DEPTH: usize = 4;

pub(super) fn condition(
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
