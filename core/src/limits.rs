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
