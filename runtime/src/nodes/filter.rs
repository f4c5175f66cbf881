//! `filter` (Node-RED's type `rbe`, "report by exception"): passes a
//! message on only when its property changed (`rbe`, `rbei`) or moved by
//! more or less than a gap (`deadband`, `narrowband` and their `Eq` forms),
//! as `function/rbe.js` does, step for step.
//!
//! Node-RED remembers the last value of every topic it has seen, without
//! bound. A device remembers at most `TOPICS` topics, each in `BYTES` bytes
//! (the topic's text and the encoded value), both chosen at build time.
//! A new topic when all are taken makes it forget the topic it used least
//! recently (`ErrorKind::StateFull`); a topic and value too large for
//! their room are not remembered (`ErrorKind::Oversize`), so the next
//! value of that topic counts as its first.

use core::fmt::{self, Write};

use super::delay::strictly_equal;
use crate::encoding::{decode, Encode};
use crate::msg::PathSegment;
use crate::text::SliceWriter;
use crate::value::{write_number, Members};
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// When a message passes (Node-RED's `func`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterMode {
    /// When the value differs from the last one; the first passes.
    Rbe,
    /// As `Rbe`, but the first value of a topic is only remembered.
    Rbei,
    /// When a number moved more than the gap away.
    Deadband,
    /// When a number moved the gap or more away.
    DeadbandEq,
    /// When a number moved no more than the gap away.
    Narrowband,
    /// When a number moved less than the gap away.
    NarrowbandEq,
}

/// How far a number must move (Node-RED's `gap`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gap {
    /// A fixed amount.
    Fixed(f64),
    /// A percentage of the value compared with (`"10%"`).
    Percent(f64),
}

/// The configuration of a filter node, as the compiler reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FilterSettings {
    pub mode: FilterMode,
    pub gap: Gap,
    /// The first value narrowband modes compare with (`start`); `None`
    /// takes the first number received.
    pub start: Option<f64>,
    /// Numbers are compared with the last number received (`inout` "in"),
    /// not the last one sent ("out").
    pub compare_input: bool,
    /// The property watched (`property`).
    pub path: &'static [PathSegment<'static>],
    /// The property that names a message's topic (`topi`), when topics are
    /// kept apart (`septopics`); `None` keeps one value for all.
    pub topic: Option<&'static [PathSegment<'static>]>,
}

/// Where Node-RED keeps the value of messages without a topic.
const NO_TOPIC: &str = "_no_topic";

pub struct Filter<const TOPICS: usize, const BYTES: usize> {
    pub info: NodeInfo,
    settings: FilterSettings,
    memory: Memory<TOPICS, BYTES>,
}

impl<const TOPICS: usize, const BYTES: usize> Filter<TOPICS, BYTES> {
    pub const fn new(info: NodeInfo, settings: FilterSettings) -> Self {
        Self {
            info,
            settings,
            memory: Memory::new(),
        }
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let topic = self.settings.topic.and_then(|path| msg.get(path));
        let mut room = [0; BYTES];
        if msg.property("reset").is_some() {
            match topic {
                // Node-RED forgets `msg.topic`, whichever property names
                // topics. A name too long to write was never remembered.
                Some(ValueRef::Str(text)) if !text.is_empty() => {
                    if let Some(key) = key_text(&mut room, msg.topic()) {
                        self.memory.forget(key);
                    }
                }
                _ => self.memory.clear(),
            }
        }
        // A message without the property is dropped.
        let Some(value) = msg.get(self.settings.path) else {
            return;
        };
        let topic = topic
            .filter(ValueRef::is_truthy)
            .unwrap_or(ValueRef::Str(NO_TOPIC));
        let key = key_text(&mut room, Some(topic));
        let send = match self.settings.mode {
            FilterMode::Rbe | FilterMode::Rbei => self.changed(device, key, value),
            _ => {
                let n = value.parse_float();
                if n.is_nan() {
                    // Node-RED warns, without an error a catch node sees.
                    self.info
                        .log(device, format_args!("no number found in payload"));
                    return;
                }
                self.moved(device, key, n)
            }
        };
        if send {
            out.send(0, msg);
        }
    }

    /// `rbe` and `rbei`: remembers the value; whether it is news.
    fn changed(&mut self, device: &Device, key: Option<&[u8]>, value: ValueRef<'_>) -> bool {
        let previous = key.and_then(|key| self.memory.get(key));
        let send = self.settings.mode == FilterMode::Rbe || previous.is_some();
        let changed = if is_object(value) {
            // Node-RED compares with an empty object where it remembers
            // none, so a first `{}` is no news.
            let empty = ValueRef::Object(Members::new(&[]));
            !compare_objects(value, previous.filter(|p| is_object(*p)).unwrap_or(empty))
        } else {
            previous.is_none_or(|previous| !strictly_equal(value, previous))
        };
        self.remember(device, key, &value);
        send && changed
    }

    /// The band modes: remembers the number compared with; whether the
    /// message passes.
    fn moved(&mut self, device: &Device, key: Option<&[u8]>, n: f64) -> bool {
        let FilterSettings {
            mode,
            gap,
            start,
            compare_input,
            ..
        } = self.settings;
        let narrow = matches!(mode, FilterMode::Narrowband | FilterMode::NarrowbandEq);
        let previous = match key.and_then(|key| self.memory.get(key)) {
            Some(ValueRef::Number(previous)) => Some(previous),
            _ if narrow => Some(start.unwrap_or(n)),
            _ => None,
        };
        let gap = match gap {
            Gap::Fixed(gap) => gap,
            // `Math.abs(previous * g / 100) || 0`: NaN (no previous) is 0.
            Gap::Percent(percent) => {
                let gap = abs(previous.unwrap_or(f64::NAN) * percent / 100.0);
                if gap.is_nan() {
                    0.0
                } else {
                    gap
                }
            }
        };
        let mut last = previous.unwrap_or(n - gap - 1.0);
        let distance = abs(n - last);
        let passes = if distance == gap {
            matches!(mode, FilterMode::DeadbandEq | FilterMode::Narrowband)
        } else if distance > gap {
            matches!(mode, FilterMode::Deadband | FilterMode::DeadbandEq)
        } else if distance < gap {
            narrow
        } else {
            false
        };
        if passes || compare_input {
            last = n;
        }
        self.remember(device, key, &last);
        passes
    }

    /// Stores what a topic is compared with next, counting what it cannot.
    fn remember<E: Encode>(&mut self, device: &Device, key: Option<&[u8]>, value: &E) {
        let stored = match key {
            Some(key) => self.memory.put(key, value),
            None => Stored::TooLarge,
        };
        match stored {
            Stored::Kept => {}
            Stored::Evicted => device.report(ErrorKind::StateFull),
            Stored::TooLarge => device.report(ErrorKind::Oversize),
        }
    }
}

impl<const N: usize, const TOPICS: usize, const BYTES: usize> Node<N> for Filter<TOPICS, BYTES> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Filter::input(self, device, msg, out);
    }
}

/// What `typeof` calls "object": arrays, buffers and `null` too.
fn is_object(value: ValueRef<'_>) -> bool {
    matches!(
        value,
        ValueRef::Null | ValueRef::Array(_) | ValueRef::Object(_) | ValueRef::Bytes(_)
    )
}

/// Node-RED's `RED.util.compareObjects`: arrays item by item, buffers byte
/// by byte, objects by their keys whatever their order, anything else with
/// `===`. Values are at most `MAX_DEPTH` deep, which bounds the recursion.
pub(crate) fn compare_objects(a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
    match (a, b) {
        (ValueRef::Array(a), ValueRef::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| compare_objects(a, b))
        }
        (ValueRef::Bytes(a), ValueRef::Bytes(b)) => a == b,
        (ValueRef::Object(a), ValueRef::Object(b)) => {
            a.iter().count() == b.iter().count()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| compare_objects(a, b)))
        }
        (a, b) => strictly_equal(a, b),
    }
}

/// JavaScript's `String(value)`, which names a topic's entry in Node-RED's
/// table; `None` is `undefined`.
fn write_js_string<W: Write>(value: Option<ValueRef<'_>>, out: &mut W) -> fmt::Result {
    match value {
        None => out.write_str("undefined"),
        Some(ValueRef::Null) => out.write_str("null"),
        Some(ValueRef::Bool(b)) => out.write_str(if b { "true" } else { "false" }),
        Some(ValueRef::Number(n)) => write_number(n, out),
        Some(ValueRef::Str(text)) => out.write_str(text),
        Some(ValueRef::Object(_)) => out.write_str("[object Object]"),
        Some(ValueRef::Bytes(bytes)) => {
            for chunk in bytes.utf8_chunks() {
                out.write_str(chunk.valid())?;
                if !chunk.invalid().is_empty() {
                    out.write_char(char::REPLACEMENT_CHARACTER)?;
                }
            }
            Ok(())
        }
        // Items joined by commas, `null` as nothing.
        Some(ValueRef::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.write_char(',')?;
                }
                if item != ValueRef::Null {
                    write_js_string(Some(item), out)?;
                }
            }
            Ok(())
        }
    }
}

/// `Math.abs`, which `core` lacks without the standard library.
fn abs(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & !(1 << 63))
}

/// A topic's name as `String(value)` writes it, in `room`; `None` when it
/// does not fit.
fn key_text<'a>(room: &'a mut [u8], value: Option<ValueRef<'_>>) -> Option<&'a [u8]> {
    let mut writer = SliceWriter::new(room);
    write_js_string(value, &mut writer).ok()?;
    Some(writer.written())
}

/// What became of a value to remember.
enum Stored {
    Kept,
    /// Kept in the place of the topic used least recently.
    Evicted,
    /// Not kept: topic and value need more than `BYTES`.
    TooLarge,
}

/// One remembered topic: its name, then its value encoded, in `bytes`.
struct Slot<const BYTES: usize> {
    /// When it was last used; 0 is never, a free slot.
    used: u64,
    key_len: usize,
    bytes: [u8; BYTES],
}

impl<const BYTES: usize> Slot<BYTES> {
    const FREE: Self = Self {
        used: 0,
        key_len: 0,
        bytes: [0; BYTES],
    };

    fn key(&self) -> &[u8] {
        self.bytes.get(..self.key_len).unwrap_or_default()
    }

    fn value(&self) -> Option<ValueRef<'_>> {
        decode(self.bytes.get(self.key_len..)?).map(|(value, _)| value)
    }
}

/// The topics a filter remembers, a fixed table of them.
struct Memory<const TOPICS: usize, const BYTES: usize> {
    slots: [Slot<BYTES>; TOPICS],
    /// Counts uses, to find the topic used least recently.
    clock: u64,
}

impl<const TOPICS: usize, const BYTES: usize> Memory<TOPICS, BYTES> {
    const fn new() -> Self {
        Self {
            slots: [Slot::FREE; TOPICS],
            clock: 0,
        }
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        self.slots
            .iter()
            .position(|slot| slot.used != 0 && slot.key() == key)
    }

    fn get(&self, key: &[u8]) -> Option<ValueRef<'_>> {
        self.slots.get(self.find(key)?)?.value()
    }

    fn put<E: Encode>(&mut self, key: &[u8], value: &E) -> Stored {
        let (index, stored) = match self.find(key) {
            Some(index) => (index, Stored::Kept),
            None => {
                let oldest = self
                    .slots
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, slot)| slot.used)
                    .map(|(index, slot)| (index, slot.used));
                match oldest {
                    Some((index, 0)) => (index, Stored::Kept),
                    Some((index, _)) => (index, Stored::Evicted),
                    // A table of no topics remembers nothing.
                    None => return Stored::TooLarge,
                }
            }
        };
        self.clock += 1;
        let clock = self.clock;
        let Some(slot) = self.slots.get_mut(index) else {
            return Stored::TooLarge;
        };
        let written = slot.bytes.get_mut(..key.len()).map(|room| {
            room.copy_from_slice(key);
        });
        let encoded = written.and_then(|()| value.encode(slot.bytes.get_mut(key.len()..)?));
        match encoded {
            Some(_) => {
                slot.used = clock;
                slot.key_len = key.len();
                stored
            }
            None => {
                *slot = Slot::FREE;
                Stored::TooLarge
            }
        }
    }

    fn forget(&mut self, key: &[u8]) {
        if let Some(slot) = self.find(key).and_then(|index| self.slots.get_mut(index)) {
            slot.used = 0;
        }
    }

    fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.used = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_forgets_the_topic_used_least_recently() {
        let mut memory = Memory::<2, 32>::new();
        assert!(matches!(memory.put(b"a", &1.0), Stored::Kept));
        assert!(matches!(memory.put(b"b", &2.0), Stored::Kept));
        assert!(matches!(memory.put(b"a", &3.0), Stored::Kept));
        assert!(matches!(memory.put(b"c", &4.0), Stored::Evicted));
        assert_eq!(memory.get(b"a"), Some(ValueRef::Number(3.0)));
        assert_eq!(memory.get(b"b"), None);
        assert_eq!(memory.get(b"c"), Some(ValueRef::Number(4.0)));
        // A key and value larger than a slot are not kept.
        assert!(matches!(memory.put(&[b'x'; 30], &5.0), Stored::TooLarge));
        memory.forget(b"a");
        assert_eq!(memory.get(b"a"), None);
        memory.clear();
        assert_eq!(memory.get(b"c"), None);
    }
}
