//! `link call` and a `link out` in return mode, for subroutines that
//! several link calls call: the call records itself in the message, as
//! Node-RED records it in `msg._linkSource`, and the return sends the
//! message back to the call that recorded itself last. (A subroutine with
//! one caller needs neither: psosc wires its return to the call's outputs,
//! through a [`LinkAnswer`] when a complete node watches the call. A
//! watched call that records itself has a [`LinkAnswer`] too, which the
//! return's port for that call leads to.)

use crate::msg::PathSegment;
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// The property that holds the calls a message is inside, innermost last.
pub const LINK_SOURCE: &str = "_linkSource";

/// A `link call`, numbered among the flow's calls; its one port leads to
/// the `link in` it calls.
pub struct LinkCall {
    pub info: NodeInfo,
    caller: u16,
}

impl LinkCall {
    pub const fn new(info: NodeInfo, caller: u16) -> Self {
        Self { info, caller }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // Node-RED starts a list when the message has none.
        let depth = match msg.property(LINK_SOURCE) {
            Some(ValueRef::Array(items)) => items.len(),
            Some(_) => {
                msg.remove(&[PathSegment::Key(LINK_SOURCE)]);
                0
            }
            None => 0,
        };
        let path = [PathSegment::Key(LINK_SOURCE), PathSegment::Index(depth)];
        if device
            .check(msg.set(&path, &f64::from(self.caller)), ErrorKind::Oversize)
            .is_some()
        {
            out.send(0, msg);
        }
    }
}

impl<const N: usize> Node<N> for LinkCall {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        LinkCall::input(self, device, msg, out);
    }
}

/// A `link out` in return mode: port `k` leads to the outputs of the call
/// numbered `callers[k]`.
pub struct LinkReturn {
    pub info: NodeInfo,
    callers: &'static [u16],
}

impl LinkReturn {
    pub const fn new(info: NodeInfo, callers: &'static [u16]) -> Self {
        Self { info, callers }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        _device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // A message that no call recorded goes nowhere, as in Node-RED.
        let Some(ValueRef::Array(items)) = msg.property(LINK_SOURCE) else {
            return;
        };
        let depth = items.len();
        let Some(last) = depth.checked_sub(1) else {
            return;
        };
        let caller = match items.get(last) {
            Some(ValueRef::Number(n)) => n,
            _ => return,
        };
        let port = self
            .callers
            .iter()
            .position(|number| f64::from(*number) == caller);
        // Node-RED takes the entry off, and the list once it is empty.
        if last == 0 {
            msg.remove(&[PathSegment::Key(LINK_SOURCE)]);
        } else {
            msg.remove(&[PathSegment::Key(LINK_SOURCE), PathSegment::Index(last)]);
        }
        if let Some(port) = port {
            out.send(port, msg);
        }
    }
}

impl<const N: usize> Node<N> for LinkReturn {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        LinkReturn::input(self, device, msg, out);
    }
}

/// A `link call` that a complete node watches, run where its subroutine's
/// answer comes back (psosc wires the call itself straight to its link in,
/// or through the [`LinkCall`] that records it, and the subroutine's
/// return, or the return's port for this call, to this node): it sends
/// the answer on, and
/// the generated code then tells the complete nodes, as Node-RED's call
/// calls `done()` right after sending the answer on. A subroutine that
/// never answers never reaches it, and the call is never done, as in
/// Node-RED (where it times out with an error instead). A catch node also
/// sends on what it is given: it is the same node.
pub use super::catch::Catch as LinkAnswer;
