//! The lesson and scenario files, embedded at build time (see build.rs).

include!(concat!(env!("OUT_DIR"), "/tutorials.rs"));

/// The scenario the lab opens with.
pub const DEFAULT: &str = "raft/playground.toml";

/// The text of an embedded file.
pub fn text(path: &str) -> Option<&'static str> {
    TUTORIALS.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}
