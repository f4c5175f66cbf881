//! `link call` and a `link out` in return mode, for subroutines that
//! several link calls call: the call records itself in the message, as
//! Node-RED records it in `msg._linkSource`, and the return sends the
//! message back to the call that recorded itself last. (A subroutine with
//! one caller needs neither: psosc wires its return to the call's outputs,
//! through a [`LinkAnswer`] when a complete node watches the call. A
//! watched call that records itself has a [`LinkAnswer`] too, which the
//! return's port for that call leads to.) A [`DynamicLinkCall`] looks the
//! link in it calls up in `msg.target`, in a table psosc fixes at build
//! time, and records itself as a call does.

use core::fmt::Write;

use crate::msg::PathSegment;
use crate::value::ValueRef;
use crate::{Device, ErrorKind, ErrorText, Msg, Node, NodeInfo, Outputs};

/// The property that holds the calls a message is inside, innermost last.
pub const LINK_SOURCE: &str = "_linkSource";

/// A `link call`, numbered among the flow's calls; its one port leads to
/// the `link in` it calls.
pub struct LinkCall {
    pub info: NodeInfo,
    caller: u16,
}

impl LinkCall {
    pub const fn new(info: NodeInfo, caller: u16) -> Self {
        Self { info, caller }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        if record_call(device, msg, self.caller) {
            out.send(0, msg);
        }
    }
}

/// Adds the call numbered `caller` to the message's `msg._linkSource`;
/// false when the message has no room for it (an error counted).
fn record_call<const N: usize>(device: &Device, msg: &mut Msg<N>, caller: u16) -> bool {
    // Node-RED starts a list when the message has none.
    let depth = match msg.property(LINK_SOURCE) {
        Some(ValueRef::Array(items)) => items.len(),
        Some(_) => {
            msg.remove(&[PathSegment::Key(LINK_SOURCE)]);
            0
        }
        None => 0,
    };
    let path = [PathSegment::Key(LINK_SOURCE), PathSegment::Index(depth)];
    device
        .check(msg.set(&path, &f64::from(caller)), ErrorKind::Oversize)
        .is_some()
}

/// A link in that a [`DynamicLinkCall`] may call, as Node-RED's link
/// nodes register it: its id, where a message may name it by id (not a
/// copy made for a subflow instance, whose id Node-RED makes at random),
/// and its name (its id when it has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    pub id: Option<&'static str>,
    pub name: &'static str,
    /// On the call's own tab, or in the call's own subflow instance.
    pub near: bool,
    /// On a tab, not in a subflow instance: Node-RED looks names up
    /// across tabs among these only.
    pub on_tab: bool,
}

/// Why a [`DynamicLinkCall`] found no link in for `msg.target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No link in has the target as its id or its name.
    NotFound,
    /// Several link in nodes on tabs have the target as their name, and
    /// not exactly one of them is on the call's tab.
    Ambiguous,
}

/// The port (the index in `targets`) of the link in that `target` names,
/// as `60-link.js` finds it: a falsy target names none; else first the
/// link in whose id is the target's text (`String(target)`, as an
/// object's key is), then the only one of that name near the call, then
/// the only one of that name on any tab.
pub fn find_target(
    targets: &[LinkTarget],
    target: Option<ValueRef<'_>>,
) -> Result<usize, LookupError> {
    let Some(target) = target.filter(ValueRef::is_truthy) else {
        return Err(LookupError::NotFound);
    };
    if let Some(port) = targets
        .iter()
        .position(|link| link.id.is_some_and(|id| is_text_of(target, id)))
    {
        return Ok(port);
    }
    let named = |link: &&LinkTarget| is_text_of(target, link.name);
    let mut near = targets
        .iter()
        .enumerate()
        .filter(|(_, link)| link.near && named(link));
    if let (Some((port, _)), None) = (near.next(), near.next()) {
        return Ok(port);
    }
    let mut on_tabs = targets
        .iter()
        .enumerate()
        .filter(|(_, link)| link.on_tab && named(link));
    match (on_tabs.next(), on_tabs.next()) {
        (Some((port, _)), None) => Ok(port),
        (Some(_), Some(_)) => Err(LookupError::Ambiguous),
        (None, _) => Err(LookupError::NotFound),
    }
}

/// Whether `String(value)` is `text`, compared as it is written, without
/// a buffer.
fn is_text_of(value: ValueRef<'_>, text: &str) -> bool {
    if let ValueRef::Str(value) = value {
        return value == text;
    }
    let mut rest = TextRest {
        rest: Some(text.as_bytes()),
    };
    value.write_js_text(&mut rest).is_ok() && rest.rest.is_some_and(<[u8]>::is_empty)
}

/// What is left of a text as another is written against it; `None` once
/// they differ.
struct TextRest<'a> {
    rest: Option<&'a [u8]>,
}

impl Write for TextRest<'_> {
    fn write_str(&mut self, written: &str) -> core::fmt::Result {
        self.rest = self
            .rest
            .and_then(|rest| rest.strip_prefix(written.as_bytes()));
        Ok(())
    }
}

/// A `link call` whose `linkType` is `dynamic`: port `k` leads to the
/// link in `targets[k]`; a message goes to the one its `msg.target`
/// names ([`find_target`]), with the call recorded in `msg._linkSource`
/// for the return. A target that names none is an error with
/// Node-RED's text, for catch nodes, and the message goes nowhere.
pub struct DynamicLinkCall {
    pub info: NodeInfo,
    caller: u16,
    targets: &'static [LinkTarget],
}

impl DynamicLinkCall {
    pub const fn new(info: NodeInfo, caller: u16, targets: &'static [LinkTarget]) -> Self {
        Self {
            info,
            caller,
            targets,
        }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let target = msg.property("target");
        match find_target(self.targets, target) {
            Ok(port) => {
                if record_call(device, msg, self.caller) {
                    out.send(port, msg);
                }
            }
            Err(error) => {
                // `node.error(error, msg)` with an `Error`, whose text
                // (`toString()`) catch nodes get; the target as `${target}`
                // writes it, empty when falsy (`target || ""`).
                let mut text = ErrorText::new();
                let (before, after) = match error {
                    LookupError::NotFound => ("Error: target link-in node '", "' not found"),
                    LookupError::Ambiguous => ("Error: Multiple link-in nodes named '", "' found"),
                };
                let _ = text.write_str(before);
                if let Some(target) = target.filter(ValueRef::is_truthy) {
                    let _ = target.write_js_text(&mut text);
                }
                let _ = text.write_str(after);
                device.report_error_text(ErrorKind::BadValue, text);
            }
        }
    }
}

impl<const N: usize> Node<N> for DynamicLinkCall {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        DynamicLinkCall::input(self, device, msg, out);
    }
}

impl<const N: usize> Node<N> for LinkCall {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        LinkCall::input(self, device, msg, out);
    }
}

/// A `link out` in return mode: port `k` leads to the outputs of the call
/// numbered `callers[k]`.
pub struct LinkReturn {
    pub info: NodeInfo,
    callers: &'static [u16],
}

impl LinkReturn {
    pub const fn new(info: NodeInfo, callers: &'static [u16]) -> Self {
        Self { info, callers }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        _device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // A message that no call recorded goes nowhere, as in Node-RED.
        let Some(ValueRef::Array(items)) = msg.property(LINK_SOURCE) else {
            return;
        };
        let depth = items.len();
        let Some(last) = depth.checked_sub(1) else {
            return;
        };
        let caller = match items.get(last) {
            Some(ValueRef::Number(n)) => n,
            _ => return,
        };
        let port = self
            .callers
            .iter()
            .position(|number| f64::from(*number) == caller);
        // Node-RED takes the entry off, and the list once it is empty.
        if last == 0 {
            msg.remove(&[PathSegment::Key(LINK_SOURCE)]);
        } else {
            msg.remove(&[PathSegment::Key(LINK_SOURCE), PathSegment::Index(last)]);
        }
        if let Some(port) = port {
            out.send(port, msg);
        }
    }
}

impl<const N: usize> Node<N> for LinkReturn {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        LinkReturn::input(self, device, msg, out);
    }
}

/// A `link call` that a complete node watches, run where its subroutine's
/// answer comes back (psosc wires the call itself straight to its link in,
/// or through the [`LinkCall`] that records it, and the subroutine's
/// return, or the return's port for this call, to this node): it sends
/// the answer on, and
/// the generated code then tells the complete nodes, as Node-RED's call
/// calls `done()` right after sending the answer on. A subroutine that
/// never answers never reaches it, and the call is never done, as in
/// Node-RED (where it times out with an error instead). A catch node also
/// sends on what it is given: it is the same node.
pub use super::catch::Catch as LinkAnswer;
