//! `status`: the node that receives the status of other nodes of its tab,
//! as Node-RED's `25-status.js` does. Which status nodes watch which node
//! is decided at build time; the generated code gives a watched node
//! outputs that report its status ([`crate::Reporting`]) and makes the
//! message with [`crate::status_message`].
//!
//! Also a subflow's status port ([`SubflowStatus`]), which Node-RED's
//! `Subflow.js` makes for each instance of a subflow that has one: what
//! the subflow's nodes send to the port sets the instance's status.

use core::fmt::{self, Write};

use super::debug::Cut;
// A key JavaScript takes as an array index, which it orders before the
// others whatever their order in the text.
use crate::json::array_index;
use crate::value::short_escape;

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
/// shown as `util.inspect` shows it, cut at 32 UTF-16 units; without a
/// payload, `msg.status` is the status (an array as it is), a `text` that
/// starts with `common.` getting `node-red:` before it. A `text` that is
/// not a string becomes one as `toString` makes it. What `util.inspect`
/// writes in ways a device does not (nested arrays and objects, more
/// than six items, long strings, buffers, keys ordered as numbers) and
/// what Node-RED only throws a `TypeError` on (a `null` text; a
/// `msg.status` that is a string, number, boolean or `null`, or whose
/// `text` has no `indexOf`) set no status and are counted as bad values.
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
            Ok(Made::Array) => out.send(0, &mut status),
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
    /// `msg.status` is an array, which is the status as it is: Node-RED
    /// sets its `source` as a property of the array, which JSON and a
    /// device's arrays do not hold.
    Array,
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

/// How much of what `util.inspect` writes the status port keeps.
const INSPECT_CUT: usize = 32;

/// Node.js's `util.inspect` line width (`breakLength`).
const BREAK_LENGTH: usize = 80;

/// The most items of an array written here: past six, `util.inspect`
/// groups them into columns.
const MAX_INSPECTED_ITEMS: usize = 6;

/// The longest string inside an array or object written here: a longer
/// one `util.inspect` splits over lines.
const MAX_INSPECTED_STRING: usize = 74;

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
            other => {
                // `util.inspect`, cut at 32 UTF-16 units.
                let mut text = StatusText::<{ INSPECT_CUT * 4 + 3 }>::new();
                let mut cut = Cut {
                    out: &mut text,
                    left: INSPECT_CUT,
                    more: false,
                };
                inspect(other, &mut cut)
                    .ok_or(Unmade::Refused)?
                    .map_err(|_| Unmade::Refused)?;
                if cut.more {
                    text.write_str("...").map_err(|_| Unmade::Refused)?;
                }
                status.set(&[STATUS], &crate::ConstValue::Object(&[]))?;
                status.set(&TEXT, &ValueRef::Str(text.as_str()))?;
            }
        }
        return Ok(Made::Status);
    }
    let Some(given) = msg.property("status") else {
        return Ok(Made::Nothing);
    };
    let members = match given {
        ValueRef::Object(members) => members,
        ValueRef::Array(_) => {
            status.set(&[STATUS], &given)?;
            return Ok(Made::Array);
        }
        // A property on a string, number or boolean, or `null`'s
        // `hasOwnProperty`: a `TypeError`.
        _ => return Err(Unmade::Refused),
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

/// Writes `value` as Node.js's `util.inspect` writes it with its
/// defaults, for the values a device writes so: a number, a boolean,
/// `null`, and an array of at most six or an object of any number of
/// those and strings (of at most 74 UTF-16 units), on one line when
/// `util.inspect` fits them in its width and a line each otherwise.
/// `None` for the others (nested arrays and objects, longer arrays,
/// buffers, keys that JavaScript orders as numbers).
fn inspect(value: ValueRef<'_>, out: &mut impl Write) -> Option<fmt::Result> {
    let (open, close, entries) = match value {
        ValueRef::Number(_) | ValueRef::Bool(_) | ValueRef::Null | ValueRef::Str(_) => {
            return Some(inspect_primitive(value, out));
        }
        ValueRef::Array(items) if items.is_empty() => return Some(out.write_str("[]")),
        ValueRef::Array(items) if items.len() <= MAX_INSPECTED_ITEMS => ('[', ']', items.len()),
        ValueRef::Object(members) => ('{', '}', members.iter().count()),
        _ => return None,
    };
    // Each entry as `util.inspect` writes it, through `write`.
    let each = |write: &mut dyn FnMut(Option<&str>, ValueRef<'_>) -> fmt::Result| match value {
        ValueRef::Array(items) => items.iter().try_for_each(|item| write(None, item)),
        ValueRef::Object(members) => members
            .iter()
            .try_for_each(|(key, item)| write(Some(key), item)),
        _ => Ok(()),
    };
    let mut shown = true;
    let mut length = Units(0);
    let measured = each(&mut |key, item| {
        shown &= is_flat(item) && key.is_none_or(|key| array_index(key.as_bytes()).is_none());
        if let Some(key) = key {
            inspect_key(key, &mut length)?;
            length.write_str(": ")?;
        }
        inspect_primitive(item, &mut length)
    });
    if !shown || measured.is_err() {
        return None;
    }
    // `reduceToSingleString` and `isBelowBreakLength`.
    let one_line = 3 * entries + 11 <= BREAK_LENGTH && 2 * entries + 11 + length.0 <= BREAK_LENGTH;
    let (start, between, end) = if one_line {
        (" ", ", ", " ")
    } else {
        ("\n  ", ",\n  ", "\n")
    };
    let mut first = true;
    let mut write = || {
        out.write_char(open)?;
        out.write_str(start)?;
        each(&mut |key, item| {
            if !first {
                out.write_str(between)?;
            }
            first = false;
            if let Some(key) = key {
                inspect_key(key, out)?;
                out.write_str(": ")?;
            }
            inspect_primitive(item, out)
        })?;
        out.write_str(end)?;
        out.write_char(close)
    };
    Some(write())
}

/// Whether `util.inspect` writes a value inside an array or object as
/// [`inspect_primitive`] does.
fn is_flat(value: ValueRef<'_>) -> bool {
    match value {
        ValueRef::Number(_) | ValueRef::Bool(_) | ValueRef::Null => true,
        ValueRef::Str(text) => text.encode_utf16().count() <= MAX_INSPECTED_STRING,
        _ => false,
    }
}

/// A number (`-0` as such), boolean, `null` or quoted string as
/// `util.inspect` writes it.
fn inspect_primitive(value: ValueRef<'_>, out: &mut impl Write) -> fmt::Result {
    match value {
        ValueRef::Number(n) if n == 0.0 && n.is_sign_negative() => out.write_str("-0"),
        ValueRef::Str(text) => quoted(text, out),
        other => other.write_js_text(out),
    }
}

/// A key as `util.inspect` writes it: as it is when it is an identifier
/// (`^[a-zA-Z_][a-zA-Z_0-9]*$`), quoted otherwise.
fn inspect_key(key: &str, out: &mut impl Write) -> fmt::Result {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        out.write_str(key)
    } else {
        quoted(key, out)
    }
}

/// A string quoted and escaped as `util.inspect`'s `strEscape` does:
/// in single quotes, or double quotes or backticks when it holds single
/// quotes and not those; control characters, the quote and backslashes
/// escaped.
fn quoted(text: &str, out: &mut impl Write) -> fmt::Result {
    let quote = if !text.contains('\'') {
        '\''
    } else if !text.contains('"') {
        '"'
    } else if !text.contains('`') && !text.contains("${") {
        '`'
    } else {
        '\''
    };
    out.write_char(quote)?;
    for c in text.chars() {
        match (c, short_escape(c)) {
            (_, Some(escaped)) => out.write_str(escaped)?,
            ('\'', None) if quote == '\'' => out.write_str("\\'")?,
            ('\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}', None) => {
                write!(out, "\\x{:02X}", u32::from(c))?
            }
            (c, None) => out.write_char(c)?,
        }
    }
    out.write_char(quote)
}

/// Counts the UTF-16 units written to it.
struct Units(usize);

impl Write for Units {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.encode_utf16().count();
        Ok(())
    }
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
