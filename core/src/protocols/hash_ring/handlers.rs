//! What a node does on a message, a tick, a client request and a membership change.

use super::config::{MAX_HOPS, MAX_WAITING};
use super::membership::Membership;
use super::messages::{Answer, Ask, Entry, Msg, Op, Timer};
use super::node::{Batch, COPY, Ghost, INCOMING, RingNode, SENT, WAITING};
use super::{HashRing, node_list};
use crate::ids::{NodeId, RequestId};
use crate::protocol::{Context, Obs, Reply};
use crate::time::Micros;
use crate::view::Value;
use std::rc::Rc;

pub(super) fn ensure_tick(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.tick_armed {
        s.tick_armed = true;
        let period = (s.p.timeout.min(s.p.resend).0 / 2).max(1_000);
        cx.set_timer(Timer::Tick, Micros(period));
    }
}

pub(super) fn ensure_send(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.send_armed && !s.queue.is_empty() {
        s.send_armed = true;
        cx.set_timer(Timer::Send, Micros(s.p.per_key.max(1)));
    }
}

/// Learns a newer membership and works out what to send, expect and drop.
pub(super) fn adopt(s: &mut RingNode, new: &Rc<Membership>, cx: &mut Context<'_, HashRing>) {
    if new.epoch <= s.view.epoch {
        return;
    }
    let old = std::mem::replace(&mut s.view, Rc::clone(new));
    let me = s.me;
    for k in 0..s.p.keys {
        let (ol, nl) = (old.replicas(k), new.replicas(k));
        let (Some(&op), Some(&np)) = (ol.first(), nl.first()) else { continue };
        let held = s.entry(k).version > 0;
        let f = s.flag(k);
        if cx.config().break_switch_before_transfer {
            if held && !nl.contains(&me) {
                s.drop_key(k);
            }
            continue;
        }
        if op == me && np != me {
            if held && f & INCOMING == 0 {
                s.queue.push_back((np, k, true));
                s.set_flags(k, f | WAITING);
            }
        } else if np == me && op != me {
            s.set_flags(k, f | INCOMING);
        } else if np == me && f & INCOMING == 0 {
            for &r in &nl[1..] {
                if r != me && !ol.contains(&r) {
                    s.queue.push_back((r, k, false));
                }
            }
        } else if np != me && nl.contains(&me) && !ol.contains(&me) {
            s.set_flags(k, f | COPY);
        }
        if held && !nl.contains(&me) && op != me && s.flag(k) & (WAITING | SENT) == 0 {
            s.drop_key(k);
        }
    }
    s.prev = Some(old);
    if s.is_coordinator() {
        s.heard.clear();
        s.done.clear();
        s.heard.insert(me);
        s.last_resend = cx.now();
        s.last_slow_resend = cx.now();
        ensure_tick(s, cx);
    }
    cx.observe("epoch", Obs::Int(i64::from(new.epoch)));
    // Requests held for keys this node no longer waits for go where they now belong.
    let held_asks = std::mem::take(&mut s.waiting);
    for ask in held_asks {
        serve(s, ask, cx);
    }
}

pub(super) fn answer(s: &mut RingNode, ask: &Ask, a: Answer, cx: &mut Context<'_, HashRing>) {
    answer_to(s, (ask.gateway, ask.id), ask.key, a, cx);
}

/// Answers request `id` about `key` at its gateway (here, or by message).
pub(super) fn answer_to(
    s: &mut RingNode,
    (gateway, id): (NodeId, RequestId),
    key: u32,
    a: Answer,
    cx: &mut Context<'_, HashRing>,
) {
    if gateway == s.me {
        on_answer(s, id, key, a, cx);
    } else {
        cx.send(gateway, Msg::Answer { id, key, answer: a });
    }
}

/// Sends a request to a node, or serves it here.
pub(super) fn route(s: &mut RingNode, to: NodeId, ask: Ask, cx: &mut Context<'_, HashRing>) {
    if to == s.me {
        serve(s, ask, cx);
    } else {
        let view = Rc::clone(&s.view);
        let msg = match ask.op {
            Op::Get => Msg::Get { ask, view },
            Op::Put(_) => Msg::Put { ask, view },
        };
        cx.send(to, msg);
    }
}

/// A request reached this node: serve, hold, or forward it.
pub(super) fn serve(s: &mut RingNode, ask: Ask, cx: &mut Context<'_, HashRing>) {
    let k = ask.key;
    let me = s.me;
    let list = s.view.replicas(k).to_vec();
    let Some(&np) = list.first() else { return };
    let f = s.flag(k);
    let acting = if cx.config().break_switch_before_transfer {
        np == me
    } else {
        (np == me && f & INCOMING == 0) || f & WAITING != 0
    };
    if acting {
        let e = s.entry(k);
        match ask.op {
            Op::Get => {
                cx.ghost(Ghost::Served { key: k, version: e.version, write: false });
                answer(s, &ask, Answer::Value { version: e.version, value: e.value, replica: false }, cx);
            }
            Op::Put(value) => {
                let entry = Entry { version: e.version + 1, value };
                s.put_entry(k, entry);
                cx.ghost(Ghost::Served { key: k, version: entry.version, write: true });
                // The copies of both the current and the previous membership
                // get the write: while keys move, a node of either may still
                // serve it. (Narrowing this to keys whose handoff is pending
                // lost writes in the swarm; see the closing note.)
                let mut targets: Vec<NodeId> = list.clone();
                if let Some(prev) = &s.prev {
                    targets.extend_from_slice(prev.replicas(k));
                }
                targets.sort_unstable();
                targets.dedup();
                targets.retain(|&n| n != me);
                if targets.is_empty() {
                    answer(s, &ask, Answer::Written { version: entry.version }, cx);
                } else {
                    let origin = (ask.gateway, ask.id);
                    for &t in &targets {
                        let view = Rc::clone(&s.view);
                        cx.send(t, Msg::Replicate { key: k, entry, origin, view });
                    }
                    s.writes.insert(origin, (k, entry.version, targets));
                }
            }
        }
    } else if np == me {
        // Waiting for the key's handoff.
        if s.waiting.len() < MAX_WAITING {
            s.waiting.push(ask);
            cx.observe("held_for_key", Obs::Int(i64::from(k)));
        }
    } else if ask.replica && ask.op == Op::Get {
        let e = s.entry(k);
        if e.version > 0 && f & (INCOMING | COPY) == 0 && list.contains(&me) {
            cx.ghost(Ghost::Served { key: k, version: e.version, write: false });
            answer(s, &ask, Answer::Value { version: e.version, value: e.value, replica: true }, cx);
        } else {
            answer(s, &ask, Answer::NotHere, cx);
        }
    } else if ask.hops >= MAX_HOPS {
        answer(s, &ask, Answer::Lost, cx);
    } else {
        // Not the owner (any more): forward to the owner.
        cx.observe("forwarded", Obs::Int(i64::from(k)));
        route(s, np, Ask { hops: ask.hops + 1, ..ask }, cx);
    }
}

pub(super) fn on_answer(s: &mut RingNode, id: RequestId, key: u32, a: Answer, cx: &mut Context<'_, HashRing>) {
    let Some(p) = s.pending.get(&id).copied() else { return };
    if p.key != key {
        return;
    }
    match a {
        Answer::Value { version, value, replica } => {
            s.pending.remove(&id);
            s.answered += 1;
            let from = if replica { ", from a replica" } else { "" };
            let text = if version == 0 {
                format!("k{key} not found")
            } else {
                format!("k{key} = {value} (version {version}{from})")
            };
            cx.reply(id, Reply::Ok(Value::Text(text)));
        }
        Answer::Written { version } => {
            s.pending.remove(&id);
            s.answered += 1;
            cx.ghost(Ghost::Acked { key, version });
            cx.observe("acked", Obs::Int(i64::from(key)));
            cx.reply(id, Reply::Ok(Value::Text(format!("k{key} written as version {version}"))));
        }
        Answer::NotHere => try_next(s, id, cx),
        Answer::Lost => {
            s.pending.remove(&id);
            s.failed += 1;
            cx.reply(
                id,
                Reply::Failed(format!("k{key}: the request was forwarded {MAX_HOPS} times without finding its owner")),
            );
        }
    }
}

/// The read's current node did not answer or does not hold the key: the
/// next replica, or give up.
pub(super) fn try_next(s: &mut RingNode, id: RequestId, cx: &mut Context<'_, HashRing>) {
    let Some(mut p) = s.pending.get(&id).copied() else { return };
    let list = s.view.replicas(p.key).to_vec();
    let key = p.key;
    match p.op {
        Op::Put(_) => {
            s.pending.remove(&id);
            s.failed += 1;
            let owner = list.first().map_or_else(|| "?".to_string(), |n| n.to_string());
            cx.reply(
                id,
                Reply::Failed(format!(
                    "k{key}: no answer from its primary {owner} and replicas in time; a write needs every copy (it may \
                     or may not have been applied)"
                )),
            );
        }
        Op::Get => {
            p.tried += 1;
            match list.get(p.tried) {
                Some(&next) => {
                    p.deadline = cx.now().saturating_add(s.p.timeout);
                    s.pending.insert(id, p);
                    let ask = Ask { id, gateway: s.me, key, op: Op::Get, hops: 0, replica: true };
                    route(s, next, ask, cx);
                }
                None => {
                    s.pending.remove(&id);
                    s.failed += 1;
                    cx.reply(id, Reply::Failed(format!("k{key}: none of its {} copies answered", list.len())));
                }
            }
        }
    }
}

pub(super) fn send_batch(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    s.send_armed = false;
    let Some(&(dest, _, _)) = s.queue.front() else { return };
    let mut keys: Vec<(u32, bool)> = Vec::new();
    let batch = s.p.batch;
    s.queue.retain(|&(to, k, handoff)| {
        if to == dest && keys.len() < batch {
            keys.push((k, handoff));
            false
        } else {
            true
        }
    });
    let mut entries = Vec::with_capacity(keys.len());
    for &(k, handoff) in &keys {
        entries.push((k, s.entry(k), handoff));
        if handoff {
            let f = s.flag(k);
            s.set_flags(k, (f & !WAITING) | SENT);
        }
    }
    let id = s.next_batch;
    s.next_batch += 1;
    let n = keys.len() as u64;
    s.unacked.insert(id, Batch { to: dest, keys, sent_at: cx.now() });
    let view = Rc::clone(&s.view);
    cx.send(dest, Msg::Transfer { batch: id, entries, view });
    if !s.queue.is_empty() {
        s.send_armed = true;
        cx.set_timer(Timer::Send, Micros(s.p.per_key.saturating_mul(n).max(1)));
    }
    ensure_tick(s, cx);
}

pub(super) fn on_transfer(
    s: &mut RingNode,
    from: NodeId,
    batch: u64,
    epoch: u32,
    entries: Vec<(u32, Entry, bool)>,
    cx: &mut Context<'_, HashRing>,
) {
    let me = s.me;
    let mut arrived = Vec::new();
    if epoch != s.view.epoch {
        // From an earlier membership (a late duplicate): every batch of a
        // change is confirmed before the next change starts, so this one
        // was, and its keys may have moved on since.
        cx.send(from, Msg::TransferAck { batch });
        return;
    }
    for (k, e, handoff) in entries {
        let list = s.view.replicas(k);
        let f = s.flag(k);
        if e.version > s.entry(k).version && (list.contains(&me) || f & INCOMING != 0) {
            s.put_entry(k, e);
        }
        if !handoff && f & COPY != 0 {
            s.set_flags(k, f & !COPY);
        }
        if handoff && f & INCOMING != 0 {
            s.set_flags(k, f & !INCOMING);
            arrived.push(k);
            // The copies this node owes as the new primary.
            let new_list = s.view.replicas(k).to_vec();
            let old_list = s.prev.as_ref().map(|p| p.replicas(k).to_vec()).unwrap_or_default();
            for r in new_list.into_iter().skip(1) {
                if r != me && !old_list.contains(&r) {
                    s.queue.push_back((r, k, false));
                }
            }
        }
    }
    cx.send(from, Msg::TransferAck { batch });
    if !arrived.is_empty() {
        cx.observe("received", Obs::Int(arrived.len() as i64));
        let (ready, still): (Vec<Ask>, Vec<Ask>) =
            std::mem::take(&mut s.waiting).into_iter().partition(|a| arrived.contains(&a.key));
        s.waiting = still;
        for ask in ready {
            serve(s, ask, cx);
        }
    }
    ensure_send(s, cx);
}

pub(super) fn on_tick(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    s.tick_armed = false;
    let now = cx.now();
    let late: Vec<RequestId> = s.pending.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| *id).collect();
    for id in late {
        try_next(s, id, cx);
    }
    let resend = s.p.resend;
    let again: Vec<u64> =
        s.unacked.iter().filter(|(_, b)| now.saturating_sub(b.sent_at) >= resend).map(|(id, _)| *id).collect();
    for id in again {
        let Some(b) = s.unacked.get_mut(&id) else { continue };
        b.sent_at = now;
        let (to, keys) = (b.to, b.keys.clone());
        let entries = keys.iter().map(|&(k, h)| (k, s.entry(k), h)).collect();
        let view = Rc::clone(&s.view);
        cx.send(to, Msg::Transfer { batch: id, entries, view });
    }
    let mut more = !s.pending.is_empty() || !s.unacked.is_empty();
    if s.is_coordinator() {
        let fast = now.saturating_sub(s.last_resend) >= resend;
        let slow = now.saturating_sub(s.last_slow_resend) >= Micros(resend.0.saturating_mul(4));
        if fast {
            s.last_resend = now;
        }
        if slow {
            s.last_slow_resend = now;
        }
        let old = s.prev.as_ref().map(|p| p.members.clone()).unwrap_or_default();
        for i in 0..s.p.nodes as usize {
            let n = NodeId::from_index(i);
            if n == s.me {
                continue;
            }
            let involved = s.view.has(n) || old.contains(&n);
            if (fast && !s.heard.contains(&n)) || (slow && involved && !s.done.contains(&n)) {
                cx.send(n, Msg::Members { view: Rc::clone(&s.view) });
            }
        }
        more |= !s.settled() || (0..s.p.nodes as usize).any(|i| !s.heard.contains(&NodeId::from_index(i)));
    }
    if more {
        ensure_tick(s, cx);
    }
}

/// After every handler: report being done, keep the timers going.
pub(super) fn after(s: &mut RingNode, cx: &mut Context<'_, HashRing>) {
    if !s.busy() && s.done_reported < s.view.epoch {
        s.done_reported = s.view.epoch;
        if s.is_coordinator() {
            s.done.insert(s.me);
        } else if s.view.has(s.me) || s.prev.as_ref().is_some_and(|p| p.has(s.me)) {
            let epoch = s.view.epoch;
            let to = s.view.coordinator();
            cx.send(to, Msg::Status { epoch, done: true });
        }
        if s.view.epoch > 1 {
            cx.observe("done", Obs::Int(i64::from(s.view.epoch)));
        }
    }
    if s.is_coordinator() && s.settled() && s.settled_reported < s.view.epoch {
        // Every node of the old and new membership is done.
        s.settled_reported = s.view.epoch;
        cx.observe("rebalanced", Obs::Int(i64::from(s.view.epoch)));
    }
    ensure_send(s, cx);
    if !s.pending.is_empty() || !s.unacked.is_empty() {
        ensure_tick(s, cx);
    }
}

pub(super) fn change_membership(s: &mut RingNode, id: RequestId, join: bool, n: u32, cx: &mut Context<'_, HashRing>) {
    let coordinator = s.view.coordinator();
    if s.me != coordinator {
        cx.reply(id, Reply::Redirect(Some(coordinator)));
        return;
    }
    let node = NodeId(n);
    let fail = |cx: &mut Context<'_, HashRing>, why: String| cx.reply(id, Reply::Failed(why));
    if n == 0 || n > s.p.nodes {
        return fail(cx, format!("there is no node {n}: the nodes are S1 to S{}", s.p.nodes));
    }
    if join && s.view.has(node) {
        return fail(cx, format!("{node} is already in the ring"));
    }
    if !join && !s.view.has(node) {
        return fail(cx, format!("{node} is not in the ring"));
    }
    if join && !s.heard.contains(&node) {
        // A node that missed a membership would work out its duties from
        // the wrong one; it joins once it knows the current one.
        return fail(
            cx,
            format!(
                "{node} has not confirmed epoch {} yet (it may be down or cut off); try again when it has",
                s.view.epoch
            ),
        );
    }
    if !join && node == s.me {
        return fail(cx, format!("{node} coordinates the membership and cannot leave"));
    }
    if !join && s.view.members.len() <= s.p.r.max(1) {
        return fail(cx, format!("with {} copies of each key the ring needs at least {} members", s.p.r, s.p.r.max(1)));
    }
    if !s.settled() {
        let old = s.prev.as_ref().map(|p| p.members.clone()).unwrap_or_default();
        let mut left: Vec<NodeId> =
            s.view.members.iter().chain(&old).copied().filter(|m| !s.done.contains(m)).collect();
        left.sort_unstable();
        left.dedup();
        return fail(
            cx,
            format!(
                "epoch {} is still rebalancing ({} not done yet); try again when it is done",
                s.view.epoch,
                node_list(&left)
            ),
        );
    }
    let mut members = s.view.members.clone();
    if join {
        members.push(node);
        members.sort_unstable();
    } else {
        members.retain(|&m| m != node);
    }
    let next = Rc::new(Membership::new(cx.config(), &s.p, s.view.epoch + 1, members, Some(&s.view), true));
    adopt(s, &next, cx);
    for i in 0..s.p.nodes as usize {
        let n = NodeId::from_index(i);
        if n != s.me {
            cx.send(n, Msg::Members { view: Rc::clone(&next) });
        }
    }
    cx.reply(id, Reply::Ok(Value::Text(format!("epoch {}: members {}", next.epoch, node_list(&next.members)))));
}

/// `k7` (or `7`) is key 7; `any` lets the gateway pick.
pub(super) fn parse_key(word: &str) -> Option<Option<u32>> {
    if word == "any" {
        return Some(None);
    }
    word.strip_prefix('k').unwrap_or(word).parse().ok().map(Some)
}

pub(super) fn parse_node(word: &str) -> Option<u32> {
    word.strip_prefix('S').or_else(|| word.strip_prefix('s')).unwrap_or(word).parse().ok()
}
