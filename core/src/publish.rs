//! How tutorials/ is published for the page. The page's bundle carries no
//! lesson: `distlab export-lessons` writes a small catalogue (what the
//! start page and the picker list) and one file per scenario or lesson
//! (its TOML text, and the HTML of each step text, rendered and made safe
//! ahead of time), and the page fetches the catalogue at load and a file
//! when it opens one. The page then loads the TOML with the same loader as
//! the CLI, so an instructor's file gets the same located messages.
//!
//! Both sides use these types, so the writer and the reader cannot drift.

use crate::scenario::Scenario;
use crate::text::Text;
use crate::trace::Fingerprint;
use serde::{Deserialize, Serialize};

/// Where the files go, under the page's own URL (and under the export
/// directory): `lessons/catalog.json`, `lessons/raft/01-leader-election.toml.json`.
pub const DIR: &str = "lessons";
/// The catalogue's file name inside [`DIR`].
pub const CATALOG: &str = "catalog.json";
/// Largest catalogue the page reads (bytes).
pub const MAX_CATALOG: usize = 256 * 1024;
/// Largest published file the page reads (bytes).
pub const MAX_FILE: usize = 1024 * 1024;
/// Most rows a catalogue may have.
pub const MAX_ROWS: usize = 1000;

/// The URL (relative to the page) of a published file, for a path under
/// tutorials/ (`raft/01-leader-election.toml`).
pub fn file_url(path: &str) -> String {
    format!("{DIR}/{path}.json")
}

/// One file of tutorials/ as the catalogue lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogRow {
    /// Path under tutorials/.
    pub path: String,
    /// The protocol's key (`raft`).
    pub protocol: String,
    /// Title: the lesson's, else the scenario's own, else its name.
    pub title: Text,
    /// One-paragraph summary, shown as plain text.
    pub summary: Option<Text>,
    /// A lesson (else a playground scenario).
    pub lesson: bool,
    /// Sort key among lessons.
    pub order: i64,
    /// Number of lesson steps (0 for a playground).
    pub steps: usize,
}

impl CatalogRow {
    /// The row for `scenario`, loaded from `path`.
    pub fn of(path: &str, scenario: &Scenario) -> CatalogRow {
        let (title, summary, lesson, order, steps) = match &scenario.lesson {
            Some(l) => (l.title.clone(), l.summary.clone(), true, l.order, l.steps.len()),
            None => (
                scenario.title.clone().unwrap_or_else(|| Text::from(scenario.name.as_str())),
                scenario.summary.clone(),
                false,
                i64::MAX,
                0,
            ),
        };
        CatalogRow {
            path: path.to_string(),
            protocol: scenario.protocol().name.to_string(),
            title,
            summary,
            lesson,
            order,
            steps,
        }
    }

    /// Lessons first, in their order, then playgrounds; by path within.
    pub fn sort(rows: &mut [CatalogRow]) {
        rows.sort_by(|a, b| (!a.lesson, a.order, &a.path).cmp(&(!b.lesson, b.order, &b.path)));
    }
}

/// One published scenario or lesson file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishedFile {
    /// The file's TOML text, byte for byte (share links fingerprint it).
    pub text: String,
    /// The HTML of each step text, by [`text_key`] of its Markdown.
    pub html: Vec<((u32, u64), String)>,
}

impl PublishedFile {
    /// The HTML of a step text. A text with none (a file published by an
    /// older export) is shown as escaped plain text.
    pub fn html_of(&self, markdown: &str) -> String {
        let key = text_key(markdown);
        if let Some((_, html)) = self.html.iter().find(|(k, _)| *k == key) {
            return html.clone();
        }
        let escaped = markdown.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        format!("<p>{escaped}</p>")
    }
}

/// Every text of `scenario` the page shows as HTML: each lesson step's
/// text, in both languages, without repeats.
pub fn markdown_texts(scenario: &Scenario) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for step in scenario.lesson.iter().flat_map(|l| &l.steps) {
        for md in [step.text.en.as_str(), step.text.zh_cn.as_str()] {
            if !out.contains(&md) {
                out.push(md);
            }
        }
    }
    out
}

/// The key a step text's HTML is found by: its length and its
/// [`Fingerprint`], so a published file does not carry every Markdown
/// source a second time. The exporter refuses a file in which two texts
/// share a key.
pub fn text_key(markdown: &str) -> (u32, u64) {
    let mut f = Fingerprint::default();
    f.text(markdown);
    (markdown.len() as u32, f.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_without_html_is_escaped() {
        let f =
            PublishedFile { text: String::new(), html: vec![(text_key("**a**"), "<p><strong>a</strong></p>".into())] };
        assert_eq!(f.html_of("**a**"), "<p><strong>a</strong></p>");
        assert_eq!(f.html_of("<script>x</script>"), "<p>&lt;script&gt;x&lt;/script&gt;</p>");
    }

    #[test]
    fn keys_tell_texts_apart() {
        assert_ne!(text_key("ab"), text_key("ba"));
        assert_ne!(text_key(""), text_key(" "));
        assert_eq!(text_key("同一"), text_key("同一"));
    }
}
