//! The network tools: latency, loss, duplication, reordering, partitions.

use crate::state::Ctx;
use crate::strings::fill;
use distlab_core::command::Command;
use distlab_core::ids::NodeId;
use distlab_core::network::{Latency, NetworkParams};
use leptos::prelude::*;

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
