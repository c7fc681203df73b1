//! The side panels: the inspector (the selected node or message, with the
//! actions on it), the invariant lights, and the network and partition
//! tools. Every action is a `Command` given through [`Ctx::act`].
//!
//! Everything here is split so that what changes every frame (fields,
//! timers, the log) is redrawn every frame, and what a learner types into
//! or clicks (forms, buttons) is rebuilt only when what it offers changes.

use crate::state::{Ctx, Selection, SwitchView};
use crate::strings::fill;
use distlab_core::command::{Command, NodeRef};
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::lesson::Lang;
use distlab_core::network::{Latency, NetworkParams};
use distlab_core::view::{Field, NodeStatus, NodeView, ProtocolInfo, WorldView};
use leptos::prelude::*;

fn ms(us: u64) -> String {
    format!("{:.3} ms", us as f64 / 1000.0)
}

/// The node's buttons and forms; rebuilt when the node's status changes.
fn node_controls(ctx: Ctx, id: NodeId) -> impl IntoView {
    // (status, timers, first request example), watched as a memo.
    let shape = Memo::new(move |_| {
        ctx.view.with(|v| {
            v.as_ref().and_then(|v| {
                let n = v.nodes.iter().find(|n| n.id == id)?;
                Some((
                    n.status,
                    v.protocol.timers,
                    v.protocol.request_examples.first().copied().unwrap_or(""),
                    v.protocol.labels,
                ))
            })
        })
    });
    let pause_ms = RwSignal::new("300".to_string());
    let request = RwSignal::new(shape.get_untracked().map_or("", |s| s.2).to_string());
    let timer = RwSignal::new(shape.get_untracked().and_then(|s| s.1.first().copied()).unwrap_or(""));
    let target = move || NodeRef::Id(id);
    move || {
        let t = ctx.t();
        let (status, timer_names, example, labels) = shape.get()?;
        let lang = ctx.lang.get();
        let crashed = status == NodeStatus::Crashed;
        let status_text = match status {
            NodeStatus::Up => t.up,
            NodeStatus::Crashed => t.crashed,
            NodeStatus::Paused => t.paused,
        };
        let timers = (!timer_names.is_empty()).then(|| {
            view! {
                <span class="joined">
                    <button disabled=crashed data-testid="timeout"
                        on:click=move |_| { ctx.act(Command::Timeout { node: target(), timer: timer.get_untracked().to_string() }); }>
                        {t.fire_timer}
                    </button>
                    <select aria-label=t.timers data-testid="timeout-timer" prop:value=move || timer.get() on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(name) = timer_names.iter().find(|n| **n == v) { timer.set(name) }
                    }>
                        {timer_names.iter().map(|n| {
                            let label = labels.iter().find(|l| l.key == *n).map_or(*n, |l| l.get(lang));
                            view! { <option value=*n>{label}</option> }
                        }).collect_view()}
                    </select>
                </span>
            }
        });
        Some(view! {
            <div class="inspect-node" data-testid="inspect-node">
                <h3>{format!("{} {id}", t.node)} <span class="muted">{format!(" · {status_text}")}</span></h3>
                <div class="actions">
                    {if crashed {
                        view! { <button data-testid="restart" on:click=move |_| { ctx.act(Command::Restart { node: target() }); }>{t.restart}</button> }.into_any()
                    } else {
                        view! { <button class="danger" data-testid="crash" on:click=move |_| { ctx.act(Command::Crash { node: target() }); }>{t.crash}</button> }.into_any()
                    }}
                    <button data-testid="isolate" on:click=move |_| { ctx.act(Command::Isolate { node: target() }); }>{t.isolate}</button>
                    {timers}
                </div>
                <form class="inline" on:submit=move |ev| {
                    ev.prevent_default();
                    match pause_ms.get_untracked().trim().parse::<u64>() {
                        Ok(v) => { ctx.act(Command::Pause { node: target(), for_us: v.saturating_mul(1000) }); }
                        Err(_) => ctx.warn(fill(t.not_whole, &[&t.pause_for, &pause_ms.get_untracked(), &(u64::MAX / 1000)])),
                    }
                }>
                    <label>{t.pause_for}" "<input type="text" inputmode="numeric" size="6" data-testid="pause-ms"
                        prop:value=move || pause_ms.get() on:input=move |ev| pause_ms.set(event_target_value(&ev)) /></label>
                    <button type="submit" disabled=crashed data-testid="pause-node" title=t.pause_for>{t.gc_pause}</button>
                </form>
                // Only for protocols that take client requests (they give an example).
                {(!example.is_empty()).then(|| view! {
                    <form class="inline" on:submit=move |ev| {
                        ev.prevent_default();
                        ctx.act(Command::Request { node: target(), op: request.get_untracked() });
                    }>
                        <label>{t.request}" "<input type="text" size="10" maxlength="64" data-testid="request-op" placeholder=example
                            prop:value=move || request.get() on:input=move |ev| request.set(event_target_value(&ev)) /></label>
                        <button type="submit" data-testid="send-request">{t.send}</button>
                    </form>
                })}
            </div>
        })
    }
}

/// A protocol's fields as table rows, named by the protocol's labels in
/// the reader's language (the key itself is kept as a tooltip).
fn field_rows(info: &ProtocolInfo, lang: Lang, fields: &[Field]) -> impl IntoView + use<> {
    fields
        .iter()
        .map(|f| view! { <tr><th title=f.name>{info.label_text(f.name, lang)}</th><td>{f.value.display()}</td></tr> })
        .collect_view()
}

/// The node's state at the cursor; redrawn every frame.
fn node_details(ctx: Ctx, info: &ProtocolInfo, node: &NodeView) -> impl IntoView + use<> {
    let t = ctx.t();
    let lang = ctx.lang.get();
    let role_label = match info.roles.iter().find(|r| r.name == node.protocol.role) {
        Some(r) if ctx.lang.get() == Lang::ZhCn => r.name_zh_cn,
        _ if node.status == NodeStatus::Crashed => t.crashed,
        _ => node.protocol.role,
    };
    let fields = field_rows(info, lang, &node.protocol.fields);
    let timers = node
        .timers
        .iter()
        .map(|tm| view! { <li title=tm.name>{format!("{} → {}", info.label_text(tm.name, lang), ms(tm.fires_at_us))}</li> })
        .collect_view();
    let log = node
        .protocol
        .log
        .iter()
        .rev()
        .take(40)
        .map(|e| {
            let class = if e.committed { "entry committed" } else { "entry uncommitted" };
            let title = if e.committed { t.committed } else { t.uncommitted };
            view! {
                <li class=class title=title>
                    <span class="idx">{e.index}</span>
                    <span class="eterm">{format!("t{}", e.term)}</span>
                    <span class="etext">{e.text.clone()}</span>
                </li>
            }
        })
        .collect_view();
    let store = if node.protocol.store.is_empty() {
        view! { <tr><td class="muted">{t.empty}</td></tr> }.into_any()
    } else {
        node.protocol
            .store
            .iter()
            .map(|(k, val)| view! { <tr><th>{k.clone()}</th><td>{val.clone()}</td></tr> })
            .collect_view()
            .into_any()
    };
    let clock = format!(
        "{}{}",
        ms(node.clock_us),
        if node.drift_ppm != 0 { format!(" ({:+} ppm)", node.drift_ppm) } else { String::new() }
    );
    let has_timers = !node.timers.is_empty();
    let has_log = !node.protocol.log.is_empty();
    view! {
        <div class="details" data-testid="node-details">
            <table class="fields"><tbody>
                <tr><th>{t.role}</th><td>{role_label}</td></tr>
                <tr><th>{t.clock}</th><td>{clock}</td></tr>
                {fields}
            </tbody></table>
            {has_timers.then(|| view! { <h4>{t.timers}</h4><ul class="timers">{timers}</ul> })}
            {has_log.then(|| view! { <h4>{t.log}</h4><ol class="log" data-testid="log">{log}</ol> })}
            <h4>{node.protocol.store_title.as_ref().map_or(t.store.to_string(), |s| s.get(lang).to_string())}</h4>
            <table class="fields"><tbody>{store}</tbody></table>
        </div>
    }
}

/// The message's buttons; rebuilt when it is held, released or gone.
fn message_controls(ctx: Ctx, id: MsgId) -> impl IntoView {
    let held = Memo::new(move |_| {
        ctx.view.with(|v| v.as_ref().and_then(|v| v.messages.iter().find(|m| m.id == id).map(|m| m.held)))
    });
    move || {
        let t = ctx.t();
        let Some(held) = held.get() else {
            // Not in flight at the cursor: what the trace says about it.
            let _ = ctx.revision.get();
            let past = message_history(&ctx, id).map(|h| {
                let fate = match h.fate {
                    Some((at, true, _)) => format!("{} {}", t.delivered_at, ms(at)),
                    Some((at, false, _)) => format!("{} {}", t.lost_at, ms(at)),
                    None => String::new(),
                };
                // Back to the moment before it arrived (or was lost), where
                // it is in flight and its fields can be read.
                let before = h.fate.filter(|_| h.was_in_flight).map(|(_, arrived, index)| {
                    view! {
                        <div class="actions">
                            <button data-testid="msg-before" on:click=move |_| ctx.seek_before_record(index)>
                                {if arrived { t.before_arrival } else { t.before_loss }}
                            </button>
                        </div>
                    }
                });
                view! {
                    <table class="fields"><tbody>
                        <tr><th>{t.from_to}</th><td>{format!("{} → {}", h.from, h.to)}</td></tr>
                        <tr><th>{t.sent_at}</th><td>{ms(h.sent)}</td></tr>
                        <tr><th>{t.message}</th><td>{h.kind}</td></tr>
                        {(!fate.is_empty()).then(|| view! { <tr><td colspan="2">{fate}</td></tr> })}
                    </tbody></table>
                    {before}
                }
            });
            return view! { <h3>{format!("{} {id}", t.message)}</h3><p class="muted">{t.message_gone}</p>{past} }
                .into_any();
        };
        view! {
            <h3>{format!("{} {id}", t.message)} <span class="muted">{held.then_some(format!(" · {}", t.held))}</span></h3>
            <div class="actions" data-testid="inspect-msg">
                <button class="danger" data-testid="drop-msg" on:click=move |_| { ctx.act(Command::Drop { msg: id }); }>{t.drop}</button>
                <button data-testid="dup-msg" on:click=move |_| { ctx.act(Command::Duplicate { msg: id }); }>{t.duplicate}</button>
                {if held {
                    view! { <button data-testid="release-msg" on:click=move |_| { ctx.act(Command::Release { msg: id }); }>{t.release}</button> }.into_any()
                } else {
                    view! { <button data-testid="hold-msg" on:click=move |_| { ctx.act(Command::Hold { msg: id }); }>{t.hold}</button> }.into_any()
                }}
            </div>
        }
        .into_any()
    }
}

/// A message as the trace recorded it up to the cursor.
struct History {
    kind: &'static str,
    from: NodeId,
    to: NodeId,
    sent: u64,
    /// When it arrived (true) or was lost (false), and the trace record
    /// that says so.
    fate: Option<(u64, bool, usize)>,
    /// Whether its fate came in a later event than its send (so there is a
    /// moment when it was in flight; a message the network lost on sending
    /// never was).
    was_in_flight: bool,
}

/// Looks `id` up in the trace before the cursor (a bounded look back).
fn message_history(ctx: &Ctx, id: MsgId) -> Option<History> {
    use distlab_core::query::{self, Fate};
    ctx.with_lab(|lab| {
        let kinds = lab.sim.info().message_kinds;
        let records = lab.sim.trace().records();
        let h = query::message(records, id, records.upto(lab.sim.now()))?;
        let fate = match (h.fate, h.fate_record) {
            (Fate::Delivered(t), Some(i)) => Some((t.0, true, i)),
            (Fate::Lost(t), Some(i)) => Some((t.0, false, i)),
            _ => None,
        };
        Some(History {
            kind: kinds.get(h.kind as usize).copied().unwrap_or("?"),
            from: h.from,
            to: h.to,
            sent: h.sent.0,
            fate,
            was_in_flight: h.was_in_flight,
        })
    })
    .flatten()
}

/// The message's fields at the cursor.
fn message_details(ctx: Ctx, v: &WorldView, id: MsgId) -> AnyView {
    let t = ctx.t();
    let Some(m) = v.messages.iter().find(|m| m.id == id) else { return ().into_any() };
    let fields = field_rows(&v.protocol, ctx.lang.get(), &m.message.fields);
    view! {
        <p class="summary">{m.message.summary.clone()}</p>
        <table class="fields"><tbody>
            <tr><th>{t.from_to}</th><td>{format!("{} → {}", m.from, m.to)}</td></tr>
            <tr><th>{t.sent_at}</th><td>{ms(m.sent_us)}</td></tr>
            <tr><th>{t.arrives_at}</th><td>{ms(m.deliver_us)}</td></tr>
            {fields}
        </tbody></table>
    }
    .into_any()
}

/// The inspector: follows the time cursor.
#[component]
pub fn Inspector() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <section class="panel inspector" data-testid="inspector">
            <h2>{move || ctx.t().inspector}</h2>
            {move || {
                let sel = ctx.selected.get();
                match sel {
                    Selection::Node(id) => node_controls(ctx, id).into_any(),
                    Selection::Message(id) => message_controls(ctx, id).into_any(),
                    Selection::None => view! { <p class="muted">{move || ctx.t().nothing_selected}</p> }.into_any(),
                }
            }}
            {move || {
                let sel = ctx.selected.get();
                ctx.view.with(|v| {
                    let v = v.as_ref()?;
                    Some(match sel {
                        Selection::Node(id) => {
                            v.nodes.iter().find(|n| n.id == id).map(|n| node_details(ctx, &v.protocol, n)).into_any()
                        }
                        Selection::Message(id) => message_details(ctx, v, id),
                        Selection::None => ().into_any(),
                    })
                })
            }}
        </section>
    }
}

/// A light per invariant; the violation sentences below. Redrawn only when
/// the violations change.
#[component]
pub fn Invariants() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let state =
        Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(|v| (v.protocol.invariants, v.violations.clone()))));
    move || {
        let t = ctx.t();
        let lang = ctx.lang.get();
        let zh = lang == Lang::ZhCn;
        state.with(|s| {
            let (invariants, violations) = s.as_ref()?;
            let lights = invariants
                .iter()
                .map(|inv| {
                    let broken = violations.iter().any(|x| x.invariant == inv.name);
                    let (name, rule) = if zh { (inv.name_zh_cn, inv.rule_zh_cn) } else { (inv.name, inv.rule) };
                    view! {
                        <li class=if broken { "light broken" } else { "light ok" } title=format!("{rule} — {}", inv.source)
                            data-testid=format!("inv-{}", inv.name.replace(' ', "-"))>
                            <span class="dot" aria-hidden="true">{if broken { "✕" } else { "✓" }}</span>
                            {name}
                            {broken.then(|| view! { <span class="sr">{format!(" ({})", t.violated)}</span> })}
                        </li>
                    }
                })
                .collect_view();
            // Each sentence, then what it involves: clicking a node or a
            // message selects it in every view.
            let sentences = violations
                .iter()
                .take(5)
                .map(|x| {
                    let nodes = x.nodes.iter().map(|&n| {
                        view! { <button class="chip" data-testid=format!("involved-node-{}", n.0)
                            on:click=move |_| ctx.selected.set(Selection::Node(n))>{n.to_string()}</button> }
                    });
                    let messages = x.messages.iter().map(|&m| {
                        view! { <button class="chip msg" data-testid=format!("involved-msg-{}", m.0)
                            on:click=move |_| ctx.selected.set(Selection::Message(m))>{m.to_string()}</button> }
                    });
                    view! {
                        <div class="violation" role="alert" data-testid="violation">
                            <p>{format!("{} — {}", ms(x.time_us), x.message.get(lang))}</p>
                            <p class="involved">{t.involved} {nodes.collect_view()} {messages.collect_view()}</p>
                        </div>
                    }
                })
                .collect_view();
            Some(view! {
                <section class="panel invariants" data-testid="invariants">
                    <h2>{t.invariants}</h2>
                    <ul class="lights">{lights}</ul>
                    {if violations.is_empty() {
                        view! { <p class="ok" data-testid="invariants-ok">{fill(t.all_hold, &[&invariants.len()])}</p> }.into_any()
                    } else {
                        sentences.into_any()
                    }}
                </section>
            })
        })
    }
}

/// Break-it switches as a list: a checkbox each (flipping one is a
/// command like any other: it forks the run when given in the past), with
/// what it breaks and which invariant catches it.
pub fn switch_list(ctx: Ctx, list: &[SwitchView]) -> impl IntoView + use<> {
    let t = ctx.t();
    let rows = list
        .iter()
        .map(|s| {
            let (key, on) = (s.key, s.on);
            view! {
                <li>
                    <label class="switch">
                        <input type="checkbox" role="switch" data-testid=format!("switch-{key}") prop:checked=on
                            on:change=move |_| { ctx.act(Command::Switch { key: key.to_string(), on: !on }); } />
                        <code>{key}</code>
                    </label>
                    <span class="effect">{s.effect}</span>
                    <span class="muted">{fill(t.caught_by, &[&s.caught_by])}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul>{rows}</ul> }
}

/// A playground's break-it switches: every switch of the protocol. A
/// lesson offers only its own, in the lesson pane.
#[component]
pub fn Switches() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let state = Memo::new(move |_| {
        if ctx.lesson.with(|l| l.is_some()) {
            return None;
        }
        let lang = ctx.lang.get();
        ctx.view.with(|v| v.as_ref().map(|v| SwitchView::list(&v.protocol, &v.switches, None, lang)))
    });
    // Stays open while a flip redraws the list.
    let open = RwSignal::new(false);
    move || {
        state.with(|list| {
            let list = list.as_ref().filter(|l| !l.is_empty())?;
            Some(view! {
                <section class="panel switches" data-testid="switches">
                    <details open=open.get_untracked()
                        on:toggle=move |ev| open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"))>
                        <summary><h2>{ctx.t().break_it}</h2></summary>
                        {switch_list(ctx, list)}
                    </details>
                </section>
            })
        })
    }
}

/// The protocol's live figures (throughput, fairness, cost), when it has
/// any; they follow the time cursor like everything else.
#[component]
pub fn Figures() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let figures = Memo::new(move |_| ctx.view.with(|v| v.as_ref().map(|v| v.figures.clone()).unwrap_or_default()));
    move || {
        let lang = ctx.lang.get();
        figures.with(|f| {
            (!f.is_empty()).then(|| {
                let rows = f
                    .iter()
                    .map(|x| {
                        let bars = (!x.bars.is_empty()).then(|| bars(&x.bars));
                        view! { <tr><th>{x.name.get(lang).to_string()}</th><td>{x.value.get(lang).to_string()}{bars}</td></tr> }
                    })
                    .collect_view();
                view! {
                    <section class="panel figures" data-testid="figures">
                        <h2>{ctx.t().figures}</h2>
                        <table class="fields"><tbody>{rows}</tbody></table>
                    </section>
                }
            })
        })
    }
}

/// A figure's bar chart: one row per bar, its length relative to the
/// largest, in its node's colour when it stands for a node.
fn bars(list: &[distlab_core::view::Bar]) -> impl IntoView + use<> {
    let max = list.iter().map(|b| b.value).fold(0.0f64, f64::max).max(1e-9);
    let rows = list
        .iter()
        .map(|b| {
            let colour = b.node.map_or("var(--accent)", |n| crate::stage::ring::node_colour(n.0));
            let width = (b.value / max * 100.0).clamp(0.0, 100.0);
            let value = if b.value.fract() == 0.0 { format!("{}", b.value as i64) } else { format!("{:.2}", b.value) };
            view! {
                <div class="bar-row">
                    <span class="bar-label">{b.label.clone()}</span>
                    <span class="bar-track"><span class="bar" style=format!("width: {width:.1}%; background: {colour}")></span></span>
                    <span class="bar-value">{value}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div class="bars" data-testid="figure-bars">{rows}</div> }
}

/// Parses a form field, naming it in the error.
fn number(t: &crate::strings::Strings, label: &str, text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| fill(t.not_a_number, &[&label, &text.trim()]))
}

/// Network conditions and the partition tool.
#[component]
pub fn NetworkPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lat_min = RwSignal::new("5".to_string());
    let lat_max = RwSignal::new("15".to_string());
    let loss = RwSignal::new("0".to_string());
    let dup = RwSignal::new("0".to_string());
    let reorder = RwSignal::new("0".to_string());
    // The fields show the network in force; they follow it when it changes
    // (another file, a command, a rewind), not while someone types.
    let current = Memo::new(move |_| {
        let _ = ctx.revision.get();
        ctx.with_lab(|lab| lab.sim.network().clone())
    });
    Effect::new(move |_| {
        let Some(p) = current.get() else { return };
        let (min, max) = match p.latency {
            Latency::Constant { us } => (us, us),
            Latency::Uniform { min_us, max_us }
            | Latency::Exponential { min_us, max_us, .. }
            | Latency::Normal { min_us, max_us, .. } => (min_us, max_us),
        };
        let ms_text = |us: u64| format!("{}", us as f64 / 1000.0);
        lat_min.set(ms_text(min));
        lat_max.set(ms_text(max));
        loss.set(p.loss_ratio.to_string());
        dup.set(p.duplicate_ratio.to_string());
        reorder.set(p.reorder_ratio.to_string());
    });
    let cut_from = RwSignal::new(1u32);
    let cut_to = RwSignal::new(2u32);
    let apply = move || -> Result<NetworkParams, String> {
        let t = ctx.t();
        // Only what turning the text into microseconds needs; the ranges are
        // checked by the core (`NetworkParams::check`), as for a file.
        let us = |label: &str, s: &str| -> Result<u64, String> {
            let v = number(t, label, s)?;
            let max = distlab_core::limits::MAX_LATENCY.0 / 1000;
            if v < 0.0 || v > max as f64 {
                Err(fill(t.out_of_range, &[&label, &v, &0, &max]))
            } else {
                Ok((v * 1000.0).round() as u64)
            }
        };
        let (min_us, max_us) = (us(t.min, &lat_min.get_untracked())?, us(t.max, &lat_max.get_untracked())?);
        let mut params = ctx.with_lab(|lab| lab.sim.network().clone()).unwrap_or_default();
        params.latency = Latency::Uniform { min_us, max_us };
        params.loss_ratio = number(t, t.loss, &loss.get_untracked())?;
        params.duplicate_ratio = number(t, t.duplication, &dup.get_untracked())?;
        params.reorder_ratio = number(t, t.reordering, &reorder.get_untracked())?;
        Ok(params)
    };
    let field = move |label: &'static str, sig: RwSignal<String>, testid: &'static str| {
        view! {
            <label>{label}<input type="text" inputmode="decimal" size="5" data-testid=testid
                prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev)) /></label>
        }
    };
    // A memo: the node list changes with the file, not every frame.
    let node_ids = Memo::new(move |_| {
        ctx.view.with(|v| v.as_ref().map(|v| v.nodes.iter().map(|n| n.id).collect::<Vec<_>>()).unwrap_or_default())
    });
    let node_ids = move || node_ids.get();
    let options = move |sel: RwSignal<u32>| {
        node_ids()
            .into_iter()
            .map(|id| view! { <option value=id.0.to_string() selected=move || sel.get() == id.0>{id.to_string()}</option> })
            .collect_view()
    };
    view! {
        <section class="panel network" data-testid="network">
            <details>
                <summary><h2>{move || ctx.t().network}</h2></summary>
                <form class="grid" on:submit=move |ev| {
                    ev.prevent_default();
                    match apply() {
                        Ok(params) => { ctx.act(Command::SetNetwork { params }); }
                        Err(e) => ctx.warn(e),
                    }
                }>
                    <span class="span2">{move || ctx.t().latency_ms}</span>
                    {move || field(ctx.t().min, lat_min, "lat-min")}
                    {move || field(ctx.t().max, lat_max, "lat-max")}
                    {move || field(ctx.t().loss, loss, "loss")}
                    {move || field(ctx.t().duplication, dup, "dup")}
                    {move || field(ctx.t().reordering, reorder, "reorder")}
                    <button type="submit" data-testid="apply-network">{move || ctx.t().apply}</button>
                </form>
            </details>
            <details>
                <summary><h2>{move || ctx.t().partitions}</h2></summary>
                <p class="muted">{move || ctx.t().pick_nodes}</p>
                <div class="picks">
                    {move || node_ids().into_iter().map(|id| view! {
                        <label class="pick">
                            <input type="checkbox" data-testid=format!("pick-{}", id.0)
                                prop:checked=move || ctx.picked.with(|p| p.contains(&id))
                                on:change=move |_| ctx.picked.update(|p| { if let Some(i) = p.iter().position(|x| *x == id) { p.remove(i); } else { p.push(id); p.sort(); } }) />
                            {id.to_string()}
                        </label>
                    }).collect_view()}
                </div>
                <div class="actions">
                    <button data-testid="split" disabled=move || ctx.picked.with(|p| p.is_empty())
                        on:click=move |_| { let g = ctx.picked.get_untracked(); ctx.act(Command::Partition { groups: vec![g] }); }>
                        {move || ctx.t().split_selected}
                    </button>
                    <button data-testid="heal" on:click=move |_| { ctx.act(Command::Heal); }>{move || ctx.t().heal_all}</button>
                </div>
                <div class="actions">
                    {move || ctx.t().cut_one_way}" "
                    <select data-testid="cut-from" on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { cut_from.set(v) } }>{move || options(cut_from)}</select>
                    " → "
                    <select data-testid="cut-to" on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { cut_to.set(v) } }>{move || options(cut_to)}</select>
                    <button data-testid="cut" on:click=move |_| {
                        ctx.act(Command::Cut { from: NodeId(cut_from.get_untracked()), to: NodeId(cut_to.get_untracked()), both: false });
                    }>{move || ctx.t().cut}</button>
                </div>
            </details>
        </section>
    }
}
