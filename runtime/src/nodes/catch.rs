//! `catch`: the node that receives the errors of other nodes of its tab, as
//! Node-RED's `25-catch.js` does, and the message Node-RED's flow makes for
//! it (`Flow.handleError`). Which catch nodes take which node's errors is
//! decided at build time; the generated code asks the device for the error
//! a node reported ([`Device::take_error`]) and calls [`catch_error`].
//!
//! `msg.error.message` is Node-RED's text where the node reports a fixed
//! one ([`Device::report_error`]) or V8's words for `JSON.parse`'s error
//! ([`Device::report_error_text`]), and the kind's words
//! ([`ErrorKind::name`]) where Node-RED's text is another of V8's or the
//! error is the device's own.

use crate::msg::PathSegment;
use crate::{
    ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, NodeStatus, Outputs, Reported, ValueRef,
};

/// The count at which Node-RED gives up on a message that keeps failing in
/// the same node after being caught: it drops the error with a warning.
pub const CATCH_LIMIT: f64 = 10.0;

/// A catch node: it sends on what it is given (so do a complete node and
/// a watched link call's answer, which are this node).
pub struct Catch {
    info: NodeInfo,
}

impl Catch {
    pub const fn new(info: NodeInfo) -> Self {
        Self { info }
    }

    /// The node that sends the caught errors on.
    pub fn info(&self) -> &NodeInfo {
        &self.info
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        _device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        out.send(0, msg);
    }
}

impl<const N: usize> Node<N> for Catch {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Catch::input(self, device, msg, out);
    }
}

/// The outputs of a node whose errors catch nodes take: messages go to
/// `outputs`, and an error the node reports with a message other than
/// the one it was given ([`Outputs::error_with`]) to `caught`, which the
/// compiler writes to call [`catch_error`] with that message.
pub struct Catching<O, C> {
    pub outputs: O,
    pub caught: C,
}

impl<const N: usize, O: Outputs<N>, C: FnMut(&Msg<N>)> Outputs<N> for Catching<O, C> {
    fn send(&mut self, port: usize, msg: &mut Msg<N>) {
        self.outputs.send(port, msg);
    }

    fn status(&mut self, status: &NodeStatus<'_>) {
        self.outputs.status(status);
    }

    fn reports_status(&self) -> bool {
        self.outputs.reports_status()
    }

    fn error_with(&mut self, msg: &Msg<N>) {
        (self.caught)(msg);
    }
}

/// The message of a JavaScript `Error` whose `toString()` is `shown`
/// (`Error: text`, `UnquotedQuoteError: text`): what a node logs of an
/// error whose whole `toString()` Node-RED gives catch nodes as
/// `msg.error.message`.
pub fn error_text(shown: &str) -> &str {
    shown.split_once(": ").map_or(shown, |(_, text)| text)
}

/// Takes the error `source` reported while handling `msg`, if it reported
/// one, and gives the catch nodes (`deliver`) a copy of `msg` with
/// `msg.error` set as Node-RED sets it.
pub fn catch_error<const N: usize>(
    device: &Device,
    source: &NodeInfo,
    msg: &Msg<N>,
    deliver: impl FnOnce(&mut Msg<N>),
) {
    let Some(reported) = device.take_error() else {
        return;
    };
    if let Some(mut caught) = error_message(device, source, msg, reported) {
        deliver(&mut caught);
    }
}

/// The message catch nodes get for an error `source` reported while
/// handling `msg`: a copy with `msg.error = {message,
/// source: {id, type, name, count}}`, an earlier `msg.error` kept as
/// `msg._error`. `count` goes up by one when the earlier error came from
/// the same node; at [`CATCH_LIMIT`] the error is dropped with Node-RED's
/// warning. `None` too when the copy outgrows the message.
pub fn error_message<const N: usize>(
    device: &Device,
    source: &NodeInfo,
    msg: &Msg<N>,
    reported: Reported,
) -> Option<Msg<N>> {
    let earlier = msg.property("error");
    let count = match earlier {
        Some(error) if error.is_truthy() => earlier_count(error, source.id),
        _ => None,
    }
    .map_or(1.0, |count| count + 1.0);
    if count == CATCH_LIMIT {
        source.log(
            device,
            format_args!("Message exceeded maximum number of catches"),
        );
        return None;
    }
    let mut caught = msg.clone();
    let error = |key| [PathSegment::Key("error"), PathSegment::Key(key)];
    let written = (|| {
        if let Some(earlier) = earlier {
            caught.set_property("_error", &earlier)?;
        }
        caught.set_property("error", &ConstValue::Object(&[]))?;
        caught.set(&error("message"), &ValueRef::Str(reported.message.as_str()))?;
        source.set_source(&mut caught, "error")?;
        caught.set(
            &[
                PathSegment::Key("error"),
                PathSegment::Key("source"),
                PathSegment::Key("count"),
            ],
            &count,
        )
    })();
    device.check(written, ErrorKind::Oversize)?;
    Some(caught)
}

/// `msg.error.source.count` when `msg.error.source.id` is the node's id
/// (and the count a number).
fn earlier_count(error: ValueRef<'_>, id: &str) -> Option<f64> {
    let ValueRef::Object(error) = error else {
        return None;
    };
    let Some(ValueRef::Object(source)) = error.get("source") else {
        return None;
    };
    if source.get("id") != Some(ValueRef::Str(id)) {
        return None;
    }
    match source.get("count") {
        Some(ValueRef::Number(count)) => Some(count),
        _ => None,
    }
}
