//! The hash ring, for protocols whose view data carries a [`RingView`]: a
//! circle inside the cluster's circle of nodes, with virtual-node ticks in
//! their owner's colour, keys as dots in their primary's colour, the arcs
//! that changed owner in the last membership change highlighted, and keys
//! still on their way drawn hollow (waiting to be sent) or ringed (sent, not
//! yet confirmed). Each node gets a ring in its colour so keys can be
//! matched to nodes; colour is never the only cue (every node is labelled,
//! and the inspector lists a node's keys).
//!
//! The ring is painted on its own canvas under the cluster SVG and only
//! when the ring data changes (a key arrives, a member joins), never per
//! frame: 10,000 keys and 1,000 virtual nodes cost one repaint per change.
//! The buttons that add or remove a node are the protocol's actions, drawn
//! by the stage (`super`).

use super::geometry::{node_radius, position, prepare_canvas};
use crate::palette::node_colour;
use crate::state::Ctx;
use crate::strings::{Strings, fill};
use distlab_core::view::{KeyState, RingView, Stage};
use leptos::prelude::*;
use std::f64::consts::{FRAC_PI_2, TAU};

/// The ring's radius in diagram units (inside the cluster's circle of nodes).
const R: f64 = 126.0;

fn angle(pos: u32) -> f64 {
    -FRAC_PI_2 + TAU * (f64::from(pos) / 4_294_967_296.0)
}

/// Paints the ring on `g`, already scaled to diagram units.
fn paint(g: &web_sys::CanvasRenderingContext2d, ring: &RingView, nodes: usize, dark: bool, t: &Strings) {
    let (ink, muted, paper) = if dark { ("#e6e9ef", "#9aa4b2", "#1b212b") } else { ("#1d2330", "#5b6472", "#ffffff") };
    // The circle.
    g.begin_path();
    let _ = g.arc(300.0, 300.0, R, 0.0, TAU);
    g.set_line_width(1.5);
    g.set_stroke_style_str(muted);
    g.stroke();
    // Arcs that changed owner in the last change: a wide pale band outside.
    g.set_line_width(10.0);
    g.set_stroke_style_str(if dark { "rgba(237,201,72,0.45)" } else { "rgba(237,201,72,0.6)" });
    for &(a, b) in &ring.changed {
        let (start, mut end) = (angle(a), angle(b));
        if end < start {
            end += TAU;
        }
        g.begin_path();
        let _ = g.arc(300.0, 300.0, R + 12.0, start, end);
        g.stroke();
    }
    // Virtual-node ticks, one path per owner.
    g.set_line_width(if ring.points.len() > 400 { 1.0 } else { 2.0 });
    for &member in &ring.members {
        g.begin_path();
        for &(pos, _) in ring.points.iter().filter(|(_, n)| *n == member) {
            let a = angle(pos);
            let (c, s) = (a.cos(), a.sin());
            g.move_to(300.0 + (R - 5.0) * c, 300.0 + (R - 5.0) * s);
            g.line_to(300.0 + (R + 6.0) * c, 300.0 + (R + 6.0) * s);
        }
        g.set_stroke_style_str(node_colour(member.0));
        g.stroke();
    }
    // Keys: a band inside the circle, spread over a few radii so dense
    // rings stay readable; one path per owner and state.
    let size = if ring.keys.len() > 2_000 { 1.6 } else { 3.0 };
    let radius = |key: u32| R - 12.0 - f64::from((key.wrapping_mul(2_654_435_761) >> 27) % 16) * 1.6;
    let mut owners: Vec<u32> = ring.keys.iter().map(|k| k.owner.0).collect();
    owners.sort_unstable();
    owners.dedup();
    for &owner in &owners {
        g.begin_path();
        for k in ring.keys.iter().filter(|k| k.owner.0 == owner && k.state == KeyState::Home) {
            let (a, r) = (angle(k.pos), radius(k.key));
            g.rect(300.0 + r * a.cos() - size / 2.0, 300.0 + r * a.sin() - size / 2.0, size, size);
        }
        g.set_fill_style_str(node_colour(owner));
        g.fill();
    }
    // Keys on their way, bigger: hollow while the old owner still has
    // them, ringed once sent.
    g.set_line_width(1.5);
    for k in ring.keys.iter().filter(|k| k.state != KeyState::Home) {
        let (a, r) = (angle(k.pos), radius(k.key));
        let (x, y) = (300.0 + r * a.cos(), 300.0 + r * a.sin());
        g.begin_path();
        let _ = g.arc(x, y, 3.5, 0.0, TAU);
        let colour = node_colour(k.owner.0);
        if k.state == KeyState::Travelling {
            g.set_fill_style_str(colour);
            g.fill();
            g.set_stroke_style_str(ink);
        } else {
            g.set_fill_style_str(paper);
            g.fill();
            g.set_stroke_style_str(colour);
        }
        g.stroke();
    }
    // Each node's colour, as a ring around it.
    let nr = node_radius(nodes);
    for i in 0..nodes {
        let (x, y) = position(i, nodes);
        let id = i as u32 + 1;
        let member = ring.members.iter().any(|m| m.0 == id);
        g.begin_path();
        let _ = g.arc(x, y, nr + 15.0, 0.0, TAU);
        g.set_line_width(if member { 4.0 } else { 2.0 });
        g.set_stroke_style_str(node_colour(id));
        if !member {
            let _ = g.set_line_dash(&js_sys::Array::of2(&4.0.into(), &4.0.into()));
        }
        g.stroke();
        let _ = g.set_line_dash(&js_sys::Array::new());
    }
    // In the middle: the scheme and the membership's version.
    g.set_fill_style_str(ink);
    g.set_text_align("center");
    g.set_font("600 15px system-ui, sans-serif");
    let _ = g.fill_text(&ring.scheme, 300.0, 292.0);
    g.set_font("13px system-ui, sans-serif");
    g.set_fill_style_str(muted);
    let moving = ring.keys.iter().filter(|k| k.state != KeyState::Home).count();
    let (epoch, keys) = (ring.epoch, ring.keys.len());
    let line = match moving {
        0 => fill(t.ring_epoch, &[&epoch, &keys]),
        m => fill(t.ring_epoch_moving, &[&epoch, &keys, &m]),
    };
    let _ = g.fill_text(&line, 300.0, 312.0);
}

/// The ring canvas (see the module docs).
pub fn ring_layer(ctx: Ctx) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let size = crate::size::watch_size(canvas);
    let ring = Memo::new(move |_| {
        ctx.view.with(|v| match v.as_ref() {
            Some(v) => match &v.stage {
                Stage::Ring(r) => Some((r.clone(), v.nodes.len())),
                _ => None,
            },
            None => None,
        })
    });
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        let dark = ctx.dark.get();
        let t = ctx.t();
        let size = size.get();
        ring.with(|ring| {
            let Some((ring, nodes)) = ring else { return };
            let Some(g) = prepare_canvas(&c, size) else { return };
            paint(&g, ring, *nodes, dark, t);
        });
    });
    view! { <canvas class="ring" data-testid="ring" node_ref=canvas aria-hidden="true"></canvas> }
}

/// What the key marks on the ring mean.
#[allow(non_snake_case)]
pub fn RingKey() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = ctx.t();
    view! {
        <div class="ring-key muted"><span class="mark hollow"></span>{t.ring_waiting}</div>
        <div class="ring-key muted"><span class="mark travelling"></span>{t.ring_travelling}</div>
        <div class="ring-key muted"><span class="mark changed"></span>{t.ring_changed}</div>
    }
}
