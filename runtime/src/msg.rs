//! A Node-RED `msg` in a fixed buffer: its properties as an encoded object
//! (see `encoding`), read in place and changed by splicing bytes, so the
//! message path never allocates and a copy is one `memcpy`.

use core::fmt;

use crate::encoding::{
    self, decode, read_u16, write_u16, EmptyContainer, Encode, ARRAY, LENGTH, NULL, OBJECT,
};
use crate::value::{write_members_json, Members, ValueRef};

/// One step of a property path, as Node-RED writes `msg.payload.a["b"][0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSegment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Why a message could not be changed. The message is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgError {
    /// The message would outgrow its capacity (or a length field).
    Full,
    /// The path goes through a value that is not an object or an array.
    NotAContainer,
    /// The path is empty or deeper than [`encoding::MAX_DEPTH`].
    BadPath,
}

/// A message with room for `N` bytes of encoded properties.
#[derive(Clone, PartialEq, Eq)]
pub struct Msg<const N: usize> {
    bytes: heapless::Vec<u8, N>,
}

impl<const N: usize> Default for Msg<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a container's members or items are: the whole message, or the
/// body of an array or object inside it.
#[derive(Clone, Copy, Debug)]
struct Container {
    kind: u8,
    body_start: usize,
    body_end: usize,
}

/// Where a value stands inside the message.
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Where the member starts: its key for an object member, else the value.
    member_start: usize,
    value_start: usize,
    value_end: usize,
}

/// The offsets of the length fields of the containers around a place, which
/// change when bytes are inserted or removed there.
/// Offsets fit in 16 bits, as lengths inside a message do, which keeps this
/// small enough to return by value cheaply.
#[derive(Clone, Copy, Debug, Default)]
struct Ancestors {
    offsets: [u16; encoding::MAX_DEPTH],
    len: usize,
}

impl Ancestors {
    /// Adds a length field; false when the path is too deep or the offset
    /// does not fit.
    fn push(&mut self, offset: usize) -> bool {
        match (self.offsets.get_mut(self.len), u16::try_from(offset)) {
            (Some(slot), Ok(offset)) => {
                *slot = offset;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.offsets
            .iter()
            .take(self.len)
            .map(|offset| usize::from(*offset))
    }
}

/// What walking a path found. The length fields of the containers on the
/// way go to a buffer the caller lends, so that this stays small enough to
/// come back in registers or a few words of stack.
enum Located {
    Found(Slot),
    /// `path[depth]` is missing from `parent`.
    Missing {
        depth: usize,
        parent: Container,
    },
    /// `path[..depth]` leads to a value that is not a container.
    Blocked,
}

/// Finds a member of an object's body by key: where the member starts,
/// where its value starts and where it ends, relative to `body`. The first
/// member with the key wins, as the message never holds two.
///
/// This is the step every change of a top-level property repeats, so it
/// is small enough to inline, where a key known at build time lets the
/// compiler compare it without a call.
#[inline(always)]
fn find_member(body: &[u8], key: &[u8]) -> Option<(usize, usize, usize)> {
    let mut at = 0;
    loop {
        let rest = body.get(at..)?;
        let key_len = read_u16(rest, 0)?;
        let value_start = LENGTH + key_len;
        let value_end = value_start + encoding::encoded_len_at(rest.get(value_start..)?)?;
        // Keys are compared as bytes: the message only ever holds UTF-8
        // keys, so there is nothing to validate on this path.
        if rest.get(LENGTH..value_start)? == key {
            return Some((at, at + value_start, at + value_end));
        }
        at += value_end;
    }
}

impl<const N: usize> Msg<N> {
    /// The bytes a message can hold: what storage for messages, or for a
    /// value kept between them (a switch's previous value), is sized by
    /// (`Delay<{ Msg::CAPACITY }, Q>` in generated code).
    pub const CAPACITY: usize = N;

    /// An empty message: no `payload` nor `topic` yet.
    pub const fn new() -> Self {
        Self {
            bytes: heapless::Vec::new(),
        }
    }

    /// How many bytes of its capacity the message uses.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The encoded properties, for `json`, which parses into them in place.
    pub(crate) fn bytes_mut(&mut self) -> &mut heapless::Vec<u8, N> {
        &mut self.bytes
    }

    /// The message's properties in insertion order.
    pub fn properties(&self) -> Members<'_> {
        Members::new(&self.bytes)
    }

    /// The value at a property path, if it exists.
    pub fn get(&self, path: &[PathSegment<'_>]) -> Option<ValueRef<'_>> {
        match self.locate(path, &mut Ancestors::default()) {
            Located::Found(slot) => {
                decode(self.bytes.get(slot.value_start..slot.value_end)?).map(|(value, _)| value)
            }
            _ => None,
        }
    }

    /// A top-level property.
    pub fn property(&self, name: &str) -> Option<ValueRef<'_>> {
        self.get(&[PathSegment::Key(name)])
    }

    pub fn payload(&self) -> Option<ValueRef<'_>> {
        self.property("payload")
    }

    pub fn topic(&self) -> Option<ValueRef<'_>> {
        self.property("topic")
    }

    /// Sets the value at a property path, creating missing objects (or
    /// arrays, before an index) on the way, as Node-RED does.
    #[inline(always)]
    pub fn set<E: Encode>(&mut self, path: &[PathSegment<'_>], value: &E) -> Result<(), MsgError> {
        // Most changes give a top-level property (`payload`, `topic`) a new
        // value of the size of the old one, a number for a number say. That
        // needs no walk through containers and moves no bytes: the new value
        // overwrites the old in place.
        if let [PathSegment::Key(key)] = path {
            if let Some((_, start, end)) = find_member(&self.bytes, key.as_bytes()) {
                if end - start == value.encoded_len() {
                    let slot = self.bytes.get_mut(start..end).ok_or(MsgError::Full)?;
                    encode_exactly(value, slot)?;
                    return Ok(());
                }
            }
        }
        self.set_anywhere(path, value)
    }

    /// Sets the value at any path, by the general walk and splice. The
    /// value comes as a trait object: this path is rare enough that one
    /// copy of it serves every kind of value, which keeps firmware small.
    #[inline(never)]
    fn set_anywhere(
        &mut self,
        path: &[PathSegment<'_>],
        value: &dyn Encode,
    ) -> Result<(), MsgError> {
        if path.is_empty() || path.len() > encoding::MAX_DEPTH {
            return Err(MsgError::BadPath);
        }
        // Each round either sets the value or creates one missing container.
        for _ in 0..=path.len() {
            let mut ancestors = Ancestors::default();
            match self.locate(path, &mut ancestors) {
                Located::Found(slot) => {
                    return self.replace(
                        slot.value_start,
                        slot.value_end - slot.value_start,
                        value,
                        &ancestors,
                    );
                }
                Located::Missing { depth, parent } => {
                    let segment = *path.get(depth).ok_or(MsgError::BadPath)?;
                    match path.get(depth + 1) {
                        None => return self.insert(parent, segment, value, &ancestors),
                        Some(PathSegment::Index(_)) => {
                            self.insert(parent, segment, &EmptyContainer(ARRAY), &ancestors)?;
                        }
                        Some(PathSegment::Key(_)) => {
                            self.insert(parent, segment, &EmptyContainer(OBJECT), &ancestors)?;
                        }
                    }
                }
                Located::Blocked => return Err(MsgError::NotAContainer),
            }
        }
        Err(MsgError::BadPath)
    }

    /// Sets a top-level property.
    pub fn set_property<E: Encode>(&mut self, name: &str, value: &E) -> Result<(), MsgError> {
        self.set(&[PathSegment::Key(name)], value)
    }

    /// Deletes the value at a path, as Node-RED's `RED.util` does: an object
    /// member goes away, and an array item is taken out, the later items
    /// moving up (`splice`, not JavaScript's `delete`, which would leave a
    /// hole). Returns whether there was anything to delete.
    pub fn remove(&mut self, path: &[PathSegment<'_>]) -> bool {
        let mut ancestors = Ancestors::default();
        let Located::Found(slot) = self.locate(path, &mut ancestors) else {
            return false;
        };
        self.splice(
            slot.member_start,
            slot.value_end - slot.member_start,
            0,
            &ancestors,
        )
        .is_ok()
    }

    /// Writes the whole message as compact JSON, as Node-RED shows a msg.
    pub fn write_json<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        write_members_json(&self.properties(), out)
    }

    /// Walks a path; `ancestors` receives the length fields of the
    /// containers it goes through.
    fn locate(&self, path: &[PathSegment<'_>], ancestors: &mut Ancestors) -> Located {
        let mut container = Container {
            kind: OBJECT,
            body_start: 0,
            body_end: self.bytes.len(),
        };
        for (depth, segment) in path.iter().enumerate() {
            let Some(slot) = self.find_in(container, *segment) else {
                return Located::Missing {
                    depth,
                    parent: container,
                };
            };
            if depth + 1 == path.len() {
                return Located::Found(slot);
            }
            let kind = self.bytes.get(slot.value_start).copied().unwrap_or(NULL);
            let body_len = read_u16(&self.bytes, slot.value_start + 1);
            match (kind, body_len) {
                (ARRAY | OBJECT, Some(body_len)) => {
                    if !ancestors.push(slot.value_start + 1) {
                        return Located::Blocked;
                    }
                    let body_start = slot.value_start + 1 + LENGTH;
                    container = Container {
                        kind,
                        body_start,
                        body_end: body_start + body_len,
                    };
                }
                _ => return Located::Blocked,
            }
        }
        Located::Blocked
    }

    /// Finds one segment among a container's members or items.
    fn find_in(&self, container: Container, segment: PathSegment<'_>) -> Option<Slot> {
        let body = self.bytes.get(container.body_start..container.body_end)?;
        if let (OBJECT, PathSegment::Key(key)) = (container.kind, segment) {
            let (member, value_start, value_end) = find_member(body, key.as_bytes())?;
            return Some(Slot {
                member_start: container.body_start + member,
                value_start: container.body_start + value_start,
                value_end: container.body_start + value_end,
            });
        }
        let mut at = 0;
        let mut index = 0;
        while at < body.len() {
            let rest = body.get(at..)?;
            let (matches, value_offset, len) = if container.kind == OBJECT {
                // Keys are compared as bytes: the message only ever holds
                // UTF-8 keys, so there is nothing to validate on this path.
                let key_len = read_u16(rest, 0)?;
                let key = rest.get(LENGTH..LENGTH + key_len)?;
                let value_offset = LENGTH + key_len;
                let value_len = encoding::encoded_len_at(rest.get(value_offset..)?)?;
                let matches = match segment {
                    PathSegment::Key(wanted) => key == wanted.as_bytes(),
                    // JavaScript reads obj[0] as obj["0"].
                    PathSegment::Index(wanted) => index_key_matches(key, wanted),
                };
                (matches, value_offset, value_offset + value_len)
            } else {
                let len = encoding::encoded_len_at(rest)?;
                (segment == PathSegment::Index(index), 0, len)
            };
            if matches {
                let member_start = container.body_start + at;
                return Some(Slot {
                    member_start,
                    value_start: member_start + value_offset,
                    value_end: member_start + len,
                });
            }
            at += len;
            index += 1;
        }
        None
    }

    /// Adds a member (or item) that is missing from a container.
    fn insert(
        &mut self,
        parent: Container,
        segment: PathSegment<'_>,
        value: &dyn Encode,
        ancestors: &Ancestors,
    ) -> Result<(), MsgError> {
        let at = parent.body_end;
        let value_len = value.encoded_len();
        if parent.kind == ARRAY {
            let PathSegment::Index(index) = segment else {
                return Err(MsgError::NotAContainer);
            };
            let body = self
                .bytes
                .get(parent.body_start..parent.body_end)
                .ok_or(MsgError::Full)?;
            let items = crate::value::Items::new(body).len();
            // Writing past the end leaves holes, which JSON shows as null.
            let holes = index.saturating_sub(items);
            self.splice(at, 0, holes + value_len, ancestors)?;
            let region = self
                .bytes
                .get_mut(at..at + holes + value_len)
                .ok_or(MsgError::Full)?;
            let (nulls, slot) = region.split_at_mut(holes);
            nulls.fill(NULL);
            encode_exactly(value, slot)?;
            return Ok(());
        }
        let mut digits = heapless::String::<20>::new();
        let key = match segment {
            PathSegment::Key(key) => key,
            PathSegment::Index(index) => {
                fmt::Write::write_fmt(&mut digits, format_args!("{index}"))
                    .map_err(|_| MsgError::BadPath)?;
                digits.as_str()
            }
        };
        let member_len = LENGTH + key.len() + value_len;
        self.splice(at, 0, member_len, ancestors)?;
        let region = self
            .bytes
            .get_mut(at..at + member_len)
            .ok_or(MsgError::Full)?;
        write_u16(region, 0, key.len()).ok_or(MsgError::Full)?;
        let (key_slot, value_slot) = region
            .get_mut(LENGTH..)
            .ok_or(MsgError::Full)?
            .split_at_mut(key.len());
        key_slot.copy_from_slice(key.as_bytes());
        encode_exactly(value, value_slot)?;
        Ok(())
    }

    /// Replaces `old_len` bytes at `start` with the encoding of `value`.
    fn replace(
        &mut self,
        start: usize,
        old_len: usize,
        value: &dyn Encode,
        ancestors: &Ancestors,
    ) -> Result<(), MsgError> {
        let new_len = value.encoded_len();
        self.splice(start, old_len, new_len, ancestors)?;
        let slot = self
            .bytes
            .get_mut(start..start + new_len)
            .ok_or(MsgError::Full)?;
        encode_exactly(value, slot)?;
        Ok(())
    }

    /// Makes `old_len` bytes at `start` into `new_len` bytes (contents left
    /// for the caller to write), moving what follows and updating the
    /// lengths of the containers around. Checks everything before changing
    /// anything, so a failure leaves the message as it was.
    fn splice(
        &mut self,
        start: usize,
        old_len: usize,
        new_len: usize,
        ancestors: &Ancestors,
    ) -> Result<(), MsgError> {
        let total = self.bytes.len();
        let new_total = (total - old_len)
            .checked_add(new_len)
            .ok_or(MsgError::Full)?;
        if new_total > N || start + old_len > total {
            return Err(MsgError::Full);
        }
        for field in ancestors.iter() {
            let current = read_u16(&self.bytes, field).ok_or(MsgError::Full)?;
            let updated = (current + new_len)
                .checked_sub(old_len)
                .ok_or(MsgError::Full)?;
            if updated > usize::from(u16::MAX) {
                return Err(MsgError::Full);
            }
        }
        if new_len == old_len {
            // A value replaced by one of the same size (a number by a
            // number, say) moves nothing.
            return Ok(());
        }
        if new_len > old_len {
            self.bytes
                .resize(new_total, 0)
                .map_err(|_| MsgError::Full)?;
            self.bytes
                .copy_within(start + old_len..total, start + new_len);
        } else {
            self.bytes
                .copy_within(start + old_len..total, start + new_len);
            self.bytes.truncate(new_total);
        }
        for field in ancestors.iter() {
            let current = read_u16(&self.bytes, field).ok_or(MsgError::Full)?;
            let updated = (current + new_len)
                .checked_sub(old_len)
                .ok_or(MsgError::Full)?;
            write_u16(&mut self.bytes, field, updated).ok_or(MsgError::Full)?;
        }
        Ok(())
    }
}

/// Encodes a value into the slot made for it, which its `encoded_len`
/// measured: an encoding of another length would break the message's
/// layout, so it fails as one that does not fit.
fn encode_exactly(value: &dyn Encode, slot: &mut [u8]) -> Result<(), MsgError> {
    match value.encode(slot) {
        Some(len) if len == slot.len() => Ok(()),
        _ => Err(MsgError::Full),
    }
}

/// Whether an object key is the decimal form of an index, as JavaScript
/// finds `obj[0]` under the key "0".
fn index_key_matches(key: &[u8], index: usize) -> bool {
    core::str::from_utf8(key)
        .ok()
        .and_then(|key| key.parse::<usize>().ok())
        == Some(index)
        && key.first() != Some(&b'+')
}

impl<const N: usize> fmt::Debug for Msg<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_json(f)
    }
}

/// A property path written as text at run time (`a.b[0]["c d"]`), read as
/// `RED.util.normalisePropertyExpression` reads it: keys between dots,
/// indices and quoted keys in brackets. `None` for what it refuses (an
/// empty key, an unclosed bracket, a dot before a bracket) and for what a
/// device does not read at run time: a key chosen by another property
/// (`a[msg.b]`), an escape inside quotes, a path deeper than
/// [`encoding::MAX_DEPTH`].
pub fn parse_path(text: &str) -> Option<heapless::Vec<PathSegment<'_>, { encoding::MAX_DEPTH }>> {
    let mut path = heapless::Vec::new();
    let mut rest = text;
    loop {
        if let Some(inside) = rest.strip_prefix('[') {
            let (segment, after) = match inside.chars().next()? {
                quote @ ('"' | '\'') => {
                    let body = inside.get(1..)?;
                    let end = body.find(quote)?;
                    let key = body.get(..end)?;
                    if key.contains('\\') {
                        return None;
                    }
                    let after = body.get(end + 1..)?.strip_prefix(']')?;
                    (PathSegment::Key(key), after)
                }
                digit if digit.is_ascii_digit() => {
                    let end = inside.find(']')?;
                    let index = inside.get(..end)?.parse().ok()?;
                    (PathSegment::Index(index), inside.get(end + 1..)?)
                }
                _ => return None,
            };
            path.push(segment).ok()?;
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = rest.get(..end)?;
            if key.is_empty() {
                return None;
            }
            path.push(PathSegment::Key(key)).ok()?;
            rest = rest.get(end..)?;
        }
        if rest.is_empty() {
            return Some(path);
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() || after.starts_with('[') {
                return None;
            }
            rest = after;
        } else if !rest.starts_with('[') {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};

    use super::PathSegment::{Index, Key};
    use super::*;
    use crate::encoding::Str;
    use crate::ConstValue;

    fn json<const N: usize>(msg: &Msg<N>) -> String {
        let mut out = String::new();
        msg.write_json(&mut out).expect("writes");
        out
    }

    #[test]
    fn set_keeps_insertion_order_and_replaces_in_place() {
        let mut msg = Msg::<128>::new();
        msg.set_property("topic", &Str("t")).unwrap();
        msg.set_property("payload", &1.0).unwrap();
        msg.set_property("topic", &Str("longer topic")).unwrap();
        assert_eq!(json(&msg), r#"{"topic":"longer topic","payload":1}"#);
        assert!(msg.remove(&[Key("topic")]));
        assert_eq!(msg.topic(), None);
        assert_eq!(json(&msg), r#"{"payload":1}"#);
    }

    #[test]
    fn same_size_values_overwrite_in_place_and_others_move() {
        let mut msg = Msg::<128>::new();
        msg.set_property("pay", &Str("ab")).unwrap();
        msg.set_property("payload", &1.0).unwrap();
        msg.set(&[Key("o")], &ConstValue::Object(&[("k", ConstValue::Null)]))
            .unwrap();
        let len = msg.len();
        // A key that only shares a prefix with another is a different key.
        msg.set_property("payload", &2.0).unwrap();
        msg.set_property("pay", &Str("cd")).unwrap();
        msg.set(
            &[Key("o")],
            &ConstValue::Object(&[("k", ConstValue::Bool(true))]),
        )
        .unwrap();
        assert_eq!(msg.len(), len);
        assert_eq!(json(&msg), r#"{"pay":"cd","payload":2,"o":{"k":true}}"#);
        msg.set_property("pay", &Str("longer")).unwrap();
        msg.set_property("payload", &Str("x")).unwrap();
        msg.set(&[Key("o"), Key("k")], &3.0).unwrap();
        assert_eq!(json(&msg), r#"{"pay":"longer","payload":"x","o":{"k":3}}"#);
    }

    #[test]
    fn deep_paths_create_what_is_missing() {
        let mut msg = Msg::<256>::new();
        msg.set(&[Key("payload"), Key("a"), Index(2), Key("b")], &true)
            .unwrap();
        assert_eq!(json(&msg), r#"{"payload":{"a":[null,null,{"b":true}]}}"#);
        msg.set(&[Key("payload"), Key("a"), Index(0)], &Str("first"))
            .unwrap();
        msg.set(
            &[Key("payload"), Key("z")],
            &ConstValue::Array(&[ConstValue::Number(1.5)]),
        )
        .unwrap();
        assert_eq!(
            json(&msg),
            r#"{"payload":{"a":["first",null,{"b":true}],"z":[1.5]}}"#
        );
        assert_eq!(
            msg.get(&[Key("payload"), Key("a"), Index(2), Key("b")])
                .map(|v| v.to_string()),
            Some("true".to_string())
        );
        assert!(msg.remove(&[Key("payload"), Key("a"), Index(0)]));
        assert_eq!(
            json(&msg),
            r#"{"payload":{"a":[null,{"b":true}],"z":[1.5]}}"#
        );
        assert!(msg.remove(&[Key("payload"), Key("a"), Index(1)]));
        assert!(!msg.remove(&[Key("payload"), Key("a"), Index(1)]));
        assert_eq!(json(&msg), r#"{"payload":{"a":[null],"z":[1.5]}}"#);
    }

    #[test]
    fn a_full_message_is_an_error_and_stays_as_it_was() {
        let mut msg = Msg::<24>::new();
        msg.set_property("payload", &Str("0123456789")).unwrap();
        let before = msg.clone();
        assert_eq!(
            msg.set_property("topic", &Str("too long to fit")),
            Err(MsgError::Full)
        );
        assert_eq!(msg, before);
        assert_eq!(
            msg.set(&[Key("payload"), Key("x")], &1.0),
            Err(MsgError::NotAContainer)
        );
        assert_eq!(msg.set(&[], &1.0), Err(MsgError::BadPath));
    }

    #[test]
    fn paths_are_read_as_node_red_reads_them() {
        let check = |text: &str, expect: Option<&[PathSegment<'_>]>| {
            assert_eq!(parse_path(text).as_deref(), expect, "{text}");
        };
        check("payload", Some(&[Key("payload")]));
        check("a.b[0]", Some(&[Key("a"), Key("b"), Index(0)]));
        check(
            "a[\"c d\"]['e'].f",
            Some(&[Key("a"), Key("c d"), Key("e"), Key("f")]),
        );
        check("[2]", Some(&[Index(2)]));
        for refused in [
            "",
            "a.",
            ".a",
            "a..b",
            "a.[0]",
            "a[0",
            "a[b]",
            "a[\"b]",
            "a[-1]",
            "a[0]b",
            "a[\"\\\"\"]",
        ] {
            check(refused, None);
        }
        let deep = std::format!("{}b", "a.".repeat(16));
        check(&deep, None);
    }
}
