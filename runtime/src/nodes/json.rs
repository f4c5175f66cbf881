//! `json`: turns a property between JSON text and the value it holds, as
//! Node-RED's node does, with the message's own JSON reader and writer.

use crate::encoding::{Encode, LENGTH, STRING};
use crate::json::{v8_parse_error, value_from_json_text};
use crate::msg::PathSegment;
use crate::text::{encode_written, Counter};
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// Which way the node converts (Node-RED's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonAction {
    /// Text (a string or a buffer) is parsed, any other value written as
    /// text (`""`).
    Convert,
    /// Values are written as text; text passes as it is (`"str"`).
    AlwaysString,
    /// Text is parsed; other values pass as they are (`"obj"`).
    AlwaysObject,
}

/// How far `pretty` indents a level: Node-RED calls
/// `JSON.stringify(value, null, 4)`.
pub const PRETTY_INDENT: usize = 4;

pub struct Json {
    pub info: NodeInfo,
    path: &'static [PathSegment<'static>],
    action: JsonAction,
    /// Text is written indented, a member or item a line.
    pretty: bool,
}

impl Json {
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        action: JsonAction,
        pretty: bool,
    ) -> Self {
        Self {
            info,
            path,
            action,
            pretty,
        }
    }

    /// Writes the value at the node's property as JSON text in its place.
    /// The text is written from a copy of the message, which the value is
    /// read from while the message changes.
    fn stringify<const N: usize>(&self, device: &Device, msg: &mut Msg<N>) -> Option<()> {
        let copy = msg.clone();
        let value = copy.get(self.path)?;
        let indent = if self.pretty { PRETTY_INDENT } else { 0 };
        let text = JsonText { value, indent };
        device.check(msg.set(self.path, &text), ErrorKind::Oversize)
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Json {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // Node-RED checks the value against a JSON schema in `msg.schema`.
        // A device has no schema validator: rather than pass unchecked what
        // the flow expects checked, it refuses such a message.
        if msg
            .property("schema")
            .is_some_and(|schema| schema.is_truthy())
        {
            self.info.log(
                device,
                format_args!(
                    "msg.schema: validation against a JSON schema is not supported on a device"
                ),
            );
            device.report(ErrorKind::BadValue);
            return;
        }
        // A message without the property passes on untouched.
        let Some(value) = msg.get(self.path) else {
            out.send(0, msg);
            return;
        };
        let is_text = matches!(value, ValueRef::Str(_) | ValueRef::Bytes(_));
        let done = match (is_text, self.action) {
            (true, JsonAction::Convert | JsonAction::AlwaysObject) => {
                parse_property(&self.info, device, msg, self.path)
            }
            (false, JsonAction::Convert | JsonAction::AlwaysString) => self.stringify(device, msg),
            // Already what the node makes.
            (true, JsonAction::AlwaysString) | (false, JsonAction::AlwaysObject) => Some(()),
        };
        if done.is_some() {
            out.send(0, msg);
        }
    }
}

impl<const N: usize> Node<N> for Json {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Json::input(self, device, msg, out);
    }
}

/// Parses the text (a string or a buffer) at a property and puts the value
/// in its place, as `JSON.parse` reads it; `None` when the message goes no
/// further. The value is read into a buffer of the message's size, since
/// its text is still in the message while it is read. A property that is
/// missing or not text is left as it is. The `template` node parses what it
/// renders with this too.
pub(crate) fn parse_property<const N: usize>(
    info: &NodeInfo,
    device: &Device,
    msg: &mut Msg<N>,
    path: &[PathSegment<'_>],
) -> Option<()> {
    let mut scratch = [0; N];
    let text = match msg.get(path) {
        Some(ValueRef::Str(text)) => text.as_bytes(),
        Some(ValueRef::Bytes(text)) => text,
        _ => return Some(()),
    };
    match value_from_json_text(text, &mut scratch) {
        Ok(value) => device.check(msg.set(path, &value), ErrorKind::Oversize),
        // Node-RED reports JSON.parse's error, in V8's words, and drops
        // the message. A text V8 reads that the device cannot hold (an
        // escaped lone surrogate, too deep, too big) has the kind's words.
        Err(error) => {
            match v8_parse_error(text) {
                Some(message) => {
                    info.log(device, format_args!("{}", message.as_str()));
                    device.report_error_text(ErrorKind::BadValue, message);
                }
                None => {
                    info.log(device, format_args!("{error}"));
                    device.report(ErrorKind::BadValue);
                }
            }
            None
        }
    }
}

/// A value as the string `JSON.stringify(value, null, indent)` returns.
struct JsonText<'a> {
    value: ValueRef<'a>,
    indent: usize,
}

impl JsonText<'_> {
    fn text_len(&self) -> usize {
        let mut counter = Counter(0);
        let _ = self.value.write_json_indented(&mut counter, self.indent);
        counter.0
    }
}

impl Encode for JsonText<'_> {
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.text_len()
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_written(STRING, self.text_len(), out, |writer| {
            self.value.write_json_indented(writer, self.indent)
        })
    }
}
