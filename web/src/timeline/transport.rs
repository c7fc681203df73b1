//! Transport: play/pause, step, speed on a log scale, and the timeline
//! scrubber over the whole run (the recorded part shaded). Dragging back
//! rewinds; acting after a rewind forks (the notice says so).

use crate::state::{Ctx, SPEED_LOG_MAX, SPEED_LOG_MIN};
use distlab_core::Micros;
use leptos::prelude::*;

/// "1/100×", "2.5×": a speed for people.
pub fn speed_label(log: f64) -> String {
    let s = 10f64.powf(log);
    if s >= 1.0 { format!("{}×", (s * 10.0).round() / 10.0) } else { format!("1/{}×", (1.0 / s).round()) }
}

/// See the module docs.
#[component]
pub fn Transport() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The scrubber spans what has been recorded plus a quarter more (at
    // least a second), up to the scenario's end: the part a learner can
    // reach back to stays wide enough to drag.
    let end = move || {
        let h = ctx.horizon_us.get();
        ctx.view.with(|v| v.as_ref().map_or(1, |v| (h + (h / 4).max(1_000_000)).min(v.end_us).max(v.time_us).max(1)))
    };
    let now = move || ctx.view.with(|v| v.as_ref().map_or(0, |v| v.time_us));
    let recorded = move || format!("{:.2}%", ctx.horizon_us.get() as f64 * 100.0 / end() as f64);
    view! {
        <div class="transport" data-testid="transport">
            <button class="primary" data-testid="play" aria-keyshortcuts="Space"
                aria-pressed=move || ctx.playing.get().to_string()
                on:click=move |_| ctx.playing.update(|p| *p = !*p)>
                {move || if ctx.playing.get() { format!("❚❚ {}", ctx.t().pause) } else { format!("▶ {}", ctx.t().play) }}
            </button>
            <button data-testid="step" aria-keyshortcuts="Period ArrowRight" title=move || ctx.t().key_step
                on:click=move |_| ctx.step()>{move || format!("{} →", ctx.t().step)}</button>
            <label class="speed">
                <span>{move || ctx.t().speed}</span>
                <input type="range" data-testid="speed" min=SPEED_LOG_MIN max=SPEED_LOG_MAX step="0.1"
                    prop:value=move || ctx.speed_log.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() && v.is_finite() {
                            ctx.speed_log.set(v.clamp(SPEED_LOG_MIN, SPEED_LOG_MAX));
                        }
                    } />
                <output data-testid="speed-label">{move || speed_label(ctx.speed_log.get())}</output>
            </label>
            <div class="scrubber" style=move || format!("--recorded: {}", recorded())>
                <input type="range" data-testid="scrubber" aria-label=move || ctx.t().timeline min="0"
                    max=move || end().to_string() step="100"
                    prop:value=move || now().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                            ctx.playing.set(false);
                            ctx.seek(Micros(v));
                        }
                    } />
            </div>
            <span class="time" data-testid="time">{move || format!("{:.3} ms", now() as f64 / 1000.0)}</span>
            <span class="events muted">{move || ctx.view.with(|v| v.as_ref().map(|v| format!("{} {} · {} {}", v.events, ctx.t().events, v.messages.len(), ctx.t().in_flight)))}</span>
        </div>
    }
}
