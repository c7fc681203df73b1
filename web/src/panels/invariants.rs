//! The invariant lights and the break-it switches.

use super::inspector::ms;
use crate::state::{Ctx, Selection, SwitchView};
use crate::strings::fill;
use distlab_core::command::Command;
use distlab_core::lesson::Lang;
use leptos::prelude::*;

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
