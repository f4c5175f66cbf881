//! A node's status (Node-RED's `node.status({fill, shape, text})`) and how
//! it reaches the status nodes that watch the node: the node reports it to
//! its outputs ([`Outputs::status`]), which do nothing unless the compiler
//! gave the node status nodes to tell ([`Reporting`]); those get
//! [`status_message`], the message Node-RED's flow makes
//! (`Flow.handleStatus`).
//!
//! A status lives only for the call that reports it: its text is borrowed
//! from the node (a count written into a few bytes on the stack, or a
//! message's text), so no node keeps room for one.

use core::fmt::{self, Write};

use crate::msg::PathSegment;
use crate::{ConstValue, Device, ErrorKind, Msg, NodeInfo, Outputs, ValueRef};

/// A status as a node reports it. Each part is absent when the node's
/// status object has no such key (`{}` clears the status).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStatus<'a> {
    /// `fill`: `red`, `green`, `yellow`, `blue`, `grey`, or as a node sets it.
    pub fill: Option<&'a str>,
    /// `shape`: `ring` or `dot`, or as a node sets it.
    pub shape: Option<&'a str>,
    /// `text`, as `toString` makes it of what the node set.
    pub text: Option<&'a str>,
}

impl<'a> NodeStatus<'a> {
    /// `{}`: no status.
    pub const CLEAR: NodeStatus<'static> = NodeStatus {
        fill: None,
        shape: None,
        text: None,
    };

    pub const fn new(fill: &'a str, shape: &'a str) -> Self {
        Self {
            fill: Some(fill),
            shape: Some(shape),
            text: None,
        }
    }

    pub const fn with_text(self, text: &'a str) -> Self {
        Self {
            text: Some(text),
            ..self
        }
    }
}

/// A count as a status text, as JavaScript prints a whole number.
pub struct CountText {
    digits: [u8; 20],
    start: usize,
}

impl CountText {
    pub fn new(count: usize) -> Self {
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        let mut rest = count as u64;
        loop {
            start -= 1;
            if let Some(digit) = digits.get_mut(start) {
                *digit = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || start == 0 {
                break;
            }
        }
        Self { digits, start }
    }

    pub fn as_str(&self) -> &str {
        self.digits
            .get(self.start..)
            .and_then(|digits| core::str::from_utf8(digits).ok())
            .unwrap_or("")
    }
}

/// The outputs of a node whose status some status nodes watch: messages
/// go to `outputs`, and each status the node reports to `status`, which the
/// compiler writes for the node to make and deliver the status message.
pub struct Reporting<O, S> {
    pub outputs: O,
    pub status: S,
}

impl<const N: usize, O: Outputs<N>, S: FnMut(&NodeStatus<'_>)> Outputs<N> for Reporting<O, S> {
    fn send(&mut self, port: usize, msg: &mut Msg<N>) {
        self.outputs.send(port, msg);
    }

    fn status(&mut self, status: &NodeStatus<'_>) {
        (self.status)(status);
    }

    fn reports_status(&self) -> bool {
        true
    }

    fn error_with(&mut self, msg: &Msg<N>) {
        self.outputs.error_with(msg);
    }
}

/// Makes the message status nodes get when `source` reports `status`, as
/// Node-RED's flow makes it: `msg.status` is the status's keys (`fill`,
/// `shape`, `text`, each where the node set it) and `source: {id, type,
/// name}`; and gives it to `deliver`. A message that does not fit the
/// device's capacity is counted (`ErrorKind::Oversize`) and not delivered.
pub fn status_message<const N: usize>(
    device: &Device,
    source: &NodeInfo,
    status: &NodeStatus<'_>,
    deliver: impl FnOnce(&mut Msg<N>),
) {
    let mut msg = Msg::<N>::new();
    let key = |key| [PathSegment::Key("status"), PathSegment::Key(key)];
    let written = (|| {
        msg.set_property("status", &ConstValue::Object(&[]))?;
        let parts = [
            ("fill", status.fill),
            ("shape", status.shape),
            ("text", status.text),
        ];
        for (name, value) in parts {
            if let Some(value) = value {
                msg.set(&key(name), &ValueRef::Str(value))?;
            }
        }
        source.set_source(&mut msg, "status")
    })();
    if device.check(written, ErrorKind::Oversize).is_some() {
        deliver(&mut msg);
    }
}

/// Text of at most `B` bytes, written with `core::fmt`; what does not fit
/// is left out (a status text is cut far shorter than its room).
pub struct StatusText<const B: usize> {
    bytes: [u8; B],
    len: usize,
}

impl<const B: usize> StatusText<B> {
    pub const fn new() -> Self {
        Self {
            bytes: [0; B],
            len: 0,
        }
    }

    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|text| core::str::from_utf8(text).ok())
            .unwrap_or("")
    }
}

impl<const B: usize> Default for StatusText<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: usize> Write for StatusText<B> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let mut utf8 = [0; 4];
            let encoded = c.encode_utf8(&mut utf8).as_bytes();
            let end = self.len + encoded.len();
            let Some(room) = self.bytes.get_mut(self.len..end) else {
                return Err(fmt::Error);
            };
            room.copy_from_slice(encoded);
            self.len = end;
        }
        Ok(())
    }
}
