//! `debug`: prints one line per message, as Node-RED's console output does,
//! and on a device with a broker mirrors what Node-RED's debug sidebar would
//! show to an MQTT topic, as the sidebar's `debug` event carries it.

use core::fmt::{self, Write};

use crate::control::Switch;
use crate::encoding::{Encode, Str, BYTES, LENGTH};
use crate::msg::PathSegment;
use crate::text::Counter;
use crate::value::JsonEscaped;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// What a debug node shows of each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugTarget {
    WholeMessage,
    Property(&'static [PathSegment<'static>]),
}

/// Where a debug node mirrors Node-RED's sidebar message, and what of the
/// node the message names besides its id and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sidebar {
    /// The MQTT topic (the device's debug topic), published at QoS 0.
    pub topic: &'static str,
    /// The node's tab (`z`, none outside a tab) and flow path (`path`:
    /// its tab, or `global`), as Node-RED sends them.
    pub z: Option<&'static str>,
    pub path: &'static str,
    /// The node's `name`, none when the flow gives it none.
    pub name: Option<&'static str>,
    /// The property shown, as the node names it (`complete`); `None` when
    /// it shows the whole message.
    pub property: Option<&'static str>,
}

/// What a debug node with `tostatus` shows as its status (`statusType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugStatus {
    /// `auto`: what the node shows (the payload, for the whole message),
    /// unless the message has `msg.error` (its message, red) or
    /// `msg.status` (its fill, shape and text).
    Auto,
    /// `msg`: a message property.
    Property(&'static [PathSegment<'static>]),
    /// `counter`: how many messages the node has had, kept in a static
    /// of its own.
    Counter(&'static DebugCounter),
}

/// What a debug node with `statusType` "counter" keeps: how many messages
/// it has had, when the last came, and when a count held back is due, on
/// a clock of its own (the board's uptime on a device). psosc gives one,
/// in a static of its own, only to a counting node that status nodes
/// watch, with a timer that calls [`DebugCounter::tick`].
pub struct DebugCounter {
    clock: fn() -> u64,
    state: spin::Mutex<CounterState>,
}

struct CounterState {
    count: u64,
    /// When the last message came: Node-RED's `lastTime`, which starts
    /// when the node does.
    last_ms: u64,
    /// When the count held back is reported, if one is.
    due: Option<u64>,
}

/// A message that comes more than this many milliseconds after the one
/// before is counted at once; closer ones wait for [`COUNTER_WAIT_MS`].
pub const COUNTER_QUIET_MS: u64 = 100;

/// How long `21-debug.js` holds the count back after a message that came
/// close behind the one before, again from each such message.
pub const COUNTER_WAIT_MS: u64 = 200;

impl DebugCounter {
    /// A counter on the board's uptime.
    pub const fn on_uptime() -> Self {
        Self::new(crate::platform::uptime_ms)
    }

    /// A counter on `clock`, in milliseconds.
    pub const fn new(clock: fn() -> u64) -> Self {
        Self {
            clock,
            state: spin::Mutex::new(CounterState {
                count: 0,
                last_ms: 0,
                due: None,
            }),
        }
    }

    /// A message comes: the count, if it is reported at once.
    fn count(&self) -> Option<u64> {
        let now = (self.clock)();
        let mut state = self.state.lock();
        let since = now.saturating_sub(state.last_ms);
        state.last_ms = now;
        state.count = state.count.saturating_add(1);
        if since > COUNTER_QUIET_MS {
            Some(state.count)
        } else {
            state.due = Some(now.saturating_add(COUNTER_WAIT_MS));
            None
        }
    }

    /// A count held back and due by the clock is given to `report`. A
    /// count reported at once leaves a wait that was running as it is, so
    /// its count is reported again, as Node-RED's timer does.
    pub fn tick(&self, report: impl FnOnce(&crate::NodeStatus<'_>)) {
        let now = (self.clock)();
        let count = {
            let mut state = self.state.lock();
            match state.due {
                Some(due) if due <= now => {
                    state.due = None;
                    state.count
                }
                _ => return,
            }
        };
        report_count(count, report);
    }
}

/// One counter is only ever equal to itself.
impl PartialEq for DebugCounter {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for DebugCounter {}

/// Shown by name only: its count may be locked while it is shown.
impl fmt::Debug for DebugCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DebugCounter")
    }
}

/// The counter's status: a blue ring, the count as its text.
fn report_count(count: u64, report: impl FnOnce(&crate::NodeStatus<'_>)) {
    let text = crate::CountText::new(usize::try_from(count).unwrap_or(usize::MAX));
    report(&crate::NodeStatus::new("blue", "ring").with_text(text.as_str()));
}

/// How many UTF-16 units of a status text Node-RED's debug node keeps
/// (`debugStatusLength`, 32 by default) before it adds `...`.
pub const STATUS_LENGTH: usize = 32;

pub struct Debug {
    pub info: NodeInfo,
    target: DebugTarget,
    sidebar: Option<Sidebar>,
    status: Option<DebugStatus>,
    /// The status last reported, as a digest (none yet): Node-RED's node
    /// reports a status only when it differs from the one before.
    last_status: spin::Mutex<Option<u64>>,
}

impl Debug {
    pub const fn new(info: NodeInfo, target: DebugTarget) -> Self {
        Self {
            info,
            target,
            sidebar: None,
            status: None,
            last_status: spin::Mutex::new(None),
        }
    }

    /// The node reports a status for each message (`tostatus`); psosc
    /// sets this only on a debug node that status nodes watch.
    pub const fn with_status(self, status: DebugStatus) -> Self {
        Self {
            status: Some(status),
            ..self
        }
    }

    /// The node also sends, on port 0, each sidebar message as MQTT
    /// carries it (`topic`, `payload` as bytes, `qos` 0, `retain` false).
    pub const fn with_sidebar(self, sidebar: Sidebar) -> Self {
        Self {
            sidebar: Some(sidebar),
            ..self
        }
    }
}

/// The longest text the sidebar gets of a value, in UTF-16 units, as
/// Node-RED's `debugMaxLength` (1000 by default) cuts it.
const MAX_LENGTH: usize = 1000;

/// Node-RED's sidebar message for one message, as JSON:
/// `{id, z, path, name, topic, property, msg, format}`, with `msg` and
/// `format` as `RED.util.encodeObject` makes them.
struct SidebarJson<'a, const N: usize> {
    info: &'a NodeInfo,
    sidebar: &'a Sidebar,
    target: DebugTarget,
    msg: &'a Msg<N>,
}

impl<const N: usize> SidebarJson<'_, N> {
    fn write<W: Write>(&self, out: &mut W) -> fmt::Result {
        let text = |out: &mut W, key: &str, value: &str| -> fmt::Result {
            write!(out, ",\"{key}\":")?;
            ValueRef::Str(value).write_json(out)
        };
        out.write_str("{\"id\":")?;
        ValueRef::Str(self.info.id).write_json(out)?;
        if let Some(z) = self.sidebar.z {
            text(out, "z", z)?;
        }
        text(out, "path", self.sidebar.path)?;
        if let Some(name) = self.sidebar.name {
            text(out, "name", name)?;
        }
        if let Some(topic) = self.msg.topic() {
            out.write_str(",\"topic\":")?;
            topic.write_json(out)?;
        }
        if let Some(property) = self.sidebar.property {
            text(out, "property", property)?;
        }
        out.write_str(",\"msg\":\"")?;
        let format = match self.target {
            DebugTarget::WholeMessage => {
                write_members(&self.msg.properties(), &mut JsonEscaped(out))?;
                Format::Object
            }
            DebugTarget::Property(path) => write_shown(self.msg.get(path), &mut JsonEscaped(out))?,
        };
        out.write_str("\",\"format\":\"")?;
        match format {
            Format::Word(word) => out.write_str(word)?,
            Format::Object => out.write_str("Object")?,
            Format::Counted(kind, count) => write!(out, "{kind}[{count}]")?,
        }
        out.write_str("\"}")
    }
}

/// What `encodeObject` says a value is.
enum Format {
    Word(&'static str),
    Object,
    /// `string[5]`, `buffer[3]`, `array[2]`.
    Counted(&'static str, usize),
}

/// The text the sidebar shows of a value, and its format.
fn write_shown(value: Option<ValueRef<'_>>, out: &mut dyn Write) -> Result<Format, fmt::Error> {
    Ok(match value {
        None => {
            out.write_str("(undefined)")?;
            Format::Word("undefined")
        }
        Some(ValueRef::Null) => {
            out.write_str("(undefined)")?;
            Format::Word("null")
        }
        Some(ValueRef::Bool(b)) => {
            out.write_str(if b { "true" } else { "false" })?;
            Format::Word("boolean")
        }
        Some(number @ ValueRef::Number(_)) => {
            write!(out, "{number}")?;
            Format::Word("number")
        }
        Some(ValueRef::Str(text)) => {
            write_cut(text, out)?;
            Format::Counted("string", text.encode_utf16().count())
        }
        Some(ValueRef::Bytes(bytes)) => {
            for byte in bytes.iter().take(MAX_LENGTH / 2) {
                write!(out, "{byte:02x}")?;
            }
            Format::Counted("buffer", bytes.len())
        }
        Some(array @ ValueRef::Array(items)) => {
            write_json(array, out)?;
            Format::Counted("array", items.len())
        }
        Some(object @ ValueRef::Object(_)) => {
            write_json(object, out)?;
            Format::Object
        }
    })
}

/// Text as the sidebar gets it: at most `MAX_LENGTH` UTF-16 units, and
/// `...` after text that was cut.
fn write_cut(text: &str, out: &mut dyn Write) -> fmt::Result {
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > MAX_LENGTH {
            return out.write_str("...");
        }
        units += c.len_utf16();
        out.write_char(c)?;
    }
    Ok(())
}

/// A value as `encodeObject`'s `JSON.stringify` writes it, with its
/// replacer: strings cut, arrays longer than `MAX_LENGTH` as
/// `{"__enc__":true,"type":"array","data":[...],"length":n}`, Buffers as
/// `{"type":"Buffer","data":[...],"__enc__":true,"length":n}` with at most
/// `MAX_LENGTH` bytes. Nesting is bounded by what a message holds.
fn write_json(value: ValueRef<'_>, out: &mut dyn Write) -> fmt::Result {
    match value {
        ValueRef::Str(text) => {
            out.write_char('"')?;
            write_cut(text, &mut JsonEscaped(out))?;
            out.write_char('"')
        }
        ValueRef::Bytes(bytes) => {
            out.write_str("{\"type\":\"Buffer\",\"data\":[")?;
            for (index, byte) in bytes.iter().take(MAX_LENGTH).enumerate() {
                if index > 0 {
                    out.write_char(',')?;
                }
                write!(out, "{byte}")?;
            }
            write!(out, "],\"__enc__\":true,\"length\":{}}}", bytes.len())
        }
        ValueRef::Array(items) => {
            let length = items.len();
            if length > MAX_LENGTH {
                out.write_str("{\"__enc__\":true,\"type\":\"array\",\"data\":")?;
            }
            out.write_char('[')?;
            for (index, item) in items.iter().take(MAX_LENGTH).enumerate() {
                if index > 0 {
                    out.write_char(',')?;
                }
                write_json(item, out)?;
            }
            out.write_char(']')?;
            if length > MAX_LENGTH {
                write!(out, ",\"length\":{length}}}")?;
            }
            Ok(())
        }
        ValueRef::Object(members) => write_members(&members, out),
        other => other.write_json(out),
    }
}

fn write_members(members: &crate::Members<'_>, out: &mut dyn Write) -> fmt::Result {
    out.write_char('{')?;
    for (index, (key, value)) in members.iter().enumerate() {
        if index > 0 {
            out.write_char(',')?;
        }
        ValueRef::Str(key).write_json(out)?;
        out.write_char(':')?;
        write_json(value, out)?;
    }
    out.write_char('}')
}

impl<const N: usize> Encode for SidebarJson<'_, N> {
    fn encoded_len(&self) -> usize {
        let mut counter = Counter(0);
        let _ = self.write(&mut counter);
        1 + LENGTH + counter.0
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        crate::text::encode_written(BYTES, out, |writer| self.write(writer))
    }
}

/// What the line shows, printed without building a string.
struct Shown<'a, const N: usize> {
    msg: &'a Msg<N>,
    target: DebugTarget,
}

impl<const N: usize> fmt::Display for Shown<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target {
            DebugTarget::WholeMessage => self.msg.write_json(f),
            DebugTarget::Property(path) => match self.msg.get(path) {
                Some(value) => value.fmt(f),
                None => f.write_str("undefined"),
            },
        }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Debug {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        self.receive(true, device, msg, out);
    }

    /// The input of a node the editor's switch turns on and off
    /// (`control.rs`): while it is off, the node neither prints nor
    /// mirrors, as Node-RED's inactive node sends its sidebar nothing,
    /// and still reports its status.
    pub fn input_switched<const N: usize, O: Outputs<N>>(
        &self,
        switch: &Switch,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        self.receive(switch.is_on(), device, msg, out);
    }

    #[inline(always)]
    fn receive<const N: usize, O: Outputs<N>>(
        &self,
        active: bool,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // A status node wired back to this node: Node-RED's debug node
        // ignores its own status, so that it does not loop.
        if self.status.is_some() && is_own_status(msg, self.info.id) {
            return;
        }
        if active {
            self.show(device, msg, out);
        }
        match (self.status, out.reports_status()) {
            (Some(DebugStatus::Counter(counter)), true) => {
                if let Some(count) = counter.count() {
                    report_count(count, |status| out.status(status));
                }
            }
            (Some(status), true) => self.report_status(status, msg, out),
            _ => {}
        }
    }

    /// Prints the node's line and mirrors its sidebar message.
    #[inline(always)]
    fn show<const N: usize, O: Outputs<N>>(&self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        let shown = Shown {
            msg,
            target: self.target,
        };
        let label = self.info.label();
        match msg.topic() {
            Some(topic) => crate::platform::debug_line(format_args!(
                "[{}] [debug:{label}] {topic} : {shown}",
                device.name
            )),
            None => crate::platform::debug_line(format_args!(
                "[{}] [debug:{label}] {shown}",
                device.name
            )),
        }
        if let Some(sidebar) = &self.sidebar {
            let json = SidebarJson {
                info: &self.info,
                sidebar,
                target: self.target,
                msg,
            };
            let mut carried = Msg::<N>::new();
            let result = carried
                .set_property("topic", &Str(sidebar.topic))
                .and_then(|()| carried.set_property("payload", &json))
                .and_then(|()| carried.set_property("qos", &0.0))
                .and_then(|()| carried.set_property("retain", &false));
            // Node-RED's sidebar takes any message: a mirror too large for
            // the device is counted, and no catch node hears of it.
            match result {
                Ok(()) => out.send(0, &mut carried),
                Err(_) => device.report_uncaught(ErrorKind::Oversize),
            }
        }
    }

    /// Reports the status `21-debug.js` makes of the message, when it
    /// differs from the last one reported.
    fn report_status<const N: usize, O: Outputs<N>>(
        &self,
        kind: DebugStatus,
        msg: &Msg<N>,
        out: &mut O,
    ) {
        let output = match (kind, self.target) {
            (DebugStatus::Auto, DebugTarget::WholeMessage) => msg.payload(),
            (DebugStatus::Auto, DebugTarget::Property(path)) | (DebugStatus::Property(path), _) => {
                msg.get(path)
            }
            (DebugStatus::Counter(_), _) => return,
        };
        let mut fill = "grey";
        let mut shape = "dot";
        // The text, and whether it is cut: Node-RED cuts `st` when it is a
        // string, which the value shown always is (`util.inspect` of what
        // is not one), and a text taken from the message may not be.
        let mut text = output;
        let mut always_cut = true;
        if let Some(ValueRef::Object(object)) = output {
            let part = |key| object.get(key).filter(ValueRef::is_truthy);
            if let (Some(ValueRef::Str(f)), Some(ValueRef::Str(s)), Some(t)) =
                (part("fill"), part("shape"), part("text"))
            {
                (fill, shape, text, always_cut) = (f, s, Some(t), false);
            }
        }
        if kind == DebugStatus::Auto {
            if let Some(error) = msg.property("error") {
                fill = "red";
                text = match error {
                    ValueRef::Object(error) => error.get("message"),
                    _ => None,
                };
                always_cut = false;
                // Node-RED fails on an error without a message: no status.
                if text.is_none() {
                    return;
                }
            }
            if let Some(status) = msg.property("status") {
                let part = |key| match status {
                    ValueRef::Object(status) => status.get(key).filter(ValueRef::is_truthy),
                    _ => None,
                };
                fill = match part("fill") {
                    Some(ValueRef::Str(fill)) => fill,
                    _ => "grey",
                };
                shape = match part("shape") {
                    Some(ValueRef::Str(shape)) => shape,
                    _ => "ring",
                };
                text = Some(part("text").unwrap_or(ValueRef::Str("")));
                always_cut = false;
            }
        }
        let mut written = crate::StatusText::<{ STATUS_LENGTH * 4 + 4 }>::new();
        let cut = matches!(text, Some(ValueRef::Str(_))) || always_cut;
        let mut writer = Cut {
            out: &mut written,
            left: if cut { STATUS_LENGTH } else { usize::MAX },
            more: false,
        };
        let result = match text {
            Some(text) => write!(writer, "{text}"),
            None => writer.write_str("undefined"),
        };
        let more = writer.more;
        if result.is_err() {
            return;
        }
        if more && written.write_str("...").is_err() {
            return;
        }
        let status = crate::NodeStatus::new(fill, shape).with_text(written.as_str());
        let digest = digest(&status);
        {
            let mut last = self.last_status.lock();
            if *last == Some(digest) {
                return;
            }
            *last = Some(digest);
        }
        out.status(&status);
    }
}

/// Whether the message is a status this node reported
/// (`msg.status.source.id` is the node's id).
fn is_own_status<const N: usize>(msg: &Msg<N>, id: &str) -> bool {
    let path = [
        PathSegment::Key("status"),
        PathSegment::Key("source"),
        PathSegment::Key("id"),
    ];
    msg.get(&path) == Some(ValueRef::Str(id))
}

/// FNV-1a over a status's parts, each ended by a byte no text holds.
fn digest(status: &crate::NodeStatus<'_>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [status.fill, status.shape, status.text] {
        for byte in part.unwrap_or("").bytes().chain([0xff]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Writes text up to `left` UTF-16 units, and notes whether there was more.
pub(crate) struct Cut<'a, W: Write> {
    pub(crate) out: &'a mut W,
    pub(crate) left: usize,
    pub(crate) more: bool,
}

impl<W: Write> Write for Cut<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let units = c.len_utf16();
            if units > self.left || self.more {
                self.more = true;
                return Ok(());
            }
            self.left -= units;
            self.out.write_char(c)?;
        }
        Ok(())
    }
}

impl<const N: usize> Node<N> for Debug {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Debug::input(self, device, msg, out);
    }
}
