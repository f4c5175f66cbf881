//! `change`: sets and deletes message properties, rule by rule.

use crate::{ConstValue, Device, Msg, Node, NodeInfo, Outputs, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChangeRule {
    Set {
        property: &'static str,
        value: ConstValue,
    },
    Delete {
        property: &'static str,
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

impl Node for Change {
    fn input<O: Outputs>(&mut self, _device: &Device, mut msg: Msg, out: &mut O) {
        for rule in self.rules {
            match rule {
                ChangeRule::Set { property, value } => msg.set(property, Value::from(value)),
                ChangeRule::Delete { property } => {
                    msg.remove(property);
                }
            }
        }
        out.send(0, msg);
    }
}
