//! `sort`: sorts the items of an array property, or the messages of a
//! sequence by a property, as Node-RED's `18-sort.js` does: ascending or
//! descending, as they are or as numbers, with JavaScript's `===` and `>`
//! and a stable sort (as V8's). (Keys from JSONata expressions are refused
//! by psosc.)
//!
//! A device sorts arrays of at most [`MAX_ITEMS`] items (a longer one is
//! dropped and counted, `ErrorKind::Oversize`), and keeps the messages of
//! sequences being collected in a queue of `Q` messages fixed at build time
//! (`psosQueue`), which stands for Node-RED's `nodeMessageBufferMaxLength`:
//! when it is full, a message that completes its sequence still leaves
//! sorted with it, and any other drops the oldest sequence, whose last
//! message is an error (`ErrorKind::QueueFull`, with Node-RED's text) and
//! the others finished with, as in Node-RED. Arrays, objects and buffers compare as
//! JavaScript compares them with numbers: never greater, never equal.
//!
//! A complete node hears of a message when Node-RED's sort calls `done()`
//! for it ([`Sort::input_now`]): a message of a sequence right after it
//! leaves, sorted, with its new index; any other message as its input
//! returns, with its array sorted. The queue already holds the messages
//! of sequences, so a watched sort keeps nothing more.

use core::cmp::Ordering;

use super::batch::{part_of, same_key};
use super::complete::{Fate, Finishing};
use super::delay::strictly_equal;
use crate::encoding::encoded_len_at;
use crate::msg::PathSegment;
use crate::value::{Items, Primitive};
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// The most items of an array a device sorts.
pub const MAX_ITEMS: usize = 256;

/// What a sort node sorts and how (Node-RED's `targetType`, `target`,
/// `seqKey`, `order`, `as_num`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SortConfig {
    /// `targetType` `msg`: the array property whose items are sorted;
    /// `None` sorts the messages of each sequence.
    pub target: Option<&'static [PathSegment<'static>]>,
    /// The property messages of a sequence are sorted by (`seqKey`).
    pub key: &'static [PathSegment<'static>],
    pub descending: bool,
    /// `as_num`: compare `Number(value)`.
    pub as_number: bool,
}

/// A `sort` node with a queue of `Q` messages of `N` bytes.
pub struct Sort<const N: usize, const Q: usize> {
    pub info: NodeInfo,
    config: SortConfig,
    queue: heapless::Vec<Msg<N>, Q>,
}

const PARTS: &str = "parts";

/// Node-RED's text when its `nodeMessageBufferMaxLength` is passed.
const TOO_MANY: &str = "Too many pending messages in sort node";

impl<const N: usize, const Q: usize> Sort<N, Q> {
    pub const fn new(info: NodeInfo, config: SortConfig) -> Self {
        Self {
            info,
            config,
            queue: heapless::Vec::new(),
        }
    }
}

impl<const N: usize, const Q: usize> Finishing<N> for Sort<N, Q> {
    /// A message arrives (a sort keeps no time), and `finished` is given
    /// each message the node has finished with (Node-RED's `done()`): the
    /// messages of a sequence each right after it leaves, as it left; any
    /// other message (an array sorted or not, a message of no sequence) as
    /// the input returns, as the node left it; the messages of the oldest
    /// sequence but its last, which is an error for catch nodes first
    /// ([`Outputs::error_with`]), when the queue is full. Not a message a
    /// device drops (counted). `out` must send copies (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        _now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let fate = match self.config.target {
            Some(target) => self.sort_property(device, target, msg, out),
            None => self.sort_sequence(device, msg, out, finished),
        };
        if fate == Fate::Now {
            finished(msg);
        }
    }

    fn clock_ms() -> u64 {
        0
    }
}

impl<const N: usize, const Q: usize> Sort<N, Q> {
    /// Sorts the array at `target` and sends the message; anything else is
    /// not sent, as in Node-RED.
    fn sort_property<O: Outputs<N>>(
        &self,
        device: &Device,
        target: &[PathSegment<'_>],
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> Fate {
        let Some(ValueRef::Array(items)) = msg.get(target) else {
            return Fate::Now;
        };
        let body = items.body();
        let mut spans = heapless::Vec::<(usize, usize), MAX_ITEMS>::new();
        let mut at = 0;
        while let Some(len) = body.get(at..).and_then(encoded_len_at) {
            if spans.push((at, len)).is_err() {
                device.report(ErrorKind::Oversize);
                return Fate::Never;
            }
            at += len;
        }
        let item = |span: &(usize, usize)| {
            body.get(span.0..span.0 + span.1)
                .and_then(crate::encoding::decode)
                .map(|(value, _)| value)
        };
        stable_sort(&mut spans, |a, b| self.compare(item(a), item(b)));
        let mut sorted = [0u8; N];
        let mut end = 0;
        for (start, len) in &spans {
            let (Some(from), Some(to)) = (
                body.get(*start..start + len),
                sorted.get_mut(end..end + len),
            ) else {
                return Fate::Never;
            };
            to.copy_from_slice(from);
            end += len;
        }
        let sorted = ValueRef::Array(Items::new(sorted.get(..end).unwrap_or_default()));
        if device
            .check(msg.set(target, &sorted), ErrorKind::Oversize)
            .is_none()
        {
            return Fate::Never;
        }
        out.send(0, msg);
        Fate::Now
    }

    /// Collects the messages of sequences; once one is complete, sends its
    /// messages sorted, with their new indexes. A message that completes
    /// its sequence leaves with it even when the queue is full, as
    /// Node-RED, past its `nodeMessageBufferMaxLength`, still sorts the
    /// sequence at hand; any other that finds the queue full drops the
    /// oldest sequence first ([`Sort::drop_oldest`]).
    fn sort_sequence<O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) -> Fate {
        let (Some(id), Some(_)) = (part_of(msg, "id"), part_of(msg, "index")) else {
            return Fate::Now;
        };
        // Node-RED keeps the count of the latest message that has one, the
        // one at hand last.
        let mut members = heapless::Vec::<usize, Q>::new();
        let mut count = None;
        for (at, queued) in self.queue.iter().enumerate() {
            if part_of(queued, "id").is_some_and(|other| same_key(other, id)) {
                if members.push(at).is_err() {
                    return Fate::Never;
                }
                if let Some(queued_count) = part_of(queued, "count") {
                    count = Some(queued_count);
                }
            }
        }
        if let Some(own_count) = part_of(msg, "count") {
            count = Some(own_count);
        }
        let size = members.len() + 1;
        if matches!(count, Some(ValueRef::Number(count)) if count == size as f64) {
            self.send_sorted(device, &mut members, msg, out, finished);
            return Fate::Later;
        }
        if self.queue.is_full() && self.drop_oldest(device, msg, out, finished) {
            return Fate::Never;
        }
        if self.queue.push(msg.clone()).is_err() {
            device.report_error(ErrorKind::QueueFull, TOO_MANY);
            return Fate::Never;
        }
        Fate::Later
    }

    /// Sends the messages held at `members` and `msg`, which completes
    /// their sequence, sorted (`msg` sorted in last, as a stable sort
    /// takes it), each with its new index and finished with right after;
    /// then forgets those held.
    fn send_sorted<O: Outputs<N>>(
        &mut self,
        device: &Device,
        members: &mut heapless::Vec<usize, Q>,
        msg: &Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        let key = self.config.key;
        let queue = &self.queue;
        let key_of = |at: &usize| queue.get(*at).and_then(|held| held.get(key));
        stable_sort(members, |a, b| self.compare(key_of(a), key_of(b)));
        let own_key = msg.get(key);
        let mut place = members.len();
        while place > 0
            && members
                .get(place - 1)
                .is_some_and(|before| self.compare(key_of(before), own_key) == Ordering::Greater)
        {
            place -= 1;
        }
        for index in 0..=members.len() {
            let member = match index.cmp(&place) {
                Ordering::Less => members.get(index).and_then(|at| self.queue.get(*at)),
                Ordering::Equal => Some(msg),
                Ordering::Greater => members.get(index - 1).and_then(|at| self.queue.get(*at)),
            };
            let Some(mut sorted) = member.cloned() else {
                continue;
            };
            let set = sorted.set(
                &[PathSegment::Key(PARTS), PathSegment::Key("index")],
                &(index as f64),
            );
            if device.check(set, ErrorKind::Oversize).is_some() {
                out.send(0, &mut sorted);
                finished(&sorted);
            }
        }
        members.sort_unstable();
        for at in members.iter().rev() {
            if *at < self.queue.len() {
                self.queue.remove(*at);
            }
        }
    }

    /// The queue is full and `msg` does not complete its sequence: as
    /// Node-RED past its `nodeMessageBufferMaxLength`, the node drops the
    /// oldest sequence (the one whose first message came first), ending
    /// its last message with the error, which catch nodes get first, and
    /// finishing with the others. When that is `msg`'s own sequence, `msg`
    /// is its last message, and true is returned.
    fn drop_oldest<O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) -> bool {
        let Some(oldest) = self.queue.first().and_then(|first| part_of(first, "id")) else {
            return false;
        };
        let of_oldest = |held: &Msg<N>| part_of(held, "id").is_some_and(|id| same_key(id, oldest));
        let own = of_oldest(msg);
        let last = if own {
            Some(msg)
        } else {
            self.queue.iter().rev().find(|held| of_oldest(held))
        };
        device.report_error(ErrorKind::QueueFull, TOO_MANY);
        if let Some(last) = last {
            out.error_with(last);
        }
        let mut held = heapless::Vec::<usize, Q>::new();
        for (at, queued) in self.queue.iter().enumerate() {
            if !of_oldest(queued) || held.push(at).is_err() {
                continue;
            }
            let ended_with_error = last.is_some_and(|last| core::ptr::eq(last, queued));
            if !ended_with_error {
                finished(queued);
            }
        }
        for at in held.into_iter().rev() {
            self.queue.remove(at);
        }
        own
    }

    /// Node-RED's comparison: equal when `===`, else the order's direction
    /// when `x > y`, else the other way. A missing value is `undefined`.
    fn compare(&self, x: Option<ValueRef<'_>>, y: Option<ValueRef<'_>>) -> Ordering {
        let (greater, less) = if self.config.descending {
            (Ordering::Less, Ordering::Greater)
        } else {
            (Ordering::Greater, Ordering::Less)
        };
        if self.config.as_number {
            let number = |value: Option<ValueRef<'_>>| value.map_or(f64::NAN, |v| v.to_number());
            let (x, y) = (number(x), number(y));
            return if x == y {
                Ordering::Equal
            } else if x > y {
                greater
            } else {
                less
            };
        }
        match (x, y) {
            (None, None) => Ordering::Equal,
            (Some(x), Some(y)) if strictly_equal(x, y) => Ordering::Equal,
            (x, y) => {
                let x = x.map_or(Primitive::Number(f64::NAN), Primitive::from);
                let y = y.map_or(Primitive::Number(f64::NAN), Primitive::from);
                if y.loose_lt(x) {
                    greater
                } else {
                    less
                }
            }
        }
    }
}

impl<const N: usize, const Q: usize> Node<N> for Sort<N, Q> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(Self::clock_ms(), device, msg, out);
    }
}

/// A stable insertion sort: what any stable sort gives for a consistent
/// comparison, without allocating.
fn stable_sort<T: Copy>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    for next in 1..items.len() {
        let mut at = next;
        while at > 0 {
            let (Some(before), Some(this)) = (items.get(at - 1).copied(), items.get(at).copied())
            else {
                break;
            };
            if compare(&before, &this) != Ordering::Greater {
                break;
            }
            items.swap(at - 1, at);
            at -= 1;
        }
    }
}
