//! The page: header (file picker, seed, share, language, theme), the lesson
//! pane, the cluster view, the side panels, and at the bottom the transport
//! and the space-time diagram. Also the frame loop, keyboard shortcuts,
//! share links on load, and `?embed=1`.

pub mod home;
pub mod share;

use crate::clock;
use crate::lesson::files;
use crate::lesson::pane::LessonPane;
use crate::lesson::progress;
use crate::panels::{Figures, Inspector, Invariants, NetworkPanel};
use crate::prefs::{media, storage_get, storage_set, window};
use crate::stage::cluster::{ClusterView, Legend};
use crate::state::{self, Ctx, Lab, Selection};
use crate::strings::{self, Strings, fill};
use crate::timeline::spacetime::SpaceTime;
use crate::timeline::transport::Transport;
use distlab_core::Micros;
use distlab_core::lesson::Lang;
use home::Home;
use leptos::prelude::*;
use share::{LinkError, Shared};
use std::cell::Cell;
use std::rc::Rc;

/// A frame never advances more than this much wall time (a background tab
/// resuming must not jump minutes ahead).
const MAX_FRAME_MS: f64 = 100.0;

fn initial_lang() -> Lang {
    match storage_get("distlab.lang").as_deref() {
        Some("zh-CN") => Lang::ZhCn,
        Some("en") => Lang::En,
        _ => strings::from_tag(&window().and_then(|w| w.navigator().language()).unwrap_or_default()),
    }
}

fn location() -> (String, String, String) {
    let loc = window().map(|w| w.location());
    let get = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        loc.as_ref().and_then(|l| f(l).ok()).unwrap_or_default()
    };
    (get(|l| l.search()), get(|l| l.hash()), format!("{}{}", get(|l| l.origin()), get(|l| l.pathname())))
}

/// The files the address names (a share link's, `?open=`'s), to fetch
/// before the page mounts, with the default scenario.
pub fn wanted_files(search: &str, hash: &str) -> Vec<String> {
    let mut out = vec![files::DEFAULT.to_string()];
    if let Some(Ok(s)) = share::decode(hash) {
        out.push(s.f);
    } else if let Some(f) = asked_file(search) {
        out.push(f);
    }
    out
}

/// Opens `file` if the store has it (else says so in the reader's language).
fn open_cached(file: &str, seed: Option<u64>, t: &Strings) -> Result<Lab, String> {
    let source = files::cached(file).ok_or_else(|| fill(t.file_not_loaded, &[&file]))?;
    Lab::open(file, source, seed)
}

/// Opens what the URL fragment asks for, or the default scenario; a broken
/// link becomes a message over a fresh lab.
fn first_lab(search: &str, hash: &str, lang: Lang) -> (Option<Lab>, Option<String>) {
    let t = strings::of(lang);
    // `?open=raft/01-leader-election.toml` opens a file directly (course pages).
    let asked = asked_file(search);
    if let Some(file) = &asked
        && files::cached(file).is_none()
        && share::decode(hash).is_none()
    {
        let why = LinkError::UnknownFile(file.clone()).say(t);
        return match open_cached(files::DEFAULT, None, t) {
            Ok(l) => (Some(l), Some(fill(t.bad_link, &[&why]))),
            Err(e) => (None, Some(e)),
        };
    }
    let start = asked.filter(|f| files::cached(f).is_some()).unwrap_or_else(|| files::DEFAULT.to_string());
    let fresh = || open_cached(&start, None, t);
    let restored = share::decode(hash).map(|r| {
        r.and_then(|s: Shared| {
            let source = files::cached(&s.f).ok_or_else(|| LinkError::UnknownFile(s.f.clone()))?;
            if share::file_hash(&source.text) != s.h {
                return Err(LinkError::FileChanged(s.f.clone()));
            }
            let at = (s.at(), s.e);
            Lab::restore(&s.f, source, Some(s.s), s.c, at, s.l, &s.m).map_err(LinkError::ReplayFailed)
        })
        .map_err(|e| e.say(t))
    });
    match restored {
        None => match fresh() {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(e)),
        },
        Some(Ok(l)) => (Some(l), None),
        Some(Err(why)) => {
            let msg = fill(t.bad_link, &[&why]);
            match fresh() {
                Ok(l) => (Some(l), Some(msg)),
                Err(e) => (None, Some(format!("{msg}\n{e}"))),
            }
        }
    }
}

/// Puts `?open=FILE` (or nothing: the start page) in the address bar as a
/// new history entry, keeping `embed=1`, so reload and back/forward follow
/// what is open. A sandboxed frame may refuse; that is ignored.
fn push_url(file: Option<&str>, embed: bool) {
    let Some(w) = window() else { return };
    let mut query = Vec::new();
    if embed {
        query.push("embed=1".to_string());
    }
    if let Some(f) = file {
        query.push(format!("open={}", js_sys::encode_uri_component(f)));
    }
    let path = w.location().pathname().unwrap_or_default();
    let url = if query.is_empty() { path } else { format!("{path}?{}", query.join("&")) };
    if let Ok(h) = w.history() {
        let current = format!(
            "{}{}{}",
            w.location().pathname().unwrap_or_default(),
            w.location().search().unwrap_or_default(),
            w.location().hash().unwrap_or_default()
        );
        if current != url {
            let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

/// The file `?open=` names in a query string, if any.
fn asked_file(search: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("open="))
        .map(|v| js_sys::decode_uri_component(v).ok().and_then(|s| s.as_string()).unwrap_or_default())
        .map(|f| tutorial_path(&f).to_string())
}

/// A tutorial's path as the lab names it (`raft/01-leader-election.toml`),
/// also when written as the repository shows it (`tutorials/raft/…`,
/// `./tutorials/raft/…`).
fn tutorial_path(f: &str) -> &str {
    let f = f.trim_start_matches("./").trim_start_matches('/');
    f.strip_prefix("tutorials/").unwrap_or(f)
}

fn share_link(ctx: &Ctx, base: &str) -> Result<String, String> {
    let snap = ctx.snapshot().ok_or("nothing is running")?;
    let shared = Shared {
        f: snap.file.clone(),
        h: share::file_hash(&snap.source.text),
        s: snap.seed,
        t: snap.at.0.0,
        e: snap.at.1,
        l: snap.step,
        m: snap.marks,
        c: snap.commands,
    };
    let t = strings::of(ctx.lang.get_untracked());
    share::encode(&shared)
        .map(|frag| format!("{base}#{frag}"))
        .map_err(|e| fill(t.link_too_long, &[&e.len, &share::MAX_LINK]))
}

fn copy(text: &str) {
    if let Some(w) = window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

fn is_typing(ev: &web_sys::KeyboardEvent) -> bool {
    let tag = ev
        .target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .map(|e| e.tag_name().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(tag.as_str(), "input" | "select" | "textarea")
}

/// Whether Space would activate the focused element (a button, a link, a
/// node): then Space is not the play shortcut.
fn space_activates(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok()).is_some_and(|e| {
        matches!(e.tag_name().to_ascii_lowercase().as_str(), "button" | "summary" | "a")
            || e.get_attribute("role").as_deref() == Some("button")
    })
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let (search, hash, base) = location();
    let embed = search.contains("embed=1");
    let lang = initial_lang();
    let dark = match storage_get("distlab.theme").as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => media("(prefers-color-scheme: dark)"),
    };
    let (lab, problem) = first_lab(&search, &hash, lang);
    let ctx = Ctx::new(lab, lang, dark, embed);
    // What went wrong fetching files comes first: it explains the rest.
    let t = strings::of(lang);
    let problems: Vec<String> =
        files::take_problems().into_iter().map(|p| fill(t.file_not_loaded, &[&p])).chain(problem).collect();
    ctx.error.set((!problems.is_empty()).then(|| problems.join("\n")));
    provide_context(ctx);
    let catalog = state::catalog();
    // The start page, when the address names nothing to open.
    let home = RwSignal::new(!embed && asked_file(&search).is_none() && share::decode(&hash).is_none());
    let done = RwSignal::new(progress::done());
    let help = RwSignal::new(false);
    // The panels under the timeline: open unless the window is short (an
    // 800x580 iframe needs the room); shrinking the window closes them,
    // and a lesson may ask for one.
    let tall = || window().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64()).is_none_or(|h| h >= 700.0);
    let st_open = RwSignal::new(tall());
    let logs_open = RwSignal::new(false);
    let was_tall = Cell::new(tall());
    let _resize = window_event_listener(leptos::ev::resize, move |_| {
        let now_tall = tall();
        if was_tall.replace(now_tall) && !now_tall {
            st_open.set(false);
            logs_open.set(false);
        }
    });
    // Unless the window is very tall, the two panels take turns.
    let very_tall =
        || window().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64()).is_some_and(|h| h >= 1000.0);
    let has_logs = Memo::new(move |_| ctx.view.with(|v| v.as_ref().is_some_and(|v| v.protocol.logs)));
    Effect::new(move |_| {
        if logs_open.get() && has_logs.get() && !very_tall() {
            st_open.set(false);
        }
    });
    Effect::new(move |_| {
        if st_open.get() && !very_tall() {
            logs_open.set(false);
        }
    });
    let open_panels = move |lab: &Lab| {
        let asked = lab.lesson.as_ref().map(|r| r.lesson().panels.clone()).unwrap_or_default();
        if asked.iter().any(|p| p == "logs") {
            logs_open.set(true);
            if !very_tall() {
                st_open.set(false);
            }
        } else if asked.iter().any(|p| p == "spacetime") {
            st_open.set(true);
        }
    };
    let share_open = RwSignal::new(false);
    let share_text = RwSignal::new(String::new());
    let embed_text = RwSignal::new(String::new());
    let seed_text = RwSignal::new(ctx.with_lab(|l| l.sim.seed().to_string()).unwrap_or_default());
    let current_file = RwSignal::new(ctx.with_lab(|l| l.file.clone()).unwrap_or_default());

    Effect::new(move |_| {
        let l = ctx.lang.get();
        storage_set("distlab.lang", strings::of(l).html_lang);
        if let Some(el) = window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = el.set_attribute("lang", strings::of(l).html_lang);
        }
        // Lesson text follows the language.
        ctx.refresh();
    });
    Effect::new(move |_| {
        let d = ctx.dark.get();
        storage_set("distlab.theme", if d { "dark" } else { "light" });
        if let Some(el) = window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = el.set_attribute("data-theme", if d { "dark" } else { "light" });
        }
    });

    let last = Rc::new(Cell::new(None::<f64>));
    clock::every_frame(Rc::new(move |now_ms: f64| {
        let previous = last.replace(Some(now_ms));
        if !ctx.playing.get_untracked() {
            return;
        }
        let dt = previous.map_or(0.0, |p| (now_ms - p).clamp(0.0, MAX_FRAME_MS));
        ctx.advance(Micros((dt * 1000.0 * ctx.speed()).round() as u64));
    }));

    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if is_typing(&ev) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            " " if !space_activates(&ev) => {
                ev.prevent_default();
                ctx.playing.update(|p| *p = !*p);
            }
            "." | "ArrowRight" => {
                ev.prevent_default();
                ctx.step();
            }
            "ArrowLeft" => {
                ev.prevent_default();
                ctx.playing.set(false);
                let now = ctx.view.with_untracked(|v| v.as_ref().map_or(0, |v| v.time_us));
                ctx.seek(Micros(now.saturating_sub(10_000)));
            }
            "-" => ctx.speed_log.update(|s| *s = (*s - 0.5).max(state::SPEED_LOG_MIN)),
            "+" | "=" => ctx.speed_log.update(|s| *s = (*s + 0.5).min(state::SPEED_LOG_MAX)),
            "?" => help.update(|h| *h = !*h),
            "Escape" => {
                help.set(false);
                share_open.set(false);
                ctx.selected.set(Selection::None);
            }
            _ => {}
        }
    });

    // Counts opens, so that when the learner picks another file while one
    // is still being fetched, the later choice wins whichever arrives last.
    let opening = StoredValue::new(0u64);
    // The notice saying a file is on its way (its notice serial), if shown;
    // `settle` takes it down unless a newer notice replaced it.
    let loading = StoredValue::new(None::<u64>);
    let settle = move || {
        if let Some(serial) = loading.try_get_value().flatten() {
            if ctx.notice_serial.try_get_untracked() == Some(serial) {
                ctx.notice.set(None);
            }
            loading.set_value(None);
        }
    };
    // Opens a file (a lesson starts playing if its first step waits for
    // the simulation); `push` adds a history entry for it.
    let open_lab = move |file: String, seed: Option<u64>, push: bool| {
        let serial = opening.get_value() + 1;
        opening.set_value(serial);
        // A file not yet fetched is fetched first (kept for the visit); on a
        // slow link the learner sees that it is coming.
        settle();
        if files::cached(&file).is_none() {
            let title =
                files::row(&file).map_or_else(|| file.clone(), |r| r.title.get(ctx.lang.get_untracked()).to_string());
            ctx.warn(fill(ctx.t().file_loading, &[&title]));
            loading.set_value(Some(ctx.notice_serial.get_untracked()));
        }
        wasm_bindgen_futures::spawn_local(async move {
            let opened = files::file(&file).await.and_then(|source| Lab::open(&file, source, seed));
            if opening.try_get_value() != Some(serial) {
                return;
            }
            settle();
            match opened {
                Ok(lab) => {
                    seed_text.set(lab.sim.seed().to_string());
                    current_file.set(lab.file.clone());
                    if push {
                        push_url(Some(&lab.file), embed);
                    }
                    open_panels(&lab);
                    ctx.install(lab);
                    ctx.lesson_open.set(true);
                    home.set(false);
                    ctx.speed_log.set(state::SPEED_LOG_DEFAULT);
                    ctx.take_step(0);
                }
                Err(e) => ctx.warn(fill(ctx.t().file_not_loaded, &[&e])),
            }
        });
    };
    // The file already open, chosen again from the start page: go back to
    // it as it was (reopening would throw its run away).
    let open_file = move |file: String, seed: Option<u64>| {
        if seed.is_none() && home.get_untracked() && current_file.get_untracked() == file {
            // Whatever was still being fetched is no longer wanted.
            opening.update_value(|n| *n += 1);
            settle();
            home.set(false);
            push_url(Some(&file), embed);
        } else {
            open_lab(file, seed, seed.is_none())
        }
    };
    let show_home = move || {
        ctx.playing.set(false);
        done.set(progress::done());
        home.set(true);
        push_url(None, embed);
    };
    // Back and forward: open what the address names now.
    let _history = window_event_listener(leptos::ev::popstate, move |_| {
        let (search, _, _) = location();
        match asked_file(&search) {
            Some(f) if files::listed(&f) => {
                if current_file.get_untracked() != f {
                    open_lab(f, None, false);
                }
                home.set(false);
            }
            _ if !embed => {
                ctx.playing.set(false);
                done.set(progress::done());
                home.set(true);
            }
            _ => {}
        }
    });
    // A lesson finished is remembered (where storage allows).
    Effect::new(move |_| {
        if ctx.lesson.with(|l| l.as_ref().is_some_and(|l| l.finished)) {
            let file = current_file.get_untracked();
            progress::mark_done(&file);
            done.set(progress::done());
        }
    });
    // A lesson opened at load (a course page's ?open=) plays like one chosen.
    if !home.get_untracked() && hash.is_empty() {
        ctx.with_lab(|lab| open_panels(lab));
        ctx.take_step(0);
    }
    let base_for_share = StoredValue::new(base.clone());
    let make_share = move || match share_link(&ctx, &base_for_share.get_value()) {
        Ok(link) => {
            let embed_url = link.replacen('#', "?embed=1#", 1);
            embed_text.set(format!(
                "<iframe src=\"{embed_url}\" width=\"800\" height=\"580\" sandbox=\"allow-scripts allow-popups allow-popups-to-escape-sandbox\" style=\"border:0\" title=\"DistLab\"></iframe>"
            ));
            share_text.set(link);
            share_open.set(true);
        }
        Err(e) => ctx.warn(e),
    };
    let lessons: Vec<_> = catalog.iter().filter(|c| c.lesson).cloned().collect();
    let playgrounds: Vec<_> = catalog.iter().filter(|c| !c.lesson).cloned().collect();
    let option = move |c: &state::CatalogEntry| {
        let c = c.clone();
        let path = c.path.clone();
        let here = path.clone();
        view! {
            <option value=path selected=move || current_file.get() == here>
                {move || if ctx.lang.get() == Lang::ZhCn { c.title.1.clone() } else { c.title.0.clone() }}
            </option>
        }
    };
    let lessons = StoredValue::new(lessons);
    let playgrounds = StoredValue::new(playgrounds);
    let catalog_all = StoredValue::new(catalog.clone());
    // The side panels, on narrow screens a drawer over the stage: it opens
    // when something is selected or an invariant breaks.
    let side_open = RwSignal::new(false);
    Effect::new(move |_| {
        if ctx.selected.get() != Selection::None {
            side_open.set(true);
        }
    });
    Effect::new(move |previous: Option<usize>| {
        let n = ctx.view.with(|v| v.as_ref().map_or(0, |v| v.violations.len()));
        if previous.is_some_and(|p| n > p) {
            side_open.set(true);
        }
        n
    });
    let full_link = StoredValue::new(base.clone());

    view! {
        <div class="app" class:embed=embed>
            <Show when=move || !embed>
                <header class="top">
                    <h1><button class="link brand" data-testid="home-link" title=move || ctx.t().home on:click=move |_| show_home()>"DistLab"</button></h1>
                    <button data-testid="lessons-open" on:click=move |_| show_home()>{move || format!("☰ {}", ctx.t().lessons)}</button>
                    <label class="picker">
                        <span class="sr">{move || ctx.t().scenario}</span>
                        <select data-testid="picker" on:change=move |ev| open_file(event_target_value(&ev), None)>
                            <optgroup label=move || ctx.t().lessons>{move || lessons.with_value(|l| l.iter().map(option).collect_view())}</optgroup>
                            <optgroup label=move || ctx.t().scenarios>{move || playgrounds.with_value(|l| l.iter().map(option).collect_view())}</optgroup>
                        </select>
                    </label>
                    <form class="seed" on:submit=move |ev| {
                        ev.prevent_default();
                        match seed_text.get_untracked().trim().parse::<u64>() {
                            Ok(s) => open_file(current_file.get_untracked(), Some(s)),
                            Err(_) => ctx.warn(fill(ctx.t().not_whole, &[&ctx.t().seed, &seed_text.get_untracked(), &u64::MAX])),
                        }
                    }>
                        <label><span class="seed-label">{move || ctx.t().seed}" "</span>
                            <input type="text" inputmode="numeric" size="8" data-testid="seed"
                                prop:value=move || seed_text.get() on:input=move |ev| seed_text.set(event_target_value(&ev)) />
                        </label>
                        <button type="button" data-testid="new-seed" title=move || ctx.t().new_seed on:click=move |_| {
                            let next = ctx.with_lab(|l| l.sim.seed()).unwrap_or(0).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) % 1_000_000;
                            open_file(current_file.get_untracked(), Some(next));
                        }>"↻"</button>
                    </form>
                    <button class="push" data-testid="share" on:click=move |_| make_share()>{move || ctx.t().share}</button>
                    <select data-testid="lang" aria-label="language / 语言" on:change=move |ev| {
                        ctx.lang.set(if event_target_value(&ev) == "zh-CN" { Lang::ZhCn } else { Lang::En });
                    }>
                        <option value="en" selected=move || ctx.lang.get() == Lang::En>"English"</option>
                        <option value="zh-CN" selected=move || ctx.lang.get() == Lang::ZhCn>"中文"</option>
                    </select>
                    <button data-testid="theme" on:click=move |_| ctx.dark.update(|d| *d = !*d)
                        title=move || if ctx.dark.get() { ctx.t().theme_light } else { ctx.t().theme_dark }>
                        {move || if ctx.dark.get() { "☀" } else { "☾" }}
                    </button>
                    <button data-testid="help" aria-keyshortcuts="?" aria-label=move || ctx.t().shortcuts title=move || ctx.t().shortcuts on:click=move |_| help.set(true)>"?"</button>
                </header>
            </Show>
            <Show when=move || ctx.error.get().is_some()>
                <div class="error" role="alert" data-testid="error">
                    <span>{move || ctx.error.get().unwrap_or_default()}</span>
                    <button class="link" aria-label=move || ctx.t().close on:click=move |_| ctx.error.set(None)>"✕"</button>
                </div>
            </Show>
            <main class="lab" class:with-lesson=move || ctx.lesson.with(|l| l.is_some()) && ctx.lesson_open.get()
                class:side-open=move || side_open.get()>
                // Notices and the share bar float over the top of the lab
                // instead of pushing it down.
                <div class="floating">
                    <Show when=move || ctx.notice.get().is_some()>
                        <div class="notice" role="status" data-testid="notice">
                            <span>{move || ctx.notice.get().unwrap_or_default()}</span>
                            <button class="link" aria-label=move || ctx.t().close on:click=move |_| ctx.notice.set(None)>"✕"</button>
                        </div>
                    </Show>
                    <Show when=move || share_open.get()>
                        <div class="share" data-testid="share-box">
                            <label><span>{move || ctx.t().share_link}</span>
                                <input type="text" readonly data-testid="share-link" prop:value=move || share_text.get() /></label>
                            <button on:click=move |_| { copy(&share_text.get_untracked()); ctx.notify(ctx.t().copied.into()); }>{move || ctx.t().copy}</button>
                            <label><span>{move || ctx.t().embed_code}</span>
                                <input type="text" readonly data-testid="embed-code" prop:value=move || embed_text.get() /></label>
                            <button data-testid="copy-embed" on:click=move |_| { copy(&embed_text.get_untracked()); ctx.notify(ctx.t().copied.into()); }>{move || ctx.t().copy}</button>
                            <button class="link" aria-label=move || ctx.t().close on:click=move |_| share_open.set(false)>"✕"</button>
                        </div>
                    </Show>
                </div>
                <LessonPane lessons=lessons.get_value() on_open=Callback::new(move |f: String| open_file(f, None))
                    on_home=Callback::new(move |()| show_home()) />
                <section class="stage">
                    <ClusterView />
                    <div class="legend" data-testid="legend"><Legend /></div>
                    <crate::stage::StageOverlay />
                    <button class="side-toggle" data-testid="side-toggle" aria-expanded=move || side_open.get().to_string()
                        on:click=move |_| side_open.update(|o| *o = !*o)>
                        {move || {
                            let t = ctx.t();
                            let broken = ctx.view.with(|v| v.as_ref().map_or(0, |v| v.violations.len()));
                            let mark = if broken > 0 { "✕" } else { "✓" };
                            format!("{} {mark} {}", if side_open.get() { "▸" } else { "◂" }, t.panels)
                        }}
                    </button>
                    {embed.then(|| view! {
                        // Opens this very run (a share link) in a full tab.
                        <button class="link open-full" on:click=move |_| {
                            let url = share_link(&ctx, &full_link.get_value()).unwrap_or_else(|_| full_link.get_value());
                            if let Some(w) = window() {
                                let _ = w.open_with_url_and_target(&url, "_blank");
                            }
                        }>{move || ctx.t().open_full}</button>
                    })}
                </section>
                <aside class="side" data-testid="side">
                    <Invariants />
                    <crate::panels::Switches />
                    <Figures />
                    <Inspector />
                    <Show when=move || !embed><NetworkPanel /></Show>
                </aside>
                <Show when=move || home.get()>
                    <Home catalog=catalog_all.get_value() on_open=Callback::new(move |f: String| open_file(f, None)) done=done />
                </Show>
            </main>
            <footer class="bottom" class:hidden=move || home.get()>
                <Transport />
                <div class="below">
                    <crate::panels::logs::LogStrip open=logs_open />
                    <SpaceTime open=st_open />
                </div>
            </footer>
            <Show when=move || help.get()>
                <div class="overlay" data-testid="help-overlay" on:click=move |_| help.set(false)>
                    <div class="dialog" role="dialog" aria-modal="true" on:click=|ev| ev.stop_propagation()>
                        <h2>{move || ctx.t().shortcuts}</h2>
                        <table><tbody>
                            <tr><td><kbd>"Space"</kbd></td><td>{move || ctx.t().key_play}</td></tr>
                            <tr><td><kbd>"."</kbd>" "<kbd>"→"</kbd></td><td>{move || ctx.t().key_step}</td></tr>
                            <tr><td><kbd>"←"</kbd></td><td>{move || ctx.t().key_back}</td></tr>
                            <tr><td><kbd>"-"</kbd>" "<kbd>"+"</kbd></td><td>{move || ctx.t().key_speed}</td></tr>
                            <tr><td><kbd>"?"</kbd></td><td>{move || ctx.t().key_help}</td></tr>
                            <tr><td><kbd>"Esc"</kbd></td><td>{move || ctx.t().key_escape}</td></tr>
                        </tbody></table>
                        <button class="primary" on:click=move |_| help.set(false)>{move || ctx.t().close}</button>
                    </div>
                </div>
            </Show>
        </div>
    }
}
