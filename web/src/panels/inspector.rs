//! The inspector: the selected node or message, its fields and history,
//! and the actions on it.

use crate::state::{Ctx, Selection};
use crate::strings::fill;
use distlab_core::command::{Command, NodeRef};
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::lesson::Lang;
use distlab_core::view::{Field, NodeStatus, NodeView, ProtocolInfo, WorldView};
use leptos::prelude::*;

pub(super) fn ms(us: u64) -> String {
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
