//! The bottom of the page: the transport (play, pause, step, seek, speed)
//! and the space-time diagram of the trace.

pub mod spacetime;
pub mod transport;
