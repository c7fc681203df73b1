//! DistLab's simulation core: a deterministic discrete-event simulator of a
//! message-passing network, the protocols that run on it, and the scenario and
//! lesson formats that describe runs as data.
//!
//! This crate does no IO, reads no wall clock and draws no OS randomness.
//! Simulated time is an integer count of microseconds ([`Micros`]); every
//! random choice comes from streams derived from the scenario seed
//! ([`rng`]); nothing iterates a `HashMap`. The same scenario, seed and
//! commands therefore give the same trace, bit for bit, natively and as
//! WebAssembly.
//!
//! The layers, bottom up:
//! - [`time`], [`ids`], [`rng`], [`limits`], [`text`]: vocabulary.
//! - [`network`]: latency distributions, loss, duplication, reordering,
//!   partitions.
//! - [`protocol`]: the contract a protocol implements, and the plain-data
//!   views it describes itself with ([`view`]).
//! - [`world`]: the event loop, compiled once: the protocol's side sits
//!   behind [`host::Host`]; [`engine`] adds commands, checkpoints, seek and
//!   forks; [`sim`] is the interface the UI, the CLI and lessons drive.
//! - [`scenario`] and [`lesson`]: TOML files turned into runs.
//! - [`protocols`]: the protocol suite and the registry that names it.
//! - [`hashring`]: key placement schemes (mod-N, ring, jump, rendezvous,
//!   bounded loads) and their figures.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod chunked;
pub mod command;
pub mod engine;
pub mod hashring;
pub mod host;
pub mod ids;
pub mod lesson;
pub mod limits;
pub mod network;
pub mod protocol;
pub mod protocols;
pub mod publish;
pub mod query;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod text;
pub mod time;
pub mod trace;
pub mod view;
pub mod world;

pub use command::{Command, NodeRef};
pub use ids::{MsgId, NodeId, RequestId};
pub use sim::{Sim, SimError};
pub use time::Micros;
