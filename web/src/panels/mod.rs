//! The side panels: the inspector (the selected node or message, with the
//! actions on it), the invariant lights, and the network and partition
//! tools. Every action is a `Command` given through [`Ctx::act`].
//!
//! Everything here is split so that what changes every frame (fields,
//! timers, the log) is redrawn every frame, and what a learner types into
//! or clicks (forms, buttons) is rebuilt only when what it offers changes.

pub mod figures;
pub mod inspector;
pub mod invariants;
pub mod logs;
pub mod network;

pub use figures::Figures;
pub use inspector::Inspector;
pub use invariants::{Invariants, Switches, switch_list};
pub use network::NetworkPanel;
