//! Every quantity a user can choose has a limit here. Hitting one is a clear
//! error that names the limit, never a hang or an out-of-memory crash.

use crate::time::Micros;

/// Most nodes in one scenario.
pub const MAX_NODES: u32 = 64;
/// Longest simulated run: one day.
pub const MAX_DURATION: Micros = Micros(24 * 3_600 * 1_000_000);
/// Largest latency any distribution may produce or be configured with: one minute.
pub const MAX_LATENCY: Micros = Micros(60 * 1_000_000);
/// Largest clock drift, in parts per million (50 % fast or slow).
pub const MAX_DRIFT_PPM: i64 = 500_000;
/// Largest clock offset or jump: one hour.
pub const MAX_CLOCK_OFFSET_US: i64 = 3_600 * 1_000_000;
/// Most entries in a scenario's fault schedule or a lesson's step list.
pub const MAX_SCHEDULE: usize = 1_000;
/// Largest scenario or lesson file, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Longest client request text, in bytes.
pub const MAX_REQUEST_BYTES: usize = 200;
/// Most client requests the workload may issue per simulated second.
pub const MAX_WORKLOAD_RATE_PER_S: u32 = 100_000;

/// Run-time limits of one simulation. The defaults suit the CLI; the web
/// lab lowers them to what a browser tab can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most messages in flight (sent, not yet delivered or dropped).
    pub max_in_flight: usize,
    /// Most events one run may process.
    pub max_events: u64,
    /// Most records the stored trace may hold.
    pub max_trace_records: usize,
    /// Most commands (interventions) one run may record.
    pub max_commands: usize,
}

/// Hard ceilings for [`Limits`]; a caller may lower the defaults, never
/// raise past these.
pub const HARD_MAX_EVENTS: u64 = 50_000_000;

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_in_flight: 100_000, max_events: 20_000_000, max_trace_records: 60_000_000, max_commands: 10_000 }
    }
}

/// The range of one number in a protocol's `[config]` table, declared once
/// in [`crate::protocol::Protocol::LIMITS`]: the loader checks it
/// ([`check_keys`]) and `distlab protocols` lists it, so the check and the
/// listing cannot drift. Rules that relate two keys, or a key and the
/// cluster size, stay in [`crate::protocol::Protocol::validate`].
pub struct KeyLimit<C> {
    /// The key as a file writes it (`heartbeat_ms`).
    pub key: &'static str,
    read: Read<C>,
    /// Why the range is what it is, added to the message.
    why: Option<&'static str>,
}

/// How [`KeyLimit`] reads its number out of a config.
enum Read<C> {
    Count(fn(&C) -> u64, u64, u64),
    Ms(fn(&C) -> Micros, Micros, Micros),
    Real(fn(&C) -> f64, f64, f64),
}

/// A [`KeyLimit`]'s allowed values, without the config it reads.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Range {
    /// A whole number from `.0` to `.1`.
    Count(u64, u64),
    /// A duration from `.0` to `.1` (written in ms).
    Ms(Micros, Micros),
    /// A real number from `.0` to `.1`.
    Real(f64, f64),
}

impl Range {
    /// The range as a sentence ends: `1 to 10000`, `0.001 to 60000 ms`.
    pub fn text(&self) -> String {
        use crate::time::number;
        match *self {
            Range::Count(lo, hi) => format!("{lo} to {hi}"),
            Range::Ms(lo, hi) => format!("{} to {} ms", lo.ms_text(), hi.ms_text()),
            Range::Real(lo, hi) => format!("{} to {}", number(lo), number(hi)),
        }
    }
}

impl<C> KeyLimit<C> {
    /// A whole number from `min` to `max`.
    pub const fn count(key: &'static str, min: u64, max: u64, read: fn(&C) -> u64) -> Self {
        KeyLimit { key, read: Read::Count(read, min, max), why: None }
    }

    /// A duration (an `_ms` key) from `min` to `max`; `Micros(1)` (0.001 ms,
    /// the clock's resolution) as `min` means "more than zero".
    pub const fn ms(key: &'static str, min: Micros, max: Micros, read: fn(&C) -> Micros) -> Self {
        KeyLimit { key, read: Read::Ms(read, min, max), why: None }
    }

    /// A finite real number from `min` to `max`.
    pub const fn real(key: &'static str, min: f64, max: f64, read: fn(&C) -> f64) -> Self {
        KeyLimit { key, read: Read::Real(read, min, max), why: None }
    }

    /// The same limit, with the reason for its range (`"below 1 the nodes
    /// cannot hold every key"`).
    pub const fn because(self, why: &'static str) -> Self {
        KeyLimit { why: Some(why), ..self }
    }

    /// The allowed values.
    pub fn range(&self) -> Range {
        match self.read {
            Read::Count(_, lo, hi) => Range::Count(lo, hi),
            Read::Ms(_, lo, hi) => Range::Ms(lo, hi),
            Read::Real(_, lo, hi) => Range::Real(lo, hi),
        }
    }

    /// The value in `config` as written, if it is outside the range.
    fn outside(&self, config: &C) -> Option<String> {
        match self.read {
            Read::Count(read, lo, hi) => Some(read(config)).filter(|v| !(lo..=hi).contains(v)).map(|v| v.to_string()),
            Read::Ms(read, lo, hi) => Some(read(config)).filter(|v| !(lo..=hi).contains(v)).map(|v| v.ms_text()),
            Read::Real(read, lo, hi) => {
                Some(read(config)).filter(|v| !(v.is_finite() && (lo..=hi).contains(v))).map(crate::time::number)
            }
        }
    }
}

/// A [`KeyLimit`] as a listing shows it.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct KeyRange {
    /// The config key.
    pub key: &'static str,
    /// Its allowed values.
    pub range: Range,
    /// Why, if the protocol says.
    pub why: Option<&'static str>,
}

/// The ranges of `limits`, for a listing.
pub fn key_ranges<C>(limits: &[KeyLimit<C>]) -> Vec<KeyRange> {
    limits.iter().map(|l| KeyRange { key: l.key, range: l.range(), why: l.why }).collect()
}

/// The first key of `limits` whose value in `config` is out of range, as
/// `(key, "heartbeat_ms = 0 is outside 0.1 to 60000 ms")`.
pub fn check_keys<C>(limits: &[KeyLimit<C>], config: &C) -> Result<(), (&'static str, String)> {
    for l in limits {
        if let Some(v) = l.outside(config) {
            let why = l.why.map(|w| format!(": {w}")).unwrap_or_default();
            return Err((l.key, format!("{} = {v} is outside {}{why}", l.key, l.range().text())));
        }
    }
    Ok(())
}
