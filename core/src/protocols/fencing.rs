//! The storage the lock protocols write to, and the check that its writes
//! stay fenced (Kleppmann, "How to do distributed locking", 2016): a lock
//! holder sends its fencing token with every write; the storage keeps the
//! highest token it accepted and refuses older ones. The monitor half,
//! [`FenceWatch`], reports a storage that accepted a write older than one it
//! had already accepted, whichever lock protocol produced the tokens. It
//! also holds what the lock protocols share besides: their figures, their
//! settings check and their refusal of client requests.

use crate::ids::NodeId;
use crate::limits::KeyLimit;
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
    effect_zh_cn: "存储不看令牌，任何写入都接受。",
    caught_by: FENCED_WRITES,
};

/// Accepted writes a storage view shows (the newest).
const WRITES_SHOWN: usize = 16;

/// One accepted write.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// Its place among the writes the storage accepted (from 1).
    pub n: u64,
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
        // The same write again (a client repeats a write whose answer it has
        // not seen yet): answered as before, stored and counted once.
        if self.writes.last().is_some_and(|w| w.client == from && w.token == token && w.value == value) {
            return true;
        }
        let accepted = !check || token >= self.max_token;
        if accepted {
            self.max_token = self.max_token.max(token);
            self.accepted += 1;
            if self.writes.len() >= WRITES_SHOWN {
                self.writes.remove(0);
            }
            self.writes.push(Write { n: self.accepted, client: from, token, value });
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

    /// The newest writes, newest first, as the inspector's store rows:
    /// `#2 S2 · 33` → `2001` (the storage's second accepted write, from S2
    /// with token 33, wrote 2001); see [`store_title`].
    pub fn rows(&self) -> Vec<(String, String)> {
        self.writes
            .iter()
            .rev()
            .map(|w| (format!("#{} {} · {}", w.n, w.client, w.token), w.value.to_string()))
            .collect()
    }
}

/// What a lock storage's store rows are.
pub fn store_title() -> Text {
    Text::new(
        "Writes accepted, newest first (#n writer · token → value)",
        "已接受的写入，新的在前（#序号 写入者 · 令牌 → 值）",
    )
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

/// Longest duration a lock protocol's setting may have.
pub const MAX_DURATION: Micros = Micros::from_ms(60_000);

/// A lock protocol's duration key that must be more than zero and at most
/// [`MAX_DURATION`].
pub const fn positive_ms<C>(key: &'static str, read: fn(&C) -> Micros) -> KeyLimit<C> {
    KeyLimit::ms(key, Micros(1), MAX_DURATION, read)
}

/// A lock protocol's duration key from 0 to [`MAX_DURATION`].
pub const fn any_ms<C>(key: &'static str, read: fn(&C) -> Micros) -> KeyLimit<C> {
    KeyLimit::ms(key, Micros::ZERO, MAX_DURATION, read)
}

/// The refusal of a protocol whose clients act on their own.
pub fn no_requests(clients: crate::view::Clients) -> Text {
    clients.refusal().unwrap_or_else(|| Text::new("no client requests here", "这里没有客户端请求"))
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one takes
/// everything (Jain, Chiu and Hawe, 1984). 1 for an empty or all-zero list.
pub fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let squares: f64 = xs.iter().map(|x| x * x).sum();
    if xs.is_empty() || squares == 0.0 { 1.0 } else { sum * sum / (xs.len() as f64 * squares) }
}

/// The lock board's client rows in serving order: holders (by token), then
/// the queue (by place) or the waiting clients, then the rest (by node).
pub fn board_order(mut clients: Vec<crate::view::LockClient>) -> Vec<crate::view::LockClient> {
    let rank = |c: &crate::view::LockClient| match c.role {
        "holder" => 0,
        "waiting" | "acquiring" | "joining" => 1,
        crate::view::CRASHED => 3,
        _ => 2,
    };
    clients.sort_by_key(|c| (rank(c), c.token.unwrap_or(u64::MAX), c.place.unwrap_or(u32::MAX), c.id));
    clients
}

/// A row for a crashed client: nothing of it can be seen.
pub fn crashed_client(id: NodeId) -> crate::view::LockClient {
    crate::view::LockClient {
        id,
        role: crate::view::CRASHED,
        token: None,
        lease_end_us: None,
        place: None,
        tries: 0,
        acquired: 0,
    }
}

/// The resource's part of the lock board.
pub fn board_resource(id: NodeId, s: &Storage, checks: bool) -> (NodeId, Option<u64>, bool, u64, u64) {
    (id, (s.accepted > 0).then_some(s.max_token), checks, s.accepted, s.rejected)
}

/// Upper bounds (ms) of the wait-time histogram's buckets; one more bucket
/// takes every longer wait.
pub const WAIT_BUCKETS_MS: [u64; 6] = [5, 10, 20, 40, 80, 160];

/// A client's waits for the lock (first try to holding), by bucket.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Waits(pub [u32; 7]);

impl Waits {
    /// Counts one wait of `us` microseconds.
    pub fn record(&mut self, us: u64) {
        let ms = us / 1000;
        let i = WAIT_BUCKETS_MS.iter().position(|&b| ms < b).unwrap_or(WAIT_BUCKETS_MS.len());
        self.0[i] = self.0[i].saturating_add(1);
    }
}

/// The histogram's bars and a line with the buckets the median and the
/// 95th percentile fall in.
fn wait_distribution(all: &Waits) -> crate::view::Figure {
    let labels: Vec<String> = (0..7)
        .map(|i| match i {
            0 => format!("<{}", WAIT_BUCKETS_MS[0]),
            6 => format!("≥{}", WAIT_BUCKETS_MS[5]),
            _ => format!("{}–{}", WAIT_BUCKETS_MS[i - 1], WAIT_BUCKETS_MS[i]),
        })
        .collect();
    let total: u64 = all.0.iter().map(|&c| u64::from(c)).sum();
    let bucket_at = |q: f64| {
        let want = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        (0..7).find(|&i| {
            seen += u64::from(all.0[i]);
            seen >= want
        })
    };
    let value = match (total, bucket_at(0.5), bucket_at(0.95)) {
        (0, ..) => Text::from("–"),
        (_, Some(a), Some(b)) => Text::new(
            format!("median {} ms, p95 {} ms", labels[a], labels[b]),
            format!("中位数 {} 毫秒，p95 {} 毫秒", labels[a], labels[b]),
        ),
        _ => Text::from("–"),
    };
    crate::view::Figure {
        name: Text::new("wait-time distribution (ms)", "等待时间分布（毫秒）"),
        value,
        bars: (0..7)
            .map(|i| crate::view::Bar { label: labels[i].clone(), value: f64::from(all.0[i]), node: None })
            .collect(),
    }
}

/// The figures every lock protocol shows: acquisitions per second of
/// simulated time, fairness over the clients' acquisitions, mean wait, the
/// wait-time distribution and messages per acquisition. `clients` holds
/// (acquisitions, total wait in microseconds, waits by bucket) per client.
pub fn lock_figures(clients: &[(u64, u64, Waits)], now: Micros, messages_sent: u64) -> Vec<crate::view::Figure> {
    use crate::view::Figure;
    let mut all = Waits::default();
    for c in clients {
        for (a, b) in all.0.iter_mut().zip(c.2.0) {
            *a = a.saturating_add(b);
        }
    }
    let total: u64 = clients.iter().map(|c| c.0).sum();
    let waited: u64 = clients.iter().map(|c| c.1).sum();
    let secs = now.0 as f64 / 1e6;
    let per_s = if secs > 0.0 { total as f64 / secs } else { 0.0 };
    let share: Vec<f64> = clients.iter().map(|c| c.0 as f64).collect();
    let dash = || "–".to_string();
    vec![
        Figure::new(Text::new("acquisitions", "获得锁次数"), total.to_string()),
        Figure::new(Text::new("acquisitions per second", "每秒获得锁次数"), format!("{per_s:.1}")),
        Figure::new(
            Text::new("fairness (Jain's index)", "公平性（Jain 指数）"),
            if total == 0 { dash() } else { format!("{:.3}", jain(&share)) },
        ),
        Figure::new(
            Text::new("mean wait", "平均等待"),
            if total == 0 { dash() } else { format!("{:.1} ms", waited as f64 / total as f64 / 1000.0) },
        ),
        wait_distribution(&all),
        Figure::new(
            Text::new("messages per acquisition", "每次获得锁的消息数"),
            if total == 0 { dash() } else { format!("{:.1}", messages_sent as f64 / total as f64) },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jains_index_runs_from_one_over_n_to_one() {
        assert!((jain(&[5.0, 5.0, 5.0, 5.0]) - 1.0).abs() < 1e-12);
        assert!((jain(&[8.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        assert!((jain(&[3.0, 1.0]) - 0.8).abs() < 1e-12);
        assert_eq!(jain(&[]), 1.0);
    }

    #[test]
    fn lock_figures_say_dash_before_the_first_acquisition() {
        let none = Waits::default();
        let f = lock_figures(&[(0, 0, none), (0, 0, none)], Micros(1_000_000), 40);
        assert_eq!(f[0].value.en, "0");
        assert!(f[2..].iter().all(|x| x.value.en == "–"), "{f:?}");
        let (mut a, mut b) = (Waits::default(), Waits::default());
        for us in [2_000, 12_000, 16_000] {
            a.record(us);
        }
        b.record(200_000);
        let f = lock_figures(&[(3, 30_000, a), (1, 10_000, b)], Micros(2_000_000), 40);
        assert_eq!(f[1].value.en, "2.0");
        assert_eq!(f[2].value.en, "0.800");
        assert_eq!(f[3].value.en, "10.0 ms");
        // Four waits: <5, 10-20 twice, >=160; the median is the second.
        assert_eq!(f[4].value.en, "median 10–20 ms, p95 ≥160 ms");
        assert_eq!(f[4].bars.iter().map(|b| b.value as u32).collect::<Vec<_>>(), [1, 0, 2, 0, 0, 0, 1]);
        assert_eq!(f[5].value.en, "10.0");
    }
}
