//! `complete`: the node that receives the messages other nodes of its tab
//! have finished with, as Node-RED's `24-complete.js` does, and the message
//! Node-RED's flow makes for it (`Flow.handleComplete`). Which complete
//! nodes watch which node, and when that node has finished with a message
//! ([`Done`]), is decided at build time; the generated code runs a watched
//! node with [`Watched`] outputs and then calls [`completed`], or, for a
//! node that finishes with messages later (delay, split, join, sort,
//! batch), gives the node's hook a function that calls it; split and join
//! keep those messages until then in a [`Pending`] store.

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

    fn error_with(&mut self, msg: &Msg<N>) {
        self.out.error_with(msg);
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

/// A node that may finish with a message later than its input returns
/// (delay, split, join, sort, batch): it gives a hook each message it has
/// finished with (Node-RED's `done()`), as each node's
/// `input_finishing` says. The node works on a clock it is given, so
/// tests drive time step by step; the generated code of a node that
/// complete nodes watch calls [`Finishing::input_now`].
pub trait Finishing<const N: usize> {
    /// A message arrives when the node's clock reads `now` (ms), and
    /// `finished` is given each message the node has finished with. `out`
    /// must send copies ([`Watched`]), since each is given as it is once
    /// sent.
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    );

    /// What the node's clock reads on a device: the board's uptime (ms).
    /// A node that keeps no time reads no clock.
    fn clock_ms() -> u64 {
        crate::platform::uptime_ms()
    }

    /// A message arrives at `now`, and no one hears what the node has
    /// finished with.
    fn input_at<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        self.input_finishing(now, device, msg, out, &mut |_: &Msg<N>| {});
    }

    /// As [`Finishing::input_finishing`] on the device's clock.
    fn input_now<O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.input_finishing(Self::clock_ms(), device, msg, out, finished);
    }

    /// The clock reads `now` (ms): what is due leaves, and `finished` is
    /// given each message the node has finished with. A node with no timer
    /// has nothing to do.
    fn tick_finishing<O: Outputs<N>>(
        &mut self,
        _now: u64,
        _device: &Device,
        _out: &mut O,
        _finished: &mut impl FnMut(&Msg<N>),
    ) {
    }

    /// The clock reads `now`, and no one hears what the node has finished
    /// with.
    fn tick_at<O: Outputs<N>>(&mut self, now: u64, device: &Device, out: &mut O) {
        self.tick_finishing(now, device, out, &mut |_: &Msg<N>| {});
    }

    /// As [`Finishing::tick_finishing`] on the device's clock.
    fn tick_now<O: Outputs<N>>(
        &mut self,
        device: &Device,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.tick_finishing(Self::clock_ms(), device, out, finished);
    }
}

/// When a node that may finish with a message later (split, join, sort)
/// is finished with the message it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    /// As its input returns (Node-RED calls `done()`).
    Now,
    /// Later, when a later message or the node's timer sends what it
    /// waited for (it is kept in the node's [`Pending`] store, or a sort's
    /// queue).
    Later,
    /// Never: Node-RED calls neither `done()` nor `send` for it (a split
    /// given a message without its property), or a device dropped it,
    /// counted.
    Never,
}

/// Where a node that finishes with a message later than its input returns
/// (split in stream mode, join) keeps that message until then, each with
/// the group it belongs to (a join's group by its place among the groups,
/// 0 for split): Node-RED keeps the `done` of each such message, which
/// holds it. A node that no complete node watches keeps nothing
/// ([`Unwatched`], of no size); one that complete nodes watch keeps up to
/// `P` messages ([`Kept`]), and a message that finds it full is counted
/// (`ErrorKind::QueueFull`): the complete nodes never hear of it.
pub trait Pending<const N: usize> {
    /// Nothing kept.
    const EMPTY: Self;
    /// Keeps a message the node finishes with later; one that does not
    /// fit is counted.
    fn keep(&mut self, device: &Device, group: usize, msg: &Msg<N>);
    /// Gives `finished` the messages kept for `group`, oldest first, and
    /// forgets them; with `removed`, the groups after it move down one.
    fn release(&mut self, group: usize, removed: bool, finished: &mut dyn FnMut(&Msg<N>));
    /// Forgets the messages kept for `group`, never finished with, and the
    /// groups after it move down one.
    fn forget(&mut self, group: usize);
    /// Forgets every message kept.
    fn clear(&mut self);
}

/// The store of a node no complete node watches: nothing is kept.
pub struct Unwatched;

impl<const N: usize> Pending<N> for Unwatched {
    const EMPTY: Self = Unwatched;

    fn keep(&mut self, _device: &Device, _group: usize, _msg: &Msg<N>) {}

    fn release(&mut self, _group: usize, _removed: bool, _finished: &mut dyn FnMut(&Msg<N>)) {}

    fn forget(&mut self, _group: usize) {}

    fn clear(&mut self) {}
}

/// The store of a node that complete nodes watch: up to `P` messages of
/// `N` bytes, each with its group.
pub struct Kept<const N: usize, const P: usize> {
    messages: heapless::Vec<(usize, Msg<N>), P>,
}

impl<const N: usize, const P: usize> Kept<N, P> {
    /// How many messages are kept.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The groups after `group` move down one.
    fn close_up(&mut self, group: usize) {
        for (kept_group, _) in self.messages.iter_mut() {
            if *kept_group > group {
                *kept_group -= 1;
            }
        }
    }
}

impl<const N: usize, const P: usize> Pending<N> for Kept<N, P> {
    const EMPTY: Self = Kept {
        messages: heapless::Vec::new(),
    };

    fn keep(&mut self, device: &Device, group: usize, msg: &Msg<N>) {
        if self.messages.push((group, msg.clone())).is_err() {
            device.report(ErrorKind::QueueFull);
        }
    }

    fn release(&mut self, group: usize, removed: bool, finished: &mut dyn FnMut(&Msg<N>)) {
        for (_, msg) in self.messages.iter().filter(|(kept, _)| *kept == group) {
            finished(msg);
        }
        self.messages.retain(|(kept, _)| *kept != group);
        if removed {
            self.close_up(group);
        }
    }

    fn forget(&mut self, group: usize) {
        self.messages.retain(|(kept, _)| *kept != group);
        self.close_up(group);
    }

    fn clear(&mut self) {
        self.messages.clear();
    }
}
