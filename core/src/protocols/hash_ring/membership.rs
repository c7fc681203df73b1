//! A membership: the ring's members, their placement, and what a change moved.

use super::config::{HashRingConfig, Params};
use crate::hashring::{self, Scheme};
use crate::ids::NodeId;

/// How much the last membership change moved, and what the other schemes
/// would have moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Fraction of keys whose primary changed.
    pub moved: f64,
    /// The ideal: the change in node count over the larger count (1/(n+1)
    /// for a join).
    pub ideal: f64,
    /// Every scheme for the same change: (name, fraction moved, spread after).
    pub compare: Vec<(String, f64, f64)>,
}

/// A membership and its placement: immutable once made, shared by every
/// node that knows it (and by the messages that carry it).
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// Its version, from 1.
    pub epoch: u32,
    /// The nodes in the ring, in order.
    pub members: Vec<NodeId>,
    pub(super) r: usize,
    /// Preference lists, `r` per key, primary first.
    pub(super) table: Vec<NodeId>,
    /// Keys each member is primary of, in member order.
    pub(super) loads: Vec<u64>,
    /// Virtual-node points (top 32 bits) for schemes with a ring.
    pub(super) points: Vec<(u32, NodeId)>,
    /// Arcs whose owner changed from the previous membership.
    pub(super) changed: Vec<(u32, u32)>,
    /// What the change from the previous membership moved.
    pub(super) change: Option<Change>,
    /// The load spread this membership would have with 1, 10, 100 and
    /// 1,000 virtual nodes (computed by the coordinator only).
    pub(super) by_vnodes: Vec<(u32, f64)>,
}

impl Membership {
    pub(super) fn new(
        c: &HashRingConfig,
        p: &Params,
        epoch: u32,
        members: Vec<NodeId>,
        prev: Option<&Membership>,
        figures: bool,
    ) -> Membership {
        let distinct = !c.break_replicas_same_node;
        let (r, table) = hashring::replica_table(p.scheme, &members, u64::from(p.keys), p.r, distinct);
        let mut loads = vec![0u64; members.len()];
        for k in 0..p.keys as usize {
            if let Some(i) = table.get(k * r).and_then(|n| members.iter().position(|m| m == n)) {
                loads[i] += 1;
            }
        }
        let (points, changed) = match p.scheme {
            Scheme::Ring { vnodes } | Scheme::Bounded { vnodes, .. } => {
                let ring = hashring::Ring::new(&members, vnodes);
                let points = ring.points().iter().map(|&(h, n)| ((h >> 32) as u32, n)).collect();
                let mut changed: Vec<(u32, u32)> = Vec::new();
                if let Some(prev) = prev {
                    let before = hashring::Ring::new(&prev.members, vnodes);
                    // Arcs of the new ring whose owner differs (a join), and
                    // arcs of the old ring whose owner is gone (a leave).
                    for (now, then) in [(&ring, &before), (&before, &ring)] {
                        let pts = now.points();
                        for (i, &(h, owner)) in pts.iter().enumerate() {
                            let start = if i == 0 { pts[pts.len() - 1].0 } else { pts[i - 1].0 };
                            if then.owner_of(h) != Some(owner) {
                                let (a, b) = ((start >> 32) as u32, (h >> 32) as u32);
                                match changed.last_mut() {
                                    Some(last) if last.1 == a => last.1 = b,
                                    _ => changed.push((a, b)),
                                }
                            }
                        }
                    }
                }
                (points, changed)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let change = prev.map(|prev| {
            let keys = u64::from(p.keys);
            let moved = (0..p.keys).filter(|&k| prev.primary(k) != table.get(k as usize * r).copied()).count();
            let (a, b) = (prev.members.len() as f64, members.len() as f64);
            let compare = [
                Scheme::ModN,
                Scheme::Ring { vnodes: p.vnodes },
                Scheme::Jump,
                Scheme::Rendezvous,
                Scheme::Bounded { vnodes: p.vnodes, balance: p.balance.max(1.0) },
            ]
            .iter()
            .map(|&s| {
                let (x, y) = (hashring::place(s, &prev.members, keys), hashring::place(s, &members, keys));
                let moved = hashring::moved(&x, &prev.members, &y, &members);
                (s.name(), moved, hashring::spread(&hashring::loads(&y, members.len())))
            })
            .collect();
            Change { moved: moved as f64 / f64::from(p.keys.max(1)), ideal: (a - b).abs() / a.max(b).max(1.0), compare }
        });
        let by_vnodes = if figures {
            [1u32, 10, 100, 1_000]
                .iter()
                .map(|&v| {
                    let owners = hashring::place(Scheme::Ring { vnodes: v }, &members, u64::from(p.keys));
                    (v, hashring::spread(&hashring::loads(&owners, members.len())))
                })
                .collect()
        } else {
            Vec::new()
        };
        Membership { epoch, members, r, table, loads, points, changed, change, by_vnodes }
    }

    /// The preference list of `key`, primary first.
    pub fn replicas(&self, key: u32) -> &[NodeId] {
        let i = key as usize * self.r;
        self.table.get(i..i + self.r).unwrap_or(&[])
    }

    /// The primary of `key`.
    pub fn primary(&self, key: u32) -> Option<NodeId> {
        self.replicas(key).first().copied()
    }

    /// The coordinator: the lowest-numbered member.
    pub fn coordinator(&self) -> NodeId {
        self.members.iter().copied().min().unwrap_or(NodeId(1))
    }

    pub(super) fn has(&self, n: NodeId) -> bool {
        self.members.contains(&n)
    }
}
