//! Every node's log side by side, for protocols whose nodes keep one
//! (`ProtocolInfo::logs`): a row per node, a column per log index, each
//! entry a cell in its term's colour with the term written in it (colour is
//! never the only cue). Committed entries are solid, the rest hollow, and a
//! bar after each row's last committed entry marks its commit index. The
//! columns line up across rows, so a learner sees at a glance where logs
//! agree, where a follower lags, and which entries a majority holds.

use crate::state::{Ctx, Selection};
use distlab_core::ids::NodeId;
use distlab_core::view::{NodeStatus, WorldView};
use leptos::prelude::*;

/// At most this many columns (the newest indexes) are shown.
const MAX_COLUMNS: u64 = 40;

/// Okabe-Ito colours for terms, in turn (term 1 the first).
const TERM_COLOURS: [&str; 7] = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"];

/// Text colour that reads on a term's colour.
fn ink(term: u64) -> &'static str {
    if matches!((term.max(1) - 1) % 7, 4 | 5) { "#ffffff" } else { "#1d2330" }
}

fn colour(term: u64) -> &'static str {
    TERM_COLOURS[((term.max(1) - 1) % 7) as usize]
}

#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: NodeId,
    status: NodeStatus,
    badge: &'static str,
    /// (index, term, committed, text)
    entries: Vec<(u64, u64, bool, String)>,
}

#[derive(Clone, Debug, PartialEq)]
struct Strip {
    rows: Vec<Row>,
    first: u64,
    last: u64,
}

/// The strip for `v`; only its header while the panel is closed (the
/// rows are rebuilt every frame while it is open).
fn strip_of(v: &WorldView, open: bool) -> Option<Strip> {
    if !v.protocol.logs {
        return None;
    }
    if !open {
        return Some(Strip { rows: Vec::new(), first: 1, last: 0 });
    }
    let last = v.nodes.iter().flat_map(|n| n.protocol.log.last().map(|e| e.index)).max().unwrap_or(0);
    let first = last.saturating_sub(MAX_COLUMNS - 1).max(1);
    let rows = v
        .nodes
        .iter()
        .map(|n| Row {
            id: n.id,
            status: n.status,
            badge: v.protocol.roles.iter().find(|r| r.name == n.protocol.role).map_or("", |r| r.badge),
            entries: n
                .protocol
                .log
                .iter()
                .filter(|e| e.index >= first)
                .map(|e| (e.index, e.term, e.committed, e.text.clone()))
                .collect(),
        })
        .collect();
    Some(Strip { rows, first, last })
}

/// See the module docs.
#[component]
pub fn LogStrip(
    /// Whether the panel is open.
    open: RwSignal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let strip = Memo::new(move |_| {
        let open = open.get();
        ctx.view.with(|v| v.as_ref().and_then(|v| strip_of(v, open)))
    });
    move || {
        let t = ctx.t();
        strip.with(|s| {
            let s = s.as_ref()?;
            let body = open.get().then(|| {
                let columns = if s.last == 0 { 0 } else { s.last - s.first + 1 };
                let head = (0..columns)
                    .map(|k| {
                        let i = s.first + k;
                        view! { <span class="lx">{(i == s.first || i % 5 == 0).then(|| i.to_string())}</span> }
                    })
                    .collect_view();
                let rows = s
                    .rows
                    .iter()
                    .map(|r| {
                        let id = r.id;
                        let commit = r.entries.iter().filter(|e| e.2).map(|e| e.0).max();
                        let cells = (0..columns)
                            .map(|k| {
                                let i = s.first + k;
                                let marked = commit == Some(i);
                                match r.entries.iter().find(|e| e.0 == i) {
                                    Some((_, term, committed, text)) => {
                                        let style = if *committed {
                                            format!("background: {}; color: {}; border-color: {}", colour(*term), ink(*term), colour(*term))
                                        } else {
                                            format!("border-color: {}", colour(*term))
                                        };
                                        let title = format!(
                                            "{i}: {text} ({} {term}, {})",
                                            t.term,
                                            if *committed { t.committed } else { t.uncommitted }
                                        );
                                        view! {
                                            <span class="lc" class:committed=*committed class:commit-mark=marked style=style title=title
                                                data-testid=format!("log-{}-{i}", id.0)>{term.to_string()}</span>
                                        }
                                        .into_any()
                                    }
                                    None => view! { <span class="lc empty"></span> }.into_any(),
                                }
                            })
                            .collect_view();
                        view! {
                            <div class="log-row" class:crashed=r.status == NodeStatus::Crashed data-testid=format!("log-row-{}", id.0)>
                                <button class="link who" on:click=move |_| ctx.selected.set(Selection::Node(id))>
                                    {id.to_string()}<span class="badge">{r.badge}</span>
                                </button>
                                <span class="cells">{cells}</span>
                            </div>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="log-grid" data-testid="log-grid">
                        <div class="log-row head"><span class="who muted">{t.index}</span><span class="cells">{head}</span></div>
                        {rows}
                        {(columns == 0).then(|| view! { <p class="muted empty-note">{t.no_entries}</p> })}
                    </div>
                }
            });
            Some(view! {
                <section class="panel logs-panel" data-testid="logs-panel">
                    <div class="bar">
                        <button class="link" aria-expanded=open.get().to_string() data-testid="logs-toggle" on:click=move |_| open.update(|o| *o = !*o)>
                            <h2>{format!("{} {}", if open.get() { "▾" } else { "▸" }, t.logs)}</h2>
                        </button>
                        {open.get().then(|| view! { <span class="muted key">{t.logs_key}</span> })}
                    </div>
                    {body}
                </section>
            })
        })
    }
}
