//! Lessons: a scenario plus steps. Each step has text in zh-CN and en, an
//! optional action performed when it starts, and an optional condition to
//! wait for, with a time limit. A challenge step's condition is a goal the
//! learner must reach; a step may carry a `solution`, the action a learner
//! is expected to take, which the headless replay performs for them.
//!
//! [`LessonRun`] steps through a lesson against a [`Sim`]; the web lesson
//! player and [`replay`] (the CLI and the tests) both use it.

use crate::command::Command;
use crate::protocol::Obs;
use crate::scenario::Scenario;
use crate::sim::{Sim, SimError};
use crate::time::Micros;
use crate::trace::{ObsValue, RecordKind};
use std::fmt;

/// A step waits at most this long for its condition unless it says otherwise.
pub const DEFAULT_WITHIN: Micros = Micros(10_000_000);

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
    /// Longest wait for `until`.
    pub within: Micros,
    /// A goal the learner must reach (checked automatically).
    pub challenge: bool,
    /// Line and column of the step in its file (for messages).
    pub at: (usize, usize),
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
    /// Steps, in order.
    pub steps: Vec<Step>,
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

fn obs_text(v: &ObsValue) -> String {
    match v {
        ObsValue::Int(i) => Obs::Int(*i).text(),
        ObsValue::Str(s) => Obs::Str(s).text(),
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
}

impl LessonRun {
    /// A run positioned before the first step.
    pub fn new(lesson: Lesson) -> LessonRun {
        LessonRun {
            lesson,
            step: 0,
            mark: StepMark { time: Micros::ZERO, events: 0, records: 0, commands: 0, violations: 0 },
            latched: Vec::new(),
            scanned: 0,
            met: false,
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

    /// Begins step `index`: marks the point and performs its action.
    pub fn begin(&mut self, index: usize, sim: &mut dyn Sim) -> Result<(), SimError> {
        if self.lesson.steps.is_empty() {
            return Ok(());
        }
        let index = index.min(self.lesson.steps.len() - 1);
        let mut mark = StepMark::of(sim);
        // The action first: if it cannot apply, the lesson stays where it was.
        if let Some(action) = self.lesson.steps[index].action.clone() {
            sim.apply(action)?;
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
        self.step = index;
        self.mark = mark;
        self.latched.clear();
        self.scanned = self.mark.records;
        self.met = false;
        Ok(())
    }

    /// Returns to step `index` at a mark taken earlier, without performing
    /// its action again (the lab's Back: the run was rewound to just after
    /// that action).
    pub fn resume(&mut self, index: usize, mark: StepMark) {
        if self.lesson.steps.is_empty() {
            return;
        }
        self.step = index.min(self.lesson.steps.len() - 1);
        self.mark = mark;
        self.latched.clear();
        self.scanned = mark.records;
        self.met = false;
    }

    /// Performs the current step's solution (what the learner should do).
    pub fn solve(&mut self, sim: &mut dyn Sim) -> Result<(), SimError> {
        if let Some(s) = self.lesson.steps.get(self.step).and_then(|s| s.solution.clone()) {
            sim.apply(s)?;
        }
        Ok(())
    }

    /// Checks the current step's condition against the world now.
    pub fn poll(&mut self, sim: &mut dyn Sim) -> StepState {
        let Some(step) = self.lesson.steps.get(self.step) else { return StepState::Free };
        let within = step.within;
        let Some(cond) = step.until.clone() else { return StepState::Free };
        if self.met {
            return StepState::Met;
        }
        // The cursor is before the step began (a rewind): nothing counts yet.
        if sim.now() < self.mark.time || sim.events() < self.mark.events {
            return StepState::Waiting { deadline: self.mark.time.saturating_add(within) };
        }
        let mut leaf = 0;
        let holds = self.holds(&cond, sim, &mut leaf);
        self.scanned = sim.trace().records().upto(sim.now());
        if holds {
            self.met = true;
            return StepState::Met;
        }
        let deadline = self.mark.time.saturating_add(within);
        if sim.now() >= deadline { StepState::TimedOut } else { StepState::Waiting { deadline } }
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
            Condition::Field { field, at_least, quorum, node } => {
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
                match quorum {
                    Quorum::Any => passing >= 1,
                    Quorum::All => passing == total,
                    Quorum::Majority => passing * 2 > total,
                }
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
            match run.poll(sim) {
                StepState::Free | StepState::Met => break,
                StepState::TimedOut => {
                    return Err(fail(format!(
                        "its condition was not met within {} (from {} to {})",
                        run.step().map_or(Micros::ZERO, |s| s.within),
                        began,
                        sim.now()
                    )));
                }
                StepState::Waiting { deadline } => match sim.next_event_time() {
                    Some(next) if next <= deadline => {
                        sim.step().map_err(|e| fail(e.to_string()))?;
                    }
                    _ => sim.run_until(deadline).map_err(|e| fail(e.to_string()))?,
                },
            }
        }
        reports.push(StepReport { step: i + 1, began, done: sim.now() });
    }
    Ok(reports)
}
