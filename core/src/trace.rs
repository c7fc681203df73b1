//! The trace: what happened in a run, in order.
//!
//! Each processed event opens with a head record (a delivery, a timer, a
//! command, a client request, a resume) followed by the records of what it
//! caused (sends, drops, observations, replies, violations). A delivery names
//! the message id of its send, which is how the space-time diagram draws
//! causal arrows.
//!
//! Records are small `Copy` values; the trace can also run in hash-only mode
//! where nothing is stored. The trace hash is a 64-bit fingerprint folded
//! over every record's fields as fixed-width integers, so it is identical on
//! 32-bit wasm and 64-bit native targets.

use crate::ids::{MsgId, NodeId, RequestId};
use crate::network::DropReason;
use crate::protocol::Obs;
use crate::time::Micros;
use serde::Serialize;

/// What a record says.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordKind {
    /// A message was handed to the network and will arrive at `deliver_at`.
    Send {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Kind index.
        kind: u8,
        /// Scheduled arrival.
        deliver_at: Micros,
        /// The original, when this is a duplicate.
        copy_of: Option<MsgId>,
    },
    /// Head: a message arrived and its handler ran.
    Deliver {
        /// Message id (matches a `Send`).
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Kind index.
        kind: u8,
    },
    /// A message will never arrive.
    Drop {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Kind index.
        kind: u8,
        /// Why.
        reason: DropReason,
    },
    /// Head: a held message reached its receiver and waits there.
    Held {
        /// Message id.
        msg: MsgId,
    },
    /// Head: a message arrived but could not be delivered (the receiver was
    /// crashed or the link was cut by then).
    Undeliverable {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Kind index.
        kind: u8,
        /// Why.
        reason: DropReason,
    },
    /// Head: a node started for the first time.
    Init {
        /// The node.
        node: NodeId,
    },
    /// Head: a timer fired and its handler ran.
    Timer {
        /// The node.
        node: NodeId,
        /// Timer name.
        timer: &'static str,
    },
    /// Head: a command was applied (`index` into the scenario schedule or
    /// the recorded commands, see `scheduled`).
    Command {
        /// Verb.
        verb: &'static str,
        /// Target node, if any.
        node: Option<NodeId>,
        /// From the scenario's fault schedule (true) or recorded (false).
        scheduled: bool,
    },
    /// A node crashed.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// A node restarted from durable state.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// A node paused until `until`.
    Pause {
        /// The node.
        node: NodeId,
        /// Resume time.
        until: Micros,
    },
    /// Head: a paused node resumed.
    Resume {
        /// The node.
        node: NodeId,
    },
    /// Head: a client request reached a node and its handler ran.
    Request {
        /// Request id.
        id: RequestId,
        /// The node contacted.
        node: NodeId,
        /// Which attempt (0 is the first; retries follow redirects).
        attempt: u8,
    },
    /// A node answered a client request.
    Reply {
        /// Request id.
        id: RequestId,
        /// The node answering.
        node: NodeId,
        /// 0 ok, 1 redirect, 2 failed.
        outcome: u8,
    },
    /// A handler observed a value.
    Observe {
        /// The node.
        node: NodeId,
        /// Key.
        key: &'static str,
        /// Value.
        value: ObsValue,
    },
    /// An invariant was found broken.
    Violation {
        /// Invariant name.
        invariant: &'static str,
    },
}

/// [`Obs`] in serialisable form.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ObsValue {
    /// A number.
    Int(i64),
    /// A name.
    Str(&'static str),
}

impl From<Obs> for ObsValue {
    fn from(o: Obs) -> ObsValue {
        match o {
            Obs::Int(v) => ObsValue::Int(v),
            Obs::Str(s) => ObsValue::Str(s),
        }
    }
}

impl RecordKind {
    /// Whether this record opens an event.
    pub fn is_head(&self) -> bool {
        matches!(
            self,
            RecordKind::Deliver { .. }
                | RecordKind::Held { .. }
                | RecordKind::Undeliverable { .. }
                | RecordKind::Init { .. }
                | RecordKind::Timer { .. }
                | RecordKind::Command { .. }
                | RecordKind::Resume { .. }
                | RecordKind::Request { .. }
        )
    }
}

/// One trace record.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Simulated time.
    pub time: Micros,
    /// What happened.
    #[serde(flatten)]
    pub kind: RecordKind,
}

/// A 64-bit fingerprint of a sequence of integers and strings. Every input is
/// fed as a fixed-width `u64`, so the value does not depend on pointer width.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Fingerprint {
        Fingerprint(0x243f_6a88_85a3_08d3)
    }
}

impl Fingerprint {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    /// Folds one word in.
    #[inline]
    pub fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(23) ^ w).wrapping_mul(Self::K);
    }

    /// Folds a string in (its length, then its bytes in 8-byte words).
    pub fn text(&mut self, s: &str) {
        self.word(s.len() as u64);
        for chunk in s.as_bytes().chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(buf));
        }
    }

    /// The final value, avalanche-mixed.
    pub fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }

    /// Folds a record in.
    pub fn record(&mut self, r: &Record) {
        self.word(r.time.0);
        let node = |n: NodeId| u64::from(n.0);
        match r.kind {
            RecordKind::Send { msg, from, to, kind, deliver_at, copy_of } => {
                self.word(1);
                self.word(msg.0);
                self.word(node(from) << 32 | node(to));
                self.word(u64::from(kind));
                self.word(deliver_at.0);
                self.word(copy_of.map_or(u64::MAX, |m| m.0));
            }
            RecordKind::Deliver { msg, from, to, kind } => {
                self.word(2);
                self.word(msg.0);
                self.word(node(from) << 32 | node(to));
                self.word(u64::from(kind));
            }
            RecordKind::Drop { msg, from, to, kind, reason } => {
                self.word(3);
                self.word(msg.0);
                self.word(node(from) << 32 | node(to));
                self.word(u64::from(kind));
                self.word(reason as u64);
            }
            RecordKind::Held { msg } => {
                self.word(4);
                self.word(msg.0);
            }
            RecordKind::Timer { node: n, timer } => {
                self.word(5);
                self.word(node(n));
                self.text(timer);
            }
            RecordKind::Command { verb, node: n, scheduled } => {
                self.word(6);
                self.text(verb);
                self.word(n.map_or(0, node));
                self.word(u64::from(scheduled));
            }
            RecordKind::Crash { node: n } => {
                self.word(7);
                self.word(node(n));
            }
            RecordKind::Restart { node: n } => {
                self.word(8);
                self.word(node(n));
            }
            RecordKind::Pause { node: n, until } => {
                self.word(9);
                self.word(node(n));
                self.word(until.0);
            }
            RecordKind::Resume { node: n } => {
                self.word(10);
                self.word(node(n));
            }
            RecordKind::Request { id, node: n, attempt } => {
                self.word(11);
                self.word(id.0);
                self.word(node(n));
                self.word(u64::from(attempt));
            }
            RecordKind::Reply { id, node: n, outcome } => {
                self.word(12);
                self.word(id.0);
                self.word(node(n));
                self.word(u64::from(outcome));
            }
            RecordKind::Observe { node: n, key, value } => {
                self.word(13);
                self.word(node(n));
                self.text(key);
                match value {
                    ObsValue::Int(v) => {
                        self.word(0);
                        self.word(v as u64);
                    }
                    ObsValue::Str(s) => {
                        self.word(1);
                        self.text(s);
                    }
                }
            }
            RecordKind::Violation { invariant } => {
                self.word(14);
                self.text(invariant);
            }
            RecordKind::Undeliverable { msg, from, to, kind, reason } => {
                self.word(15);
                self.word(msg.0);
                self.word(node(from) << 32 | node(to));
                self.word(u64::from(kind));
                self.word(reason as u64);
            }
            RecordKind::Init { node: n } => {
                self.word(16);
                self.word(node(n));
            }
        }
    }
}

/// Records per storage chunk. Chunks never move once filled, so a long
/// trace grows without copying what it already holds.
const CHUNK: usize = 16 * 1024;

/// Stored records, in fixed-size chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    chunks: Vec<Vec<Record>>,
    len: usize,
}

impl Records {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The record at `i`.
    pub fn get(&self, i: usize) -> Option<&Record> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// Every record from position `from` on.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &Record> + '_ {
        let (c, o) = (from / CHUNK, from % CHUNK);
        self.chunks
            .iter()
            .skip(c)
            .enumerate()
            .flat_map(move |(k, chunk)| chunk[if k == 0 { o.min(chunk.len()) } else { 0 }..].iter())
    }

    /// How many records have a time at or before `t` (records are in time
    /// order, so this is where a cursor at `t` stands in a longer trace).
    pub fn upto(&self, t: Micros) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(|r| r.time <= t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Every record.
    pub fn iter(&self) -> impl Iterator<Item = &Record> + '_ {
        self.chunks.iter().flatten()
    }

    #[inline]
    fn push(&mut self, r: Record) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(r),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(r);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        self.chunks.truncate(len.div_ceil(CHUNK));
        let keep = len - self.chunks.len().saturating_sub(1) * CHUNK;
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(keep);
        }
        self.len = len;
    }
}

impl Serialize for Records {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The records of a run, and their running fingerprint.
#[derive(Clone, Debug)]
pub struct Trace {
    records: Records,
    store: bool,
    /// Records appended so far (stored or not).
    len: u64,
    events: u64,
    hash: Fingerprint,
    max_records: usize,
}

/// A position in a trace (see [`Trace::mark`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceMark {
    len: u64,
    events: u64,
    hash: Fingerprint,
}

/// The stored trace reached its limit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceFull {
    /// The limit.
    pub max_records: usize,
}

impl Trace {
    /// A trace that keeps records (`store`) or only their hash.
    pub fn new(store: bool, max_records: usize) -> Trace {
        Trace { records: Records::default(), store, len: 0, events: 0, hash: Fingerprint::default(), max_records }
    }

    /// Appends one record.
    #[inline]
    pub fn push(&mut self, time: Micros, kind: RecordKind) -> Result<(), TraceFull> {
        let r = Record { time, kind };
        if self.store {
            if self.records.len() >= self.max_records {
                return Err(TraceFull { max_records: self.max_records });
            }
            self.records.push(r);
        }
        if kind.is_head() {
            self.events += 1;
        }
        self.hash.record(&r);
        self.len += 1;
        Ok(())
    }

    /// The stored records (empty in hash-only mode).
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Whether records are stored.
    pub fn is_stored(&self) -> bool {
        self.store
    }

    /// Records appended so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events (head records) so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The fingerprint of every record so far.
    pub fn hash(&self) -> u64 {
        self.hash.finish()
    }

    /// Where the trace stands, to return to later with [`Trace::truncate`].
    pub fn mark(&self) -> TraceMark {
        TraceMark { len: self.len, events: self.events, hash: self.hash }
    }

    /// Cuts the stored trace back to the end of event number `events`,
    /// scanning forward from `from` (a mark at or before that point).
    /// Needs stored records.
    pub fn truncate(&mut self, from: TraceMark, events: u64) {
        let mut hash = from.hash;
        let mut seen = from.events;
        let mut pos = from.len as usize;
        for r in self.records.iter_from(pos) {
            if r.kind.is_head() {
                if seen == events {
                    break;
                }
                seen += 1;
            }
            hash.record(r);
            pos += 1;
        }
        self.records.truncate(pos);
        self.len = pos as u64;
        self.events = seen;
        self.hash = hash;
    }

    /// The fingerprint as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field_and_order() {
        let a = Record { time: Micros(5), kind: RecordKind::Crash { node: NodeId(1) } };
        let b = Record { time: Micros(5), kind: RecordKind::Crash { node: NodeId(2) } };
        let c = Record { time: Micros(6), kind: RecordKind::Crash { node: NodeId(1) } };
        let fp = |rs: &[Record]| {
            let mut f = Fingerprint::default();
            rs.iter().for_each(|r| f.record(r));
            f.finish()
        };
        assert_ne!(fp(&[a]), fp(&[b]));
        assert_ne!(fp(&[a]), fp(&[c]));
        assert_ne!(fp(&[a, b]), fp(&[b, a]));
        assert_eq!(fp(&[a, b]), fp(&[a, b]));
    }

    #[test]
    fn text_hash_distinguishes_prefixes() {
        let mut x = Fingerprint::default();
        x.text("abc");
        let mut y = Fingerprint::default();
        y.text("abc\0");
        assert_ne!(x.finish(), y.finish());
    }

    #[test]
    fn store_limit_is_an_error_not_a_panic() {
        let mut t = Trace::new(true, 2);
        let k = RecordKind::Crash { node: NodeId(1) };
        assert!(t.push(Micros(0), k).is_ok());
        assert!(t.push(Micros(0), k).is_ok());
        assert_eq!(t.push(Micros(0), k), Err(TraceFull { max_records: 2 }));
    }
}

#[cfg(test)]
mod records_tests {
    use super::*;

    #[test]
    fn chunked_records_iterate_and_truncate_across_chunks() {
        let mut t = Trace::new(true, 1_000_000);
        for i in 0..(CHUNK as u64 * 2 + 10) {
            t.push(Micros(i), RecordKind::Crash { node: NodeId(1) }).unwrap();
        }
        let r = t.records();
        assert_eq!(r.len(), CHUNK * 2 + 10);
        assert_eq!(r.get(CHUNK + 3).unwrap().time, Micros(CHUNK as u64 + 3));
        assert_eq!(r.iter_from(CHUNK - 1).next().unwrap().time, Micros(CHUNK as u64 - 1));
        assert_eq!(r.iter_from(CHUNK * 2 + 9).count(), 1);
        assert_eq!(r.iter().count(), CHUNK * 2 + 10);
        let mut rs = r.clone();
        rs.truncate(CHUNK);
        assert_eq!(rs.len(), CHUNK);
        assert_eq!(rs.iter().count(), CHUNK);
        rs.push(Record { time: Micros(1), kind: RecordKind::Crash { node: NodeId(2) } });
        assert_eq!(rs.get(CHUNK).unwrap().time, Micros(1));
    }
}
