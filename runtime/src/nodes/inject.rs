//! `inject`: starts a message, with the properties the flow configures, each
//! time its timer fires.

use crate::{ConstValue, Device, Msg, Node, NodeInfo, Outputs, Value};

/// The value an inject node gives one property.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InjectValue {
    Const(ConstValue),
    /// Node-RED's `date`: milliseconds since the Unix epoch where the board
    /// has a wall clock, since start-up otherwise.
    Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InjectProp {
    pub property: &'static str,
    pub value: InjectValue,
}

pub struct Inject {
    pub info: NodeInfo,
    props: &'static [InjectProp],
}

impl Inject {
    pub const fn new(info: NodeInfo, props: &'static [InjectProp]) -> Self {
        Self { info, props }
    }
}

impl Node for Inject {
    /// Whatever arrives (the timer sends an empty message), the node sends a
    /// fresh message built from its properties.
    fn input<O: Outputs>(&mut self, _device: &Device, _msg: Msg, out: &mut O) {
        let mut msg = Msg::new();
        for prop in self.props {
            let value = match &prop.value {
                InjectValue::Const(value) => Value::from(value),
                InjectValue::Timestamp => Value::Number(crate::platform::now_ms() as f64),
            };
            msg.set(prop.property, value);
        }
        out.send(0, msg);
    }
}
