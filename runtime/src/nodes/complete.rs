//! `complete`: the node that receives the messages other nodes of its tab
//! have finished with, as Node-RED's `24-complete.js` does, and the message
//! Node-RED's flow makes for it (`Flow.handleComplete`). Which complete
//! nodes watch which node, and when that node has finished with a message
//! ([`Done`]), is decided at build time; the generated code runs a watched
//! node with [`Watched`] outputs and then calls [`completed`].

use crate::{ConstValue, Device, ErrorKind, Msg, NodeInfo, NodeStatus, Outputs};

/// A complete node sends on what it is given, as a catch node does: it is
/// the same node.
pub use super::catch::Catch as Complete;

/// When a node that handles a message synchronously calls Node-RED's
/// `done()` with no error, once its input has returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Every time (range, debug, catch, complete, trigger: they call
    /// `done()` on every path, sending or not).
    Always,
    /// When it sent the message on (change, json, template, inject: they
    /// call `done()` right after `send`, and `done(error)` or nothing on
    /// the paths that send nothing).
    IfSent,
}

/// The outputs of a node that complete nodes watch: every message it sends
/// goes on as a copy, so that the message it was given stays as the node
/// left it (Node-RED's receivers get it only after the node has called
/// `done()`), and whether it sent anything is known afterwards.
pub struct Watched<O> {
    out: O,
    sent: bool,
}

impl<O> Watched<O> {
    pub fn new(out: O) -> Self {
        Self { out, sent: false }
    }

    /// Whether the node called `done()` with no error, by its rule.
    pub fn done(&self, done: Done) -> bool {
        match done {
            Done::Always => true,
            Done::IfSent => self.sent,
        }
    }
}

impl<const N: usize, O: Outputs<N>> Outputs<N> for Watched<O> {
    fn send(&mut self, port: usize, msg: &mut Msg<N>) {
        self.sent = true;
        let mut copy = msg.clone();
        self.out.send(port, &mut copy);
    }

    fn status(&mut self, status: &NodeStatus<'_>) {
        self.out.status(status);
    }

    fn reports_status(&self) -> bool {
        self.out.reports_status()
    }
}

/// Gives the complete nodes (`deliver`) a copy of the message `source` has
/// finished with, with `msg.complete = {source: {id, type, name}}` as
/// Node-RED's flow sets it. A copy that outgrows the message is counted
/// and goes nowhere.
pub fn completed<const N: usize>(
    device: &Device,
    source: &NodeInfo,
    msg: &Msg<N>,
    deliver: impl FnOnce(&mut Msg<N>),
) {
    if let Some(mut message) = complete_message(device, source, msg) {
        deliver(&mut message);
    }
}

/// The message complete nodes get when `source` has finished with `msg`.
pub fn complete_message<const N: usize>(
    device: &Device,
    source: &NodeInfo,
    msg: &Msg<N>,
) -> Option<Msg<N>> {
    let mut message = msg.clone();
    let written = (|| {
        message.set_property("complete", &ConstValue::Object(&[]))?;
        source.set_source(&mut message, "complete")
    })();
    device.check(written, ErrorKind::Oversize)?;
    Some(message)
}
