//! The cluster view: nodes on a circle coloured by role (with a letter badge
//! so colour is never the only cue), pending timers as arcs, and messages
//! as dots that move along the link at `(now - sent) / (deliver - sent)`.

use distlab_core::view::{NodeStatus, WorldView};
use leptos::prelude::*;

const SIZE: f64 = 600.0;
const RING: f64 = 215.0;
const NODE_R: f64 = 44.0;

fn position(i: usize, n: usize) -> (f64, f64) {
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (SIZE / 2.0 + RING * a.cos(), SIZE / 2.0 + RING * a.sin())
}

/// An SVG arc path around (cx, cy) covering `fraction` of a circle, from 12 o'clock.
fn arc(cx: f64, cy: f64, r: f64, fraction: f64) -> String {
    let f = fraction.clamp(0.0, 0.9999);
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * f;
    let (x, y) = (cx + r * a.cos(), cy + r * a.sin());
    let large = if f > 0.5 { 1 } else { 0 };
    format!("M {cx} {} A {r} {r} 0 {large} 1 {x:.2} {y:.2}", cy - r)
}

/// See the module docs.
#[component]
pub fn ClusterView(
    /// The world to draw (none before the first frame).
    view: ReadSignal<Option<WorldView>>,
) -> impl IntoView {
    move || {
        let Some(v) = view.get() else {
            return view! { <svg class="cluster" data-testid="cluster" viewBox="0 0 600 600"></svg> }.into_any();
        };
        let n = v.nodes.len();
        let now = v.time_us as f64;
        let slot = |role: &str| v.protocol.roles.iter().find(|r| r.name == role).map(|r| (r.colour, r.badge));
        let links = (0..n)
            .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
            .map(|(a, b)| {
                let (x1, y1) = position(a, n);
                let (x2, y2) = position(b, n);
                let ida = v.nodes[a].id;
                let idb = v.nodes[b].id;
                let cut_ab = v.cut_links.contains(&(ida, idb));
                let cut_ba = v.cut_links.contains(&(idb, ida));
                let class = match (cut_ab, cut_ba) {
                    (true, true) => "link cut",
                    (true, false) | (false, true) => "link cut one-way",
                    _ => "link",
                };
                view! { <line class=class x1=x1 y1=y1 x2=x2 y2=y2></line> }
            })
            .collect_view();
        let messages = v
            .messages
            .iter()
            .map(|m| {
                let (x1, y1) = position(m.from.index(), n);
                let (x2, y2) = position(m.to.index(), n);
                let span = (m.deliver_us.saturating_sub(m.sent_us)).max(1) as f64;
                let f = ((now - m.sent_us as f64) / span).clamp(0.0, 1.0);
                let (x, y) = (x1 + (x2 - x1) * f, y1 + (y2 - y1) * f);
                let class = format!("msg kind-{}{}", m.message.kind, if m.held { " held" } else { "" });
                let title = format!("{} {} → {}: {}", m.id, m.from, m.to, m.message.summary);
                view! {
                    <circle class=class cx=x cy=y r=7>
                        <title>{title}</title>
                    </circle>
                }
            })
            .collect_view();
        let nodes = v
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let (cx, cy) = position(i, n);
                let role = node.protocol.role;
                let (colour, badge) = slot(role).unwrap_or((0, "?"));
                let status = node.status;
                let class = format!(
                    "node role-slot-{colour} status-{}",
                    match status {
                        NodeStatus::Up => "up",
                        NodeStatus::Crashed => "crashed",
                        NodeStatus::Paused => "paused",
                    }
                );
                let term = node
                    .protocol
                    .fields
                    .iter()
                    .find(|f| f.name == "term")
                    .map(|f| format!("term {}", f.value.display()))
                    .unwrap_or_default();
                let timers = node
                    .timers
                    .iter()
                    .map(|t| {
                        let total = (t.fires_at_us.saturating_sub(t.set_at_us)).max(1) as f64;
                        let left = (t.fires_at_us as f64 - now).max(0.0) / total;
                        view! { <path class=format!("timer timer-{}", t.name) d=arc(cx, cy, NODE_R + 7.0, left)></path> }
                    })
                    .collect_view();
                let label = node.id.to_string();
                let role_text = if status == NodeStatus::Crashed { "crashed".to_string() } else { role.to_string() };
                view! {
                    <g class=class data-testid=format!("node-{}", node.id.0) data-role=role>
                        {timers}
                        <circle class="body" cx=cx cy=cy r=NODE_R></circle>
                        <text class="name" x=cx y=cy - 12.0>{label}</text>
                        <text class="term" x=cx y=cy + 6.0>{term}</text>
                        <text class="role" x=cx y=cy + 22.0>{role_text}</text>
                        <g class="badge">
                            <circle cx=cx + 32.0 cy=cy - 32.0 r=12></circle>
                            <text x=cx + 32.0 y=cy - 28.0>{badge}</text>
                        </g>
                    </g>
                }
            })
            .collect_view();
        view! {
            <svg class="cluster" data-testid="cluster" viewBox="0 0 600 600" role="img" aria-label="cluster of nodes">
                <g class="links">{links}</g>
                <g class="messages">{messages}</g>
                <g class="nodes">{nodes}</g>
            </svg>
        }
        .into_any()
    }
}
