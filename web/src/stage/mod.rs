//! The stage: the cluster's circle of nodes (`cluster`, placed by `geometry`) and what the
//! protocol's [`Stage`] draws with it. This file dispatches on the stage's
//! kind; each kind has one file here (`ring.rs`, `locks.rs`), and adding a
//! kind is one variant of [`Stage`] in the core, one file in this folder and
//! its arm in the dispatch below.
//! It also draws the requests a protocol offers ([`Action`]) as buttons, so
//! nothing here knows a protocol's request syntax.

pub mod cluster;
pub mod geometry;
pub mod locks;
pub mod ring;

use crate::state::Ctx;
use distlab_core::command::{Command, NodeRef as Target};
use distlab_core::lesson::Lang;
use distlab_core::view::{Action, Stage};
use leptos::prelude::*;

/// The kind of stage in view, for the dispatch below (cheap to compare).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Cluster,
    Ring,
    Locks,
}

fn kind_of(ctx: Ctx) -> Memo<Kind> {
    Memo::new(move |_| {
        ctx.view.with(|v| match v.as_ref().map(|v| &v.stage) {
            Some(Stage::Ring(_)) => Kind::Ring,
            Some(Stage::Locks(_)) => Kind::Locks,
            Some(Stage::Cluster) | None => Kind::Cluster,
        })
    })
}

/// What the stage draws under the cluster's nodes (the ring's canvas).
pub fn under_nodes(ctx: Ctx) -> impl IntoView {
    let kind = kind_of(ctx);
    move || match kind.get() {
        Kind::Ring => Some(ring::ring_layer(ctx).into_any()),
        Kind::Cluster | Kind::Locks => None,
    }
}

/// What the stage draws over the cluster: its kind's own overlay and the
/// protocol's actions.
#[component]
pub fn StageOverlay() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let kind = kind_of(ctx);
    view! {
        {move || match kind.get() {
            Kind::Locks => Some(view! { <locks::LockBoard /> }.into_any()),
            Kind::Cluster | Kind::Ring => None,
        }}
        <StageTools kind=kind />
    }
}

/// Most choices drawn as buttons; more become a list with a button.
const MAX_BUTTONS: usize = 4;

/// The protocol's actions by group, and the stage kind's key.
#[component]
fn StageTools(kind: Memo<Kind>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let actions = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(|v| v.actions.clone()).unwrap_or_default()));
    let send = move |a: &Action| {
        ctx.act(Command::Request { node: Target::Id(a.node), op: a.request.clone() });
    };
    move || {
        let list = actions.get();
        let key = (kind.get() == Kind::Ring).then(ring::RingKey);
        if list.is_empty() && key.is_none() {
            return None;
        }
        let zh = ctx.lang.get() == Lang::ZhCn;
        let mut groups: Vec<(&'static str, Vec<Action>)> = Vec::new();
        for a in list {
            match groups.iter_mut().find(|(g, _)| *g == a.group) {
                Some((_, v)) => v.push(a),
                None => groups.push((a.group, vec![a])),
            }
        }
        let rows = groups
            .into_iter()
            .map(|(group, items)| {
                let label = if zh { items[0].label.zh_cn.clone() } else { items[0].label.en.clone() };
                let choices = if items.len() <= MAX_BUTTONS {
                    items
                        .into_iter()
                        .map(|a| {
                            let colour = crate::palette::node_colour(a.subject.0);
                            view! {
                                <button data-testid=format!("action-{group}-{}", a.subject.0)
                                    style=format!("border-color: {colour}")
                                    on:click=move |_| send(&a)>{a.subject.to_string()}</button>
                            }
                        })
                        .collect_view()
                        .into_any()
                } else {
                    let choice = RwSignal::new(0usize);
                    let options = items
                        .iter()
                        .enumerate()
                        .map(|(i, a)| view! { <option value=i.to_string()>{a.subject.to_string()}</option> })
                        .collect_view();
                    let items = StoredValue::new(items);
                    view! {
                        <select data-testid=format!("action-{group}-list") aria-label=label.clone()
                            on:change=move |ev| choice.set(event_target_value(&ev).parse().unwrap_or(0))>{options}</select>
                        <button data-testid=format!("action-{group}-go")
                            on:click=move |_| items.with_value(|v| if let Some(a) = v.get(choice.get_untracked()) { send(a) })>
                            "✓"</button>
                    }
                    .into_any()
                };
                view! { <div><span class="muted">{label}{if zh { "：" } else { ":" }}</span>" "{choices}</div> }
            })
            .collect_view();
        Some(view! { <div class="stage-tools" data-testid="stage-tools">{rows}{key}</div> })
    }
}
