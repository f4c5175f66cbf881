//! `delay` in `burst` mode (Node-RED 5.0's `pauseType: "burst"`): up to
//! `rate` messages pass at once, each taking a place for one period
//! (`nbRateUnits` × `rateUnits`); a message that finds every place taken is
//! dropped, or sent on the second output; `msg.reset` frees every place.
//!
//! Node-RED counts the places taken (`node.inflight`) and keeps each
//! place's timer in an array at the index the count had when it was
//! taken (`node.timers[inflight - 1]`); a timer that runs out frees a
//! place, whichever it was. A reset clears the timers the array still
//! holds and sets the count to 0. So a timer whose index a later message
//! took over (a place freed while a younger one was still taken) is not
//! cleared: it runs out after the reset and frees a place no message took,
//! and from then on the node lets one more message through a period, until
//! a reset finds no such timer running. A device keeps the same count and
//! the same timers, each with the index Node-RED's array has for it, in
//! the order they run out (all last one period), so it passes, drops and
//! reports exactly as Node-RED does.
//!
//! The timers are `T` (twice the places, [`burst_timers`]), fixed at build
//! time. Without resets no more than `rate` run; a reset that leaves lost
//! timers running lets up to `rate` more run, so `T` is as many as Node-RED
//! can have running until a second reset comes while lost timers run. A
//! timer that finds no room then forgets the oldest lost one (whose place
//! stays taken until the next reset) and counts `ErrorKind::QueueFull`.

use super::{timer_ms, RESET};
use crate::nodes::Finishing;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, NodeStatus, Outputs};

/// The timers a burst node of `places` places keeps: twice as many, as a
/// reset can leave up to `places` running that Node-RED no longer clears.
pub const fn burst_timers(places: usize) -> usize {
    places.saturating_mul(2)
}

/// A place's timer: when it runs out, and the index of Node-RED's array
/// that holds it, `None` once a later timer took the index over or when
/// it was made at a negative one (Node-RED's reset does not clear it).
#[derive(Clone, Copy, Debug)]
struct PlaceTimer {
    due: u64,
    index: Option<u32>,
}

/// A `delay` node in `burst` mode, for messages of `N` bytes, with room
/// for `T` timers.
pub struct Burst<const N: usize, const T: usize> {
    pub info: NodeInfo,
    /// Node-RED's `node.burst`: the flow's `rate`, compared as a number.
    rate: f64,
    /// How long a place stays taken (`node.timer`), in milliseconds.
    period_ms: f64,
    /// Node-RED's `outputs` is 2: a message that finds no place leaves on
    /// the second output.
    second_output: bool,
    /// Node-RED's `node.inflight`: places taken, less the places lost
    /// timers freed since the last reset (so it may be below 0).
    inflight: i64,
    /// The timers running, in the order they run out.
    timers: heapless::Deque<PlaceTimer, T>,
}

/// The status a burst node shows while it has a place (after a reset,
/// and when a timer frees a place of a full node): a green ring.
pub const BURST_OPEN: NodeStatus<'static> = NodeStatus::new("green", "ring").with_text("");

/// The status a burst node shows when it drops a message: a red dot.
pub const BURST_FULL: NodeStatus<'static> = NodeStatus::new("red", "dot").with_text("");

impl<const N: usize, const T: usize> Burst<N, T> {
    pub const fn new(info: NodeInfo, rate: f64, period_ms: f64, second_output: bool) -> Self {
        Self {
            info,
            rate,
            period_ms,
            second_output,
            inflight: 0,
            timers: heapless::Deque::new(),
        }
    }

    /// How many timers run: the places taken, and those lost timers will
    /// free.
    pub fn running(&self) -> usize {
        self.timers.len()
    }

    /// The timers due by `now` run out, oldest first: each frees a place,
    /// and the node shows the green ring when it was full (Node-RED
    /// compares its count with `rate` before it counts the place free).
    fn run_timers<O: Outputs<N>>(&mut self, now: u64, out: &mut O) {
        while self.timers.front().is_some_and(|timer| timer.due <= now) {
            self.timers.pop_front();
            if self.inflight as f64 == self.rate {
                report(BURST_OPEN, out);
            }
            self.inflight -= 1;
        }
    }

    /// Takes a place at `now`: Node-RED's count goes up and a timer is set
    /// at the index the count then gives, which takes that index over from
    /// a timer that still runs there.
    fn take_place(&mut self, now: u64, device: &Device) {
        self.inflight += 1;
        let index = u32::try_from(self.inflight - 1).ok();
        if index.is_some() {
            for timer in self.timers.iter_mut() {
                if timer.index == index {
                    timer.index = None;
                }
            }
        }
        let timer = PlaceTimer {
            due: now.saturating_add(timer_ms(self.period_ms)),
            index,
        };
        if self.timers.is_full() {
            self.forget_lost_timer(device);
        }
        // With no lost timer to forget, every timer is in one of Node-RED's
        // `rate` indices, fewer than `T`: there is room.
        let _ = self.timers.push_back(timer);
    }

    /// Forgets the oldest lost timer, to make room, and counts it.
    fn forget_lost_timer(&mut self, device: &Device) {
        device.report_uncaught(ErrorKind::QueueFull);
        let Some(lost) = self.timers.iter().position(|timer| timer.index.is_none()) else {
            return;
        };
        // Rotate the lost timer to the front, drop it, and rotate back.
        for _ in 0..lost {
            if let Some(timer) = self.timers.pop_front() {
                let _ = self.timers.push_back(timer);
            }
        }
        self.timers.pop_front();
        for _ in 0..lost {
            if let Some(timer) = self.timers.pop_back() {
                let _ = self.timers.push_front(timer);
            }
        }
    }

    /// `msg.reset`: the timers Node-RED's array holds are cleared, lost
    /// ones run on, and the count starts again from 0.
    fn reset(&mut self) {
        let running = self.timers.len();
        for _ in 0..running {
            if let Some(timer) = self.timers.pop_front() {
                if timer.index.is_none() {
                    let _ = self.timers.push_back(timer);
                }
            }
        }
        self.inflight = 0;
    }
}

impl<const N: usize, const T: usize> Finishing<N> for Burst<N, T> {
    /// A message arrives at `now`: timers due by then run out first; a
    /// reset frees every place; a message that finds a place goes on
    /// port 0, one that finds none on port 1 with a second output, or
    /// nowhere. Node-RED calls `done()` for each message as its input
    /// returns, so `finished` is given it then; `out` must send copies
    /// (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.run_timers(now, out);
        let reset = msg.get(RESET).is_some();
        if reset {
            self.reset();
        } else if (self.inflight as f64) < self.rate {
            self.take_place(now, device);
            out.send(0, msg);
            finished(msg);
            return;
        }
        without_place(reset, self.second_output, msg, out, finished);
    }

    /// The clock reads `now`: timers due by then free their places.
    fn tick_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        _device: &Device,
        out: &mut O,
        _finished: &mut impl FnMut(&Msg<N>),
    ) {
        self.run_timers(now, out);
    }
}

impl<const N: usize, const T: usize> Node<N> for Burst<N, T> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(crate::platform::uptime_ms(), device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        self.tick_at(crate::platform::uptime_ms(), device, out);
    }
}

/// A message that takes no place: a reset (after it freed the places)
/// shows the green ring; any other message found none, and leaves on the
/// second output when the node has one, with the red dot. Node-RED is
/// done with either at once.
pub(super) fn without_place<const N: usize, O: Outputs<N>>(
    reset: bool,
    second_output: bool,
    msg: &mut Msg<N>,
    out: &mut O,
    finished: &mut impl FnMut(&Msg<N>),
) {
    if reset {
        report(BURST_OPEN, out);
    } else {
        if second_output {
            out.send(1, msg);
        }
        report(BURST_FULL, out);
    }
    finished(msg);
}

fn report<const N: usize, O: Outputs<N>>(status: NodeStatus<'_>, out: &mut O) {
    if out.reports_status() {
        out.status(&status);
    }
}
