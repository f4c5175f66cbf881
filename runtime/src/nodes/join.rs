//! `join`: puts messages together, as Node-RED's `17-split.js` does:
//! `auto` reverses a `split` by the `msg.parts` it set; `custom` builds a
//! string, a buffer, an array, an object or a merged object of a property
//! (or of whole messages) after a count, a time, or `msg.complete`.
//! (`reduce` needs JSONata; psosc refuses it.)
//!
//! Node-RED keeps any number of groups, each of any size. A device keeps
//! at most `G` groups at once, each with `B` bytes for the values it has
//! collected, both fixed at build time: a message of a new group when all
//! are taken is dropped and counted (`ErrorKind::QueueFull`), and a value
//! that does not fit in its group's room is dropped and counted
//! (`ErrorKind::Oversize`). As `delay`, the node works on the clock it is
//! given (`input_at`, `tick_at`); on a device it is the board's uptime.
//!
//! A group collects, for strings, buffers and arrays, entries of a 4-byte
//! index and an encoded value, put in order when the group is sent; for
//! objects, the members of the object itself. Object keys keep the order
//! they came in, also keys that read as numbers, which JavaScript would
//! put first.

use core::fmt::Write;

use super::complete::{Fate, Finishing, Pending, Unwatched};
use super::delay::timer_ms;
use super::split::{member_bytes, set_parts_below};
use crate::encoding::{decode, encoded_len_at, Encode, ARRAY, BYTES, LENGTH, STRING};
use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, MsgError, Node, NodeInfo, Outputs, ValueRef};

/// What a `custom` join makes (Node-RED's `build`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinBuild {
    String,
    Buffer,
    Array,
    Object,
    Merged,
}

/// What a group joins with (`joiner` and `joinerType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joiner {
    /// `str`, escapes read.
    Text(&'static str),
    /// `bin`: these bytes.
    Bytes(&'static [u8]),
}

/// How a `custom` join collects (its `mode` is `custom`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomJoin {
    pub build: JoinBuild,
    /// The property collected (`property`); `None` collects whole messages
    /// (`propertyType` `full`).
    pub path: Option<&'static [PathSegment<'static>]>,
    /// The property whose value is an object's key (`key`), and its name.
    pub key: &'static [PathSegment<'static>],
    pub key_name: &'static str,
    pub joiner: Joiner,
    /// Send after this many; 0 waits for `msg.complete` or the time.
    pub count: usize,
    /// `count` is empty: `msg.parts.count` (and `msg.parts.id`) decide.
    pub count_from_parts: bool,
    /// `timeout`, in milliseconds; 0 never.
    pub timeout_ms: f64,
    /// `accumulate`: a group sent stays and keeps growing.
    pub accumulate: bool,
    /// `useparts`: a message's `msg.parts` is its own; otherwise the parts
    /// a split pushed down come back up.
    pub use_parts: bool,
}

/// How a join node works (`mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JoinMode {
    Auto,
    Custom(CustomJoin),
}

/// What a group makes of its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    Buffer,
    /// An array; with `flatten`, array entries are spread (`parts.len` > 1).
    Array {
        flatten: bool,
    },
    Object,
    Merged,
}

/// Room for a group's id and its join text or bytes.
const SHORT: usize = 64;

/// One group being collected.
struct Group<const N: usize, const B: usize> {
    /// The id's text (`String(msg.parts.id)`, or `_`).
    id: heapless::String<SHORT>,
    kind: Kind,
    /// What strings and buffers are joined with; `None` where the parts
    /// gave none.
    joiner: Option<heapless::Vec<u8, SHORT>>,
    /// The property the result goes to, as `msg.parts.property` names it
    /// (auto); `None` for the node's own, or `payload`.
    property: Option<heapless::String<SHORT>>,
    /// The entries (see the module's documentation).
    entries: heapless::Vec<u8, B>,
    /// The length of the array so far, which a push appends at.
    length: u32,
    /// Node-RED's `currentCount`.
    count: usize,
    target: usize,
    due: Option<u64>,
    /// The message the result leaves in: the first, with the top-level
    /// properties of each later one assigned over it.
    msg: Msg<N>,
}

/// A `join` node with room for `G` groups of `B` bytes of values each, in
/// messages of `N` bytes, and in `P` the messages of its groups, which it
/// finishes with when their group is sent or dropped.
pub struct Join<const N: usize, const G: usize, const B: usize, P = Unwatched> {
    pub info: NodeInfo,
    mode: JoinMode,
    groups: heapless::Vec<Group<N, B>, G>,
    pending: P,
}

const PARTS: &str = "parts";
const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

impl<const N: usize, const G: usize, const B: usize, P: Pending<N>> Join<N, G, B, P> {
    pub const fn new(info: NodeInfo, mode: JoinMode) -> Self {
        Self {
            info,
            mode,
            groups: heapless::Vec::new(),
            pending: P::EMPTY,
        }
    }

    /// How many groups are being collected.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }
}

impl<const N: usize, const G: usize, const B: usize, P: Pending<N>> Finishing<N>
    for Join<N, G, B, P>
{
    /// A message arrives when the clock reads `now` (ms), and `finished`
    /// is given each message the node has finished with (Node-RED's
    /// `done()`), as it arrived (with its parts moved up where the node
    /// moves them): a message that joins a group when the group is sent
    /// (by its count, `msg.complete` or its time; an `accumulate` group's
    /// messages so far each time), or dropped by a `msg.reset` of its
    /// group (before that message); any other message as its input
    /// returns, but for the groups a blank `msg.reset` drops in `auto`
    /// mode, whose messages Node-RED never finishes with. `out` must send
    /// copies (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        if self.join_message(now, device, msg, out, finished) == Fate::Now {
            finished(msg);
        }
    }

    /// The clock reads `now` (ms): groups whose time is up are sent, and
    /// `finished` is given the messages of each (see
    /// [`Join::input_finishing`]).
    fn tick_finishing<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        while let Some(at) = self
            .groups
            .iter()
            .position(|group| group.due.is_some_and(|due| due <= now))
        {
            if let Some(group) = self.groups.get_mut(at) {
                group.due = None;
            }
            self.complete(at, device, out, finished);
        }
    }
}

impl<const N: usize, const G: usize, const B: usize, P: Pending<N>> Join<N, G, B, P> {
    /// Takes a message in; when the node is finished with it.
    fn join_message<O: Outputs<N>>(
        &mut self,
        now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) -> Fate {
        let parts = msg.property(PARTS);
        let parts_id = match parts {
            Some(ValueRef::Object(parts)) => parts.get("id"),
            _ => None,
        };
        let custom = match self.mode {
            JoinMode::Auto => {
                if parts_id.is_none() {
                    if msg.property("reset").is_some() {
                        self.groups.clear();
                        self.pending.clear();
                    } else {
                        self.info.log(
                            device,
                            format_args!(
                                "Message missing msg.parts property - cannot join in 'auto' mode"
                            ),
                        );
                    }
                    return Fate::Now;
                }
                None
            }
            JoinMode::Custom(custom) => Some(custom),
        };
        if custom.is_some_and(|custom| !custom.use_parts)
            && device
                .check(demote_parts(msg), ErrorKind::Oversize)
                .is_none()
        {
            return Fate::Never;
        }
        let parts = match msg.property(PARTS) {
            Some(ValueRef::Object(parts)) => Some(parts),
            _ => None,
        };
        let part = |key: &str| parts.and_then(|parts| parts.get(key));
        let mut id = heapless::String::<SHORT>::new();
        let id_text = match custom {
            None => part("id"),
            Some(custom) if custom.count_from_parts => part("id"),
            Some(_) => None,
        };
        let written = match id_text {
            Some(value) => value.write_js_text(&mut id),
            None => id.write_str("_"),
        };
        if written.is_err() {
            device.report(ErrorKind::Oversize);
            return Fate::Never;
        }
        let index = match custom {
            None => part("index").and_then(array_index),
            Some(_) => None,
        };
        // An index that is a number but no array index (`1.5`, `-1`):
        // Node-RED's `!isNaN(index)` still takes it, as the key its
        // JavaScript text names.
        let mut loose_key = heapless::String::<SHORT>::new();
        let loose = custom.is_none()
            && index.is_none()
            && part("index").is_some_and(|value| {
                !value.to_number().is_nan() && value.write_js_text(&mut loose_key).is_ok()
            });
        let target = match custom {
            None => part("count").map_or(0, count_of),
            Some(custom) if custom.count_from_parts && parts.is_some() => {
                part("count").map_or(0, count_of)
            }
            Some(custom) => custom.count,
        };
        let found = self.groups.iter().position(|group| group.id == id);
        if msg.property("restartTimeout").is_some() {
            if let (Some(custom), Some(group)) =
                (custom, found.and_then(|at| self.groups.get_mut(at)))
            {
                if custom.timeout_ms > 0.0 {
                    group.due = Some(now.saturating_add(timer_ms(custom.timeout_ms)));
                }
            }
        }
        if msg.property("reset").is_some() {
            if let Some(at) = found {
                self.groups.remove(at);
                self.pending.release(at, true, finished);
            }
            return Fate::Now;
        }
        let kind = match custom {
            None => match part("type") {
                Some(ValueRef::Str("string")) => Kind::String,
                Some(ValueRef::Str("buffer")) => Kind::Buffer,
                Some(ValueRef::Str("object")) => Kind::Object,
                Some(ValueRef::Str("merged")) => Kind::Merged,
                Some(ValueRef::Str("array")) => Kind::Array {
                    flatten: part("len").is_some_and(|len| len.to_number() > 1.0),
                },
                _ => Kind::Array { flatten: false },
            },
            Some(custom) => match custom.build {
                JoinBuild::String => Kind::String,
                JoinBuild::Buffer => Kind::Buffer,
                JoinBuild::Array => Kind::Array { flatten: false },
                JoinBuild::Object => Kind::Object,
                JoinBuild::Merged => Kind::Merged,
            },
        };
        // The key of an object's entry, as text.
        let mut key = heapless::String::<SHORT>::new();
        if kind == Kind::Object {
            let value = match custom {
                None => part("key"),
                Some(custom) => msg.get(custom.key),
            };
            let present = value
                .filter(|value| !matches!(value, ValueRef::Null) && *value != ValueRef::Str(""));
            let Some(value) = present else {
                match custom {
                    None => self.info.log(
                        device,
                        format_args!(
                            "Message missing 'msg.parts.key' property - cannot add to object"
                        ),
                    ),
                    Some(_) if msg.property("complete").is_some() => {
                        if let Some(at) = found {
                            let complete = msg.property("complete").unwrap_or(ValueRef::Null);
                            let set = self.groups.get_mut(at).map_or(Ok(()), |group| {
                                group.msg.set_property("complete", &complete)
                            });
                            if device.check(set, ErrorKind::Oversize).is_some() {
                                self.complete(at, device, out, finished);
                            }
                        }
                    }
                    Some(custom) => self.info.log(
                        device,
                        format_args!(
                            "Message missing key property 'msg.{}' - cannot add to object",
                            custom.key_name
                        ),
                    ),
                }
                return Fate::Now;
            };
            if value.write_js_text(&mut key).is_err() {
                device.report(ErrorKind::Oversize);
                return Fate::Never;
            }
        }
        let at = match found {
            Some(at) => at,
            None => {
                // Node-RED's text when its `nodeMessageBufferMaxLength` is
                // hit.
                const TOO_MANY: &str = "too many pending messages in join node";
                let Some(group) = self.new_group(id, kind, target, custom, msg, now) else {
                    device.report_error(ErrorKind::QueueFull, TOO_MANY);
                    return Fate::Never;
                };
                if self.groups.push(group).is_err() {
                    device.report_error(ErrorKind::QueueFull, TOO_MANY);
                    return Fate::Never;
                }
                self.groups.len() - 1
            }
        };
        let Some(group) = self.groups.get_mut(at) else {
            return Fate::Never;
        };
        let property = match custom {
            None => {
                let mut segments = [PathSegment::Key(""); crate::encoding::MAX_DEPTH];
                let name = match part("property") {
                    Some(ValueRef::Str(name)) if !name.is_empty() => name,
                    _ => "payload",
                };
                match parse_path(name, &mut segments) {
                    Some(path) => msg.get(path),
                    None => None,
                }
            }
            Some(CustomJoin {
                path: Some(path), ..
            }) => msg.get(path),
            Some(CustomJoin { path: None, .. }) => Some(ValueRef::Object(msg.properties())),
        };
        // Node-RED decides how a message joins by its own `msg.parts.type`
        // (`kind`), whatever the type of the message that made the group,
        // which decides only what the group holds (an object, or an array)
        // and what it makes when it is sent.
        let fails = match (kind, property) {
            // Node-RED's `done(error)` with its text, which names the
            // value's `typeof`.
            (Kind::Buffer, Some(ValueRef::Number(_))) => Some("Cannot join number to buffer"),
            (Kind::Buffer, Some(ValueRef::Bool(_))) => Some("Cannot join boolean to buffer"),
            (Kind::Buffer, Some(ValueRef::Null | ValueRef::Object(_))) => {
                Some("Cannot join object to buffer")
            }
            // A value pushed onto a group that holds an object throws.
            (Kind::String | Kind::Buffer | Kind::Array { .. }, Some(_))
                if index.is_none() && !loose && group.kind.holds_members() =>
            {
                Some(PUSH_ON_OBJECT)
            }
            _ => None,
        };
        if let Some(error) = fails {
            // Catch nodes get the error. Its `done` is already among the
            // group's, so the message is also finished with when the
            // group is sent or reset, as Node-RED calls that `done` again
            // then.
            self.pending.keep(device, at, msg);
            self.info
                .log(device, format_args!("{}", super::error_text(error)));
            device.report_error(ErrorKind::BadValue, error);
            return Fate::Later;
        }
        // A key a device cannot keep on an array is counted, and the
        // message joins without it.
        let put_keyed = |group: &mut Group<N, B>, name: &str, value| {
            if !group.put_keyed(name, value)? {
                device.report_uncaught(ErrorKind::BadValue);
            }
            Ok(())
        };
        let added = match kind {
            Kind::Object => match property {
                Some(value) => put_keyed(group, &key, value),
                None => Ok(()),
            },
            Kind::Merged => match property {
                Some(ValueRef::Object(members)) => members
                    .iter()
                    .filter(|(name, _)| *name != "_msgid")
                    .try_for_each(|(name, value)| put_keyed(group, name, value)),
                _ => {
                    if msg.property("complete").is_none() {
                        self.info
                            .log(device, format_args!("Cannot merge non-object types"));
                    }
                    Ok(())
                }
            },
            _ => match (index, property) {
                (Some(index), value) => group.put_indexed(index, value),
                (None, value) if loose => {
                    if group.kind.holds_members() {
                        group.put_named(&loose_key, value)
                    } else {
                        // A property beside an array's items, which a
                        // device cannot keep: counted.
                        device.report_uncaught(ErrorKind::BadValue);
                        Ok(())
                    }
                }
                (None, Some(value)) => group.put_item(group.length, Some(value)),
                (None, None) => Ok(()),
            },
        };
        let Some(group) = self.groups.get_mut(at) else {
            return Fate::Never;
        };
        if device.check(added, ErrorKind::Oversize).is_none() {
            return Fate::Never;
        }
        let assigned = msg
            .properties()
            .iter()
            .try_for_each(|(name, value)| group.msg.set_property(name, &value));
        if device.check(assigned, ErrorKind::Oversize).is_none() {
            return Fate::Never;
        }
        if group.target == 0 {
            group.target = part("count").map_or(0, count_of);
        }
        self.pending.keep(device, at, msg);
        if (group.target > 0 && group.count >= group.target) || msg.property("complete").is_some() {
            self.complete(at, device, out, finished);
        }
        Fate::Later
    }

    fn new_group(
        &self,
        id: heapless::String<SHORT>,
        kind: Kind,
        target: usize,
        custom: Option<CustomJoin>,
        msg: &Msg<N>,
        now: u64,
    ) -> Option<Group<N, B>> {
        let parts = match msg.property(PARTS) {
            Some(ValueRef::Object(parts)) => Some(parts),
            _ => None,
        };
        let part = |key: &str| parts.and_then(|parts| parts.get(key));
        let joiner = match (kind, custom) {
            (Kind::String, Some(custom)) => {
                // `joiner.toString()`: a buffer's bytes read as UTF-8.
                let mut text = heapless::String::<SHORT>::new();
                match custom.joiner {
                    Joiner::Text(joiner) => text.push_str(joiner).ok()?,
                    Joiner::Bytes(bytes) => ValueRef::Bytes(bytes).write_js_text(&mut text).ok()?,
                }
                Some(heapless::Vec::from_slice(text.as_bytes()).ok()?)
            }
            (Kind::Buffer, Some(custom)) => {
                let bytes = match custom.joiner {
                    Joiner::Text(text) => text.as_bytes(),
                    Joiner::Bytes(bytes) => bytes,
                };
                Some(heapless::Vec::from_slice(bytes).ok()?)
            }
            // Without `msg.parts.ch`, Node-RED fails when it joins: the
            // group is sent as nothing (see `complete`).
            (Kind::String, None) => match part("ch") {
                Some(ch) => {
                    let mut text = heapless::String::<SHORT>::new();
                    ch.write_js_text(&mut text).ok()?;
                    Some(heapless::Vec::from_slice(text.as_bytes()).ok()?)
                }
                None => None,
            },
            (Kind::Buffer, None) => match part("ch") {
                Some(ch) => Some(buffer_of(ch)?),
                None => None,
            },
            _ => None,
        };
        let property = match (custom, part("property")) {
            (None, Some(ValueRef::Str(name))) => Some(heapless::String::try_from(name).ok()?),
            _ => None,
        };
        let due = match custom {
            Some(custom) if custom.timeout_ms > 0.0 => {
                Some(now.saturating_add(timer_ms(custom.timeout_ms)))
            }
            _ => None,
        };
        Some(Group {
            id,
            kind,
            joiner,
            property,
            entries: heapless::Vec::new(),
            length: 0,
            count: 0,
            target,
            due,
            msg: msg.clone(),
        })
    }

    /// Node-RED's `completeSend`: the group's result leaves in its message,
    /// and the node is finished with the messages that made it.
    fn complete<O: Outputs<N>>(
        &mut self,
        at: usize,
        device: &Device,
        out: &mut O,
        finished: &mut dyn FnMut(&Msg<N>),
    ) {
        let (accumulate, whole) = match self.mode {
            JoinMode::Custom(custom) => (custom.accumulate, custom.path.is_none()),
            JoinMode::Auto => (false, false),
        };
        let Some(group) = self.groups.get_mut(at) else {
            return;
        };
        let keep = accumulate && group.msg.property("complete").is_none();
        group.due = None;
        if group.kind == Kind::String && group.joiner.is_none() {
            self.groups.remove(at);
            self.pending.forget(at);
            device.report(ErrorKind::BadValue);
            return;
        }
        let mut segments = [PathSegment::Key(""); crate::encoding::MAX_DEPTH];
        let path = match (&group.property, self.mode) {
            (Some(name), _) => parse_path(name, &mut segments),
            (
                None,
                JoinMode::Custom(CustomJoin {
                    path: Some(path), ..
                }),
            ) if !whole => Some(path),
            _ => Some(PAYLOAD),
        };
        let result = Result {
            kind: group.kind,
            entries: &group.entries,
            joiner: group.joiner.as_deref(),
        };
        let set = match path {
            Some(path) => group.msg.set(path, &result),
            None => Err(MsgError::BadPath),
        };
        let set = set.and_then(|()| pop_parts(&mut group.msg));
        group.msg.remove(&[PathSegment::Key("complete")]);
        let mut sent = group.msg.clone();
        if !keep {
            self.groups.remove(at);
        }
        if device.check(set, ErrorKind::Oversize).is_some() {
            out.send(0, &mut sent);
        }
        self.pending.release(at, !keep, finished);
    }
}

impl Kind {
    /// Whether a group of this kind holds an object's members (Node-RED's
    /// `{}`), rather than an array's items (`[]`).
    fn holds_members(self) -> bool {
        matches!(self, Kind::Object | Kind::Merged)
    }
}

/// V8's error when a message without `msg.parts.index` pushes its value
/// onto a group that holds an object (`group.payload.push`).
const PUSH_ON_OBJECT: &str = "TypeError: group.payload.push is not a function";

impl<const N: usize, const B: usize> Group<N, B> {
    /// Node-RED's `group.payload[key] = value` of an `object` or `merged`
    /// message: a member of an object; on an array, the item at `key`
    /// where `key` is an index, and then the count is the array's keys
    /// (`Object.keys(group.payload).length`). Any other key on an array is
    /// a property JavaScript keeps beside the items, which no message
    /// shows; a device does not keep it: `false`.
    fn put_keyed(
        &mut self,
        key: &str,
        value: ValueRef<'_>,
    ) -> core::result::Result<bool, MsgError> {
        if self.kind.holds_members() {
            return self.put_member(key, &value).map(|()| true);
        }
        let Some(index) = canonical_index(key) else {
            return Ok(false);
        };
        self.put_item(index, Some(value))?;
        let mut at = 0;
        let mut keys = 0;
        while let Some((_, len)) = entry_at(&self.entries, at) {
            keys += 1;
            at += len;
        }
        self.count = keys;
        Ok(true)
    }

    /// Node-RED's `group.payload[index] = value` of a message with
    /// `msg.parts.index`, counted when the place held nothing
    /// (`== undefined`): an array's item, or on an object the member
    /// named by the index.
    fn put_indexed(
        &mut self,
        index: u32,
        value: Option<ValueRef<'_>>,
    ) -> core::result::Result<(), MsgError> {
        if !self.kind.holds_members() {
            return self.put_item(index, value);
        }
        let mut key = heapless::String::<10>::new();
        write!(key, "{index}").map_err(|_| MsgError::Full)?;
        self.put_named(&key, value)
    }

    /// `group.payload[key] = value` on a group that holds an object,
    /// counted when the member held nothing (`== undefined`).
    fn put_named(
        &mut self,
        key: &str,
        value: Option<ValueRef<'_>>,
    ) -> core::result::Result<(), MsgError> {
        let held = self.member(key).map(|held| held == ValueRef::Null);
        if let Some(value) = value {
            self.put_member(key, &value)?;
        }
        // `put_member` counts a new key; a key that held `null`, or a
        // value left `undefined` where nothing was, counts too.
        let counted = match held {
            Some(null) => null,
            None => value.is_none(),
        };
        if counted {
            self.count += 1;
        }
        Ok(())
    }

    /// The value of the object member `key`, if the group holds it.
    fn member(&self, key: &str) -> Option<ValueRef<'_>> {
        let mut at = 0;
        let mut found = None;
        while let Some((name, value, _, len)) = self
            .entries
            .get(at..)
            .and_then(crate::encoding::decode_member)
        {
            if name == key {
                found = Some(value);
            }
            at += len;
        }
        found
    }

    /// Sets an object member, in its place if the key is there already.
    fn put_member(
        &mut self,
        key: &str,
        value: &ValueRef<'_>,
    ) -> core::result::Result<(), MsgError> {
        let mut found = None;
        let mut at = 0;
        while let Some((name, _, _, len)) = self
            .entries
            .get(at..)
            .and_then(crate::encoding::decode_member)
        {
            if name == key {
                found = Some((at, len));
            }
            at += len;
        }
        let mut member = [0u8; N];
        let len = member_bytes(&mut member, key, value).ok_or(MsgError::Full)?;
        let member = member.get(..len).ok_or(MsgError::Full)?;
        match found {
            Some((start, old)) => splice(&mut self.entries, start, old, member)?,
            None => {
                self.entries
                    .extend_from_slice(member)
                    .map_err(|_| MsgError::Full)?;
                self.count += 1;
            }
        }
        Ok(())
    }

    /// Sets the array item at `index`, or clears it (`None`, which a later
    /// value fills).
    fn put_item(
        &mut self,
        index: u32,
        value: Option<ValueRef<'_>>,
    ) -> core::result::Result<(), MsgError> {
        let mut old = None;
        let mut at = 0;
        while let Some((entry_index, len)) = entry_at(&self.entries, at) {
            if entry_index == index {
                old = Some((at, len));
            }
            at += len;
        }
        let was_empty = match old {
            Some((start, _)) => matches!(
                self.entries.get(start + 4..).and_then(decode),
                Some((ValueRef::Null, _))
            ),
            None => true,
        };
        let value = value.unwrap_or(ValueRef::Null);
        let mut entry = [0u8; N];
        let len = 4 + value.encoded_len();
        let slot = entry.get_mut(..len).ok_or(MsgError::Full)?;
        slot.get_mut(..4)
            .ok_or(MsgError::Full)?
            .copy_from_slice(&index.to_le_bytes());
        value
            .encode(slot.get_mut(4..).ok_or(MsgError::Full)?)
            .ok_or(MsgError::Full)?;
        match old {
            Some((start, old)) => splice(&mut self.entries, start, old, slot)?,
            None => self
                .entries
                .extend_from_slice(slot)
                .map_err(|_| MsgError::Full)?,
        }
        if was_empty {
            self.count += 1;
        }
        self.length = self.length.max(index.saturating_add(1));
        Ok(())
    }
}

impl<const N: usize, const G: usize, const B: usize, P: Pending<N>> Node<N> for Join<N, G, B, P> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(crate::platform::uptime_ms(), device, msg, out);
    }

    fn tick<O: Outputs<N>>(&mut self, device: &Device, out: &mut O) {
        self.tick_at(crate::platform::uptime_ms(), device, out);
    }
}

/// `msg.parts = msg.parts.parts`, or no parts when there are none below.
fn pop_parts<const N: usize>(msg: &mut Msg<N>) -> core::result::Result<(), MsgError> {
    let inner = match msg.property(PARTS) {
        Some(ValueRef::Object(parts)) => parts.get(PARTS),
        _ => None,
    };
    match inner {
        Some(_) => {
            let copy = msg.clone();
            let inner = match copy.property(PARTS) {
                Some(ValueRef::Object(parts)) => parts.get(PARTS),
                _ => None,
            };
            match inner {
                Some(inner) => msg.set_property(PARTS, &inner),
                None => Ok(()),
            }
        }
        None => {
            msg.remove(&[PathSegment::Key(PARTS)]);
            Ok(())
        }
    }
}

/// For a `custom` join that does not use parts (`useparts` false): a
/// message's parts are not its own, and only the parts beneath them
/// (`msg.parts.parts`) stay, beneath, to come back up when the group is
/// sent.
fn demote_parts<const N: usize>(msg: &mut Msg<N>) -> core::result::Result<(), MsgError> {
    let copy = msg.clone();
    match copy.property(PARTS) {
        Some(ValueRef::Object(parts)) if parts.get(PARTS).is_some() => {
            let below = parts.get(PARTS).unwrap_or(ValueRef::Null);
            set_parts_below(msg, &below)
        }
        Some(_) => {
            msg.remove(&[PathSegment::Key(PARTS)]);
            Ok(())
        }
        None => Ok(()),
    }
}

/// `msg.parts.index` as an array index: a whole number from 0.
fn array_index(value: ValueRef<'_>) -> Option<u32> {
    let n = value.to_number();
    (n >= 0.0 && n <= f64::from(u32::MAX - 1) && n == (n as u64) as f64).then_some(n as u32)
}

/// The array index a property key names, as JavaScript reads it: the
/// key is the index written as a number (`"2"`, not `"02"` or `"2.0"`).
fn canonical_index(key: &str) -> Option<u32> {
    let index: u32 = key.parse().ok()?;
    let mut written = heapless::String::<10>::new();
    write!(written, "{index}").ok()?;
    (written == key && index != u32::MAX).then_some(index)
}

/// A count as Node-RED compares it: a number, anything else none.
fn count_of(value: ValueRef<'_>) -> usize {
    let n = value.to_number();
    if n.is_finite() && n > 0.0 {
        // `>=` a fractional count takes the next whole number.
        let whole = n as usize;
        whole + usize::from((whole as f64) < n)
    } else {
        0
    }
}

/// `Buffer.from(value)` of a string, a buffer or an array of numbers.
fn buffer_of(value: ValueRef<'_>) -> Option<heapless::Vec<u8, SHORT>> {
    let mut bytes = heapless::Vec::new();
    write_buffer(value, &mut |chunk| bytes.extend_from_slice(chunk).ok())?;
    Some(bytes)
}

/// Writes what `Buffer.from(value)` holds, chunk by chunk: a string's
/// UTF-8, a buffer's bytes, each number of an array modulo 256.
fn write_buffer(value: ValueRef<'_>, write: &mut dyn FnMut(&[u8]) -> Option<()>) -> Option<()> {
    match value {
        ValueRef::Str(text) => write(text.as_bytes()),
        ValueRef::Bytes(bytes) => write(bytes),
        ValueRef::Array(items) => items.iter().try_for_each(|item| {
            let n = item.to_number();
            let byte = if n.is_finite() {
                (n as i64).rem_euclid(256) as u8
            } else {
                0
            };
            write(&[byte])
        }),
        _ => Some(()),
    }
}

/// The entry at `at`: its index and its length.
fn entry_at(entries: &[u8], at: usize) -> Option<(u32, usize)> {
    let index = u32::from_le_bytes(entries.get(at..at + 4)?.try_into().ok()?);
    let len = encoded_len_at(entries.get(at + 4..)?)?;
    Some((index, 4 + len))
}

/// Replaces `old` bytes at `start` by `new`.
fn splice<const B: usize>(
    entries: &mut heapless::Vec<u8, B>,
    start: usize,
    old: usize,
    new: &[u8],
) -> core::result::Result<(), MsgError> {
    let end = start + old;
    let tail = entries.len() - end;
    let grown = entries.len() - old + new.len();
    if grown > B {
        return Err(MsgError::Full);
    }
    if new.len() > old {
        entries.resize(grown, 0).map_err(|_| MsgError::Full)?;
    }
    let bytes = entries.as_mut_slice();
    let tail_from = end;
    let tail_to = start + new.len();
    bytes.copy_within(tail_from..tail_from + tail, tail_to);
    bytes
        .get_mut(start..start + new.len())
        .ok_or(MsgError::Full)?
        .copy_from_slice(new);
    entries.truncate(grown);
    Ok(())
}

/// A property path as `msg.parts.property` names it: keys between dots,
/// `[n]` indexes and `["key"]` or `['key']` keys. `None` for what does not
/// read.
fn parse_path<'a, 's>(
    text: &'a str,
    segments: &'s mut [PathSegment<'a>; crate::encoding::MAX_DEPTH],
) -> Option<&'s [PathSegment<'a>]> {
    let mut count = 0;
    let mut rest = text;
    let mut push = |segment: PathSegment<'a>| -> Option<()> {
        *segments.get_mut(count)? = segment;
        count += 1;
        Some(())
    };
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let inside = after.get(..close)?;
            let quoted = inside
                .strip_prefix('"')
                .and_then(|key| key.strip_suffix('"'))
                .or_else(|| {
                    inside
                        .strip_prefix('\'')
                        .and_then(|key| key.strip_suffix('\''))
                });
            match quoted {
                Some(key) => push(PathSegment::Key(key))?,
                None => push(PathSegment::Index(inside.parse().ok()?))?,
            }
            rest = after.get(close + 1..)?;
            rest = rest.strip_prefix('.').unwrap_or(rest);
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = rest.get(..end)?;
            if key.is_empty() {
                return None;
            }
            push(PathSegment::Key(key))?;
            rest = rest.get(end..)?;
            rest = rest.strip_prefix('.').unwrap_or(rest);
        }
    }
    let _ = &mut push;
    segments.get(..count).filter(|path| !path.is_empty())
}

/// A group's result, encoded straight into the message it leaves in.
struct Result<'a> {
    kind: Kind,
    entries: &'a [u8],
    joiner: Option<&'a [u8]>,
}

impl Result<'_> {
    /// The sequence's values in index order, `None` for a hole.
    fn each(&self, visit: &mut dyn FnMut(Option<ValueRef<'_>>) -> Option<()>) -> Option<()> {
        let mut next = 0u32;
        loop {
            // The entry with the smallest index from `next` on.
            let mut best: Option<(u32, usize)> = None;
            let mut at = 0;
            while let Some((index, len)) = entry_at(self.entries, at) {
                if index >= next && best.is_none_or(|(smallest, _)| index < smallest) {
                    best = Some((index, at));
                }
                at += len;
            }
            let Some((index, at)) = best else {
                return Some(());
            };
            // No message holds more holes than this; a larger gap is a
            // result that does not fit, found without walking it.
            if index - next > u32::from(u16::MAX) {
                return None;
            }
            for _ in next..index {
                visit(None)?;
            }
            let (value, _) = decode(self.entries.get(at + 4..)?)?;
            visit(Some(value))?;
            next = index.checked_add(1)?;
        }
    }

    /// Writes the body of the result; `None` when `out` is too small.
    fn write_body(&self, out: &mut dyn FnMut(&[u8]) -> Option<()>) -> Option<()> {
        match self.kind {
            Kind::Object | Kind::Merged => out(self.entries),
            Kind::Array { flatten } => self.each(&mut |value| match value {
                None => out(&[crate::encoding::NULL]),
                Some(ValueRef::Array(items)) if flatten => out(items.body()),
                Some(value) => {
                    let mut item = [0u8; 16];
                    // Small values are written through a buffer; larger ones
                    // are containers, strings or buffers, whose body follows
                    // their header.
                    match value {
                        ValueRef::Str(_)
                        | ValueRef::Bytes(_)
                        | ValueRef::Array(_)
                        | ValueRef::Object(_) => write_container(value, out),
                        _ => {
                            let len = value.encode(&mut item)?;
                            out(item.get(..len)?)
                        }
                    }
                }
            }),
            Kind::String => {
                let mut first = true;
                self.each(&mut |value| {
                    if !first {
                        out(self.joiner.unwrap_or_default())?;
                    }
                    first = false;
                    match value {
                        None | Some(ValueRef::Null) => Some(()),
                        Some(value) => {
                            let mut writer = Forward(&mut *out);
                            value.write_js_text(&mut writer).ok()
                        }
                    }
                })
            }
            Kind::Buffer => {
                let mut first = true;
                self.each(&mut |value| {
                    if !first {
                        if let Some(joiner) = self.joiner {
                            out(joiner)?;
                        }
                    }
                    first = false;
                    match value {
                        Some(value) => write_buffer(value, out),
                        None => Some(()),
                    }
                })
            }
        }
    }

    fn tag(&self) -> u8 {
        match self.kind {
            Kind::String => STRING,
            Kind::Buffer => BYTES,
            Kind::Array { .. } => ARRAY,
            Kind::Object | Kind::Merged => crate::encoding::OBJECT,
        }
    }
}

/// Writes a string, buffer or container value: its header, then its body.
fn write_container(value: ValueRef<'_>, out: &mut dyn FnMut(&[u8]) -> Option<()>) -> Option<()> {
    let (tag, body): (u8, &[u8]) = match value {
        ValueRef::Str(text) => (STRING, text.as_bytes()),
        ValueRef::Bytes(bytes) => (BYTES, bytes),
        ValueRef::Array(items) => (ARRAY, items.body()),
        ValueRef::Object(members) => (crate::encoding::OBJECT, members.body()),
        _ => return None,
    };
    let len = u16::try_from(body.len()).ok()?.to_le_bytes();
    out(&[tag])?;
    out(&len)?;
    out(body)
}

/// `fmt::Write` over a byte sink.
struct Forward<'a>(&'a mut dyn FnMut(&[u8]) -> Option<()>);

impl Write for Forward<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        (self.0)(s.as_bytes()).ok_or(core::fmt::Error)
    }
}

impl Encode for Result<'_> {
    fn encoded_len(&self) -> usize {
        let mut body = 0usize;
        let counted = self.write_body(&mut |chunk| {
            body = body.checked_add(chunk.len())?;
            Some(())
        });
        // A result that cannot be written is given a size no message has.
        match counted {
            Some(()) => 1 + LENGTH + body,
            None => usize::MAX / 2,
        }
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let mut at = 1 + LENGTH;
        self.write_body(&mut |chunk| {
            let end = at.checked_add(chunk.len())?;
            out.get_mut(at..end)?.copy_from_slice(chunk);
            at = end;
            Some(())
        })?;
        *out.first_mut()? = self.tag();
        crate::encoding::write_u16(out, 1, at - 1 - LENGTH)?;
        Some(at)
    }
}
