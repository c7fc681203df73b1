//! Live checks of Raft's five safety properties (Figure 3), run after every
//! event on the node the event touched.
//!
//! The monitor keeps ghost state the nodes do not have: which node led each
//! term, the longest prefix any node has claimed committed (and in which
//! term it was claimed), and the entries applied at each index. Each check
//! costs O(what changed), not O(log length), so checking stays on in long
//! runs and benchmarks:
//!
//! - Election Safety: a map from term to leader.
//! - Leader Append-Only: a leader that stays leader in the same term must
//!   not change an entry it already had.
//! - Log Matching: every entry that appears (or reappears) in a log is
//!   compared, by prefix fingerprint, with the entry at the same index in
//!   every other live log. Checking each new entry against all current logs
//!   at the moment it appears catches every pair, because the later of two
//!   conflicting entries is always checked against the earlier.
//! - Leader Completeness: a new leader of term T must hold every entry that
//!   was claimed committed while the claimant was in a term below T.
//! - State Machine Safety: each applied entry is compared with the first
//!   entry any node applied at that index.

use super::invariant::{ELECTION_SAFETY, LEADER_APPEND_ONLY, LEADER_COMPLETENESS, LOG_MATCHING, STATE_MACHINE_SAFETY};
use super::log::Entry;
use super::{LogIndex, Raft, RaftNode, Role, Term};
use crate::chunked::ChunkVec;
use crate::ids::NodeId;
use crate::protocol::Cluster;
use crate::text::Text;
use crate::time::Micros;
use crate::view::Violation;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default)]
struct Shadow {
    leader_term: Option<Term>,
    log_len: u64,
    commit: u64,
    applied: u64,
}

/// The Raft monitor's ghost state.
#[derive(Clone, Debug)]
pub struct RaftMonitor {
    leaders: BTreeMap<Term, NodeId>,
    shadow: Vec<Shadow>,
    committed: ChunkVec<(Entry, NodeId)>,
    /// Runs of the committed prefix: (term of the claimant, prefix length).
    commit_runs: Vec<(Term, u64)>,
    applied: ChunkVec<(Entry, NodeId)>,
    reported: BTreeSet<(u8, u64, u64)>,
}

fn describe(e: &Entry) -> String {
    format!("'{}' (term {})", e.op, e.term)
}

fn describe_zh(e: &Entry) -> String {
    format!("'{}'（任期 {}）", e.op, e.term)
}

/// An invariant's name in Chinese, for the sentences.
fn zh(name: &str) -> &'static str {
    super::INVARIANTS.iter().find(|i| i.name == name).map_or("", |i| i.name_zh_cn)
}

impl RaftMonitor {
    /// A monitor for `n` nodes.
    pub fn new(n: usize) -> RaftMonitor {
        RaftMonitor {
            leaders: BTreeMap::new(),
            shadow: vec![Shadow::default(); n],
            committed: ChunkVec::new(),
            commit_runs: Vec::new(),
            applied: ChunkVec::new(),
            reported: BTreeSet::new(),
        }
    }

    fn once(&mut self, invariant: u8, a: u64, b: u64) -> bool {
        self.reported.insert((invariant, a, b))
    }

    /// Length of the committed prefix claimed by nodes whose term was below `t`.
    fn committed_before(&self, t: Term) -> u64 {
        self.commit_runs.iter().filter(|(term, _)| *term < t).map(|(_, len)| *len).max().unwrap_or(0)
    }

    /// See the module docs.
    pub fn check(&mut self, cluster: &dyn Cluster<Raft>, touched: NodeId, now: Micros, out: &mut Vec<Violation>) {
        let i = touched.index();
        let Some(node) = cluster.state(touched) else {
            self.shadow[i] = Shadow::default();
            return;
        };
        let time_us = now.0;
        let changes = node.log.take_changes();

        if node.role == Role::Leader {
            if self.shadow[i].leader_term != Some(node.term) {
                self.on_new_leader(cluster, node, time_us, out);
            } else if let Some(c) = changes
                && c.0 <= self.shadow[i].log_len
                && self.once(1, u64::from(touched.0), node.term.0)
            {
                out.push(Violation {
                    invariant: LEADER_APPEND_ONLY,
                    time_us,
                    message: Text::new(
                        format!(
                            "{LEADER_APPEND_ONLY} (Raft §5.3): {touched}, leader of term {}, changed its log at index {} \
                             instead of only appending after index {}.",
                            node.term, c, self.shadow[i].log_len
                        ),
                        format!(
                            "{}（Raft §5.3）：{touched} 作为任期 {} 的领导者，在索引 {} 处改动了自己的日志，\
                             而不是只在索引 {} 之后追加。",
                            zh(LEADER_APPEND_ONLY),
                            node.term,
                            c,
                            self.shadow[i].log_len
                        ),
                    ),
                    nodes: vec![touched],
                    messages: Vec::new(),
                });
            }
            self.shadow[i].leader_term = Some(node.term);
        } else {
            self.shadow[i].leader_term = None;
        }
        self.shadow[i].log_len = node.log.last_index().0;

        if let Some(from) = changes {
            self.check_log_matching(cluster, node, from, time_us, out);
        }
        self.track_commits(node);
        self.check_applied(node, time_us, out);
    }

    fn on_new_leader(&mut self, cluster: &dyn Cluster<Raft>, node: &RaftNode, time_us: u64, out: &mut Vec<Violation>) {
        let me = node.me;
        let term = node.term;
        match self.leaders.get(&term) {
            Some(&other) if other != me => {
                if self.once(0, term.0, 0) {
                    let (a, b) = (other.min(me), other.max(me));
                    out.push(Violation {
                        invariant: ELECTION_SAFETY,
                        time_us,
                        message: Text::new(
                            format!(
                                "{ELECTION_SAFETY} (Raft §5.2): {a} and {b} are both leader in term {term}; a term may have at most one leader."
                            ),
                            format!(
                                "{}（Raft §5.2）：{a} 和 {b} 在任期 {term} 都是领导者；一个任期最多只能有一个领导者。",
                                zh(ELECTION_SAFETY)
                            ),
                        ),
                        nodes: vec![a, b],
                        messages: Vec::new(),
                    });
                }
            }
            Some(_) => {}
            None => {
                self.leaders.insert(term, me);
            }
        }
        let need = self.committed_before(term);
        for idx in 1..=need {
            let Some(&(want, claimant)) = self.committed.get(idx as usize - 1) else { break };
            let have = node.log.entry(LogIndex(idx));
            if have != Some(&want) {
                if self.once(3, term.0, u64::from(me.0)) {
                    // How many later committed entries it lacks as well.
                    let more = (idx + 1..=need)
                        .filter(|&j| {
                            self.committed
                                .get(j as usize - 1)
                                .is_some_and(|(w, _)| node.log.entry(LogIndex(j)) != Some(w))
                        })
                        .count();
                    let (more_en, more_zh) = if more > 0 {
                        (
                            format!(" (and {more} later committed entries)"),
                            format!("（还缺少之后 {more} 个已提交条目）"),
                        )
                    } else {
                        (String::new(), String::new())
                    };
                    let (what, what_zh) = match have {
                        Some(e) => (
                            format!("holds {} there instead", describe(e)),
                            format!("在该处持有的是 {}", describe_zh(e)),
                        ),
                        None => (
                            format!("its log ends at index {}", node.log.last_index()),
                            format!("的日志只到索引 {}", node.log.last_index()),
                        ),
                    };
                    out.push(Violation {
                        invariant: LEADER_COMPLETENESS,
                        time_us,
                        message: Text::new(
                            format!(
                                "{LEADER_COMPLETENESS} (Raft §5.4): {me} became leader of term {term} without entry {idx} {}{more_en}, \
                                 which {claimant} had already committed; {me} {what}.",
                                describe(&want)
                            ),
                            format!(
                                "{}（Raft §5.4）：{me} 成为任期 {term} 的领导者，却没有条目 {idx} {}{more_zh}，\
                                 而 {claimant} 已经提交了它；{me} {what_zh}。",
                                zh(LEADER_COMPLETENESS),
                                describe_zh(&want)
                            ),
                        ),
                        nodes: vec![me, claimant],
                        messages: Vec::new(),
                    });
                }
                break;
            }
        }
        let _ = cluster;
    }

    fn check_log_matching(
        &mut self,
        cluster: &dyn Cluster<Raft>,
        node: &RaftNode,
        from: LogIndex,
        time_us: u64,
        out: &mut Vec<Violation>,
    ) {
        let me = node.me;
        let last = node.log.last_index().0;
        for k in 0..cluster.len() {
            let other_id = NodeId::from_index(k);
            if other_id == me {
                continue;
            }
            let Some(other) = cluster.state(other_id) else { continue };
            let top = last.min(other.log.last_index().0);
            for idx in from.0.max(1)..=top {
                let at = LogIndex(idx);
                let (mine, theirs) = (node.log.term_and_prefix(at), other.log.term_and_prefix(at));
                if let (Some((my_term, my_prefix)), Some((their_term, their_prefix))) = (mine, theirs)
                    && my_term == their_term
                    && my_prefix != their_prefix
                {
                    let (a, b) = (me.min(other_id), me.max(other_id));
                    if self.once(2, u64::from(a.0), u64::from(b.0)) {
                        // Find the first index where the two logs differ.
                        let mut lo = 1;
                        while lo < idx && node.log.entry(LogIndex(lo)) == other.log.entry(LogIndex(lo)) {
                            lo += 1;
                        }
                        let show = |n: &RaftNode| n.log.entry(LogIndex(lo)).map_or("nothing".to_string(), describe);
                        let show_zh = |n: &RaftNode| n.log.entry(LogIndex(lo)).map_or("空".to_string(), describe_zh);
                        let place = if lo == idx { "there".to_string() } else { format!("at index {lo}") };
                        let place_zh = if lo == idx { "在该处".to_string() } else { format!("在索引 {lo} 处") };
                        out.push(Violation {
                            invariant: LOG_MATCHING,
                            time_us,
                            message: Text::new(
                                format!(
                                    "{LOG_MATCHING} (Raft §5.3): {me} and {other_id} both hold an entry of term {} at index {idx}, \
                                     but their logs differ {place}: {me} has {}, {other_id} has {}.",
                                    node.log.term_at(at).unwrap_or_default(),
                                    show(node),
                                    show(other)
                                ),
                                format!(
                                    "{}（Raft §5.3）：{me} 和 {other_id} 在索引 {idx} 处都有任期 {} 的条目，\
                                     但两份日志{place_zh}不同：{me} 是 {}，{other_id} 是 {}。",
                                    zh(LOG_MATCHING),
                                    node.log.term_at(at).unwrap_or_default(),
                                    show_zh(node),
                                    show_zh(other)
                                ),
                            ),
                            nodes: vec![a, b],
                            messages: Vec::new(),
                        });
                    }
                    break;
                }
            }
        }
    }

    fn track_commits(&mut self, node: &RaftNode) {
        let i = node.me.index();
        let commit = node.commit_index.0;
        if commit < self.shadow[i].commit {
            // A restart forgets the commit index; it is learned again.
            self.shadow[i].commit = commit;
        }
        let known = self.committed.len() as u64;
        if commit > known {
            for idx in (known + 1)..=commit {
                match node.log.entry(LogIndex(idx)) {
                    Some(e) => self.committed.push((*e, node.me)),
                    None => break,
                }
            }
            let len = self.committed.len() as u64;
            match self.commit_runs.last_mut() {
                Some((t, l)) if *t == node.term => *l = len,
                _ => self.commit_runs.push((node.term, len)),
            }
        }
        self.shadow[i].commit = commit;
    }

    fn check_applied(&mut self, node: &RaftNode, time_us: u64, out: &mut Vec<Violation>) {
        let me = node.me;
        let i = me.index();
        let applied = node.last_applied.0;
        if applied < self.shadow[i].applied {
            self.shadow[i].applied = applied;
        }
        for idx in (self.shadow[i].applied + 1)..=applied {
            let Some(&e) = node.log.entry(LogIndex(idx)) else { break };
            match self.applied.get(idx as usize - 1).copied() {
                Some((first, by)) if first != e => {
                    if self.once(4, idx, u64::from(me.0)) {
                        out.push(Violation {
                            invariant: STATE_MACHINE_SAFETY,
                            time_us,
                            message: Text::new(
                                format!(
                                    "{STATE_MACHINE_SAFETY} (Raft §5.4.3): {me} applied {} at index {idx}, \
                                     but {by} had applied {} at that index.",
                                    describe(&e),
                                    describe(&first)
                                ),
                                format!(
                                    "{}（Raft §5.4.3）：{me} 在索引 {idx} 处应用了 {}，但 {by} 在该索引处应用的是 {}。",
                                    zh(STATE_MACHINE_SAFETY),
                                    describe_zh(&e),
                                    describe_zh(&first)
                                ),
                            ),
                            nodes: vec![by, me],
                            messages: Vec::new(),
                        });
                    }
                }
                Some(_) => {}
                None => {
                    if idx == self.applied.len() as u64 + 1 {
                        self.applied.push((e, me));
                    }
                }
            }
        }
        self.shadow[i].applied = applied;
    }
}

#[cfg(test)]
mod tests {
    //! Each checker is shown to fire on a hand-built broken state, and to
    //! stay quiet on the matching healthy one.

    use super::*;
    use crate::protocols::raft::log::{Key, Op};

    struct Nodes(Vec<Option<RaftNode>>);

    impl Cluster<Raft> for Nodes {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn state(&self, id: NodeId) -> Option<&RaftNode> {
            self.0.get(id.index())?.as_ref()
        }
    }

    fn cluster(n: u32) -> Nodes {
        let ids: Vec<NodeId> = (1..=n).map(NodeId).collect();
        Nodes(
            ids.iter()
                .map(|&me| Some(RaftNode::new(me, &ids.iter().copied().filter(|x| *x != me).collect::<Vec<_>>())))
                .collect(),
        )
    }

    fn set(term: u64, v: i64) -> Entry {
        Entry { term: Term(term), op: Op::Set { key: Key::parse("x").unwrap(), value: v } }
    }

    fn node(c: &mut Nodes, id: u32) -> &mut RaftNode {
        c.0[id as usize - 1].as_mut().unwrap()
    }

    fn check(m: &mut RaftMonitor, c: &Nodes, id: u32) -> Vec<Violation> {
        let mut out = Vec::new();
        m.check(c, NodeId(id), Micros(1), &mut out);
        out
    }

    #[test]
    fn election_safety_fires_on_two_leaders_in_one_term() {
        // Raft §5.2.
        let mut c = cluster(3);
        let mut m = RaftMonitor::new(3);
        for id in [1, 2] {
            let n = node(&mut c, id);
            n.role = Role::Leader;
            n.term = Term(2);
        }
        assert!(check(&mut m, &c, 1).is_empty());
        let v = check(&mut m, &c, 2);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].invariant, ELECTION_SAFETY);
        assert!(v[0].message.en.contains("S1 and S2 are both leader in term 2"), "{}", v[0].message);
        // Leaders of different terms are fine.
        node(&mut c, 3).role = Role::Leader;
        node(&mut c, 3).term = Term(3);
        assert!(check(&mut m, &c, 3).is_empty());
    }

    #[test]
    fn leader_append_only_fires_when_a_leader_rewrites_its_log() {
        // Raft §5.3.
        let mut c = cluster(3);
        let mut m = RaftMonitor::new(3);
        let n = node(&mut c, 1);
        n.role = Role::Leader;
        n.term = Term(1);
        n.log.append(set(1, 1));
        n.log.append(set(1, 2));
        assert!(check(&mut m, &c, 1).is_empty());
        node(&mut c, 1).log.append(set(1, 3));
        assert!(check(&mut m, &c, 1).is_empty(), "appending is fine");
        let n = node(&mut c, 1);
        n.log.truncate_from(LogIndex(2));
        n.log.append(set(1, 9));
        let v = check(&mut m, &c, 1);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].invariant, LEADER_APPEND_ONLY);
    }

    #[test]
    fn log_matching_fires_on_same_index_and_term_with_different_history() {
        // Raft §5.3.
        let mut c = cluster(3);
        let mut m = RaftMonitor::new(3);
        // Index 1 differs in term (allowed); index 2 has the same term 3 on
        // both, so the histories before it must match, and they do not.
        let n = node(&mut c, 1);
        n.log.append(set(1, 1));
        n.log.append(set(3, 7));
        assert!(check(&mut m, &c, 1).is_empty());
        let n = node(&mut c, 2);
        n.log.append(set(2, 2));
        n.log.append(set(3, 7));
        let v = check(&mut m, &c, 2);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].invariant, LOG_MATCHING);
        assert!(v[0].message.en.contains("differ at index 1"), "{}", v[0].message);
        // A third node with the same history as node 1 is fine.
        let n = node(&mut c, 3);
        n.log.append(set(1, 1));
        n.log.append(set(3, 7));
        let v = check(&mut m, &c, 3);
        assert!(v.iter().all(|v| !v.nodes.contains(&NodeId(1))), "{v:?}");
    }

    #[test]
    fn leader_completeness_fires_when_a_new_leader_lacks_a_committed_entry() {
        // Raft §5.4.
        let mut c = cluster(3);
        let mut m = RaftMonitor::new(3);
        let n = node(&mut c, 1);
        n.term = Term(1);
        n.log.append(set(1, 1));
        n.commit_index = LogIndex(1);
        assert!(check(&mut m, &c, 1).is_empty());
        let n = node(&mut c, 2);
        n.term = Term(2);
        n.role = Role::Leader;
        let v = check(&mut m, &c, 2);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].invariant, LEADER_COMPLETENESS);
        // A leader that has the entry is fine.
        let n = node(&mut c, 3);
        n.term = Term(3);
        n.log.append(set(1, 1));
        n.role = Role::Leader;
        assert!(check(&mut m, &c, 3).iter().all(|v| v.invariant != LEADER_COMPLETENESS));
    }

    #[test]
    fn state_machine_safety_fires_on_different_entries_applied_at_one_index() {
        // Raft §5.4.3.
        let mut c = cluster(3);
        let mut m = RaftMonitor::new(3);
        let n = node(&mut c, 1);
        n.log.append(set(1, 1));
        n.last_applied = LogIndex(1);
        assert!(check(&mut m, &c, 1).is_empty());
        let n = node(&mut c, 2);
        n.log.append(set(2, 2));
        n.last_applied = LogIndex(1);
        let v: Vec<Violation> =
            check(&mut m, &c, 2).into_iter().filter(|v| v.invariant == STATE_MACHINE_SAFETY).collect();
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].message.en.contains("S2 applied 'set x 2'"), "{}", v[0].message);
    }
}

#[cfg(test)]
mod restart_tests {
    use super::*;
    use crate::protocols::raft::log::{Key, Op};

    struct Nodes(Vec<Option<RaftNode>>);

    impl Cluster<Raft> for Nodes {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn state(&self, id: NodeId) -> Option<&RaftNode> {
            self.0.get(id.index())?.as_ref()
        }
    }

    fn set(term: u64, v: i64) -> Entry {
        Entry { term: Term(term), op: Op::Set { key: Key::parse("x").unwrap(), value: v } }
    }

    #[test]
    fn a_log_returning_from_a_crash_is_compared_again() {
        // Raft §5.3: a conflict that arose while one side was down is still caught.
        let mut c =
            Nodes(vec![Some(RaftNode::new(NodeId(1), &[NodeId(2)])), Some(RaftNode::new(NodeId(2), &[NodeId(1)]))]);
        let mut m = RaftMonitor::new(2);
        let mut out = Vec::new();
        let a = c.0[0].as_mut().unwrap();
        a.log.append(set(1, 1));
        a.log.append(set(3, 7));
        m.check(&c, NodeId(1), Micros(1), &mut out);
        let saved = c.0[0].take().unwrap();
        m.check(&c, NodeId(1), Micros(2), &mut out);
        let b = c.0[1].as_mut().unwrap();
        b.log.append(set(2, 2));
        b.log.append(set(3, 7));
        m.check(&c, NodeId(2), Micros(3), &mut out);
        assert!(out.is_empty(), "node 1 is down: {out:?}");
        c.0[0] = Some(saved);
        c.0[0].as_ref().unwrap().log.mark_all_changed();
        m.check(&c, NodeId(1), Micros(4), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].invariant, LOG_MATCHING);
    }
}
