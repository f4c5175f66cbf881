//! `link call` and a `link out` in return mode, for subroutines that
//! several link calls call: the call records itself in the message, as
//! Node-RED records it in `msg._linkSource`, and the return sends the
//! message back to the call that recorded itself last. (A subroutine with
//! one caller needs neither: psosc wires its return to the call's outputs,
//! through a [`LinkAnswer`] when a complete node watches the call. A
//! watched call that records itself has a [`LinkAnswer`] too, which the
//! return's port for that call leads to.) A [`DynamicLinkCall`] looks the
//! link in it calls up in `msg.target`, in a table psosc fixes at build
//! time, and records itself as a call does. A [`TimedLinkCall`] is a call
//! whose subroutine may answer after the call has returned (it holds or
//! drops the message, or sends it to another device): it keeps each call
//! waiting in a table of fixed size until its answer comes back through
//! it, and reports Node-RED's `timeout` error for the calls its
//! subroutine does not answer in time. An [`UnlinkedCall`] is a static
//! call that names no link in, which only reports that.

use core::fmt::Write;

use crate::msg::PathSegment;
use crate::value::ValueRef;
use crate::{ConstValue, Device, ErrorKind, ErrorText, Msg, Node, NodeInfo, Outputs};

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
    start_records(device, msg)
        .is_some_and(|depth| push_record(device, msg, depth, f64::from(caller)))
}

/// Makes sure the message has a list of records, as Node-RED starts one
/// when the message has none (`msg._linkSource || []`); its length, or
/// `None` when the message has no room for it (an error counted).
fn start_records<const N: usize>(device: &Device, msg: &mut Msg<N>) -> Option<usize> {
    match msg.property(LINK_SOURCE) {
        Some(ValueRef::Array(items)) => Some(items.len()),
        _ => {
            let empty = ConstValue::Array(&[]);
            let started = msg.set(&[PathSegment::Key(LINK_SOURCE)], &empty);
            device.check(started, ErrorKind::Oversize).map(|()| 0)
        }
    }
}

/// Adds `record` after the `depth` records of the message's list.
fn push_record<const N: usize>(
    device: &Device,
    msg: &mut Msg<N>,
    depth: usize,
    record: f64,
) -> bool {
    let path = [PathSegment::Key(LINK_SOURCE), PathSegment::Index(depth)];
    device
        .check(msg.set(&path, &record), ErrorKind::Oversize)
        .is_some()
}

/// How many call numbers a record keeps apart from its ticket: a record
/// is `caller + TICKETS * ticket`, and the ticket of a call that does not
/// wait for its answer is 0, so its record is its number.
const TICKETS: u64 = 1 << 16;

/// The largest record: a caller and a ticket of 32 bits, exact in an
/// `f64`.
const MAX_RECORD: u64 = TICKETS << 32;

/// A call's record in `msg._linkSource`.
fn record_of(caller: u16, ticket: u32) -> f64 {
    // Below 2^48, so exact in an `f64`.
    (u64::from(caller) + TICKETS * u64::from(ticket)) as f64
}

/// The caller and the ticket a record names; `None` for anything a call
/// does not write.
fn read_record(record: f64) -> Option<(u16, u32)> {
    if !(0.0..MAX_RECORD as f64).contains(&record) {
        return None;
    }
    // In range, so the cast keeps the whole part.
    let whole = record as u64;
    if whole as f64 != record {
        return None;
    }
    let caller = u16::try_from(whole % TICKETS).ok()?;
    let ticket = u32::try_from(whole / TICKETS).ok()?;
    Some((caller, ticket))
}

/// The record a return leaves for a call that waits for its answer,
/// marked answered: `-record - 1`, which no call writes.
fn answered_record(record: f64) -> f64 {
    -record - 1.0
}

/// Takes the last of the message's records off, and the list once it is
/// empty, as Node-RED does.
fn pop_record<const N: usize>(msg: &mut Msg<N>, last: usize) {
    if last == 0 {
        msg.remove(&[PathSegment::Key(LINK_SOURCE)]);
    } else {
        msg.remove(&[PathSegment::Key(LINK_SOURCE), PathSegment::Index(last)]);
    }
}

/// The message's last record, with its place in the list.
fn last_record<const N: usize>(msg: &Msg<N>) -> Option<(usize, f64)> {
    let Some(ValueRef::Array(items)) = msg.property(LINK_SOURCE) else {
        return None;
    };
    let last = items.len().checked_sub(1)?;
    match items.get(last) {
        Some(ValueRef::Number(record)) => Some((last, record)),
        _ => None,
    }
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
        if let Some(port) = dynamic_port(device, self.targets, msg) {
            if record_call(device, msg, self.caller) {
                out.send(port, msg);
            }
        }
    }
}

/// The port of the link in `msg.target` names among `targets`; `None`
/// after reporting Node-RED's error for catch nodes when it names none.
fn dynamic_port<const N: usize>(
    device: &Device,
    targets: &[LinkTarget],
    msg: &Msg<N>,
) -> Option<usize> {
    let target = msg.property("target");
    match find_target(targets, target) {
        Ok(port) => Some(port),
        Err(error) => {
            // `node.error(error, msg)` with an `Error`, whose text
            // (`toString()`) catch nodes get; the target as `${target}`
            // writes it, empty when falsy (`target || ""`).
            let mut text = ErrorText::new();
            let (before, after) = match error {
                LookupError::NotFound => NOT_FOUND,
                LookupError::Ambiguous => ("Error: Multiple link-in nodes named '", "' found"),
            };
            let _ = text.write_str(before);
            if let Some(target) = target.filter(ValueRef::is_truthy) {
                let _ = target.write_js_text(&mut text);
            }
            let _ = text.write_str(after);
            device.report_error_text(ErrorKind::BadValue, text);
            None
        }
    }
}

/// Node-RED's error for a call that finds no link in, as catch nodes get
/// it (`Error.toString()`): the words before and after the target.
const NOT_FOUND: (&str, &str) = ("Error: target link-in node '", "' not found");

/// A static `link call` that names no enabled link in (its `links` are
/// empty, or name a disabled one): as Node-RED's, it reports the error
/// `target link-in node 'TARGET' not found` for each message, to catch
/// nodes with the message as it came, counted as a bad value, and sends
/// nothing (nor tells complete nodes). `target` is the id its `links`
/// name first, empty for none. It has no ports.
pub struct UnlinkedCall {
    pub info: NodeInfo,
    target: &'static str,
}

impl UnlinkedCall {
    pub const fn new(info: NodeInfo, target: &'static str) -> Self {
        Self { info, target }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        _msg: &mut Msg<N>,
        _out: &mut O,
    ) {
        let mut text = ErrorText::new();
        let (before, after) = NOT_FOUND;
        let _ = text.write_str(before);
        let _ = text.write_str(self.target);
        let _ = text.write_str(after);
        device.report_error_text(ErrorKind::BadValue, text);
    }
}

impl<const N: usize> Node<N> for UnlinkedCall {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        UnlinkedCall::input(self, device, msg, out);
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
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // A message that no call recorded goes nowhere, as in Node-RED.
        let Some((last, record)) = last_record(msg) else {
            return;
        };
        let called = read_record(record).and_then(|(caller, ticket)| {
            let port = self.callers.iter().position(|number| *number == caller)?;
            Some((port, ticket))
        });
        match called {
            // A call that waits for its answer takes its record off itself,
            // as it takes the wait off: the return leaves it marked.
            Some((port, ticket)) if ticket > 0 => {
                let path = [PathSegment::Key(LINK_SOURCE), PathSegment::Index(last)];
                let marked = msg.set(&path, &answered_record(record));
                if device.check(marked, ErrorKind::Oversize).is_some() {
                    out.send(port, msg);
                }
            }
            Some((port, _)) => {
                pop_record(msg, last);
                out.send(port, msg);
            }
            // Node-RED takes the entry off, and the list once it is empty.
            None => pop_record(msg, last),
        }
    }
}

impl<const N: usize> Node<N> for LinkReturn {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        LinkReturn::input(self, device, msg, out);
    }
}

/// A `link call` whose subroutine may answer after the call has
/// returned, as `60-link.js` runs every call: each call waits in a table
/// of `K` places, with a deadline `timeout_ms` after it was made, until
/// its answer comes back through the call; at the deadline the call
/// reports Node-RED's error `timeout` and forgets the call. `H` is `K`
/// when catch nodes watch the call, which then keeps a copy of each
/// message as it was sent (`RED.util.cloneMessage`) for the error it
/// hands them, and 0 otherwise.
///
/// Its ports are those of a [`LinkCall`] (`targets` `None`: one, to its
/// link in) or of a [`DynamicLinkCall`] (`Some`: one a link in), and one
/// more, the answer port, to what the call is wired to. A call records
/// itself with a ticket (`caller + 65536 * ticket`); the return leaves
/// that record marked answered and sends the message back here, which
/// takes the record off, settles the wait and sends the answer on. An
/// answer that finds no wait (its call timed out, or it is a second
/// answer) is sent on all the same, as Node-RED's `returnLinkMessage`
/// sends what it finds no wait for, but without calling `done()`: a call
/// complete nodes watch has a port for these after the answer port
/// ([`Self::with_late_port`]), which leads to what the call is wired to
/// while the answer port leads to its `LinkAnswer`. A call that found the
/// table full waits for nothing, and its answers go by the answer port.
///
/// The table is locked only while a call is put in or taken out, never
/// while a message travels: an answer that comes back within the call,
/// from a subroutine that answers at once, finds it free.
pub struct TimedLinkCall<const N: usize, const K: usize, const H: usize> {
    pub info: NodeInfo,
    caller: u16,
    targets: Option<&'static [LinkTarget]>,
    timeout_ms: u64,
    late_port: bool,
    waits: spin::Mutex<Waits<N, K, H>>,
}

/// The bit of a ticket that marks a call that found no place to wait:
/// its answers are never late.
const UNKEPT: u32 = 1 << 31;

/// The calls a [`TimedLinkCall`] waits on, and the messages they sent
/// when it keeps them (place `k` of `held` belongs to place `k` of
/// `calls`).
struct Waits<const N: usize, const K: usize, const H: usize> {
    last_ticket: u32,
    calls: [Option<Waiting>; K],
    held: [Msg<N>; H],
}

#[derive(Clone, Copy, Debug)]
struct Waiting {
    ticket: u32,
    deadline_ms: u64,
}

impl<const N: usize, const K: usize, const H: usize> TimedLinkCall<N, K, H> {
    pub const fn new(
        info: NodeInfo,
        caller: u16,
        targets: Option<&'static [LinkTarget]>,
        timeout_ms: u64,
    ) -> Self {
        Self {
            info,
            caller,
            targets,
            timeout_ms,
            late_port: false,
            waits: spin::Mutex::new(Waits {
                last_ticket: 0,
                calls: [None; K],
                held: [const { Msg::new() }; H],
            }),
        }
    }

    /// The call with a port after its answer port for the answers that
    /// find no wait, for a call complete nodes watch.
    #[must_use]
    pub const fn with_late_port(mut self) -> Self {
        self.late_port = true;
        self
    }

    /// The port answers leave by: after the link in nodes'.
    pub fn answer_port(&self) -> usize {
        self.targets.map_or(1, <[LinkTarget]>::len)
    }

    /// The port the answers that find no wait leave by: the answer port's
    /// next when the call has one for them.
    pub fn late_port(&self) -> usize {
        self.answer_port() + usize::from(self.late_port)
    }

    /// How many calls wait for their answers.
    pub fn waiting(&self) -> usize {
        self.waits.lock().calls.iter().flatten().count()
    }

    pub fn input<O: Outputs<N>>(&self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(crate::platform::uptime_ms(), device, msg, out);
    }

    /// A message at `now_ms` (uptime): an answer to one of this call's
    /// calls, or a call.
    pub fn input_at<O: Outputs<N>>(
        &self,
        now_ms: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        if let Some((last, ticket)) = self.answered(msg) {
            pop_record(msg, last);
            let port = if self.settle(ticket) || ticket & UNKEPT != 0 {
                self.answer_port()
            } else {
                self.late_port()
            };
            out.send(port, msg);
            return;
        }
        let port = match self.targets {
            None => 0,
            Some(targets) => match dynamic_port(device, targets, msg) {
                Some(port) => port,
                None => return,
            },
        };
        let Some(depth) = start_records(device, msg) else {
            return;
        };
        let (ticket, kept) = self.wait(now_ms, msg);
        if !kept {
            device.report_uncaught(ErrorKind::QueueFull);
            self.info.log(
                device,
                format_args!("{K} calls already wait for their answers: this one cannot time out"),
            );
        }
        if push_record(device, msg, depth, record_of(self.caller, ticket)) {
            out.send(port, msg);
        } else {
            // Dropped (and counted) for want of room for its record: no
            // answer will come, and no timeout is owed for it.
            self.settle(ticket);
        }
    }

    /// Takes the call with `ticket` out of the table, if it waits there;
    /// whether it did.
    fn settle(&self, ticket: u32) -> bool {
        let mut waits = self.waits.lock();
        let place = waits
            .calls
            .iter_mut()
            .find(|place| place.is_some_and(|call| call.ticket == ticket));
        place.map(|place| *place = None).is_some()
    }

    /// Puts a call in the table with a new ticket, and a copy of the
    /// message as it is sent when the call keeps them; the ticket, and
    /// whether the table had room.
    fn wait(&self, now_ms: u64, msg: &Msg<N>) -> (u32, bool) {
        let mut waits = self.waits.lock();
        // Tickets start again at 1 after 2³¹ − 1 calls: 0 is a call that
        // waits for none, and the top bit one that found no place.
        let ticket = waits
            .last_ticket
            .checked_add(1)
            .filter(|ticket| ticket & UNKEPT == 0)
            .unwrap_or(1);
        waits.last_ticket = ticket;
        let Some(place) = waits.calls.iter().position(Option::is_none) else {
            return (ticket | UNKEPT, false);
        };
        let deadline_ms = now_ms.saturating_add(self.timeout_ms);
        if let Some(slot) = waits.calls.get_mut(place) {
            *slot = Some(Waiting {
                ticket,
                deadline_ms,
            });
        }
        if let Some(held) = waits.held.get_mut(place) {
            held.clone_from(msg);
        }
        (ticket, true)
    }

    /// The place of the message's last record and its ticket, when it is
    /// one of this call's, marked answered by its return.
    fn answered(&self, msg: &Msg<N>) -> Option<(usize, u32)> {
        let (last, record) = last_record(msg)?;
        if record >= 0.0 {
            return None;
        }
        let (caller, ticket) = read_record(-record - 1.0)?;
        (caller == self.caller && ticket > 0).then_some((last, ticket))
    }

    pub fn tick<O: Outputs<N>>(&self, device: &Device, out: &mut O) {
        self.tick_at(crate::platform::uptime_ms(), device, out);
    }

    /// Times out, earliest deadline first, the calls whose deadline is
    /// `now_ms` or before: each reports `timeout`, with the message it
    /// sent for the catch nodes when the call keeps them.
    pub fn tick_at<O: Outputs<N>>(&self, now_ms: u64, device: &Device, out: &mut O) {
        let mut expired = Msg::<N>::new();
        while self.take_expired(now_ms, &mut expired) {
            // `node.error("timeout", messageEvent.msg)`.
            device.report_error(ErrorKind::Timeout, "timeout");
            if H > 0 {
                out.error_with(&expired);
            }
        }
    }

    /// Takes the call whose deadline is earliest out of the table, if it
    /// has passed at `now_ms`, its message into `expired`.
    fn take_expired(&self, now_ms: u64, expired: &mut Msg<N>) -> bool {
        let mut waits = self.waits.lock();
        let due = waits
            .calls
            .iter()
            .enumerate()
            .filter_map(|(place, call)| call.map(|call| (call.deadline_ms, call.ticket, place)))
            .filter(|(deadline_ms, ..)| *deadline_ms <= now_ms)
            .min();
        let Some((.., place)) = due else {
            return false;
        };
        if let Some(slot) = waits.calls.get_mut(place) {
            *slot = None;
        }
        if let Some(held) = waits.held.get_mut(place) {
            core::mem::swap(held, expired);
        }
        true
    }
}

impl<const N: usize, const K: usize, const H: usize> Node<N> for TimedLinkCall<N, K, H> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        TimedLinkCall::input(self, device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        TimedLinkCall::tick(self, device, out);
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
