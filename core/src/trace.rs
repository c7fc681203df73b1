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

/// A record as stored: 32 bytes instead of the 56 of a [`Record`]. Names
/// (timers, verbs, observation keys, invariants) are indexes into the
/// trace's name table; a delivery time is an offset from the record's time;
/// a record whose values do not fit (a node id above 65535, a delay above
/// 71 minutes) is kept whole in a side table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Packed {
    time: u64,
    a: u64,
    b: u32,
    c: u32,
    n1: u16,
    n2: u16,
    tag: u8,
    x: u8,
}

const SPILL: u8 = u8::MAX;

const DROP_REASONS: [DropReason; 4] =
    [DropReason::Loss, DropReason::Partition, DropReason::NodeDown, DropReason::Command];

fn reason_code(r: DropReason) -> u32 {
    DROP_REASONS.iter().position(|d| *d == r).unwrap_or(0) as u32
}

/// Stored records, packed, in fixed-size chunks. Two are equal when they
/// hold the same records (their name tables may differ in order).
#[derive(Clone, Debug, Default)]
pub struct Records {
    chunks: Vec<Vec<Packed>>,
    len: usize,
    /// Every name a record refers to, by index.
    names: Vec<&'static str>,
    /// Records that do not fit in a [`Packed`].
    spill: Vec<Record>,
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
    pub fn get(&self, i: usize) -> Option<Record> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).map(|p| self.unpack(p))
    }

    /// Every record from position `from` on.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = Record> + '_ {
        let (c, o) = (from / CHUNK, from % CHUNK);
        self.chunks
            .iter()
            .skip(c)
            .enumerate()
            .flat_map(move |(k, chunk)| chunk[if k == 0 { o.min(chunk.len()) } else { 0 }..].iter())
            .map(|p| self.unpack(p))
    }

    /// How many records have a time at or before `t` (records are in time
    /// order, so this is where a cursor at `t` stands in a longer trace).
    pub fn upto(&self, t: Micros) -> usize {
        let time = |i: usize| self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK)).map(|p| p.time);
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if time(mid).is_some_and(|v| v <= t.0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Every record.
    pub fn iter(&self) -> impl Iterator<Item = Record> + '_ {
        self.iter_from(0)
    }

    fn name(&mut self, s: &'static str) -> u32 {
        // Few distinct names (tens): a pointer comparison finds most.
        if let Some(i) = self.names.iter().position(|n| std::ptr::eq(*n, s) || *n == s) {
            return i as u32;
        }
        self.names.push(s);
        (self.names.len() - 1) as u32
    }

    fn pack(&mut self, r: &Record) -> Packed {
        let node16 = |n: NodeId| u16::try_from(n.0).ok();
        let mut p = Packed { time: r.time.0, a: 0, b: 0, c: 0, n1: 0, n2: 0, tag: 0, x: 0 };
        let fits = match r.kind {
            RecordKind::Send { msg, from, to, kind, deliver_at, copy_of } => {
                p.tag = 0;
                p.a = msg.0;
                p.x = kind;
                let delay = deliver_at.0.checked_sub(r.time.0).and_then(|d| u32::try_from(d).ok());
                let back = match copy_of {
                    None => Some(0),
                    Some(m) => msg.0.checked_sub(m.0).and_then(|d| u32::try_from(d).ok()).filter(|d| *d > 0),
                };
                match (node16(from), node16(to), delay, back) {
                    (Some(f), Some(t), Some(d), Some(b)) => {
                        (p.n1, p.n2, p.b, p.c) = (f, t, d, b);
                        true
                    }
                    _ => false,
                }
            }
            RecordKind::Deliver { msg, from, to, kind } => {
                (p.tag, p.a, p.x) = (1, msg.0, kind);
                node16(from).zip(node16(to)).map(|(f, t)| (p.n1, p.n2) = (f, t)).is_some()
            }
            RecordKind::Drop { msg, from, to, kind, reason }
            | RecordKind::Undeliverable { msg, from, to, kind, reason } => {
                p.tag = if matches!(r.kind, RecordKind::Drop { .. }) { 2 } else { 3 };
                (p.a, p.x, p.b) = (msg.0, kind, reason_code(reason));
                node16(from).zip(node16(to)).map(|(f, t)| (p.n1, p.n2) = (f, t)).is_some()
            }
            RecordKind::Held { msg } => {
                (p.tag, p.a) = (4, msg.0);
                true
            }
            RecordKind::Init { node }
            | RecordKind::Crash { node }
            | RecordKind::Restart { node }
            | RecordKind::Resume { node } => {
                p.tag = match r.kind {
                    RecordKind::Init { .. } => 5,
                    RecordKind::Crash { .. } => 6,
                    RecordKind::Restart { .. } => 7,
                    _ => 8,
                };
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Timer { node, timer } => {
                (p.tag, p.b) = (9, self.name(timer));
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Command { verb, node, scheduled } => {
                (p.tag, p.b) = (10, self.name(verb));
                p.x = u8::from(node.is_some()) | u8::from(scheduled) << 1;
                match node {
                    None => true,
                    Some(n) => node16(n).map(|n| p.n1 = n).is_some(),
                }
            }
            RecordKind::Pause { node, until } => {
                (p.tag, p.a) = (11, until.0);
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Request { id, node, attempt } => {
                (p.tag, p.a, p.x) = (12, id.0, attempt);
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Reply { id, node, outcome } => {
                (p.tag, p.a, p.x) = (13, id.0, outcome);
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Observe { node, key, value } => {
                (p.tag, p.b) = (14, self.name(key));
                match value {
                    ObsValue::Int(v) => p.a = v as u64,
                    ObsValue::Str(s) => (p.x, p.a) = (1, u64::from(self.name(s))),
                }
                node16(node).map(|n| p.n1 = n).is_some()
            }
            RecordKind::Violation { invariant } => {
                (p.tag, p.b) = (15, self.name(invariant));
                true
            }
        };
        if !fits {
            p = Packed { time: r.time.0, a: self.spill.len() as u64, b: 0, c: 0, n1: 0, n2: 0, tag: SPILL, x: 0 };
            self.spill.push(*r);
        }
        p
    }

    fn unpack(&self, p: &Packed) -> Record {
        let n1 = NodeId(u32::from(p.n1));
        let n2 = NodeId(u32::from(p.n2));
        let name = |i: u32| self.names.get(i as usize).copied().unwrap_or("");
        let reason = DROP_REASONS.get(p.b as usize).copied().unwrap_or(DropReason::Loss);
        let kind = match p.tag {
            0 => RecordKind::Send {
                msg: MsgId(p.a),
                from: n1,
                to: n2,
                kind: p.x,
                deliver_at: Micros(p.time + u64::from(p.b)),
                copy_of: (p.c > 0).then(|| MsgId(p.a - u64::from(p.c))),
            },
            1 => RecordKind::Deliver { msg: MsgId(p.a), from: n1, to: n2, kind: p.x },
            2 => RecordKind::Drop { msg: MsgId(p.a), from: n1, to: n2, kind: p.x, reason },
            3 => RecordKind::Undeliverable { msg: MsgId(p.a), from: n1, to: n2, kind: p.x, reason },
            4 => RecordKind::Held { msg: MsgId(p.a) },
            5 => RecordKind::Init { node: n1 },
            6 => RecordKind::Crash { node: n1 },
            7 => RecordKind::Restart { node: n1 },
            8 => RecordKind::Resume { node: n1 },
            9 => RecordKind::Timer { node: n1, timer: name(p.b) },
            10 => RecordKind::Command { verb: name(p.b), node: (p.x & 1 != 0).then_some(n1), scheduled: p.x & 2 != 0 },
            11 => RecordKind::Pause { node: n1, until: Micros(p.a) },
            12 => RecordKind::Request { id: RequestId(p.a), node: n1, attempt: p.x },
            13 => RecordKind::Reply { id: RequestId(p.a), node: n1, outcome: p.x },
            14 => RecordKind::Observe {
                node: n1,
                key: name(p.b),
                value: if p.x == 1 { ObsValue::Str(name(p.a as u32)) } else { ObsValue::Int(p.a as i64) },
            },
            15 => RecordKind::Violation { invariant: name(p.b) },
            _ => {
                return self
                    .spill
                    .get(p.a as usize)
                    .copied()
                    .unwrap_or(Record { time: Micros(p.time), kind: RecordKind::Held { msg: MsgId(0) } });
            }
        };
        Record { time: Micros(p.time), kind }
    }

    #[inline]
    fn push(&mut self, r: Record) {
        let p = self.pack(&r);
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(p),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(p);
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

impl PartialEq for Records {
    fn eq(&self, other: &Records) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Records {}

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
            hash.record(&r);
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

    #[test]
    fn every_kind_packs_into_32_bytes_and_reads_back_the_same() {
        assert_eq!(std::mem::size_of::<Packed>(), 32);
        let (a, b, far) = (NodeId(1), NodeId(64), NodeId(70_000));
        let t = Micros(1_000);
        let kinds = [
            RecordKind::Send { msg: MsgId(9), from: a, to: b, kind: 3, deliver_at: Micros(1_250), copy_of: None },
            RecordKind::Send {
                msg: MsgId(9),
                from: a,
                to: b,
                kind: 3,
                deliver_at: Micros(1_250),
                copy_of: Some(MsgId(8)),
            },
            // Do not fit: a delivery more than u32::MAX µs away, a far node, a copy of a later id.
            RecordKind::Send { msg: MsgId(9), from: a, to: b, kind: 3, deliver_at: Micros(u64::MAX), copy_of: None },
            RecordKind::Send { msg: MsgId(9), from: far, to: b, kind: 3, deliver_at: Micros(1_250), copy_of: None },
            RecordKind::Send {
                msg: MsgId(9),
                from: a,
                to: b,
                kind: 3,
                deliver_at: Micros(1_250),
                copy_of: Some(MsgId(10)),
            },
            RecordKind::Deliver { msg: MsgId(u64::MAX), from: b, to: a, kind: 255 },
            RecordKind::Drop { msg: MsgId(4), from: a, to: b, kind: 1, reason: DropReason::Command },
            RecordKind::Undeliverable { msg: MsgId(4), from: a, to: b, kind: 1, reason: DropReason::NodeDown },
            RecordKind::Held { msg: MsgId(7) },
            RecordKind::Init { node: b },
            RecordKind::Crash { node: a },
            RecordKind::Restart { node: far },
            RecordKind::Resume { node: b },
            RecordKind::Timer { node: a, timer: "election" },
            RecordKind::Command { verb: "crash", node: Some(b), scheduled: true },
            RecordKind::Command { verb: "heal", node: None, scheduled: false },
            RecordKind::Pause { node: a, until: Micros(5_000) },
            RecordKind::Request { id: RequestId(3), node: b, attempt: 2 },
            RecordKind::Reply { id: RequestId(3), node: b, outcome: 1 },
            RecordKind::Observe { node: a, key: "term", value: ObsValue::Int(-4) },
            RecordKind::Observe { node: a, key: "role", value: ObsValue::Str("leader") },
            RecordKind::Violation { invariant: "Election Safety" },
        ];
        let mut rs = Records::default();
        for k in kinds {
            rs.push(Record { time: t, kind: k });
        }
        let back: Vec<RecordKind> = rs.iter().map(|r| r.kind).collect();
        assert_eq!(back, kinds);
        assert_eq!(rs.spill.len(), 4, "the records that do not fit are kept whole");
        assert!(rs.iter().all(|r| r.time == t));
    }
}
