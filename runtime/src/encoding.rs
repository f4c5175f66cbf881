//! The byte encoding a message's properties live in: a compact, tagged,
//! length-prefixed form of a JSON value plus bytes, so a message fits in a
//! fixed buffer, is copied with one `memcpy`, and is read without parsing.
//!
//! A value is a tag byte followed by its body: nothing for null and the
//! booleans, 8 little-endian bytes for a number, a `u16` length and the bytes
//! for a string or a buffer, a `u16` body length and the items for an array,
//! and a `u16` body length and `(u16 key length, key, value)` members for an
//! object. Every read is checked: malformed bytes decode as nothing, never
//! as a panic.

use crate::value::{ConstValue, Items, Members, ValueRef};

pub(crate) const NULL: u8 = 0;
pub(crate) const FALSE: u8 = 1;
pub(crate) const TRUE: u8 = 2;
pub(crate) const NUMBER: u8 = 3;
pub(crate) const STRING: u8 = 4;
pub(crate) const BYTES: u8 = 5;
pub(crate) const ARRAY: u8 = 6;
pub(crate) const OBJECT: u8 = 7;

/// The size of a length field.
pub(crate) const LENGTH: usize = 2;

/// The deepest nesting of arrays and objects a message may hold, so that
/// walking a value never exhausts a small stack.
pub const MAX_DEPTH: usize = 16;

#[inline]
pub(crate) fn read_u16(bytes: &[u8], at: usize) -> Option<usize> {
    let pair = bytes.get(at..at.checked_add(LENGTH)?)?;
    Some(usize::from(u16::from_le_bytes([
        *pair.first()?,
        *pair.get(1)?,
    ])))
}

pub(crate) fn write_u16(bytes: &mut [u8], at: usize, value: usize) -> Option<()> {
    let value = u16::try_from(value).ok()?;
    let slot = bytes.get_mut(at..at.checked_add(LENGTH)?)?;
    slot.copy_from_slice(&value.to_le_bytes());
    Some(())
}

/// Decodes the value at the start of `bytes`; returns it and how many bytes
/// it takes.
pub(crate) fn decode(bytes: &[u8]) -> Option<(ValueRef<'_>, usize)> {
    let tag = *bytes.first()?;
    let body = bytes.get(1..)?;
    match tag {
        NULL => Some((ValueRef::Null, 1)),
        FALSE => Some((ValueRef::Bool(false), 1)),
        TRUE => Some((ValueRef::Bool(true), 1)),
        NUMBER => {
            let raw: [u8; 8] = body.get(..8)?.try_into().ok()?;
            Some((ValueRef::Number(f64::from_le_bytes(raw)), 9))
        }
        STRING | BYTES | ARRAY | OBJECT => {
            let len = read_u16(body, 0)?;
            let content = body.get(LENGTH..LENGTH + len)?;
            let value = match tag {
                STRING => ValueRef::Str(core::str::from_utf8(content).ok()?),
                BYTES => ValueRef::Bytes(content),
                ARRAY => ValueRef::Array(Items::new(content)),
                _ => ValueRef::Object(Members::new(content)),
            };
            Some((value, 1 + LENGTH + len))
        }
        _ => None,
    }
}

/// How many bytes the value at the start of `bytes` takes, without reading
/// it: the step that walking a message repeats most.
#[inline]
pub(crate) fn encoded_len_at(bytes: &[u8]) -> Option<usize> {
    match *bytes.first()? {
        NULL | FALSE | TRUE => Some(1),
        NUMBER => (bytes.len() >= 9).then_some(9),
        STRING | BYTES | ARRAY | OBJECT => {
            let len = 1 + LENGTH + read_u16(bytes, 1)?;
            (bytes.len() >= len).then_some(len)
        }
        _ => None,
    }
}

/// Decodes one object member at the start of `bytes`: its key, its value,
/// where the value starts, and the member's whole length.
pub(crate) fn decode_member(bytes: &[u8]) -> Option<(&str, ValueRef<'_>, usize, usize)> {
    let key_len = read_u16(bytes, 0)?;
    let key = core::str::from_utf8(bytes.get(LENGTH..LENGTH + key_len)?).ok()?;
    let value_start = LENGTH + key_len;
    let (value, value_len) = decode(bytes.get(value_start..)?)?;
    Some((key, value, value_start, value_start + value_len))
}

/// Something that can be written into a message.
pub trait Encode {
    /// How many bytes the encoding takes.
    fn encoded_len(&self) -> usize;

    /// Writes the encoding at the start of `out`, which is at least
    /// `encoded_len()` long. Returns `None` if it does not fit or a length
    /// overflows its field.
    fn encode(&self, out: &mut [u8]) -> Option<usize>;
}

fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> Option<usize> {
    out.get_mut(at..at.checked_add(bytes.len())?)?
        .copy_from_slice(bytes);
    Some(at + bytes.len())
}

fn encode_tagged(out: &mut [u8], tag: u8, content: &[u8]) -> Option<usize> {
    put(out, 0, &[tag])?;
    write_u16(out, 1, content.len())?;
    put(out, 1 + LENGTH, content)
}

/// A string to write as a string value.
pub struct Str<'a>(pub &'a str);

/// Bytes to write as a buffer value.
pub struct Bytes<'a>(pub &'a [u8]);

impl Encode for Str<'_> {
    #[inline]
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.0.len()
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_tagged(out, STRING, self.0.as_bytes())
    }
}

impl Encode for Bytes<'_> {
    #[inline]
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.0.len()
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_tagged(out, BYTES, self.0)
    }
}

impl Encode for f64 {
    #[inline]
    fn encoded_len(&self) -> usize {
        9
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        put(out, 0, &[NUMBER])?;
        put(out, 1, &self.to_le_bytes())
    }
}

impl Encode for bool {
    #[inline]
    fn encoded_len(&self) -> usize {
        1
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        put(out, 0, &[if *self { TRUE } else { FALSE }])
    }
}

/// An empty array or object, for creating the containers of a path.
pub(crate) struct EmptyContainer(pub u8);

impl Encode for EmptyContainer {
    fn encoded_len(&self) -> usize {
        1 + LENGTH
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_tagged(out, self.0, &[])
    }
}

impl Encode for ValueRef<'_> {
    fn encoded_len(&self) -> usize {
        match self {
            ValueRef::Null | ValueRef::Bool(_) => 1,
            ValueRef::Number(_) => 9,
            ValueRef::Str(s) => 1 + LENGTH + s.len(),
            ValueRef::Bytes(b) => 1 + LENGTH + b.len(),
            ValueRef::Array(items) => 1 + LENGTH + items.body().len(),
            ValueRef::Object(members) => 1 + LENGTH + members.body().len(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        match self {
            ValueRef::Null => put(out, 0, &[NULL]),
            ValueRef::Bool(b) => b.encode(out),
            ValueRef::Number(n) => n.encode(out),
            ValueRef::Str(s) => Str(s).encode(out),
            ValueRef::Bytes(b) => Bytes(b).encode(out),
            ValueRef::Array(items) => encode_tagged(out, ARRAY, items.body()),
            ValueRef::Object(members) => encode_tagged(out, OBJECT, members.body()),
        }
    }
}

impl Encode for ConstValue {
    // Inlined, so that a constant the compiler emits (a number, a string)
    // is written without matching on its kind at run time.
    #[inline]
    fn encoded_len(&self) -> usize {
        match self {
            ConstValue::Null | ConstValue::Bool(_) => 1,
            ConstValue::Number(_) => 9,
            ConstValue::Str(s) => 1 + LENGTH + s.len(),
            ConstValue::Array(_) | ConstValue::Object(_) => const_len(self),
        }
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        match self {
            ConstValue::Null => put(out, 0, &[NULL]),
            ConstValue::Bool(b) => b.encode(out),
            ConstValue::Number(n) => n.encode(out),
            ConstValue::Str(s) => Str(s).encode(out),
            ConstValue::Array(_) | ConstValue::Object(_) => encode_const(self, out),
        }
    }
}

/// The encoded length of any constant, arrays and objects included.
fn const_len(value: &ConstValue) -> usize {
    match value {
        ConstValue::Null | ConstValue::Bool(_) => 1,
        ConstValue::Number(_) => 9,
        ConstValue::Str(s) => 1 + LENGTH + s.len(),
        ConstValue::Array(items) => 1 + LENGTH + items.iter().map(const_len).sum::<usize>(),
        ConstValue::Object(members) => {
            1 + LENGTH
                + members
                    .iter()
                    .map(|(key, value)| LENGTH + key.len() + const_len(value))
                    .sum::<usize>()
        }
    }
}

/// Writes any constant, arrays and objects included.
fn encode_const(value: &ConstValue, out: &mut [u8]) -> Option<usize> {
    match value {
        ConstValue::Null => put(out, 0, &[NULL]),
        ConstValue::Bool(b) => b.encode(out),
        ConstValue::Number(n) => n.encode(out),
        ConstValue::Str(s) => Str(s).encode(out),
        ConstValue::Array(items) => {
            let mut at = 1 + LENGTH;
            for item in *items {
                at += encode_const(item, out.get_mut(at..)?)?;
            }
            put(out, 0, &[ARRAY])?;
            write_u16(out, 1, at - 1 - LENGTH)?;
            Some(at)
        }
        ConstValue::Object(members) => {
            let mut at = 1 + LENGTH;
            for (key, value) in *members {
                write_u16(out, at, key.len())?;
                at = put(out, at + LENGTH, key.as_bytes())?;
                at += encode_const(value, out.get_mut(at..)?)?;
            }
            put(out, 0, &[OBJECT])?;
            write_u16(out, 1, at - 1 - LENGTH)?;
            Some(at)
        }
    }
}
