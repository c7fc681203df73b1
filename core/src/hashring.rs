//! Placing keys on nodes: the hashing schemes the consistent-hashing lessons
//! compare, and the figures that tell them apart.
//!
//! - mod-N: `hash(key) mod n`. Adding a node moves about n/(n+1) of all keys.
//! - Ring (Karger et al., 1997): each node owns `V` points on a 64-bit
//!   circle; a key belongs to the first point clockwise from its hash.
//!   Adding a node moves about 1/(n+1) of the keys; the spread of loads
//!   (standard deviation over mean) shrinks like 1/sqrt(V).
//! - Jump hash (Lamping and Veach, 2014): no ring, no memory; perfectly
//!   balanced and minimal movement, but nodes can only be added or removed
//!   at the end of the list.
//! - Rendezvous, highest random weight (Thaler and Ravishankar, 1998): the
//!   node with the largest `hash(key, node)` wins.
//! - Bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018): the ring,
//!   but no node takes more than `ceil(c * keys / n)` keys; a key that
//!   finds its node full walks on clockwise.
//!
//! Every hash is the value-stable 64-bit fingerprint the traces use, so a
//! placement is the same on every machine and in wasm. Replicas are the
//! next `R` distinct nodes clockwise (on the ring) or by weight
//! (rendezvous).

use crate::ids::NodeId;
use crate::text::Text;
use crate::trace::Fingerprint;

/// At most this many virtual nodes per node.
pub const MAX_VNODES: u32 = 1_000;
/// At most this many keys in one placement.
pub const MAX_KEYS: u64 = 1_000_000;
/// At most this many nodes.
pub const MAX_NODES: usize = 256;
/// The largest balance factor for bounded loads.
pub const MAX_BALANCE: f64 = 100.0;

/// How keys are placed.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Scheme {
    /// `hash(key) mod n`.
    ModN,
    /// A ring with this many virtual nodes per node.
    Ring {
        /// Virtual nodes per node.
        vnodes: u32,
    },
    /// Jump consistent hash.
    Jump,
    /// Highest random weight.
    Rendezvous,
    /// A ring whose nodes take at most `balance` times the mean load.
    Bounded {
        /// Virtual nodes per node.
        vnodes: u32,
        /// The balance factor `c` (at least 1).
        balance: f64,
    },
}

impl Scheme {
    /// A short name (`ring V=100`).
    pub fn name(&self) -> String {
        match self {
            Scheme::ModN => "mod-N".into(),
            Scheme::Ring { vnodes } => format!("ring V={vnodes}"),
            Scheme::Jump => "jump hash".into(),
            Scheme::Rendezvous => "rendezvous".into(),
            Scheme::Bounded { vnodes, balance } => format!("bounded c={balance} V={vnodes}"),
        }
    }

    /// Checks the scheme's parameters for `nodes` nodes and `keys` keys.
    pub fn validate(&self, nodes: usize, keys: u64) -> Result<(), Text> {
        if nodes == 0 || nodes > MAX_NODES {
            return Err(Text::new(
                format!("nodes = {nodes} is outside 1 to {MAX_NODES}"),
                format!("节点数 {nodes} 超出了 1 到 {MAX_NODES} 的范围"),
            ));
        }
        if keys > MAX_KEYS {
            return Err(Text::new(
                format!("keys = {keys} is above the limit of {MAX_KEYS}"),
                format!("键的数量 {keys} 超过了上限 {MAX_KEYS}"),
            ));
        }
        let vnodes = match *self {
            Scheme::Ring { vnodes } | Scheme::Bounded { vnodes, .. } => Some(vnodes),
            _ => None,
        };
        if let Some(v) = vnodes
            && !(1..=MAX_VNODES).contains(&v)
        {
            return Err(Text::new(
                format!("vnodes = {v} is outside 1 to {MAX_VNODES}"),
                format!("虚拟节点数 {v} 超出了 1 到 {MAX_VNODES} 的范围"),
            ));
        }
        if let Scheme::Bounded { balance, .. } = *self
            && !(balance.is_finite() && (1.0..=MAX_BALANCE).contains(&balance))
        {
            return Err(Text::new(
                format!(
                    "balance = {} is outside 1 to {MAX_BALANCE}: below 1 the nodes cannot hold every key",
                    crate::time::number(balance)
                ),
                format!(
                    "平衡系数 {} 超出了 1 到 {MAX_BALANCE} 的范围：小于 1 时节点装不下所有键",
                    crate::time::number(balance)
                ),
            ));
        }
        Ok(())
    }
}

/// The value-stable hash of two words.
pub fn hash2(a: u64, b: u64) -> u64 {
    let mut f = Fingerprint::default();
    f.word(a);
    f.word(b);
    f.finish()
}

/// A key's position (domain 1 keeps keys apart from virtual-node points).
pub fn key_hash(key: u64) -> u64 {
    hash2(1, key)
}

/// The point of virtual node `i` of `node`.
pub fn vnode_point(node: NodeId, i: u32) -> u64 {
    hash2(2, u64::from(node.0) << 32 | u64::from(i))
}

/// A consistent-hashing ring: every node's virtual-node points, sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    points: Vec<(u64, NodeId)>,
    nodes: usize,
}

impl Ring {
    /// The ring of `nodes` with `vnodes` points each.
    pub fn new(nodes: &[NodeId], vnodes: u32) -> Ring {
        let mut points: Vec<(u64, NodeId)> =
            nodes.iter().flat_map(|&n| (0..vnodes).map(move |i| (vnode_point(n, i), n))).collect();
        points.sort_unstable();
        Ring { points, nodes: nodes.len() }
    }

    /// Every point, sorted by position.
    pub fn points(&self) -> &[(u64, NodeId)] {
        &self.points
    }

    /// The index of the first point at or after `h`, wrapping.
    fn first_at(&self, h: u64) -> usize {
        let i = self.points.partition_point(|(p, _)| *p < h);
        if i == self.points.len() { 0 } else { i }
    }

    /// The node owning position `h`.
    pub fn owner_of(&self, h: u64) -> Option<NodeId> {
        self.points.get(self.first_at(h)).map(|(_, n)| *n)
    }

    /// The first `r` distinct nodes clockwise from `h` (fewer if the ring
    /// has fewer nodes). With `distinct` off, the next `r` points, whoever
    /// owns them (a break-it switch: replicas may share a node).
    pub fn replicas_of(&self, h: u64, r: usize, distinct: bool) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = Vec::with_capacity(r);
        if self.points.is_empty() {
            return out;
        }
        let start = self.first_at(h);
        for k in 0..self.points.len() {
            if out.len() >= r.min(if distinct { self.nodes } else { usize::MAX }) {
                break;
            }
            let n = self.points[(start + k) % self.points.len()].1;
            if !distinct || !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

/// Jump consistent hash: the bucket in `0..n` of `key`.
pub fn jump(key: u64, n: u32) -> u32 {
    let (mut b, mut j) = (-1i64, 0i64);
    let mut k = key;
    while j < i64::from(n) {
        b = j;
        k = k.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((k >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// The owner of every key `0..keys` under `scheme`, by index into `nodes`.
/// The caller validates the scheme first.
pub fn place(scheme: Scheme, nodes: &[NodeId], keys: u64) -> Vec<usize> {
    if nodes.is_empty() {
        return Vec::new();
    }
    let n = nodes.len();
    let index = |id: NodeId| nodes.iter().position(|&x| x == id).unwrap_or(0);
    match scheme {
        Scheme::ModN => (0..keys).map(|k| (key_hash(k) % n as u64) as usize).collect(),
        Scheme::Jump => (0..keys).map(|k| jump(key_hash(k), n as u32) as usize).collect(),
        Scheme::Rendezvous => (0..keys)
            .map(|k| {
                (0..n).max_by_key(|&i| (hash2(key_hash(k), u64::from(nodes[i].0)), std::cmp::Reverse(i))).unwrap_or(0)
            })
            .collect(),
        Scheme::Ring { vnodes } => {
            let ring = Ring::new(nodes, vnodes);
            (0..keys).map(|k| ring.owner_of(key_hash(k)).map_or(0, index)).collect()
        }
        Scheme::Bounded { vnodes, balance } => {
            let ring = Ring::new(nodes, vnodes);
            // ceil(c * keys / n), in integers where c is (scaled to thousandths).
            let c_milli = (balance * 1000.0).round() as u64;
            let cap = (c_milli * keys).div_ceil(1000 * n as u64).max(1);
            let mut load = vec![0u64; n];
            let points = ring.points();
            (0..keys)
                .map(|k| {
                    let start = ring.first_at(key_hash(k));
                    // Walk clockwise past full nodes; some node has room
                    // because cap * n >= keys.
                    for step in 0..points.len() {
                        let i = index(points[(start + step) % points.len()].1);
                        if load[i] < cap {
                            load[i] += 1;
                            return i;
                        }
                    }
                    0
                })
                .collect()
        }
    }
}

/// The preference list of every key `0..keys` under `scheme`: `r` nodes per
/// key, flattened (`table[k * r..(k + 1) * r]`), the primary first. Replicas
/// are the next distinct nodes clockwise on the ring (ring, bounded loads),
/// the next nodes in member order (mod-N, jump hash) or the next highest
/// weights (rendezvous). With `distinct` off (a break-it switch) the ring
/// takes the next `r` points whoever owns them and the other schemes repeat
/// the primary, so replicas share a physical node. `r` is capped at the
/// number of nodes when `distinct` is on. The caller validates the scheme.
pub fn replica_table(scheme: Scheme, nodes: &[NodeId], keys: u64, r: usize, distinct: bool) -> (usize, Vec<NodeId>) {
    let n = nodes.len();
    if n == 0 || r == 0 {
        return (0, Vec::new());
    }
    let r = if distinct { r.min(n) } else { r };
    let primaries = place(scheme, nodes, keys);
    let mut table = Vec::with_capacity(primaries.len() * r);
    let ring = match scheme {
        Scheme::Ring { vnodes } | Scheme::Bounded { vnodes, .. } => Some(Ring::new(nodes, vnodes)),
        _ => None,
    };
    for (k, &p) in primaries.iter().enumerate() {
        let primary = nodes[p];
        table.push(primary);
        if r == 1 {
            continue;
        }
        let h = key_hash(k as u64);
        match (scheme, &ring) {
            (Scheme::Ring { .. }, Some(ring)) => table.extend(ring.replicas_of(h, r, distinct).into_iter().skip(1)),
            (Scheme::Bounded { .. }, Some(ring)) => {
                // The primary may have been pushed past a full node; the
                // replicas are the next nodes clockwise other than it.
                let rest: Vec<NodeId> = ring
                    .replicas_of(h, if distinct { n } else { r }, distinct)
                    .into_iter()
                    .filter(|&x| !distinct || x != primary)
                    .take(r - 1)
                    .collect();
                table.extend(rest);
            }
            (Scheme::Rendezvous, _) if distinct => {
                let mut by_weight: Vec<usize> = (0..n).collect();
                by_weight.sort_by_key(|&i| (std::cmp::Reverse(hash2(h, u64::from(nodes[i].0))), i));
                table.extend(by_weight.into_iter().skip(1).take(r - 1).map(|i| nodes[i]));
            }
            _ if distinct => table.extend((1..r).map(|i| nodes[(p + i) % n])),
            _ => table.extend(std::iter::repeat_n(primary, r - 1)),
        }
    }
    (r, table)
}

/// Keys per node.
pub fn loads(owners: &[usize], nodes: usize) -> Vec<u64> {
    let mut out = vec![0u64; nodes];
    for &o in owners {
        if let Some(c) = out.get_mut(o) {
            *c += 1;
        }
    }
    out
}

/// Standard deviation over mean of the loads (0 when perfectly even).
pub fn spread(loads: &[u64]) -> f64 {
    if loads.is_empty() {
        return 0.0;
    }
    let n = loads.len() as f64;
    let mean = loads.iter().sum::<u64>() as f64 / n;
    if mean == 0.0 {
        return 0.0;
    }
    let var = loads.iter().map(|&l| (l as f64 - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The fraction of keys whose owner changed between two placements of the
/// same keys (owners compared by node id, not index).
pub fn moved(before: &[usize], before_nodes: &[NodeId], after: &[usize], after_nodes: &[NodeId]) -> f64 {
    let total = before.len().min(after.len());
    if total == 0 {
        return 0.0;
    }
    let changed = (0..total).filter(|&k| before_nodes.get(before[k]) != after_nodes.get(after[k])).count();
    changed as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u32) -> Vec<NodeId> {
        (1..=n).map(NodeId).collect()
    }

    /// Adds node n+1 to n nodes and measures the fraction of keys moved.
    fn moved_on_add(scheme: Scheme, n: u32, keys: u64) -> f64 {
        let (a, b) = (ids(n), ids(n + 1));
        moved(&place(scheme, &a, keys), &a, &place(scheme, &b, keys), &b)
    }

    #[test]
    fn the_ring_moves_about_one_share_when_a_node_joins() {
        // The property: V = 100, n = 10, moved within a stated
        // tolerance of 1/(n+1). Also for other sizes.
        for n in [3u32, 5, 10, 16] {
            let ideal = 1.0 / f64::from(n + 1);
            let got = moved_on_add(Scheme::Ring { vnodes: 100 }, n, 20_000);
            assert!((got - ideal).abs() < 0.35 * ideal, "n = {n}: moved {got:.4}, ideal {ideal:.4}");
        }
    }

    #[test]
    fn mod_n_moves_almost_everything() {
        let n = 10;
        let got = moved_on_add(Scheme::ModN, n, 20_000);
        let expected = f64::from(n) / f64::from(n + 1);
        assert!((got - expected).abs() < 0.02, "mod-N moved {got:.4}, expected about {expected:.4}");
    }

    #[test]
    fn jump_and_rendezvous_move_the_minimum() {
        for scheme in [Scheme::Jump, Scheme::Rendezvous] {
            let got = moved_on_add(scheme, 10, 20_000);
            assert!((got - 1.0 / 11.0).abs() < 0.01, "{}: moved {got:.4}", scheme.name());
        }
    }

    #[test]
    fn keys_only_move_to_the_new_node() {
        // Consistency: a key that moves when a node joins moves to it.
        for scheme in [Scheme::Ring { vnodes: 50 }, Scheme::Jump, Scheme::Rendezvous] {
            let (a, b) = (ids(7), ids(8));
            let (pa, pb) = (place(scheme, &a, 5_000), place(scheme, &b, 5_000));
            for k in 0..5_000 {
                if a[pa[k]] != b[pb[k]] {
                    assert_eq!(b[pb[k]], NodeId(8), "{}: key {k} moved between old nodes", scheme.name());
                }
            }
        }
    }

    #[test]
    fn the_spread_shrinks_like_one_over_root_v() {
        let nodes = ids(10);
        for v in [10u32, 100, 400] {
            let s = spread(&loads(&place(Scheme::Ring { vnodes: v }, &nodes, 100_000), 10));
            let ideal = 1.0 / f64::from(v).sqrt();
            assert!(s < 1.6 * ideal && s > 0.4 * ideal, "V = {v}: spread {s:.4}, 1/sqrt(V) = {ideal:.4}");
        }
    }

    #[test]
    fn bounded_loads_never_exceed_the_cap() {
        let nodes = ids(8);
        for c in [1.0, 1.1, 1.25, 2.0] {
            let keys = 10_000;
            let l = loads(&place(Scheme::Bounded { vnodes: 10, balance: c }, &nodes, keys), 8);
            let cap = (c * keys as f64 / 8.0).ceil() as u64;
            assert_eq!(l.iter().sum::<u64>(), keys);
            assert!(l.iter().all(|&x| x <= cap), "c = {c}: loads {l:?}, cap {cap}");
        }
    }

    #[test]
    fn replicas_are_distinct_nodes_unless_broken() {
        let ring = Ring::new(&ids(5), 20);
        for k in 0..1_000 {
            let r = ring.replicas_of(key_hash(k), 3, true);
            assert_eq!(r.len(), 3);
            assert!(r[0] != r[1] && r[1] != r[2] && r[0] != r[2], "{r:?}");
            assert_eq!(Some(r[0]), ring.owner_of(key_hash(k)));
        }
        // R above the node count gives every node once.
        assert_eq!(ring.replicas_of(key_hash(1), 9, true).len(), 5);
        // Broken: the next points, which often share a node with V = 20.
        let shared = (0..1_000).filter(|&k| {
            let r = ring.replicas_of(key_hash(k), 3, false);
            r[0] == r[1] || r[1] == r[2] || r[0] == r[2]
        });
        assert!(shared.count() > 0);
    }

    #[test]
    fn replica_tables_put_the_primary_first_and_replicas_on_distinct_nodes() {
        let nodes = ids(5);
        for scheme in [
            Scheme::ModN,
            Scheme::Ring { vnodes: 8 },
            Scheme::Jump,
            Scheme::Rendezvous,
            Scheme::Bounded { vnodes: 8, balance: 1.25 },
        ] {
            let primaries = place(scheme, &nodes, 500);
            let (r, table) = replica_table(scheme, &nodes, 500, 3, true);
            assert_eq!((r, table.len()), (3, 1_500));
            for k in 0..500 {
                let row = &table[k * 3..k * 3 + 3];
                assert_eq!(row[0], nodes[primaries[k]], "{}: key {k}", scheme.name());
                assert!(row[0] != row[1] && row[1] != row[2] && row[0] != row[2], "{}: {row:?}", scheme.name());
            }
            // R above the node count is capped when replicas must differ.
            assert_eq!(replica_table(scheme, &nodes, 10, 9, true).0, 5);
            // Broken: some key has two copies on one node.
            let (r, broken) = replica_table(scheme, &nodes, 500, 3, false);
            let shared = (0..500).filter(|&k| {
                let row = &broken[k * r..k * r + r];
                row[0] == row[1] || row[1] == row[2] || row[0] == row[2]
            });
            assert!(shared.count() > 0, "{}", scheme.name());
        }
    }

    #[test]
    fn placements_are_value_stable() {
        // Pinned: a change here changes every lesson's picture.
        assert_eq!(place(Scheme::Ring { vnodes: 4 }, &ids(3), 8), [1, 2, 1, 0, 2, 2, 0, 0]);
        assert_eq!((0..8).map(|k| jump(key_hash(k), 10)).collect::<Vec<_>>(), [3, 4, 8, 7, 9, 4, 7, 8]);
    }

    #[test]
    fn absurd_parameters_are_refused_naming_the_field() {
        let cases = [
            (Scheme::Ring { vnodes: 0 }, 4, 10, "vnodes"),
            (Scheme::Ring { vnodes: 5_000 }, 4, 10, "vnodes"),
            (Scheme::Bounded { vnodes: 10, balance: 0.9 }, 4, 10, "balance"),
            (Scheme::Bounded { vnodes: 10, balance: f64::NAN }, 4, 10, "balance"),
            (Scheme::ModN, 4, 10_000_000, "keys"),
            (Scheme::Jump, 0, 10, "nodes"),
        ];
        for (s, n, k, field) in cases {
            let e = s.validate(n, k).expect_err(field);
            assert!(e.en.starts_with(field), "{e}");
            assert!(!e.zh_cn.is_empty());
        }
    }
}
