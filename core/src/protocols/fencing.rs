//! The storage the lock protocols write to, and the check that its writes
//! stay fenced (Kleppmann, "How to do distributed locking", 2016): a lock
//! holder sends its fencing token with every write; the storage keeps the
//! highest token it accepted and refuses older ones. The monitor half,
//! [`FenceWatch`], reports a storage that accepted a write older than one it
//! had already accepted, whichever lock protocol produced the tokens.

use crate::ids::NodeId;
use crate::protocol::{Context, Obs, Protocol};
use crate::text::Text;
use crate::time::Micros;
use crate::view::{BreakSwitch, Field, InvariantInfo, Value, Violation};

/// The invariant's name.
pub const FENCED_WRITES: &str = "Fenced Writes";

/// The invariant, as protocols list it.
pub const FENCED_WRITES_INFO: InvariantInfo = InvariantInfo {
    name: FENCED_WRITES,
    name_zh_cn: "写入防护",
    source: "fencing tokens (Kleppmann, 2016)",
    rule: "Once the storage has accepted a write from a newer lock holder, it never accepts one from an older holder.",
    rule_zh_cn: "存储一旦接受了较新锁持有者的写入，就绝不再接受较旧持有者的写入。",
};

/// The break-it switch that turns the storage's check off.
pub const NO_FENCING_CHECK: BreakSwitch = BreakSwitch {
    key: "break_fencing_check",
    effect: "The storage accepts writes whatever their token.",
    caught_by: FENCED_WRITES,
};

/// Accepted writes a storage view shows (the newest).
const WRITES_SHOWN: usize = 16;

/// One accepted write.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The writer.
    pub client: NodeId,
    /// Its token.
    pub token: u64,
    /// The value written.
    pub value: u64,
}

/// A storage service that may check fencing tokens.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    /// The highest token accepted.
    pub max_token: u64,
    /// Accepted writes, oldest first (the newest few are kept).
    pub writes: Vec<Write>,
    /// Accepted writes so far.
    pub accepted: u64,
    /// Refused writes so far.
    pub rejected: u64,
}

impl Storage {
    /// A write from `from` with `token`: accepted unless `check` is on and
    /// the token is older than one accepted before. Observes `accepted` or
    /// `rejected` with the token; returns whether it was accepted.
    pub fn write<P: Protocol>(
        &mut self,
        from: NodeId,
        token: u64,
        value: u64,
        check: bool,
        cx: &mut Context<'_, P>,
    ) -> bool {
        let accepted = !check || token >= self.max_token;
        if accepted {
            self.max_token = self.max_token.max(token);
            self.accepted += 1;
            if self.writes.len() >= WRITES_SHOWN {
                self.writes.remove(0);
            }
            self.writes.push(Write { client: from, token, value });
            cx.observe("accepted", Obs::Int(token as i64));
        } else {
            self.rejected += 1;
            cx.observe("rejected", Obs::Int(token as i64));
        }
        accepted
    }

    /// The storage's headline (`max 34`).
    pub fn headline(&self) -> Text {
        Text::new(format!("max {}", self.max_token), format!("最大 {}", self.max_token))
    }

    /// The storage's fields for the inspector.
    pub fn fields(&self, check: bool) -> Vec<Field> {
        vec![
            Field { name: "fencing", value: Value::from(if check { "on" } else { "off" }) },
            Field { name: "max_token", value: Value::from(self.max_token) },
            Field { name: "accepted", value: Value::from(self.accepted) },
            Field { name: "rejected", value: Value::from(self.rejected) },
        ]
    }

    /// The newest writes, newest first, as the inspector's store rows.
    pub fn rows(&self) -> Vec<(String, String)> {
        self.writes
            .iter()
            .rev()
            .map(|w| (format!("token {} from {}", w.token, w.client), w.value.to_string()))
            .collect()
    }
}

/// The monitor's half: the newest write the storage accepted.
#[derive(Clone, Debug, Default)]
pub struct FenceWatch {
    accepted_seen: u64,
    newest: Option<(NodeId, u64, Micros)>,
    reported: bool,
}

fn ms(t: Micros) -> String {
    format!("{:.3} ms", t.0 as f64 / 1000.0)
}

impl FenceWatch {
    /// Looks at `storage` (node `at`) after an event; a write older than
    /// the newest accepted one is reported once. `lease_end` says when the
    /// stale writer's lock had ended, if the protocol knows.
    pub fn check(
        &mut self,
        storage: &Storage,
        at: NodeId,
        now: Micros,
        lease_end: impl Fn(&Write) -> Option<Micros>,
        out: &mut Vec<Violation>,
    ) {
        if storage.accepted == self.accepted_seen {
            return;
        }
        self.accepted_seen = storage.accepted;
        let Some(w) = storage.writes.last().copied() else { return };
        if let Some((newer, newer_token, when)) = self.newest
            && w.token < newer_token
            && !self.reported
        {
            self.reported = true;
            let (end_en, end_zh) = match lease_end(&w) {
                Some(t) => (
                    format!("; {}'s lease had run out at {}", w.client, ms(t)),
                    format!("；{} 的租约已在 {} 结束", w.client, ms(t)),
                ),
                None => (String::new(), String::new()),
            };
            out.push(Violation {
                invariant: FENCED_WRITES,
                time_us: now.0,
                message: Text::new(
                    format!(
                        "{FENCED_WRITES}: the storage accepted {}'s write with token {} at {} after {newer} had written \
                         with token {newer_token} at {}{end_en}.",
                        w.client,
                        w.token,
                        ms(now),
                        ms(when)
                    ),
                    format!(
                        "写入防护：存储在 {} 接受了 {} 带令牌 {} 的写入，而 {newer} 已在 {} 用令牌 {newer_token} 写入过{end_zh}。",
                        ms(now),
                        w.client,
                        w.token,
                        ms(when)
                    ),
                ),
                nodes: vec![w.client, newer, at],
                messages: Vec::new(),
            });
        }
        if self.newest.is_none_or(|(_, t, _)| w.token >= t) {
            self.newest = Some((w.client, w.token, now));
        }
    }
}
