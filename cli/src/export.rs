//! `distlab export-lessons`: publishes tutorials/ for the page (see
//! `distlab_core::publish`): a catalogue, and per file its TOML text with
//! every step text rendered to safe HTML. The page build runs it (a Trunk
//! hook), so the bundle carries no lesson.

use crate::markdown;
use distlab_core::publish::{self, CatalogRow, PublishedFile};
use distlab_core::scenario::{self, Source};
use std::path::Path;

/// Writes the catalogue and one published file per `.toml` file under
/// `root` into `out`; returns how many files it wrote. A file that does
/// not load stops the export with its located messages, before anything
/// is written.
pub fn export(root: &Path, out: &Path) -> Result<usize, Vec<String>> {
    let mut files = Vec::new();
    crate::collect(root, &mut files).map_err(|e| vec![e])?;
    let mut rows = Vec::new();
    let mut outputs: Vec<(std::path::PathBuf, PublishedFile)> = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f).to_string_lossy().replace('\\', "/");
        let text = match crate::read(f) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let s = match scenario::load(Source { name: &rel, text: &text }) {
            Ok(s) => s,
            Err(ds) => {
                problems.extend(ds.iter().map(|d| format!("{}/{d}", root.display())));
                continue;
            }
        };
        let mut html: Vec<((u32, u64), String)> = Vec::new();
        for md in publish::markdown_texts(&s) {
            let key = publish::text_key(md);
            if html.iter().any(|(k, _)| *k == key) {
                problems.push(format!("{rel}: two step texts share the key {key:?}; change one of them"));
            }
            html.push((key, markdown::to_html(md)));
        }
        rows.push(CatalogRow::of(&rel, &s));
        outputs.push((out.join(format!("{rel}.json")), PublishedFile { text, html }));
    }
    if rows.len() > publish::MAX_ROWS {
        problems.push(format!("{} files; the page lists at most {}", rows.len(), publish::MAX_ROWS));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    CatalogRow::sort(&mut rows);
    for (target, published) in &outputs {
        write_json(target, published).map_err(|e| vec![e])?;
    }
    write_json(&out.join(publish::CATALOG), &rows).map_err(|e| vec![e])?;
    Ok(rows.len())
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let json = serde_json::to_string(value).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    }
    std::fs::write(path, json).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn tutorials() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tutorials")
    }

    #[test]
    fn every_tutorial_is_published_with_safe_html_for_every_step_text() {
        let out = std::env::temp_dir().join(format!("distlab-export-{}", std::process::id()));
        let n = export(&tutorials(), &out).unwrap_or_else(|e| panic!("{}", e.join("\n")));
        let catalog: Vec<CatalogRow> =
            serde_json::from_str(&std::fs::read_to_string(out.join(publish::CATALOG)).unwrap()).unwrap();
        assert_eq!(catalog.len(), n);
        assert!(catalog.iter().any(|r| r.path == "raft/playground.toml" && !r.lesson));
        assert!(catalog.iter().take_while(|r| r.lesson).count() > 5, "lessons come first");
        for row in &catalog {
            let target = out.join(format!("{}.json", row.path));
            let file: PublishedFile = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
            // The text is the file, byte for byte (share links fingerprint it).
            assert_eq!(file.text, std::fs::read_to_string(tutorials().join(&row.path)).unwrap(), "{}", row.path);
            let s = scenario::load(Source { name: &row.path, text: &file.text }).unwrap();
            assert_eq!(file.html.len(), publish::markdown_texts(&s).len(), "{}", row.path);
            for md in publish::markdown_texts(&s) {
                let key = publish::text_key(md);
                let html = &file.html.iter().find(|(k, _)| *k == key).expect("every step text has HTML").1;
                let lower = html.to_ascii_lowercase();
                for bad in ["<script", "<img", "<iframe", "onerror=", "onclick=", "href=\"javascript"] {
                    assert!(!lower.contains(bad), "{}: {bad} in {html}", row.path);
                }
            }
        }
        std::fs::remove_dir_all(&out).ok();
    }

    #[test]
    fn a_broken_file_stops_the_export_and_says_where() {
        let dir = std::env::temp_dir().join(format!("distlab-export-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.toml"), "format = 1\nprotocol = \"raft\"\nnodes = \"five\"\n").unwrap();
        let err = export(&dir, &dir.join("out")).unwrap_err().join("\n");
        assert!(err.contains("bad.toml:3"), "{err}");
        assert!(!dir.join("out").exists(), "nothing is written");
        std::fs::remove_dir_all(&dir).ok();
    }
}
