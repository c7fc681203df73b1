//! The lesson player: the step's text (Markdown rendered to safe HTML at
//! build time, see `build.rs`) in a part that scrolls, and under it a foot
//! that is always in view: what the step waits for and how far it is (with
//! "faster" and "skip to it", or "show me" when it is the learner's turn),
//! then Back and Continue (at the end: the next lesson). Back rewinds to
//! where the previous step began; Continue begins the next step (performing
//! its action, taking its pace, and playing if it waits for the
//! simulation). A lesson may let the learner flip break-it switches.

use crate::state::{CatalogEntry, Ctx, LessonView, SPEED_LOG_MAX};
use crate::strings::fill;
use distlab_core::lesson::StepState;
use leptos::prelude::*;

/// "1.5 s", "300 ms": a span of simulated time.
pub fn span_text(us: u64) -> String {
    if us >= 1_000_000 { format!("{:.1} s", us as f64 / 1e6) } else { format!("{:.0} ms", us as f64 / 1000.0) }
}

/// The foot's status: what the step waits for and the ways on.
fn status(ctx: Ctx, l: &LessonView) -> AnyView {
    let t = ctx.t();
    match l.state {
        StepState::Free => ().into_any(),
        StepState::Met => {
            let text = if l.challenge { t.challenge_met } else { t.condition_met };
            view! { <p class="status met" data-testid="step-status" role="status">{text}</p> }.into_any()
        }
        StepState::TimedOut => view! {
            <p class="status timed-out" data-testid="step-status" role="status">{fill(t.timed_out, &[&l.within_ms])}</p>
        }
        .into_any(),
        StepState::Waiting { .. } => {
            let what = l.wait.clone().unwrap_or_default();
            let headline = if l.for_learner { fill(t.your_turn, &[&what]) } else { fill(t.waiting_for, &[&what]) };
            // Play/pause and the speed change often (the lab pauses at every
            // met condition): only these small parts follow them, so the
            // pane, and where its text is scrolled, stays.
            let (learner_plays, for_learner) = (l.learner_plays, l.for_learner);
            let hint = move || {
                let playing = ctx.playing.get();
                if learner_plays && !playing {
                    Some(view! { <p class="hint" data-testid="step-hint">{t.press_play}</p> })
                } else if !playing && !for_learner {
                    Some(view! { <p class="hint" data-testid="step-hint">{t.paused_hint}</p> })
                } else {
                    None
                }
            };
            // These follow the run every frame; the rest of the pane stays.
            let fraction = move || ctx.lesson_wait.with(|w| w.as_ref().and_then(|w| w.fraction));
            let time_line = move || {
                let left = ctx.lesson_wait.with(|w| w.as_ref().map_or(0, |w| w.left_us));
                let wall = ctx.playing.get().then(|| (left as f64 / 1e6 / ctx.speed()).ceil()).filter(|s| *s < 3600.0);
                match wall {
                    Some(s) => format!("{} · {}", fill(t.time_left, &[&span_text(left)]), fill(t.wall_left, &[&s])),
                    None => fill(t.time_left, &[&span_text(left)]),
                }
            };
            let bar = fraction().is_some().then(|| {
                view! {
                    <span class="wait-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=move || format!("{:.0}", fraction().unwrap_or(0.0) * 100.0)>
                        <span style=move || format!("width: {:.1}%", fraction().unwrap_or(0.0) * 100.0)></span>
                    </span>
                }
            });
            let at_max = move || ctx.speed_log.get() >= SPEED_LOG_MAX - 1e-9;
            let show_me = (l.for_learner && l.has_solution).then(|| {
                view! { <button data-testid="lesson-show-me" on:click=move |_| ctx.show_me()>{t.show_me}</button> }
            });
            let skip = (!l.for_learner).then(|| {
                view! {
                    <button data-testid="lesson-faster" disabled=at_max title=t.key_speed
                        on:click=move |_| ctx.speed_log.update(|s| *s = (*s + 1.0).min(SPEED_LOG_MAX))>{t.faster}</button>
                    <button data-testid="lesson-skip" on:click=move |_| ctx.skip()>{t.skip}</button>
                }
            });
            view! {
                <div class="status waiting" data-testid="step-status" role="status">
                    <p class="what" data-testid="step-waits-for">{headline}</p>
                    {bar}
                    {hint}
                    <div class="row">
                        <span class="left muted" data-testid="step-time-left">{time_line}</span>
                        {show_me}{skip}
                    </div>
                </div>
            }
            .into_any()
        }
    }
}

/// The switches a lesson lets the learner flip, each with what it breaks.
fn switches(ctx: Ctx, l: &LessonView) -> Option<impl IntoView + use<>> {
    (!l.switches.is_empty()).then(|| {
        view! {
            <section class="switches" data-testid="lesson-switches">
                <h4>{ctx.t().break_it}</h4>
                {crate::panels::switch_list(ctx, &l.switches)}
            </section>
        }
    })
}

/// See the module docs.
#[component]
pub fn LessonPane(
    /// The catalog's lessons, in order.
    lessons: Vec<CatalogEntry>,
    /// Opens a file of tutorials/ by path.
    on_open: Callback<String>,
    /// Shows the start page (every lesson).
    on_home: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lessons = StoredValue::new(lessons);
    move || {
        let t = ctx.t();
        let l = ctx.lesson.get()?;
        if !ctx.lesson_open.get() {
            return Some(
                view! {
                    <button class="lesson-tab" data-testid="lesson-open" on:click=move |_| ctx.lesson_open.set(true)>
                        {t.show_lesson}
                    </button>
                }
                .into_any(),
            );
        }
        Some(open_pane(ctx, l, lessons, on_open, on_home))
    }
}

/// The open pane of a lesson's step. Apart from [`LessonPane`] so the page
/// can leave it out of its first load (scripts/post-build.sh): it runs
/// only once a lesson file has been opened, which loads that code first.
/// Never inlined, so it keeps its own name.
#[inline(never)]
fn open_pane(
    ctx: Ctx,
    l: LessonView,
    lessons: StoredValue<Vec<CatalogEntry>>,
    on_open: Callback<String>,
    on_home: Callback<()>,
) -> AnyView {
    let t = ctx.t();
    let last = l.index + 1 >= l.count;
    let waiting = matches!(l.state, StepState::Waiting { .. });
    let index = l.index;
    // Looked up when the step is rebuilt, not every frame.
    let html = ctx.with_lab(|lab| lab.source.html_of(&l.markdown)).unwrap_or_default();
    // At the end: the next lesson in the catalog's order.
    let file = ctx.with_lab(|lab| lab.file.clone()).unwrap_or_default();
    let next = lessons.with_value(|ls| {
        let i = ls.iter().position(|c| c.path == file)?;
        ls.get(i + 1).map(|c| (c.path.clone(), c.title_in(ctx.lang.get()).to_string()))
    });
    let forward = if last {
        match next {
            Some((path, title)) => view! {
                <button class="primary" data-testid="lesson-next" disabled=waiting
                    on:click=move |_| on_open.run(path.to_string())>{fill(t.next_lesson, &[&title])}</button>
            }
            .into_any(),
            None => view! {
                <button class="primary" data-testid="lesson-next" disabled=waiting
                    on:click=move |_| on_home.run(())>{t.all_lessons}</button>
            }
            .into_any(),
        }
    } else {
        view! {
            <button class="primary" data-testid="lesson-continue" disabled=waiting
                on:click=move |_| ctx.continue_to(index + 1)>{format!("{} →", t.continue_)}</button>
        }
        .into_any()
    };
    view! {
        <aside class="panel lesson" data-testid="lesson">
            <div class="lesson-head bar">
                <h2>{l.title.clone()}</h2>
                <button class="link" data-testid="lesson-hide" on:click=move |_| ctx.lesson_open.set(false)>{t.hide}</button>
            </div>
            <div class="lesson-body" data-testid="lesson-body">
                <p class="muted step-of" data-testid="step-of">{fill(t.step_of, &[&(l.index + 1), &l.count])}</p>
                {l.summary.clone().map(|s| view! { <p class="summary-text" data-testid="lesson-summary">{s}</p> })}
                {l.challenge.then(|| view! { <p class="challenge-tag">{format!("★ {}", t.challenge)}</p> })}
                {l.heading.clone().map(|h| view! { <h3>{h}</h3> })}
                <div class="markdown" data-testid="lesson-text" inner_html=html></div>
                {switches(ctx, &l)}
            </div>
            <div class="lesson-foot" data-testid="lesson-foot">
                {(!(l.finished && last)).then(|| status(ctx, &l))}
                {(l.finished && last).then(|| view! { <p class="status met" data-testid="lesson-finished">{t.finished}</p> })}
                <div class="actions">
                    <button data-testid="lesson-back" disabled=!l.can_back on:click=move |_| ctx.back_to(index.saturating_sub(1))>{format!("← {}", t.back)}</button>
                    {forward}
                </div>
            </div>
        </aside>
    }
    .into_any()
}
