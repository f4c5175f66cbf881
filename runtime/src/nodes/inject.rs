//! `inject`: starts a message, with the properties the flow configures, each
//! time its timer fires.

use crate::encoding::Bytes;
use crate::msg::PathSegment;
use crate::MsgError;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// The value an inject node gives one property.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InjectValue {
    Const(ConstValue),
    /// Node-RED's `date`: milliseconds since the Unix epoch where the board
    /// has a wall clock, since start-up otherwise.
    Timestamp,
    /// Node-RED's `bin`: a Buffer.
    Bytes(&'static [u8]),
}

impl InjectValue {
    /// Sets the property at `path` to this value; `date_ms` is the time a
    /// `date` value gives.
    pub fn set<const N: usize>(
        &self,
        msg: &mut Msg<N>,
        path: &[PathSegment<'_>],
        date_ms: u64,
    ) -> Result<(), MsgError> {
        match self {
            InjectValue::Const(value) => msg.set(path, value),
            InjectValue::Timestamp => msg.set(path, &(date_ms as f64)),
            InjectValue::Bytes(bytes) => msg.set(path, &Bytes(bytes)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InjectProp {
    pub path: &'static [PathSegment<'static>],
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

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Inject {
    /// Whatever arrives (the timer sends an empty message), the node sends a
    /// fresh message built from its properties.
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        _msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let mut msg = Msg::new();
        let now_ms = crate::platform::now_ms();
        for prop in self.props {
            let result = prop.value.set(&mut msg, prop.path, now_ms);
            if device.check(result, ErrorKind::Oversize).is_none() {
                return;
            }
        }
        out.send(0, &mut msg);
    }
}

impl<const N: usize> Node<N> for Inject {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Inject::input(self, device, msg, out);
    }
}
