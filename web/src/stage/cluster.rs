//! The cluster view: nodes on a circle coloured by role (with a letter badge
//! so colour is never the only cue), pending timers as arcs, messages as
//! dots that move along the link at `(now - sent) / (deliver - sent)`, held
//! messages with a marker, dropped messages falling away, cut links dashed
//! (one-way cuts with an arrow). Clicking selects a node or a message.

use super::geometry::{fit, node_radius, position, prepare_canvas};
use crate::palette::{KIND_COLOURS, TIMER_STYLES, kind_slot};
use crate::pool::{Pool, closest_attr};
use crate::state::{Ctx, Selection, flagged_messages};
use distlab_core::Micros;
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::lesson::Lang;
use distlab_core::view::{NodeStatus, WorldView};
use leptos::prelude::*;

/// A message that was lost recently, for the falling-away animation.
struct Fallen {
    from: usize,
    to: usize,
    /// Where along the link it was lost (0 at the sender).
    along: f64,
    /// How far into the animation (0..1).
    age: f64,
}

/// Messages lost in the last `window` of simulated time before the cursor
/// (the newest 24).
fn recently_dropped(ctx: &Ctx, now: Micros, window: Micros) -> Vec<Fallen> {
    ctx.with_lab(|lab| {
        distlab_core::query::recent_losses(lab.sim.trace().records(), now, window, 24)
            .into_iter()
            .map(|l| Fallen {
                from: l.from.index(),
                to: l.to.index(),
                along: if l.dropped { 0.15 } else { 0.85 },
                age: (now.0 - l.at.0) as f64 / window.0.max(1) as f64,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// What the still part of the cluster shows: redrawn only when it changes
/// (a role, a term, a crash, a cut), not every frame.
#[derive(Clone, Debug, PartialEq)]
struct Scene {
    n: usize,
    /// Whether the stage has room for the links (a hash ring inside the
    /// circle has not: then only cut links are drawn).
    links: bool,
    cut_links: Vec<(NodeId, NodeId)>,
    nodes: Vec<NodeLook>,
    flagged: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq)]
struct NodeLook {
    id: NodeId,
    status: NodeStatus,
    role: &'static str,
    /// The role's label (English, Chinese).
    role_label: (&'static str, &'static str),
    headline: distlab_core::lesson::Text,
    colour: u8,
    badge: &'static str,
}

fn scene_of(v: &WorldView) -> Scene {
    let slot = |role: &str| v.protocol.roles.iter().find(|x| x.name == role).map(|x| (x.colour, x.badge, x.name_zh_cn));
    Scene {
        n: v.nodes.len(),
        links: v.stage.draws_links(),
        cut_links: v.cut_links.clone(),
        nodes: v
            .nodes
            .iter()
            .map(|node| {
                let (colour, badge, zh) = slot(node.protocol.role).unwrap_or((0, "", node.protocol.role));
                NodeLook {
                    id: node.id,
                    status: node.status,
                    role: node.protocol.role,
                    role_label: (node.protocol.role, zh),
                    headline: node.protocol.headline.clone(),
                    colour,
                    badge,
                }
            })
            .collect(),
        flagged: v.violations.iter().flat_map(|x| x.nodes.iter().copied()).collect(),
    }
}

fn draw_links(s: &Scene) -> impl IntoView + use<> {
    let n = s.n;
    (0..n)
        .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
        .map(|(a, b)| {
            let (x1, y1) = position(a, n);
            let (x2, y2) = position(b, n);
            let (ida, idb) = (s.nodes[a].id, s.nodes[b].id);
            let cut_ab = s.cut_links.contains(&(ida, idb));
            let cut_ba = s.cut_links.contains(&(idb, ida));
            if !s.links && !cut_ab && !cut_ba {
                return None;
            }
            let (class, title) = match (cut_ab, cut_ba) {
                (true, true) => ("link cut", format!("{ida} ✕ {idb}")),
                (true, false) => ("link cut one-way", format!("{ida} → {idb} ✕")),
                (false, true) => ("link cut one-way", format!("{idb} → {ida} ✕")),
                _ => ("link", String::new()),
            };
            // A one-way cut is marked by an ✕ near the receiver it cannot reach.
            let mark = match (cut_ab, cut_ba) {
                (true, false) => Some((x1 + (x2 - x1) * 0.7, y1 + (y2 - y1) * 0.7)),
                (false, true) => Some((x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.3)),
                (true, true) => Some(((x1 + x2) / 2.0, (y1 + y2) / 2.0)),
                _ => None,
            };
            Some(view! {
                <g>
                    <line class=class x1=x1 y1=y1 x2=x2 y2=y2><title>{title}</title></line>
                    {mark.map(|(x, y)| view! { <text class="cut-mark" x=x y=y + 6.0>"✕"</text> })}
                </g>
            })
        })
        .collect_view()
}

/// A text's width in em, estimated without asking the browser (a layout
/// read in a frame costs a second layout): wide (CJK) characters count one
/// em, others a little over half.
fn em_width(text: &str) -> f64 {
    text.chars()
        .map(|c| {
            if (c as u32) >= 0x2E80 {
                1.0
            } else if c.is_ascii_uppercase() {
                0.68
            } else {
                0.58
            }
        })
        .sum()
}

/// Font sizes (diagram units) for a node's three lines: never below a
/// readable size on screen (`px` is pixels per unit), shrunk to fit
/// inside the node when the text is long. The role line is dropped (the
/// badge and the legend still say it) when it cannot fit readably.
fn node_fonts(r: f64, px: f64, name: &str, headline: &str, role: &str) -> (f64, f64, Option<f64>) {
    let px = px.max(0.05);
    let room = 1.75 * r;
    let fit = |text: &str, base: f64, min_px: f64| {
        let wanted = base.max(min_px / px);
        let fits = room / em_width(text).max(0.5);
        (wanted.min(fits), fits * px >= min_px * 0.8)
    };
    let (name_f, _) = fit(name, 16.0, 12.0);
    let (head_f, _) = fit(headline, 13.0, 10.5);
    let (role_f, role_ok) = fit(role, 13.0, 10.0);
    // Three lines must fit in the circle's height too.
    let tall = name_f + head_f + role_f * 1.1;
    let role = (role_ok && tall <= 1.9 * r).then_some(role_f);
    (name_f, head_f, role)
}

fn draw_nodes(ctx: Ctx, s: &Scene, px: f64) -> impl IntoView + use<> {
    let n = s.n;
    let r = node_radius(n);
    let selected = ctx.selected.get();
    let crashed_text = ctx.t().crashed;
    let lang = ctx.lang.get();
    let label = move |(en, zh): (&'static str, &'static str)| if lang == Lang::ZhCn { zh } else { en };
    s.nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let (cx, cy) = position(i, n);
            let id = node.id;
            let class = format!(
                "node role-slot-{} status-{}{}{}",
                node.colour,
                node.status.name(),
                if selected == Selection::Node(id) { " selected" } else { "" },
                if s.flagged.contains(&id) { " flagged" } else { "" },
            );
            let status_mark = match node.status {
                NodeStatus::Crashed => Some("✕"),
                NodeStatus::Paused => Some("❚❚"),
                NodeStatus::Up => None,
            };
            let role_text =
                if node.status == NodeStatus::Crashed { crashed_text.to_string() } else { label(node.role_label).to_string() };
            let headline = node.headline.get(lang).to_string();
            let aria = format!("{id} {role_text} {headline}");
            let badge = node.badge;
            let name = id.to_string();
            let (name_f, head_f, role_f) = node_fonts(r, px, &name, &headline, &role_text);
            // The lines, centred on the node.
            let total = name_f + head_f + role_f.map_or(0.0, |f| f * 1.05);
            let top = cy - total / 2.0;
            let name_y = top + name_f * 0.85;
            let head_y = name_y + head_f * 1.05;
            let role_y = head_y + role_f.unwrap_or(0.0) * 1.05;
            // The badge sits on the rim, out of the name's way.
            let br = (12.0f64).max(8.0 / px.max(0.05)).min(r * 0.45);
            let (bx, by) = (cx + (r + br * 0.25) * 0.707, cy - (r + br * 0.25) * 0.707);
            view! {
                <g class=class data-testid=format!("node-{}", id.0) data-role=node.role data-status=node.status.name()
                    tabindex="0" role="button" aria-label=aria
                    on:click=move |ev| { ev.stop_propagation(); ctx.selected.set(Selection::Node(id)); }
                    on:keydown=move |ev| { if ev.key() == "Enter" { ctx.selected.set(Selection::Node(id)); } }>
                    <circle class="body" cx=cx cy=cy r=r></circle>
                    <text class="name" x=cx y=name_y font-size=format!("{name_f:.1}")>{name}</text>
                    <text class="term" x=cx y=head_y font-size=format!("{head_f:.1}")>{headline}</text>
                    {role_f.map(|f| view! { <text class="role" x=cx y=role_y font-size=format!("{f:.1}")>{role_text.clone()}</text> })}
                    {(!badge.is_empty()).then(|| view! {
                        <g class="badge">
                            <circle cx=bx cy=by r=br></circle>
                            <text x=bx y=by + br * 0.36 font-size=format!("{:.1}", br)>{badge}</text>
                        </g>
                    })}
                    {status_mark.map(|m| view! { <text class="status-mark" x=cx - r * 0.72 y=cy - r * 0.72 + 5.0 font-size=format!("{:.1}", br * 1.4)>{m}</text> })}
                </g>
            }
        })
        .collect_view()
}

/// A message in flight, with what its animation needs.
#[derive(Clone, Debug, PartialEq)]
struct Flying {
    id: MsgId,
    kind: &'static str,
    from: (f64, f64),
    to: (f64, f64),
    sent: u64,
    deliver: u64,
    held: bool,
    dup: bool,
    title: String,
    /// Fraction of the link it may travel before it would hide under a node.
    reach: f64,
    /// A fencing token it carries (a field named `token`), drawn beside it.
    token: Option<String>,
}

fn flying(v: &WorldView) -> Vec<Flying> {
    let n = v.nodes.len();
    let r = node_radius(n);
    v.messages
        .iter()
        .map(|m| {
            let from = position(m.from.index(), n);
            let to = position(m.to.index(), n);
            let reach = 1.0 - (r + 8.0) / ((to.0 - from.0).hypot(to.1 - from.1)).max(1.0);
            Flying {
                id: m.id,
                kind: m.message.kind,
                from,
                to,
                sent: m.sent_us,
                deliver: m.deliver_us,
                held: m.held,
                dup: m.duplicate,
                title: format!("{} {} → {}: {}", m.id, m.from, m.to, m.message.summary),
                reach,
                token: m.message.tag.clone(),
            }
        })
        .collect()
}

/// Where each message is drawn now, in diagram units.
fn positions(list: &[Flying], now: f64, reduced: bool) -> Vec<(f64, f64)> {
    list.iter()
        .map(|m| {
            let span = (m.deliver.saturating_sub(m.sent)).max(1) as f64;
            let mut f = ((now - m.sent as f64) / span).clamp(0.0, 1.0);
            if reduced {
                // Reduced motion: messages jump (sender side, then receiver side).
                f = if f < 0.5 { 0.2 } else { 0.8 };
            }
            let g = f.min(m.reach).max(1.0 - m.reach);
            (m.from.0 + (m.to.0 - m.from.0) * g, m.from.1 + (m.to.1 - m.from.1) * g)
        })
        .collect()
}

/// Pending timers as arcs around their nodes: the arc is the part of the
/// timeout still to run, starting at 12 o'clock.
fn paint_timers(g: &web_sys::CanvasRenderingContext2d, v: &WorldView, now: f64, dark: bool) {
    let n = v.nodes.len();
    let r = node_radius(n) + 7.0;
    g.set_line_cap("round");
    for (i, node) in v.nodes.iter().enumerate().filter(|(_, node)| node.status == NodeStatus::Up) {
        let (cx, cy) = position(i, n);
        for t in &node.timers {
            let total = (t.fires_at_us.saturating_sub(t.set_at_us)).max(1) as f64;
            let left = ((t.fires_at_us as f64 - now).max(0.0) / total).clamp(0.0, 1.0);
            let slot = v.protocol.timers.iter().position(|x| *x == t.name).unwrap_or(0).min(TIMER_STYLES.len() - 1);
            let (light, night, width) = TIMER_STYLES[slot];
            let start = -std::f64::consts::FRAC_PI_2;
            g.begin_path();
            let _ = g.arc(cx, cy, r, start, start + std::f64::consts::TAU * left);
            g.set_line_width(width);
            g.set_stroke_style_str(if dark { night } else { light });
            g.stroke();
        }
    }
    g.set_line_cap("butt");
}

/// Lost messages falling away from their link for about 0.4 s of wall time.
fn paint_fallen(ctx: &Ctx, g: &web_sys::CanvasRenderingContext2d, v: &WorldView) {
    let n = v.nodes.len();
    let window = Micros(((400.0 * 1000.0 * ctx.speed()) as u64).max(1));
    for d in recently_dropped(ctx, Micros(v.time_us), window) {
        let (x1, y1) = position(d.from, n);
        let (x2, y2) = position(d.to, n);
        let (x, y) = (x1 + (x2 - x1) * d.along, y1 + (y2 - y1) * d.along + 60.0 * d.age * d.age);
        g.set_global_alpha((1.0 - d.age).clamp(0.0, 1.0));
        g.begin_path();
        let _ = g.arc(x, y, 6.0, 0.0, std::f64::consts::TAU);
        g.set_fill_style_str("#d55e00");
        g.fill();
    }
    g.set_global_alpha(1.0);
}

/// Messages in flight. The dots are painted on a canvas over the SVG (a few
/// hundred moving SVG shapes cost too much to rasterise every frame); each
/// message also has a small, invisible SVG element carrying its id, kind
/// and description, written through a [`Pool`] only when the set changes,
/// for assistive technology and tests. Clicks and hovers are hit-tested.
fn messages_layer(
    ctx: Ctx,
    canvas: NodeRef<leptos::html::Canvas>,
    size: ReadSignal<(f64, f64)>,
    list: Memo<Vec<Flying>>,
) -> impl IntoView {
    let reduced = crate::prefs::reduced_motion();
    let layer = NodeRef::<leptos::svg::G>::new();
    let pool = StoredValue::new_local(None::<Pool>);
    let kinds = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(|v| v.protocol.message_kinds)));
    let flagged = flagged_messages(ctx);
    // The descriptions: only when the set of messages changes.
    Effect::new(move |_| {
        let Some(g) = layer.get() else { return };
        let selected = ctx.selected.get();
        list.with(|list| {
            pool.update_value(|p| {
                let p = Pool::reuse(p, g.clone().into(), "<title></title>");
                let keys: Vec<u64> = list.iter().map(|m| m.id.0).collect();
                p.sync_keyed(&keys, |i, w| {
                    let m = &list[i];
                    let class = format!(
                        "msg kind-{}{}{}{}",
                        m.kind,
                        if m.held { " held" } else { "" },
                        if m.dup { " dup" } else { "" },
                        if selected == Selection::Message(m.id) { " selected" } else { "" },
                    );
                    w.set(0, "class", &class);
                    w.set(0, "data-testid", &format!("msg-{}", m.id.0));
                    w.set(0, "data-msg", &m.id.0.to_string());
                    w.set(0, "data-kind", m.kind);
                    w.set(1, "text", &m.title);
                });
            });
        });
    });
    // Timer arcs, falling lost messages and the dots: every frame, on the
    // canvas, so the SVG is repainted only when the scene changes.
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        let now = ctx.now_us.get() as f64;
        let selected = ctx.selected.get();
        let dark = ctx.dark.get();
        let Some(g) = prepare_canvas(&c, size.get()) else { return };
        let (ink, paper) = if dark { ("#e6e9ef", "#1b212b") } else { ("#1d2330", "#ffffff") };
        let kinds = kinds.get_untracked().unwrap_or(&[]);
        ctx.view.with(|v| {
            let Some(v) = v.as_ref() else { return };
            paint_timers(&g, v, now, dark);
            if !reduced {
                paint_fallen(&ctx, &g, v);
            }
        });
        list.with(|list| {
            for (m, (x, y)) in list.iter().zip(positions(list, now, reduced)) {
                let colour = KIND_COLOURS[kind_slot(kinds, m.kind)];
                g.begin_path();
                let _ = g.arc(x, y, 8.0, 0.0, std::f64::consts::TAU);
                g.set_fill_style_str(if m.held { paper } else { colour });
                g.fill();
                g.set_line_width(if m.held { 3.0 } else { 1.5 });
                g.set_stroke_style_str(if m.held { colour } else { paper });
                if m.dup {
                    let _ = g.set_line_dash(&js_sys::Array::of2(&2.0.into(), &2.0.into()));
                    g.set_stroke_style_str(ink);
                }
                g.stroke();
                let _ = g.set_line_dash(&js_sys::Array::new());
                if flagged.with_untracked(|f| f.contains(&m.id)) {
                    // Involved in a violation: a red ring, as the nodes get.
                    g.begin_path();
                    let _ = g.arc(x, y, 12.0, 0.0, std::f64::consts::TAU);
                    g.set_line_width(3.0);
                    g.set_stroke_style_str("#c0392b");
                    g.stroke();
                }
                if selected == Selection::Message(m.id) {
                    g.begin_path();
                    let _ = g.arc(x, y, 11.0, 0.0, std::f64::consts::TAU);
                    g.set_line_width(3.0);
                    g.set_stroke_style_str(ink);
                    g.stroke();
                }
                if m.held {
                    g.set_fill_style_str(ink);
                    g.set_font("12px system-ui, sans-serif");
                    g.set_text_align("center");
                    let _ = g.fill_text("❚❚", x, y - 12.0);
                }
                if let Some(token) = &m.token {
                    // Tokens travel with the message, readable on a halo.
                    g.set_font("600 12px system-ui, sans-serif");
                    g.set_text_align("left");
                    g.set_line_width(3.0);
                    g.set_stroke_style_str(paper);
                    let _ = g.stroke_text(token, x + 10.0, y - 6.0);
                    g.set_fill_style_str(ink);
                    let _ = g.fill_text(token, x + 10.0, y - 6.0);
                }
            }
        });
    });
    view! { <g class="messages" node_ref=layer></g> }
}

/// The message under a point of the SVG (client coordinates), if any.
fn message_at(
    ctx: Ctx,
    list: &[Flying],
    svg: &web_sys::Element,
    client_x: f64,
    client_y: f64,
) -> Option<(MsgId, String)> {
    let r = svg.get_bounding_client_rect();
    let (s, ox, oy) = fit(r.width(), r.height());
    let (x, y) = ((client_x - r.left() - ox) / s, (client_y - r.top() - oy) / s);
    let now = ctx.now_us.get_untracked() as f64;
    list.iter()
        .zip(positions(list, now, crate::prefs::reduced_motion()))
        .map(|(m, (mx, my))| (m, (mx - x).hypot(my - y)))
        .filter(|(_, d)| *d <= 12.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| (m.id, m.title.clone()))
}

/// See the module docs.
#[component]
pub fn ClusterView() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let scene = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(scene_of)));
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let canvas_size = crate::size::watch_size(canvas);
    let svg = NodeRef::<leptos::svg::Svg>::new();
    // The messages in flight, computed once per frame for drawing and hit-testing.
    let list = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(flying).unwrap_or_default()));
    let tip = RwSignal::new(None::<(f64, f64, String)>);
    let hit = move |ev: &web_sys::MouseEvent| {
        let el: web_sys::Element = svg.get_untracked()?.into();
        list.with_untracked(|l| message_at(ctx, l, &el, ev.client_x() as f64, ev.client_y() as f64))
    };
    view! {
        {crate::stage::under_nodes(ctx)}
        <svg class="cluster" data-testid="cluster" viewBox="0 0 600 600" role="img" aria-label="cluster" node_ref=svg
            on:click=move |ev| {
                // A message under the pointer (dots are on the canvas), else
                // a click on the background clears the selection.
                let picked = hit(&ev).map(|(id, _)| Selection::Message(id)).or_else(|| {
                    closest_attr(&ev, "data-msg").and_then(|s| s.parse().ok()).map(|id| Selection::Message(MsgId(id)))
                });
                ctx.selected.set(picked.unwrap_or(Selection::None));
            }
            on:mousemove=move |ev| {
                let stage = svg.get_untracked().map(|s| { let e: web_sys::Element = s.into(); e.get_bounding_client_rect() });
                tip.set(hit(&ev).zip(stage).map(|((_, text), r)| (ev.client_x() as f64 - r.left(), ev.client_y() as f64 - r.top(), text)));
            }
            on:mouseleave=move |_| tip.set(None)>
            <g class="links">{move || scene.with(|s| s.as_ref().map(draw_links))}</g>
            <g class="nodes">{move || {
                // Pixels per diagram unit, from the canvas's measured size.
                let (w, h) = canvas_size.get();
                let px = fit(w, h).0;
                scene.with(|s| s.as_ref().map(|s| draw_nodes(ctx, s, if px > 0.0 { px } else { 1.0 })))
            }}</g>
            {messages_layer(ctx, canvas, canvas_size, list)}
        </svg>
        <canvas class="dots" node_ref=canvas aria-hidden="true"></canvas>
        {move || tip.get().map(|(x, y, text)| view! {
            <div class="tip" role="tooltip" style=format!("left: {:.0}px; top: {:.0}px", x + 14.0, y + 14.0)>{text}</div>
        })}
    }
}

/// The role legend: colour, badge letter and name for each role.
#[component]
pub fn Legend() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let roles = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(|v| v.protocol.roles)));
    move || {
        roles.with(|v| {
            v.map(|roles| {
                roles
                    .iter()
                    .map(|r| {
                        view! {
                            <span class=format!("legend-item role-slot-{}", r.colour)>
                                <span class="swatch">{r.badge}</span>
                                {move || if ctx.lang.get() == Lang::ZhCn { r.name_zh_cn } else { r.name }}
                            </span>
                        }
                    })
                    .collect_view()
            })
        })
    }
}
