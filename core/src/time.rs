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

/// Reads a duration written in milliseconds (`heartbeat_ms = 50`,
/// `check_to_write_ms = 2.5`) as [`Micros`], rounded to the microsecond.
/// Every protocol config reads its `_ms` keys through this one function
/// (`#[serde(rename = "heartbeat_ms", deserialize_with = "crate::time::ms")]`),
/// so the unit, the rounding and the limit (one day) are the same everywhere.
pub fn ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Micros, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Micros;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration in milliseconds (like 50 or 2.5)")
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Micros, E> {
            from_ms_f64(v).map_err(E::custom)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Micros, E> {
            from_ms_f64(v as f64).map_err(E::custom)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Micros, E> {
            from_ms_f64(v as f64).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// Writes a duration as milliseconds, as [`ms`] reads it (`distlab
/// protocols` prints configs' defaults this way).
pub fn ms_out<S: serde::Serializer>(v: &Micros, s: S) -> Result<S::Ok, S::Error> {
    if v.0.is_multiple_of(1_000) { s.serialize_u64(v.0 / 1_000) } else { s.serialize_f64(v.as_ms_f64()) }
}

/// `v` milliseconds as [`Micros`], if it is a number from zero to one day.
pub fn from_ms_f64(v: f64) -> Result<Micros, String> {
    let limit = crate::limits::MAX_DURATION;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{} must be zero or more milliseconds", number(v)));
    }
    let us = (v * 1000.0).round();
    if us > limit.0 as f64 {
        return Err(format!("{} ms is above the limit of {} ms (one day)", number(v), limit.0 / 1000));
    }
    Ok(Micros(us as u64))
}

/// A number as a user would have written it: `2.5`, `150`, and `1e300`
/// rather than three hundred digits.
pub fn number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-6..1e15).contains(&v.abs()) { format!("{v:e}") } else { format!("{v}") }
}

impl Micros {
    /// The value in milliseconds as a user writes it (`2.5`, `150`).
    pub fn ms_text(self) -> String {
        number(self.as_ms_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_read_as_micros_within_limits() {
        assert_eq!(from_ms_f64(2.5), Ok(Micros(2_500)));
        assert_eq!(from_ms_f64(0.0), Ok(Micros::ZERO));
        assert!(from_ms_f64(-1.0).unwrap_err().contains("zero or more"));
        let big = from_ms_f64(1e300).unwrap_err();
        assert!(big.starts_with("1e300 ms is above"), "{big}");
        assert_eq!(Micros(150_000).ms_text(), "150");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(-0.5), "-0.5");
    }
}
