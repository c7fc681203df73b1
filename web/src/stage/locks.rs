//! The lock board, for protocols whose view data carries a [`LockView`]: a
//! table inside the cluster's circle of nodes listing the clients in the
//! order the lock serves them (holders first, then the queue), each with
//! its role, a countdown bar for the lease it holds (read against its own
//! clock, so a paused or drifting client's bar says what *it* believes),
//! its fencing token, its place in the queue and its tries; paused clients
//! are greyed. Under them the resource with the last token it accepted.
//!
//! The rows are rebuilt only when the board changes; the bars follow the
//! clocks every frame through one style binding each.

use crate::state::{Ctx, Selection};
use crate::strings::fill;
use distlab_core::ids::NodeId;
use distlab_core::lesson::Lang;
use distlab_core::view::{LockView, NodeStatus, Stage, WorldView};
use leptos::prelude::*;

/// Rows shown at most; more clients are summed up in one line. With many
/// nodes the circle's inside is smaller, and so is the board.
fn max_rows(nodes: usize) -> usize {
    if nodes <= 10 { 10 } else { 6 }
}

/// The board and what it needs of the nodes (status, role colour slot,
/// role label in both languages).
#[derive(Clone, Debug, PartialEq)]
struct Board {
    locks: LockView,
    nodes: Vec<(NodeId, NodeStatus, u8, &'static str, &'static str)>,
}

fn board_of(v: &WorldView) -> Option<Board> {
    let Stage::Locks(locks) = &v.stage else { return None };
    let locks = locks.clone();
    let slot = |role: &str| v.protocol.roles.iter().find(|r| r.name == role);
    let nodes = v
        .nodes
        .iter()
        .map(|n| {
            let r = slot(n.protocol.role);
            (
                n.id,
                n.status,
                r.map_or(0, |r| r.colour),
                r.map_or(n.protocol.role, |r| r.name),
                r.map_or("", |r| r.name_zh_cn),
            )
        })
        .collect();
    Some(Board { locks, nodes })
}

/// The fraction of `node`'s lease left at its own clock.
fn lease_left(ctx: Ctx, node: NodeId, end_us: u64, lease_us: u64) -> f64 {
    let clock = ctx.view.with(|v| v.as_ref().and_then(|v| v.nodes.get(node.index()).map(|n| n.clock_us))).unwrap_or(0);
    (end_us.saturating_sub(clock) as f64 / lease_us.max(1) as f64).clamp(0.0, 1.0)
}

/// See the module docs.
#[component]
pub fn LockBoard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let board = Memo::new(move |_| ctx.view.with(|v| v.as_ref().and_then(board_of)));
    move || {
        let lang = ctx.lang.get();
        let zh = lang == Lang::ZhCn;
        let t = ctx.t();
        board.with(|b| {
            b.as_ref().map(|b| {
                let lease_us = b.locks.lease_us;
                let rows = b
                    .locks
                    .clients
                    .iter()
                    .take(max_rows(b.nodes.len()))
                    .map(|c| {
                        let (status, colour, en, cn) = b
                            .nodes
                            .iter()
                            .find(|n| n.0 == c.id)
                            .map_or((NodeStatus::Crashed, 0, c.role, ""), |n| (n.1, n.2, n.3, n.4));
                        let paused = status == NodeStatus::Paused;
                        let role = if status == NodeStatus::Crashed {
                            t.lock_crashed
                        } else if paused {
                            t.lock_paused
                        } else if zh && !cn.is_empty() {
                            cn
                        } else {
                            en
                        };
                        let id = c.id;
                        let bar = c.lease_end_us.filter(|_| lease_us > 0).map(|end| {
                            view! {
                                <span class="lease" title=t.lock_lease_left>
                                    <span class="left" style=move || format!("width: {:.1}%", 100.0 * lease_left(ctx, id, end, lease_us))></span>
                                </span>
                            }
                        });
                        let token = c.token.map(|tok| view! { <span class="token" title=t.lock_token>{format!("#{tok}")}</span> });
                        let place = c.place.filter(|_| c.token.is_none()).map(|p| {
                            view! { <span class="place">{fill(t.lock_place, &[&p])}</span> }
                        });
                        let tries = (c.tries > 1).then(|| {
                            view! { <span class="tries">{fill(t.lock_try, &[&c.tries])}</span> }
                        });
                        view! {
                            <li class=format!("lock-row role-slot-{colour}") class:paused=paused class:crashed=status == NodeStatus::Crashed
                                data-testid=format!("lock-row-{}", c.id.0) data-role=c.role
                                on:click=move |_| ctx.selected.set(Selection::Node(id))>
                                <span class="who">{c.id.to_string()}</span>
                                <span class="what">{role}</span>
                                {bar}{token}{place}{tries}
                                <span class="count" title=t.lock_count>{format!("×{}", c.acquired)}</span>
                            </li>
                        }
                    })
                    .collect_view();
                let more = b.locks.clients.len().saturating_sub(max_rows(b.nodes.len()));
                let many = b.nodes.len() > 10;
                let more = (more > 0).then(|| view! { <li class="more">{fill(t.lock_more, &[&more])}</li> });
                let resource = b.locks.resource.map(|(id, last, checks, accepted, rejected)| {
                    let last = last.map_or("–".to_string(), |t| format!("#{t}"));
                    let check = if checks { t.lock_checks } else { t.lock_no_check };
                    let text = fill(t.lock_resource, &[&id, &last, &check, &accepted, &rejected]);
                    view! { <div class="lock-resource" class:unchecked=!checks data-testid="lock-resource">{text}</div> }
                });
                view! {
                    <div class="lock-board" class:many=many data-testid="lock-board">
                        <div class="lock-title">{t.lock_title}</div>
                        <ol>{rows}{more}</ol>
                        {resource}
                    </div>
                }
            })
        })
    }
}
