//! `debug`: prints one line per message, as Node-RED's console output does.

use crate::{Device, Msg, Node, NodeInfo, Outputs, Value};

/// What a debug node shows of each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugTarget {
    Payload,
    WholeMessage,
    Property(&'static str),
}

pub struct Debug {
    pub info: NodeInfo,
    target: DebugTarget,
}

impl Debug {
    pub const fn new(info: NodeInfo, target: DebugTarget) -> Self {
        Self { info, target }
    }
}

impl Node for Debug {
    fn input<O: Outputs>(&mut self, device: &Device, msg: Msg, _out: &mut O) {
        let whole;
        let shown = match self.target {
            DebugTarget::Payload => msg.payload(),
            DebugTarget::Property(name) => msg.get(name),
            DebugTarget::WholeMessage => {
                whole = msg.to_value();
                Some(&whole)
            }
        };
        let undefined = Value::String(alloc::string::String::from("undefined"));
        let shown = shown.unwrap_or(&undefined);
        let label = self.info.label();
        match msg.topic() {
            Some(topic) => crate::platform::debug_line(format_args!(
                "[{}] [debug:{label}] {topic} : {shown}",
                device.name
            )),
            None => crate::platform::debug_line(format_args!(
                "[{}] [debug:{label}] {shown}",
                device.name
            )),
        }
    }
}
