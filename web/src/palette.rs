//! The lab's colours, chosen to stay apart for colour-blind readers
//! (Okabe-Ito for messages and timers): message kinds, timers, and nodes on
//! the hash ring. A leaf: it uses no other module.

/// Colours for message kinds, by [`kind_slot`]. Okabe-Ito; the space-time
/// diagram's `kind-slot-N` styles use the same four.
pub const KIND_COLOURS: [&str; 4] = ["#e69f00", "#009e73", "#d55e00", "#cc79a7"];

/// A message kind's colour slot: its position in the protocol's list of
/// kinds, halved so a request and its response share a colour.
pub fn kind_slot(kinds: &[&str], kind: &str) -> usize {
    kinds.iter().position(|k| *k == kind).unwrap_or(0) / 2 % KIND_COLOURS.len()
}

/// Timer colours by the timer's place in the protocol's list (light,
/// dark) and line width: the first (an election timeout, say) bold.
pub const TIMER_STYLES: [(&str, &str, f64); 3] =
    [("#e69f00", "#e69f00", 4.0), ("#0072b2", "#56b4e9", 2.0), ("#5b6472", "#9aa4b2", 2.0)];

/// Node colours, by node number: distinct in hue and lightness (after the
/// Tableau 10 and Okabe-Ito palettes), so neighbours on the ring differ.
pub const NODE_COLOURS: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#5b6472"];

/// The colour of node `id` (numbered from 1).
pub fn node_colour(id: u32) -> &'static str {
    NODE_COLOURS[(id.max(1) as usize - 1) % NODE_COLOURS.len()]
}
