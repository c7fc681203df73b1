//! `distlab protocols`: the registered protocols as they describe
//! themselves, for instructors writing lessons and for tools (`--json`).

use distlab_core::limits::{KeyRange, Range};
use distlab_core::protocols;
use serde_json::{Value, json};
use std::process::ExitCode;

/// A config key's range as JSON (durations in ms, as files write them).
fn range_json(r: &KeyRange) -> Value {
    let (unit, min, max) = match r.range {
        Range::Count(lo, hi) => ("count", json!(lo), json!(hi)),
        Range::Ms(lo, hi) => ("ms", json!(lo.as_ms_f64()), json!(hi.as_ms_f64())),
        Range::Real(lo, hi) => ("real", json!(lo), json!(hi)),
    };
    json!({ "key": r.key, "unit": unit, "min": min, "max": max, "why": r.why })
}

/// One protocol as JSON: its self-description, its config defaults and
/// the range of every number in the config.
fn describe(p: &protocols::ProtocolEntry) -> Value {
    let info = (p.info)();
    let limits: Vec<Value> = (p.limits)().iter().map(range_json).collect();
    json!({
        "name": info.name,
        "title": { "en": info.title, "zh-CN": info.title_zh_cn },
        "family": info.family.key,
        "blurb": { "en": info.blurb.0, "zh-CN": info.blurb.1 },
        "roles": info.roles,
        "message_kinds": info.message_kinds,
        "timers": info.timers,
        "invariants": info.invariants,
        "break_switches": info.break_switches,
        "request_examples": info.request_examples,
        "clients": info.clients,
        "config": (p.defaults)(),
        "limits": limits,
    })
}

/// Prints every registered protocol, as text or as one JSON array.
pub fn main(json: bool) -> ExitCode {
    let all = protocols::all();
    if json {
        let list: Vec<Value> = all.iter().map(describe).collect();
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    for (k, p) in all.iter().enumerate() {
        let info = (p.info)();
        if k > 0 {
            println!();
        }
        println!("{} ({}, {})", info.name, info.title, info.family.title.0);
        println!("  {}", info.blurb.0);
        let roles: Vec<String> = info.roles.iter().map(|r| format!("{} [{}]", r.name, r.badge)).collect();
        println!("  roles: {}", roles.join(", "));
        println!("  messages: {}", info.message_kinds.join(", "));
        println!("  timers: {}", info.timers.join(", "));
        let clients = match info.clients {
            distlab_core::view::Clients::Leader => "to the leader (others redirect)".to_string(),
            distlab_core::view::Clients::Gateway => "to any node, the request's gateway".to_string(),
            distlab_core::view::Clients::Fixed(n) => format!("always to {n}"),
            distlab_core::view::Clients::SelfDriving(who, _) => format!("none: {who} act on their own"),
        };
        println!("  client requests: {clients}");
        if !info.request_examples.is_empty() {
            println!("  requests: {}", info.request_examples.join(", "));
        }
        println!("  invariants:");
        for i in info.invariants {
            println!("    {}: {} ({})", i.name, i.rule, i.source);
        }
        if !info.break_switches.is_empty() {
            println!("  break-it switches:");
            for b in info.break_switches {
                println!("    {}: {} (caught by {})", b.key, b.effect, b.caught_by);
            }
        }
        println!("  config, with defaults (and allowed values):");
        let limits = (p.limits)();
        for (key, value) in (p.defaults)() {
            let value = serde_json::to_string(&value).unwrap_or_default();
            match limits.iter().find(|l| l.key == key) {
                Some(l) => {
                    let why = l.why.map(|w| format!(": {w}")).unwrap_or_default();
                    println!("    {key} = {value}  ({}{why})", l.range.text());
                }
                None => println!("    {key} = {value}"),
            }
        }
    }
    ExitCode::SUCCESS
}
