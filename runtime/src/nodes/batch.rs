//! `batch`: makes sequences of messages, as Node-RED's `19-batch.js` does:
//! every `count` messages (overlapping by `overlap`, or ended early by the
//! last part of a sequence), all the messages of each interval, or the
//! sequences of some topics one after the other (`concat`). Each message
//! of a sequence leaves with `msg.parts` `id`, `index` and `count` set (in
//! its own `msg.parts`, if it has one).
//!
//! A device keeps the messages of a sequence in a queue of `Q` messages
//! fixed at build time, which stands for Node-RED's
//! `nodeMessageBufferMaxLength`: in `count` mode the node's `limit`
//! (none: the queue holds `count`), in the other modes the queue itself.
//! Past it the node does what Node-RED does past that setting: the
//! message at hand is an error (`ErrorKind::QueueFull`, with Node-RED's
//! text) and the messages waiting are dropped (in `concat` mode every
//! message whose `msg.id` is the one at hand's is an error too, and a
//! concatenation the message completes still leaves). Node-RED's sequence id
//! is the first message's `_msgid`; a device, which has no message ids,
//! gives the sequence an id as `split` does. As `delay`, the node works
//! on the clock it is given (`input_at`, `tick_at`).
//!
//! A complete node hears of a message when Node-RED's batch calls `done()`
//! for it ([`Batch::input_finishing`], [`Batch::tick_finishing`]): when it
//! leaves in a sequence, after the whole sequence is sent, or when a reset
//! drops it. The queue already holds those messages, so a watched batch
//! keeps nothing more.

use super::complete::Finishing;
use super::delay::{strictly_equal, timer_ms};
use super::split::group_id;
use crate::encoding::{EmptyContainer, Str, OBJECT};
use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, MsgError, Node, NodeInfo, Outputs, ValueRef};

/// How a batch node makes its sequences (`mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchMode {
    /// `count`: a sequence every `count` messages; the last `overlap` of
    /// each start the next; with `honour_parts`, a message that is the
    /// last part of its own sequence ends this one.
    /// `limit` is Node-RED's `nodeMessageBufferMaxLength` for the node:
    /// one message more since the last sequence left, unless it ends one,
    /// is an error and drops those waiting; 0 is none, as in Node-RED.
    Count {
        count: usize,
        overlap: usize,
        honour_parts: bool,
        limit: usize,
    },
    /// `interval`: the messages of each interval; with `allow_empty`, an
    /// interval without messages sends one with a `null` payload.
    Interval { interval_ms: f64, allow_empty: bool },
    /// `concat`: once the first sequence (by `msg.parts.id`) of each of
    /// these topics is complete, they leave as one, in this order.
    Concat { topics: &'static [&'static str] },
}

/// A `batch` node with a queue of `Q` messages of `N` bytes.
pub struct Batch<const N: usize, const Q: usize> {
    pub info: NodeInfo,
    mode: BatchMode,
    queue: heapless::Vec<Msg<N>, Q>,
    /// The last part of a sequence came (`honour_parts`).
    ended: bool,
    /// `count` mode: how many messages came since the last sequence left
    /// (Node-RED's `pending_count`, which leaves out those an overlap
    /// keeps).
    since_sent: usize,
    /// How many sequences the node has made: part of their ids.
    sequences: u32,
    /// When the interval ends next (ms); `None` before the first tick,
    /// which counts the first interval from start-up, as Node-RED counts
    /// it from when the node starts.
    due: Option<u64>,
}

const PARTS: &str = "parts";

/// Node-RED's texts for its errors: a message of a `concat` batch without
/// `msg.parts`, and a full queue (Node-RED's `nodeMessageBufferMaxLength`).
const NO_PARTS: &str = "no parts property in message";
const TOO_MANY: &str = "too many pending messages in batch node";

impl<const N: usize, const Q: usize> Batch<N, Q> {
    pub const fn new(info: NodeInfo, mode: BatchMode) -> Self {
        Self {
            info,
            mode,
            queue: heapless::Vec::new(),
            ended: false,
            since_sent: 0,
            sequences: 0,
            due: None,
        }
    }

    /// How many messages wait for their sequence.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }
}

impl<const N: usize, const Q: usize> Finishing<N> for Batch<N, Q> {
    /// A message arrives when the clock reads `now` (ms), and `finished`
    /// is given each message the node has finished with (Node-RED's
    /// `done()`): the messages of a sequence once all of it has left (in
    /// `count` mode without overlap, and `interval` mode, as they left,
    /// with their parts; with overlap and in `concat` mode, which send
    /// copies, as they came; those an overlap keeps, when they leave the
    /// last sequence they are in); on a
    /// `msg.reset`, the messages it drops (in `concat` mode by topic, then
    /// by sequence, as Node-RED keeps them) and then the resetting message;
    /// in `count` and `interval` modes, the messages waiting when one more
    /// passes the limit, after catch nodes have the error with that one
    /// ([`Outputs::error_with`]); in `concat` mode then, each message held
    /// and the one at hand in Node-RED's order, an error for catch nodes
    /// where its `msg.id` is the one at hand's, else finished with, and
    /// once more each message of a concatenation the message at hand
    /// completes, as it leaves. Not a message of a topic `concat` does not list, one without
    /// `msg.parts`, nor one a device drops (counted). `out` must send
    /// copies (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if msg.property("reset").is_some() {
            self.finish_queued(None, finished);
            finished(msg);
            self.queue.clear();
            self.since_sent = 0;
            if let BatchMode::Interval { interval_ms, .. } = self.mode {
                // The interval starts again.
                self.due = (interval_ms > 0.0).then(|| now.saturating_add(timer_ms(interval_ms)));
            }
            return;
        }
        match self.mode {
            BatchMode::Count {
                count,
                overlap,
                honour_parts,
                limit,
            } => {
                if honour_parts && is_last_part(msg) {
                    self.ended = true;
                }
                let ends = self.queue.len() + 1 == count || self.ended;
                if !ends && limit > 0 && self.since_sent >= limit {
                    self.overflow(device, msg, out, finished);
                    return;
                }
                if self.queue.push(msg.clone()).is_err() {
                    device.report_error(ErrorKind::QueueFull, TOO_MANY);
                    return;
                }
                self.since_sent += 1;
                if ends {
                    self.send_queue(device, overlap, out, finished);
                    self.ended = false;
                    self.since_sent = 0;
                }
            }
            BatchMode::Interval { .. } => {
                if self.queue.is_full() {
                    self.overflow(device, msg, out, finished);
                } else if self.queue.push(msg.clone()).is_err() {
                    device.report_error(ErrorKind::QueueFull, TOO_MANY);
                }
            }
            BatchMode::Concat { topics } => {
                let listed =
                    matches!(msg.topic(), Some(ValueRef::Str(topic)) if topics.contains(&topic));
                if !listed {
                    return;
                }
                let complete = ["id", "index", "count"]
                    .iter()
                    .all(|key| part_of(msg, key).is_some());
                if !complete {
                    self.info.log(device, format_args!("{NO_PARTS}"));
                    device.report_error(ErrorKind::BadValue, NO_PARTS);
                    return;
                }
                if self.queue.is_full() {
                    self.concat_overflow(device, topics, msg, out, finished);
                    return;
                }
                if self.queue.push(msg.clone()).is_err() {
                    device.report_error(ErrorKind::QueueFull, TOO_MANY);
                    return;
                }
                self.concatenate(device, topics, None, out, finished);
            }
        }
    }

    /// The clock reads `now` (ms): an interval that ended sends its
    /// sequence, and `finished` is given its messages once it has left.
    fn tick_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let BatchMode::Interval {
            interval_ms,
            allow_empty,
        } = self.mode
        else {
            return;
        };
        if interval_ms <= 0.0 {
            return;
        }
        let every = timer_ms(interval_ms);
        let due = *self.due.get_or_insert(every);
        if now < due {
            return;
        }
        // As `setInterval`, late ticks are not caught up.
        let next = due.saturating_add(every);
        self.due = Some(if next <= now {
            now.saturating_add(every)
        } else {
            next
        });
        if !self.queue.is_empty() {
            self.send_queue(device, 0, out, finished);
        } else if allow_empty {
            let mut empty = Msg::<N>::new();
            let id = self.next_id();
            let made = empty
                .set_property("payload", &ValueRef::Null)
                .and_then(|()| empty.set_property(PARTS, &EmptyContainer(OBJECT)))
                .and_then(|()| set_parts(&mut empty, &id, 0, 1));
            if device.check(made, ErrorKind::Oversize).is_some() {
                out.send(0, &mut empty);
            }
        }
    }
}

impl<const N: usize, const Q: usize> Batch<N, Q> {
    /// Past the limit (`count` and `interval` modes), as Node-RED past its
    /// `nodeMessageBufferMaxLength`: the message at hand ends with the
    /// error, which catch nodes get first, then the node finishes with
    /// every waiting message and forgets them all.
    fn overflow<O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        device.report_error(ErrorKind::QueueFull, TOO_MANY);
        out.error_with(msg);
        self.finish_queued(None, finished);
        self.queue.clear();
        self.since_sent = 0;
    }

    /// Past the limit in `concat` mode, as Node-RED's `concat_msg`: it
    /// ends each message it holds, the one at hand among them, with the
    /// error where that message's `msg.id` is `===` the one at hand's (it
    /// compares `msg.id`, not the messages, so where no message has an
    /// `id` every one gets the error), else finishes with it; it forgets
    /// them all, yet still sends the concatenation the message at hand
    /// completes, finishing with each of its messages once more.
    fn concat_overflow<O: Outputs<N>>(
        &mut self,
        device: &Device,
        topics: &'static [&'static str],
        msg: &Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        let id = msg.property("id");
        self.finish_queued(Some(msg), &mut |held: &Msg<N>| {
            let same_id = core::ptr::eq(held, msg)
                || match (held.property("id"), id) {
                    (None, None) => true,
                    (Some(a), Some(b)) => strictly_equal(a, b),
                    _ => false,
                };
            if same_id {
                device.report_error(ErrorKind::QueueFull, TOO_MANY);
                out.error_with(held);
            } else {
                finished(held);
            }
        });
        self.concatenate(device, topics, Some(msg), out, finished);
        self.queue.clear();
    }

    /// Each message held, and `extra` after them, in the order Node-RED
    /// keeps them (in `concat` mode by topic, then by sequence, each in
    /// the order first seen): what a reset finishes with.
    fn finish_queued(&self, extra: Option<&Msg<N>>, each: &mut dyn FnMut(&Msg<N>)) {
        let all = || self.queue.iter().chain(extra);
        let BatchMode::Concat { .. } = self.mode else {
            for msg in all() {
                each(msg);
            }
            return;
        };
        let same_topic = |a: &Msg<N>, b: &Msg<N>| a.topic() == b.topic();
        let same_sequence = |a: &Msg<N>, b: &Msg<N>| {
            same_topic(a, b)
                && match (part_of(a, "id"), part_of(b, "id")) {
                    (Some(a), Some(b)) => same_key(a, b),
                    _ => false,
                }
        };
        let first_of = |at: usize, msg: &Msg<N>, alike: &dyn Fn(&Msg<N>, &Msg<N>) -> bool| {
            !all().take(at).any(|other| alike(other, msg))
        };
        for (topic_at, topic_msg) in all().enumerate() {
            if !first_of(topic_at, topic_msg, &same_topic) {
                continue;
            }
            for (sequence_at, sequence_msg) in all().enumerate().skip(topic_at) {
                if !same_topic(topic_msg, sequence_msg)
                    || !first_of(sequence_at, sequence_msg, &same_sequence)
                {
                    continue;
                }
                let sequence = all().skip(sequence_at);
                for msg in sequence.filter(|msg| same_sequence(sequence_msg, msg)) {
                    each(msg);
                }
            }
        }
    }

    /// Sends the queue as one sequence, and then is finished with the
    /// messages that left; the last `overlap` messages stay, unchanged, to
    /// start the next.
    fn send_queue<O: Outputs<N>>(
        &mut self,
        device: &Device,
        overlap: usize,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        let id = self.next_id();
        let count = self.queue.len();
        let leaving = count.saturating_sub(overlap);
        for index in 0..count {
            let Some(queued) = self.queue.get_mut(index) else {
                return;
            };
            // Node-RED sends the messages themselves, with their parts,
            // but copies when the sequences overlap.
            let mut copy;
            let msg = if overlap == 0 {
                queued
            } else {
                copy = queued.clone();
                &mut copy
            };
            let parts = if msg.property(PARTS).is_some() {
                Ok(())
            } else {
                msg.set_property(PARTS, &EmptyContainer(OBJECT))
            };
            let set = parts.and_then(|()| set_parts(msg, &id, index, count));
            if device.check(set, ErrorKind::Oversize).is_some() {
                let mut sent = msg.clone();
                out.send(0, &mut sent);
            }
        }
        for msg in self.queue.iter().take(leaving) {
            finished(msg);
        }
        for _ in 0..leaving.min(self.queue.len()) {
            self.queue.remove(0);
        }
    }

    /// `concat`: when the first sequence of every topic is complete among
    /// the messages held and `extra` after them, sends them one after the
    /// other (a topic listed twice, twice), copies of the messages in the
    /// order they came, and forgets the first sequence of each topic
    /// listed (of a topic listed twice, the first two) from the queue.
    fn concatenate<O: Outputs<N>>(
        &mut self,
        device: &Device,
        topics: &'static [&'static str],
        extra: Option<&Msg<N>>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        let mut count = 0;
        for topic in topics {
            let mut members = self.first_sequence(extra, topic);
            let expected = members
                .clone()
                .next()
                .and_then(|(_, msg)| part_of(msg, "count"));
            let size = members.by_ref().count();
            match expected {
                Some(ValueRef::Number(expected)) if expected == size as f64 => count += size,
                _ => return,
            }
        }
        let id = self.next_id();
        let mut index = 0;
        for topic in topics {
            for (_, member) in self.first_sequence(extra, topic) {
                let mut msg = member.clone();
                let set = set_parts(&mut msg, &id, index, count);
                if device.check(set, ErrorKind::Oversize).is_some() {
                    out.send(0, &mut msg);
                }
                index += 1;
            }
        }
        // Then is finished with each, as it came, in the same order.
        for topic in topics {
            for (_, member) in self.first_sequence(extra, topic) {
                finished(member);
            }
        }
        for topic in topics {
            let mut held = heapless::Vec::<usize, Q>::new();
            for (at, _) in self.first_sequence(None, topic) {
                if held.push(at).is_err() {
                    break;
                }
            }
            for at in held.into_iter().rev() {
                self.queue.remove(at);
            }
        }
    }

    /// The messages of a topic's first sequence among those held and
    /// `extra` after them, each with its place (`extra`'s is the queue's
    /// length): those of the topic with the `msg.parts.id` of its first
    /// message, in order.
    fn first_sequence<'a>(
        &'a self,
        extra: Option<&'a Msg<N>>,
        topic: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Msg<N>)> + Clone + 'a {
        let of_topic =
            move |msg: &Msg<N>| matches!(msg.topic(), Some(ValueRef::Str(t)) if t == topic);
        let all = self.queue.iter().chain(extra);
        let first = all.clone().find(|msg| of_topic(msg));
        let id = first.and_then(|msg| part_of(msg, "id"));
        all.enumerate().filter(move |(_, msg)| {
            of_topic(msg)
                && match (id, part_of(msg, "id")) {
                    (Some(a), Some(b)) => same_key(a, b),
                    _ => false,
                }
        })
    }

    fn next_id(&mut self) -> [u8; 16] {
        let mut id = [0u8; 16];
        group_id(self.info.id, self.sequences, &mut id);
        self.sequences = self.sequences.wrapping_add(1);
        id
    }
}

/// Sets `msg.parts.id`, `index` and `count`, in place where they are.
pub(super) fn set_parts<const N: usize>(
    msg: &mut Msg<N>,
    id: &[u8; 16],
    index: usize,
    count: usize,
) -> Result<(), MsgError> {
    let id = core::str::from_utf8(id).unwrap_or("");
    let part = |key| [PathSegment::Key(PARTS), PathSegment::Key(key)];
    msg.set(&part("id"), &Str(id))?;
    msg.set(&part("index"), &(index as f64))?;
    msg.set(&part("count"), &(count as f64))
}

/// A member of `msg.parts`.
pub(super) fn part_of<'a, const N: usize>(msg: &'a Msg<N>, key: &str) -> Option<ValueRef<'a>> {
    msg.get(&[PathSegment::Key(PARTS), PathSegment::Key(key)])
}

/// Whether two ids name one entry of a JavaScript object: the same text,
/// of any length.
pub(super) fn same_key(a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
    if let (ValueRef::Str(a), ValueRef::Str(b)) = (a, b) {
        return a == b;
    }
    // Other values are compared as JavaScript prints them, a window of
    // their texts at a time.
    let mut start = 0;
    loop {
        let (Some(a_window), Some(b_window)) = (TextWindow::of(a, start), TextWindow::of(b, start))
        else {
            return false;
        };
        if a_window.bytes != b_window.bytes || a_window.length != b_window.length {
            return false;
        }
        if a_window.length <= start + WINDOW {
            return true;
        }
        start += WINDOW;
    }
}

/// How many bytes of a value's text `same_key` compares at a time.
const WINDOW: usize = 64;

/// The bytes `start..start + WINDOW` of a value's JavaScript text, and the
/// text's whole length.
struct TextWindow {
    start: usize,
    length: usize,
    bytes: heapless::Vec<u8, WINDOW>,
}

impl TextWindow {
    fn of(value: ValueRef<'_>, start: usize) -> Option<Self> {
        let mut window = Self {
            start,
            length: 0,
            bytes: heapless::Vec::new(),
        };
        value.write_js_text(&mut window).ok()?;
        Some(window)
    }
}

impl core::fmt::Write for TextWindow {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        for &byte in text.as_bytes() {
            if self.length >= self.start {
                // Past the window's end the bytes are only counted.
                let _ = self.bytes.push(byte);
            }
            self.length += 1;
        }
        Ok(())
    }
}

/// `msg.parts.index + 1 === msg.parts.count`.
fn is_last_part<const N: usize>(msg: &Msg<N>) -> bool {
    match (part_of(msg, "index"), part_of(msg, "count")) {
        (Some(ValueRef::Number(index)), Some(ValueRef::Number(count))) => index + 1.0 == count,
        _ => false,
    }
}

impl<const N: usize, const Q: usize> Node<N> for Batch<N, Q> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(crate::platform::uptime_ms(), device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        self.tick_at(crate::platform::uptime_ms(), device, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(json: &str) -> Msg<1024> {
        Msg::<1024>::from_json(std::format!(r#"{{"parts":{{"id":{json}}}}}"#).as_bytes()).unwrap()
    }

    fn same(a: &str, b: &str) -> bool {
        let (a, b) = (id_of(a), id_of(b));
        same_key(part_of(&a, "id").unwrap(), part_of(&b, "id").unwrap())
    }

    #[test]
    fn ids_are_the_same_key_by_their_whole_text() {
        let long = "x".repeat(70);
        let other = std::format!("{}y", "x".repeat(69));
        assert!(same(&std::format!("{long:?}"), &std::format!("{long:?}")));
        assert!(!same(&std::format!("{long:?}"), &std::format!("{other:?}")));
        assert!(!same(
            &std::format!("{long:?}"),
            &std::format!("{:?}", "x".repeat(71))
        ));
        // As JavaScript names an object's entry: the number 1 and "1" alike.
        assert!(same("1", r#""1""#));
        let numbers = std::format!("[{}]", ["12345"; 30].join(","));
        let texts = std::format!("[{}]", [r#""12345""#; 30].join(","));
        let shorter = std::format!("[{}]", ["12345"; 29].join(","));
        assert!(same(&numbers, &texts), "arrays print as their joined items");
        assert!(!same(&numbers, &shorter));
        let last_differs = std::format!("[{},12346]", ["12345"; 29].join(","));
        assert!(!same(&numbers, &last_differs));
    }
}
