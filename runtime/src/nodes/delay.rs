//! `delay`: holds messages back, as Node-RED's `89-delay.js` does: each for
//! a fixed, per-message or random time, or at a rate (queued or dropped),
//! or per topic once an interval, or all of them once an interval; in
//! `burst` mode (`burst.rs`, [`Burst`]), up to a number at once an
//! interval, each holding a place.
//!
//! A device does not allocate, so waiting messages sit in a queue of `Q`
//! messages inside the node, whose size psosc fixes at build time; a message
//! that finds it full is dropped and counted (`ErrorKind::QueueFull`). The
//! node works on a clock it is given (`input_at`, `tick_at`), so tests drive
//! time step by step; on a device, the clock is the board's uptime and the
//! device's timer task calls `tick` every few milliseconds (psosc picks a
//! hundredth of the node's shortest time, from 1 to 10 ms), so a message
//! leaves at most one tick late.
//!
//! Its status goes where Node-RED's goes, to outputs that report it. What
//! Node-RED reports on timers of its own (the queue's depth in `rate`,
//! `queue` and `timed`, half a second after it changes) the same tick
//! reports when due, from what the node keeps in its `S`: nothing in a
//! node no status node watches.

use super::complete::Finishing;
use crate::encoding::Str;
use crate::msg::PathSegment;
use crate::value::parse_float;
use crate::{CountText, Device, ErrorKind, Msg, Node, NodeInfo, NodeStatus, Outputs, ValueRef};

mod burst;

pub use burst::{burst_timers, Burst, BURST_FULL, BURST_OPEN};

/// The longest wait Node.js's timers take, in milliseconds (2³¹ − 1); a
/// longer one fires after 1 ms.
pub const TIMEOUT_MAX_MS: f64 = 2_147_483_647.0;

/// What Node.js's `setTimeout` and `setInterval` make of a wait: whole
/// milliseconds, and 1 ms for anything below 1, above [`TIMEOUT_MAX_MS`] or
/// not a number.
pub fn timer_ms(wait: f64) -> u64 {
    if (1.0..=TIMEOUT_MAX_MS).contains(&wait) {
        // In range, so the cast keeps the whole part exactly.
        wait as u64
    } else {
        1
    }
}

/// How the node holds messages back (Node-RED's `pauseType`), with the
/// times the flow configures, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DelayMode {
    /// `delay`: each message waits `ms`. `delayv`: the same, unless the
    /// message's `msg.delay` is a number of milliseconds (`variable`).
    Fixed { ms: f64, variable: bool },
    /// `random`: each message waits a time drawn between the two.
    Random { first_ms: f64, last_ms: f64 },
    /// `rate`: one message every `interval_ms`; the others wait in the
    /// queue or, with `drop`, are dropped (or sent on the second output).
    /// With `allow_rate`, `msg.rate` changes the interval.
    Rate {
        interval_ms: f64,
        drop: bool,
        allow_rate: bool,
    },
    /// `queue`: one message a topic is kept, the newest, and one leaves
    /// every `interval_ms`.
    Queue { interval_ms: f64, allow_rate: bool },
    /// `timed`: one message a topic is kept, and all leave every
    /// `interval_ms`.
    Timed { interval_ms: f64, allow_rate: bool },
    /// `burst` (Node-RED 5.0): while fewer than `rate` places are taken a
    /// message goes and takes one for `period_ms`; the others are dropped
    /// (or sent on the second output). Its places are timers, not
    /// messages: psosc builds a [`Burst`] for it. A [`Delay`] has room for
    /// none, so every place is taken for it.
    Burst { rate: f64, period_ms: f64 },
}

impl DelayMode {
    /// The interval the flow configures, for the modes that have one.
    fn interval_ms(&self) -> Option<(f64, bool)> {
        match *self {
            DelayMode::Rate {
                interval_ms,
                allow_rate,
                ..
            }
            | DelayMode::Queue {
                interval_ms,
                allow_rate,
            }
            | DelayMode::Timed {
                interval_ms,
                allow_rate,
            } => Some((interval_ms, allow_rate)),
            DelayMode::Fixed { .. } | DelayMode::Random { .. } | DelayMode::Burst { .. } => None,
        }
    }
}

/// A message that waits, and when it is due (for the modes that wait a
/// time per message).
#[derive(Clone)]
struct Waiting<const N: usize> {
    due: u64,
    msg: Msg<N>,
}

/// How long Node-RED's `reportDepth` waits before it reports how many
/// messages wait in `rate`, `queue` and `timed` modes, in milliseconds.
pub const DEPTH_REPORT_MS: u64 = 500;

/// What a delay node keeps for the statuses Node-RED reports on timers of
/// their own, which only a node that status nodes watch needs: an
/// unwatched node's is `()`, of no size, and it reports nothing.
pub trait DelayStatus {
    /// The state at start-up: no report pending.
    const IDLE: Self;
    /// `random` reports how many wait around each message (Node-RED does
    /// while the node's `timeout` is at least a second).
    const COUNTS_RANDOM: bool;
    /// When the pending depth report is due (`reportDepth`'s `busy`
    /// timer), for a node that keeps one.
    fn depth_report(&mut self) -> Option<&mut Option<u64>>;
}

impl DelayStatus for () {
    const IDLE: Self = ();
    const COUNTS_RANDOM: bool = false;
    fn depth_report(&mut self) -> Option<&mut Option<u64>> {
        None
    }
}

/// The status of a `rate` (without `drop`), `queue` or `timed` node that
/// status nodes watch: its queue's depth, reported [`DEPTH_REPORT_MS`]
/// after the first change since the last report.
pub struct DepthReport {
    due: Option<u64>,
}

impl DelayStatus for DepthReport {
    const IDLE: Self = DepthReport { due: None };
    const COUNTS_RANDOM: bool = false;
    fn depth_report(&mut self) -> Option<&mut Option<u64>> {
        Some(&mut self.due)
    }
}

/// The status of a `random` node that status nodes watch and whose
/// `timeout` is at least a second: how many wait, after each message
/// arrives and after each leaves.
pub struct RandomCounts;

impl DelayStatus for RandomCounts {
    const IDLE: Self = RandomCounts;
    const COUNTS_RANDOM: bool = true;
    fn depth_report(&mut self) -> Option<&mut Option<u64>> {
        None
    }
}

/// A `delay` node holding up to `Q` messages of `N` bytes, keeping `S` for
/// its status.
pub struct Delay<const N: usize, const Q: usize, S: DelayStatus = ()> {
    pub info: NodeInfo,
    mode: DelayMode,
    /// Node-RED's `outputs` is 2: what `rate` with `drop` drops, and what a
    /// newer message of its topic replaces in `queue` and `timed`, leaves on
    /// the second output.
    second_output: bool,
    waiting: heapless::Vec<Waiting<N>, Q>,
    /// The interval now, which `msg.rate` may have changed.
    interval_ms: f64,
    /// When the interval fires next; `None` while it does not run.
    next_release: Option<u64>,
    /// When `rate` with `drop` last let a message through.
    last_sent: Option<u64>,
    /// The state of the generator `random` draws its waits from.
    random: u32,
    status: S,
}

const FLUSH: &[PathSegment<'static>] = &[PathSegment::Key("flush")];
const RESET: &[PathSegment<'static>] = &[PathSegment::Key("reset")];

impl<const N: usize, const Q: usize, S: DelayStatus> Delay<N, Q, S> {
    pub const fn new(info: NodeInfo, mode: DelayMode, second_output: bool) -> Self {
        let interval_ms = match mode {
            DelayMode::Rate { interval_ms, .. }
            | DelayMode::Queue { interval_ms, .. }
            | DelayMode::Timed { interval_ms, .. } => interval_ms,
            DelayMode::Fixed { .. } | DelayMode::Random { .. } | DelayMode::Burst { .. } => 0.0,
        };
        Self {
            info,
            mode,
            second_output,
            waiting: heapless::Vec::new(),
            interval_ms,
            next_release: None,
            last_sent: None,
            random: seed(info.id),
            status: S::IDLE,
        }
    }

    /// How many messages wait in the node.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

impl<const N: usize, const Q: usize, S: DelayStatus> Finishing<N> for Delay<N, Q, S> {
    /// A message arrives at `now` (milliseconds on the node's clock), and
    /// `finished` is given each message the node has finished with
    /// (Node-RED's `done()`), as often as Node-RED calls it. In `delay`, `delayv` and `random` modes: one sent, one
    /// dropped by `msg.reset` (that message too), and a message with
    /// `msg.flush` after what it flushes (twice when it holds nothing else:
    /// once as it is dropped, once after the flush). In `rate`: a message
    /// once it leaves (the first at once, the queued as they leave; those a
    /// reset drops never), and a message with `msg.flush` or `msg.reset`
    /// once more for each; with `drop`, every message as it arrives. In
    /// `queue` and `timed`: a message as it leaves, is replaced by a newer
    /// one of its topic, or is dropped by a reset, and a message with
    /// `msg.flush` or `msg.reset` once more for each. Each is given as it is
    /// once sent, so `out` must send copies (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.start_at(now);
        match self.mode {
            DelayMode::Fixed { ms, variable } => {
                let wait = match msg.property("delay").map(number_in) {
                    Some(delay) if variable && !delay.is_nan() => delay,
                    _ => ms,
                };
                self.hold(now, wait.max(0.0), device, msg, out, finished);
            }
            DelayMode::Random { first_ms, last_ms } => {
                let wait = first_ms + (last_ms - first_ms) * self.draw();
                self.hold(now, wait, device, msg, out, finished);
            }
            DelayMode::Rate { drop: false, .. } => {
                self.rate_queue(now, device, msg, out, finished);
            }
            DelayMode::Rate { drop: true, .. } => self.rate_drop(now, msg, out, finished),
            DelayMode::Queue { .. } | DelayMode::Timed { .. } => {
                self.topic_queue(now, device, msg, out, finished);
            }
            DelayMode::Burst { .. } => {
                let reset = msg.get(RESET).is_some();
                burst::without_place(reset, self.second_output, msg, out, finished);
            }
        }
    }

    /// The clock reads `now`: what is due leaves, and `finished` is given
    /// each message that leaves, as [`Delay::input_finishing`] gives them.
    fn tick_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        _device: &Device,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.start_at(now);
        match self.mode {
            DelayMode::Fixed { .. } | DelayMode::Random { .. } => {
                while let Some(index) = self.next_due(now) {
                    self.release_held(index, out, finished);
                }
            }
            DelayMode::Rate { drop: false, .. } => {
                let release = self.next_release.filter(|at| *at <= now);
                // A depth report due no later than the interval goes first,
                // as Node.js runs the earlier of two timers first (and of
                // two due together, here the one set first).
                self.report_depth_due(release.unwrap_or(now), out);
                if let Some(at) = release {
                    // Node-RED's `sendMsgFromBuffer`: an empty queue stops
                    // the interval, until the next message starts it again.
                    if self.waiting.is_empty() {
                        self.next_release = None;
                    } else {
                        self.next_release = Some(at.saturating_add(timer_ms(self.interval_ms)));
                        self.send_oldest(1, &["_msgid"], out, finished);
                    }
                    self.report_depth_later(now);
                }
                self.report_depth_due(now, out);
            }
            DelayMode::Rate { drop: true, .. } | DelayMode::Burst { .. } => {}
            DelayMode::Queue { .. } | DelayMode::Timed { .. } => {
                let release = self.next_release.filter(|at| *at <= now);
                self.report_depth_due(release.unwrap_or(now), out);
                if let Some(at) = release {
                    self.next_release = Some(at.saturating_add(timer_ms(self.interval_ms)));
                    let count = match self.mode {
                        DelayMode::Queue { .. } => 1,
                        _ => self.waiting.len(),
                    };
                    for _ in 0..count.min(self.waiting.len()) {
                        self.release(0, out, finished);
                    }
                    self.report_depth_later(now);
                }
                self.report_depth_due(now, out);
            }
        }
    }
}

impl<const N: usize, const Q: usize, S: DelayStatus> Delay<N, Q, S> {
    /// Node-RED's `reportDepth`: unless a report is pending, one is due
    /// [`DEPTH_REPORT_MS`] from `now`, of the depth then. Only a node that
    /// keeps a [`DepthReport`] has one.
    fn report_depth_later(&mut self, now: u64) {
        if let Some(due) = self.status.depth_report() {
            if due.is_none() {
                *due = Some(now.saturating_add(DEPTH_REPORT_MS));
            }
        }
    }

    /// Reports how many wait, as a blue dot, if a depth report is due by
    /// `by`.
    fn report_depth_due<O: Outputs<N>>(&mut self, by: u64, out: &mut O) {
        let Some(due) = self.status.depth_report() else {
            return;
        };
        if due.is_some_and(|at| at <= by) {
            *due = None;
            self.report_waiting(out);
        }
    }

    /// Starts the interval of `queue` and `timed`, which runs from the
    /// node's start, at the first moment the node sees the clock.
    fn start_at(&mut self, now: u64) {
        if matches!(self.mode, DelayMode::Queue { .. } | DelayMode::Timed { .. })
            && self.next_release.is_none()
        {
            self.next_release = Some(now.saturating_add(timer_ms(self.interval_ms)));
        }
    }

    /// `delay`, `delayv`, `random`: the message waits `wait` ms, unless it
    /// carries nothing but `flush`; then `reset` drops everything waiting
    /// (this message too), or `flush` sends what waits, oldest first.
    fn hold<O: Outputs<N>>(
        &mut self,
        now: u64,
        wait: f64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let flush = msg.get(FLUSH);
        if flush.is_none() || has_content(msg, &["_msgid", "flush"]) {
            let due = now.saturating_add(timer_ms(wait));
            self.keep(device, false, due, msg.clone());
        } else {
            // Node-RED clears the timer it made for a message that holds
            // nothing but `flush`, which calls `done()`.
            finished(msg);
        }
        let reset = msg.get(RESET).is_some();
        if reset {
            for waiting in &self.waiting {
                finished(&waiting.msg);
            }
            self.waiting.clear();
            self.report_status(NodeStatus::new("blue", "ring").with_text("0"), out);
        } else if let Some(flush) = flush {
            for _ in 0..whole(flush_len(flush, self.waiting.len())) {
                self.release_held(0, out, finished);
            }
            self.report_waiting(out);
            finished(msg);
        }
        match self.mode {
            // `delayv` reports after a reset and a flush alike, as its
            // checks are not chained: a flush after a reset finds nothing.
            DelayMode::Fixed { variable: true, .. } => {
                if reset && flush.is_some() {
                    self.report_waiting(out);
                }
                self.report_waiting(out);
            }
            // So does `random`, and it reports how many wait after every
            // message while its `timeout` is at least a second.
            DelayMode::Random { .. } => {
                if reset && flush.is_some() {
                    self.report_waiting(out);
                }
                if S::COUNTS_RANDOM {
                    self.report_waiting(out);
                }
            }
            DelayMode::Fixed { ms, .. } if !reset && flush.is_none() && ms > 1000.0 => {
                self.report_waiting(out);
            }
            _ => {}
        }
    }

    /// Sends the waiting message at `index`, for `delay`, `delayv` and
    /// `random`, with the status Node-RED's timer reports around it:
    /// `delay` (over a second) how many wait, before the message leaves;
    /// `delayv` a clear status once none waits, then how many wait;
    /// `random` (when it counts) how many wait, after it leaves.
    fn release_held<O: Outputs<N>>(
        &mut self,
        index: usize,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if index >= self.waiting.len() {
            return;
        }
        let mut waiting = self.waiting.remove(index);
        let report_after = match self.mode {
            DelayMode::Fixed { variable: true, .. } => {
                if self.waiting.is_empty() {
                    self.report_status(NodeStatus::CLEAR, out);
                }
                true
            }
            DelayMode::Fixed { ms, .. } => {
                if ms > 1000.0 {
                    self.report_waiting(out);
                }
                false
            }
            DelayMode::Random { .. } => S::COUNTS_RANDOM,
            _ => false,
        };
        out.send(0, &mut waiting.msg);
        finished(&waiting.msg);
        if report_after {
            self.report_waiting(out);
        }
    }

    /// Reports how many messages wait, as a blue dot.
    fn report_waiting<O: Outputs<N>>(&self, out: &mut O) {
        if out.reports_status() {
            let count = CountText::new(self.waiting.len());
            out.status(&NodeStatus::new("blue", "dot").with_text(count.as_str()));
        }
    }

    fn report_status<O: Outputs<N>>(&self, status: NodeStatus<'_>, out: &mut O) {
        if out.reports_status() {
            out.status(&status);
        }
    }

    /// `rate` without `drop`: the first message goes at once and starts the
    /// interval; while it runs, messages queue (at the front with
    /// `msg.toFront`) and one leaves each time it fires. The queue keeps
    /// each message as it came, which is what Node-RED's `done()` gives;
    /// what leaves is that without `msg.flush`.
    fn rate_queue<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let mut copy = msg.clone();
        copy.remove(FLUSH);
        let reset = msg.get(RESET).is_some();
        let flush = msg.get(FLUSH);
        if has_content(&copy, &["_msgid"]) {
            let rate = self.msg_rate(&copy);
            if self.next_release.is_some() {
                if let Some(rate) = rate.filter(|rate| *rate != self.interval_ms) {
                    self.interval_ms = rate;
                    self.next_release = Some(now.saturating_add(timer_ms(rate)));
                }
                let to_front = msg.property("toFront") == Some(ValueRef::Bool(true));
                self.keep(device, to_front, 0, msg.clone());
                self.report_depth_later(now);
            } else {
                if let Some(rate) = rate {
                    self.interval_ms = rate;
                }
                if !reset {
                    out.send(0, &mut copy);
                } else if flush.is_some() {
                    self.keep(device, false, 0, msg.clone());
                }
                self.report_depth_later(now);
                self.next_release = Some(now.saturating_add(timer_ms(self.interval_ms)));
                finished(msg);
            }
        }
        if let Some(flush) = flush {
            let len = flush_len(flush, self.waiting.len());
            if len == 0.0 {
                self.next_release = None;
            } else {
                self.send_oldest(whole(len), &["_msgid"], out, finished);
                self.next_release = Some(now.saturating_add(timer_ms(self.interval_ms)));
            }
            self.report_waiting(out);
            finished(msg);
        }
        if reset {
            if flush.is_none() {
                self.next_release = None;
                self.last_sent = None;
            }
            // Node-RED empties its queue without `done()` for what it held.
            self.reset();
            self.report_status(NodeStatus::new("blue", "ring").with_text("0"), out);
            finished(msg);
        }
    }

    /// `rate` with `drop`: a message goes if the last one that went is more
    /// than an interval old; otherwise it is dropped, or sent on the second
    /// output.
    fn rate_drop<O: Outputs<N>>(
        &mut self,
        now: u64,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if msg.get(RESET).is_some() {
            if msg.get(FLUSH).is_none() {
                self.last_sent = None;
            }
            self.reset();
            self.report_status(NodeStatus::new("blue", "ring").with_text("0"), out);
            finished(msg);
            return;
        }
        if let Some(rate) = self.msg_rate(msg) {
            self.interval_ms = rate;
        }
        // Compared as Node-RED compares: an interval that is not a number
        // (`msg.rate` of `"100ms"`) lets nothing more through.
        let due = self
            .last_sent
            .is_none_or(|last| now.saturating_sub(last) as f64 > self.interval_ms);
        if due {
            self.last_sent = Some(now);
            out.send(0, msg);
        } else if self.second_output {
            out.send(1, msg);
        }
        finished(msg);
    }

    /// `queue` and `timed`: the message replaces the one of its topic
    /// (`_none_` when it has none), or joins the end of the queue.
    fn topic_queue<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if let Some(rate) = self.msg_rate(msg).filter(|rate| *rate != self.interval_ms) {
            self.interval_ms = rate;
            self.next_release = Some(now.saturating_add(timer_ms(rate)));
        }
        if msg.topic().is_none() {
            let named = msg.set_property("topic", &Str("_none_"));
            if device.check(named, ErrorKind::Oversize).is_none() {
                return;
            }
        }
        let same_topic = msg.topic().and_then(|topic| {
            self.waiting.iter().position(|waiting| {
                waiting
                    .msg
                    .topic()
                    .is_some_and(|other| strictly_equal(topic, other))
            })
        });
        let second_output = self.second_output;
        // Where the message now waits: Node-RED's queue holds the message
        // itself, so a flush that sends it out changes what `done()` gives.
        let at = match same_topic.and_then(|index| Some((index, self.waiting.get_mut(index)?))) {
            Some((index, waiting)) => {
                let mut replaced = core::mem::replace(&mut waiting.msg, msg.clone());
                if second_output {
                    out.send(1, &mut replaced);
                }
                finished(&replaced);
                Some(index)
            }
            None => {
                let before = self.waiting.len();
                self.keep(device, false, 0, msg.clone());
                self.report_depth_later(now);
                (self.waiting.len() > before).then_some(before)
            }
        };
        let flush = msg.get(FLUSH);
        let reset = msg.get(RESET).is_some();
        let mut flushed_out = false;
        if let Some(flush) = flush {
            // Node-RED takes `Math.min(Math.floor(n, len))` here, so any
            // number counts; more than wait would throw there.
            let count = whole(flush_len(flush, usize::MAX)).min(self.waiting.len());
            flushed_out = at.is_some_and(|at| at < count);
            self.send_oldest(count, &["_msgid", "topic"], out, finished);
        }
        if flush.is_some() {
            self.report_status(NodeStatus::CLEAR, out);
            finish_input(msg, flushed_out, finished);
        }
        if reset {
            for waiting in &self.waiting {
                finished(&waiting.msg);
            }
            self.reset();
            self.report_status(
                NodeStatus {
                    text: Some("reset"),
                    ..NodeStatus::CLEAR
                },
                out,
            );
            finish_input(msg, flushed_out, finished);
        }
    }

    /// `msg.reset`: nothing waits, and the interval is the configured one.
    fn reset(&mut self) {
        self.waiting.clear();
        if let Some((interval_ms, _)) = self.mode.interval_ms() {
            self.interval_ms = interval_ms;
        }
    }

    /// `msg.rate`, where the node lets it change the interval: a number of
    /// milliseconds, read as Node-RED gates it (`parseFloat`) and uses it.
    fn msg_rate(&self, msg: &Msg<N>) -> Option<f64> {
        let (_, allow_rate) = self.mode.interval_ms()?;
        let rate = msg.property("rate").filter(|_| allow_rate)?;
        (!number_in(rate).is_nan()).then(|| rate.to_number())
    }

    /// Puts a message in the queue, or counts it dropped when the queue is full.
    fn keep(&mut self, device: &Device, to_front: bool, due: u64, msg: Msg<N>) {
        let waiting = Waiting { due, msg };
        let kept = if to_front {
            self.waiting.insert(0, waiting)
        } else {
            self.waiting.push(waiting)
        };
        if kept.is_err() {
            // Node-RED's text when its `nodeMessageBufferMaxLength` is hit.
            device.report_error(
                ErrorKind::QueueFull,
                "too many pending messages in delay node",
            );
        }
    }

    /// The waiting message due first by `now`, the oldest of equals.
    fn next_due(&self, now: u64) -> Option<usize> {
        self.waiting
            .iter()
            .enumerate()
            .filter(|(_, waiting)| waiting.due <= now)
            .min_by_key(|(index, waiting)| (waiting.due, *index))
            .map(|(index, _)| index)
    }

    /// Sends the `count` oldest waiting messages, as `rate`, `queue` and
    /// `timed` flush them: without `flush` and `reset`, and only those that
    /// still have a property besides the `ignored`; `finished` is given
    /// each one sent, as Node-RED's `done()` gives it: `rate` queues a copy
    /// and is done with the message as it came, `queue` and `timed` queue
    /// the message and are done with it as sent.
    fn send_oldest<O: Outputs<N>>(
        &mut self,
        count: usize,
        ignored: &[&str],
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let as_it_came = matches!(self.mode, DelayMode::Rate { .. });
        for _ in 0..count.min(self.waiting.len()) {
            let mut oldest = self.waiting.remove(0).msg;
            let came = as_it_came.then(|| oldest.clone());
            oldest.remove(FLUSH);
            oldest.remove(RESET);
            if has_content(&oldest, ignored) {
                out.send(0, &mut oldest);
                finished(came.as_ref().unwrap_or(&oldest));
            }
        }
    }

    /// Sends the waiting message at `index`, and is finished with it.
    fn release<O: Outputs<N>>(
        &mut self,
        index: usize,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if index < self.waiting.len() {
            let mut waiting = self.waiting.remove(index);
            out.send(0, &mut waiting.msg);
            finished(&waiting.msg);
        }
    }

    /// Node-RED's `Math.random()`: a xorshift generator, seeded from the
    /// node's id, in `[0, 1)`.
    fn draw(&mut self) -> f64 {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.random = x;
        f64::from(x >> 8) / f64::from(1u32 << 24)
    }
}

/// Node-RED's `done()` for a message `queue` or `timed` was given: once a
/// flush has sent it out of the queue (`flushed_out`), it is without
/// `flush` and `reset`, as the flush left it.
fn finish_input<const N: usize>(
    msg: &Msg<N>,
    flushed_out: bool,
    finished: &mut impl FnMut(&Msg<N>),
) {
    if flushed_out {
        let mut left = msg.clone();
        left.remove(FLUSH);
        left.remove(RESET);
        finished(&left);
    } else {
        finished(msg);
    }
}

/// A non-zero seed from the node's id (FNV-1a).
const fn seed(id: &str) -> u32 {
    let bytes = id.as_bytes();
    let mut hash: u32 = 0x811c_9dc5;
    let mut index = 0;
    while index < bytes.len() {
        // `index < len`, checked by the loop.
        #[allow(clippy::indexing_slicing)]
        let byte = bytes[index];
        hash = (hash ^ byte as u32).wrapping_mul(0x0100_0193);
        index += 1;
    }
    if hash == 0 {
        1
    } else {
        hash
    }
}

/// `parseFloat(value)` for the values a message property holds: a number
/// as it is, text read as `parseFloat` reads it, anything else not a number.
pub(super) fn number_in(value: ValueRef<'_>) -> f64 {
    match value {
        ValueRef::Number(n) => n,
        ValueRef::Str(text) => parse_float(text),
        _ => f64::NAN,
    }
}

/// Node-RED's count of the messages `msg.flush` sends out of `waiting`:
/// all of them, or for a number `Math.min(Math.floor(n), waiting)`, which
/// may be negative or NaN (then none go).
fn flush_len(flush: ValueRef<'_>, waiting: usize) -> f64 {
    match flush {
        ValueRef::Number(n) if n.is_nan() => f64::NAN,
        ValueRef::Number(n) => super::range::floor(n).min(waiting as f64),
        _ => waiting as f64,
    }
}

/// How many messages a count of [`flush_len`] sends.
fn whole(len: f64) -> usize {
    if len >= 1.0 {
        // At most the queue's length, so the cast is exact.
        len as usize
    } else {
        0
    }
}

/// Whether the message has a property other than those named, as Node-RED
/// counts a message's keys (its `_msgid` among them) before it sends.
fn has_content<const N: usize>(msg: &Msg<N>, ignored: &[&str]) -> bool {
    msg.properties()
        .iter()
        .any(|(key, _)| !ignored.contains(&key))
}

/// JavaScript's `===` between two values of different messages: equal
/// primitives; arrays, objects and buffers are never the same object.
pub(super) fn strictly_equal(a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
    match (a, b) {
        (ValueRef::Null, ValueRef::Null) => true,
        (ValueRef::Bool(a), ValueRef::Bool(b)) => a == b,
        (ValueRef::Number(a), ValueRef::Number(b)) => a == b,
        (ValueRef::Str(a), ValueRef::Str(b)) => a == b,
        _ => false,
    }
}

impl<const N: usize, const Q: usize, S: DelayStatus> Node<N> for Delay<N, Q, S> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(crate::platform::uptime_ms(), device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        self.tick_at(crate::platform::uptime_ms(), device, out);
    }
}
