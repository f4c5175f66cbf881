//! Values with JavaScript's meaning: constants the compiler emits, views of
//! values inside a message, and how Node-RED compares and prints them.

use core::fmt::{self, Write};

use crate::encoding::{decode, decode_member};

mod number;
mod print_number;
pub use number::{float_from_str, is_js_white_space, number_from_str, parse_float};
pub(crate) use print_number::write_number;

/// A small deterministic generator for the tests that read and print
/// numbers against the references, so that failures repeat.
#[cfg(test)]
struct Random(u64);

#[cfg(test)]
impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A value fixed at build time: how the compiler emits a flow's literals as
/// constants that cost no start-up work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstValue {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'static str),
    Array(&'static [ConstValue]),
    Object(&'static [(&'static str, ConstValue)]),
}

/// A value inside a message, read in place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'a str),
    /// Node-RED's `Buffer`.
    Bytes(&'a [u8]),
    Array(Items<'a>),
    /// Properties in insertion order, as JavaScript keeps them.
    Object(Members<'a>),
}

/// The items of an array inside a message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Items<'a> {
    body: &'a [u8],
}

impl<'a> Items<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        Self { body }
    }

    pub(crate) fn body(&self) -> &'a [u8] {
        self.body
    }

    pub fn iter(&self) -> impl Iterator<Item = ValueRef<'a>> + 'a {
        let mut rest = self.body;
        core::iter::from_fn(move || {
            let (value, len) = decode(rest)?;
            rest = rest.get(len..)?;
            Some(value)
        })
    }

    pub fn get(&self, index: usize) -> Option<ValueRef<'a>> {
        self.iter().nth(index)
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }
}

/// The members of an object inside a message (or of the message itself).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Members<'a> {
    body: &'a [u8],
}

impl<'a> Members<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        Self { body }
    }

    pub(crate) fn body(&self) -> &'a [u8] {
        self.body
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, ValueRef<'a>)> + 'a {
        let mut rest = self.body;
        core::iter::from_fn(move || {
            let (key, value, _, len) = decode_member(rest)?;
            rest = rest.get(len..)?;
            Some((key, value))
        })
    }

    /// A member by key; the last wins should a key repeat.
    pub fn get(&self, key: &str) -> Option<ValueRef<'a>> {
        self.iter()
            .filter(|(name, _)| *name == key)
            .map(|(_, value)| value)
            .last()
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }
}

/// The primitive side of a value, which is all JavaScript's `==` and `<`
/// look at; arrays, objects and buffers compare by identity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Primitive<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'a str),
    /// An array, object or buffer.
    Reference,
}

impl<'a> From<ValueRef<'a>> for Primitive<'a> {
    fn from(value: ValueRef<'a>) -> Self {
        match value {
            ValueRef::Null => Primitive::Null,
            ValueRef::Bool(b) => Primitive::Bool(b),
            ValueRef::Number(n) => Primitive::Number(n),
            ValueRef::Str(s) => Primitive::Str(s),
            ValueRef::Bytes(_) | ValueRef::Array(_) | ValueRef::Object(_) => Primitive::Reference,
        }
    }
}

impl<'a> From<&'a ConstValue> for Primitive<'a> {
    fn from(value: &'a ConstValue) -> Self {
        match value {
            ConstValue::Null => Primitive::Null,
            ConstValue::Bool(b) => Primitive::Bool(*b),
            ConstValue::Number(n) => Primitive::Number(*n),
            ConstValue::Str(s) => Primitive::Str(s),
            ConstValue::Array(_) | ConstValue::Object(_) => Primitive::Reference,
        }
    }
}

impl Primitive<'_> {
    /// JavaScript's `Number(value)`.
    pub fn to_number(self) -> f64 {
        match self {
            Primitive::Null => 0.0,
            Primitive::Bool(b) => f64::from(u8::from(b)),
            Primitive::Number(n) => n,
            Primitive::Str(s) => number_from_str(s),
            Primitive::Reference => f64::NAN,
        }
    }

    /// JavaScript's loose equality (`==`), which Node-RED's switch `==` uses.
    pub fn loose_eq(self, other: Primitive<'_>) -> bool {
        match (self, other) {
            (Primitive::Null, Primitive::Null) => true,
            (Primitive::Null, _) | (_, Primitive::Null) => false,
            // Two distinct messages never hold the same object.
            (Primitive::Reference, _) | (_, Primitive::Reference) => false,
            (Primitive::Str(a), Primitive::Str(b)) => a == b,
            (Primitive::Bool(a), Primitive::Bool(b)) => a == b,
            (a, b) => a.to_number() == b.to_number(),
        }
    }

    /// JavaScript's `a < b`: strings compare by UTF-16 code units when both
    /// are strings, everything else as numbers.
    pub fn loose_lt(self, other: Primitive<'_>) -> bool {
        match (self, other) {
            (Primitive::Str(a), Primitive::Str(b)) => a.encode_utf16().lt(b.encode_utf16()),
            (a, b) => a.to_number() < b.to_number(),
        }
    }

    /// JavaScript's `a <= b`, which is neither `a < b || a == b` (`null <=
    /// 0` holds, `null == 0` does not) nor `!(b < a)` (nothing is `<=`
    /// NaN): strings by UTF-16 code units when both are strings, everything
    /// else as numbers.
    pub fn loose_le(self, other: Primitive<'_>) -> bool {
        match (self, other) {
            (Primitive::Str(a), Primitive::Str(b)) => a.encode_utf16().le(b.encode_utf16()),
            (a, b) => a.to_number() <= b.to_number(),
        }
    }

    /// Writes JavaScript's `String(value)` of a primitive; a reference
    /// writes as an object does (`[object Object]`), which is right for
    /// objects only: [`ValueRef::write_js_text`] writes arrays and buffers.
    pub fn write_js_text<W: Write + ?Sized>(self, out: &mut W) -> fmt::Result {
        match self {
            Primitive::Null => out.write_str("null"),
            Primitive::Bool(b) => out.write_str(if b { "true" } else { "false" }),
            Primitive::Number(n) => write_number(n, out),
            Primitive::Str(s) => out.write_str(s),
            Primitive::Reference => out.write_str("[object Object]"),
        }
    }
}

impl ValueRef<'_> {
    /// JavaScript's `typeof`-level name, as Node-RED's `istype` uses it.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Bool(_) => "boolean",
            ValueRef::Number(_) => "number",
            ValueRef::Str(_) => "string",
            ValueRef::Array(_) => "array",
            ValueRef::Object(_) => "object",
            ValueRef::Bytes(_) => "buffer",
        }
    }

    /// JavaScript's `Number(value)`, which Node-RED's `range` node applies
    /// to what it receives. Arrays and buffers read as text does: an empty
    /// array as 0, an array of one item as that item written out (so `[5]`
    /// is 5 and `[true]` is not a number), a longer one never, since its
    /// items are joined by commas; a buffer as its UTF-8 text.
    pub fn to_number(&self) -> f64 {
        let mut value = *self;
        loop {
            match value {
                ValueRef::Array(items) => {
                    let mut items = items.iter();
                    match (items.next(), items.next()) {
                        (None, _) => return 0.0,
                        // `String(true)` is "true", which is not a number.
                        (Some(ValueRef::Bool(_)), None) => return f64::NAN,
                        (Some(only), None) => value = only,
                        (Some(_), Some(_)) => return f64::NAN,
                    }
                }
                ValueRef::Bytes(bytes) => {
                    // Invalid UTF-8 reads as U+FFFD, which is never a number.
                    return core::str::from_utf8(bytes).map_or(f64::NAN, number_from_str);
                }
                other => return Primitive::from(other).to_number(),
            }
        }
    }

    /// JavaScript's `parseFloat(value)`, which Node-RED's `filter` node
    /// applies to what it receives: `parseFloat(String(value))`. A number
    /// stays itself (-0 becomes 0, as its text is "0"); text and buffers are
    /// read from their start; an array reads as its first item, since its
    /// items are joined by commas and a comma ends a number; `null`,
    /// booleans and objects are never numbers.
    pub fn parse_float(&self) -> f64 {
        let mut value = *self;
        loop {
            match value {
                ValueRef::Number(n) => return n + 0.0,
                ValueRef::Str(s) => return float_from_str(s),
                // Invalid UTF-8 reads as U+FFFD, which ends a number as
                // anything else does; the valid start is enough.
                ValueRef::Bytes(bytes) => {
                    let valid = match core::str::from_utf8(bytes) {
                        Ok(text) => text,
                        Err(error) => core::str::from_utf8(
                            bytes.get(..error.valid_up_to()).unwrap_or_default(),
                        )
                        .unwrap_or_default(),
                    };
                    return float_from_str(valid);
                }
                ValueRef::Array(items) => match items.iter().next() {
                    Some(first) => value = first,
                    None => return f64::NAN,
                },
                ValueRef::Null | ValueRef::Bool(_) | ValueRef::Object(_) => return f64::NAN,
            }
        }
    }

    /// Whether JavaScript takes the value as true in a condition: all but
    /// `null`, `false`, 0, NaN and the empty string.
    pub fn is_truthy(&self) -> bool {
        match self {
            ValueRef::Null | ValueRef::Bool(false) => false,
            ValueRef::Number(n) => *n != 0.0 && !n.is_nan(),
            ValueRef::Str(s) => !s.is_empty(),
            ValueRef::Bool(true)
            | ValueRef::Bytes(_)
            | ValueRef::Array(_)
            | ValueRef::Object(_) => true,
        }
    }

    /// Writes JavaScript's `String(value)` (what `value + ""` makes), as
    /// Node-RED's switch does before it looks for text or a pattern in a
    /// value: an array as its items joined by commas (`null` items empty,
    /// nested arrays flattened), an object as `[object Object]`, a buffer
    /// as its UTF-8 text with U+FFFD for what is not UTF-8.
    pub fn write_js_text<W: Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        match self {
            ValueRef::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.write_char(',')?;
                    }
                    if item != ValueRef::Null {
                        item.write_js_text(out)?;
                    }
                }
                Ok(())
            }
            ValueRef::Bytes(bytes) => {
                for chunk in bytes.utf8_chunks() {
                    out.write_str(chunk.valid())?;
                    if !chunk.invalid().is_empty() {
                        out.write_char(char::REPLACEMENT_CHARACTER)?;
                    }
                }
                Ok(())
            }
            other => Primitive::from(*other).write_js_text(out),
        }
    }

    /// Writes the value as `JSON.stringify` would, compactly.
    pub fn write_json(&self, out: &mut dyn Write) -> fmt::Result {
        self.write_json_indented(out, 0)
    }

    /// Writes the value as `JSON.stringify(value, null, indent)` would:
    /// with `indent` above 0, each item and member on a line of its own,
    /// indented by that many spaces a level, and a space after each colon;
    /// empty arrays and objects stay `[]` and `{}`.
    pub fn write_json_indented(&self, out: &mut dyn Write, indent: usize) -> fmt::Result {
        Layout { indent, depth: 0 }.value(self, out)
    }
}

/// Where `JSON.stringify` stands while it writes: how far a level indents,
/// and how deep in the value it is.
///
/// JSON is written to a `&mut dyn Write`, not a generic writer: a device
/// writes it to the console, to slices, to counters and through escapers,
/// and a generic writer made one copy of this code for each of them (7 KiB
/// of the reference device's flash, against an indirect call a write).
#[derive(Clone, Copy)]
struct Layout {
    indent: usize,
    depth: usize,
}

impl Layout {
    fn value(self, value: &ValueRef<'_>, out: &mut dyn Write) -> fmt::Result {
        match value {
            ValueRef::Null => out.write_str("null"),
            ValueRef::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
            ValueRef::Number(n) if !n.is_finite() => out.write_str("null"),
            ValueRef::Number(n) => write_number(*n, out),
            ValueRef::Str(s) => write_json_string(s, out),
            ValueRef::Array(items) => {
                self.list(out, ['[', ']'], items.iter(), |inner, item, out| {
                    inner.value(&item, out)
                })
            }
            ValueRef::Object(members) => self.members(members, out),
            // Node.js serialises a Buffer as {"type":"Buffer","data":[...]}.
            ValueRef::Bytes(bytes) => {
                self.list(out, ['{', '}'], [false, true], |inner, is_data, out| {
                    if is_data {
                        inner.key("data", out)?;
                        inner.list(out, ['[', ']'], bytes.iter(), |_, byte, out| {
                            write!(out, "{byte}")
                        })
                    } else {
                        inner.key("type", out)?;
                        out.write_str("\"Buffer\"")
                    }
                })
            }
        }
    }

    fn members(self, members: &Members<'_>, out: &mut dyn Write) -> fmt::Result {
        self.list(
            out,
            ['{', '}'],
            members.iter(),
            |inner, (key, value), out| {
                inner.key(key, out)?;
                inner.value(&value, out)
            },
        )
    }

    /// A member's key and the colon after it.
    fn key(self, key: &str, out: &mut dyn Write) -> fmt::Result {
        write_json_string(key, out)?;
        out.write_str(if self.indent > 0 { ": " } else { ":" })
    }

    /// An array or object: its brackets around its entries, each written by
    /// `entry` one level deeper, separated by commas (and line breaks).
    fn list<T>(
        self,
        out: &mut dyn Write,
        [open, close]: [char; 2],
        entries: impl IntoIterator<Item = T>,
        mut entry: impl FnMut(Layout, T, &mut dyn Write) -> fmt::Result,
    ) -> fmt::Result {
        let inner = Layout {
            depth: self.depth + 1,
            ..self
        };
        out.write_char(open)?;
        let mut empty = true;
        for item in entries {
            if !empty {
                out.write_char(',')?;
            }
            inner.line_break(out)?;
            entry(inner, item, out)?;
            empty = false;
        }
        if !empty {
            self.line_break(out)?;
        }
        out.write_char(close)
    }

    /// A new line indented to this level, when indenting at all.
    fn line_break(self, out: &mut dyn Write) -> fmt::Result {
        if self.indent == 0 {
            return Ok(());
        }
        out.write_char('\n')?;
        for _ in 0..self.indent * self.depth {
            out.write_char(' ')?;
        }
        Ok(())
    }
}

pub(crate) fn write_members_json<W: Write>(members: &Members<'_>, out: &mut W) -> fmt::Result {
    Layout {
        indent: 0,
        depth: 0,
    }
    .members(members, out)
}

/// Prints the value as Node-RED's debug output does: strings as they are,
/// numbers as JavaScript prints them, everything else as compact JSON.
impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Str(s) => f.write_str(s),
            ValueRef::Number(n) => write_number(*n, f),
            other => other.write_json(f),
        }
    }
}

fn write_json_string(s: &str, out: &mut dyn Write) -> fmt::Result {
    out.write_char('"')?;
    write_json_escaped(s, out)?;
    out.write_char('"')
}

/// Text written into a JSON string: what is written through it is escaped
/// as `JSON.stringify` escapes a string's characters.
pub(crate) struct JsonEscaped<'a>(pub(crate) &'a mut dyn Write);

impl Write for JsonEscaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_json_escaped(s, self.0)
    }
}

fn write_json_escaped(s: &str, out: &mut dyn Write) -> fmt::Result {
    // Every character JSON escapes is ASCII, so the text between two of
    // them is whole characters, written in one piece rather than one
    // character at a time.
    let mut plain_from = 0;
    for (at, byte) in s.bytes().enumerate() {
        if byte >= 0x20 && byte != b'"' && byte != b'\\' {
            continue;
        }
        out.write_str(s.get(plain_from..at).unwrap_or_default())?;
        plain_from = at + 1;
        let c = char::from(byte);
        match (c, short_escape(c)) {
            ('"', _) => out.write_str("\\\"")?,
            (_, Some(escaped)) => out.write_str(escaped)?,
            (c, None) => write!(out, "\\u{:04x}", u32::from(c))?,
        }
    }
    out.write_str(s.get(plain_from..).unwrap_or_default())
}

/// The escapes JSON and JavaScript's string literals share: a backslash,
/// and the control characters with a letter of their own.
pub(crate) fn short_escape(c: char) -> Option<&'static str> {
    match c {
        '\\' => Some("\\\\"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        '\u{08}' => Some("\\b"),
        '\u{0c}' => Some("\\f"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};

    use super::*;
    use crate::encoding::Encode;

    fn encoded(value: &ConstValue) -> std::vec::Vec<u8> {
        let mut bytes = std::vec![0; value.encoded_len()];
        assert_eq!(value.encode(&mut bytes), Some(bytes.len()));
        bytes
    }

    fn check_display(value: ConstValue, expect: &str) {
        let bytes = encoded(&value);
        let (decoded, len) = decode(&bytes).expect("decodes");
        assert_eq!(len, bytes.len());
        assert_eq!(decoded.to_string(), expect);
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        check_display(ConstValue::Number(1.0), "1");
        check_display(ConstValue::Number(-0.5), "-0.5");
        check_display(ConstValue::Number(1e21), "1e+21");
        check_display(ConstValue::Number(1.5e-7), "1.5e-7");
        check_display(ConstValue::Number(123456789012.0), "123456789012");
        check_display(ConstValue::Number(f64::NAN), "NaN");
    }

    #[test]
    fn objects_print_as_compact_json() {
        const NESTED: ConstValue = ConstValue::Object(&[
            ("a", ConstValue::Number(1.0)),
            (
                "b\"",
                ConstValue::Array(&[ConstValue::Null, ConstValue::Str("x\ny")]),
            ),
        ]);
        check_display(NESTED, r#"{"a":1,"b\"":[null,"x\ny"]}"#);
        let mut out = String::new();
        ValueRef::Bytes(&[1, 2])
            .write_json(&mut out)
            .expect("writes");
        assert_eq!(out, r#"{"type":"Buffer","data":[1,2]}"#);
    }

    #[test]
    fn json_strings_escape_what_json_stringify_escapes_between_runs_of_text() {
        let mut out = String::new();
        ValueRef::Str("\u{0}é\"\\\n\r\t\u{8}\u{c}\u{1f}ü😀 \u{7f}end\"")
            .write_json(&mut out)
            .expect("writes");
        assert_eq!(
            out,
            "\"\\u0000é\\\"\\\\\\n\\r\\t\\b\\f\\u001fü😀 \u{7f}end\\\"\""
        );
        out.clear();
        ValueRef::Str("plain").write_json(&mut out).expect("writes");
        assert_eq!(out, r#""plain""#);
    }

    #[test]
    fn strings_print_as_they_are() {
        check_display(
            ConstValue::Str("a \"quoted\" \\ line"),
            "a \"quoted\" \\ line",
        );
    }

    #[test]
    fn loose_comparison_follows_javascript() {
        let p = |s: &'static str| Primitive::Str(s);
        assert!(p("5").loose_eq(Primitive::Number(5.0)));
        assert!(Primitive::Bool(true).loose_eq(Primitive::Number(1.0)));
        assert!(!Primitive::Null.loose_eq(Primitive::Number(0.0)));
        assert!(p(" 0x10 ").loose_eq(Primitive::Number(16.0)));
        assert!(!p("inf").loose_eq(Primitive::Number(f64::INFINITY)));
        assert!(p("10").loose_lt(Primitive::Number(11.0)));
        assert!(p("10").loose_lt(p("9")));
        assert!(!p("abc").loose_lt(Primitive::Number(1.0)));
        assert!(!Primitive::Reference.loose_eq(Primitive::Reference));
        // Found by tests/differential.rs (case switch-null-order).
        assert!(Primitive::Null.loose_le(Primitive::Number(0.0)));
        assert!(Primitive::Number(0.0).loose_le(Primitive::Null));
        assert!(Primitive::Null.loose_le(p("")));
        assert!(!p("abc").loose_le(Primitive::Number(1.0)));
        assert!(!Primitive::Number(1.0).loose_le(p("abc")));
        assert!(p("10").loose_le(p("9")));
        assert!(p("9").loose_le(p("9")));
        assert!(!p("9").loose_le(p("10")));
    }

    #[test]
    fn malformed_bytes_decode_as_nothing() {
        for bytes in [
            &[][..],
            &[9],
            &[3, 1, 2],
            &[4, 5, 0, b'a'],
            &[4, 1, 0, 0xff],
        ] {
            assert_eq!(decode(bytes), None, "{bytes:?}");
        }
    }
}
