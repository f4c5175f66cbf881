//! `status`: the node that receives the status of other nodes of its tab,
//! as Node-RED's `25-status.js` does. Which status nodes watch which node
//! is decided at build time; the generated code gives a watched node
//! outputs that report its status ([`crate::Reporting`]) and makes the
//! message with [`crate::status_message`].

use crate::{Device, Msg, Node, NodeInfo, Outputs};

/// A status node: it sends on what it is given.
pub struct Status {
    info: NodeInfo,
}

impl Status {
    pub const fn new(info: NodeInfo) -> Self {
        Self { info }
    }

    /// The node that sends the statuses on.
    pub fn info(&self) -> &NodeInfo {
        &self.info
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        _device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        out.send(0, msg);
    }
}

impl<const N: usize> Node<N> for Status {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Status::input(self, device, msg, out);
    }
}
