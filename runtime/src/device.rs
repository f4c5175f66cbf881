//! The device a firmware runs on: its identity, its error counters, and the
//! timers that drive its time-based nodes.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::cron::Schedule;

/// The kinds of error event a device counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum ErrorKind {
    /// A message reached a node that was still handling an earlier one.
    Reentered,
    /// A node received a value it cannot work with (wrong type, out of range).
    BadValue,
    /// A message would have outgrown the device's message capacity.
    Oversize,
    /// A message found a bounded queue full: a loop's, a delay node's, or
    /// a trigger node's table of topics.
    QueueFull,
    /// The MQTT outbox was full: its oldest message was dropped.
    OutboxFull,
    /// The MQTT session failed: the broker refused or the link broke.
    Mqtt,
    /// A node's bounded memory (a filter's topics) was full: it forgot what
    /// it had used least recently to make room.
    StateFull,
    /// A link call's subroutine did not answer within the call's
    /// `timeout`.
    Timeout,
}

const N_ERROR_KINDS: usize = 8;

impl ErrorKind {
    /// Every kind, in the order a device reports them.
    pub const ALL: [ErrorKind; N_ERROR_KINDS] = [
        ErrorKind::Reentered,
        ErrorKind::BadValue,
        ErrorKind::Oversize,
        ErrorKind::QueueFull,
        ErrorKind::OutboxFull,
        ErrorKind::Mqtt,
        ErrorKind::StateFull,
        ErrorKind::Timeout,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Reentered => "reentered",
            ErrorKind::BadValue => "bad value",
            ErrorKind::Oversize => "oversize",
            ErrorKind::QueueFull => "queue full",
            ErrorKind::OutboxFull => "outbox full",
            ErrorKind::Mqtt => "mqtt",
            ErrorKind::StateFull => "state full",
            ErrorKind::Timeout => "timeout",
        }
    }
}

/// An error a node reported with the message in hand, as Node-RED's nodes
/// call `node.error(text, msg)`: what catch nodes are told of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported {
    pub kind: ErrorKind,
    /// Node-RED's text for the error: a fixed string, or one made from
    /// the value that failed, as V8 words it (a `JSON.parse` error); else
    /// the kind's words ([`ErrorKind::name`]).
    pub message: ErrorMessage,
}

/// The text of a reported error: see [`Reported::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorMessage {
    Fixed(&'static str),
    Made(ErrorText),
}

impl ErrorMessage {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorMessage::Fixed(text) => text,
            ErrorMessage::Made(text) => text.as_str(),
        }
    }
}

/// How many bytes an error's text made at run time may take: more than the
/// longest text V8 makes for a `JSON.parse` error (see
/// [`crate::json::v8_parse_error`]), so that no such text is cut.
pub const ERROR_TEXT_CAPACITY: usize = 128;

/// An error's text made at run time, in a fixed buffer. Written with
/// `core::fmt`; what does not fit is cut at the last whole character that
/// does, and [`ErrorText::is_cut`] says so.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorText {
    bytes: [u8; ERROR_TEXT_CAPACITY],
    len: usize,
    cut: bool,
}

impl ErrorText {
    pub const fn new() -> Self {
        Self {
            bytes: [0; ERROR_TEXT_CAPACITY],
            len: 0,
            cut: false,
        }
    }

    pub fn as_str(&self) -> &str {
        let written = self.bytes.get(..self.len).unwrap_or_default();
        // Only whole characters are ever copied in.
        core::str::from_utf8(written).unwrap_or_default()
    }

    /// Whether some of what was written did not fit.
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

impl Default for ErrorText {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::fmt::Write for ErrorText {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        for character in text.chars() {
            let mut encoded = [0; 4];
            let encoded = character.encode_utf8(&mut encoded).as_bytes();
            let end = self.len.saturating_add(encoded.len());
            match self.bytes.get_mut(self.len..end) {
                Some(room) if !self.cut => {
                    room.copy_from_slice(encoded);
                    self.len = end;
                }
                _ => self.cut = true,
            }
        }
        Ok(())
    }
}

/// One device of the flow, as the generated crate declares it.
pub struct Device {
    pub name: &'static str,
    /// The flow file this firmware was generated from.
    pub flow: &'static str,
    errors: [AtomicU32; N_ERROR_KINDS],
    /// The error last reported and not yet taken, so that the node that
    /// reported it can be found and its catch nodes told (see
    /// [`crate::nodes::catch_error`]).
    pending: spin::Mutex<Option<Reported>>,
}

impl Device {
    pub const fn new(name: &'static str, flow: &'static str) -> Self {
        Self {
            name,
            flow,
            errors: [
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
                AtomicU32::new(0),
            ],
            pending: spin::Mutex::new(None),
        }
    }

    /// Records an error event, or its absence.
    pub fn check<T, E>(&self, result: Result<T, E>, kind: ErrorKind) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(_) => {
                self.report(kind);
                None
            }
        }
    }

    /// Records an error event that catch nodes are told of, with the
    /// kind's words: the device's own limits (a message that does not
    /// fit, a full queue), which Node-RED does not have, and errors
    /// Node-RED reports with a V8 text the device does not make.
    pub fn report(&self, kind: ErrorKind) {
        self.report_error(kind, kind.name());
    }

    /// Records an error event where Node-RED's node calls
    /// `node.error(text, msg)` with a fixed `text`: catch nodes get it as
    /// `msg.error.message`.
    pub fn report_error(&self, kind: ErrorKind, message: &'static str) {
        self.report_message(kind, ErrorMessage::Fixed(message));
    }

    /// Records an error event where Node-RED's node calls
    /// `node.error(text, msg)` with a `text` made from the value that
    /// failed (V8's words for a `JSON.parse` error).
    pub fn report_error_text(&self, kind: ErrorKind, message: ErrorText) {
        self.report_message(kind, ErrorMessage::Made(message));
    }

    fn report_message(&self, kind: ErrorKind, message: ErrorMessage) {
        self.count(kind);
        *self.pending.lock() = Some(Reported { kind, message });
    }

    /// Records an error event where Node-RED's node only warns or logs
    /// (`node.warn`, `node.log`), or reports no message: counted for the
    /// device's report, told to no catch node.
    pub fn report_uncaught(&self, kind: ErrorKind) {
        self.count(kind);
    }

    fn count(&self, kind: ErrorKind) {
        if let Some(counter) = self.errors.get(kind as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The error last reported since the last time this was asked, if
    /// any. Generated code asks right after a node that a catch node
    /// watches has handled a message, and before it sends one on, so that
    /// the error is the node's own.
    pub fn take_error(&self) -> Option<Reported> {
        self.pending.lock().take()
    }

    /// Forgets the error last reported: what happened before a node runs
    /// is not the node's.
    pub fn forget_error(&self) {
        *self.pending.lock() = None;
    }

    /// How many error events of a kind happened since start-up.
    pub fn error_count(&self, kind: ErrorKind) -> u32 {
        self.errors
            .get(kind as usize)
            .map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

    /// The kinds of error that happened since start-up, each with its
    /// count, in the order of [`ErrorKind::ALL`].
    pub fn errors_seen(&self) -> impl Iterator<Item = (ErrorKind, u32)> + '_ {
        ErrorKind::ALL
            .into_iter()
            .map(|kind| (kind, self.error_count(kind)))
            .filter(|(_, count)| *count > 0)
    }

    /// What a board prints when the device stops, so that whoever ran it
    /// sees what went wrong meanwhile: every kind of error with its count,
    /// `psos: device NAME stopped; errors: reentered 0, bad value 2, ...`.
    pub fn stop_report(&self) -> StopReport<'_> {
        StopReport(self)
    }
}

/// A device's last line: see [`Device::stop_report`].
pub struct StopReport<'a>(&'a Device);

impl core::fmt::Display for StopReport<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "psos: device {} stopped; errors:", self.0.name)?;
        for (index, kind) in ErrorKind::ALL.into_iter().enumerate() {
            let separator = if index == 0 { " " } else { ", " };
            write!(f, "{separator}{} {}", kind.name(), self.0.error_count(kind))?;
        }
        Ok(())
    }
}

/// A timer that fires a node: after `first_ms` from start-up (if set), then
/// every `every_ms` (if set), or else at each time its `schedule` (a
/// crontab, on the wall clock) matches. The compiler emits one per
/// time-driven node.
#[derive(Clone, Copy, Debug)]
pub struct Timer {
    pub first_ms: Option<u64>,
    pub every_ms: Option<u64>,
    pub schedule: Option<&'static Schedule>,
    pub fire: fn(),
}

/// The time on the two clocks a timer table is read by: milliseconds since
/// the timer task started, and the wall clock (milliseconds since 1970).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    pub elapsed_ms: u64,
    pub wall_ms: u64,
}

impl Timer {
    /// When the timer fires first, in milliseconds after start-up.
    pub fn first_deadline(&self, now: Clocks) -> Option<u64> {
        self.first_ms
            .or(self.every_ms)
            .or_else(|| self.scheduled_after(now.wall_ms, now))
    }

    /// When the timer fires again after firing at `fired_at`, which was its
    /// `first_ms` when `was_first` is true; `now` is read after it fired.
    pub fn next_deadline(&self, fired_at: u64, was_first: bool, now: Clocks) -> Option<u64> {
        if let Some(every) = self.every_ms {
            return (every > 0).then(|| fired_at.saturating_add(every));
        }
        let after = if was_first && self.first_ms.is_some() {
            // Node-RED starts the schedule once the first message is sent.
            now.wall_ms
        } else {
            // The wall-clock second the timer was due in, found from how
            // late it fired, and half a second on: the clocks may disagree
            // by a few milliseconds, and the same second must not fire twice.
            let late_ms = now.elapsed_ms.saturating_sub(fired_at);
            now.wall_ms.saturating_sub(late_ms).saturating_add(500)
        };
        self.scheduled_after(after, now)
    }

    /// The schedule's next time after the wall-clock time `after_ms`, as a
    /// deadline on the timer task's clock. Both clocks are read in whole
    /// milliseconds, which may put the deadline up to a millisecond before
    /// the second it stands for: one more keeps it on or after the second,
    /// as a crontab fires in Node-RED.
    fn scheduled_after(&self, after_ms: u64, now: Clocks) -> Option<u64> {
        let next_ms = self.schedule?.next_after(after_ms)?;
        Some(
            now.elapsed_ms
                .saturating_add(next_ms.saturating_sub(now.wall_ms))
                .saturating_add(1),
        )
    }
}
