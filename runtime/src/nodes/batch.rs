//! `batch`: makes sequences of messages, as Node-RED's `19-batch.js` does:
//! every `count` messages (overlapping by `overlap`, or ended early by the
//! last part of a sequence), or all the messages of each interval. Each
//! message of a sequence leaves with `msg.parts` `id`, `index` and `count`
//! set (in its own `msg.parts`, if it has one). (`concat` mode is refused
//! by psosc.)
//!
//! A device keeps the messages of a sequence in a queue of `Q` messages
//! fixed at build time: `count` for `count` mode, which it never exceeds,
//! and `psosQueue` for `interval` mode, where a message that finds it full
//! is dropped and counted (`ErrorKind::QueueFull`). Node-RED's sequence id
//! is the first message's `_msgid`; a device, which has no message ids,
//! gives the sequence an id as `split` does. As `delay`, the node works
//! on the clock it is given (`input_at`, `tick_at`).

use super::delay::timer_ms;
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
    Count {
        count: usize,
        overlap: usize,
        honour_parts: bool,
    },
    /// `interval`: the messages of each interval; with `allow_empty`, an
    /// interval without messages sends one with a `null` payload.
    Interval { interval_ms: f64, allow_empty: bool },
}

/// A `batch` node with a queue of `Q` messages of `N` bytes.
pub struct Batch<const N: usize, const Q: usize> {
    pub info: NodeInfo,
    mode: BatchMode,
    queue: heapless::Deque<Msg<N>, Q>,
    /// The last part of a sequence came (`honour_parts`).
    ended: bool,
    /// How many sequences the node has made: part of their ids.
    sequences: u32,
    /// When the interval ends next (ms); `None` before the first tick,
    /// which counts the first interval from start-up, as Node-RED counts
    /// it from when the node starts.
    due: Option<u64>,
}

const PARTS: &str = "parts";

impl<const N: usize, const Q: usize> Batch<N, Q> {
    pub const fn new(info: NodeInfo, mode: BatchMode) -> Self {
        Self {
            info,
            mode,
            queue: heapless::Deque::new(),
            ended: false,
            sequences: 0,
            due: None,
        }
    }

    /// How many messages wait for their sequence.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// A message arrives when the clock reads `now` (ms).
    pub fn input_at<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        if msg.property("reset").is_some() {
            self.queue.clear();
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
            } => {
                if honour_parts && is_last_part(msg) {
                    self.ended = true;
                }
                if self.queue.push_back(msg.clone()).is_err() {
                    device.report(ErrorKind::QueueFull);
                    return;
                }
                if self.queue.len() == count || self.ended {
                    self.send_queue(device, overlap, out);
                    self.ended = false;
                }
            }
            BatchMode::Interval { .. } => {
                if self.queue.push_back(msg.clone()).is_err() {
                    device.report(ErrorKind::QueueFull);
                }
            }
        }
    }

    /// The clock reads `now` (ms): an interval that ended sends its
    /// sequence.
    pub fn tick_at<O: Outputs<N>>(&mut self, now: u64, device: &Device, out: &mut O) {
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
            self.send_queue(device, 0, out);
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

    /// Sends the queue as one sequence; the last `overlap` messages stay,
    /// unchanged, to start the next.
    fn send_queue<O: Outputs<N>>(&mut self, device: &Device, overlap: usize, out: &mut O) {
        let id = self.next_id();
        let count = self.queue.len();
        let leaving = count.saturating_sub(overlap);
        for index in 0..count {
            let msg = if index < leaving {
                self.queue.pop_front()
            } else {
                // Node-RED sends copies when the sequences overlap.
                self.queue.iter().nth(index - leaving).cloned()
            };
            let Some(mut msg) = msg else {
                return;
            };
            let parts = if msg.property(PARTS).is_some() {
                Ok(())
            } else {
                msg.set_property(PARTS, &EmptyContainer(OBJECT))
            };
            let set = parts.and_then(|()| set_parts(&mut msg, &id, index, count));
            if device.check(set, ErrorKind::Oversize).is_some() {
                out.send(0, &mut msg);
            }
        }
    }

    fn next_id(&mut self) -> [u8; 16] {
        let mut id = [0u8; 16];
        group_id(self.info.id, self.sequences, &mut id);
        self.sequences = self.sequences.wrapping_add(1);
        id
    }
}

/// Sets `msg.parts.id`, `index` and `count`, in place where they are.
fn set_parts<const N: usize>(
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

/// `msg.parts.index + 1 === msg.parts.count`.
fn is_last_part<const N: usize>(msg: &Msg<N>) -> bool {
    let part = |key| msg.get(&[PathSegment::Key(PARTS), PathSegment::Key(key)]);
    match (part("index"), part("count")) {
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
