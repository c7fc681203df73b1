//! tutorials/FORMAT.md documents every protocol's `[config]` keys with their
//! defaults; this checks the tables against what the protocols declare (the
//! registry, as `distlab protocols` prints it), so the page cannot drift.

#![cfg(not(target_arch = "wasm32"))]

use distlab_core::protocols;
use std::collections::BTreeMap;

/// The `[config]` section's tables, in order: key → default as written.
fn config_tables(doc: &str) -> Vec<BTreeMap<String, String>> {
    let start = doc.find("## `[config]`").expect("FORMAT.md has a [config] section");
    let end = doc[start..].find("\n## `[network]`").map_or(doc.len(), |e| start + e);
    let mut tables: Vec<BTreeMap<String, String>> = Vec::new();
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
        let table = tables.last_mut().expect("a row belongs to a table");
        for (i, k) in keys.iter().enumerate() {
            let d = defaults.get(i).or(defaults.last()).copied().unwrap_or_default();
            table.insert(k.to_string(), d.trim_matches('`').replace(',', "").to_string());
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
fn format_md_lists_every_config_key_with_its_default() {
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
                Some(w) if !same(w, &value) => {
                    problems.push(format!("{name}: `{key}` defaults to {value:?}, FORMAT.md says {w}"))
                }
                Some(_) => {}
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
