//! The protocol suite and the registry that names it.
//!
//! The registry is the one place that lists protocols by name. Adding a
//! protocol means writing its module and adding one entry here; the
//! simulator, the scenario loader, the CLI and the UI do not change.

pub mod fencing;
pub mod hash_ring;
pub mod lease_lock;
pub mod queue_lock;
pub mod raft;
pub mod redlock;

use crate::protocol::Protocol;
use crate::scenario::{Common, LoadError, Scenario, Source, load_with};
use crate::view::ProtocolInfo;
use toml::Spanned;
use toml::de::DeTable;

/// A protocol's second loading pass (see [`crate::scenario`]).
pub type LoadFn = for<'a, 'b, 'c> fn(Source<'a>, &'b Spanned<DeTable<'c>>, &Common) -> Result<Scenario, Vec<LoadError>>;

/// A registered protocol.
pub struct ProtocolEntry {
    /// Its description.
    pub info: fn() -> &'static ProtocolInfo,
    /// Its second loading pass.
    pub load: LoadFn,
}

static ALL: &[ProtocolEntry] = &[
    ProtocolEntry { info: raft::Raft::info, load: load_with::<raft::Raft> },
    ProtocolEntry { info: lease_lock::LeaseLock::info, load: load_with::<lease_lock::LeaseLock> },
    ProtocolEntry { info: redlock::Redlock::info, load: load_with::<redlock::Redlock> },
    ProtocolEntry { info: queue_lock::QueueLock::info, load: load_with::<queue_lock::QueueLock> },
    ProtocolEntry { info: hash_ring::HashRing::info, load: load_with::<hash_ring::HashRing> },
];

/// Every registered protocol.
pub fn all() -> &'static [ProtocolEntry] {
    ALL
}

/// The protocol registered under `name`.
pub fn find(name: &str) -> Option<&'static ProtocolEntry> {
    ALL.iter().find(|p| (p.info)().name == name)
}
