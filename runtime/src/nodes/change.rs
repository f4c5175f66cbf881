//! `change`: sets and deletes message properties, rule by rule.

use crate::msg::PathSegment;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChangeRule {
    Set {
        path: &'static [PathSegment<'static>],
        value: ConstValue,
    },
    Delete {
        path: &'static [PathSegment<'static>],
    },
}

pub struct Change {
    pub info: NodeInfo,
    rules: &'static [ChangeRule],
}

impl Change {
    pub const fn new(info: NodeInfo, rules: &'static [ChangeRule]) -> Self {
        Self { info, rules }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Change {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        for rule in self.rules {
            match rule {
                ChangeRule::Set { path, value } => {
                    // Node-RED stops at a rule that fails and drops the message.
                    let result = msg.set(path, value);
                    let kind = match result {
                        Err(crate::MsgError::Full) => ErrorKind::Oversize,
                        _ => ErrorKind::BadValue,
                    };
                    if device.check(result, kind).is_none() {
                        return;
                    }
                }
                ChangeRule::Delete { path } => {
                    msg.remove(path);
                }
            }
        }
        out.send(0, msg);
    }
}

impl<const N: usize> Node<N> for Change {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Change::input(self, device, msg, out);
    }
}
