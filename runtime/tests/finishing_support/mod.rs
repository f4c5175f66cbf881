//! Runs a node that finishes with messages later than its input returns
//! (batch, sort) as psosc runs one that a catch node and a complete node
//! both watch, on a clock the test steps a millisecond at a time, and
//! records in order what it does: each message it sends, each error it
//! hands catch nodes with a message, each message it finishes with.

use std::cell::RefCell;

use psos::nodes::{Finishing, Watched};
use psos::{Device, ErrorMessage, Msg, Outputs, PathSegment};

/// What the node did, each with the millisecond: `sent` (without
/// `msg.parts.id`, which Node-RED makes from a random `_msgid`), `caught`
/// (the message, then the error's text) and `done`.
pub type Events = Vec<(u64, &'static str, String)>;

pub fn event(at: u64, what: &'static str, msg: &str) -> (u64, &'static str, String) {
    (at, what, msg.to_string())
}

/// The event of an error handed to catch nodes with `msg`.
pub fn caught(at: u64, msg: &str, text: &str) -> (u64, &'static str, String) {
    event(at, "caught", &format!("{msg}: {text}"))
}

const PARTS_ID: &[PathSegment<'static>] = &[PathSegment::Key("parts"), PathSegment::Key("id")];

/// Outputs that record what is sent, and each error the node hands on
/// with a message, as catch nodes get it.
struct Recording<'a> {
    now: u64,
    device: &'a Device,
    events: &'a RefCell<Events>,
}

impl<const N: usize> Outputs<N> for Recording<'_> {
    fn send(&mut self, _port: usize, msg: &mut Msg<N>) {
        let mut shown = msg.clone();
        shown.remove(PARTS_ID);
        self.events
            .borrow_mut()
            .push((self.now, "sent", format!("{shown:?}")));
    }

    fn error_with(&mut self, msg: &Msg<N>) {
        if let Some(reported) = self.device.take_error() {
            let ErrorMessage::Fixed(text) = reported.message else {
                panic!("{reported:?}");
            };
            self.events
                .borrow_mut()
                .push((self.now, "caught", format!("{msg:?}: {text}")));
        }
    }
}

/// Steps `node` from 0 to `until` ms; the messages of `inputs` (JSON)
/// arrive at their times, then the clock ticks. Every error the node
/// reports must be handed on as it happens.
pub fn watch<const N: usize>(
    case: &'static str,
    node: &mut impl Finishing<N>,
    inputs: &[(u64, &str)],
    until: u64,
) -> Events {
    let device = Device::new(case, "conformance");
    let events = RefCell::new(Vec::new());
    let mut pending = inputs.iter().peekable();
    for now in 0..=until {
        let mut out = Watched::new(Recording {
            now,
            device: &device,
            events: &events,
        });
        let mut finished =
            |msg: &Msg<N>| events.borrow_mut().push((now, "done", format!("{msg:?}")));
        while let Some((_, text)) = pending.next_if(|(at, _)| *at == now) {
            let mut msg = Msg::<N>::from_json(text.as_bytes())
                .unwrap_or_else(|error| panic!("{case}: {text} does not read: {error}"));
            node.input_finishing(now, &device, &mut msg, &mut out, &mut finished);
            assert!(
                device.take_error().is_none(),
                "{case}: every error is handed on"
            );
        }
        node.tick_finishing(now, &device, &mut out, &mut finished);
    }
    assert!(pending.next().is_none(), "{case}: inputs out of order");
    events.into_inner()
}
