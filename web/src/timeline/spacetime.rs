//! The space-time (Lamport) diagram: a lane per node, time to the right,
//! an arrow per message from its send to its delivery (or to an ✕ where it
//! was lost), crashes, pauses and partition commands marked. It shows a
//! window of time ending at the cursor, so it scrolls as the run plays and
//! follows the scrubber. Clicking an arrow selects the message in both
//! views. It exports as SVG; the trace exports as JSON.

use crate::palette::kind_slot;
use crate::pool::{Pool, closest_attr};
use crate::state::{Ctx, Selection};
use distlab_core::Micros;
use distlab_core::ids::MsgId;
use distlab_core::query::{self, Fate, History, Mark};
use leptos::prelude::*;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 44.0;
/// Lane spacing for `n` nodes: roomy for few, tighter for many, so the
/// diagram keeps its width in the panel's fixed height.
fn lane(n: usize) -> f64 {
    (110.0 / n.max(1) as f64).clamp(12.0, 22.0)
}
/// At most this many arrows are drawn (the latest).
const MAX_ARROWS: usize = 400;
/// Records scanned per redraw, at most.
const MAX_SCAN: usize = 60_000;

/// The messages and marks of the window ending at `now`, from the core's
/// trace query.
fn collect(ctx: &Ctx, now: u64, window: u64) -> (Vec<History>, Vec<Mark>) {
    ctx.with_lab(|lab| {
        let w = query::window(
            lab.sim.trace().records(),
            Micros(now.saturating_sub(window)),
            Micros(now),
            MAX_SCAN,
            MAX_ARROWS,
        );
        (w.messages, w.marks)
    })
    .unwrap_or_default()
}

/// An arrow as drawn in the layer (x relative to the layer's anchor time),
/// so it never moves inside the layer; the layer slides as time passes.
#[derive(Clone, Debug, PartialEq)]
struct Drawn {
    id: MsgId,
    kind: &'static str,
    slot: usize,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    lost: bool,
    inflight: bool,
    from: usize,
    to: usize,
}

fn lane_y(i: usize, n: usize) -> f64 {
    16.0 + i as f64 * lane(n)
}

/// See the module docs.
#[component]
pub fn SpaceTime(
    /// Whether the diagram is open (the page closes it when the window is
    /// short; the learner can reopen it).
    open: RwSignal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let window_ms = RwSignal::new(300u64);
    let names = Memo::new(move |_| {
        ctx.view.with(|v| {
            v.as_ref().map(|v| v.nodes.iter().map(|n| n.id.to_string()).collect::<Vec<_>>()).unwrap_or_default()
        })
    });
    let span = WIDTH - LEFT - 10.0;
    let scale = move || span / (window_ms.get() * 1000).max(1) as f64;
    let (data, set_data) = signal((Vec::<Drawn>::new(), Vec::<Mark>::new()));
    // The arrows live in their own layer, drawn for the moment they were
    // read (`anchor`) with the cursor at the right edge. Between reads the
    // layer is only moved left by a CSS transform, which the compositor does
    // without redrawing it; `px` converts diagram units to CSS pixels.
    let anchor = RwSignal::new(0u64);
    let px = RwSignal::new(1.0f64);
    let base_svg = NodeRef::<leptos::svg::Svg>::new();
    let base_size = crate::size::watch_size(base_svg);
    // Pixels per diagram unit, as the browser lays out the base drawing
    // (reported by a ResizeObserver, never read during a frame).
    Effect::new(move |_| {
        let (w, h) = base_size.get();
        let n = names.with(Vec::len);
        let units_h = 16.0 + 16.0 + n as f64 * lane(n);
        let s = (w / WIDTH).min(h / units_h.max(1.0));
        if s.is_finite() && s > 0.0 && (s - px.get_untracked()).abs() > 1e-6 {
            px.set(s);
        }
    });
    // Re-read the trace after every change, only while the diagram is open,
    // and while playing at most every 100 ms of wall time (arrows in flight
    // grow every frame anyway; new ones may appear a few frames late).
    let last_read = std::rc::Rc::new(std::cell::Cell::new(f64::NEG_INFINITY));
    let last_window = std::rc::Rc::new(std::cell::Cell::new(0u64));
    Effect::new(move |_| {
        let _ = ctx.revision.get();
        if !open.get() {
            return;
        }
        let wall = crate::clock::now_ms();
        // Tracked: pausing re-reads, so a paused diagram is never stale.
        if ctx.playing.get() && wall - last_read.get() < 100.0 {
            return;
        }
        last_read.set(wall);
        let window = window_ms.get() * 1000;
        let now = ctx.now_us.get_untracked();
        let k = span / window.max(1) as f64;
        // The layer's origin: the cursor's place (LEFT + span) at time `at`.
        // It moves only once the cursor has slid a whole window past it (or
        // went back before it), so between those moments an arrow keeps its
        // coordinates and a re-read writes only what is new or changed.
        let mut at = anchor.get_untracked();
        if now < at || now - at > window || last_window.replace(window) != window {
            at = now;
        }
        let x_of = move |t: u64| LEFT + span + (t as f64 - at as f64) * k;
        let (arrows, marks) = collect(&ctx, now, window);
        let kinds = ctx.with_lab(|lab| lab.sim.info().message_kinds).unwrap_or_default();
        let n = names.with_untracked(Vec::len);
        let drawn = arrows
            .into_iter()
            .map(|a| {
                let (end_t, lost, inflight) = match a.fate {
                    Fate::Delivered(t) => (t.0, false, false),
                    Fate::Lost(t) => (t.0, true, false),
                    Fate::InFlight => (a.due.0, false, true),
                };
                let (from, to) = (a.from.index(), a.to.index());
                let y2 = if lost { (lane_y(from, n) + lane_y(to, n)) / 2.0 } else { lane_y(to, n) };
                let kind = kinds.get(a.kind as usize).copied().unwrap_or("?");
                Drawn {
                    id: a.id,
                    kind,
                    slot: kind_slot(kinds, kind),
                    x1: x_of(a.sent.0),
                    y1: lane_y(from, n),
                    x2: x_of(end_t),
                    y2,
                    lost,
                    inflight,
                    from,
                    to,
                }
            })
            .collect();
        if anchor.get_untracked() != at {
            anchor.set(at);
        }
        set_data.set((drawn, marks));
    });
    // The arrows: a pool of elements written by one effect (see `pool.rs`).
    let arrows_layer = NodeRef::<leptos::svg::G>::new();
    let pool = StoredValue::new_local(None::<Pool>);
    let flagged = crate::state::flagged_messages(ctx);
    Effect::new(move |_| {
        let Some(g) = arrows_layer.get() else { return };
        let selected = ctx.selected.get();
        let flagged = flagged.get();
        data.with(|(arrows, _)| {
            pool.update_value(|p| {
                let p = Pool::reuse(
                    p,
                    g.clone().into(),
                    r#"<line class="hit"></line><line class="shaft"></line><text class="x"></text><title></title>"#,
                );
                let keys: Vec<u64> = arrows.iter().map(|d| d.id.0).collect();
                p.sync_keyed(&keys, |i, w| {
                    let d = &arrows[i];
                    let class = format!(
                        "arrow kind-slot-{}{}{}{}{}",
                        d.slot,
                        if d.lost { " lost" } else { "" },
                        if d.inflight { " inflight" } else { "" },
                        if selected == Selection::Message(d.id) { " selected" } else { "" },
                        if flagged.contains(&d.id) { " flagged" } else { "" },
                    );
                    w.set(0, "class", &class);
                    w.set(0, "data-testid", &format!("arrow-{}", d.id.0));
                    w.set(0, "data-msg", &d.id.0.to_string());
                    let x2 = format!("{:.2}", d.x2);
                    let (x1, y1, y2) = (format!("{:.2}", d.x1), format!("{:.1}", d.y1), format!("{:.1}", d.y2));
                    for part in [1, 2] {
                        w.set(part, "x1", &x1);
                        w.set(part, "y1", &y1);
                        w.set(part, "x2", &x2);
                        w.set(part, "y2", &y2);
                    }
                    w.set(2, "marker-end", if d.lost { "" } else { "url(#st-head)" });
                    w.set(3, "x", &x2);
                    w.set(3, "y", &format!("{:.1}", d.y2 + 4.0));
                    w.set(3, "text", if d.lost { "✕" } else { "" });
                    w.set(4, "text", &format!("{} {} S{} → S{}", d.id, d.kind, d.from + 1, d.to + 1));
                });
            });
        });
    });
    // Per frame only this changes: a CSS transform on the arrow layer.
    let slide = move || {
        let shift = (ctx.now_us.get() as f64 - anchor.get() as f64) * scale() * px.get();
        format!("transform: translate3d({:.2}px, 0, 0)", -shift)
    };
    let height = move || {
        let n = names.with(Vec::len);
        16.0 + n as f64 * lane(n)
    };
    let view_box = move || format!("0 0 {WIDTH} {}", height() + 16.0);
    // The clip box: from the lane start to the cursor, in pixels.
    let clip_style = move || {
        let s = px.get();
        format!("left: {:.1}px; width: {:.1}px;", LEFT * s, span * s)
    };
    // The layer has the base's size in pixels, so the same viewBox maps the
    // same way; it starts LEFT units to the left, under the lane labels.
    let layer_style = move || format!("left: {:.1}px; width: {:.1}px;", -LEFT * px.get(), WIDTH * px.get());
    let diagram = move || {
        let lanes = names.with(|names| {
            let n = names.len();
            names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    view! {
                        <g class="lane">
                            <text x=4 y=lane_y(i, n) + 4.0>{name.clone()}</text>
                            <line x1=LEFT y1=lane_y(i, n) x2=WIDTH - 10.0 y2=lane_y(i, n)></line>
                        </g>
                    }
                })
                .collect_view()
        });
        // Marks and time ticks are drawn in the layer, at the anchor's
        // coordinates, so they slide with the arrows.
        let marks = move || {
            let k = scale();
            let h = height();
            let at = anchor.get() as f64;
            let x = move |t: u64| LEFT + span + (t as f64 - at) * k;
            let n = names.with(Vec::len);
            data.with(|(_, marks)| {
                marks
                    .iter()
                    .map(|m| match *m {
                        Mark::Crash(i, t) => view! { <text class="mark crash" x=x(t.0) y=lane_y(i.index(), n) + 5.0>"✕"<title>{ctx.t().crashed}</title></text> }.into_any(),
                        Mark::Restart(i, t) => view! { <text class="mark restart" x=x(t.0) y=lane_y(i.index(), n) + 5.0>"↻"<title>{ctx.t().restarted}</title></text> }.into_any(),
                        Mark::Pause(i, a, b) => view! {
                            <rect class="mark pause" x=x(a.0) y=lane_y(i.index(), n) - 5.0 width=((b.0 - a.0) as f64 * k).max(2.0) height=10><title>{ctx.t().paused}</title></rect>
                        }
                        .into_any(),
                        Mark::Network(verb, t) => view! {
                            <g class="mark net"><line x1=x(t.0) y1=4 x2=x(t.0) y2=h - 4.0></line><text x=x(t.0) + 3.0 y=10>{net_label(ctx.t(), verb)}</text></g>
                        }
                        .into_any(),
                    })
                    .collect_view()
            })
        };
        let ticks = move || {
            let window = window_ms.get() * 1000;
            let at = anchor.get();
            let k = scale();
            let h = height();
            // Round times, a fifth of the window apart, over the layer's span.
            let step = (window / 5).max(1);
            let first = at.saturating_sub(window * 2) / step * step;
            (0..16)
                .map(|i| first + i * step)
                .filter(|t| *t <= at + window)
                .map(|t| {
                    let x = LEFT + span + (t as f64 - at as f64) * k;
                    view! { <text class="tick" x=x y=h + 12.0>{format!("{:.0}", t as f64 / 1000.0)}</text> }
                })
                .collect_view()
        };
        view! {
            // Taller with many lanes, so the diagram keeps its width.
            <div class="st-box" style=move || {
                let n = names.with(Vec::len);
                if n > 8 { format!("height: min(16rem, {:.2}rem)", 9.5 * n as f64 / 8.0) } else { String::new() }
            }>
                <svg id="spacetime-svg" class="spacetime" data-testid="spacetime" xmlns="http://www.w3.org/2000/svg"
                    node_ref=base_svg viewBox=view_box preserveAspectRatio="xMinYMin meet">
                    <style>{SVG_STYLE}</style>
                    {lanes}
                    <line class="cursor" x1=LEFT + span y1=2 x2=LEFT + span y2=height></line>
                    // The axis's unit under the lane names, the cursor's time at its foot.
                    <text class="tick unit" x=4 y=move || height() + 12.0>"ms"</text>
                    <text class="tick now" x=LEFT + span - 3.0 y=move || height() + 12.0>{move || format!("{:.1}", ctx.now_us.get() as f64 / 1000.0)}</text>
                </svg>
                <div class="st-clip" style=clip_style>
                    <div class="st-layer" style=move || format!("{} {}", layer_style(), slide())>
                        <svg id="spacetime-layer" class="spacetime" xmlns="http://www.w3.org/2000/svg"
                            viewBox=view_box preserveAspectRatio="xMinYMin meet">
                            <style>{SVG_STYLE}</style>
                            <defs>
                                <marker id="st-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                                    <path d="M0 0 L8 4 L0 8 z" class="head"></path>
                                </marker>
                            </defs>
                            {marks}
                            {ticks}
                            <g class="arrows" node_ref=arrows_layer on:click=move |ev| {
                                if let Some(id) = closest_attr(&ev, "data-msg").and_then(|s| s.parse().ok()) {
                                    ctx.selected.set(Selection::Message(MsgId(id)));
                                }
                            }></g>
                        </svg>
                    </div>
                </div>
            </div>
        }
    };
    view! {
        <section class="panel spacetime-panel" data-testid="spacetime-panel">
            <div class="bar">
                <button class="link" on:click=move |_| open.update(|o| *o = !*o) aria-expanded=move || open.get().to_string()>
                    <h2>{move || format!("{} {}", if open.get() { "▾" } else { "▸" }, ctx.t().spacetime)}</h2>
                </button>
                <select data-testid="st-window" on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<u64>() { window_ms.set(v.clamp(10, 60_000)) } }>
                    <option value="100">"100 ms"</option>
                    <option value="300" selected>"300 ms"</option>
                    <option value="1000">"1 s"</option>
                    <option value="5000">"5 s"</option>
                </select>
                <button data-testid="export-svg" on:click=move |_| {
                    let shift = (ctx.now_us.get_untracked() as f64 - anchor.get_untracked() as f64) * scale();
                    export_svg(&ctx, shift)
                }>{move || ctx.t().export_svg}</button>
                <button data-testid="export-trace" on:click=move |_| export_trace(&ctx)>{move || ctx.t().export_trace}</button>
            </div>
            <Show when=move || open.get()>{diagram}{move || legend(ctx)}</Show>
        </section>
    }
}

/// What the diagram's colours and marks mean: a swatch per pair of message
/// kinds (a request and its answer share a colour), then lost, in flight,
/// crash, restart, pause, network change and violation.
fn legend(ctx: Ctx) -> impl IntoView {
    let t = ctx.t();
    let kinds = ctx.view.with(|v| v.as_ref().map(|v| v.protocol.message_kinds)).unwrap_or(&[]);
    let colours = ["#e69f00", "#009e73", "#d55e00", "#cc79a7"];
    let pairs = kinds
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let colour = colours[i % colours.len()];
            view! {
                <span class="st-key"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="21" y2="4" stroke=colour stroke-width="2"></line></svg>{pair.join(" / ")}</span>
            }
        })
        .collect_view();
    view! {
        <div class="st-legend" data-testid="st-legend">
            {pairs}
            <span class="st-key"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="17" y2="4" stroke="#d55e00" stroke-width="1.6" stroke-dasharray="3 3"></line><text x="19" y="8" fill="#d55e00" font-size="9" font-weight="700">"✕"</text></svg>{t.st_lost}</span>
            <span class="st-key"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="21" y2="4" stroke="currentColor" stroke-opacity=".45" stroke-width="2"></line></svg>{t.st_in_flight}</span>
            <span class="st-key"><b class="crash">"✕"</b>{t.st_crash}</span>
            <span class="st-key"><b class="restart">"↻"</b>{t.restarted}</span>
            <span class="st-key"><span class="pause-bar"></span>{t.st_pause}</span>
            <span class="st-key"><span class="net-line"></span>{t.st_network}</span>
            <span class="st-key"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="21" y2="4" stroke="#c0392b" stroke-width="3"></line></svg>{t.st_violation}</span>
        </div>
    }
}

/// A network command's mark in the reader's language.
fn net_label(t: &crate::strings::Strings, verb: &str) -> &'static str {
    let i = ["partition", "isolate", "cut", "heal", "heal_link"].iter().position(|v| *v == verb).unwrap_or(0);
    t.net_verbs[i]
}

/// Styles inside the SVG, so an exported file looks the same on its own.
/// Scoped to `.spacetime`: a style element in inline SVG applies to the
/// whole page, and bare rules would restyle the cluster's text.
const SVG_STYLE: &str = ".spacetime text{font:11px system-ui,sans-serif;fill:currentColor}\
.spacetime .lane line{stroke:#9aa3ad;stroke-width:1}.spacetime .shaft{stroke-width:1.4}\
.spacetime .kind-slot-0 .shaft{stroke:#e69f00}.spacetime .kind-slot-1 .shaft{stroke:#009e73}\
.spacetime .kind-slot-2 .shaft{stroke:#d55e00}.spacetime .kind-slot-3 .shaft{stroke:#cc79a7}\
.spacetime .lost .shaft{stroke:#d55e00;stroke-dasharray:3 3}.spacetime .inflight .shaft{stroke-opacity:.5}\
.spacetime .hit{stroke:#000;stroke-width:8;visibility:hidden;pointer-events:stroke;cursor:pointer}\
.spacetime .selected .shaft{stroke-width:3.5}\
.spacetime .flagged .shaft{stroke:#c0392b;stroke-width:3;stroke-opacity:1}.spacetime .head{fill:#5b6472}\
.spacetime .x{fill:#d55e00;text-anchor:middle;font-weight:700}\
.spacetime .cursor{stroke:#d55e00;stroke-width:1.5}.spacetime .mark{font-weight:700;text-anchor:middle}\
.spacetime .crash{fill:#c0392b}.spacetime .restart{fill:#009e73}.spacetime .pause{fill:#9aa3ad;opacity:.6}\
.spacetime .net line{stroke:#c0392b;stroke-dasharray:4 3}.spacetime .net text{fill:#c0392b;text-anchor:start}\
.spacetime .tick{fill:#5b6472;text-anchor:middle}.spacetime .tick.unit{text-anchor:start}\
.spacetime .tick.now{text-anchor:end;fill:#d55e00;font-weight:600}";

fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &props).map_err(|_| "could not make the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "could not make a download link")?;
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a = doc.create_element("a").map_err(|_| "no anchor")?;
    let _ = a.set_attribute("href", &url);
    let _ = a.set_attribute("download", name);
    if let Some(h) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&a) {
        h.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn export_svg(ctx: &Ctx, shift_units: f64) {
    let doc = web_sys::window().and_then(|w| w.document());
    let get = |id: &str| doc.as_ref().and_then(|d| d.get_element_by_id(id));
    let (Some(base), Some(layer)) = (get("spacetime-svg"), get("spacetime-layer")) else { return };
    // One standalone file: the lanes, then the arrow layer shifted to the
    // cursor and clipped to the lanes, as on screen.
    let base = base.outer_html();
    let clip = format!(
        "<clipPath id=\"st-export-clip\"><rect x=\"{LEFT}\" y=\"0\" width=\"{}\" height=\"10000\"></rect></clipPath>",
        WIDTH - LEFT - 10.0
    );
    let layer = format!(
        "<g clip-path=\"url(#st-export-clip)\"><g transform=\"translate({:.2} 0)\">{}</g></g>",
        -shift_units,
        layer.inner_html()
    );
    let svg = match base.rfind("</svg>") {
        Some(i) => format!("{}{clip}{layer}{}", &base[..i], &base[i..]),
        None => base,
    };
    let _ = ctx;
    let _ = download("distlab-spacetime.svg", "image/svg+xml", &svg);
}

/// Most records a trace export carries (the rest is cut, and it says so).
const MAX_EXPORT: usize = 200_000;

fn export_trace(ctx: &Ctx) {
    let json = ctx.with_lab(|lab| {
        let records = lab.sim.trace().records();
        let end = records.upto(lab.sim.now());
        let take: Vec<_> = records.iter().take(end.min(MAX_EXPORT)).collect();
        serde_json::json!({
            "file": lab.file,
            "protocol": lab.sim.info().name,
            "message_kinds": lab.sim.info().message_kinds,
            "seed": lab.sim.seed(),
            "time_us": lab.sim.now().0,
            "trace_hash": lab.sim.trace().hash_hex(),
            "commands": &lab.sim.commands()[..lab.sim.commands_applied()],
            "truncated": end > MAX_EXPORT,
            "records": take,
        })
        .to_string()
    });
    if let Some(json) = json {
        let _ = download("distlab-trace.json", "application/json", &json);
    }
}
