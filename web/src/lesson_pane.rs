//! The lesson player: the step's text (Markdown rendered to safe HTML at
//! build time, see `build.rs`), what the step waits for, and Back / Continue.
//! Back rewinds to where the previous step began; Continue begins the next
//! step (performing its action). Challenge steps say when they are met.
//! The pane also lists every lesson in tutorials/: under a lesson's text,
//! and on request beside a playground, which has no lesson of its own.

use crate::state::{CatalogEntry, Ctx};
use crate::strings::fill;
use distlab_core::lesson::Lang;
use distlab_core::lesson::StepState;
use leptos::prelude::*;

/// The lessons, in order, the current one marked; choosing one opens it.
fn lesson_list(ctx: Ctx, lessons: &[CatalogEntry], on_open: Callback<String>) -> impl IntoView + use<> {
    let current = ctx.with_lab(|l| l.file.to_string()).unwrap_or_default();
    let zh = ctx.lang.get() == Lang::ZhCn;
    let items = lessons
        .iter()
        .map(|c| {
            let path = c.path;
            let title = if zh { c.title.1.clone() } else { c.title.0.clone() };
            let here = current == path;
            view! {
                <li>
                    <button class="link" class:current=here aria-current=here.then_some("page")
                        data-testid=format!("lesson-item-{}", path.replace(['/', '.'], "-"))
                        on:click=move |_| {
                            // The lesson already open: reopening would throw its run away.
                            if !here {
                                on_open.run(path.to_string());
                            }
                        }>{title}</button>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="lesson-list" data-testid="lesson-list">{items}</ol> }
}

/// See the module docs.
#[component]
pub fn LessonPane(
    /// The catalog's lessons, in order.
    lessons: Vec<CatalogEntry>,
    /// Opens a file of tutorials/ by path.
    on_open: Callback<String>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let lessons = StoredValue::new(lessons);
    // The list under the lesson stays open across redraws of the pane.
    let all_open = RwSignal::new(false);
    let go = move |to: usize, back: bool| {
        let r = ctx.with_lab(|lab| if back { lab.back_to_step(to) } else { lab.begin_step(to) });
        if let Some(Err(e)) = r {
            ctx.notice.set(Some(e.get(ctx.lang.get_untracked()).to_string()));
        }
        ctx.refresh();
    };
    move || {
        let t = ctx.t();
        let Some(l) = ctx.lesson.get() else {
            // A playground: the list of lessons, on request.
            if ctx.catalog_open.get() {
                return Some(
                    view! {
                        <aside class="panel lesson" data-testid="lesson">
                            <div class="bar">
                                <h2>{t.lessons}</h2>
                                <button class="link" data-testid="lesson-hide" on:click=move |_| ctx.catalog_open.set(false)>{t.hide}</button>
                            </div>
                            {lessons.with_value(|l| lesson_list(ctx, l, on_open))}
                        </aside>
                    }
                    .into_any(),
                );
            }
            return Some(
                view! {
                    <button class="lesson-tab" data-testid="lessons-open" on:click=move |_| ctx.catalog_open.set(true)>
                        {t.lessons}
                    </button>
                }
                .into_any(),
            );
        };
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
        let (status, class) = match l.state {
            StepState::Free => (None, "status"),
            StepState::Waiting { .. } => (Some(t.waiting.to_string()), "status waiting"),
            StepState::Met if l.challenge => (Some(t.challenge_met.to_string()), "status met"),
            StepState::Met => (Some(t.condition_met.to_string()), "status met"),
            StepState::TimedOut => (Some(fill(t.timed_out, &[&l.within_ms])), "status timed-out"),
        };
        let last = l.index + 1 >= l.count;
        let can_continue = !matches!(l.state, StepState::Waiting { .. }) && !last;
        // Continue plays on only into a step that waits for something; a step
        // that only explains leaves the run where it stopped.
        let next_waits = ctx.with_lab(|lab| {
            lab.lesson.as_ref().and_then(|r| r.lesson().steps.get(l.index + 1)).is_some_and(|s| s.until.is_some())
        });
        let index = l.index;
        let html = crate::tutorials::lesson_html(&l.markdown);
        Some(
            view! {
                <aside class="panel lesson" data-testid="lesson">
                    <div class="bar">
                        <h2>{l.title.clone()}</h2>
                        <button class="link" data-testid="lesson-hide" on:click=move |_| ctx.lesson_open.set(false)>{t.hide}</button>
                    </div>
                    <p class="muted" data-testid="step-of">{fill(t.step_of, &[&(l.index + 1), &l.count])}</p>
                    {l.summary.clone().map(|s| view! { <p class="summary-text" data-testid="lesson-summary">{s}</p> })}
                    {l.challenge.then(|| view! { <p class="challenge-tag">{format!("★ {}", t.challenge)}</p> })}
                    {l.heading.clone().map(|h| view! { <h3>{h}</h3> })}
                    <div class="markdown" data-testid="lesson-text" inner_html=html></div>
                    {status.map(|s| view! { <p class=class data-testid="step-status" role="status">{s}</p> })}
                    {(last && !matches!(l.state, StepState::Waiting { .. })).then(|| view! { <p class="status met">{t.finished}</p> })}
                    <div class="actions">
                        <button data-testid="lesson-back" disabled=!l.can_back on:click=move |_| go(index.saturating_sub(1), true)>{format!("← {}", t.back)}</button>
                        <button class="primary" data-testid="lesson-continue" disabled=!can_continue on:click=move |_| {
                            go(index + 1, false);
                            if next_waits == Some(true) {
                                ctx.playing.set(true);
                            }
                        }>{format!("{} →", t.continue_)}</button>
                    </div>
                    <details class="all-lessons" open=all_open.get_untracked()
                        on:toggle=move |ev| all_open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"))>
                        <summary>{t.all_lessons}</summary>
                        {lessons.with_value(|l| lesson_list(ctx, l, on_open))}
                    </details>
                </aside>
            }
            .into_any(),
        )
    }
}
