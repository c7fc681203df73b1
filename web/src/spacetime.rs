//! The space-time (Lamport) diagram: a lane per node, time to the right,
//! an arrow per message from its send to its delivery (or to an ✕ where it
//! was lost), crashes, pauses and partition commands marked. It shows a
//! window of time ending at the cursor, so it scrolls as the run plays and
//! follows the scrubber. Clicking an arrow selects the message in both
//! views. It exports as SVG; the trace exports as JSON.

use crate::state::{Ctx, Selection};
use distlab_core::Micros;
use distlab_core::ids::MsgId;
use distlab_core::trace::RecordKind;
use leptos::prelude::*;
use std::collections::BTreeMap;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 44.0;
const LANE: f64 = 22.0;
/// At most this many arrows are drawn (the latest).
const MAX_ARROWS: usize = 400;
/// Records scanned per redraw, at most.
const MAX_SCAN: usize = 60_000;

#[derive(Clone, Debug)]
enum Fate {
    Delivered(u64),
    Lost(u64),
    InFlight,
}

#[derive(Clone, Debug)]
struct Arrow {
    id: MsgId,
    from: usize,
    to: usize,
    kind: &'static str,
    sent: u64,
    fate: Fate,
}

#[derive(Clone, Debug)]
enum Mark {
    Crash(usize, u64),
    Restart(usize, u64),
    Pause(usize, u64, u64),
    Network(&'static str, u64),
}

fn collect(ctx: &Ctx, now: u64, window: u64) -> (Vec<Arrow>, Vec<Mark>) {
    ctx.with_lab(|lab| {
        let kinds = lab.sim.info().message_kinds;
        let records = lab.sim.trace().records();
        let end = records.upto(Micros(now));
        // Look back one more window so messages sent before it still show.
        let start =
            records.upto(Micros(now.saturating_sub(window.saturating_mul(2)))).max(end.saturating_sub(MAX_SCAN));
        let t0 = now.saturating_sub(window);
        let mut arrows: BTreeMap<MsgId, Arrow> = BTreeMap::new();
        let mut marks = Vec::new();
        for r in records.iter_from(start).take(end - start) {
            let t = r.time.0;
            match r.kind {
                RecordKind::Send { msg, from, to, kind, .. } => {
                    let kind = kinds.get(kind as usize).copied().unwrap_or("?");
                    arrows.insert(
                        msg,
                        Arrow { id: msg, from: from.index(), to: to.index(), kind, sent: t, fate: Fate::InFlight },
                    );
                }
                RecordKind::Deliver { msg, .. } => {
                    if let Some(a) = arrows.get_mut(&msg) {
                        a.fate = Fate::Delivered(t);
                    }
                }
                RecordKind::Drop { msg, .. } | RecordKind::Undeliverable { msg, .. } => {
                    if let Some(a) = arrows.get_mut(&msg) {
                        a.fate = Fate::Lost(t);
                    }
                }
                RecordKind::Crash { node } if t >= t0 => marks.push(Mark::Crash(node.index(), t)),
                RecordKind::Restart { node } if t >= t0 => marks.push(Mark::Restart(node.index(), t)),
                RecordKind::Pause { node, until } if until.0 >= t0 => marks.push(Mark::Pause(node.index(), t, until.0)),
                RecordKind::Command { verb, .. }
                    if t >= t0 && matches!(verb, "partition" | "isolate" | "cut" | "heal" | "heal_link") =>
                {
                    marks.push(Mark::Network(verb, t))
                }
                _ => {}
            }
        }
        let mut out: Vec<Arrow> = arrows
            .into_values()
            .filter(|a| match a.fate {
                Fate::Delivered(d) | Fate::Lost(d) => d >= t0,
                Fate::InFlight => true,
            })
            .collect();
        if out.len() > MAX_ARROWS {
            out.drain(..out.len() - MAX_ARROWS);
        }
        (out, marks)
    })
    .unwrap_or_default()
}

/// See the module docs.
#[component]
pub fn SpaceTime() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let window_ms = RwSignal::new(300u64);
    // Open unless the window is short (an 800x580 iframe needs the room).
    let tall =
        web_sys::window().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64()).is_none_or(|h| h >= 700.0);
    let open = RwSignal::new(tall);
    let diagram = move || {
        let _ = ctx.revision.get();
        let selected = ctx.selected.get();
        let (now, n, names) = ctx.view.with(|v| {
            v.as_ref().map_or((0, 0, Vec::new()), |v| {
                (v.time_us, v.nodes.len(), v.nodes.iter().map(|n| n.id.to_string()).collect::<Vec<_>>())
            })
        });
        let window = window_ms.get() * 1000;
        let t0 = now.saturating_sub(window);
        let x = move |t: u64| LEFT + (t.saturating_sub(t0)) as f64 / window.max(1) as f64 * (WIDTH - LEFT - 10.0);
        let y = |i: usize| 16.0 + i as f64 * LANE;
        let height = 16.0 + n as f64 * LANE;
        let (arrows, marks) = collect(&ctx, now, window);
        let lanes = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                view! {
                    <g class="lane">
                        <text x=4 y=y(i) + 4.0>{name.clone()}</text>
                        <line x1=LEFT y1=y(i) x2=WIDTH - 10.0 y2=y(i)></line>
                    </g>
                }
            })
            .collect_view();
        let arrows = arrows
            .into_iter()
            .map(|a| {
                let (x1, y1) = (x(a.sent.max(t0)), y(a.from));
                let (end_t, lost) = match a.fate {
                    Fate::Delivered(t) => (t, false),
                    Fate::Lost(t) => (t, true),
                    Fate::InFlight => (now, false),
                };
                let (x2, y2) = if lost {
                    // A lost message ends half-way, with an ✕.
                    (x(end_t), (y(a.from) + y(a.to)) / 2.0)
                } else {
                    (x(end_t), y(a.to))
                };
                let id = a.id;
                let class = format!(
                    "arrow kind-{}{}{}{}",
                    a.kind,
                    if lost { " lost" } else { "" },
                    if matches!(a.fate, Fate::InFlight) { " inflight" } else { "" },
                    if selected == Selection::Message(id) { " selected" } else { "" }
                );
                view! {
                    <g class=class data-testid=format!("arrow-{}", id.0)
                        on:click=move |_| ctx.selected.set(Selection::Message(id))>
                        <line class="hit" x1=x1 y1=y1 x2=x2 y2=y2></line>
                        <line class="shaft" x1=x1 y1=y1 x2=x2 y2=y2 marker-end=if lost { "" } else { "url(#st-head)" }></line>
                        {lost.then(|| view! { <text class="x" x=x2 y=y2 + 4.0>"✕"</text> })}
                        <title>{format!("{id} {} S{} → S{}", a.kind, a.from + 1, a.to + 1)}</title>
                    </g>
                }
            })
            .collect_view();
        let marks = marks
            .into_iter()
            .map(|m| match m {
                Mark::Crash(i, t) => view! { <text class="mark crash" x=x(t) y=y(i) + 5.0>"✕"<title>"crash"</title></text> }.into_any(),
                Mark::Restart(i, t) => view! { <text class="mark restart" x=x(t) y=y(i) + 5.0>"↻"<title>"restart"</title></text> }.into_any(),
                Mark::Pause(i, a, b) => view! {
                    <rect class="mark pause" x=x(a.max(t0)) y=y(i) - 5.0 width=(x(b.min(now)) - x(a.max(t0))).max(2.0) height=10><title>"pause"</title></rect>
                }
                .into_any(),
                Mark::Network(verb, t) => view! {
                    <g class="mark net"><line x1=x(t) y1=4 x2=x(t) y2=height - 4.0></line><text x=x(t) + 3.0 y=10>{verb}</text></g>
                }
                .into_any(),
            })
            .collect_view();
        let ticks = (0..=5)
            .map(|k| {
                let t = t0 + window * k / 5;
                view! { <text class="tick" x=x(t) y=height + 12.0>{format!("{:.0}", t as f64 / 1000.0)}</text> }
            })
            .collect_view();
        view! {
            <svg id="spacetime-svg" class="spacetime" data-testid="spacetime" xmlns="http://www.w3.org/2000/svg"
                viewBox=format!("0 0 {WIDTH} {}", height + 16.0) preserveAspectRatio="xMinYMin meet">
                <style>{SVG_STYLE}</style>
                <defs>
                    <marker id="st-head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M0 0 L8 4 L0 8 z" class="head"></path>
                    </marker>
                </defs>
                {lanes}{marks}{arrows}{ticks}
                <line class="cursor" x1=x(now) y1=2 x2=x(now) y2=height></line>
            </svg>
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
                <button data-testid="export-svg" on:click=move |_| export_svg()>{move || ctx.t().export_svg}</button>
                <button data-testid="export-trace" on:click=move |_| export_trace(&ctx)>{move || ctx.t().export_trace}</button>
            </div>
            <Show when=move || open.get()>{diagram}</Show>
        </section>
    }
}

/// Styles inside the SVG, so an exported file looks the same on its own.
const SVG_STYLE: &str = "text{font:11px system-ui,sans-serif;fill:currentColor}.lane line{stroke:#9aa3ad;stroke-width:1}\
.shaft{stroke:#0072b2;stroke-width:1.4}.kind-AppendEntries .shaft,.kind-AppendEntriesResponse .shaft{stroke:#009e73}\
.kind-RequestVote .shaft,.kind-RequestVoteResponse .shaft{stroke:#e69f00}.lost .shaft{stroke:#d55e00;stroke-dasharray:3 3}\
.inflight .shaft{stroke-dasharray:2 2}.hit{stroke:transparent;stroke-width:8;cursor:pointer}.selected .shaft{stroke-width:3.5}\
.head{fill:#5b6472}.x{fill:#d55e00;text-anchor:middle;font-weight:700}.cursor{stroke:#d55e00;stroke-width:1.5}\
.mark{font-weight:700;text-anchor:middle}.crash{fill:#c0392b}.restart{fill:#009e73}.pause{fill:#9aa3ad;opacity:.6}\
.net line{stroke:#c0392b;stroke-dasharray:4 3}.net text{fill:#c0392b;text-anchor:start}.tick{fill:#5b6472;text-anchor:middle}";

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

fn export_svg() {
    let svg = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("spacetime-svg"))
        .map(|e| e.outer_html());
    if let Some(svg) = svg {
        let _ = download("distlab-spacetime.svg", "image/svg+xml", &svg);
    }
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
