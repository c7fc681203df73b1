//! [`Sim`]: one running scenario with the protocol type erased, so the UI,
//! the CLI and the lesson runner drive every protocol through one interface.

use crate::command::{Command, CommandRecord};
use crate::engine::{Engine, Fork};
use crate::time::Micros;
use crate::trace::Trace;
use crate::view::{ProtocolInfo, Violation, WorldView};
use crate::world::Note;
pub use crate::world::SimError;

/// A running scenario (see the module docs).
pub trait Sim {
    /// The protocol's description.
    fn info(&self) -> &'static ProtocolInfo;
    /// The seed of this run.
    fn seed(&self) -> u64;
    /// Current simulated time at the cursor.
    fn now(&self) -> Micros;
    /// Scheduled end of the scenario.
    fn end(&self) -> Micros;
    /// Events processed up to the cursor.
    fn events(&self) -> u64;
    /// Events and time of the furthest point reached.
    fn horizon(&self) -> (u64, Micros);
    /// Processes the next event (or logged command). `false` when nothing is left.
    fn step(&mut self) -> Result<bool, SimError>;
    /// Runs up to time `t`.
    fn run_until(&mut self, t: Micros) -> Result<(), SimError>;
    /// Moves the cursor to `t`, backwards or forwards.
    fn seek(&mut self, t: Micros) -> Result<(), SimError>;
    /// Moves the cursor to exactly `events` events with the clock at `t`
    /// (see [`Engine::seek_to`]).
    fn seek_to(&mut self, t: Micros, events: u64) -> Result<(), SimError>;
    /// Applies a command at the cursor; returns what a fork discarded, if
    /// the cursor was behind the horizon.
    fn apply(&mut self, command: Command) -> Result<Option<Fork>, SimError>;
    /// A picture of the world at the cursor.
    fn view(&mut self) -> WorldView;
    /// Every node's role key, in node order (cheap).
    fn roles(&self) -> Vec<&'static str>;
    /// Each break-it switch and whether it is on at the cursor.
    fn switches(&self) -> Vec<(&'static str, bool)>;
    /// Violations found up to the cursor.
    fn violations(&self) -> &[Violation];
    /// Notes up to the cursor.
    fn notes(&self) -> &[Note];
    /// The command log (up to the horizon; see [`Sim::commands_applied`]).
    fn commands(&self) -> &[CommandRecord];
    /// How many logged commands have been applied up to the cursor.
    fn commands_applied(&self) -> usize;
    /// The recorded trace (up to the horizon).
    fn trace(&self) -> &Trace;
    /// Why the run stopped, if it hit a limit.
    fn halted(&self) -> Option<&SimError>;
    /// Messages in flight at the cursor.
    fn in_flight(&self) -> usize;
    /// Time of the next pending event after the cursor, if any.
    fn next_event_time(&mut self) -> Option<Micros>;
    /// The network parameters in force at the cursor.
    fn network(&self) -> &crate::network::NetworkParams;
    /// Takes over a recorded command log (see [`Engine::adopt`]).
    fn adopt(&mut self, commands: Vec<CommandRecord>) -> Result<(), SimError>;

    /// Steps until `events` events have been processed in total. Fails if
    /// the run ends first or hits a limit.
    fn run_events(&mut self, events: u64) -> Result<(), SimError> {
        while self.events() < events {
            if !self.step()? {
                return Err(SimError::Replay(format!("the run ended after {} of {events} events", self.events())));
            }
        }
        Ok(())
    }
}

impl Sim for Engine {
    fn info(&self) -> &'static ProtocolInfo {
        self.world().info()
    }
    fn seed(&self) -> u64 {
        self.world().setup().seed
    }
    fn now(&self) -> Micros {
        self.world().now()
    }
    fn end(&self) -> Micros {
        self.world().setup().end
    }
    fn events(&self) -> u64 {
        self.world().events()
    }
    fn horizon(&self) -> (u64, Micros) {
        Engine::horizon(self)
    }
    fn step(&mut self) -> Result<bool, SimError> {
        Engine::step(self)
    }
    fn run_until(&mut self, t: Micros) -> Result<(), SimError> {
        Engine::run_until(self, t)
    }
    fn seek(&mut self, t: Micros) -> Result<(), SimError> {
        Engine::seek(self, t)
    }
    fn seek_to(&mut self, t: Micros, events: u64) -> Result<(), SimError> {
        Engine::seek_to(self, t, events)
    }
    fn apply(&mut self, command: Command) -> Result<Option<Fork>, SimError> {
        Engine::apply(self, command)
    }
    fn view(&mut self) -> WorldView {
        self.world_mut().view()
    }
    fn roles(&self) -> Vec<&'static str> {
        self.world().roles()
    }
    fn switches(&self) -> Vec<(&'static str, bool)> {
        self.world().switches()
    }
    fn violations(&self) -> &[Violation] {
        self.world().violations()
    }
    fn notes(&self) -> &[Note] {
        self.world().notes()
    }
    fn commands(&self) -> &[CommandRecord] {
        Engine::commands(self)
    }
    fn commands_applied(&self) -> usize {
        Engine::commands_applied(self)
    }
    fn trace(&self) -> &Trace {
        Engine::trace(self)
    }
    fn halted(&self) -> Option<&SimError> {
        Engine::halted(self)
    }
    fn in_flight(&self) -> usize {
        self.world().in_flight()
    }
    fn next_event_time(&mut self) -> Option<Micros> {
        self.world_mut().next_event_time()
    }
    fn network(&self) -> &crate::network::NetworkParams {
        self.world().network()
    }
    fn adopt(&mut self, commands: Vec<CommandRecord>) -> Result<(), SimError> {
        Engine::adopt(self, commands)
    }
}
