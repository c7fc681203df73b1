//! The protocol's figures: numbers and bars it computes from the run.

use crate::state::Ctx;
use leptos::prelude::*;

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
            let colour = b.node.map_or("var(--accent)", |n| crate::palette::node_colour(n.0));
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
