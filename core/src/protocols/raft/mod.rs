//! Raft, after Ongaro and Ousterhout, "In Search of an Understandable
//! Consensus Algorithm (Extended Version)", 2014.
//!
//! Covered: leader election with randomized timeouts (§5.2); log
//! replication with the AppendEntries consistency check and conflict
//! truncation (§5.3); the election restriction (§5.4.1); committing only
//! entries of the leader's own term by counting replicas (§5.4.2); a
//! replicated key-value store whose reads also go through the log; a no-op
//! entry at the start of each term (§8); persistent `currentTerm`,
//! `votedFor` and log across crashes (Figure 2). Not covered here:
//! membership changes (§6) and log compaction (§7).
//!
//! Break-it switches turn single rules off so a learner can watch what goes
//! wrong and so tests can prove the monitor ([`monitor`]) notices.

pub mod log;
pub mod monitor;

use crate::ids::{NodeId, RequestId};
use crate::limits::KeyLimit;
use crate::protocol::{ConfigIssue, Context, MessageKinds, Obs, Protocol, Reply, RoleKind, TimerKind, role_infos};
use crate::time::Micros;
use crate::view::{
    BreakSwitch, Clients, Field, InvariantInfo, Label, LogEntryView, MessageView, ProtocolInfo, ProtocolNodeView, Value,
};
use log::{Entry, Key, Op, RaftLog};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// A Raft term.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term(pub u64);

/// A position in a Raft log, from 1.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogIndex(pub u64);

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Raft's settings, the `[config]` table of a Raft scenario.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftConfig {
    /// Shortest election timeout.
    #[serde(
        rename = "election_timeout_min_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub election_timeout_min: Micros,
    /// Longest election timeout.
    #[serde(
        rename = "election_timeout_max_ms",
        deserialize_with = "crate::time::ms",
        serialize_with = "crate::time::ms_out"
    )]
    pub election_timeout_max: Micros,
    /// Gap between a leader's heartbeats.
    #[serde(rename = "heartbeat_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub heartbeat: Micros,
    /// A candidate asks again peers that have not answered its vote request
    /// after this long (the paper: servers retry RPCs without a response).
    #[serde(rename = "rpc_timeout_ms", deserialize_with = "crate::time::ms", serialize_with = "crate::time::ms_out")]
    pub rpc_timeout: Micros,
    /// Most entries in one AppendEntries.
    pub max_entries_per_append: u32,
    /// Append a no-op entry when elected (§8).
    pub leader_noop: bool,
    /// Break it: grant votes without the election restriction (§5.4.1).
    pub break_election_restriction: bool,
    /// Break it: commit entries of earlier terms by counting replicas (§5.4.2, Figure 8).
    pub break_commit_rule: bool,
    /// Break it: forget `votedFor` on restart (Figure 2 says persist it).
    pub break_vote_persistence: bool,
    /// Break it: accept AppendEntries without the consistency check (§5.3).
    pub break_consistency_check: bool,
}

impl Default for RaftConfig {
    fn default() -> RaftConfig {
        RaftConfig {
            election_timeout_min: Micros::from_ms(150),
            election_timeout_max: Micros::from_ms(300),
            heartbeat: Micros::from_ms(50),
            rpc_timeout: Micros::from_ms(50),
            max_entries_per_append: 64,
            leader_noop: true,
            break_election_restriction: false,
            break_commit_rule: false,
            break_vote_persistence: false,
            break_consistency_check: false,
        }
    }
}

/// Limits on Raft's settings.
const MAX_TIMEOUT: Micros = Micros::from_ms(60_000);
const MAX_ENTRIES_PER_APPEND: u64 = 10_000;

/// A node's role.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr, strum::EnumProperty)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Follows a leader, votes in elections.
    #[strum(props(zh = "跟随者", badge = "F", colour = 1))]
    Follower,
    /// Asking for votes.
    #[strum(props(zh = "候选者", badge = "C", colour = 2))]
    Candidate,
    /// Replicating its log to the others.
    #[strum(props(zh = "领导者", badge = "L", colour = 3))]
    Leader,
}

/// Raft's messages, named as in the paper.
#[derive(Clone, Debug, PartialEq, strum::EnumDiscriminants)]
#[strum_discriminants(name(MsgKind), derive(strum::VariantArray, strum::VariantNames))]
pub enum Msg {
    /// A candidate asks for a vote (§5.2).
    RequestVote {
        /// Candidate's term.
        term: Term,
        /// Index of the candidate's last entry.
        last_log_index: LogIndex,
        /// Term of the candidate's last entry.
        last_log_term: Term,
    },
    /// The answer to a vote request.
    RequestVoteResponse {
        /// The voter's term.
        term: Term,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// Replicates entries; empty, it is a heartbeat (§5.3).
    AppendEntries {
        /// Leader's term.
        term: Term,
        /// Index of the entry before the new ones.
        prev_log_index: LogIndex,
        /// Term of that entry.
        prev_log_term: Term,
        /// New entries (empty for a heartbeat).
        entries: Vec<Entry>,
        /// Leader's commit index.
        leader_commit: LogIndex,
    },
    /// The answer to AppendEntries.
    AppendEntriesResponse {
        /// The follower's term.
        term: Term,
        /// Whether the entries were accepted.
        success: bool,
        /// On success, the last index now known to match the leader.
        match_index: LogIndex,
        /// On failure, where the leader should retry from.
        conflict_index: LogIndex,
    },
}

impl Msg {
    fn term(&self) -> Term {
        match self {
            Msg::RequestVote { term, .. }
            | Msg::RequestVoteResponse { term, .. }
            | Msg::AppendEntries { term, .. }
            | Msg::AppendEntriesResponse { term, .. } => *term,
        }
    }
}

/// Raft's timers.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    strum::VariantArray,
    strum::VariantNames,
    strum::IntoStaticStr,
    strum::EnumProperty,
)]
#[strum(serialize_all = "snake_case")]
pub enum Timer {
    /// Fires when a follower or candidate has heard nothing for too long.
    Election,
    /// Fires when a leader should send heartbeats.
    Heartbeat,
    /// Fires when a candidate should ask silent peers for their vote again.
    VoteRetry,
}

/// One Raft node.
#[derive(Clone, Debug)]
pub struct RaftNode {
    me: NodeId,
    peers: Vec<NodeId>,
    role: Role,
    /// Persistent: latest term seen.
    term: Term,
    /// Persistent: candidate voted for in this term.
    voted_for: Option<NodeId>,
    /// Persistent: the log.
    log: RaftLog,
    commit_index: LogIndex,
    last_applied: LogIndex,
    store: BTreeMap<Key, i64>,
    leader: Option<NodeId>,
    /// Bit `i` set: node `i+1` granted its vote.
    votes: u64,
    /// Bit `i` set: node `i+1` answered this election's vote request.
    answered: u64,
    next_index: Vec<LogIndex>,
    match_index: Vec<LogIndex>,
    /// Bit `i` set: an AppendEntries to node `i+1` awaits its answer.
    awaiting: u64,
    /// Per peer: when the outstanding AppendEntries was sent (local clock)
    /// and the last index it carried, to tell its answer from stale ones.
    sent_at: Vec<Micros>,
    sent_last: Vec<LogIndex>,
    pending: BTreeMap<LogIndex, RequestId>,
}

/// What survives a crash (Figure 2, "Persistent state on all servers").
#[derive(Clone, Debug)]
pub struct RaftDurable {
    term: Term,
    voted_for: Option<NodeId>,
    log: RaftLog,
}

fn bit(id: NodeId) -> u64 {
    1u64 << (id.index() % 64)
}

impl RaftNode {
    fn new(me: NodeId, peers: &[NodeId]) -> RaftNode {
        let n = peers.len() + 1;
        RaftNode {
            me,
            peers: peers.to_vec(),
            role: Role::Follower,
            term: Term(0),
            voted_for: None,
            log: RaftLog::new(),
            commit_index: LogIndex(0),
            last_applied: LogIndex(0),
            store: BTreeMap::new(),
            leader: None,
            votes: 0,
            answered: 0,
            next_index: vec![LogIndex(1); n],
            match_index: vec![LogIndex(0); n],
            awaiting: 0,
            sent_at: vec![Micros::ZERO; n],
            sent_last: vec![LogIndex(0); n],
            pending: BTreeMap::new(),
        }
    }

    fn cluster_size(&self) -> usize {
        self.peers.len() + 1
    }

    fn majority(&self) -> usize {
        self.cluster_size() / 2 + 1
    }

    /// The node's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The node's current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The node's log.
    pub fn log(&self) -> &RaftLog {
        &self.log
    }

    /// The highest index this node knows is committed.
    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }

    /// The value of `key` in this node's state machine.
    pub fn value(&self, key: &str) -> Option<i64> {
        Key::parse(key).ok().and_then(|k| self.store.get(&k).copied())
    }

    fn reset_election_timer(&self, cx: &mut Context<'_, Raft>) {
        let c = cx.config();
        let t = cx.rng().range_inclusive(c.election_timeout_min.0, c.election_timeout_max.0);
        cx.set_timer(Timer::Election, Micros(t));
    }

    /// Adopts a newer term (§5.1: "if one server's current term is smaller
    /// than the other's, then it updates its current term").
    fn adopt_term(&mut self, term: Term, cx: &mut Context<'_, Raft>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.leader = None;
            cx.observe("term", Obs::Int(term.0 as i64));
        }
        self.become_follower(cx);
    }

    fn become_follower(&mut self, cx: &mut Context<'_, Raft>) {
        if self.role == Role::Follower {
            return;
        }
        if self.role == Role::Leader {
            cx.cancel_timer(Timer::Heartbeat);
            self.reset_election_timer(cx);
            // Outcome unknown: the entries may still commit under a later leader.
            for (_, id) in std::mem::take(&mut self.pending) {
                cx.reply(id, Reply::Failed("leader stepped down before commit; outcome unknown".into()));
            }
        }
        if self.role == Role::Candidate {
            cx.cancel_timer(Timer::VoteRetry);
        }
        self.role = Role::Follower;
        self.awaiting = 0;
    }

    fn start_election(&mut self, cx: &mut Context<'_, Raft>) {
        self.term = Term(self.term.0 + 1);
        self.role = Role::Candidate;
        self.voted_for = Some(self.me);
        self.votes = bit(self.me);
        self.answered = bit(self.me);
        self.leader = None;
        cx.observe("term", Obs::Int(self.term.0 as i64));
        self.reset_election_timer(cx);
        if self.votes.count_ones() as usize >= self.majority() {
            self.become_leader(cx);
            return;
        }
        self.ask_for_votes(cx);
    }

    /// Sends RequestVote to every peer that has not answered yet.
    fn ask_for_votes(&mut self, cx: &mut Context<'_, Raft>) {
        let msg = Msg::RequestVote {
            term: self.term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        for &peer in &self.peers {
            if self.answered & bit(peer) == 0 {
                cx.send(peer, msg.clone());
            }
        }
        cx.set_timer(Timer::VoteRetry, cx.config().rpc_timeout);
    }

    fn become_leader(&mut self, cx: &mut Context<'_, Raft>) {
        self.role = Role::Leader;
        self.leader = Some(self.me);
        self.awaiting = 0;
        cx.cancel_timer(Timer::Election);
        cx.cancel_timer(Timer::VoteRetry);
        if cx.config().leader_noop {
            self.log.append(Entry { term: self.term, op: Op::Noop });
        }
        let next = LogIndex(self.log.last_index().0 + 1);
        self.next_index.iter_mut().for_each(|i| *i = next);
        self.sent_last.iter_mut().for_each(|i| *i = LogIndex(0));
        self.match_index.iter_mut().for_each(|i| *i = LogIndex(0));
        self.match_index[self.me.index()] = self.log.last_index();
        self.advance_commit(cx);
        self.broadcast_append(cx);
        cx.set_timer(Timer::Heartbeat, cx.config().heartbeat);
    }

    fn send_append(&mut self, peer: NodeId, cx: &mut Context<'_, Raft>) {
        let next = self.next_index[peer.index()].max(LogIndex(1));
        let prev = LogIndex(next.0 - 1);
        let entries = self.log.entries_from(next, cx.config().max_entries_per_append as usize);
        let i = peer.index();
        self.sent_last[i] = LogIndex(prev.0 + entries.len() as u64);
        self.sent_at[i] = cx.now();
        let msg = Msg::AppendEntries {
            term: self.term,
            prev_log_index: prev,
            prev_log_term: self.log.term_at(prev).unwrap_or(Term(0)),
            entries,
            leader_commit: self.commit_index,
        };
        self.awaiting |= bit(peer);
        cx.send(peer, msg);
    }

    /// Sends AppendEntries to every peer that is idle, or whose outstanding
    /// request is older than the RPC timeout (presumed lost). One request
    /// per follower is in flight at a time, as in RaftScope.
    fn broadcast_append(&mut self, cx: &mut Context<'_, Raft>) {
        let now = cx.now();
        for k in 0..self.peers.len() {
            let peer = self.peers[k];
            let overdue = now.saturating_sub(self.sent_at[peer.index()]) >= cx.config().rpc_timeout;
            if self.awaiting & bit(peer) == 0 || overdue {
                self.send_append(peer, cx);
            }
        }
    }

    /// §5.3/§5.4.2: the highest index stored on a majority whose entry is from
    /// the current term becomes committed (with the break switch, any term).
    fn advance_commit(&mut self, cx: &mut Context<'_, Raft>) {
        // The highest index a majority holds is the majority-th largest
        // match index. Terms never fall along a log, so if the entry there is
        // not of the current term, no lower one is either (§5.4.2).
        let majority = self.majority();
        let mut held = LogIndex(0);
        for &v in &self.match_index {
            if v > held && self.match_index.iter().filter(|m| **m >= v).count() >= majority {
                held = v;
            }
        }
        let n = held.min(self.log.last_index());
        if n > self.commit_index && (cx.config().break_commit_rule || self.log.term_at(n) == Some(self.term)) {
            self.commit_index = n;
            self.apply(cx);
        }
    }

    fn apply(&mut self, cx: &mut Context<'_, Raft>) {
        while self.last_applied < self.commit_index {
            let index = LogIndex(self.last_applied.0 + 1);
            let Some(entry) = self.log.entry(index).copied() else { break };
            self.last_applied = index;
            if let Op::Set { key, value } = entry.op {
                self.store.insert(key, value);
            }
            // Only the leader that took the request answers the client.
            if self.role == Role::Leader
                && let Some(id) = self.pending.remove(&index)
            {
                let result = match entry.op {
                    Op::Noop | Op::Set { .. } => Value::None,
                    Op::Get { key } => self.store.get(&key).map_or(Value::None, |v| Value::Int(*v)),
                };
                cx.reply(id, Reply::Ok(result));
            }
        }
    }

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        last_index: LogIndex,
        last_term: Term,
        cx: &mut Context<'_, Raft>,
    ) {
        let free = self.voted_for.is_none() || self.voted_for == Some(from);
        let up_to_date = cx.config().break_election_restriction || self.log.is_behind_or_equal(last_term, last_index);
        let granted = term == self.term && free && up_to_date;
        if granted {
            self.voted_for = Some(from);
            self.reset_election_timer(cx);
        }
        cx.send(from, Msg::RequestVoteResponse { term: self.term, granted });
    }

    fn on_vote(&mut self, from: NodeId, term: Term, granted: bool, cx: &mut Context<'_, Raft>) {
        if self.role != Role::Candidate || term != self.term {
            return;
        }
        self.answered |= bit(from);
        if !granted {
            return;
        }
        self.votes |= bit(from);
        if self.votes.count_ones() as usize >= self.majority() {
            self.become_leader(cx);
        }
    }

    // The parameters are the RPC's arguments, named as in Figure 2.
    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        from: NodeId,
        term: Term,
        prev: LogIndex,
        prev_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
        cx: &mut Context<'_, Raft>,
    ) {
        let reject = |s: &Self, conflict: LogIndex, cx: &mut Context<'_, Raft>| {
            cx.send(
                from,
                Msg::AppendEntriesResponse {
                    term: s.term,
                    success: false,
                    match_index: LogIndex(0),
                    conflict_index: conflict,
                },
            );
        };
        if term < self.term {
            reject(self, LogIndex(0), cx);
            return;
        }
        // term == self.term: a candidate (or a confused leader) steps down.
        self.become_follower(cx);
        self.leader = Some(from);
        self.reset_election_timer(cx);

        let last = self.log.last_index();
        let consistent = self.log.term_at(prev) == Some(prev_term);
        let mut at = prev;
        if !consistent {
            if !cx.config().break_consistency_check {
                // Hint: skip back over the whole conflicting term.
                let conflict = if prev > last {
                    LogIndex(last.0 + 1)
                } else {
                    let bad = self.log.term_at(prev);
                    let mut i = prev;
                    while i.0 > 1 && self.log.term_at(LogIndex(i.0 - 1)) == bad {
                        i = LogIndex(i.0 - 1);
                    }
                    i
                };
                reject(self, conflict, cx);
                return;
            }
            // Broken: take the entries anyway, at the end of our log if the
            // leader's prev lies beyond it.
            at = prev.min(last);
        }
        for entry in entries {
            at = LogIndex(at.0 + 1);
            match self.log.term_at(at) {
                Some(t) if t == entry.term => {}
                Some(_) => {
                    self.log.truncate_from(at);
                    self.log.append(entry);
                }
                None => self.log.append(entry),
            }
        }
        if leader_commit > self.commit_index {
            // Figure 2: commitIndex only grows, even when a stale AppendEntries arrives late.
            self.commit_index = self.commit_index.max(leader_commit.min(at));
            self.apply(cx);
        }
        cx.send(
            from,
            Msg::AppendEntriesResponse { term: self.term, success: true, match_index: at, conflict_index: LogIndex(0) },
        );
    }

    fn on_append_response(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        match_index: LogIndex,
        conflict: LogIndex,
        cx: &mut Context<'_, Raft>,
    ) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        let i = from.index();
        // Only the answer to the outstanding request moves the exchange on;
        // stale or duplicated answers just update what we know.
        let current = self.awaiting & bit(from) != 0 && (!success || match_index == self.sent_last[i]);
        if current {
            self.awaiting &= !bit(from);
        }
        if success {
            if match_index > self.match_index[i] {
                self.match_index[i] = match_index;
            }
            self.next_index[i] = self.next_index[i].max(LogIndex(self.match_index[i].0 + 1));
            self.advance_commit(cx);
        } else if current {
            let back = LogIndex(self.next_index[i].0.saturating_sub(1).max(1));
            let hinted = if conflict.0 >= 1 { conflict.min(back) } else { back };
            self.next_index[i] = hinted.max(LogIndex(self.match_index[i].0 + 1));
        }
        if current && (!success || self.next_index[i] <= self.log.last_index()) {
            self.send_append(from, cx);
        }
    }
}

/// The Raft protocol.
#[derive(Clone, Copy, Debug)]
pub struct Raft;

/// Invariant names, as violations report them.
pub mod invariant {
    /// §5.2.
    pub const ELECTION_SAFETY: &str = "Election Safety";
    /// §5.3.
    pub const LEADER_APPEND_ONLY: &str = "Leader Append-Only";
    /// §5.3.
    pub const LOG_MATCHING: &str = "Log Matching";
    /// §5.4.
    pub const LEADER_COMPLETENESS: &str = "Leader Completeness";
    /// §5.4.3.
    pub const STATE_MACHINE_SAFETY: &str = "State Machine Safety";
}

pub(crate) const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: invariant::ELECTION_SAFETY,
        name_zh_cn: "选举安全性",
        source: "Raft §5.2, Figure 3",
        rule: "No term ever has more than one leader.",
        rule_zh_cn: "任何一个任期都不会有超过一个领导者。",
    },
    InvariantInfo {
        name: invariant::LEADER_APPEND_ONLY,
        name_zh_cn: "领导者只追加",
        source: "Raft §5.3, Figure 3",
        rule: "While it leads, a leader only adds entries to the end of its log; it never rewrites or removes one.",
        rule_zh_cn: "领导者在任期内只在日志末尾追加条目，从不改写或删除条目。",
    },
    InvariantInfo {
        name: invariant::LOG_MATCHING,
        name_zh_cn: "日志匹配",
        source: "Raft §5.3, Figure 3",
        rule: "Two logs that hold an entry with the same index and term agree on every entry up to that index.",
        rule_zh_cn: "如果两份日志在同一索引处有任期相同的条目，那么它们直到该索引的所有条目都相同。",
    },
    InvariantInfo {
        name: invariant::LEADER_COMPLETENESS,
        name_zh_cn: "领导者完整性",
        source: "Raft §5.4, Figure 3",
        rule: "An entry committed in some term is in the log of every leader of every later term.",
        rule_zh_cn: "某个任期内已提交的条目，一定在之后每个任期的每个领导者的日志中。",
    },
    InvariantInfo {
        name: invariant::STATE_MACHINE_SAFETY,
        name_zh_cn: "状态机安全性",
        source: "Raft §5.4.3, Figure 3",
        rule: "No two servers ever apply different entries at the same log index.",
        rule_zh_cn: "任何两台服务器都不会在同一日志索引处应用不同的条目。",
    },
];

const BREAK_SWITCHES: &[BreakSwitch] = &[
    BreakSwitch {
        key: "break_election_restriction",
        effect: "Voters grant votes even to candidates whose logs are behind theirs (§5.4.1 off).",
        effect_zh_cn: "投票者会把票投给日志比自己旧的候选者（关掉 §5.4.1）。",
        caught_by: invariant::LEADER_COMPLETENESS,
    },
    BreakSwitch {
        key: "break_commit_rule",
        effect: "Leaders commit entries from earlier terms once a majority stores them (the Figure 8 mistake).",
        effect_zh_cn: "领导者只要多数派存了旧任期的条目就提交它（图 8 的错误）。",
        caught_by: invariant::LEADER_COMPLETENESS,
    },
    BreakSwitch {
        key: "break_vote_persistence",
        effect: "A restarted node forgets whom it voted for in the current term.",
        effect_zh_cn: "重启的节点忘记自己在当前任期投给了谁。",
        caught_by: invariant::ELECTION_SAFETY,
    },
    BreakSwitch {
        key: "break_consistency_check",
        effect: "Followers append entries without checking that the entry before them matches (§5.3 off).",
        effect_zh_cn: "跟随者追加条目时不检查前一条是否一致（关掉 §5.3）。",
        caught_by: invariant::LOG_MATCHING,
    },
];

static INFO: LazyLock<ProtocolInfo> = LazyLock::new(|| ProtocolInfo {
    name: "raft",
    title: "Raft",
    title_zh_cn: "Raft",
    roles: role_infos::<Role>(),
    message_kinds: <Msg as MessageKinds>::KINDS,
    timers: <Timer as TimerKind>::NAMES,
    invariants: INVARIANTS,
    break_switches: BREAK_SWITCHES,
    request_examples: &["set x 1", "get x"],
    clients: Clients::Leader,
    logs: true,
    labels: &[
        Label { key: "term", en: "term", zh_cn: "任期" },
        Label { key: "voted_for", en: "voted for", zh_cn: "投票给" },
        Label { key: "commit_index", en: "commit index", zh_cn: "提交位置" },
        Label { key: "last_applied", en: "last applied", zh_cn: "已应用位置" },
        Label { key: "log_length", en: "log length", zh_cn: "日志长度" },
        Label { key: "leader", en: "leader", zh_cn: "领导者" },
        Label { key: "votes", en: "votes", zh_cn: "得票" },
        Label { key: "match_index", en: "match index", zh_cn: "匹配位置" },
        Label { key: "candidate", en: "candidate", zh_cn: "候选者" },
        Label { key: "follower", en: "follower", zh_cn: "跟随者" },
        Label { key: "granted", en: "vote granted", zh_cn: "同意投票" },
        Label { key: "last_log_index", en: "last log index", zh_cn: "最后日志位置" },
        Label { key: "last_log_term", en: "last log term", zh_cn: "最后日志任期" },
        Label { key: "prev_log_index", en: "previous index", zh_cn: "前一条位置" },
        Label { key: "prev_log_term", en: "previous term", zh_cn: "前一条任期" },
        Label { key: "entries", en: "entries", zh_cn: "条目数" },
        Label { key: "leader_commit", en: "leader's commit", zh_cn: "领导者提交位置" },
        Label { key: "success", en: "success", zh_cn: "成功" },
        Label { key: "conflict_index", en: "conflict at", zh_cn: "冲突位置" },
        Label { key: "election", en: "election timeout", zh_cn: "选举超时" },
        Label { key: "heartbeat", en: "heartbeat", zh_cn: "心跳" },
        Label { key: "vote_retry", en: "vote retry", zh_cn: "重新拉票" },
        Label { key: "role", en: "role", zh_cn: "角色" },
    ],
    family: &super::CONSENSUS,
    blurb: (
        "A leader replicates one log to a majority; terms, votes and the election restriction keep it safe.",
        "领导者把同一份日志复制到多数派；任期、投票和选举限制保证安全。",
    ),
});

/// How many log entries a node view carries (the newest ones).
pub const LOG_VIEW_ENTRIES: usize = 64;

fn log_view(log: &RaftLog, commit: LogIndex) -> Vec<LogEntryView> {
    let last = log.last_index().0;
    let from = last.saturating_sub(LOG_VIEW_ENTRIES as u64) + 1;
    log.entries_from(LogIndex(from), LOG_VIEW_ENTRIES)
        .into_iter()
        .enumerate()
        .map(|(k, e)| {
            let index = from + k as u64;
            LogEntryView { index, term: e.term.0, text: e.op.to_string(), committed: index <= commit.0 }
        })
        .collect()
}

impl Protocol for Raft {
    fn switch<'c>(c: &'c mut RaftConfig, key: &str) -> Option<&'c mut bool> {
        match key {
            "break_election_restriction" => Some(&mut c.break_election_restriction),
            "break_commit_rule" => Some(&mut c.break_commit_rule),
            "break_vote_persistence" => Some(&mut c.break_vote_persistence),
            "break_consistency_check" => Some(&mut c.break_consistency_check),
            _ => None,
        }
    }

    type Config = RaftConfig;
    type State = RaftNode;
    type Durable = RaftDurable;
    type Msg = Msg;
    type Timer = Timer;
    type Role = Role;
    type Request = Op;
    type Monitor = monitor::RaftMonitor;
    type Ghost = ();

    fn info() -> &'static ProtocolInfo {
        &INFO
    }

    const LIMITS: &'static [KeyLimit<RaftConfig>] = &[
        KeyLimit::ms("election_timeout_min_ms", Micros::from_ms(1), MAX_TIMEOUT, |c| c.election_timeout_min),
        KeyLimit::ms("election_timeout_max_ms", Micros::from_ms(1), MAX_TIMEOUT, |c| c.election_timeout_max),
        KeyLimit::ms("heartbeat_ms", Micros(100), MAX_TIMEOUT, |c| c.heartbeat),
        KeyLimit::ms("rpc_timeout_ms", Micros(100), MAX_TIMEOUT, |c| c.rpc_timeout),
        KeyLimit::count("max_entries_per_append", 1, MAX_ENTRIES_PER_APPEND, |c| u64::from(c.max_entries_per_append)),
    ];

    fn validate(c: &RaftConfig, _nodes: u32) -> Result<(), ConfigIssue> {
        if c.election_timeout_max < c.election_timeout_min {
            return Err(ConfigIssue {
                field: "election_timeout_max_ms",
                message: format!(
                    "election_timeout_max_ms = {} is below election_timeout_min_ms = {}",
                    c.election_timeout_max.ms_text(),
                    c.election_timeout_min.ms_text()
                ),
            });
        }
        if c.heartbeat >= c.election_timeout_min {
            return Err(ConfigIssue {
                field: "heartbeat_ms",
                message: format!(
                    "heartbeat_ms = {} must be below election_timeout_min_ms = {}, or followers time out between heartbeats",
                    c.heartbeat.ms_text(),
                    c.election_timeout_min.ms_text()
                ),
            });
        }
        Ok(())
    }

    fn init(me: NodeId, peers: &[NodeId], cx: &mut Context<'_, Self>) -> RaftNode {
        let node = RaftNode::new(me, peers);
        node.reset_election_timer(cx);
        node
    }

    fn on_message(s: &mut RaftNode, from: NodeId, msg: Msg, cx: &mut Context<'_, Self>) {
        if msg.term() > s.term {
            s.adopt_term(msg.term(), cx);
        }
        match msg {
            Msg::RequestVote { term, last_log_index, last_log_term } => {
                s.on_request_vote(from, term, last_log_index, last_log_term, cx)
            }
            Msg::RequestVoteResponse { term, granted } => s.on_vote(from, term, granted, cx),
            Msg::AppendEntries { term, prev_log_index, prev_log_term, entries, leader_commit } => {
                s.on_append_entries(from, term, prev_log_index, prev_log_term, entries, leader_commit, cx)
            }
            Msg::AppendEntriesResponse { term, success, match_index, conflict_index } => {
                s.on_append_response(from, term, success, match_index, conflict_index, cx)
            }
        }
    }

    fn on_timer(s: &mut RaftNode, timer: Timer, cx: &mut Context<'_, Self>) {
        match timer {
            Timer::Election => {
                if s.role != Role::Leader {
                    s.start_election(cx);
                }
            }
            Timer::Heartbeat => {
                if s.role == Role::Leader {
                    s.broadcast_append(cx);
                    cx.set_timer(Timer::Heartbeat, cx.config().heartbeat);
                }
            }
            Timer::VoteRetry => {
                if s.role == Role::Candidate {
                    s.ask_for_votes(cx);
                }
            }
        }
    }

    fn on_request(s: &mut RaftNode, id: RequestId, op: Op, cx: &mut Context<'_, Self>) {
        if s.role != Role::Leader {
            cx.reply(id, Reply::Redirect(s.leader));
            return;
        }
        s.log.append(Entry { term: s.term, op });
        let last = s.log.last_index();
        s.match_index[s.me.index()] = last;
        s.pending.insert(last, id);
        for k in 0..s.peers.len() {
            let peer = s.peers[k];
            if s.awaiting & bit(peer) == 0 {
                s.send_append(peer, cx);
            }
        }
        s.advance_commit(cx);
    }

    fn durable(s: &RaftNode, c: &RaftConfig) -> RaftDurable {
        RaftDurable {
            term: s.term,
            voted_for: if c.break_vote_persistence { None } else { s.voted_for },
            log: s.log.clone(),
        }
    }

    fn on_restart(me: NodeId, peers: &[NodeId], d: RaftDurable, cx: &mut Context<'_, Self>) -> RaftNode {
        let mut node = RaftNode::new(me, peers);
        node.term = d.term;
        node.voted_for = d.voted_for;
        node.log = d.log;
        // The monitor compares a returning log with everyone's again.
        node.log.mark_all_changed();
        node.reset_election_timer(cx);
        node
    }

    fn parse_request(text: &str) -> Result<Op, crate::text::Text> {
        Op::parse(text)
    }

    fn new_monitor(_config: &RaftConfig, nodes: usize) -> monitor::RaftMonitor {
        monitor::RaftMonitor::new(nodes)
    }

    fn check(
        m: &mut monitor::RaftMonitor,
        cluster: &dyn crate::protocol::Cluster<Self>,
        touched: NodeId,
        _ghosts: &[()],
        now: Micros,
        out: &mut Vec<crate::view::Violation>,
    ) {
        m.check(cluster, touched, now, out);
    }

    fn role(s: &RaftNode) -> Role {
        s.role
    }

    fn node_view(s: &RaftNode, _c: &RaftConfig) -> ProtocolNodeView {
        let mut fields = vec![
            Field { name: "term", value: Value::from(s.term.0) },
            Field { name: "voted_for", value: Value::from(s.voted_for.map(|v| v.to_string())) },
            Field { name: "commit_index", value: Value::from(s.commit_index.0) },
            Field { name: "last_applied", value: Value::from(s.last_applied.0) },
            Field { name: "log_length", value: Value::from(s.log.last_index().0) },
            Field { name: "leader", value: Value::from(s.leader.map(|l| l.to_string())) },
        ];
        if s.role == Role::Candidate {
            fields.push(Field { name: "votes", value: Value::from(u64::from(s.votes.count_ones())) });
        }
        if s.role == Role::Leader {
            let m: Vec<String> = s.peers.iter().map(|p| format!("{p}:{}", s.match_index[p.index()].0)).collect();
            fields.push(Field { name: "match_index", value: Value::from(m.join(" ")) });
        }
        ProtocolNodeView {
            role: s.role.key(),
            headline: crate::text::Text::new(format!("term {}", s.term.0), format!("任期 {}", s.term.0)),
            fields,
            log: log_view(&s.log, s.commit_index),
            store: s.store.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            store_title: None,
        }
    }

    fn durable_view(d: &RaftDurable, _c: &<Self as Protocol>::Config) -> ProtocolNodeView {
        ProtocolNodeView {
            role: crate::view::CRASHED,
            headline: crate::text::Text::new(format!("term {}", d.term.0), format!("任期 {}", d.term.0)),
            fields: vec![
                Field { name: "term", value: Value::from(d.term.0) },
                Field { name: "voted_for", value: Value::from(d.voted_for.map(|v| v.to_string())) },
                Field { name: "log_length", value: Value::from(d.log.last_index().0) },
            ],
            log: log_view(&d.log, LogIndex(0)),
            store: Vec::new(),
            store_title: None,
        }
    }

    fn message_view(msg: &Msg) -> MessageView {
        let kind = Msg::KINDS[msg.kind() as usize];
        match msg {
            Msg::RequestVote { term, last_log_index, last_log_term } => MessageView {
                kind,
                summary: format!("RequestVote term {term}, last entry {last_log_index} (term {last_log_term})"),
                fields: vec![
                    Field { name: "term", value: Value::from(term.0) },
                    Field { name: "last_log_index", value: Value::from(last_log_index.0) },
                    Field { name: "last_log_term", value: Value::from(last_log_term.0) },
                ],
                tag: None,
            },
            Msg::RequestVoteResponse { term, granted } => MessageView {
                kind,
                summary: format!("vote {} in term {term}", if *granted { "granted" } else { "refused" }),
                fields: vec![
                    Field { name: "term", value: Value::from(term.0) },
                    Field { name: "granted", value: Value::from(if *granted { "yes" } else { "no" }) },
                ],
                tag: None,
            },
            Msg::AppendEntries { term, prev_log_index, prev_log_term, entries, leader_commit } => {
                let what = if entries.is_empty() {
                    "heartbeat".to_string()
                } else {
                    let ops: Vec<String> = entries.iter().take(3).map(|e| e.op.to_string()).collect();
                    let more = if entries.len() > 3 { ", …" } else { "" };
                    format!("{} entries [{}{more}]", entries.len(), ops.join(", "))
                };
                MessageView {
                    kind,
                    summary: format!(
                        "AppendEntries term {term}, after {prev_log_index}/{prev_log_term}: {what}, commit {leader_commit}"
                    ),
                    fields: vec![
                        Field { name: "term", value: Value::from(term.0) },
                        Field { name: "prev_log_index", value: Value::from(prev_log_index.0) },
                        Field { name: "prev_log_term", value: Value::from(prev_log_term.0) },
                        Field { name: "entries", value: Value::from(entries.len() as u64) },
                        Field { name: "leader_commit", value: Value::from(leader_commit.0) },
                    ],
                    tag: None,
                }
            }
            Msg::AppendEntriesResponse { term, success, match_index, conflict_index } => MessageView {
                kind,
                summary: if *success {
                    format!("append ok in term {term}, match {match_index}")
                } else {
                    format!("append refused in term {term}, retry from {conflict_index}")
                },
                fields: vec![
                    Field { name: "term", value: Value::from(term.0) },
                    Field { name: "success", value: Value::from(if *success { "yes" } else { "no" }) },
                    Field { name: "match_index", value: Value::from(match_index.0) },
                    Field { name: "conflict_index", value: Value::from(conflict_index.0) },
                ],
                tag: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Effects;
    use crate::rng::{Domain, Rng};

    #[test]
    fn a_late_append_entries_never_lowers_the_commit_index() {
        // Figure 2: commitIndex increases monotonically.
        let config = RaftConfig::default();
        let mut node = RaftNode::new(NodeId(2), &[NodeId(1), NodeId(3)]);
        node.term = Term(1);
        let key = Key::parse("x").unwrap();
        for v in 0..6 {
            node.log.append(Entry { term: Term(1), op: Op::Set { key, value: v } });
        }
        node.commit_index = LogIndex(6);
        node.last_applied = LogIndex(6);
        let mut rng = Rng::stream(1, Domain::Node, 2);
        let mut fx = Effects::<Raft>::default();
        let mut cx = Context::new(NodeId(2), Micros(0), &mut rng, &mut fx, &config);
        let stale = Msg::AppendEntries {
            term: Term(1),
            prev_log_index: LogIndex(2),
            prev_log_term: Term(1),
            entries: node.log.entries_from(LogIndex(3), 2),
            leader_commit: LogIndex(10),
        };
        Raft::on_message(&mut node, NodeId(1), stale, &mut cx);
        assert_eq!(node.commit_index, LogIndex(6));
        assert_eq!(node.log.last_index(), LogIndex(6), "matching entries are kept, not truncated");
    }
}
