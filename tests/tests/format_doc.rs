//! tutorials/FORMAT.md documents every protocol's `[config]` keys with their
//! defaults and allowed values; this checks the tables against what the protocols declare (the
//! registry, as `distlab protocols` prints it), so the page cannot drift.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::protocols;
use std::collections::BTreeMap;

/// One documented key: its default and allowed values as written.
struct Row {
    default: String,
    allowed: String,
}

/// The `[config]` section's tables, in order: key → its row.
fn config_tables(doc: &str) -> Vec<BTreeMap<String, Row>> {
    let start = doc.find("## `[config]`").expect("FORMAT.md has a [config] section");
    let end = doc[start..].find("\n## `[network]`").map_or(doc.len(), |e| start + e);
    let mut tables: Vec<BTreeMap<String, Row>> = Vec::new();
    let mut in_table = false;
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if !line.trim_start().starts_with('|') {
            in_table = false;
            continue;
        }
        if cells.first() == Some(&"key") {
            tables.push(BTreeMap::new());
            in_table = true;
            continue;
        }
        if !in_table || cells.len() < 2 || cells[0].starts_with("---") {
            continue;
        }
        let keys: Vec<&str> = cells[0].split(',').map(|k| k.trim().trim_matches('`')).collect();
        let defaults: Vec<&str> = cells[1].split(", ").collect();
        let allowed: Vec<&str> = cells.get(2).map_or(vec![], |c| c.split(", ").collect());
        let table = tables.last_mut().expect("a row belongs to a table");
        for (i, k) in keys.iter().enumerate() {
            let d = defaults.get(i).or(defaults.last()).copied().unwrap_or_default();
            let a = allowed.get(i).or(allowed.last()).copied().unwrap_or_default();
            let row = Row { default: d.trim_matches('`').replace(',', ""), allowed: a.to_string() };
            table.insert(k.to_string(), row);
        }
    }
    tables
}

fn same(written: &str, value: &toml::Value) -> bool {
    match value {
        toml::Value::Integer(i) => written.parse::<f64>().is_ok_and(|w| w == *i as f64),
        toml::Value::Float(f) => written.parse::<f64>().is_ok_and(|w| w == *f),
        toml::Value::Boolean(b) => written == b.to_string(),
        toml::Value::String(s) => written.trim_matches('"') == s,
        _ => false,
    }
}

#[test]
fn format_md_lists_every_config_key_with_its_default_and_range() {
    let doc = include_str!("../../tutorials/FORMAT.md");
    let tables = config_tables(doc);
    let all = protocols::all();
    assert_eq!(tables.len(), all.len(), "one [config] table per protocol, in the registry's order");
    let mut problems = Vec::new();
    for (p, table) in all.iter().zip(&tables) {
        let name = (p.info)().name;
        for (key, value) in (p.defaults)() {
            match table.get(&key) {
                None => problems.push(format!("{name}: `{key}` is not in FORMAT.md")),
                Some(w) if !same(&w.default, &value) => {
                    problems.push(format!("{name}: `{key}` defaults to {value:?}, FORMAT.md says {}", w.default))
                }
                Some(_) => {}
            }
        }
        for l in (p.limits)() {
            let want = l.range.text();
            match table.get(l.key) {
                Some(w) if w.allowed != want => {
                    problems.push(format!("{name}: `{}` allows {want}, FORMAT.md says {}", l.key, w.allowed))
                }
                _ => {}
            }
        }
        for b in (p.info)().break_switches {
            if !table.contains_key(b.key) {
                problems.push(format!("{name}: break-it switch `{}` is not in FORMAT.md", b.key));
            }
        }
    }
    assert!(problems.is_empty(), "FORMAT.md is out of date:\n{}", problems.join("\n"));
}
