//! The engine around one [`World`]: the command log, the recorded trace,
//! checkpoints, seek and forks.
//!
//! A run is `(setup, seed, commands)`. The engine records the trace up to
//! the furthest point reached (the horizon). Seeking back restores the
//! nearest earlier checkpoint (a clone of the world) and replays events and
//! logged commands without recording, which is exact because the world is
//! deterministic. Applying a command while behind the horizon forks: the
//! old future (trace, later commands, later checkpoints) is discarded.

use crate::command::{Command, CommandRecord};
use crate::host::Host;
use crate::time::Micros;
use crate::trace::{Trace, TraceMark};
use crate::world::{Setup, SimError, World};

/// Most checkpoints kept; past this, every other one is dropped and the
/// interval doubles, so memory stays bounded on long runs.
const MAX_CHECKPOINTS: usize = 128;
/// Events between checkpoints at the start of a run.
const FIRST_INTERVAL: u64 = 2_000;

#[derive(Clone, Debug)]
struct Checkpoint {
    world: World,
    next_command: usize,
    trace: TraceMark,
}

/// What a fork discarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fork {
    /// When the fork happened.
    pub at: Micros,
    /// Events of the old future that were dropped.
    pub discarded_events: u64,
    /// Logged commands that were dropped.
    pub discarded_commands: usize,
}

/// See the module docs.
#[derive(Debug)]
pub struct Engine {
    world: World,
    trace: Trace,
    horizon: u64,
    horizon_time: Micros,
    checkpoints: Vec<Checkpoint>,
    interval: u64,
    commands: Vec<CommandRecord>,
    next_command: usize,
    halted: Option<SimError>,
    /// The cursor's world stopped in the middle of an event; only a seek
    /// (which restores a checkpoint) makes it usable again.
    dirty: bool,
}

impl Engine {
    /// A fresh run of the protocol behind `host`. `store_trace` keeps every
    /// record (needed for forks and for looking at the past); otherwise
    /// only the hash is kept.
    pub fn new(setup: Setup, host: Box<dyn Host>, store_trace: bool) -> Result<Engine, SimError> {
        let mut trace = Trace::new(store_trace, setup.limits.max_trace_records);
        let world = World::new(setup, host, Some(&mut trace))?;
        let horizon = world.events();
        let first = Checkpoint { world: world.clone(), next_command: 0, trace: trace.mark() };
        Ok(Engine {
            world,
            trace,
            horizon,
            horizon_time: Micros::ZERO,
            checkpoints: vec![first],
            interval: FIRST_INTERVAL,
            commands: Vec::new(),
            next_command: 0,
            halted: None,
            dirty: false,
        })
    }

    /// The world at the cursor.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The world at the cursor, mutably (views need it to skip stale events).
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The recorded trace (up to the horizon).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The command log.
    pub fn commands(&self) -> &[CommandRecord] {
        &self.commands
    }

    /// How many logged commands have been applied up to the cursor.
    pub fn commands_applied(&self) -> usize {
        self.next_command
    }

    /// Events and time of the furthest point reached.
    pub fn horizon(&self) -> (u64, Micros) {
        (self.horizon, self.horizon_time)
    }

    /// Why the run stopped, if it hit a limit.
    pub fn halted(&self) -> Option<&SimError> {
        self.halted.as_ref()
    }

    fn at_horizon(&self) -> bool {
        self.world.events() >= self.horizon
    }

    fn guard(&self) -> Result<(), SimError> {
        match &self.halted {
            Some(e) if self.dirty || self.at_horizon() => Err(e.clone()),
            _ => Ok(()),
        }
    }

    fn halt<T>(&mut self, r: Result<T, SimError>) -> Result<T, SimError> {
        if let Err(e) = &r
            && matches!(e, SimError::LimitReached { .. })
        {
            self.halted = Some(e.clone());
            // The event that hit the limit may be half done.
            self.dirty = true;
        }
        r
    }

    fn pending_command(&self) -> Option<&CommandRecord> {
        self.commands.get(self.next_command).filter(|c| c.after_pops == self.world.pops())
    }

    /// Applies logged commands due at this point of the run, up to time `t`.
    /// Returns whether the last command applied was applied at exactly `t`.
    fn replay_commands(&mut self, t: Micros) -> Result<bool, SimError> {
        let mut at_t = false;
        while let Some(c) = self.pending_command() {
            if c.at > t {
                break;
            }
            let c = c.clone();
            self.world.advance_clock(c.at);
            // At the horizon (an adopted log) the command is new to the trace.
            let recording = self.at_horizon();
            let trace = if recording { Some(&mut self.trace) } else { None };
            self.world.apply(c.command.clone(), trace).map_err(|e| {
                SimError::Replay(format!("command {} at {} did not apply again: {e}", c.command.verb(), c.at))
            })?;
            if recording {
                self.horizon = self.world.events();
                self.horizon_time = self.horizon_time.max(c.at);
            }
            self.next_command += 1;
            at_t = c.at == t;
        }
        Ok(at_t)
    }

    fn step_world(&mut self) -> Result<bool, SimError> {
        // A halted run may be looked at anywhere before the point it stopped.
        self.guard()?;
        let recording = self.at_horizon();
        let r = if recording { self.world.step(Some(&mut self.trace)) } else { self.world.step(None) };
        let stepped = self.halt(r)?;
        if recording {
            self.horizon = self.world.events();
            self.horizon_time = self.horizon_time.max(self.world.now());
        }
        self.maybe_checkpoint();
        Ok(stepped)
    }

    fn maybe_checkpoint(&mut self) {
        let last = self.checkpoints.last().map_or(0, |c| c.world.events());
        if self.world.events() < last + self.interval || !self.at_horizon() {
            return;
        }
        self.checkpoints.push(Checkpoint {
            world: self.world.clone(),
            next_command: self.next_command,
            trace: self.trace.mark(),
        });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            let mut k = 0;
            self.checkpoints.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.interval *= 2;
        }
    }

    /// Processes the next thing in the run: a logged command due here, or
    /// the next event. Returns `false` at the end of everything.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.guard()?;
        if self.pending_command().is_some() {
            self.replay_commands(Micros::MAX)?;
            return Ok(true);
        }
        self.step_world()
    }

    /// Runs every event and logged command up to time `t`; the clock ends at `t`.
    pub fn run_until(&mut self, t: Micros) -> Result<(), SimError> {
        loop {
            // A command logged at exactly `t` was the last thing done at `t`
            // in the live run: stop right after it, as that run did.
            if self.replay_commands(t)? || self.pending_command().is_some() {
                break;
            }
            match self.world.next_event_time() {
                Some(next) if next <= t => {
                    self.step_world()?;
                }
                _ => break,
            }
        }
        self.world.advance_clock(t);
        if self.at_horizon() {
            self.horizon_time = self.horizon_time.max(t);
        }
        Ok(())
    }

    /// Moves the cursor to time `t`, backwards or forwards.
    pub fn seek(&mut self, t: Micros) -> Result<(), SimError> {
        let cp = self.checkpoints.iter().rev().find(|c| c.world.now() <= t).unwrap_or(&self.checkpoints[0]);
        // Restore a checkpoint when going back, when one lies between the
        // cursor and the target (replaying from it is shorter), or when the
        // cursor's world stopped half-way through an event.
        if t < self.world.now() || cp.world.events() > self.world.events() || self.dirty {
            let (world, next_command) = (cp.world.clone(), cp.next_command);
            self.world = world;
            self.next_command = next_command;
            self.dirty = false;
        }
        self.run_until(t)
    }

    /// Moves the cursor to exactly the point after `events` events with the
    /// clock at `t` (a point seen live: several events and commands can
    /// share one instant, so time alone is ambiguous).
    pub fn seek_to(&mut self, t: Micros, events: u64) -> Result<(), SimError> {
        // Behind the cursor (also: the same events but a later clock).
        let behind = events < self.world.events() || (events == self.world.events() && self.world.now() > t);
        if behind || self.dirty {
            let cp = self.checkpoints.iter().rev().find(|c| c.world.events() <= events).unwrap_or(&self.checkpoints[0]);
            let (world, next_command) = (cp.world.clone(), cp.next_command);
            self.world = world;
            self.next_command = next_command;
            self.dirty = false;
        }
        while self.world.events() < events {
            if !self.step()? {
                return Err(SimError::Replay(format!(
                    "the run ended after {} of {events} events",
                    self.world.events()
                )));
            }
        }
        if self.world.now() <= t {
            self.world.advance_clock(t);
            if self.at_horizon() {
                self.horizon_time = self.horizon_time.max(t);
            }
        }
        Ok(())
    }

    /// Applies a command at the cursor. Behind the horizon this forks first.
    pub fn apply(&mut self, command: Command) -> Result<Option<Fork>, SimError> {
        // A world stopped half-way through an event cannot be acted on; a
        // clean one (after a seek) can, and acting there forks.
        if let (true, Some(e)) = (self.dirty, &self.halted) {
            return Err(e.clone());
        }
        if self.commands.len() >= self.world.setup().limits.max_commands {
            return Err(SimError::LimitReached {
                what: "commands",
                limit: self.world.setup().limits.max_commands as u64,
            });
        }
        let resolved = self.world.validate(command)?;
        // Behind the horizon, or at the point a stopped run failed: branch.
        let behind = !self.at_horizon() || self.next_command < self.commands.len() || self.halted.is_some();
        if behind && !self.trace.is_stored() {
            return Err(SimError::refused(
                "this run keeps only its trace hash, so it cannot branch from the past; start it with a stored trace",
                "这次运行只保留了轨迹哈希，无法从过去分叉；请以保存轨迹的方式启动",
            ));
        }
        let fork = if behind { Some(self.fork()) } else { None };
        let after_events = self.world.events();
        let after_pops = self.world.pops();
        let at = self.world.now();
        let r = self.world.apply(resolved, Some(&mut self.trace));
        let applied = self.halt(r)?;
        self.horizon = self.world.events();
        self.horizon_time = self.horizon_time.max(at);
        self.commands.push(CommandRecord {
            after_events,
            after_pops,
            at,
            command: applied.command,
            target_role: applied.target_role,
        });
        self.next_command = self.commands.len();
        Ok(fork)
    }

    /// Takes over a command log recorded by another run of the same
    /// scenario and seed (a share link), so that running or seeking replays
    /// it. Only a fresh engine can adopt, and the log must be in run order
    /// and within the command limit.
    pub fn adopt(&mut self, commands: Vec<CommandRecord>) -> Result<(), SimError> {
        if self.world.pops() != 0 || self.world.now() != Micros::ZERO || !self.commands.is_empty() {
            return Err(SimError::refused(
                "only a run that has not started can take over a command log",
                "只有尚未开始的运行才能接管命令记录",
            ));
        }
        let limit = self.world.setup().limits.max_commands;
        if commands.len() > limit {
            return Err(SimError::LimitReached { what: "commands", limit: limit as u64 });
        }
        if let Some(w) = commands.windows(2).find(|w| (w[1].after_pops, w[1].at) < (w[0].after_pops, w[0].at)) {
            return Err(SimError::Replay(format!(
                "the command log is out of order: {} at {} comes after {} at {}",
                w[1].command.verb(),
                w[1].at,
                w[0].command.verb(),
                w[0].at
            )));
        }
        self.commands = commands;
        self.next_command = 0;
        Ok(())
    }

    fn fork(&mut self) -> Fork {
        let events = self.world.events();
        let cp = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.world.events() <= events)
            .map_or(self.checkpoints[0].trace, |c| c.trace);
        let fork = Fork {
            at: self.world.now(),
            discarded_events: self.horizon.saturating_sub(events),
            discarded_commands: self.commands.len() - self.next_command,
        };
        if self.trace.is_stored() {
            self.trace.truncate(cp, events);
        }
        self.commands.truncate(self.next_command);
        self.checkpoints.retain(|c| c.world.events() <= events);
        self.horizon = events;
        self.horizon_time = self.world.now();
        self.halted = None;
        fork
    }
}
