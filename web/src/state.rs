//! The lab's state: the running simulation (not reactive, held once) and
//! the signals the components read. Every change to the run goes through
//! [`Ctx`], which applies it and refreshes the signals, so components never
//! touch the simulation directly.

use crate::strings::{self, Strings};
use crate::tutorials;
use distlab_core::Micros;
use distlab_core::command::{Command, CommandRecord};
use distlab_core::ids::{MsgId, NodeId};
use distlab_core::lesson::{Lang, LessonRun, StepMark, StepState, Text};
use distlab_core::scenario::{self, Scenario, Source, StartOptions};
use distlab_core::sim::Sim;
use distlab_core::view::WorldView;
use leptos::prelude::*;

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
    pub path: &'static str,
    /// Title in English and Chinese (the file name if it has none).
    pub title: (String, String),
    /// Whether the file is a lesson.
    pub lesson: bool,
    /// Sort key.
    pub order: i64,
}

/// Every embedded file that loads, lessons first in their order.
pub fn catalog() -> Vec<CatalogEntry> {
    let mut out: Vec<CatalogEntry> = tutorials::TUTORIALS
        .iter()
        .filter_map(|(path, text)| {
            let s = scenario::load(Source { name: path, text }).ok()?;
            Some(match &s.lesson {
                Some(l) => CatalogEntry {
                    path,
                    title: (l.title.en.clone(), l.title.zh_cn.clone()),
                    lesson: true,
                    order: l.order,
                },
                None => CatalogEntry { path, title: (s.name.clone(), s.name.clone()), lesson: false, order: i64::MAX },
            })
        })
        .collect();
    out.sort_by(|a, b| (!a.lesson, a.order, a.path).cmp(&(!b.lesson, b.order, b.path)));
    out
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
    /// The step's Markdown.
    pub markdown: String,
    /// Whether the step is a challenge.
    pub challenge: bool,
    /// Where the step stands.
    pub state: StepState,
    /// The step's time limit in ms.
    pub within_ms: u64,
    /// Whether Back can rewind to the previous step's start.
    pub can_back: bool,
}

/// The running simulation and what belongs to it.
pub struct Lab {
    /// Path of the file under `tutorials/`.
    pub file: &'static str,
    /// The loaded file.
    pub scenario: Scenario,
    /// The run.
    pub sim: Box<dyn Sim>,
    /// The lesson being played, if the file is a lesson.
    pub lesson: Option<LessonRun>,
    /// Where each step began (just after its action; for Back), by step.
    pub step_marks: Vec<Option<StepMark>>,
    /// Violations already reported (a new one pauses the run).
    pub seen_violations: usize,
}

impl Lab {
    /// Loads `file` from the embedded tutorials, starts it with `seed`
    /// (the file's own seed if none) and begins its first lesson step.
    pub fn open(file: &str, seed: Option<u64>) -> Result<Lab, String> {
        let mut lab = Lab::start(file, seed)?;
        lab.begin_step(0).map_err(|e| e.en)?;
        Ok(lab)
    }

    /// Like [`Lab::open`], then replays a recorded command log (which holds
    /// the lesson actions too): visits where each lesson step began
    /// (`marks`: time and events), so Back works, and ends at the cursor
    /// (`at`, `events`; no events means "by time") at lesson step `step`.
    pub fn restore(
        file: &str,
        seed: Option<u64>,
        commands: Vec<CommandRecord>,
        at: (Micros, u64),
        step: usize,
        marks: &[Option<(u64, u64)>],
    ) -> Result<Lab, String> {
        let mut lab = Lab::start(file, seed)?;
        lab.sim.adopt(commands).map_err(|e| e.to_string())?;
        let err = |e: distlab_core::sim::SimError| e.to_string();
        for (i, m) in marks.iter().enumerate().take(lab.step_marks.len()) {
            if let Some((t, e)) = *m {
                lab.sim.seek_to(Micros(t), e).map_err(err)?;
                lab.step_marks[i] = Some(StepMark::of(lab.sim.as_ref()));
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
            let mark = lab.step_marks.get(step).copied().flatten().unwrap_or(here);
            run.resume(step, mark);
            let i = run.index();
            if let Some(m) = lab.step_marks.get_mut(i) {
                m.get_or_insert(mark);
            }
        }
        Ok(lab)
    }

    /// Where each lesson step began, as (time, events), for share links.
    pub fn marks(&self) -> Vec<Option<(u64, u64)>> {
        self.step_marks.iter().map(|m| m.map(|m| (m.time.0, m.events))).collect()
    }

    /// Moves the lesson back to the step the cursor is in, after a rewind to
    /// before the current step began.
    fn follow_cursor(&mut self) {
        let Some(run) = self.lesson.as_mut() else { return };
        let here = (self.sim.now(), self.sim.events());
        let current = run.mark();
        if here >= (current.time, current.events) {
            return;
        }
        let back = (0..run.index()).rev().find_map(|i| {
            self.step_marks.get(i).copied().flatten().filter(|m| (m.time, m.events) <= here).map(|m| (i, m))
        });
        if let Some((i, m)) = back {
            run.resume(i, m);
        }
    }

    fn start(file: &str, seed: Option<u64>) -> Result<Lab, String> {
        let (path, text) = tutorials::TUTORIALS
            .iter()
            .find(|(p, _)| *p == file)
            .ok_or_else(|| format!("there is no scenario or lesson called '{file}' in this build"))?;
        let s = scenario::load(Source { name: path, text })
            .map_err(|ds| ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))?;
        let sim = s.start(seed, StartOptions { store_trace: true }).map_err(|e| e.to_string())?;
        let lesson = s.lesson.clone().map(LessonRun::new);
        let steps = s.lesson.as_ref().map_or(0, |l| l.steps.len());
        Ok(Lab { file: path, scenario: s, sim, lesson, step_marks: vec![None; steps], seen_violations: 0 })
    }

    /// Begins lesson step `i` (performs its action).
    pub fn begin_step(&mut self, i: usize) -> Result<(), Text> {
        let Some(run) = self.lesson.as_mut() else { return Ok(()) };
        if run.lesson().steps.is_empty() {
            return Ok(());
        }
        run.begin(i, self.sim.as_mut()).map_err(|e| e.text())?;
        let mark = StepMark::of(self.sim.as_ref());
        if let Some(m) = self.step_marks.get_mut(run.index()) {
            *m = Some(mark);
        }
        Ok(())
    }

    /// Goes back to the start of step `i`: rewinds to where it began (just
    /// after its action) and waits for its condition again.
    pub fn back_to_step(&mut self, i: usize) -> Result<(), Text> {
        let Some(mark) = self.step_marks.get(i).copied().flatten() else {
            return Err(Text::new(
                "this step's start is not known here (the link was made at a later step)",
                "这里不知道这一步从哪里开始（链接是在后面的步骤生成的）",
            ));
        };
        self.sim.seek_to(mark.time, mark.events).map_err(|e| e.text())?;
        if let Some(run) = self.lesson.as_mut() {
            run.resume(i, mark);
        }
        Ok(())
    }

    /// The lesson pane's data in `lang`.
    pub fn lesson_view(&mut self, lang: Lang) -> Option<LessonView> {
        self.follow_cursor();
        let can_back = self
            .lesson
            .as_ref()
            .is_some_and(|r| r.index() > 0 && self.step_marks.get(r.index() - 1).is_some_and(Option::is_some));
        let run = self.lesson.as_mut()?;
        let state = run.poll(self.sim.as_mut());
        let lesson = run.lesson();
        let step = run.step()?;
        Some(LessonView {
            title: lesson.title.get(lang).to_string(),
            index: run.index(),
            count: lesson.steps.len(),
            summary: lesson.summary.as_ref().filter(|_| run.index() == 0).map(|t| t.get(lang).to_string()),
            heading: step.title.as_ref().map(|t| t.get(lang).to_string()),
            markdown: step.text.get(lang).to_string(),
            challenge: step.challenge,
            state,
            within_ms: step.within.0 / 1000,
            can_back,
        })
    }
}

/// See [`Ctx::snapshot`].
pub struct Snapshot {
    /// File under `tutorials/`.
    pub file: &'static str,
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
    /// A message that replaces nothing but must be read (a broken link).
    pub error: RwSignal<Option<String>>,
    /// UI language.
    pub lang: RwSignal<Lang>,
    /// Dark theme.
    pub dark: RwSignal<bool>,
    /// The lesson pane's data.
    pub lesson: RwSignal<Option<LessonView>>,
    /// Whether the lesson pane is open.
    pub lesson_open: RwSignal<bool>,
    /// The list of lessons is open in the lesson pane (a playground, which
    /// has no lesson of its own, shows it on request).
    pub catalog_open: RwSignal<bool>,
    /// Shown inside an iframe (`?embed=1`).
    pub embed: bool,
}

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
            error: RwSignal::new(None),
            lang: RwSignal::new(lang),
            dark: RwSignal::new(dark),
            lesson: RwSignal::new(None),
            lesson_open: RwSignal::new(true),
            catalog_open: RwSignal::new(false),
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
            (view, lab.sim.horizon().1, fresh, lesson)
        });
        if let Some((view, horizon, fresh_violation, lesson)) = got {
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
                self.notice.set(Some(self.say(&e)));
            }
            Some((None, true)) => {
                self.playing.set(false);
                self.notice.set(Some(self.t_untracked().ended.to_string()));
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
            self.notice.set(Some(self.say(&e)));
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
            self.notice.set(Some(self.say(&e)));
        }
        self.refresh();
    }

    /// Moves the cursor to just before the event that wrote trace record
    /// `index` (a message that has arrived is then still in flight, with
    /// its fields in the inspector). Scans the trace from the start, once.
    pub fn seek_before_record(&self, index: usize) {
        self.playing.set(false);
        let r = self.with_lab(|lab| {
            let records = lab.sim.trace().records();
            let Some(target) = records.get(index) else { return Ok(()) };
            let heads = records.iter_from(0).take(index).filter(|r| r.kind.is_head()).count() as u64;
            // A record that is not an event's head belongs to the event that
            // began at the last head before it.
            let events = if target.kind.is_head() { heads } else { heads.saturating_sub(1) };
            lab.sim.seek_to(target.time, events)
        });
        if let Some(Err(e)) = r {
            self.notice.set(Some(self.say(&e)));
        }
        self.refresh();
    }

    /// Applies a command at the cursor; a refusal or a fork becomes the
    /// notice line. Returns whether it applied.
    pub fn act(&self, command: Command) -> bool {
        let t = self.t_untracked();
        let r = self.with_lab(|lab| lab.sim.apply(command));
        let ok = match r {
            Some(Ok(Some(fork))) => {
                self.notice.set(Some(strings::fill(t.forked, &[&fork.at, &fork.discarded_events])));
                true
            }
            Some(Ok(None)) => {
                self.notice.set(None);
                true
            }
            Some(Err(e)) => {
                self.notice.set(Some(self.say(&e)));
                false
            }
            None => false,
        };
        self.refresh();
        ok
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
                file: lab.file,
                seed: lab.sim.seed(),
                commands: lab.sim.commands()[..applied].to_vec(),
                at: (lab.sim.now(), lab.sim.events()),
                step: lab.lesson.as_ref().map_or(0, |r| r.index()),
                marks: lab.marks(),
            }
        })
    }
}
