//! Lessons: a scenario plus steps. Each step has text in zh-CN and en, an
//! optional action performed when it starts, and an optional condition to
//! wait for, with a time limit. A challenge step's condition is a goal the
//! learner must reach; a step may carry a `solution`, the action a learner
//! is expected to take, which the headless replay performs for them (and
//! the lab offers as "show me").
//!
//! [`LessonRun`] steps through a lesson against a [`Sim`]; the web lesson
//! player and [`replay`] (the CLI and the tests) both use it. It follows
//! the run's time cursor: it remembers the point where each step began and
//! where its condition came true, so scrubbing back shows the step that was
//! current then, scrubbing forward again restores the later steps that were
//! already reached, and a fork (acting in the past) forgets what the
//! dropped future held.

use crate::command::Command;
use crate::protocol::Obs;
use crate::scenario::Scenario;
use crate::sim::{Sim, SimError};
use crate::time::Micros;
use crate::trace::{ObsValue, RecordKind};
use crate::view::ProtocolInfo;
use std::fmt;

/// A step waits at most this long for its condition unless it says otherwise.
pub const DEFAULT_WITHIN: Micros = Micros(10_000_000);

/// The lab's pace when a lesson sets none: 1/100 of real time, so an
/// election is watchable.
pub const DEFAULT_PACE: f64 = 0.01;

/// The longest a step may keep a learner waiting, in wall-clock seconds at
/// its pace (checked for every shipped lesson by the tests).
pub const MAX_WAIT_S: f64 = 15.0;

/// The slowest pace a lesson may ask for (simulated seconds per wall second).
pub const MIN_PACE: f64 = 0.001;
/// The fastest pace a lesson may ask for.
pub const MAX_PACE: f64 = 10.0;

/// The panels a lesson may ask the lab to open.
pub const PANELS: &[&str] = &["logs", "spacetime"];

/// Most events [`LessonRun::skip`] processes in one call.
pub const SKIP_EVENTS: u64 = 2_000_000;

pub use crate::text::{Lang, Text};

/// Over which nodes a field condition must hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Quorum {
    /// At least one node.
    Any,
    /// Every node (a crashed node without the field fails it).
    All,
    /// More than half the nodes.
    Majority,
}

/// What a step waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Simulated time has reached this instant.
    TimeReached(Micros),
    /// This long has passed since the step began.
    After(Micros),
    /// At least `count` nodes have this role now.
    Role {
        /// Role key (or `crashed`).
        role: String,
        /// How many.
        count: u32,
    },
    /// Since the step began, a node observed `key` (with `value`, if given).
    Observed {
        /// Observation key.
        key: String,
        /// Expected value as text.
        value: Option<String>,
        /// Only this node.
        node: Option<crate::ids::NodeId>,
    },
    /// A numeric field of the node views is at least `at_least`.
    Field {
        /// Field name (`commit_index`).
        field: String,
        /// Threshold.
        at_least: i64,
        /// Over which nodes.
        quorum: Quorum,
        /// Only this node.
        node: Option<crate::ids::NodeId>,
    },
    /// Since the step began, someone applied this command (to a node that
    /// had `target_role`, if given).
    Command {
        /// Verb (`crash`).
        verb: String,
        /// The target's role when the command was applied.
        target_role: Option<String>,
    },
    /// Since the step began, this invariant (or `any`) was violated.
    Violation(String),
    /// Every condition holds.
    All(Vec<Condition>),
    /// Some condition holds.
    Any(Vec<Condition>),
}

/// Who starts the clock when a step waits for something.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Play {
    /// The lab plays by itself while the step waits for something the
    /// simulation will do (a step waiting for the learner's action plays
    /// once the learner has acted).
    #[default]
    Auto,
    /// The learner presses Play; the lab says so beside the button.
    Learner,
}

/// One lesson step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Heading.
    pub title: Option<Text>,
    /// Markdown body.
    pub text: Text,
    /// Performed when the step begins.
    pub action: Option<Command>,
    /// Waited for before Continue.
    pub until: Option<Condition>,
    /// What the learner is expected to do; the headless replay does it.
    pub solution: Option<Command>,
    /// For a what-if step: the solution is done back in time, where this
    /// earlier step (by position, from 0) began.
    pub solution_at: Option<usize>,
    /// Longest wait for `until`.
    pub within: Micros,
    /// A goal the learner must reach (checked automatically).
    pub challenge: bool,
    /// Who starts the clock.
    pub play: Play,
    /// A what-if step: the lesson stays on it while the learner travels in
    /// time, and acting in the past restarts it at that point (its
    /// conditions count from there).
    pub stay: bool,
    /// The speed this step plays at (simulated seconds per wall second),
    /// if not the lesson's.
    pub pace: Option<f64>,
    /// Line and column of the step in its file (for messages).
    pub at: (usize, usize),
}

impl Step {
    /// A step with this text and nothing else (tests and tools build on it).
    pub fn text(text: Text) -> Step {
        Step {
            title: None,
            text,
            action: None,
            until: None,
            solution: None,
            solution_at: None,
            within: DEFAULT_WITHIN,
            challenge: false,
            play: Play::Auto,
            stay: false,
            pace: None,
            at: (0, 0),
        }
    }

    /// Whether the step waits for something the learner must do (a goal,
    /// or a command): the lab then leaves the clock to them until they act.
    pub fn waits_for_learner(&self) -> bool {
        fn commands(c: &Condition) -> bool {
            match c {
                Condition::Command { .. } => true,
                Condition::All(l) | Condition::Any(l) => l.iter().any(commands),
                _ => false,
            }
        }
        self.challenge || self.until.as_ref().is_some_and(commands)
    }

    /// Whether the lab should play by itself when this step begins.
    pub fn plays_itself(&self) -> bool {
        self.until.is_some() && self.play == Play::Auto && !self.waits_for_learner()
    }
}

/// A lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Title.
    pub title: Text,
    /// One-paragraph summary.
    pub summary: Option<Text>,
    /// Sort key in lesson lists.
    pub order: i64,
    /// The speed the lesson plays at (simulated seconds per wall second),
    /// unless a step says otherwise.
    pub pace: Option<f64>,
    /// Break-it switches (config keys) the learner may turn on and off.
    pub switches: Vec<String>,
    /// Panels the lab opens for this lesson (`logs`, `spacetime`).
    pub panels: Vec<String>,
    /// Steps, in order.
    pub steps: Vec<Step>,
}

impl Lesson {
    /// The pace of step `i`: its own, else the lesson's.
    pub fn pace_of(&self, i: usize) -> Option<f64> {
        self.steps.get(i).and_then(|s| s.pace).or(self.pace)
    }
}

/// A point of a run: a time and the number of events processed (several
/// events can share one instant). Ordered by time, then events.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    /// Time.
    pub time: Micros,
    /// Events processed.
    pub events: u64,
}

impl Point {
    /// The cursor of `sim`.
    pub fn of(sim: &dyn Sim) -> Point {
        Point { time: sim.now(), events: sim.events() }
    }
}

/// Where a step began, so conditions can look at what happened since.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StepMark {
    /// Time.
    pub time: Micros,
    /// Events so far (with `time`, the exact point: several events can
    /// share one instant).
    pub events: u64,
    /// Trace records so far.
    pub records: usize,
    /// Commands so far.
    pub commands: usize,
    /// Violations so far.
    pub violations: usize,
}

impl StepMark {
    /// The mark for `sim` at its cursor (which may be behind the horizon
    /// after a rewind: what was recorded after the cursor does not count).
    pub fn of(sim: &dyn Sim) -> StepMark {
        StepMark {
            time: sim.now(),
            events: sim.events(),
            records: sim.trace().records().upto(sim.now()),
            commands: sim.commands_applied(),
            violations: sim.violations().len(),
        }
    }

    /// The point of the run the mark stands for.
    pub fn point(&self) -> Point {
        Point { time: self.time, events: self.events }
    }
}

/// Where a step stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StepState {
    /// No condition: Continue whenever ready.
    Free,
    /// Waiting for the condition until `deadline`.
    Waiting {
        /// When the wait gives up.
        deadline: Micros,
    },
    /// The condition holds.
    Met,
    /// The condition did not hold in time.
    TimedOut,
}

/// What a waiting step waits for, in words, and how far it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// The condition as a sentence fragment ("a server becomes leader").
    pub what: Text,
    /// How far the condition is, from 0 to 1, when it can be measured
    /// (time passing, nodes reaching a value).
    pub fraction: Option<f64>,
    /// Simulated time left before the step gives up.
    pub left: Micros,
}

fn obs_text(v: &ObsValue) -> String {
    match v {
        ObsValue::Int(i) => Obs::Int(*i).text(),
        ObsValue::Str(s) => Obs::Str(s).text(),
    }
}

fn ms_text(d: Micros) -> String {
    let ms = d.0 as f64 / 1000.0;
    if ms >= 1000.0 && (ms / 1000.0).fract() == 0.0 {
        format!("{} s", ms / 1000.0)
    } else if ms.fract() == 0.0 {
        format!("{ms} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A command verb as a learner's action ("crash", "崩溃").
fn verb_words(verb: &str) -> (&'static str, &'static str) {
    match verb {
        "crash" => ("crash", "让……崩溃"),
        "restart" => ("restart", "重启"),
        "pause" => ("pause", "暂停"),
        "isolate" => ("isolate", "隔离"),
        "partition" => ("partition the network", "划分网络分区"),
        "cut" => ("cut a link", "切断一条链路"),
        "heal_link" => ("heal a link", "恢复一条链路"),
        "heal" => ("heal the network", "恢复网络"),
        "hold" => ("hold a message", "扣留一条消息"),
        "release" => ("release a message", "放行一条消息"),
        "drop" => ("drop a message", "丢弃一条消息"),
        "duplicate" => ("duplicate a message", "复制一条消息"),
        "request" => ("send a client request", "发送一个客户端请求"),
        "timeout" => ("fire a timer", "让一个定时器立即超时"),
        "clock_jump" => ("move a clock", "调整一个时钟"),
        "set_drift" => ("change a clock's rate", "改变一个时钟的快慢"),
        "set_network" => ("change the network", "修改网络条件"),
        "switch" => ("flip a break-it switch", "切换一个破坏开关"),
        _ => ("act", "操作"),
    }
}

impl Condition {
    /// The condition in words, for a learner ("a server becomes leader").
    /// Role, field and observation names come from the protocol's labels.
    pub fn describe(&self, info: &ProtocolInfo) -> Text {
        let role = |r: &str| -> (String, String) {
            match info.roles.iter().find(|x| x.name == r) {
                Some(x) => (x.name.to_string(), x.name_zh_cn.to_string()),
                None if r == crate::view::CRASHED => (crate::view::CRASHED.into(), "已崩溃".into()),
                None => (r.to_string(), r.to_string()),
            }
        };
        let label = |list: &[crate::view::Label], k: &str| -> (String, String) {
            match list.iter().find(|l| l.key == k) {
                Some(l) => (l.en.to_string(), l.zh_cn.to_string()),
                None => (k.replace('_', " "), k.to_string()),
            }
        };
        match self {
            Condition::TimeReached(t) => {
                Text::new(format!("the clock reaches {}", ms_text(*t)), format!("模拟时间到达 {}", ms_text(*t)))
            }
            Condition::After(d) => {
                Text::new(format!("{} of simulated time pass", ms_text(*d)), format!("经过 {} 模拟时间", ms_text(*d)))
            }
            Condition::Role { role: r, count } => {
                let (en, zh) = role(r);
                if *count <= 1 {
                    Text::new(format!("a node is {en}"), format!("出现一个{zh}"))
                } else {
                    Text::new(format!("{count} nodes are {en}"), format!("{count} 个节点处于{zh}"))
                }
            }
            Condition::Observed { key, value, node } => {
                let (en, zh) = label(info.labels, key);
                let who_en = node.map_or("a node".to_string(), |n| n.to_string());
                let who_zh = node.map_or("某个节点".to_string(), |n| n.to_string());
                match value {
                    Some(v) if key == "role" => {
                        let (ren, rzh) = role(v);
                        Text::new(format!("{who_en} becomes {ren}"), format!("{who_zh}成为{rzh}"))
                    }
                    Some(v) => Text::new(format!("{who_en} reports {en} {v}"), format!("{who_zh}报告{zh} {v}")),
                    None => Text::new(format!("{who_en} reports {en}"), format!("{who_zh}报告{zh}")),
                }
            }
            Condition::Field { field, at_least, quorum, node } => {
                let (en, zh) = label(info.labels, field);
                let (who_en, who_zh) = match (node, quorum) {
                    (Some(n), _) => (n.to_string(), n.to_string()),
                    (None, Quorum::Any) => ("a node".to_string(), "某个节点".to_string()),
                    (None, Quorum::All) => ("every node".to_string(), "每个节点".to_string()),
                    (None, Quorum::Majority) => ("a majority of nodes".to_string(), "多数节点".to_string()),
                };
                Text::new(format!("{en} reaches {at_least} on {who_en}"), format!("{who_zh}的{zh}达到 {at_least}"))
            }
            Condition::Command { verb, target_role } => {
                let (en, zh) = verb_words(verb);
                match target_role {
                    Some(r) => {
                        let (ren, rzh) = role(r);
                        if zh.contains("……") {
                            Text::new(format!("you {en} the {ren}"), format!("你{}", zh.replace("……", &rzh)))
                        } else {
                            Text::new(format!("you {en} the {ren}"), format!("你对{rzh}{zh}"))
                        }
                    }
                    None if zh.contains("……") => {
                        Text::new(format!("you {en} a node"), format!("你{}", zh.replace("……", "一个节点")))
                    }
                    None if matches!(verb.as_str(), "restart" | "pause" | "isolate") => {
                        Text::new(format!("you {en} a node"), format!("你{zh}一个节点"))
                    }
                    None => Text::new(format!("you {en}"), format!("你{zh}")),
                }
            }
            Condition::Violation(name) => {
                if name == "any" {
                    Text::new("the checker catches a broken invariant", "检查器发现某条不变式被违反")
                } else {
                    let zh = info.invariants.iter().find(|i| i.name == name).map_or(name.as_str(), |i| i.name_zh_cn);
                    Text::new(format!("the checker catches a {name} violation"), format!("检查器发现违反{zh}"))
                }
            }
            Condition::All(list) | Condition::Any(list) => {
                let parts: Vec<Text> = list.iter().map(|c| c.describe(info)).collect();
                let (and_en, and_zh) =
                    if matches!(self, Condition::All(_)) { (" and ", "，并且") } else { (" or ", "，或者") };
                Text::new(
                    parts.iter().map(|t| t.en.as_str()).collect::<Vec<_>>().join(and_en),
                    parts.iter().map(|t| t.zh_cn.as_str()).collect::<Vec<_>>().join(and_zh),
                )
            }
        }
    }
}

/// Steps through a lesson (see the module docs).
#[derive(Clone, Debug)]
pub struct LessonRun {
    lesson: Lesson,
    step: usize,
    mark: StepMark,
    /// Latches for "since the step began" leaves, in tree order.
    latched: Vec<bool>,
    scanned: usize,
    met: bool,
    /// Where each step began in this run (none if not reached, or if a
    /// fork dropped the future it began in).
    marks: Vec<Option<StepMark>>,
    /// Where each step's condition first held.
    met_at: Vec<Option<Point>>,
    /// The cursor when the lesson last looked.
    seen: Point,
    /// Field counts (passing, needed) by leaf, as the last check found
    /// them at `counts_at`, so the progress shown right after it does not
    /// build the world's view again.
    counts: Vec<Option<(usize, usize)>>,
    counts_at: Point,
}

impl LessonRun {
    /// A run positioned before the first step.
    pub fn new(lesson: Lesson) -> LessonRun {
        let n = lesson.steps.len();
        LessonRun {
            lesson,
            step: 0,
            mark: StepMark { time: Micros::ZERO, events: 0, records: 0, commands: 0, violations: 0 },
            latched: Vec::new(),
            scanned: 0,
            met: false,
            marks: vec![None; n],
            met_at: vec![None; n],
            seen: Point { time: Micros::ZERO, events: 0 },
            counts: Vec::new(),
            counts_at: Point { time: Micros::ZERO, events: 0 },
        }
    }

    /// The lesson.
    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The current step's position.
    pub fn index(&self) -> usize {
        self.step
    }

    /// The current step.
    pub fn step(&self) -> Option<&Step> {
        self.lesson.steps.get(self.step)
    }

    /// Where the current step began.
    pub fn mark(&self) -> StepMark {
        self.mark
    }

    /// Where each step began in this run, by step.
    pub fn marks(&self) -> &[Option<StepMark>] {
        &self.marks
    }

    /// Where step `i`'s condition first held, if it did.
    pub fn met_at(&self, i: usize) -> Option<Point> {
        self.met_at.get(i).copied().flatten()
    }

    /// Whether every step has been reached and the last one is not
    /// waiting: the lesson is done.
    pub fn finished(&self) -> bool {
        let last = self.lesson.steps.len().saturating_sub(1);
        self.step == last
            && self.marks.get(last).is_some_and(Option::is_some)
            && (self.lesson.steps[last].until.is_none() || self.met)
    }

    fn enter(&mut self, index: usize, mark: StepMark, now: Point) {
        self.step = index;
        self.mark = mark;
        self.latched.clear();
        self.scanned = mark.records;
        self.met = self.met_at(index).is_some_and(|m| m <= now);
        self.seen = now;
    }

    /// Begins step `index`: marks the point and performs its action. The
    /// steps after it are forgotten (this is a new path through the lesson).
    pub fn begin(&mut self, index: usize, sim: &mut dyn Sim) -> Result<(), SimError> {
        if self.lesson.steps.is_empty() {
            return Ok(());
        }
        let index = index.min(self.lesson.steps.len() - 1);
        let mut mark = StepMark::of(sim);
        // The action first: if it cannot apply, the lesson stays where it was.
        if let Some(action) = self.lesson.steps[index].action.clone() {
            if sim.apply(action)?.is_some() {
                self.forked(mark);
            }
            // The step begins just after its action (a command counts as an
            // event): Back and a what-if return there with the action done.
            // What counts as "since the step began" still includes it.
            mark.time = sim.now();
            mark.events = sim.events();
            // Acting behind the horizon forks and cuts the recorded future:
            // the action's own record then marks where the step began.
            let records = sim.trace().records();
            let n = records.len();
            if let Some(k) = (n.saturating_sub(64)..n)
                .rev()
                .find(|&k| records.get(k).is_some_and(|r| matches!(r.kind, RecordKind::Command { .. })))
            {
                mark.records = mark.records.min(k);
            }
        }
        for i in index..self.marks.len() {
            self.marks[i] = None;
            self.met_at[i] = None;
        }
        self.marks[index] = Some(mark);
        self.enter(index, mark, Point::of(sim));
        Ok(())
    }

    /// Puts the lesson at step `index` with a mark taken earlier, without
    /// performing its action (a share link being restored: the command log
    /// already holds it).
    pub fn resume(&mut self, index: usize, mark: StepMark) {
        if self.lesson.steps.is_empty() {
            return;
        }
        let index = index.min(self.lesson.steps.len() - 1);
        self.marks[index] = Some(mark);
        self.enter(index, mark, mark.point());
    }

    /// Records where step `index` began (a share link being restored).
    pub fn set_mark(&mut self, index: usize, mark: StepMark) {
        if let Some(m) = self.marks.get_mut(index) {
            *m = Some(mark);
        }
    }

    /// Goes back to where step `index` began (just after its action) and
    /// waits for its condition again: the lab's Back.
    pub fn back(&mut self, index: usize, sim: &mut dyn Sim) -> Result<(), SimError> {
        let Some(mark) = self.marks.get(index).copied().flatten() else {
            return Err(SimError::refused(
                "this step's start is not known here (the link was made at a later step)",
                "这里不知道这一步从哪里开始（链接是在后面的步骤生成的）",
            ));
        };
        sim.seek_to(mark.time, mark.events)?;
        self.enter(index, mark, mark.point());
        Ok(())
    }

    /// The run forked at `mark` (someone acted in the past): what the
    /// lesson saw in the dropped future is forgotten. A what-if step
    /// ([`Step::stay`]) starts again at the fork.
    pub fn forked(&mut self, mark: StepMark) {
        let at = mark.point();
        let stays = self.step().is_some_and(|s| s.stay);
        for i in 0..self.marks.len() {
            if self.marks[i].is_some_and(|m| m.point() > at) && !(stays && i == self.step) {
                self.marks[i] = None;
            }
            if self.met_at[i].is_some_and(|m| m > at) {
                self.met_at[i] = None;
            }
        }
        if stays {
            self.marks[self.step] = Some(mark);
            self.enter(self.step, mark, at);
        } else if self.step < self.marks.len() && self.met_at[self.step].is_none() {
            self.met = false;
        }
    }

    /// Follows the time cursor: the step whose start is the latest at or
    /// before the cursor becomes current (back after a rewind, forward
    /// again to steps already reached); within a step, a rewind to before
    /// its condition held makes it wait again.
    fn follow(&mut self, sim: &dyn Sim) {
        let now = Point::of(sim);
        let stays = self.step().is_some_and(|s| s.stay);
        // Starts beyond the recorded run belong to a future a fork dropped.
        let (events, time) = sim.horizon();
        let horizon = Point { time, events };
        for i in 0..self.marks.len() {
            if i != self.step && self.marks[i].is_some_and(|m| m.point() > horizon) {
                self.marks[i] = None;
            }
        }
        let here = self.mark.point();
        let target = if here > now && stays {
            // A what-if step stays while the learner travels back in time.
            None
        } else if here > now {
            // Back: the latest step that began at or before the cursor.
            (0..self.marks.len()).rev().find(|&i| self.marks[i].is_some_and(|m| m.point() <= now))
        } else {
            // Forward: a later step reached in this run that began after the
            // current one (steps begun at the same point stay as chosen,
            // so Back to a step with no wait of its own works).
            (self.step + 1..self.marks.len())
                .rev()
                .find(|&i| self.marks[i].is_some_and(|m| m.point() <= now && m.point() > here))
        };
        match target {
            Some(i) if i != self.step => {
                let mark = self.marks[i].expect("found above");
                self.enter(i, mark, now);
            }
            _ if now < self.seen && !(stays && now < here) => {
                // Back within the step: count from its start again.
                let mark = self.mark;
                self.enter(self.step, mark, now);
            }
            _ => self.seen = now,
        }
    }

    /// Performs the current step's solution (what the learner should do),
    /// going back first to where an earlier step began if the step says so.
    pub fn solve(&mut self, sim: &mut dyn Sim) -> Result<(), SimError> {
        if let Some(at) = self.lesson.steps.get(self.step).and_then(|s| s.solution_at)
            && let Some(mark) = self.marks.get(at).copied().flatten()
        {
            sim.seek_to(mark.time, mark.events)?;
        }
        if let Some(s) = self.lesson.steps.get(self.step).and_then(|s| s.solution.clone()) {
            let before = StepMark::of(sim);
            if sim.apply(s)?.is_some() {
                self.forked(before);
            }
        }
        Ok(())
    }

    /// Follows the cursor, then checks the current step's condition against
    /// the world there.
    pub fn poll(&mut self, sim: &mut dyn Sim) -> StepState {
        self.follow(sim);
        let Some(step) = self.lesson.steps.get(self.step) else { return StepState::Free };
        let within = step.within;
        let Some(cond) = step.until.clone() else { return StepState::Free };
        if self.met {
            return StepState::Met;
        }
        // A what-if step the learner has travelled back from: nothing before
        // its start counts (acting there restarts it).
        if sim.now() < self.mark.time || sim.events() < self.mark.events {
            return StepState::Waiting { deadline: self.mark.time.saturating_add(within) };
        }
        let mut leaf = 0;
        self.counts.clear();
        self.counts_at = Point::of(sim);
        let holds = self.holds(&cond, sim, &mut leaf);
        self.scanned = sim.trace().records().upto(sim.now());
        if holds {
            self.met = true;
            let here = Point::of(sim);
            let slot = &mut self.met_at[self.step];
            if slot.is_none_or(|m| here < m) {
                *slot = Some(here);
            }
            return StepState::Met;
        }
        let deadline = self.mark.time.saturating_add(within);
        if sim.now() >= deadline { StepState::TimedOut } else { StepState::Waiting { deadline } }
    }

    /// What the current step waits for and how far it is, while it waits.
    pub fn progress(&self, sim: &mut dyn Sim) -> Option<Progress> {
        let step = self.step()?;
        let cond = step.until.as_ref()?;
        if self.met {
            return None;
        }
        let deadline = self.mark.time.saturating_add(step.within);
        Some(Progress {
            what: cond.describe(sim.info()),
            fraction: self.measure(cond, sim, &mut 0).map(|f| f.clamp(0.0, 1.0)),
            left: deadline.saturating_sub(sim.now()),
        })
    }

    /// How far a condition is, when that can be measured. Leaves are
    /// numbered as in [`LessonRun::holds`], whose field counts it reuses.
    fn measure(&self, c: &Condition, sim: &mut dyn Sim, leaf: &mut usize) -> Option<f64> {
        let my_leaf = *leaf;
        *leaf += 1;
        match c {
            Condition::TimeReached(t) => Some(sim.now().0 as f64 / t.0.max(1) as f64),
            Condition::After(d) => Some(sim.now().saturating_sub(self.mark.time).0 as f64 / d.0.max(1) as f64),
            Condition::Role { role, count } => {
                Some(sim.roles().iter().filter(|r| **r == role.as_str()).count() as f64 / f64::from((*count).max(1)))
            }
            Condition::Field { .. } => {
                let known = self.counts.get(my_leaf).copied().flatten().filter(|_| self.counts_at == Point::of(sim));
                let (passing, needed) = known.unwrap_or_else(|| self.field_count(c, sim));
                Some(passing as f64 / needed.max(1) as f64)
            }
            Condition::All(l) => {
                let parts: Vec<Option<f64>> = l.iter().map(|c| self.measure(c, sim, leaf)).collect();
                parts.into_iter().try_fold(1.0f64, |a, m| m.map(|m| a.min(m)))
            }
            Condition::Any(l) => {
                let parts: Vec<Option<f64>> = l.iter().map(|c| self.measure(c, sim, leaf)).collect();
                parts.into_iter().flatten().reduce(f64::max)
            }
            _ => None,
        }
    }

    /// For a field condition: nodes that pass, and how many must.
    fn field_count(&self, c: &Condition, sim: &mut dyn Sim) -> (usize, usize) {
        let Condition::Field { field, at_least, quorum, node } = c else { return (0, 1) };
        let view = sim.view();
        let passing = view
            .nodes
            .iter()
            .filter(|n| node.is_none_or(|want| want == n.id))
            .filter(|n| {
                n.protocol
                    .fields
                    .iter()
                    .find(|f| f.name == field.as_str())
                    .and_then(|f| f.value.as_int())
                    .is_some_and(|v| v >= *at_least)
            })
            .count();
        let total = if node.is_some() { 1 } else { view.nodes.len() };
        let needed = match quorum {
            Quorum::Any => 1,
            Quorum::All => total,
            Quorum::Majority => total / 2 + 1,
        };
        (passing, needed)
    }

    /// Runs the simulation until the current step's condition holds or the
    /// step gives up, at most [`SKIP_EVENTS`] events: "skip to it".
    pub fn skip(&mut self, sim: &mut dyn Sim) -> Result<StepState, SimError> {
        let start = sim.events();
        loop {
            match self.poll(sim) {
                StepState::Waiting { deadline } => {
                    if sim.events() - start >= SKIP_EVENTS {
                        return Ok(StepState::Waiting { deadline });
                    }
                    match sim.next_event_time() {
                        Some(next) if next <= deadline => {
                            if !sim.step()? {
                                sim.run_until(deadline)?;
                            }
                        }
                        _ => sim.run_until(deadline)?,
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn latch(&mut self, leaf: usize, test: impl FnOnce() -> bool) -> bool {
        if self.latched.len() <= leaf {
            self.latched.resize(leaf + 1, false);
        }
        if !self.latched[leaf] && test() {
            self.latched[leaf] = true;
        }
        self.latched[leaf]
    }

    fn holds(&mut self, c: &Condition, sim: &mut dyn Sim, leaf: &mut usize) -> bool {
        let my_leaf = *leaf;
        *leaf += 1;
        match c {
            Condition::TimeReached(t) => sim.now() >= *t,
            Condition::After(d) => sim.now() >= self.mark.time.saturating_add(*d),
            Condition::Role { role, count } => {
                sim.roles().iter().filter(|r| **r == role.as_str()).count() >= *count as usize
            }
            Condition::Observed { key, value, node } => {
                let from = self.scanned.max(self.mark.records);
                let upto = sim.trace().records().upto(sim.now());
                let found =
                    sim.trace().records().iter_from(from).take(upto.saturating_sub(from)).any(|r| match &r.kind {
                        RecordKind::Observe { node: n, key: k, value: v } => {
                            *k == key.as_str()
                                && node.is_none_or(|want| want == *n)
                                && value.as_ref().is_none_or(|want| *want == obs_text(v))
                        }
                        _ => false,
                    });
                self.latch(my_leaf, || found)
            }
            Condition::Field { .. } => {
                let (passing, needed) = self.field_count(c, sim);
                if self.counts.len() <= my_leaf {
                    self.counts.resize(my_leaf + 1, None);
                }
                self.counts[my_leaf] = Some((passing, needed));
                passing >= needed
            }
            Condition::Command { verb, target_role } => {
                let applied = &sim.commands()[..sim.commands_applied()];
                let found = applied[self.mark.commands.min(applied.len())..].iter().any(|c| {
                    c.command.verb() == verb.as_str()
                        && target_role.as_ref().is_none_or(|r| c.target_role.as_deref() == Some(r.as_str()))
                });
                self.latch(my_leaf, || found)
            }
            Condition::Violation(name) => {
                let found = sim.violations()[self.mark.violations.min(sim.violations().len())..]
                    .iter()
                    .any(|v| name == "any" || v.invariant == name.as_str());
                self.latch(my_leaf, || found)
            }
            Condition::All(list) => {
                let mut all = true;
                for c in list {
                    // Evaluate every child so leaf numbering stays stable.
                    all &= self.holds(c, sim, leaf);
                }
                all
            }
            Condition::Any(list) => {
                let mut any = false;
                for c in list {
                    any |= self.holds(c, sim, leaf);
                }
                any
            }
        }
    }
}

/// A lesson step that did not reach its condition in a headless replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonFailure {
    /// Step number, from 1.
    pub step: usize,
    /// Line and column of the step in its file.
    pub at: (usize, usize),
    /// What happened.
    pub message: String,
}

impl fmt::Display for LessonFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}: {}", self.step, self.message)
    }
}

/// What a headless replay saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// Step number, from 1.
    pub step: usize,
    /// When the step began.
    pub began: Micros,
    /// When its condition held (or when it began, if it has none).
    pub done: Micros,
}

/// Plays every step of `scenario`'s lesson on `sim` as a diligent learner
/// would: performs each action, then the step's solution, then runs until
/// the condition holds. Fails with the step and reason when a condition is
/// not reached within its time limit or an action cannot apply.
pub fn replay(scenario: &Scenario, sim: &mut dyn Sim) -> Result<Vec<StepReport>, LessonFailure> {
    replay_watching(scenario, sim, &mut |_, _| {})
}

/// [`replay`], calling `seen` after each step with its report and the run
/// at the moment the step was done (what a learner sees before Continue).
pub fn replay_watching(
    scenario: &Scenario,
    sim: &mut dyn Sim,
    seen: &mut dyn FnMut(&StepReport, &mut dyn Sim),
) -> Result<Vec<StepReport>, LessonFailure> {
    let Some(lesson) = scenario.lesson.clone() else { return Ok(Vec::new()) };
    let mut run = LessonRun::new(lesson);
    let mut reports = Vec::new();
    for i in 0..run.lesson().steps.len() {
        let at = run.lesson().steps[i].at;
        let fail = |message: String| LessonFailure { step: i + 1, at, message };
        run.begin(i, sim).map_err(|e| fail(format!("its action did not apply: {e}")))?;
        run.solve(sim).map_err(|e| fail(format!("its solution did not apply: {e}")))?;
        let began = run.mark().time;
        loop {
            match run.skip(sim).map_err(|e| fail(e.to_string()))? {
                StepState::Free | StepState::Met => break,
                StepState::TimedOut => {
                    return Err(fail(format!(
                        "its condition was not met within {} (from {} to {})",
                        run.step().map_or(Micros::ZERO, |s| s.within),
                        began,
                        sim.now()
                    )));
                }
                // The event budget of one skip ran out: go on.
                StepState::Waiting { .. } => {}
            }
        }
        let report = StepReport { step: i + 1, began, done: sim.now() };
        seen(&report, sim);
        reports.push(report);
    }
    Ok(reports)
}
