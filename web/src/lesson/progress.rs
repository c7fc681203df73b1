//! Which lessons a learner has finished, kept in `localStorage` under
//! `distlab.done` as a JSON list of file paths. Storage may be missing (a
//! sandboxed iframe throws on touching it), full, disabled or hold
//! anything at all: every such case reads as "nothing done yet" or leaves
//! the store as it was, and never shows an error on the page.

use std::collections::BTreeSet;

const KEY: &str = "distlab.done";
/// Most lessons remembered; the store never grows past this.
const MAX_ENTRIES: usize = 256;
/// Longest path remembered.
const MAX_PATH: usize = 200;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Parses a stored value; anything that is not a list of short strings
/// counts as empty.
pub fn parse(text: &str) -> BTreeSet<String> {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(list) => list.into_iter().filter(|p| !p.is_empty() && p.len() <= MAX_PATH).take(MAX_ENTRIES).collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The lessons finished so far (empty when storage is unavailable).
pub fn done() -> BTreeSet<String> {
    storage().and_then(|s| s.get_item(KEY).ok().flatten()).map(|t| parse(&t)).unwrap_or_default()
}

/// Remembers that `path` was finished; quietly does nothing if storage
/// refuses (full, disabled, sandboxed).
pub fn mark_done(path: &str) {
    if path.len() > MAX_PATH {
        return;
    }
    let mut all = done();
    if all.len() >= MAX_ENTRIES || !all.insert(path.to_string()) {
        return;
    }
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(&all)) {
        let _ = s.set_item(KEY, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_corrupted_store_reads_as_nothing_done() {
        for bad in ["", "{", "null", "42", "{\"a\":1}", "[1,2]", "[\"x\"", "\u{0}"] {
            assert!(parse(bad).is_empty(), "{bad:?}");
        }
        assert_eq!(parse("[\"raft/01.toml\",\"\"]").len(), 1);
        let long = format!("[\"{}\"]", "x".repeat(1000));
        assert!(parse(&long).is_empty(), "an absurdly long path is ignored");
        let many = format!("[{}]", (0..5000).map(|i| format!("\"f{i}\"")).collect::<Vec<_>>().join(","));
        assert_eq!(parse(&many).len(), 256, "at most 256 are kept");
    }
}
