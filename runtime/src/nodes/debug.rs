//! `debug`: prints one line per message, as Node-RED's console output does.

use core::fmt;

use crate::msg::PathSegment;
use crate::{Device, Msg, Node, NodeInfo, Outputs};

/// What a debug node shows of each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugTarget {
    WholeMessage,
    Property(&'static [PathSegment<'static>]),
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

/// What the line shows, printed without building a string.
struct Shown<'a, const N: usize> {
    msg: &'a Msg<N>,
    target: DebugTarget,
}

impl<const N: usize> fmt::Display for Shown<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target {
            DebugTarget::WholeMessage => self.msg.write_json(f),
            DebugTarget::Property(path) => match self.msg.get(path) {
                Some(value) => value.fmt(f),
                None => f.write_str("undefined"),
            },
        }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Debug {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        _out: &mut O,
    ) {
        let shown = Shown {
            msg,
            target: self.target,
        };
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

impl<const N: usize> Node<N> for Debug {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Debug::input(self, device, msg, out);
    }
}
