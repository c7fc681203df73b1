//! The start page: what DistLab is, then every protocol family with a line
//! on what it is about, its protocols, its lessons in order with their
//! summaries and a mark for those finished, and its playgrounds. Families
//! and protocols describe themselves (`ProtocolInfo::family`, `blurb`);
//! nothing here names a protocol.

use crate::state::{CatalogEntry, Ctx};
use crate::strings::fill;
use distlab_core::lesson::Lang;
use distlab_core::protocols;
use leptos::prelude::*;
use std::collections::BTreeSet;

/// See the module docs.
#[component]
pub fn Home(
    /// Every file of tutorials/, lessons first in order.
    catalog: Vec<CatalogEntry>,
    /// Opens a file by path.
    on_open: Callback<String>,
    /// Lessons finished (read when the page opens).
    done: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let catalog = StoredValue::new(catalog);
    move || {
        let t = ctx.t();
        let lang = ctx.lang.get();
        let zh = lang == Lang::ZhCn;
        let pick = |p: (&'static str, &'static str)| if zh { p.1 } else { p.0 };
        let done = done.get();
        let first =
            catalog.with_value(|c| c.iter().find(|e| e.lesson).map(|e| (e.path.clone(), e.title_in(lang).to_string())));
        let next = catalog.with_value(|c| {
            c.iter()
                .find(|e| e.lesson && !done.contains(e.path.as_str()))
                .map(|e| (e.path.clone(), e.title_in(lang).to_string()))
        });
        let (start_path, start_label) = match (&next, &first) {
            (Some((p, title)), Some((f, _))) if p != f => (p.clone(), fill(t.continue_with, &[title])),
            (_, Some((p, title))) => (p.clone(), fill(t.start_with, &[title])),
            _ => (String::new(), String::new()),
        };
        let families = protocols::families()
            .into_iter()
            .map(|fam| {
                let entries: Vec<CatalogEntry> =
                    catalog.with_value(|c| c.iter().filter(|e| e.family.key == fam.key).cloned().collect());
                let mut seen: Vec<&'static str> = Vec::new();
                let protocols = protocols::all()
                    .iter()
                    .map(|p| (p.info)())
                    .filter(|i| i.family.key == fam.key && !seen.contains(&i.name) && { seen.push(i.name); true })
                    .map(|i| view! { <li><b>{pick((i.title, i.title_zh_cn))}</b>{" — "}{pick(i.blurb)}</li> })
                    .collect_view();
                let lessons = entries
                    .iter()
                    .filter(|e| e.lesson)
                    .map(|e| {
                        let path = e.path.clone();
                        let finished = done.contains(path.as_str());
                        let testid = format!("home-lesson-{}", path.replace(['/', '.'], "-"));
                        view! {
                            <li class="card" class:done=finished data-testid=testid>
                                <button class="card-button" on:click=move |_| on_open.run(path.to_string())>
                                    <span class="card-title">{e.title_in(lang).to_string()}</span>
                                    {finished.then(|| view! { <span class="done-mark" title=t.done aria-label=t.done>"✓"</span> })}
                                    <span class="card-summary">{e.summary_in(lang).unwrap_or_default().to_string()}</span>
                                    <span class="card-meta muted">{fill(t.steps_n, &[&e.steps])}{" · "}{if zh { e.protocol_title.1 } else { e.protocol_title.0 }}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view();
                let playgrounds = entries
                    .iter()
                    .filter(|e| !e.lesson)
                    .map(|e| {
                        let path = e.path.clone();
                        let testid = format!("home-open-{}", path.replace(['/', '.'], "-"));
                        view! {
                            <li><button class="link" data-testid=testid
                                on:click=move |_| on_open.run(path.to_string())>{e.title_in(lang).to_string()}</button>
                                {e.summary_in(lang).map(|s| view! { <span class="muted">{" — "}{s.to_string()}</span> })}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <section class="family" data-testid=format!("family-{}", fam.key)>
                        <h3>{pick(fam.title)}</h3>
                        <p class="blurb">{pick(fam.blurb)}</p>
                        <ul class="protocols">{protocols}</ul>
                        <ol class="cards">{lessons}</ol>
                        <p class="muted playgrounds-title">{t.playgrounds_here}</p>
                        <ul class="playgrounds">{playgrounds}</ul>
                    </section>
                }
            })
            .collect_view();
        view! {
            <div class="home" data-testid="home">
                <section class="intro">
                    <h2>{t.intro_title}</h2>
                    <p>{t.intro_text}</p>
                    <p class="muted">{t.intro_how}</p>
                    {(!start_path.is_empty()).then(|| view! {
                        <p><button class="primary" data-testid="home-start" on:click=move |_| on_open.run(start_path.to_string())>{start_label.clone()}</button></p>
                    })}
                </section>
                {families}
                <p class="muted coming">{t.coming_next}</p>
            </div>
        }
    }
}
