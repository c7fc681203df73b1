//! The monitor: No Lost Write and Replica Placement.

use super::node::Ghost;
use super::{HashRing, ms, node_list};
use crate::ids::NodeId;
use crate::protocol::Cluster;
use crate::text::Text;
use crate::time::Micros;
use crate::view::Violation;
use std::collections::BTreeSet;

/// The monitor's ghost state.
#[derive(Clone, Debug)]
pub struct RingMonitor {
    /// Per key: the highest acknowledged version, when and by which gateway.
    pub(super) acked: Vec<(u32, Micros, Option<NodeId>)>,
    /// Keys already reported lost.
    pub(super) lost: BTreeSet<u32>,
    /// The last epoch whose settled placement was checked.
    pub(super) checked: u32,
}

pub(super) const MAX_LOST_REPORTS: usize = 20;

impl RingMonitor {
    pub(super) fn check(
        &mut self,
        cluster: &dyn Cluster<HashRing>,
        touched: NodeId,
        ghosts: &[Ghost],
        now: Micros,
        out: &mut Vec<Violation>,
    ) {
        if cluster.state(touched).is_some() {
            for g in ghosts {
                match *g {
                    Ghost::Acked { key, version } => {
                        if let Some(a) = self.acked.get_mut(key as usize)
                            && version > a.0
                        {
                            *a = (version, now, Some(touched));
                        }
                    }
                    Ghost::Served { key, version, write } => {
                        let Some(&(acked, at, by)) = self.acked.get(key as usize) else { continue };
                        let stale = if write { version <= acked } else { version < acked };
                        if stale && self.lost.len() < MAX_LOST_REPORTS && self.lost.insert(key) {
                            let had = if version == 0 || (write && version == 1) {
                                ("did not have the key", "没有这个键")
                            } else {
                                ("had an older version", "只有旧版本")
                            };
                            let (what, what_zh) = if write {
                                (
                                    format!("wrote k{key} as version {version}"),
                                    format!("把 k{key} 写成了版本 {version}"),
                                )
                            } else {
                                (format!("read k{key} at version {version}"), format!("读到 k{key} 的版本 {version}"))
                            };
                            out.push(Violation {
                                invariant: "No Lost Write",
                                time_us: now.0,
                                message: Text::new(
                                    format!(
                                        "No Lost Write: {touched} {what} ({}), but version {acked} {}: that write \
                                         is lost",
                                        had.0,
                                        by.map_or("was written when the store was loaded".to_string(), |by| format!(
                                            "was acknowledged to a client by {by} at {}",
                                            ms(at)
                                        ))
                                    ),
                                    format!(
                                        "已确认的写不丢失：{touched} {what_zh}（{}），但版本 {acked} {}：这次写丢失了",
                                        had.1,
                                        by.map_or("在存储装载时就已写入".to_string(), |by| format!(
                                            "已在 {} 由 {by} 确认给客户端",
                                            ms(at)
                                        ))
                                    ),
                                ),
                                nodes: match by {
                                    Some(by) if by != touched => vec![touched, by],
                                    _ => vec![touched],
                                },
                                messages: Vec::new(),
                            });
                        }
                    }
                }
            }
        }
        // The settled placement, once per epoch, when every node is up and done.
        let n = cluster.len();
        let mut states = Vec::with_capacity(n);
        for i in 0..n {
            match cluster.state(NodeId::from_index(i)) {
                Some(s) if !s.busy() => states.push(s),
                _ => return,
            }
        }
        let Some(first) = states.first() else { return };
        let epoch = first.view.epoch;
        if epoch <= self.checked || states.iter().any(|s| s.view.epoch != epoch) {
            return;
        }
        self.checked = epoch;
        let view = &first.view;
        let want = first.p.r.min(view.members.len());
        let mut bad = 0usize;
        let mut first_bad: Option<(u32, Vec<NodeId>, Vec<NodeId>)> = None;
        for k in 0..first.p.keys {
            let holders: Vec<NodeId> = states.iter().filter(|s| s.entry(k).version > 0).map(|s| s.me).collect();
            let mut list: Vec<NodeId> = view.replicas(k).to_vec();
            list.sort_unstable();
            list.dedup();
            if holders != list || list.len() != want {
                bad += 1;
                if first_bad.is_none() {
                    first_bad = Some((k, holders, view.replicas(k).to_vec()));
                }
            }
        }
        if let Some((k, holders, list)) = first_bad {
            let others = bad - 1;
            out.push(Violation {
                invariant: "Replica Placement",
                time_us: now.0,
                message: Text::new(
                    format!(
                        "Replica Placement: after rebalancing to epoch {epoch}, k{k} should be on {want} distinct \
                         nodes; its replica list is [{}] and it is held by [{}] ({others} more keys are misplaced)",
                        node_list(&list),
                        node_list(&holders)
                    ),
                    format!(
                        "副本放置：再平衡到第 {epoch} 版成员后，k{k} 应在 {want} 个不同节点上；它的副本列表是 [{}]，\
                         实际持有者是 [{}]（另有 {others} 个键放错）",
                        node_list(&list),
                        node_list(&holders)
                    ),
                ),
                nodes: if holders.is_empty() { list } else { holders },
                messages: Vec::new(),
            });
        }
    }
}
