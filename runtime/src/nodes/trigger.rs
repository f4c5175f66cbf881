//! `trigger`: sends one message when triggered, then a second one after a
//! time (or repeats the first until reset), as Node-RED's `89-trigger.js`
//! does, for all messages together or per topic.
//!
//! A device does not allocate, so each topic the node is triggered for
//! holds one slot among `T`, whose number psosc fixes at build time; a
//! message of a new topic that finds them all taken is dropped and counted
//! (`ErrorKind::QueueFull`). As `delay`, the node works on the clocks it is
//! given (`input_at`, `tick_at`), so tests drive time step by step; on a
//! device, they are the board's, and the timer task ticks the node.
//!
//! A `flow` or `global` payload is read from the node's stores
//! (`crate::context`) when the message it is the payload of leaves: the
//! first when the node is triggered, the second when it is due, as
//! Node-RED reads them; a key not set leaves the message without a payload.

use core::fmt;

use super::delay::{number_in, strictly_equal, timer_ms};
use super::template::RenderError;
use super::{InjectValue, Mustache};
use crate::context::Stores;
use crate::msg::PathSegment;
use crate::{CountText, Device, ErrorKind, Msg, Node, NodeInfo, NodeStatus, Outputs, ValueRef};

/// What the node sends as a payload (Node-RED's `op1type` and `op2type`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TriggerValue {
    /// A constant; `date`, the time when the message leaves; or a flow or
    /// global value, read when the message leaves.
    Set(InjectValue),
    /// `pay`: the payload of the message that triggered the node.
    Payload,
    /// `payl`: the latest message of the topic, as it came (second message
    /// only).
    LatestPayload,
    /// `nul`: nothing is sent.
    Nothing,
    /// `str` text with `{{mustache}}` fields, rendered as mustache.js
    /// renders it against the message that triggers the node (names in
    /// the message only): the first payload from that message as it came,
    /// and the second too, when the node is triggered (an extending
    /// message keeps it).
    Template(Mustache),
}

/// How a trigger node behaves, as the flow configures it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TriggerConfig {
    /// The first message's payload (`op1`).
    pub first: TriggerValue,
    /// The second message's payload (`op2`).
    pub second: TriggerValue,
    /// `duration` in milliseconds: when the second message leaves, or how
    /// often the first repeats; 0 waits for a reset.
    pub duration_ms: f64,
    /// A negative `duration`: the first message repeats every
    /// `duration_ms` until reset.
    pub repeat: bool,
    /// `extend`: a message while triggered starts the time again.
    pub extend: bool,
    /// `overrideDelay`: `msg.delay` is the duration, in milliseconds.
    pub override_delay: bool,
    /// `reset`: a payload that reads as this text resets, as `msg.reset` does.
    pub reset: Option<&'static str>,
    /// `bytopic` is `topic`: the property (`topic`) that tells topics apart.
    pub by_topic: Option<&'static [PathSegment<'static>]>,
    /// `outputs` is 2: the second message leaves on the second output.
    pub second_output: bool,
}

/// The clocks a trigger node reads at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Now {
    /// Milliseconds since start-up, which waits are measured by.
    pub uptime_ms: u64,
    /// The time a `date` payload carries: milliseconds since the Unix
    /// epoch where the board has a wall clock, since start-up otherwise.
    pub date_ms: u64,
}

impl Now {
    /// The board's clocks.
    fn board() -> Self {
        Self {
            uptime_ms: crate::platform::uptime_ms(),
            date_ms: crate::platform::now_ms(),
        }
    }
}

/// The state of one triggered topic.
#[derive(Clone)]
struct Slot<const N: usize> {
    /// The message the second one is made of: the one that triggered the
    /// node, or the latest (`payl`, `extend`); when repeating, the first
    /// message sent.
    msg: Msg<N>,
    /// When the second message leaves, or the first repeats; `None` waits
    /// for a reset.
    due: Option<u64>,
    /// How often the first message repeats.
    every: u64,
    /// A message extended the time: the second payload is the one read
    /// when the node was triggered, which `msg` holds.
    extended: bool,
}

/// A `trigger` node with room for `T` topics of messages of `N` bytes,
/// reading payloads from context stores of `C` bytes (0: none).
pub struct Trigger<const N: usize, const T: usize, const C: usize = 0> {
    pub info: NodeInfo,
    config: TriggerConfig,
    stores: Stores<C>,
    slots: heapless::Vec<Slot<N>, T>,
}

const RESET: &[PathSegment<'static>] = &[PathSegment::Key("reset")];

impl<const N: usize, const T: usize> Trigger<N, T> {
    pub const fn new(info: NodeInfo, config: TriggerConfig) -> Self {
        Self::with_context(info, config, Stores::NONE)
    }
}

impl<const N: usize, const T: usize, const C: usize> Trigger<N, T, C> {
    /// A node whose payloads may be flow or global values, read from
    /// `stores`.
    pub const fn with_context(info: NodeInfo, config: TriggerConfig, stores: Stores<C>) -> Self {
        Self {
            info,
            config,
            stores,
            slots: heapless::Vec::new(),
        }
    }

    /// How many topics are triggered now.
    pub fn triggered(&self) -> usize {
        self.slots.len()
    }

    /// A message arrives at `now`.
    pub fn input_at<O: Outputs<N>>(
        &mut self,
        now: Now,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let config = self.config;
        let duration = match msg.property("delay").map(number_in) {
            Some(delay) if config.override_delay && !delay.is_nan() => delay,
            _ => config.duration_ms,
        };
        let slot = self.slot_of(msg);
        if self.resets(msg) {
            if let Some(index) = slot {
                self.slots.remove(index);
            }
            self.report_status(out);
            return;
        }
        match slot.and_then(|index| self.slots.get_mut(index)) {
            Some(slot) if !config.repeat => {
                if matches!(config.second, TriggerValue::LatestPayload) {
                    slot.msg = msg.clone();
                }
                if config.extend && duration > 0.0 {
                    let mut latest = msg.clone();
                    if matches!(
                        config.second,
                        TriggerValue::Payload | TriggerValue::Template(_)
                    ) || is_time(&config.second)
                    {
                        // The second message keeps the first one's payload.
                        let kept = match slot.msg.payload() {
                            Some(first) => latest.set_property("payload", &first),
                            None => {
                                latest.remove(PAYLOAD);
                                Ok(())
                            }
                        };
                        if device.check(kept, ErrorKind::Oversize).is_none() {
                            return;
                        }
                    }
                    slot.msg = latest;
                    slot.extended = true;
                    slot.due = Some(now.uptime_ms.saturating_add(timer_ms(duration)));
                }
            }
            _ => self.trigger(now, duration, slot, device, msg, out),
        }
    }

    /// The clock reads `now`: second messages that are due leave, and first
    /// messages that repeat go again.
    pub fn tick_at<O: Outputs<N>>(&mut self, clocks: Now, device: &Device, out: &mut O) {
        let now = clocks.uptime_ms;
        while let Some(index) = self.next_due(now) {
            if self.config.repeat {
                let Some(slot) = self.slots.get_mut(index) else {
                    return;
                };
                let next = slot.due.unwrap_or(now).saturating_add(slot.every);
                // Node.js's `setInterval` does not catch up on late ticks.
                slot.due = Some(if next <= now {
                    now.saturating_add(slot.every)
                } else {
                    next
                });
                let mut again = slot.msg.clone();
                if stamped(&self.config.first, clocks, &mut again).is_ok() {
                    out.send(0, &mut again);
                }
            } else {
                let mut slot = self.slots.remove(index);
                self.report_status(out);
                let port = usize::from(self.config.second_output);
                let sent = match self.config.second {
                    // Node-RED's extending timeout reads no time again.
                    TriggerValue::Set(_) if slot.extended && is_time(&self.config.second) => true,
                    TriggerValue::Set(value) => {
                        let set = self.set_payload(&value, clocks, device, &mut slot.msg);
                        device.check(set, ErrorKind::Oversize).is_some()
                    }
                    // A template was rendered when the node was triggered.
                    TriggerValue::Payload
                    | TriggerValue::LatestPayload
                    | TriggerValue::Template(_) => true,
                    TriggerValue::Nothing => false,
                };
                if sent {
                    out.send(port, &mut slot.msg);
                }
            }
        }
    }

    /// The message triggers its topic: it keeps a slot, and leaves with the
    /// first payload.
    fn trigger<O: Outputs<N>>(
        &mut self,
        now: Now,
        duration: f64,
        slot: Option<usize>,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let config = self.config;
        let mut triggering = msg.clone();
        // Node-RED renders the second payload first, from the message as
        // it came, and keeps the text.
        if let TriggerValue::Template(second) = config.second {
            if !rendered(&second, msg, &mut triggering, device) {
                return;
            }
        }
        let first = match config.first {
            TriggerValue::Template(first) => {
                let done = match config.second {
                    TriggerValue::Template(_) => rendered(&first, &msg.clone(), msg, device),
                    _ => rendered(&first, &triggering, msg, device),
                };
                if !done {
                    return;
                }
                true
            }
            TriggerValue::Set(value) => {
                if device
                    .check(
                        self.set_payload(&value, now, device, msg),
                        ErrorKind::Oversize,
                    )
                    .is_none()
                {
                    return;
                }
                true
            }
            TriggerValue::Payload | TriggerValue::LatestPayload => true,
            TriggerValue::Nothing => false,
        };
        // Node-RED reads a time as the second payload now too (`m2`), which
        // a message that extends the time sends.
        if let TriggerValue::Set(value) = config.second {
            if is_time(&config.second)
                && device
                    .check(
                        value.set(&mut triggering, PAYLOAD, now.date_ms),
                        ErrorKind::Oversize,
                    )
                    .is_none()
            {
                return;
            }
        }
        let every = timer_ms(duration);
        let due = if duration == 0.0 || (config.repeat && !first) {
            None
        } else {
            Some(now.uptime_ms.saturating_add(every))
        };
        let kept = if config.repeat {
            msg.clone()
        } else {
            triggering
        };
        let new = Slot {
            msg: kept,
            due,
            every,
            extended: false,
        };
        match slot.and_then(|index| self.slots.get_mut(index)) {
            Some(slot) => *slot = new,
            None => {
                if self.slots.push(new).is_err() {
                    device.report(ErrorKind::QueueFull);
                    return;
                }
            }
        }
        self.report_status(out);
        if first {
            out.send(0, msg);
        }
    }

    /// Reports the node's status as Node-RED's trigger node does each time
    /// its topics change: none when no topic waits, a blue dot for one, and
    /// with the number of topics for more.
    fn report_status<O: Outputs<N>>(&self, out: &mut O) {
        if !out.reports_status() {
            return;
        }
        let count = self.slots.len();
        let text = CountText::new(count);
        let status = match count {
            0 => NodeStatus::CLEAR,
            1 => NodeStatus::new("blue", "dot"),
            _ => NodeStatus::new("blue", "dot").with_text(text.as_str()),
        };
        out.status(&status);
    }

    /// The slot of the message's topic, if it is triggered.
    fn slot_of(&self, msg: &Msg<N>) -> Option<usize> {
        let Some(path) = self.config.by_topic else {
            return (!self.slots.is_empty()).then_some(0);
        };
        let topic = topic_in(msg, path);
        self.slots
            .iter()
            .position(|slot| same_topic(topic, topic_in(&slot.msg, path)))
    }

    /// Whether the message resets its topic: it has `msg.reset`, or a
    /// payload that reads as the node's `reset` text.
    fn resets(&self, msg: &Msg<N>) -> bool {
        if msg.get(RESET).is_some() {
            return true;
        }
        match (self.config.reset, msg.payload()) {
            (Some(reset), Some(payload)) => reads_as(payload, reset),
            _ => false,
        }
    }

    /// Sets the payload to a constant, to the time now for `date`, or to a
    /// flow or global value as it is now; a key not set, or a store busy
    /// (counted by `read`), leaves the message without a payload, as
    /// Node-RED's `msg.payload = undefined` does.
    fn set_payload(
        &self,
        value: &InjectValue,
        now: Now,
        device: &Device,
        msg: &mut Msg<N>,
    ) -> Result<(), crate::MsgError> {
        let InjectValue::Context(property) = value else {
            return value.set(msg, PAYLOAD, now.date_ms);
        };
        let read = self.stores.read(device, |stores| {
            stores
                .get(property.scope, property.path)
                .map(|found| msg.set(PAYLOAD, &found))
        });
        match read.flatten() {
            Some(result) => result,
            None => {
                msg.remove(PAYLOAD);
                Ok(())
            }
        }
    }

    /// The slot due first by `now`, the first of equals.
    fn next_due(&self, now: u64) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| slot.due.filter(|due| *due <= now).map(|due| (due, index)))
            .min()
            .map(|(_, index)| index)
    }
}

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A repeated first message: `date` reads the time again, as Node-RED does
/// each time its interval fires, in milliseconds whatever the format
/// (Node-RED's interval sets `Date.now()`).
fn stamped<const N: usize>(
    first: &TriggerValue,
    now: Now,
    msg: &mut Msg<N>,
) -> Result<(), crate::MsgError> {
    match first {
        TriggerValue::Set(InjectValue::Timestamp | InjectValue::IsoDate(_)) => {
            InjectValue::Timestamp.set(msg, PAYLOAD, now.date_ms)
        }
        _ => Ok(()),
    }
}

/// Whether a payload is the time (`date`, in milliseconds or as text).
fn is_time(value: &TriggerValue) -> bool {
    matches!(
        value,
        TriggerValue::Set(InjectValue::Timestamp | InjectValue::IsoDate(_))
    )
}

/// Renders a `{{mustache}}` payload from `source` into the payload of
/// `target`, as `mustache.render(text, msg)` does; what does not fit is
/// counted, and the message goes no further.
fn rendered<const N: usize>(
    text: &Mustache,
    source: &Msg<N>,
    target: &mut Msg<N>,
    device: &Device,
) -> bool {
    match text.render(source, target, PAYLOAD) {
        Ok(()) => true,
        Err(RenderError::Msg(crate::MsgError::Full)) => {
            device.report(ErrorKind::Oversize);
            false
        }
        Err(_) => {
            device.report(ErrorKind::BadValue);
            false
        }
    }
}

/// The topic of a message as Node-RED keys it: the property's value, or
/// none (`_none`) where it is missing or false.
fn topic_in<'a, const N: usize>(msg: &'a Msg<N>, path: &[PathSegment<'_>]) -> Option<ValueRef<'a>> {
    msg.get(path).filter(ValueRef::is_truthy)
}

/// Whether two topics are the same key.
fn same_topic(a: Option<ValueRef<'_>>, b: Option<ValueRef<'_>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => strictly_equal(a, b),
        _ => false,
    }
}

/// `payload.toString() == reset` for the payloads whose text is plain: a
/// string, a number as JavaScript prints it, a boolean.
fn reads_as(payload: ValueRef<'_>, reset: &str) -> bool {
    if !matches!(
        payload,
        ValueRef::Str(_) | ValueRef::Number(_) | ValueRef::Bool(_)
    ) {
        return false;
    }
    let mut rest = Matching(Some(reset));
    fmt::write(&mut rest, format_args!("{payload}")).is_ok() && rest.0 == Some("")
}

/// Compares text as it is written with what remains of the expected text;
/// `None` once they differ.
struct Matching<'a>(Option<&'a str>);

impl fmt::Write for Matching<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.and_then(|rest| rest.strip_prefix(s));
        Ok(())
    }
}

impl<const N: usize, const T: usize, const C: usize> Node<N> for Trigger<N, T, C> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(Now::board(), device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        self.tick_at(Now::board(), device, out);
    }
}
