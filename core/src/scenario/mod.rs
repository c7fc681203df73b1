//! Scenario and lesson files: TOML in, a runnable [`Scenario`] out.
//!
//! A file names a protocol, its config, the network, a seed, a fault
//! schedule and a client workload; a lesson adds steps (see [`crate::lesson`]).
//! The format is documented in `tutorials/FORMAT.md`.
//!
//! Loading happens in two passes. The first reads everything that does not
//! depend on the protocol, with unknown keys rejected, and finds the
//! protocol in the registry. The second reads the `[config]` table as that
//! protocol's own config type. Syntax and type errors carry toml's byte
//! spans; semantic errors (a loss ratio of 2, node 9 of 5) carry a key path
//! that is looked up in toml's spanned document. Either way every error
//! becomes a [`Diagnostic`] with file, line, column and a sentence.
//!
//! The modules follow the seams of that work: `diag` (where a problem is),
//! `spec` (the raw tables), `fields` (values and the network), `action`
//! (commands), `condition` (a step's wait), `factory` (the protocol's
//! part) and `common` (the protocol-independent second pass).

mod action;
mod common;
mod condition;
mod diag;
mod factory;
mod fields;
mod spec;

pub use diag::{Diagnostic, PathError, Seg, Source, line_col};

use crate::engine::Engine;
use crate::lesson::{Lesson, Text};
use crate::limits::{self, Limits};
use crate::network::NetworkParams;
use crate::protocol::Protocol;
use crate::sim::{Sim, SimError};
use crate::time::Micros;
use crate::view::ProtocolInfo;
use crate::world::{ClientPolicy, ClockSetting, Scheduled, Setup, Workload};
use common::load_common;
use diag::{perr, span_at};
use factory::{Factory, TypedFactory};
use serde::Deserialize;
use spec::FileSpec;
use std::fmt;
use std::rc::Rc;
use toml::Spanned;
use toml::de::DeTable;

/// The newest file format this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// Options for starting a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartOptions {
    /// Keep every trace record (needed for views of the past, seek-back
    /// forks and trace export); otherwise only the hash is kept.
    pub store_trace: bool,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions { store_trace: true }
    }
}

/// A validated scenario (or lesson) that can start runs.
#[derive(Clone)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// The seed in the file.
    pub seed: u64,
    /// Number of nodes.
    pub nodes: u32,
    /// How long a run lasts unless told otherwise.
    pub duration: Micros,
    /// Initial network parameters.
    pub network: NetworkParams,
    /// Initial clock settings.
    pub clocks: Vec<ClockSetting>,
    /// Fault schedule.
    pub faults: Vec<Scheduled>,
    /// Client workload.
    pub workload: Option<Workload>,
    /// Client retry policy.
    pub clients: ClientPolicy,
    /// Run-time limits.
    pub limits: Limits,
    /// Lesson steps, if this file is a lesson.
    pub lesson: Option<Lesson>,
    /// A scenario's own title in both languages (a lesson has its title).
    pub title: Option<Text>,
    /// A scenario's one-paragraph summary.
    pub summary: Option<Text>,
    factory: Rc<dyn Factory>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("protocol", &self.protocol().name)
            .field("seed", &self.seed)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// The protocol's description.
    pub fn protocol(&self) -> &'static ProtocolInfo {
        self.factory.info()
    }

    /// Starts a run with the file's seed, or `seed` if given.
    pub fn start(&self, seed: Option<u64>, options: StartOptions) -> Result<Box<dyn Sim>, SimError> {
        let setup = Setup {
            nodes: self.nodes,
            seed: seed.unwrap_or(self.seed),
            network: self.network.clone(),
            clocks: self.clocks.clone(),
            end: self.duration,
            schedule: self.faults.clone(),
            workload: self.workload.clone(),
            clients: self.clients.clone(),
            limits: self.limits.clone(),
        };
        Ok(Box::new(Engine::new(setup, self.factory.host(self.nodes), options.store_trace)?))
    }
}

/// Loads and validates a scenario or lesson file.
pub fn load(src: Source<'_>) -> Result<Scenario, Vec<Diagnostic>> {
    // Problems with the whole file are reported at its start (1:1).
    if src.text.len() > limits::MAX_FILE_BYTES {
        return Err(vec![src.at(
            Some(0..0),
            format!("the file is {} bytes; the limit is {} bytes", src.text.len(), limits::MAX_FILE_BYTES),
        )]);
    }
    if src.text.contains('\0') {
        return Err(vec![src.at(Some(0..0), "this is a binary file, not TOML text")]);
    }
    if src.text.trim().is_empty() {
        return Err(vec![src.at(Some(0..0), "the file is empty; a scenario needs at least protocol = \"...\"")]);
    }
    let doc = DeTable::parse(src.text).map_err(|e| vec![src.toml_error(&e)])?;
    let spec: FileSpec = toml::from_str(src.text).map_err(|e| vec![src.toml_error(&e)])?;
    let place = |e: PathError| src.at(span_at(&doc, &e.path), e.message);
    if let Some(v) = spec.format
        && v != FORMAT_VERSION
    {
        return Err(vec![place(perr(
            &[Seg::Key("format")],
            format!("format = {v} is not supported; this DistLab reads format {FORMAT_VERSION}"),
        ))]);
    }
    let Some(entry) = crate::protocols::find(&spec.protocol) else {
        let names: Vec<&str> = crate::protocols::all().iter().map(|p| (p.info)().name).collect();
        return Err(vec![place(perr(
            &[Seg::Key("protocol")],
            format!("unknown protocol '{}'; available: {}", spec.protocol, names.join(", ")),
        ))]);
    };
    (entry.load)(src, &doc, &Common { spec }).map_err(|errs| {
        errs.into_iter()
            .map(|e| match e {
                LoadError::Path(p) => place(p),
                LoadError::Toml(d) => d,
            })
            .collect()
    })
}

/// An error from a protocol's loader.
#[derive(Debug)]
pub enum LoadError {
    /// A semantic error at a key path.
    Path(PathError),
    /// A placed diagnostic (toml errors from the second pass).
    Toml(Diagnostic),
}

/// The protocol-independent part of a file, read in the first pass.
pub struct Common {
    spec: FileSpec,
}

/// Only the `[config]` table of a file, read with the protocol's type.
#[derive(Deserialize)]
struct ConfigPart<C> {
    config: Option<C>,
}

/// The second pass for protocol `P`: reads its `[config]` (the only
/// protocol-typed step of loading) and hands the rest to [`load_common`].
pub fn load_with<P: Protocol>(
    src: Source<'_>,
    doc: &Spanned<DeTable<'_>>,
    common: &Common,
) -> Result<Scenario, Vec<LoadError>> {
    let config: P::Config = match &common.spec.config {
        None => P::Config::default(),
        Some(_) => {
            // Parsed again from the text, so errors in [config] are placed.
            let typed: ConfigPart<P::Config> =
                toml::from_str(src.text).map_err(|e| vec![LoadError::Toml(src.toml_error(&e))])?;
            typed.config.ok_or_else(|| vec![LoadError::Path(perr(&[Seg::Key("config")], "missing [config]"))])?
        }
    };
    load_common(src, doc, common, Rc::new(TypedFactory::<P> { config }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Scenario, Vec<Diagnostic>> {
        load(Source { name: "t.toml", text })
    }

    fn first_error(text: &str) -> String {
        load_str(text).expect_err("should fail")[0].to_string()
    }

    #[test]
    fn minimal_file_loads_with_defaults() {
        let s = load_str("protocol = \"raft\"\n").unwrap();
        assert_eq!(s.nodes, 5);
        assert_eq!(s.seed, 1);
        assert_eq!(s.protocol().name, "raft");
    }

    #[test]
    fn unknown_top_level_key_is_an_error_with_position() {
        let e = first_error("protocol = \"raft\"\nnodez = 5\n");
        assert!(e.starts_with("t.toml:2:1:"), "{e}");
        assert!(e.contains("nodez"), "{e}");
    }

    #[test]
    fn unknown_config_key_is_caught_by_the_protocol_pass() {
        let e = first_error("protocol = \"raft\"\n[config]\nheartbeat_msec = 5\n");
        assert!(e.starts_with("t.toml:3:1:"), "{e}");
        assert!(e.contains("heartbeat_msec"), "{e}");
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let e = first_error("protocol = \"raft\"\n[network]\nloss_ratio = 2.0\n");
        assert_eq!(e, "t.toml:3:14: loss_ratio = 2 is outside 0 to 1 (it is a probability)");
        let e = first_error("protocol = \"raft\"\nnodes = 1000000000\n");
        assert!(e.starts_with("t.toml:2:9:") && e.contains("limit"), "{e}");
        let e =
            first_error("protocol = \"raft\"\n[network]\nlatency = { dist = \"uniform\", min_ms = -1, max_ms = 5 }\n");
        assert!(e.contains("min_ms = -1") && e.starts_with("t.toml:3:"), "{e}");
        let e = first_error("protocol = \"pax0s\"\n");
        assert!(e.contains("unknown protocol 'pax0s'") && e.contains("raft"), "{e}");
        let e = first_error("protocol = \"raft\"\n[config]\nheartbeat_ms = 500\n");
        assert!(e.starts_with("t.toml:3:16:") && e.contains("below election_timeout_min_ms"), "{e}");
    }

    #[test]
    fn faults_are_validated() {
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = 9\n");
        assert!(e.starts_with("t.toml:4:9:") && e.contains("no node 9"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = 1\nrestart = 2\n");
        assert!(e.contains("does one thing"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\nexplode = 1\n");
        assert!(e.contains("explode"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\nrequest = \"put x\"\n");
        assert!(e.contains("set KEY NUMBER"), "{e}");
        let e = first_error("protocol = \"raft\"\n[[faults]]\nat_ms = 5\ncrash = \"leadr\"\n");
        assert!(e.contains("unknown role 'leadr'"), "{e}");
    }

    #[test]
    fn empty_and_binary_files_are_refused_clearly() {
        assert!(first_error("").contains("empty"));
        assert!(first_error("  \n").contains("empty"));
        assert!(first_error("\0\u{1}ELF").contains("binary"));
        assert!(first_error("protocol = [").starts_with("t.toml:1:"));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("日本\nx", 7), (2, 1));
        assert_eq!(line_col("日本", 4), (1, 2));
    }
}
