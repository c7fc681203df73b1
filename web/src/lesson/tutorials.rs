//! The lesson and scenario files, embedded at build time (see build.rs).

include!(concat!(env!("OUT_DIR"), "/tutorials.rs"));

/// The scenario the lab opens with.
pub const DEFAULT: &str = "raft/playground.toml";

/// The text of an embedded file.
pub fn text(path: &str) -> Option<&'static str> {
    TUTORIALS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// The HTML of a lesson text, rendered and made safe at build time. A text
/// that was not rendered (it cannot happen for embedded files) is shown as
/// escaped plain text.
pub fn lesson_html(markdown: &str) -> String {
    let key = super::key::key(markdown);
    if let Some((_, html)) = LESSON_HTML.iter().find(|(k, _)| *k == key) {
        return (*html).to_string();
    }
    let escaped = markdown.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!("<p>{escaped}</p>")
}
