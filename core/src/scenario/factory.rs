//! The only protocol-typed part of a loaded scenario: its config, and what
//! the protocol-independent loader and a run ask of the protocol.

use crate::host::{Host, Hosted};
use crate::lesson::Text;
use crate::protocol::{ConfigIssue, Protocol};
use crate::view::ProtocolInfo;

/// What the loader and a run need of the protocol, with its config read:
/// the only protocol-typed part of a scenario.
pub(super) trait Factory {
    /// The protocol's side of a fresh world of `nodes` nodes.
    fn host(&self, nodes: u32) -> Box<dyn Host>;
    /// The protocol's description.
    fn info(&self) -> &'static ProtocolInfo;
    /// Checks the config for a cluster of `nodes`.
    fn validate(&self, nodes: u32) -> Result<(), ConfigIssue>;
    /// Checks a client request's text.
    fn check_request(&self, text: &str) -> Result<(), Text>;
}

pub(super) struct TypedFactory<P: Protocol> {
    /// The protocol's config, as the file gave it.
    pub(super) config: P::Config,
}

impl<P: Protocol> Factory for TypedFactory<P> {
    fn host(&self, nodes: u32) -> Box<dyn Host> {
        Box::new(Hosted::<P>::new(self.config.clone(), nodes as usize))
    }

    fn info(&self) -> &'static ProtocolInfo {
        P::info()
    }

    fn validate(&self, nodes: u32) -> Result<(), ConfigIssue> {
        P::check_config(&self.config, nodes)
    }

    fn check_request(&self, text: &str) -> Result<(), Text> {
        P::parse_request(text).map(|_| ())
    }
}
