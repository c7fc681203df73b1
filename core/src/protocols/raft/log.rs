//! The Raft log and the operations stored in it.
//!
//! Indexes start at 1; index 0 with term 0 stands for "before the first
//! entry", as in the paper. Each entry also carries a prefix fingerprint
//! (a hash of every entry up to and including it), so two logs can be
//! compared up to an index in O(1): that is how the Log Matching monitor
//! stays cheap. The log remembers the lowest index changed since the
//! monitor last looked ([`RaftLog::take_changes`]); its entries can only be
//! changed through `append` and `truncate_from`, which keep that mark.

use super::{LogIndex, Term};
use crate::chunked::ChunkVec;
use crate::text::Text;
use std::cell::Cell;
use std::fmt;

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 15;

/// A short ASCII key stored inline, so entries are `Copy` and cheap to send.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    len: u8,
    bytes: [u8; MAX_KEY_BYTES],
}

impl Key {
    /// A key from text: 1 to 15 ASCII letters, digits, `_`, `-`, `.`, `:`.
    pub fn parse(s: &str) -> Result<Key, Text> {
        if s.is_empty() || s.len() > MAX_KEY_BYTES {
            return Err(Text::new(
                format!("key '{s}' must be 1 to {MAX_KEY_BYTES} characters long"),
                format!("键“{s}”的长度必须是 1 到 {MAX_KEY_BYTES} 个字符"),
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b)) {
            return Err(Text::new(
                format!("key '{s}' may use only letters, digits and _ - . :"),
                format!("键“{s}”只能使用字母、数字和 _ - . :"),
            ));
        }
        let mut bytes = [0u8; MAX_KEY_BYTES];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Key { len: s.len() as u8, bytes })
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("?")
    }

    fn fingerprint(&self) -> u64 {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&self.bytes[..8]);
        b[..7].copy_from_slice(&self.bytes[8..]);
        b[7] = self.len;
        u64::from_le_bytes(a) ^ u64::from_le_bytes(b).rotate_left(29)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation on the replicated key-value store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A leader's empty entry at the start of its term (Raft §8).
    Noop,
    /// `set key value`.
    Set {
        /// The key.
        key: Key,
        /// The value.
        value: i64,
    },
    /// `get key`, read through the log so it is linearizable.
    Get {
        /// The key.
        key: Key,
    },
}

impl Op {
    /// Parses `set KEY VALUE` or `get KEY`.
    pub fn parse(text: &str) -> Result<Op, Text> {
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("set"), Some(key), Some(value), None) => {
                let key = Key::parse(key)?;
                let value = value.parse::<i64>().map_err(|_| {
                    Text::new(format!("value '{value}' is not a whole number"), format!("值“{value}”不是整数"))
                })?;
                Ok(Op::Set { key, value })
            }
            (Some("get"), Some(key), None, None) => Ok(Op::Get { key: Key::parse(key)? }),
            _ => Err(Text::new(
                format!("unknown request '{text}'; Raft accepts 'set KEY NUMBER' or 'get KEY'"),
                format!("未知的请求“{text}”；Raft 接受“set 键 数字”或“get 键”"),
            )),
        }
    }

    fn fingerprint(&self) -> (u64, u64) {
        match *self {
            Op::Noop => (1, 0),
            Op::Set { key, value } => (2 ^ key.fingerprint().rotate_left(3), value as u64),
            Op::Get { key } => (3 ^ key.fingerprint().rotate_left(3), 0),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Noop => f.write_str("noop"),
            Op::Set { key, value } => write!(f, "set {key} {value}"),
            Op::Get { key } => write!(f, "get {key}"),
        }
    }
}

/// One log entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// What it does.
    pub op: Op,
}

#[derive(Copy, Clone, Debug)]
struct Stored {
    entry: Entry,
    prefix: u64,
}

const PREFIX_SEED: u64 = 0x6a09_e667_f3bc_c908;

fn chain(prev: u64, e: &Entry) -> u64 {
    let (a, b) = e.op.fingerprint();
    let mut h = prev;
    for w in [e.term.0, a, b] {
        h = (h.rotate_left(23) ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    h ^ (h >> 29)
}

/// A Raft log (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct RaftLog {
    entries: ChunkVec<Stored>,
    changed_from: Cell<Option<u64>>,
}

impl RaftLog {
    /// An empty log.
    pub fn new() -> RaftLog {
        RaftLog::default()
    }

    /// Index of the last entry (0 when empty).
    pub fn last_index(&self) -> LogIndex {
        LogIndex(self.entries.len() as u64)
    }

    /// Term of the last entry (0 when empty).
    pub fn last_term(&self) -> Term {
        self.term_at(self.last_index()).unwrap_or(Term(0))
    }

    /// The entry at `index`, if present.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        let i = index.0.checked_sub(1)?;
        self.entries.get(i as usize).map(|s| &s.entry)
    }

    /// The term at `index`: 0 for index 0, none past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index.0 == 0 { Some(Term(0)) } else { self.entry(index).map(|e| e.term) }
    }

    /// Fingerprint of every entry up to `index` (index 0: the empty prefix).
    pub fn prefix_hash(&self, index: LogIndex) -> Option<u64> {
        self.term_and_prefix(index).map(|(_, prefix)| prefix)
    }

    /// The term and the prefix fingerprint at `index` in one lookup (index 0
    /// is the empty prefix).
    pub fn term_and_prefix(&self, index: LogIndex) -> Option<(Term, u64)> {
        if index.0 == 0 {
            return Some((Term(0), PREFIX_SEED));
        }
        self.entries.get(index.0 as usize - 1).map(|s| (s.entry.term, s.prefix))
    }

    fn mark(&self, index: u64) {
        let m = self.changed_from.get().map_or(index, |c| c.min(index));
        self.changed_from.set(Some(m));
    }

    /// Appends one entry at the end.
    pub fn append(&mut self, entry: Entry) {
        let prev = self.prefix_hash(self.last_index()).unwrap_or(PREFIX_SEED);
        let index = self.entries.len() as u64 + 1;
        self.entries.push(Stored { entry, prefix: chain(prev, &entry) });
        self.mark(index);
    }

    /// Deletes the entry at `index` and every entry after it.
    pub fn truncate_from(&mut self, index: LogIndex) {
        let keep = index.0.saturating_sub(1);
        if keep < self.entries.len() as u64 {
            self.entries.truncate(keep as usize);
            self.mark(index.0.max(1));
        }
    }

    /// Up to `max` entries starting at `from`.
    pub fn entries_from(&self, from: LogIndex, max: usize) -> Vec<Entry> {
        let start = from.0.max(1) as usize - 1;
        self.entries.iter_from(start).take(max).map(|s| s.entry).collect()
    }

    /// Every entry, from index 1.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter().map(|s| &s.entry)
    }

    /// Marks every entry as changed (a log coming back from disk).
    pub fn mark_all_changed(&self) {
        if !self.entries.is_empty() {
            self.mark(1);
        }
    }

    /// The lowest index changed (appended, overwritten or deleted) since the
    /// last call, and resets the mark. Only the invariant monitor calls this.
    pub fn take_changes(&self) -> Option<LogIndex> {
        self.changed_from.take().map(LogIndex)
    }

    /// Whether a log ending at (`last_term`, `last_index`) is at least as
    /// up-to-date as this one (Raft §5.4.1).
    pub fn is_behind_or_equal(&self, last_term: Term, last_index: LogIndex) -> bool {
        let (my_term, my_index) = (self.last_term(), self.last_index());
        last_term > my_term || (last_term == my_term && last_index >= my_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(term: u64, v: i64) -> Entry {
        Entry { term: Term(term), op: Op::Set { key: Key::parse("x").unwrap(), value: v } }
    }

    #[test]
    fn prefix_hash_matches_iff_prefixes_match() {
        let mut a = RaftLog::new();
        let mut b = RaftLog::new();
        for (t, v) in [(1, 1), (1, 2), (2, 3)] {
            a.append(set(t, v));
            b.append(set(t, v));
        }
        assert_eq!(a.prefix_hash(LogIndex(3)), b.prefix_hash(LogIndex(3)));
        b.truncate_from(LogIndex(2));
        b.append(set(1, 9));
        b.append(set(2, 3));
        assert_eq!(a.prefix_hash(LogIndex(1)), b.prefix_hash(LogIndex(1)));
        assert_ne!(a.prefix_hash(LogIndex(3)), b.prefix_hash(LogIndex(3)));
    }

    #[test]
    fn change_mark_tracks_lowest_index() {
        let mut a = RaftLog::new();
        a.append(set(1, 1));
        a.append(set(1, 2));
        assert_eq!(a.take_changes(), Some(LogIndex(1)));
        assert_eq!(a.take_changes(), None);
        a.append(set(1, 3));
        a.truncate_from(LogIndex(2));
        assert_eq!(a.take_changes(), Some(LogIndex(2)));
        assert_eq!(a.last_index(), LogIndex(1));
    }

    #[test]
    fn up_to_date_comparison_follows_section_5_4_1() {
        // Raft §5.4.1: compare last terms first, then lengths.
        let mut a = RaftLog::new();
        a.append(set(1, 1));
        a.append(set(2, 1));
        assert!(a.is_behind_or_equal(Term(3), LogIndex(1)));
        assert!(a.is_behind_or_equal(Term(2), LogIndex(2)));
        assert!(!a.is_behind_or_equal(Term(2), LogIndex(1)));
        assert!(!a.is_behind_or_equal(Term(1), LogIndex(9)));
    }

    #[test]
    fn requests_parse_or_say_what_is_accepted() {
        assert_eq!(Op::parse("set x 5").unwrap().to_string(), "set x 5");
        assert_eq!(Op::parse("  get   y ").unwrap().to_string(), "get y");
        assert!(Op::parse("put x 1").unwrap_err().en.contains("set KEY NUMBER"));
        assert!(Op::parse("set x five").unwrap_err().en.contains("whole number"));
        assert!(Op::parse("set averyveryverylongkey 1").unwrap_err().en.contains("1 to 15"));
        assert!(Op::parse("").is_err());
        // A word too many or too few is not a request.
        assert!(Op::parse("set x 1 2").unwrap_err().en.contains("set KEY NUMBER"));
        assert!(Op::parse("get x y").unwrap_err().en.contains("set KEY NUMBER"));
        assert!(Op::parse("set x").unwrap_err().en.contains("set KEY NUMBER"));
    }
}
