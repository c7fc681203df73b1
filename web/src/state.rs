//! The lab's state: the running simulation (not reactive, held once) and
//! the signals the components read. Every change to the run goes through
//! [`Ctx`], which applies it and refreshes the signals, so components never
//! touch the simulation directly.

use crate::lesson::files;
use crate::strings::{self, Strings};
use distlab_core::Micros;
use distlab_core::command::{Command, CommandRecord};
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::lesson::{Lang, LessonRun, Play, StepMark, StepState, Text};
use distlab_core::publish::PublishedFile;
use distlab_core::scenario::{self, Scenario, Source, StartOptions};
use distlab_core::sim::{Sim, SimError};
use distlab_core::view::{Family, ProtocolInfo, WorldView};
use leptos::prelude::*;
use std::rc::Rc;

/// What the inspector shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Nothing.
    None,
    /// A node.
    Node(NodeId),
    /// A message (in flight, or in the space-time diagram).
    Message(MsgId),
}

/// A file of `tutorials/` as the pickers list it.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    /// Path under `tutorials/`.
    pub path: String,
    /// Title in English and Chinese (the file name if it has none).
    pub title: (String, String),
    /// Its summary in English and Chinese, if it has one.
    pub summary: Option<(String, String)>,
    /// Whether the file is a lesson.
    pub lesson: bool,
    /// Sort key.
    pub order: i64,
    /// The protocol's display title (`Raft`), in English and Chinese.
    pub protocol_title: (&'static str, &'static str),
    /// The protocol's family.
    pub family: &'static Family,
    /// Number of steps (0 for a playground).
    pub steps: usize,
}

impl CatalogEntry {
    /// The title in `lang`.
    pub fn title_in(&self, lang: Lang) -> &str {
        if lang == Lang::ZhCn { &self.title.1 } else { &self.title.0 }
    }

    /// The summary in `lang`.
    pub fn summary_in(&self, lang: Lang) -> Option<&str> {
        self.summary.as_ref().map(|s| if lang == Lang::ZhCn { s.1.as_str() } else { s.0.as_str() })
    }
}

/// Every file the catalogue lists (see [`files::catalog`]), lessons first
/// in their order.
pub fn catalog() -> Vec<CatalogEntry> {
    files::catalog()
        .into_iter()
        .filter_map(|row| {
            let info = (distlab_core::protocols::find(&row.protocol)?.info)();
            let pair = |t: &Text| (t.en.clone(), t.zh_cn.clone());
            Some(CatalogEntry {
                title: pair(&row.title),
                summary: row.summary.as_ref().map(pair),
                lesson: row.lesson,
                order: row.order,
                protocol_title: (info.title, info.title_zh_cn),
                family: info.family,
                steps: row.steps,
                path: row.path,
            })
        })
        .collect()
}

/// A break-it switch as the lab offers it.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchView {
    /// The config key.
    pub key: &'static str,
    /// What it breaks, in the current language.
    pub effect: &'static str,
    /// The invariant that catches it.
    pub caught_by: &'static str,
    /// Whether it is on at the cursor.
    pub on: bool,
}

impl SwitchView {
    /// The break-it switches of `info` named by `keys` (all of them if
    /// none), with their state from `on`, in `lang`.
    pub fn list(
        info: &ProtocolInfo,
        on: &[(&'static str, bool)],
        keys: Option<&[String]>,
        lang: Lang,
    ) -> Vec<SwitchView> {
        info.break_switches
            .iter()
            .filter(|b| keys.is_none_or(|k| k.iter().any(|k| k == b.key)))
            .map(|b| SwitchView {
                key: b.key,
                effect: if lang == Lang::ZhCn { b.effect_zh_cn } else { b.effect },
                caught_by: info
                    .invariants
                    .iter()
                    .find(|i| i.name == b.caught_by)
                    .map_or(b.caught_by, |i| if lang == Lang::ZhCn { i.name_zh_cn } else { i.name }),
                on: on.iter().any(|(k, v)| *k == b.key && *v),
            })
            .collect()
    }
}

/// How far a waiting step is (what it waits for is in [`LessonView::wait`]).
#[derive(Clone, Debug, PartialEq)]
pub struct WaitView {
    /// How far it is (0 to 1), when measurable.
    pub fraction: Option<f64>,
    /// Simulated time left before the step gives up, in µs.
    pub left_us: u64,
}

/// The lesson player's state, as plain data for the lesson pane.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonView {
    /// Title in the current language.
    pub title: String,
    /// Step position (from 0) and count.
    pub index: usize,
    /// Number of steps.
    pub count: usize,
    /// The lesson's summary (shown with the first step).
    pub summary: Option<String>,
    /// The step's heading.
    pub heading: Option<String>,
    /// The step's Markdown (its HTML is in [`Lab::source`]).
    pub markdown: String,
    /// Whether the step is a challenge.
    pub challenge: bool,
    /// Where the step stands.
    pub state: StepState,
    /// What it waits for, while it waits (the words; how far it is goes to
    /// [`Ctx::lesson_wait`], which changes every frame).
    pub wait: Option<String>,
    /// The step's time limit in ms.
    pub within_ms: u64,
    /// Whether Back can rewind to the previous step's start.
    pub can_back: bool,
    /// The step waits for the learner to act (a goal or a command).
    pub for_learner: bool,
    /// The step asks the learner to press Play.
    pub learner_plays: bool,
    /// The step has a solution the lab can show.
    pub has_solution: bool,
    /// The lesson is done (its last step reached and not waiting).
    pub finished: bool,
    /// The break-it switches the lesson lets the learner flip.
    pub switches: Vec<SwitchView>,
}

/// The running simulation and what belongs to it.
pub struct Lab {
    /// Path of the file under `tutorials/`.
    pub file: String,
    /// The file as published (its text, its step texts' HTML).
    pub source: Rc<PublishedFile>,
    /// The loaded file.
    pub scenario: Scenario,
    /// The run.
    pub sim: Box<dyn Sim>,
    /// The lesson being played, if the file is a lesson (it keeps where
    /// each step began and where it was met).
    pub lesson: Option<LessonRun>,
    /// Violations already reported (a new one pauses the run).
    pub seen_violations: usize,
    /// How far the waiting step is, as of the last [`Lab::lesson_view`].
    pub wait: Option<WaitView>,
}

impl Lab {
    /// Loads `file` (published as `source`), starts it with `seed` (the
    /// file's own seed if none) and begins its first lesson step.
    pub fn open(file: &str, source: Rc<PublishedFile>, seed: Option<u64>) -> Result<Lab, String> {
        let mut lab = Lab::start(file, source, seed)?;
        lab.begin_step(0).map_err(|e| e.en)?;
        Ok(lab)
    }

    /// Like [`Lab::open`], then replays a recorded command log (which holds
    /// the lesson actions too): visits where each lesson step began
    /// (`marks`: time and events), so Back works, and ends at the cursor
    /// (`at`, `events`; no events means "by time") at lesson step `step`.
    pub fn restore(
        file: &str,
        source: Rc<PublishedFile>,
        seed: Option<u64>,
        commands: Vec<CommandRecord>,
        at: (Micros, u64),
        step: usize,
        marks: &[Option<(u64, u64)>],
    ) -> Result<Lab, String> {
        let mut lab = Lab::start(file, source, seed)?;
        lab.sim.adopt(commands).map_err(|e| e.to_string())?;
        let err = |e: distlab_core::sim::SimError| e.to_string();
        let steps = lab.lesson.as_ref().map_or(0, |r| r.lesson().steps.len());
        let mut found = vec![None; steps];
        for (i, m) in marks.iter().enumerate().take(steps) {
            if let Some((t, e)) = *m {
                lab.sim.seek_to(Micros(t), e).map_err(err)?;
                found[i] = Some(StepMark::of(lab.sim.as_ref()));
            }
        }
        let (t, events) = at;
        if events > 0 {
            lab.sim.seek_to(t, events).map_err(err)?;
        } else {
            lab.sim.seek(t.min(lab.sim.end())).map_err(err)?;
        }
        let here = StepMark::of(lab.sim.as_ref());
        if let Some(run) = lab.lesson.as_mut() {
            // The step's own start when the link has it, so "since the step
            // began" means the same as it did for the sender.
            let mark = found.get(step).copied().flatten().unwrap_or(here);
            run.resume(step, mark);
            for (i, m) in found.into_iter().enumerate() {
                if let Some(m) = m {
                    run.set_mark(i, m);
                }
            }
        }
        Ok(lab)
    }

    /// Where each lesson step began, as (time, events), for share links.
    pub fn marks(&self) -> Vec<Option<(u64, u64)>> {
        self.lesson
            .as_ref()
            .map_or_else(Vec::new, |r| r.marks().iter().map(|m| m.map(|m| (m.time.0, m.events))).collect())
    }

    fn start(file: &str, source: Rc<PublishedFile>, seed: Option<u64>) -> Result<Lab, String> {
        let s = scenario::load(Source { name: file, text: &source.text })
            .map_err(|ds| ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))?;
        let sim = s.start(seed, StartOptions { store_trace: true }).map_err(|e| e.to_string())?;
        let lesson = s.lesson.clone().map(LessonRun::new);
        Ok(Lab { file: file.to_string(), source, scenario: s, sim, lesson, seen_violations: 0, wait: None })
    }

    /// Begins lesson step `i` (performs its action).
    pub fn begin_step(&mut self, i: usize) -> Result<(), Text> {
        let Some(run) = self.lesson.as_mut() else { return Ok(()) };
        if run.lesson().steps.is_empty() {
            return Ok(());
        }
        run.begin(i, self.sim.as_mut()).map_err(|e| e.text())
    }

    /// Goes back to the start of step `i`: rewinds to where it began (just
    /// after its action) and waits for its condition again.
    pub fn back_to_step(&mut self, i: usize) -> Result<(), Text> {
        let Some(run) = self.lesson.as_mut() else { return Ok(()) };
        run.back(i, self.sim.as_mut()).map_err(|e| e.text())
    }

    /// The lesson pane's data in `lang`.
    pub fn lesson_view(&mut self, lang: Lang) -> Option<LessonView> {
        let run = self.lesson.as_mut()?;
        let state = run.poll(self.sim.as_mut());
        let progress = run.progress(self.sim.as_mut());
        self.wait = progress.as_ref().map(|p| WaitView { fraction: p.fraction, left_us: p.left.0 });
        let wait = progress.map(|p| p.what.get(lang).to_string());
        let index = run.index();
        let can_back = index > 0 && run.marks().get(index - 1).is_some_and(Option::is_some);
        let finished = run.finished();
        let lesson = run.lesson();
        let step = run.step()?;
        // Every frame: only a lesson that offers switches reads them.
        let switches = if lesson.switches.is_empty() {
            Vec::new()
        } else {
            SwitchView::list(self.sim.info(), &self.sim.switches(), Some(&lesson.switches), lang)
        };
        Some(LessonView {
            title: lesson.title.get(lang).to_string(),
            index,
            count: lesson.steps.len(),
            summary: lesson.summary.as_ref().filter(|_| index == 0).map(|t| t.get(lang).to_string()),
            heading: step.title.as_ref().map(|t| t.get(lang).to_string()),
            markdown: step.text.get(lang).to_string(),
            challenge: step.challenge,
            state,
            wait,
            within_ms: step.within.0 / 1000,
            can_back,
            for_learner: step.waits_for_learner(),
            learner_plays: step.play == Play::Learner && step.until.is_some(),
            has_solution: step.solution.is_some(),
            finished,
            switches,
        })
    }

    /// The pace of lesson step `i`, if the lesson sets one.
    pub fn pace_of(&self, i: usize) -> Option<f64> {
        self.lesson.as_ref().and_then(|r| r.lesson().pace_of(i))
    }

    /// Whether lesson step `i` plays by itself when it begins.
    pub fn plays_itself(&self, i: usize) -> bool {
        self.lesson.as_ref().and_then(|r| r.lesson().steps.get(i)).is_some_and(|s| s.plays_itself())
    }
}

/// See [`Ctx::snapshot`].
pub struct Snapshot {
    /// File under `tutorials/`.
    pub file: String,
    /// Its text (share links fingerprint it).
    pub source: Rc<PublishedFile>,
    /// Seed.
    pub seed: u64,
    /// Commands applied up to the cursor.
    pub commands: Vec<CommandRecord>,
    /// Cursor: time and events.
    pub at: (Micros, u64),
    /// Lesson step.
    pub step: usize,
    /// Where each lesson step began.
    pub marks: Vec<Option<(u64, u64)>>,
}

/// The lab's signals and the one place that changes the run.
#[derive(Copy, Clone)]
pub struct Ctx {
    /// The run (absent only if even the default file failed to load).
    pub lab: StoredValue<Option<Lab>, LocalStorage>,
    /// The world at the cursor.
    pub view: RwSignal<Option<WorldView>>,
    /// Simulated time at the cursor (cheap to watch: animations read it).
    pub now_us: RwSignal<u64>,
    /// Furthest time reached (for the scrubber).
    pub horizon_us: RwSignal<u64>,
    /// Bumped after every change, for views derived from the trace.
    pub revision: RwSignal<u64>,
    /// Whether time runs.
    pub playing: RwSignal<bool>,
    /// Speed as log10 of simulated seconds per wall second (-3 ..= 1).
    pub speed_log: RwSignal<f64>,
    /// What the inspector shows.
    pub selected: RwSignal<Selection>,
    /// Nodes picked for the partition tool.
    pub picked: RwSignal<Vec<NodeId>>,
    /// A one-line notice (a fork, a refused command).
    pub notice: RwSignal<Option<String>>,
    /// Bumped with every notice, so an older notice's timer does not
    /// dismiss a newer one.
    pub notice_serial: RwSignal<u64>,
    /// A message that replaces nothing but must be read (a broken link).
    pub error: RwSignal<Option<String>>,
    /// UI language.
    pub lang: RwSignal<Lang>,
    /// Dark theme.
    pub dark: RwSignal<bool>,
    /// The lesson pane's data.
    pub lesson: RwSignal<Option<LessonView>>,
    /// How far the waiting step is (changes every frame while it waits).
    pub lesson_wait: RwSignal<Option<WaitView>>,
    /// Whether the lesson pane is open.
    pub lesson_open: RwSignal<bool>,
    /// Shown inside an iframe (`?embed=1`).
    pub embed: bool,
}

/// How long a notice stays, in ms of wall time.
pub const NOTICE_MS: u32 = 6_000;

/// Speed bounds (log10 of simulated seconds per wall second).
pub const SPEED_LOG_MIN: f64 = -3.0;
/// See [`SPEED_LOG_MIN`].
pub const SPEED_LOG_MAX: f64 = 1.0;
/// The default speed: 1/100 of real time, so an election is watchable.
pub const SPEED_LOG_DEFAULT: f64 = -2.0;

impl Ctx {
    /// Fresh signals around `lab`.
    pub fn new(lab: Option<Lab>, lang: Lang, dark: bool, embed: bool) -> Ctx {
        let ctx = Ctx {
            lab: StoredValue::new_local(lab),
            view: RwSignal::new(None),
            now_us: RwSignal::new(0),
            horizon_us: RwSignal::new(0),
            revision: RwSignal::new(0),
            playing: RwSignal::new(false),
            speed_log: RwSignal::new(SPEED_LOG_DEFAULT),
            selected: RwSignal::new(Selection::None),
            picked: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            notice_serial: RwSignal::new(0),
            error: RwSignal::new(None),
            lang: RwSignal::new(lang),
            dark: RwSignal::new(dark),
            lesson: RwSignal::new(None),
            lesson_wait: RwSignal::new(None),
            lesson_open: RwSignal::new(true),
            embed,
        };
        ctx.refresh();
        ctx
    }

    /// The UI texts in the current language (tracked).
    pub fn t(&self) -> &'static Strings {
        strings::of(self.lang.get())
    }

    /// Speed in simulated seconds per wall second.
    pub fn speed(&self) -> f64 {
        10f64.powf(self.speed_log.get_untracked().clamp(SPEED_LOG_MIN, SPEED_LOG_MAX))
    }

    /// Reads the run.
    pub fn with_lab<R>(&self, f: impl FnOnce(&mut Lab) -> R) -> Option<R> {
        let mut out = None;
        self.lab.update_value(|l| out = l.as_mut().map(f));
        out
    }

    /// Re-reads everything the components show from the run.
    pub fn refresh(&self) {
        let lang = self.lang.get_untracked();
        let got = self.with_lab(|lab| {
            let view = lab.sim.view();
            let fresh = view.violations.len() > lab.seen_violations;
            lab.seen_violations = view.violations.len();
            let lesson = lab.lesson_view(lang);
            (view, lab.sim.horizon().1, fresh, lesson, lab.wait.clone())
        });
        if let Some((view, horizon, fresh_violation, lesson, wait)) = got {
            if self.lesson_wait.get_untracked() != wait {
                self.lesson_wait.set(wait);
            }
            if fresh_violation {
                // A broken invariant stops the run where it happened.
                self.playing.set(false);
            }
            if self.horizon_us.get_untracked() != horizon.0 {
                self.horizon_us.set(horizon.0);
            }
            self.now_us.set(view.time_us);
            self.view.set(Some(view));
            if self.lesson.get_untracked() != lesson {
                // What a step waited for has happened: stop there, so the
                // learner reads on before the run moves past the next step's
                // moment (Continue plays on into a step that waits).
                let was_waiting = self
                    .lesson
                    .with_untracked(|l| l.as_ref().map(|l| (l.index, matches!(l.state, StepState::Waiting { .. }))));
                if let (Some((i, true)), Some(now)) = (was_waiting, lesson.as_ref())
                    && now.index == i
                    && now.state == StepState::Met
                {
                    self.playing.set(false);
                }
                self.lesson.set(lesson);
            }
            self.revision.update(|r| *r += 1);
        }
    }

    /// Advances simulated time by `by` (the frame loop), up to the end.
    pub fn advance(&self, by: Micros) {
        let failed = self.with_lab(|lab| {
            let target = lab.sim.now().saturating_add(by).min(lab.sim.end());
            let at_end = lab.sim.now() >= lab.sim.end();
            let before = lab.sim.violations().len();
            let r = lab.sim.run_until(target).err();
            // A new violation: stand exactly where it happened, not at the
            // end of the frame that found it.
            if let Some(v) = lab.sim.violations().get(before) {
                let at = Micros(v.time_us);
                let _ = lab.sim.seek(at);
                // Time alone may stop before the event that broke the rule
                // (commands at the same instant): step up to it.
                let mut budget = 100_000;
                while lab.sim.violations().len() <= before && budget > 0 && matches!(lab.sim.step(), Ok(true)) {
                    budget -= 1;
                }
            }
            (r, at_end)
        });
        match failed {
            Some((Some(e), _)) => {
                self.playing.set(false);
                self.notify(self.say(&e));
            }
            Some((None, true)) => {
                self.playing.set(false);
                self.notify(self.t_untracked().ended.to_string());
            }
            _ => {}
        }
        self.refresh();
    }

    /// A simulator refusal or error in the reader's language.
    fn say(&self, e: &distlab_core::sim::SimError) -> String {
        e.text().get(self.lang.get_untracked()).to_string()
    }

    fn t_untracked(&self) -> &'static Strings {
        strings::of(self.lang.get_untracked())
    }

    /// Processes exactly one event.
    pub fn step(&self) {
        self.playing.set(false);
        let r = self.with_lab(|lab| lab.sim.step());
        if let Some(Err(e)) = r {
            self.notify(self.say(&e));
        }
        self.refresh();
    }

    /// Moves the cursor to `t` (clamped to the scenario).
    pub fn seek(&self, t: Micros) {
        let r = self.with_lab(|lab| {
            let t = t.min(lab.sim.end());
            lab.sim.seek(t)
        });
        if let Some(Err(e)) = r {
            self.notify(self.say(&e));
        }
        self.refresh();
    }

    /// Moves the cursor to just before the event that wrote trace record
    /// `index` (a message that has arrived is then still in flight, with
    /// its fields in the inspector). Scans the trace from the start, once.
    pub fn seek_before_record(&self, index: usize) {
        self.playing.set(false);
        let r = self.with_lab(|lab| {
            let Some((t, events)) = distlab_core::query::before_record(lab.sim.trace().records(), index) else {
                return Ok(());
            };
            lab.sim.seek_to(t, events)
        });
        if let Some(Err(e)) = r {
            self.notify(self.say(&e));
        }
        self.refresh();
    }

    /// Applies a command at the cursor; a refusal or a fork becomes the
    /// notice line (a fork also forks the lesson). Returns whether it
    /// applied. A lesson step that waits for the learner's action plays on
    /// once they have acted (unless it asks them to press Play).
    pub fn act(&self, command: Command) -> bool {
        let t = self.t_untracked();
        let r = self.with_lab(|lab| {
            let before = StepMark::of(lab.sim.as_ref());
            let r = lab.sim.apply(command);
            if let (Ok(Some(_)), Some(run)) = (&r, lab.lesson.as_mut()) {
                run.forked(before);
            }
            r
        });
        let ok = match r {
            Some(Ok(Some(fork))) => {
                self.notify(strings::fill(t.forked, &[&fork.at, &fork.discarded_events]));
                true
            }
            Some(Ok(None)) => {
                self.notice.set(None);
                true
            }
            Some(Err(e)) => {
                self.notify(self.say(&e));
                false
            }
            None => false,
        };
        self.refresh();
        if ok
            && self.lesson.with_untracked(|l| {
                l.as_ref()
                    .is_some_and(|l| l.for_learner && !l.learner_plays && matches!(l.state, StepState::Waiting { .. }))
            })
        {
            self.playing.set(true);
        }
        ok
    }

    /// Shows a notice that stays until closed or replaced (a refused input
    /// the learner must read); an older notice's timer leaves it alone.
    pub fn warn(&self, text: String) {
        self.notice_serial.update(|n| *n += 1);
        self.notice.set(Some(text));
    }

    /// Shows a notice that goes away by itself after a few seconds (a
    /// newer notice replaces it and restarts the time).
    pub fn notify(&self, text: String) {
        self.notice.set(Some(text));
        self.notice_serial.update(|n| *n += 1);
        let serial = self.notice_serial.get_untracked();
        let (notice, serial_signal) = (self.notice, self.notice_serial);
        gloo_timers::callback::Timeout::new(NOTICE_MS, move || {
            if serial_signal.try_get_untracked() == Some(serial) {
                notice.try_set(None);
            }
        })
        .forget();
    }

    /// Begins lesson step `i` (Continue): performs its action, takes the
    /// step's pace, and plays if the step waits for something the
    /// simulation will do by itself.
    pub fn continue_to(&self, i: usize) {
        match self.with_lab(|lab| lab.begin_step(i)) {
            Some(Ok(())) => self.take_step(i),
            Some(Err(e)) => self.notify(e.get(self.lang.get_untracked()).to_string()),
            None => {}
        }
        self.refresh();
    }

    /// Takes lesson step `i`'s pace and plays if the step waits for the
    /// simulation (a step just begun, or a lesson just opened).
    pub fn take_step(&self, i: usize) {
        if let Some((pace, plays)) = self.with_lab(|lab| (lab.pace_of(i), lab.plays_itself(i))) {
            self.take_pace(pace);
            if plays {
                self.playing.set(true);
            }
        }
    }

    /// Back to where lesson step `i` began.
    pub fn back_to(&self, i: usize) {
        self.playing.set(false);
        if let Some(Err(e)) = self.with_lab(|lab| lab.back_to_step(i)) {
            self.notify(e.get(self.lang.get_untracked()).to_string());
        }
        self.refresh();
    }

    /// Sets the speed a lesson step asks for.
    pub fn take_pace(&self, pace: Option<f64>) {
        if let Some(p) = pace.filter(|p| p.is_finite() && *p > 0.0) {
            self.speed_log.set(p.log10().clamp(SPEED_LOG_MIN, SPEED_LOG_MAX));
        }
    }

    /// Runs `f` on the lesson and the run; an error becomes a notice.
    fn with_lesson<T>(&self, f: impl FnOnce(&mut LessonRun, &mut dyn Sim) -> Result<T, SimError>) {
        let r = self.with_lab(|lab| lab.lesson.as_mut().map(|run| f(run, lab.sim.as_mut())));
        if let Some(Some(Err(e))) = r {
            self.notify(self.say(&e));
        }
        self.refresh();
    }

    /// Runs the simulation to the moment the waiting step's condition
    /// holds (or it gives up), and stops there.
    pub fn skip(&self) {
        self.playing.set(false);
        self.with_lesson(|run, sim| run.skip(sim));
    }

    /// Performs the waiting step's solution, as the learner was asked to.
    pub fn show_me(&self) {
        self.with_lesson(|run, sim| run.solve(sim));
        if self.lesson.with_untracked(|l| l.as_ref().is_some_and(|l| matches!(l.state, StepState::Waiting { .. }))) {
            self.playing.set(true);
        }
    }

    /// Puts a new run in place (another file, seed, or a restored link).
    pub fn install(&self, lab: Lab) {
        self.playing.set(false);
        self.selected.set(Selection::None);
        self.picked.set(Vec::new());
        self.notice.set(None);
        self.lab.set_value(Some(lab));
        self.refresh();
    }

    /// What a share link needs: file, seed, command log up to the cursor,
    /// the cursor (time, events), lesson step and where each step began.
    pub fn snapshot(&self) -> Option<Snapshot> {
        self.with_lab(|lab| {
            let applied = lab.sim.commands_applied();
            Snapshot {
                file: lab.file.clone(),
                source: lab.source.clone(),
                seed: lab.sim.seed(),
                commands: lab.sim.commands()[..applied].to_vec(),
                at: (lab.sim.now(), lab.sim.events()),
                step: lab.lesson.as_ref().map_or(0, |r| r.index()),
                marks: lab.marks(),
            }
        })
    }
}

/// The messages the violations found so far involve (see
/// `Violation::messages`), for the views to mark.
pub fn flagged_messages(ctx: Ctx) -> Memo<Vec<MsgId>> {
    Memo::new(move |_| {
        ctx.view.with(|v| {
            v.as_ref()
                .map(|v| v.violations.iter().flat_map(|x| x.messages.iter().copied()).collect())
                .unwrap_or_default()
        })
    })
}
