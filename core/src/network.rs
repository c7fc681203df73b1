//! The network model: how long a message takes, whether it is lost,
//! duplicated or allowed to overtake, and which links are cut.
//!
//! Links are first-in first-out by default (like TCP): a message never
//! arrives before an earlier message on the same directed link, even when
//! its sampled latency is shorter. `reorder_ratio` is the share of messages
//! that ignore this rule and may overtake. Partitions are directed, so a
//! one-way cut is just a cut in one direction.

use crate::ids::NodeId;
use crate::limits::MAX_LATENCY;
use crate::rng::Rng;
use crate::text::Text;
use crate::time::{Micros, number};
use serde::{Deserialize, Serialize};

/// A latency distribution. All values in microseconds; samples are clamped
/// to `0..=MAX_LATENCY`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case")]
pub enum Latency {
    /// Always the same delay.
    Constant {
        /// The delay.
        us: u64,
    },
    /// Uniform between two bounds, inclusive.
    Uniform {
        /// Shortest delay.
        min_us: u64,
        /// Longest delay.
        max_us: u64,
    },
    /// `min_us` plus an exponential tail with mean `mean_us - min_us`, cut at `max_us`.
    Exponential {
        /// Shortest delay.
        min_us: u64,
        /// Mean delay (at least `min_us`).
        mean_us: u64,
        /// Longest delay.
        max_us: u64,
    },
    /// Normal around `mean_us` with `std_dev_us`, clamped to `min_us..=max_us`.
    Normal {
        /// Mean delay.
        mean_us: u64,
        /// Standard deviation.
        std_dev_us: u64,
        /// Shortest delay.
        min_us: u64,
        /// Longest delay.
        max_us: u64,
    },
}

impl Default for Latency {
    /// RaftScope's RPC latency: 10 to 15 ms.
    fn default() -> Latency {
        Latency::Uniform { min_us: 10_000, max_us: 15_000 }
    }
}

impl Latency {
    /// Draws one delay. Uses `libm` for logarithms and cosines so the result
    /// is the same bit pattern on every platform.
    pub fn sample(&self, rng: &mut Rng) -> Micros {
        let us = match *self {
            Latency::Constant { us } => us,
            Latency::Uniform { min_us, max_us } => rng.range_inclusive(min_us, max_us),
            Latency::Exponential { min_us, mean_us, max_us } => {
                let extra_mean = mean_us.saturating_sub(min_us) as f64;
                // 1 - unit() lies in (0, 1], so the logarithm is finite.
                let u = 1.0 - rng.unit();
                let extra = -extra_mean * libm::log(u);
                let v = min_us as f64 + extra;
                clamp_f64(v, min_us, max_us)
            }
            Latency::Normal { mean_us, std_dev_us, min_us, max_us } => {
                // Box-Muller with one of the pair.
                let u1 = 1.0 - rng.unit();
                let u2 = rng.unit();
                let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2);
                let v = mean_us as f64 + z * std_dev_us as f64;
                clamp_f64(v, min_us, max_us)
            }
        };
        Micros(us.min(MAX_LATENCY.0))
    }

    /// The largest delay this distribution can produce.
    pub fn max(&self) -> Micros {
        Micros(match *self {
            Latency::Constant { us } => us,
            Latency::Uniform { max_us, .. } | Latency::Exponential { max_us, .. } | Latency::Normal { max_us, .. } => {
                max_us
            }
        })
    }

    /// A short human description, such as `uniform 10-15 ms`.
    pub fn describe(&self) -> String {
        let ms = |us: u64| format!("{}", us as f64 / 1000.0);
        match *self {
            Latency::Constant { us } => format!("constant {} ms", ms(us)),
            Latency::Uniform { min_us, max_us } => format!("uniform {}-{} ms", ms(min_us), ms(max_us)),
            Latency::Exponential { min_us, mean_us, max_us } => {
                format!("exponential {}-{} ms, mean {} ms", ms(min_us), ms(max_us), ms(mean_us))
            }
            Latency::Normal { mean_us, std_dev_us, .. } => {
                format!("normal {} ms ± {} ms", ms(mean_us), ms(std_dev_us))
            }
        }
    }
}

impl Latency {
    /// Checks the bounds: ordered, and none above [`MAX_LATENCY`]. The file
    /// loader and the world (a `set_network` command) both ask this.
    pub fn check(&self) -> Result<(), Text> {
        let max = MAX_LATENCY.0;
        let ok = match *self {
            Latency::Constant { us } => us <= max,
            Latency::Uniform { min_us, max_us } => min_us <= max_us && max_us <= max,
            Latency::Exponential { min_us, mean_us, max_us } => min_us <= mean_us && min_us <= max_us && max_us <= max,
            Latency::Normal { min_us, max_us, .. } => min_us <= max_us && max_us <= max,
        };
        if ok {
            return Ok(());
        }
        let (what, max) = (self.describe(), max / 1000);
        Err(Text::new(
            format!("latency {what} is invalid: bounds must be ordered and at most {max} ms"),
            format!("延迟 {what} 无效：上下界必须有序，且不超过 {max} 毫秒"),
        ))
    }
}

/// Checks a probability knob (`loss_ratio = 0.1`): a number from 0 to 1.
pub fn check_ratio(name: &str, v: f64) -> Result<(), Text> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        return Ok(());
    }
    let v = number(v);
    Err(Text::new(
        format!("{name} = {v} is outside 0 to 1 (it is a probability)"),
        format!("{name} = {v} 不在 0 到 1 之间（它是一个概率）"),
    ))
}

fn clamp_f64(v: f64, lo: u64, hi: u64) -> u64 {
    if !v.is_finite() || v < lo as f64 {
        lo
    } else if v > hi as f64 {
        hi
    } else {
        v.round() as u64
    }
}

/// A latency that replaces the default on one directed link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkLatency {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The distribution for this link.
    pub latency: Latency,
}

/// The tunable knobs of the network. Ratios are probabilities in `[0, 1]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkParams {
    /// Default latency of every link.
    pub latency: Latency,
    /// Per-link overrides; the last matching entry wins.
    pub links: Vec<LinkLatency>,
    /// Probability a message is lost.
    pub loss_ratio: f64,
    /// Probability a message is delivered twice.
    pub duplicate_ratio: f64,
    /// Probability a message may overtake earlier ones on its link.
    pub reorder_ratio: f64,
}

impl Default for NetworkParams {
    fn default() -> NetworkParams {
        NetworkParams {
            latency: Latency::default(),
            links: Vec::new(),
            loss_ratio: 0.0,
            duplicate_ratio: 0.0,
            reorder_ratio: 0.0,
        }
    }
}

impl NetworkParams {
    /// Checks every knob for a cluster of `nodes`: the ratios, every
    /// latency, and that each per-link override names two of its nodes.
    /// The one network check, shared by the loader and the world.
    pub fn check(&self, nodes: u32) -> Result<(), Text> {
        for (name, v) in [
            ("loss_ratio", self.loss_ratio),
            ("duplicate_ratio", self.duplicate_ratio),
            ("reorder_ratio", self.reorder_ratio),
        ] {
            check_ratio(name, v)?;
        }
        self.latency.check()?;
        for link in &self.links {
            let (a, b) = (link.from.0, link.to.0);
            if !(1..=nodes).contains(&a) || !(1..=nodes).contains(&b) {
                return Err(Text::new(
                    format!("link {a} -> {b} names a node outside 1 to {nodes}"),
                    format!("链路 {a} -> {b} 指向了 1 到 {nodes} 之外的节点"),
                ));
            }
            if a == b {
                return Err(Text::new(
                    format!("a link needs two different nodes, got {} twice", link.from),
                    format!("一条链路需要两个不同的节点，这里两次都是 {}", link.from),
                ));
            }
            link.latency.check()?;
        }
        Ok(())
    }
}

/// Why the network did not deliver a message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random loss (`loss_ratio`).
    Loss,
    /// The directed link was cut when the message was sent or arrived.
    Partition,
    /// The receiver was crashed when the message arrived.
    NodeDown,
    /// A command (a learner's click, a lesson step) dropped it.
    Command,
}

impl DropReason {
    /// A stable name for traces and views.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::NodeDown => "node_down",
            DropReason::Command => "command",
        }
    }
}

/// What the network decided for one message at send time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Dropped immediately.
    Dropped(DropReason),
    /// Delivered at this time, and at the second time too if duplicated.
    Deliver(Micros, Option<Micros>),
}

/// The live network: parameters plus the state they act on (cut links and
/// the last delivery time per directed link, for FIFO order).
#[derive(Clone, Debug)]
pub struct Network {
    n: usize,
    params: NetworkParams,
    /// `cut[from * n + to]`: messages from `from` to `to` are dropped.
    cut: Vec<bool>,
    /// Latest scheduled delivery per directed link.
    last_delivery: Vec<Micros>,
    /// Per-link latency lookup: index into `params.links`, or none.
    link_override: Vec<Option<u32>>,
}

impl Network {
    /// A healed network of `n` nodes with these parameters.
    pub fn new(n: usize, params: NetworkParams) -> Network {
        let mut net = Network {
            n,
            params,
            cut: vec![false; n * n],
            last_delivery: vec![Micros::ZERO; n * n],
            link_override: vec![None; n * n],
        };
        net.index_overrides();
        net
    }

    fn index_overrides(&mut self) {
        self.link_override.iter_mut().for_each(|o| *o = None);
        for (i, link) in self.params.links.iter().enumerate() {
            let (f, t) = (link.from.index(), link.to.index());
            if f < self.n && t < self.n {
                self.link_override[f * self.n + t] = Some(i as u32);
            }
        }
    }

    /// The current parameters.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// Replaces the parameters (already validated).
    pub fn set_params(&mut self, params: NetworkParams) {
        self.params = params;
        self.index_overrides();
    }

    /// Whether messages from `from` to `to` are currently dropped.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        let (f, t) = (from.index(), to.index());
        f < self.n && t < self.n && self.cut[f * self.n + t]
    }

    /// Cuts (or heals) the directed link `from -> to`.
    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let (f, t) = (from.index(), to.index());
        if f < self.n && t < self.n && f != t {
            self.cut[f * self.n + t] = cut;
        }
    }

    /// Heals every link.
    pub fn heal_all(&mut self) {
        self.cut.iter_mut().for_each(|c| *c = false);
    }

    /// Every cut directed link, in (from, to) order.
    pub fn cuts(&self) -> Vec<(NodeId, NodeId)> {
        let mut out = Vec::new();
        for f in 0..self.n {
            for t in 0..self.n {
                if self.cut[f * self.n + t] {
                    out.push((NodeId::from_index(f), NodeId::from_index(t)));
                }
            }
        }
        out
    }

    /// Decides the fate of a message sent now from `from` to `to`, drawing
    /// from the sender's network stream.
    pub fn route(&mut self, now: Micros, from: NodeId, to: NodeId, rng: &mut Rng) -> Fate {
        if self.is_cut(from, to) {
            return Fate::Dropped(DropReason::Partition);
        }
        if rng.chance(self.params.loss_ratio) {
            return Fate::Dropped(DropReason::Loss);
        }
        let first = self.schedule(now, from, to, rng);
        let second =
            if rng.chance(self.params.duplicate_ratio) { Some(self.schedule(now, from, to, rng)) } else { None };
        Fate::Deliver(first, second)
    }

    /// Samples a delivery time for one copy, honouring FIFO order unless the
    /// reorder draw lets it overtake.
    pub fn schedule(&mut self, now: Micros, from: NodeId, to: NodeId, rng: &mut Rng) -> Micros {
        let link = from.index() * self.n + to.index();
        let latency = match self.link_override.get(link).copied().flatten() {
            Some(i) => self.params.links[i as usize].latency.sample(rng),
            None => self.params.latency.sample(rng),
        };
        let mut at = now.saturating_add(latency);
        let may_overtake = rng.chance(self.params.reorder_ratio);
        if let Some(last) = self.last_delivery.get_mut(link) {
            if !may_overtake && at < *last {
                at = *last;
            }
            if at > *last {
                *last = at;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Domain;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn samples_stay_within_bounds() {
        let mut rng = Rng::stream(3, Domain::Network, 0);
        let dists = [
            Latency::Constant { us: 7 },
            Latency::Uniform { min_us: 10, max_us: 20 },
            Latency::Exponential { min_us: 5, mean_us: 50, max_us: 400 },
            Latency::Normal { mean_us: 100, std_dev_us: 30, min_us: 1, max_us: 300 },
        ];
        for d in &dists {
            for _ in 0..5_000 {
                let s = d.sample(&mut rng).0;
                assert!(s <= d.max().0, "{d:?} gave {s}");
            }
        }
    }

    #[test]
    fn exponential_mean_is_close_to_configured() {
        let mut rng = Rng::stream(9, Domain::Network, 0);
        let d = Latency::Exponential { min_us: 0, mean_us: 1_000, max_us: 1_000_000 };
        let total: u64 = (0..20_000).map(|_| d.sample(&mut rng).0).sum();
        let mean = total as f64 / 20_000.0;
        assert!((mean - 1_000.0).abs() < 50.0, "mean {mean}");
    }

    #[test]
    fn links_are_fifo_without_reordering() {
        let mut net = Network::new(
            2,
            NetworkParams { latency: Latency::Uniform { min_us: 1, max_us: 1_000 }, ..NetworkParams::default() },
        );
        let mut rng = Rng::stream(1, Domain::Network, 0);
        let mut last = Micros::ZERO;
        for t in 0..1_000 {
            let at = net.schedule(Micros(t), n(1), n(2), &mut rng);
            assert!(at >= last);
            last = at;
        }
    }

    #[test]
    fn reordering_lets_messages_overtake() {
        let mut net = Network::new(
            2,
            NetworkParams {
                latency: Latency::Uniform { min_us: 1, max_us: 1_000 },
                reorder_ratio: 1.0,
                ..NetworkParams::default()
            },
        );
        let mut rng = Rng::stream(1, Domain::Network, 0);
        let times: Vec<Micros> = (0..200).map(|t| net.schedule(Micros(t), n(1), n(2), &mut rng)).collect();
        assert!(times.windows(2).any(|w| w[1] < w[0]));
    }

    #[test]
    fn one_way_cut_drops_only_one_direction() {
        let mut net = Network::new(3, NetworkParams::default());
        let mut rng = Rng::stream(1, Domain::Network, 0);
        net.set_cut(n(1), n(2), true);
        assert_eq!(net.route(Micros(0), n(1), n(2), &mut rng), Fate::Dropped(DropReason::Partition));
        assert!(matches!(net.route(Micros(0), n(2), n(1), &mut rng), Fate::Deliver(..)));
        net.heal_all();
        assert!(matches!(net.route(Micros(0), n(1), n(2), &mut rng), Fate::Deliver(..)));
    }

    #[test]
    fn loss_and_duplication_follow_their_ratios() {
        let mut net =
            Network::new(2, NetworkParams { loss_ratio: 0.25, duplicate_ratio: 0.5, ..NetworkParams::default() });
        let mut rng = Rng::stream(5, Domain::Network, 0);
        let (mut lost, mut dup) = (0, 0);
        for t in 0..10_000 {
            match net.route(Micros(t), n(1), n(2), &mut rng) {
                Fate::Dropped(_) => lost += 1,
                Fate::Deliver(_, Some(_)) => dup += 1,
                Fate::Deliver(_, None) => {}
            }
        }
        assert!((2_200..2_800).contains(&lost), "lost {lost}");
        assert!((3_400..4_100).contains(&dup), "dup {dup}");
    }
}
