//! One node's state: its store, its membership, transfer bookkeeping and requests in progress.

use super::config::Params;
use super::membership::Membership;
use super::messages::{Ask, Entry, Op};
use crate::chunked::ChunkVec;
use crate::ids::{NodeId, RequestId};
use crate::time::Micros;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

pub(super) const INCOMING: u8 = 1;
pub(super) const WAITING: u8 = 2;
pub(super) const SENT: u8 = 4;
/// A new replica of the key, waiting for its copy from the primary: it
/// serves no replica read until the copy of this membership arrives.
pub(super) const COPY: u8 = 8;

/// A batch sent and not yet confirmed.
#[derive(Clone, Debug)]
pub(super) struct Batch {
    pub(super) to: NodeId,
    pub(super) keys: Vec<(u32, bool)>,
    pub(super) sent_at: Micros,
}

/// A request this node is the gateway of.
#[derive(Copy, Clone, Debug)]
pub(super) struct Pending {
    pub(super) key: u32,
    pub(super) op: Op,
    /// Index in the preference list being tried.
    pub(super) tried: usize,
    pub(super) deadline: Micros,
}

/// What the monitor reads after each event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ghost {
    /// The gateway told a client its write is done as `version`.
    Acked {
        /// The key.
        key: u32,
        /// The version.
        version: u32,
    },
    /// A node served a read or applied a write at `version`.
    Served {
        /// The key.
        key: u32,
        /// The version read or written (0: the node did not have the key).
        version: u32,
        /// A write.
        write: bool,
    },
}

/// One node of the store.
#[derive(Clone, Debug)]
pub struct RingNode {
    pub(super) p: Params,
    pub(super) me: NodeId,
    pub(super) view: Rc<Membership>,
    pub(super) prev: Option<Rc<Membership>>,
    pub(super) store: ChunkVec<Entry>,
    pub(super) held: u32,
    pub(super) flags: ChunkVec<u8>,
    pub(super) flagged: u32,
    pub(super) queue: VecDeque<(NodeId, u32, bool)>,
    pub(super) unacked: BTreeMap<u64, Batch>,
    pub(super) next_batch: u64,
    pub(super) done_reported: u32,
    pub(super) settled_reported: u32,
    pub(super) send_armed: bool,
    pub(super) tick_armed: bool,
    // Volatile: lost in a crash.
    pub(super) pending: BTreeMap<RequestId, Pending>,
    pub(super) waiting: Vec<Ask>,
    pub(super) writes: BTreeMap<(NodeId, RequestId), (u32, u32, Vec<NodeId>)>,
    // The coordinator's bookkeeping for the current epoch.
    pub(super) heard: BTreeSet<NodeId>,
    pub(super) done: BTreeSet<NodeId>,
    pub(super) last_resend: Micros,
    pub(super) last_slow_resend: Micros,
    pub(super) answered: u64,
    pub(super) failed: u64,
}

impl RingNode {
    pub(super) fn entry(&self, k: u32) -> Entry {
        self.store.get(k as usize).copied().unwrap_or_default()
    }

    pub(super) fn flag(&self, k: u32) -> u8 {
        self.flags.get(k as usize).copied().unwrap_or(0)
    }

    pub(super) fn set_flags(&mut self, k: u32, f: u8) {
        let old = self.flag(k);
        if old == f {
            return;
        }
        if old == 0 {
            self.flagged += 1;
        } else if f == 0 {
            self.flagged -= 1;
        }
        self.flags.set(k as usize, f);
    }

    pub(super) fn put_entry(&mut self, k: u32, e: Entry) {
        let old = self.entry(k);
        if old.version == 0 && e.version > 0 {
            self.held += 1;
        } else if old.version > 0 && e.version == 0 {
            self.held -= 1;
        }
        self.store.set(k as usize, e);
    }

    pub(super) fn drop_key(&mut self, k: u32) {
        self.put_entry(k, Entry::default());
    }

    pub(super) fn busy(&self) -> bool {
        self.flagged > 0 || !self.queue.is_empty() || !self.unacked.is_empty()
    }

    pub(super) fn is_coordinator(&self) -> bool {
        self.view.has(self.me) && self.view.coordinator() == self.me
    }

    /// Every node of the old and the new membership has finished.
    pub(super) fn settled(&self) -> bool {
        let old = self.prev.as_ref().map(|p| p.members.as_slice()).unwrap_or(&[]);
        self.view.members.iter().chain(old).all(|n| self.done.contains(n))
    }

    pub(super) fn role(&self) -> Role {
        if !self.view.has(self.me) {
            if self.busy() { Role::Leaving } else { Role::Spare }
        } else if self.busy() {
            Role::Moving
        } else if self.is_coordinator() {
            Role::Coordinator
        } else {
            Role::Member
        }
    }
}

/// A node's role, as the legend shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Coordinates joins and leaves.
    #[strum(props(zh = "协调者", badge = "C", colour = 1))]
    Coordinator,
    /// In the ring, nothing to move.
    #[strum(props(zh = "成员", badge = "M", colour = 2))]
    Member,
    /// In the ring, sending or receiving keys.
    #[strum(props(zh = "迁移中", badge = "T", colour = 3))]
    Moving,
    /// Leaving the ring, handing its keys over.
    #[strum(props(zh = "退出中", badge = "L", colour = 4))]
    Leaving,
    /// Not in the ring; it can join.
    #[strum(props(zh = "备用", badge = "S", colour = 0))]
    Spare,
}
