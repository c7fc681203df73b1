//! What travels: stored entries, requests and answers, the messages, timers and client requests.

use super::membership::Membership;
use crate::ids::{NodeId, RequestId};
use std::rc::Rc;

/// One stored key.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Its version, 0 when the node does not hold the key.
    pub version: u32,
    /// Its value.
    pub value: u32,
}

/// What a client asked for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read the key.
    Get,
    /// Write this value.
    Put(u32),
}

/// A client request as it travels from the gateway to the owner.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The client's request.
    pub id: RequestId,
    /// The node the client asked, which answers it.
    pub gateway: NodeId,
    /// The key.
    pub key: u32,
    /// Read or write.
    pub op: Op,
    /// Times forwarded.
    pub hops: u8,
    /// The primary did not answer: a replica may serve the read.
    pub replica: bool,
}

/// The owner's answer to the gateway.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The key's value (`replica`: served by a replica, not the primary).
    Value {
        /// Its version.
        version: u32,
        /// Its value.
        value: u32,
        /// Served by a replica.
        replica: bool,
    },
    /// The write is done on every copy, as this version.
    Written {
        /// The version written.
        version: u32,
    },
    /// A replica does not hold the key.
    NotHere,
    /// Forwarded too often.
    Lost,
}

/// A message.
#[derive(Clone, Debug, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// The coordinator announces a membership.
    Members {
        /// The membership.
        view: Rc<Membership>,
    },
    /// A node tells the coordinator it knows `epoch` (and is done rebalancing).
    Status {
        /// The membership it knows.
        epoch: u32,
        /// Whether it has nothing left to send or receive.
        done: bool,
    },
    /// A read on its way to the key's owner.
    Get {
        /// The request.
        ask: Ask,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// A write on its way to the key's owner.
    Put {
        /// The request.
        ask: Ask,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// The owner's answer.
    Answer {
        /// The client's request.
        id: RequestId,
        /// The key.
        key: u32,
        /// The answer.
        answer: Answer,
    },
    /// The primary copies a write to a replica.
    Replicate {
        /// The key.
        key: u32,
        /// The new entry.
        entry: Entry,
        /// The write's gateway and request.
        origin: (NodeId, RequestId),
        /// The primary's membership.
        view: Rc<Membership>,
    },
    /// A replica confirms a copy.
    ReplicateAck {
        /// The key.
        key: u32,
        /// The version stored (or already newer there).
        version: u32,
        /// The write's gateway and request.
        origin: (NodeId, RequestId),
    },
    /// Keys moving in a rebalancing: (key, entry, handoff of ownership).
    Transfer {
        /// The batch number (per sender).
        batch: u64,
        /// The keys.
        entries: Vec<(u32, Entry, bool)>,
        /// The sender's membership.
        view: Rc<Membership>,
    },
    /// The receiver has stored a batch.
    TransferAck {
        /// The batch number.
        batch: u64,
    },
}

/// A timer.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    strum::VariantArray,
    strum::VariantNames,
    strum::IntoStaticStr,
    strum::EnumProperty,
)]
#[strum(serialize_all = "snake_case")]
pub enum Timer {
    /// Send the next transfer batch.
    Send,
    /// Time out requests, repeat unconfirmed transfers and memberships.
    Tick,
}

/// A client request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `get k7` (`get any`: a key the gateway picks at random).
    Get(Option<u32>),
    /// `put k7 3` (`put any 3`).
    Put(Option<u32>, u32),
    /// `join 5`: add node 5 to the ring.
    Join(u32),
    /// `leave 3`: take node 3 out of the ring.
    Leave(u32),
}
