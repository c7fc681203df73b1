//! Simulated time: an integer number of microseconds since the run started.
//!
//! There is no wall clock anywhere in the core. Time only moves when the
//! event loop takes the next event or when a caller asks to run until a
//! given instant.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in, or a span of, simulated time in microseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Micros(pub u64);

impl Micros {
    /// The start of every run.
    pub const ZERO: Micros = Micros(0);
    /// The largest representable instant; used as "never".
    pub const MAX: Micros = Micros(u64::MAX);

    /// `ms` milliseconds.
    pub const fn from_ms(ms: u64) -> Micros {
        Micros(ms.saturating_mul(1_000))
    }

    /// The value in whole microseconds.
    pub const fn as_us(self) -> u64 {
        self.0
    }

    /// The value in milliseconds, as a float for display.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    /// `self + other`, saturating at [`Micros::MAX`].
    pub const fn saturating_add(self, other: Micros) -> Micros {
        Micros(self.0.saturating_add(other.0))
    }

    /// `self - other`, saturating at zero.
    pub const fn saturating_sub(self, other: Micros) -> Micros {
        Micros(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for Micros {
    /// Formats as milliseconds with three decimals, the unit lessons use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03} ms", self.0 / 1_000, self.0 % 1_000)
    }
}
