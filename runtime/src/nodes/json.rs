//! `json`: turns a property between JSON text and the value it holds, as
//! Node-RED's node does, with the message's own JSON reader and writer,
//! and checks it against the JSON schema in `msg.schema` (`schema.rs`).

use core::fmt::Write;

use crate::device::ErrorText;
use crate::encoding::{decode, Encode, LENGTH, STRING};
use crate::json::{v8_parse_error, value_from_json_text};
use crate::msg::PathSegment;
use crate::text::{encode_written, Counter};
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

mod schema;

use schema::{Checked, SchemaProblem};
pub use schema::{MAX_SCHEMA_DEPTH, OBJECT_PROTOTYPE_MEMBERS};

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

/// `SCHEMA`: whether the node checks messages against `msg.schema`. psosc
/// builds it without the check (`Json::<false>`, about 14 KiB of flash
/// less) when nothing in the flow can set `msg.schema`; a schema that
/// comes anyway is then refused, never passed unchecked.
pub struct Json<const SCHEMA: bool = true> {
    pub info: NodeInfo,
    path: &'static [PathSegment<'static>],
    action: JsonAction,
    /// Text is written indented, a member or item a line.
    pretty: bool,
}

impl Json<true> {
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        action: JsonAction,
        pretty: bool,
    ) -> Self {
        Self::with(info, path, action, pretty)
    }
}

impl Json<false> {
    /// A node without the check against `msg.schema`, for a flow in which
    /// no node can set it.
    pub const fn without_schema_check(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        action: JsonAction,
        pretty: bool,
    ) -> Self {
        Self::with(info, path, action, pretty)
    }
}

impl<const SCHEMA: bool> Json<SCHEMA> {
    const fn with(
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
impl<const SCHEMA: bool> Json<SCHEMA> {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // Node-RED checks the value against the JSON schema in
        // `msg.schema` when it is set (truthy), compiling the schema first,
        // whether or not the message has the property.
        let validate = match msg.property("schema") {
            Some(schema) if !SCHEMA && schema.is_truthy() => {
                refuse_unchecked(&self.info, device);
                return;
            }
            Some(schema) if schema.is_truthy() => match schema::check_schema(schema) {
                Ok(()) => true,
                Err(problem) => {
                    refuse_schema(&self.info, device, problem);
                    return;
                }
            },
            _ => false,
        };
        // A message without the property passes on untouched.
        let Some(value) = msg.get(self.path) else {
            out.send(0, msg);
            return;
        };
        let is_text = matches!(value, ValueRef::Str(_) | ValueRef::Bytes(_));
        let done = match (is_text, self.action) {
            (true, JsonAction::Convert | JsonAction::AlwaysObject) => {
                let parsed = parse_property(&self.info, device, msg, self.path);
                if parsed.is_some() && validate {
                    // Node-RED checks `msg[property]`, which is the value
                    // parsed only for a property at the top of the message.
                    let checked = self.top_level_key().map(|key| [PathSegment::Key(key)]);
                    self.check_property(device, msg, checked.as_ref().map(|path| &path[..]))
                } else {
                    parsed
                }
            }
            (false, JsonAction::Convert | JsonAction::AlwaysString) => {
                if validate && self.check_property(device, msg, Some(self.path)).is_none() {
                    None
                } else {
                    self.stringify(device, msg)
                }
            }
            (true, JsonAction::AlwaysString) => {
                if validate {
                    self.check_text(device, msg)
                } else {
                    Some(())
                }
            }
            (false, JsonAction::AlwaysObject) => {
                if validate {
                    self.check_property(device, msg, Some(self.path))
                } else {
                    Some(())
                }
            }
        };
        if done.is_some() {
            if validate {
                msg.remove(&[PathSegment::Key("schema")]);
            }
            out.send(0, msg);
        }
    }

    /// The property's name when it is one at the top of the message, which
    /// is what Node-RED's `msg[node.property]` finds.
    fn top_level_key(&self) -> Option<&'static str> {
        match self.path {
            [PathSegment::Key(key)] => Some(key),
            _ => None,
        }
    }

    /// Checks the value at `path` (`None`: JavaScript's `undefined`)
    /// against `msg.schema`; `None` when it does not hold, which is
    /// reported. Its own frame, so that its buffer is given back before
    /// the message is sent.
    #[inline(never)]
    fn check_property<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        path: Option<&[PathSegment<'_>]>,
    ) -> Option<()> {
        let mut errors = [0; N];
        let checked = {
            let schema = msg.property("schema").unwrap_or(ValueRef::Null);
            let data = path.and_then(|path| msg.get(path));
            schema::validate(schema, data, &mut errors)
        };
        conclude(&self.info, device, msg, checked, &errors)
    }

    /// With `action` "str", Node-RED checks `JSON.parse(msg[property])`
    /// and leaves the text as it is. What does not parse throws out of its
    /// handler, which Node-RED reports as the error's `toString()`.
    #[inline(never)]
    fn check_text<const N: usize>(&self, device: &Device, msg: &mut Msg<N>) -> Option<()> {
        let mut parsed = [0; N];
        let mut errors = [0; N];
        let checked = {
            let text = match self.top_level_key().and_then(|key| msg.property(key)) {
                Some(ValueRef::Str(text)) => text.as_bytes(),
                Some(ValueRef::Bytes(text)) => text,
                // `JSON.parse(undefined)`.
                _ => b"undefined",
            };
            match value_from_json_text(text, &mut parsed) {
                Ok(value) => {
                    let schema = msg.property("schema").unwrap_or(ValueRef::Null);
                    schema::validate(schema, Some(value), &mut errors)
                }
                Err(error) => {
                    match v8_parse_error(text) {
                        Some(message) => {
                            let mut thrown = ErrorText::new();
                            // An `ErrorText` never fails a write; it cuts.
                            let _ = write!(thrown, "SyntaxError: {}", message.as_str());
                            self.info.log(device, format_args!("{}", thrown.as_str()));
                            device.report_error_text(ErrorKind::BadValue, thrown);
                        }
                        None => {
                            self.info.log(device, format_args!("{error}"));
                            device.report(ErrorKind::BadValue);
                        }
                    }
                    return None;
                }
            }
        };
        conclude(&self.info, device, msg, checked, &errors)
    }
}

/// Reports a `msg.schema` that a node built without the check was given:
/// psosc found nothing in the flow that sets it.
fn refuse_unchecked(info: &NodeInfo, device: &Device) {
    info.log(device, format_args!("{UNCHECKED}"));
    device.report_error(ErrorKind::BadValue, UNCHECKED);
}

/// The error of a node built without the check that is given a schema.
const UNCHECKED: &str = "JSON Schema error: this json node was built without the check against msg.schema, as no node whose messages reach it sets msg.schema";

/// Reports a schema that is not checked against: Node-RED's text when Ajv
/// would not compile it, with the reason a device adds when Ajv would.
fn refuse_schema(info: &NodeInfo, device: &Device, problem: SchemaProblem) {
    info.log(device, format_args!("{problem}"));
    if problem == SchemaProblem::NotASchema {
        device.report_error(ErrorKind::BadValue, schema::COMPILE_ERROR);
    } else {
        let mut text = ErrorText::new();
        // An `ErrorText` never fails a write; it cuts instead.
        let _ = write!(text, "{problem}");
        device.report_error_text(ErrorKind::BadValue, text);
    }
}

/// What follows a check against `msg.schema`: nothing when the value
/// holds; otherwise Ajv's errors in `msg.schemaError` and Node-RED's
/// error, or, when they do not fit the message, the error saying so (an
/// oversize counted too) and no `msg.schemaError`.
fn conclude<const N: usize>(
    info: &NodeInfo,
    device: &Device,
    msg: &mut Msg<N>,
    checked: Result<Checked, SchemaProblem>,
    errors: &[u8],
) -> Option<()> {
    let (len, mut cut) = match checked {
        Ok(Checked::Valid) => return Some(()),
        Ok(Checked::Invalid { len }) => (len, false),
        Ok(Checked::InvalidCut { len }) => (len, true),
        Err(problem) => {
            refuse_schema(info, device, problem);
            return None;
        }
    };
    let list = errors
        .get(..len)
        .and_then(decode)
        .map_or(ValueRef::Null, |(list, _)| list);
    if !cut && msg.set_property("schemaError", &list).is_err() {
        cut = true;
    }
    if cut {
        device.report_uncaught(ErrorKind::Oversize);
    }
    let text = schema::error_text(list, cut);
    info.log(device, format_args!("{}", text.as_str()));
    device.report_error_text(ErrorKind::BadValue, text);
    None
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
        encode_written(STRING, out, |writer| {
            self.value.write_json_indented(writer, self.indent)
        })
    }
}
