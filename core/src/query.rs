//! Questions the lab asks of a stored trace: what happened to one message,
//! which messages crossed a time window and what else happened in it,
//! which messages were lost just before the cursor, and how many events a
//! record comes after. The space-time diagram, the inspector, the cluster
//! and seeking each used to scan the trace on their own; they ask here.
//!
//! Every query is bounded: it looks at most a fixed number of records back
//! from the cursor, so a long run costs the same per frame as a short one.

use crate::ids::{MsgId, NodeId};
use crate::time::Micros;
use crate::trace::{RecordKind, Records};
use std::collections::BTreeMap;

/// Where a message ended up, as far as the trace up to the cursor knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Not yet delivered or lost.
    InFlight,
    /// Delivered at this time.
    Delivered(Micros),
    /// Lost (dropped, or undeliverable when it arrived) at this time.
    Lost(Micros),
}

/// One message's life up to the cursor.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The message.
    pub id: MsgId,
    /// Its kind, as an index into the protocol's message kinds.
    pub kind: u8,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When it was sent.
    pub sent: Micros,
    /// When the network scheduled it to arrive (never before `sent`).
    pub due: Micros,
    /// What became of it.
    pub fate: Fate,
    /// The index of the record that says so (delivery or loss).
    pub fate_record: Option<usize>,
    /// Whether its fate came in a later event than its send, so there was
    /// a moment when it was in flight (a message the network lost on
    /// sending never was).
    pub was_in_flight: bool,
}

/// How far back [`message`] looks for a message's send.
pub const MESSAGE_LOOK_BACK: usize = 200_000;

/// The history of message `id` in the records before `end` (a cursor
/// position from [`Records::upto`]), or `None` if it was not sent in the
/// last [`MESSAGE_LOOK_BACK`] records.
pub fn message(records: &Records, id: MsgId, end: usize) -> Option<History> {
    let end = end.min(records.len());
    let mut fate = (Fate::InFlight, None);
    for i in (end.saturating_sub(MESSAGE_LOOK_BACK)..end).rev() {
        let r = records.get(i)?;
        match r.kind {
            RecordKind::Deliver { msg, .. } if msg == id => fate = (Fate::Delivered(r.time), Some(i)),
            RecordKind::Drop { msg, .. } | RecordKind::Undeliverable { msg, .. } if msg == id => {
                fate = (Fate::Lost(r.time), Some(i))
            }
            RecordKind::Send { msg, from, to, kind, deliver_at, .. } if msg == id => {
                let was_in_flight =
                    fate.1.is_some_and(|f| records.iter_from(i + 1).take(f - i).any(|r| r.kind.is_head()));
                return Some(History {
                    id,
                    kind,
                    from,
                    to,
                    sent: r.time,
                    due: deliver_at.max(r.time),
                    fate: fate.0,
                    fate_record: fate.1,
                    was_in_flight,
                });
            }
            _ => {}
        }
    }
    None
}

/// Something other than a message that the space-time diagram marks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A node crashed.
    Crash(NodeId, Micros),
    /// A node restarted.
    Restart(NodeId, Micros),
    /// A node paused from the first time until the second.
    Pause(NodeId, Micros, Micros),
    /// The network changed: the command's verb (`partition`, `cut`, ...).
    Network(&'static str, Micros),
}

/// What crossed a window of time: the messages in it and the marks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// Messages sent, delivered or lost in the window, or in flight at its
    /// end, oldest first (at most the `max_messages` newest).
    pub messages: Vec<History>,
    /// Crashes, restarts, pauses and network changes in the window.
    pub marks: Vec<Mark>,
}

/// The messages and marks of the window `from..=now`, from the records
/// before the cursor at `now`. A message sent up to one more window before
/// `from` still shows if it arrives in the window. At most `max_scan`
/// records are read.
pub fn window(records: &Records, from: Micros, now: Micros, max_scan: usize, max_messages: usize) -> Window {
    let end = records.upto(now);
    let span = now.0.saturating_sub(from.0);
    let start = records.upto(Micros(from.0.saturating_sub(span))).max(end.saturating_sub(max_scan));
    let mut messages: BTreeMap<MsgId, History> = BTreeMap::new();
    let mut marks = Vec::new();
    for r in records.iter_from(start).take(end - start) {
        let t = r.time;
        match r.kind {
            RecordKind::Send { msg, from, to, kind, deliver_at, .. } => {
                messages.insert(
                    msg,
                    History {
                        id: msg,
                        kind,
                        from,
                        to,
                        sent: t,
                        due: deliver_at.max(t),
                        fate: Fate::InFlight,
                        fate_record: None,
                        was_in_flight: false,
                    },
                );
            }
            RecordKind::Deliver { msg, .. } => {
                if let Some(m) = messages.get_mut(&msg) {
                    m.fate = Fate::Delivered(t);
                }
            }
            RecordKind::Drop { msg, .. } | RecordKind::Undeliverable { msg, .. } => {
                if let Some(m) = messages.get_mut(&msg) {
                    m.fate = Fate::Lost(t);
                }
            }
            RecordKind::Crash { node } if t >= from => marks.push(Mark::Crash(node, t)),
            RecordKind::Restart { node } if t >= from => marks.push(Mark::Restart(node, t)),
            RecordKind::Pause { node, until } if until >= from => marks.push(Mark::Pause(node, t, until)),
            RecordKind::Command { verb, .. }
                if t >= from && matches!(verb, "partition" | "isolate" | "cut" | "heal" | "heal_link") =>
            {
                marks.push(Mark::Network(verb, t))
            }
            _ => {}
        }
    }
    let mut messages: Vec<History> = messages
        .into_values()
        .filter(|m| match m.fate {
            Fate::Delivered(d) | Fate::Lost(d) => d >= from,
            Fate::InFlight => true,
        })
        .collect();
    if messages.len() > max_messages {
        messages.drain(..messages.len() - max_messages);
    }
    Window { messages, marks }
}

/// A message lost shortly before the cursor.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When.
    pub at: Micros,
    /// Lost on its way out (dropped) rather than on arrival (undeliverable).
    pub dropped: bool,
}

/// The newest `max` messages lost in `now - window ..= now`, newest first,
/// reading at most 4096 records back from the cursor.
pub fn recent_losses(records: &Records, now: Micros, window: Micros, max: usize) -> Vec<Loss> {
    let end = records.upto(now);
    let from = now.0.saturating_sub(window.0);
    let mut out = Vec::new();
    for i in (end.saturating_sub(4096)..end).rev() {
        let Some(r) = records.get(i) else { break };
        if r.time.0 < from || out.len() >= max {
            break;
        }
        match r.kind {
            RecordKind::Drop { from, to, .. } => out.push(Loss { from, to, at: r.time, dropped: true }),
            RecordKind::Undeliverable { from, to, .. } => out.push(Loss { from, to, at: r.time, dropped: false }),
            _ => {}
        }
    }
    out
}

/// Where to seek to stand just before the event that wrote record `index`:
/// its time and the number of events before that event. Reads the trace
/// from the start, once.
pub fn before_record(records: &Records, index: usize) -> Option<(Micros, u64)> {
    let target = records.get(index)?;
    let heads = records.iter_from(0).take(index).filter(|r| r.kind.is_head()).count() as u64;
    // A record that is not an event's head belongs to the event that began
    // at the last head before it.
    let events = if target.kind.is_head() { heads } else { heads.saturating_sub(1) };
    Some((target.time, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::scenario::{Source, StartOptions, load};
    use crate::sim::Sim;

    /// Raft, five nodes, with a crash and a cut, run for a while.
    fn run(ms: u64, commands: &[Command]) -> Box<dyn Sim> {
        let text = "protocol = \"raft\"\nseed = 7\nduration_ms = 5000\n";
        let s = load(Source { name: "q.toml", text }).unwrap();
        let mut sim = s.start(None, StartOptions::default()).unwrap();
        sim.run_until(Micros::from_ms(ms / 2)).unwrap();
        for c in commands {
            sim.apply(c.clone()).unwrap();
        }
        sim.run_until(Micros::from_ms(ms)).unwrap();
        sim
    }

    #[test]
    fn a_message_history_agrees_with_the_records() {
        let sim = run(600, &[]);
        let records = sim.trace().records();
        let end = records.upto(sim.now());
        // The first message sent: delivered, and it was in flight.
        let (i, first) = records
            .iter()
            .enumerate()
            .find_map(|(i, r)| match r.kind {
                RecordKind::Send { msg, .. } => Some((i, msg)),
                _ => None,
            })
            .unwrap();
        let h = message(records, first, end).unwrap();
        assert_eq!(h.sent, records.get(i).unwrap().time);
        let Fate::Delivered(at) = h.fate else { panic!("{h:?}") };
        let f = h.fate_record.unwrap();
        assert!(matches!(records.get(f).unwrap().kind, RecordKind::Deliver { msg, .. } if msg == first));
        assert_eq!(records.get(f).unwrap().time, at);
        assert!(h.was_in_flight && at >= h.sent && h.due >= h.sent);
        // Before its delivery the same message is in flight.
        let h = message(records, first, f).unwrap();
        assert_eq!((h.fate, h.fate_record), (Fate::InFlight, None));
        // An id never sent has no history.
        assert_eq!(message(records, MsgId(u64::MAX), end), None);
    }

    #[test]
    fn a_window_holds_what_crossed_it_and_the_marks() {
        let cut = Command::Cut { from: NodeId(1), to: NodeId(2), both: true };
        let sim = run(800, &[Command::Crash { node: NodeId(3).into() }, cut]);
        let records = sim.trace().records();
        let (from, now) = (Micros::from_ms(300), sim.now());
        let w = window(records, from, now, usize::MAX, usize::MAX);
        assert!(w.marks.iter().any(|m| matches!(m, Mark::Crash(NodeId(3), t) if *t >= from)), "{:?}", w.marks);
        assert!(w.marks.iter().any(|m| matches!(m, Mark::Network("cut", _))), "{:?}", w.marks);
        // A window that ends before the crash has none of it.
        let early = window(records, Micros::from_ms(100), Micros::from_ms(200), usize::MAX, usize::MAX);
        assert!(early.marks.is_empty(), "{:?}", early.marks);
        assert!(!w.messages.is_empty());
        for m in &w.messages {
            match m.fate {
                Fate::Delivered(t) | Fate::Lost(t) => assert!(t >= from && t <= now, "{m:?}"),
                Fate::InFlight => assert!(m.due >= m.sent),
            }
        }
        assert!(w.messages.windows(2).all(|p| p[0].id < p[1].id));
        // Every message the window says was delivered in it, was.
        let delivered = |id: MsgId| {
            records.iter().any(|r| matches!(r.kind, RecordKind::Deliver { msg, .. } if msg == id) && r.time >= from)
        };
        assert!(w.messages.iter().filter(|m| matches!(m.fate, Fate::Delivered(_))).all(|m| delivered(m.id)));
        // The caps hold.
        let small = window(records, from, now, usize::MAX, 3);
        assert_eq!(small.messages, w.messages[w.messages.len() - 3..]);
    }

    #[test]
    fn recent_losses_are_newest_first_and_bounded() {
        let cut = Command::Isolate { node: NodeId(1).into() };
        let sim = run(800, &[cut]);
        let records = sim.trace().records();
        let now = sim.now();
        let all = recent_losses(records, now, Micros::from_ms(400), usize::MAX);
        assert!(!all.is_empty(), "isolating a node loses messages");
        assert!(all.windows(2).all(|p| p[0].at >= p[1].at));
        assert!(all.iter().all(|l| l.at.0 + 400_000 >= now.0 && (l.from == NodeId(1) || l.to == NodeId(1))));
        assert_eq!(recent_losses(records, now, Micros::from_ms(400), 2), all[..2]);
        assert!(recent_losses(records, now, Micros(0), usize::MAX).iter().all(|l| l.at == now));
    }

    #[test]
    fn before_record_counts_the_events_before_it() {
        let sim = run(300, &[]);
        let records = sim.trace().records();
        for index in [0, 1, 5, records.len() / 2, records.len() - 1] {
            let (t, events) = before_record(records, index).unwrap();
            assert_eq!(t, records.get(index).unwrap().time);
            let heads = records.iter().take(index + 1).filter(|r| r.kind.is_head()).count() as u64;
            assert_eq!(events, heads.saturating_sub(1), "record {index}");
        }
        assert_eq!(before_record(records, records.len()), None);
    }
}
