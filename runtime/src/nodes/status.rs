//! `status`: the node that receives the status of other nodes of its tab,
//! as Node-RED's `25-status.js` does. Which status nodes watch which node
//! is decided at build time; the generated code gives a watched node
//! outputs that report its status ([`crate::Reporting`]) and makes the
//! message with [`crate::status_message`].
//!
//! Also a subflow's status port ([`SubflowStatus`]), which Node-RED's
//! `Subflow.js` makes for each instance of a subflow that has one: what
//! the subflow's nodes send to the port sets the instance's status.

use core::fmt::Write;

use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, MsgError, Node, NodeInfo, Outputs, StatusText, ValueRef};

/// A status node: like a catch node, it sends on what it is given.
pub type Status = super::catch::Catch;

/// The prefix Node-RED's status port puts before a `msg.status.text` that
/// starts with `common.`, making it the key of Node-RED's own catalogue.
const CATALOGUE_PREFIX: &str = "node-red:";

/// A subflow instance's status port: each message it gets sets the status
/// of the instance (`info`), which the status nodes around the instance
/// receive. psosc makes those status nodes its receivers, so it sends the
/// message they get, `{status: {..., source}}` with the instance as the
/// source, as Node-RED's flow makes it (`Flow.handleStatus`).
///
/// As `Subflow.js` reads the message: a string `msg.payload` is the
/// status's text; an object payload with `text`, `fill` or `shape`, or
/// none at all, is the status, all its members; any other payload is
/// shown as `util.inspect` shows it; without a payload, `msg.status` is
/// the status, a `text` that starts with `common.` getting `node-red:`
/// before it. A `text` that is not a string becomes one as `toString`
/// makes it. What Node-RED shows or takes only by throwing a
/// `TypeError` (an array, object or buffer payload, whose `util.inspect`
/// a device does not write; a `null` text; a `msg.status` that is not an
/// object or whose `text` has no `indexOf`) sets no status and is
/// counted as a bad value.
pub struct SubflowStatus {
    info: NodeInfo,
}

impl SubflowStatus {
    /// The status port of the instance `info` names.
    pub const fn new(info: NodeInfo) -> Self {
        Self { info }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let mut status = Msg::<N>::new();
        match status_of(msg, &mut status) {
            Ok(Made::Status) => {
                let sourced = self.info.set_source(&mut status, "status");
                if device.check(sourced, ErrorKind::Oversize).is_some() {
                    out.send(0, &mut status);
                }
            }
            Ok(Made::Nothing) => {}
            Err(Unmade::Oversize) => device.report(ErrorKind::Oversize),
            Err(Unmade::Refused) => device.report_uncaught(ErrorKind::BadValue),
        }
    }
}

impl<const N: usize> Node<N> for SubflowStatus {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        SubflowStatus::input(self, device, msg, out);
    }
}

/// What a message to the status port makes.
enum Made {
    Status,
    /// Neither a payload nor `msg.status`: no status.
    Nothing,
}

/// Why a message to the status port makes no status.
enum Unmade {
    Oversize,
    /// Node-RED would throw, or show it in a way a device does not write.
    Refused,
}

impl From<MsgError> for Unmade {
    fn from(_: MsgError) -> Self {
        Unmade::Oversize
    }
}

const STATUS: PathSegment<'static> = PathSegment::Key("status");
const TEXT: [PathSegment<'static>; 2] = [STATUS, PathSegment::Key("text")];

/// Writes into `status` the `msg.status` the status nodes get for `msg`.
fn status_of<const N: usize>(msg: &Msg<N>, status: &mut Msg<N>) -> Result<Made, Unmade> {
    if let Some(payload) = msg.payload() {
        match payload {
            ValueRef::Str(text) => {
                status.set(&[STATUS], &crate::ConstValue::Object(&[]))?;
                status.set(&TEXT, &ValueRef::Str(text))?;
            }
            ValueRef::Object(members)
                if members.is_empty()
                    || ["text", "fill", "shape"]
                        .iter()
                        .any(|key| members.get(key).is_some()) =>
            {
                status.set(&[STATUS], &payload)?;
                text_as_string::<N>(status)?;
            }
            ValueRef::Number(_) | ValueRef::Bool(_) | ValueRef::Null => {
                // `util.inspect` of a number, boolean or null, never
                // longer than the 32 characters it would be cut to.
                let mut text = StatusText::<32>::new();
                let written = match payload {
                    ValueRef::Number(n) if n == 0.0 && n.is_sign_negative() => text.write_str("-0"),
                    other => other.write_js_text(&mut text),
                };
                written.map_err(|_| Unmade::Refused)?;
                status.set(&[STATUS], &crate::ConstValue::Object(&[]))?;
                status.set(&TEXT, &ValueRef::Str(text.as_str()))?;
            }
            ValueRef::Array(_) | ValueRef::Object(_) | ValueRef::Bytes(_) => {
                return Err(Unmade::Refused)
            }
        }
        return Ok(Made::Status);
    }
    let Some(given) = msg.property("status") else {
        return Ok(Made::Nothing);
    };
    let ValueRef::Object(members) = given else {
        return Err(Unmade::Refused);
    };
    status.set(&[STATUS], &given)?;
    match members.get("text") {
        Some(text) if is_catalogue_key(&text) => {
            let mut prefixed = StatusText::<N>::new();
            prefixed
                .write_str(CATALOGUE_PREFIX)
                .and_then(|()| text.write_js_text(&mut prefixed))
                .map_err(|_| Unmade::Oversize)?;
            status.set(&TEXT, &ValueRef::Str(prefixed.as_str()))?;
        }
        None | Some(ValueRef::Str(_) | ValueRef::Array(_)) => {}
        // `indexOf` is not a function of other values.
        Some(_) => return Err(Unmade::Refused),
    }
    text_as_string::<N>(status)?;
    Ok(Made::Status)
}

/// Whether `Subflow.js`'s `text.indexOf("common.") === 0` holds: a text
/// that starts with it, or an array whose first item is that text.
fn is_catalogue_key(text: &ValueRef<'_>) -> bool {
    match text {
        ValueRef::Str(text) => text.starts_with("common."),
        ValueRef::Array(items) => items.get(0) == Some(ValueRef::Str("common.")),
        _ => false,
    }
}

/// Makes `msg.status.text` a string, as `toString` does (Node-RED's flow,
/// `handleStatus`), where it is another value; `null` has no `toString`.
fn text_as_string<const N: usize>(status: &mut Msg<N>) -> Result<(), Unmade> {
    let mut text = StatusText::<N>::new();
    match status.get(&TEXT) {
        None | Some(ValueRef::Str(_)) => return Ok(()),
        Some(ValueRef::Null) => return Err(Unmade::Refused),
        Some(other) => other
            .write_js_text(&mut text)
            .map_err(|_| Unmade::Oversize)?,
    }
    status.set(&TEXT, &ValueRef::Str(text.as_str()))?;
    Ok(())
}
