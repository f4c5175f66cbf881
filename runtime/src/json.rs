//! Messages as JSON text, the form a `msg` travels in over MQTT: parsing a
//! whole Node-RED `msg`, or one value, straight into a message's encoding.
//!
//! The parser reads the text once, from left to right, and writes each value
//! where it belongs in the message's own buffer: no allocation, no
//! intermediate tree, and no recursion (a fixed stack of open containers, as
//! deep as [`MAX_DEPTH`] allows). The text is
//! strict JSON (RFC 8259), and what comes out is what Node-RED's
//! `JSON.parse` makes of it:
//!
//! - a repeated key keeps its first place and takes its last value;
//! - keys that are array indices (`"0"` to `"4294967294"`) come first, in
//!   ascending order, as in every JavaScript object;
//! - `{"type":"Buffer","data":[...bytes...]}`, the form Node.js gives a
//!   `Buffer`, becomes a bytes value (its bytes take one byte each in the
//!   message, even while they are read);
//! - numbers round to the nearest `f64`, as JavaScript's do; a number too
//!   large for `f64` is infinite (and written back as `null`, as
//!   `JSON.stringify` writes it).
//!
//! Where a message cannot hold what JavaScript can, the text is refused:
//! an escaped lone surrogate (`"\ud800"`), which UTF-8 cannot hold, and
//! containers nested deeper than `MAX_DEPTH`. Any error leaves nothing
//! behind: a message being changed stays as it was.
//!
//! The other way is [`Msg::write_json`] (and [`ValueRef::write_json`]):
//! compact JSON as `JSON.stringify` writes it, which reads back here as the
//! same message, byte for byte, and in Node.js as the same object.
//!
//! ```
//! use psos::json::{value_from_json, JsonError};
//! use psos::{Msg, PathSegment};
//!
//! let mut msg = Msg::<128>::from_json(br#"{"topic":"t","payload":[1,"two"]}"#)?;
//! msg.set_property_json("payload", br#"{"on":true}"#)?;
//! let mut scratch = [0; 32];
//! let level = value_from_json(b"0.25", &mut scratch)?;
//! msg.set(&[PathSegment::Key("payload"), PathSegment::Key("level")], &level).ok();
//! assert_eq!(format!("{msg:?}"), r#"{"topic":"t","payload":{"on":true,"level":0.25}}"#);
//! assert_eq!(Msg::<128>::from_json(b"[]"), Err(JsonError::NotAnObject { at: 0 }));
//! # Ok::<(), JsonError>(())
//! ```

use core::fmt;

use crate::encoding::{
    decode, encoded_len_at, read_u16, write_u16, ARRAY, BYTES, FALSE, LENGTH, MAX_DEPTH, NULL,
    NUMBER, OBJECT, STRING, TRUE,
};
use crate::msg::Msg;
use crate::value::ValueRef;

mod v8_error;

pub use v8_error::v8_parse_error;

/// Why a JSON text could not be read. `at` is a byte offset into the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// The text ends in the middle of a value.
    Truncated,
    /// A byte that JSON does not allow where it stands.
    Unexpected { at: usize },
    /// A number that JSON's grammar does not allow (`01`, `1.`, `.5`, `+1`).
    BadNumber { at: usize },
    /// An unknown escape, or a `\u` escape without four hex digits.
    BadEscape { at: usize },
    /// A `\u` escape of half a surrogate pair, which UTF-8 cannot hold.
    LoneSurrogate { at: usize },
    /// A control character (below U+0020) written as it is inside a string.
    ControlCharacter { at: usize },
    /// Bytes inside a string that are not UTF-8.
    InvalidUtf8 { at: usize },
    /// Arrays and objects nested deeper than
    /// [`MAX_DEPTH`].
    TooDeep { at: usize },
    /// The result does not fit the message's capacity (or the scratch
    /// buffer), or a string, array or object outgrows a 16-bit length.
    TooBig,
    /// A message must be a JSON object.
    NotAnObject { at: usize },
    /// Something other than white space follows the value.
    TrailingCharacters { at: usize },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, at) = match *self {
            JsonError::Truncated => ("the JSON text ends in the middle of a value", None),
            JsonError::Unexpected { at } => ("unexpected character", Some(at)),
            JsonError::BadNumber { at } => ("malformed number", Some(at)),
            JsonError::BadEscape { at } => ("malformed escape", Some(at)),
            JsonError::LoneSurrogate { at } => ("escaped lone surrogate", Some(at)),
            JsonError::ControlCharacter { at } => ("unescaped control character", Some(at)),
            JsonError::InvalidUtf8 { at } => ("invalid UTF-8", Some(at)),
            JsonError::TooDeep { at } => ("arrays and objects nested too deep", Some(at)),
            JsonError::TooBig => ("the value does not fit the message", None),
            JsonError::NotAnObject { at } => ("a message must be a JSON object", Some(at)),
            JsonError::TrailingCharacters { at } => ("characters after the value", Some(at)),
        };
        f.write_str(what)?;
        match at {
            Some(at) => write!(f, " at byte {at}"),
            None => Ok(()),
        }
    }
}

impl<const N: usize> Msg<N> {
    /// Reads a whole message from a JSON object, as a device or Node-RED's
    /// `mqtt out` sends one.
    pub fn from_json(text: &[u8]) -> Result<Self, JsonError> {
        let mut msg = Self::new();
        parse_into_msg(&mut msg, |parser| parser.message(text))?;
        Ok(msg)
    }

    /// Sets a top-level property to the value a JSON text holds, as an
    /// `mqtt in` node with the `json` datatype sets `msg.payload`.
    ///
    /// The value is read straight into the message, so it needs no scratch
    /// buffer; while it is read, it and the value it replaces both take
    /// room. On error the message is left as it was.
    pub fn set_property_json(&mut self, name: &str, text: &[u8]) -> Result<(), JsonError> {
        parse_into_msg(self, |parser| parser.property(name, text))
    }
}

/// Reads any JSON value into `scratch`, in the message encoding; the result
/// can be written at any path of a message with [`Msg::set`]. The value may
/// nest `MAX_DEPTH` arrays and objects of its own.
pub fn value_from_json<'s>(text: &[u8], scratch: &'s mut [u8]) -> Result<ValueRef<'s>, JsonError> {
    parse_value(text, scratch, true)
}

/// Reads a JSON value into `scratch` as `JSON.parse` alone makes it, as
/// Node-RED's `json` node does: `{"type":"Buffer","data":[...]}` stays an
/// object, since only a message that crossed a wire held a `Buffer` there.
pub fn value_from_json_text<'s>(
    text: &[u8],
    scratch: &'s mut [u8],
) -> Result<ValueRef<'s>, JsonError> {
    parse_value(text, scratch, false)
}

fn parse_value<'s>(
    text: &[u8],
    scratch: &'s mut [u8],
    buffers: bool,
) -> Result<ValueRef<'s>, JsonError> {
    let mut sink = Scratch {
        buf: scratch,
        len: 0,
    };
    let mut parser = Parser::new(&mut sink, MAX_DEPTH);
    parser.buffers = buffers;
    parser.value(text)?;
    let Scratch { buf, len } = sink;
    let written = buf.get(..len).ok_or(JsonError::TooBig)?;
    decode(written)
        .map(|(value, _)| value)
        .ok_or(JsonError::TooBig)
}

/// Runs a parse into a message, keeping what it wrote only if it succeeds.
fn parse_into_msg<const N: usize>(
    msg: &mut Msg<N>,
    parse: impl FnOnce(&mut Parser<'_>) -> Result<(), JsonError>,
) -> Result<(), JsonError> {
    let bytes = msg.bytes_mut();
    let before = bytes.len();
    let result = parse(&mut Parser::new(bytes, MAX_DEPTH + 1));
    if result.is_err() {
        bytes.truncate(before);
    }
    result
}

/// What a `Buffer`'s first member and the key of its second are encoded as:
/// `"type":"Buffer"`, `"data"`.
const BUFFER_TYPE_MEMBER: &[u8] = &[
    4, 0, b't', b'y', b'p', b'e', STRING, 6, 0, b'B', b'u', b'f', b'f', b'e', b'r',
];
const BUFFER_DATA_KEY: &[u8] = &[4, 0, b'd', b'a', b't', b'a'];

/// The size of a container's header: a tag and a length.
const HEADER: usize = 1 + LENGTH;

/// The size of a number's encoding.
const NUMBER_LEN: usize = 9;

/// Where the parser writes: a message's bytes, or a scratch buffer. A
/// trait object, so that one copy of the parser serves every capacity.
trait Sink {
    /// What has been written so far.
    fn written(&self) -> &[u8];
    fn written_mut(&mut self) -> &mut [u8];
    /// Appends bytes, or fails if there is no room for them all.
    fn append(&mut self, bytes: &[u8]) -> Result<(), JsonError>;
    /// Makes room for `extra` more bytes, whose contents are left to the
    /// caller to write.
    fn grow(&mut self, extra: usize) -> Result<(), JsonError>;
    fn truncate(&mut self, len: usize);
}

impl<const N: usize> Sink for heapless::Vec<u8, N> {
    fn written(&self) -> &[u8] {
        self.as_slice()
    }

    fn written_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        self.extend_from_slice(bytes).map_err(|_| JsonError::TooBig)
    }

    fn grow(&mut self, extra: usize) -> Result<(), JsonError> {
        let len = self.len().checked_add(extra).ok_or(JsonError::TooBig)?;
        self.resize(len, 0).map_err(|_| JsonError::TooBig)
    }

    fn truncate(&mut self, len: usize) {
        heapless::Vec::truncate(self, len);
    }
}

/// A caller's buffer, of which the first `len` bytes are written.
struct Scratch<'s> {
    buf: &'s mut [u8],
    len: usize,
}

impl Sink for Scratch<'_> {
    fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn written_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(..self.len).unwrap_or_default()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        let end = self.len.checked_add(bytes.len()).ok_or(JsonError::TooBig)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(JsonError::TooBig)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn grow(&mut self, extra: usize) -> Result<(), JsonError> {
        self.len = self
            .len
            .checked_add(extra)
            .filter(|len| *len <= self.buf.len())
            .ok_or(JsonError::TooBig)?;
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// The sink, with the operations the parser builds from its few methods.
struct Out<'b>(&'b mut dyn Sink);

impl Out<'_> {
    fn len(&self) -> usize {
        self.0.written().len()
    }

    fn extend(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        self.0.append(bytes)
    }

    fn push_number(&mut self, number: f64) -> Result<(), JsonError> {
        self.extend(&[NUMBER])?;
        self.extend(&number.to_le_bytes())
    }

    /// Writes, into the length field at `field`, how long what follows it
    /// up to the end is.
    fn patch_length(&mut self, field: usize) -> Result<(), JsonError> {
        let body = self
            .len()
            .checked_sub(field + LENGTH)
            .ok_or(JsonError::TooBig)?;
        write_u16(self.0.written_mut(), field, body).ok_or(JsonError::TooBig)
    }

    /// Reorders `[from, end)` so that its last `by` bytes come first.
    fn rotate_right(&mut self, from: usize, by: usize) -> Result<(), JsonError> {
        self.0
            .written_mut()
            .get_mut(from..)
            .ok_or(JsonError::TooBig)?
            .rotate_right(by);
        Ok(())
    }

    /// The member of an object at `at`: its key, where its value starts and
    /// where it ends.
    fn member(&self, at: usize) -> Result<(&[u8], usize, usize), JsonError> {
        let written = self.0.written();
        let key_len = read_u16(written, at).ok_or(JsonError::TooBig)?;
        let value_start = at + LENGTH + key_len;
        let key = written
            .get(at + LENGTH..value_start)
            .ok_or(JsonError::TooBig)?;
        let value_len = written
            .get(value_start..)
            .and_then(encoded_len_at)
            .ok_or(JsonError::TooBig)?;
        Ok((key, value_start, value_start + value_len))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The message itself: an object with no header of its own.
    Message,
    Object,
    Array,
}

/// An array or object that has been opened and not yet closed.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    /// Where the container's tag is (its length field follows).
    start: usize,
    body_start: usize,
    /// In an object: where the member being read starts.
    member_start: usize,
    /// In an array: it is a `Buffer`'s data and holds one byte an item so
    /// far. In an object: its last member is such an array.
    compact: bool,
}

impl Frame {
    const EMPTY: Frame = Frame {
        kind: Kind::Message,
        start: 0,
        body_start: 0,
        member_start: 0,
        compact: false,
    };
}

/// The parser's state besides the text: what it has written, and the
/// containers open around where it is, innermost last.
struct Parser<'b> {
    out: Out<'b>,
    frames: [Frame; MAX_DEPTH + 1],
    n_frames: usize,
    max_frames: usize,
    /// Set while reading one property into a message: the message frame
    /// then ends after one member, without a closing brace.
    one_property: bool,
    /// Whether `{"type":"Buffer","data":[...]}` becomes a bytes value.
    buffers: bool,
}

/// The text and where the parser is in it. Kept apart from the output so
/// that reading the text never borrows what is being written.
struct Text<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl Text<'_> {
    fn peek(&self) -> Result<u8, JsonError> {
        self.bytes.get(self.at).copied().ok_or(JsonError::Truncated)
    }

    fn next(&mut self) -> Result<u8, JsonError> {
        let byte = self.peek()?;
        self.at += 1;
        Ok(byte)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, wanted: u8) -> Result<(), JsonError> {
        let at = self.at;
        if self.next()? == wanted {
            Ok(())
        } else {
            Err(JsonError::Unexpected { at })
        }
    }

    fn end(&mut self) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.at < self.bytes.len() {
            return Err(JsonError::TrailingCharacters { at: self.at });
        }
        Ok(())
    }

    /// Reads `true`, `false` or `null`, whose first byte has been seen.
    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let rest = self.bytes.get(self.at..).unwrap_or_default();
        if rest.starts_with(word) {
            self.at += word.len();
            Ok(())
        } else if word.starts_with(rest) {
            Err(JsonError::Truncated)
        } else {
            Err(JsonError::Unexpected { at: self.at })
        }
    }

    /// Reads a digit where the grammar requires one.
    fn digit(&mut self, number_start: usize) -> Result<(), JsonError> {
        match self.bytes.get(self.at) {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(JsonError::BadNumber { at: number_start }),
            None => Err(JsonError::Truncated),
        }
    }

    fn digits(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    /// Reads a number, checking JSON's grammar before handing the digits to
    /// JavaScript's `Number()`, which accepts more.
    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            _ => self.digit(start)?,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.digit(start)?;
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digit(start)?;
        }
        let digits = self.bytes.get(start..self.at).unwrap_or_default();
        // The grammar above admits ASCII only, and every JSON number is a
        // JavaScript numeric literal, rounded the same way.
        let text = core::str::from_utf8(digits).map_err(|_| JsonError::BadNumber { at: start })?;
        let number = crate::value::number_from_str(text);
        if number.is_nan() {
            return Err(JsonError::BadNumber { at: start });
        }
        Ok(number)
    }

    /// Reads four hex digits of a `\u` escape that starts at `escape`.
    fn hex4(&mut self, escape: usize) -> Result<u32, JsonError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = match self.next()? {
                byte @ b'0'..=b'9' => byte - b'0',
                byte @ b'a'..=b'f' => byte - b'a' + 10,
                byte @ b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(JsonError::BadEscape { at: escape }),
            };
            code = code * 16 + u32::from(digit);
        }
        Ok(code)
    }

    /// Reads the character of an escape whose backslash has been read.
    fn escape(&mut self) -> Result<char, JsonError> {
        let escape = self.at - 1;
        let simple = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{08}',
            b'f' => '\u{0c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(escape),
            _ => return Err(JsonError::BadEscape { at: escape }),
        };
        Ok(simple)
    }

    fn unicode_escape(&mut self, escape: usize) -> Result<char, JsonError> {
        let unit = self.hex4(escape)?;
        let code = match unit {
            0xD800..=0xDBFF => {
                let low_escape = self.at;
                if self.next()? != b'\\' || self.next()? != b'u' {
                    return Err(JsonError::LoneSurrogate { at: escape });
                }
                let low = self.hex4(low_escape)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(JsonError::LoneSurrogate { at: escape });
                }
                0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(JsonError::LoneSurrogate { at: escape }),
            _ => unit,
        };
        char::from_u32(code).ok_or(JsonError::BadEscape { at: escape })
    }
}

impl<'b> Parser<'b> {
    fn new(sink: &'b mut dyn Sink, max_frames: usize) -> Self {
        Self {
            out: Out(sink),
            frames: [Frame::EMPTY; MAX_DEPTH + 1],
            n_frames: 0,
            max_frames,
            one_property: false,
            buffers: true,
        }
    }

    /// A whole message: an object whose members become its properties.
    fn message(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        let mut text = Text { bytes, at: 0 };
        text.skip_whitespace();
        let at = text.at;
        if text.next()? != b'{' {
            return Err(JsonError::NotAnObject { at });
        }
        self.push(Frame {
            kind: Kind::Message,
            start: 0,
            body_start: 0,
            member_start: 0,
            compact: false,
        })?;
        text.skip_whitespace();
        if text.peek()? == b'}' {
            text.at += 1;
        } else {
            self.key(&mut text)?;
            self.values(&mut text)?;
        }
        text.end()
    }

    /// One property of a message, added after what it holds (and then
    /// moved to the place of the property it replaces, if any).
    fn property(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsonError> {
        let mut text = Text { bytes, at: 0 };
        let member_start = self.out.len();
        self.push(Frame {
            kind: Kind::Message,
            start: 0,
            body_start: 0,
            member_start,
            compact: false,
        })?;
        self.one_property = true;
        self.out.extend(&[0; LENGTH])?;
        self.out.extend(name.as_bytes())?;
        self.out.patch_length(member_start)?;
        self.values(&mut text)?;
        text.end()?;
        self.finish_member()
    }

    /// Any value.
    fn value(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        let mut text = Text { bytes, at: 0 };
        self.values(&mut text)?;
        text.end()
    }

    fn top(&self) -> Option<Frame> {
        self.frames.get(self.n_frames.checked_sub(1)?).copied()
    }

    fn top_mut(&mut self) -> Option<&mut Frame> {
        self.frames.get_mut(self.n_frames.checked_sub(1)?)
    }

    fn push(&mut self, frame: Frame) -> Result<(), JsonError> {
        let slot = self
            .frames
            .get_mut(self.n_frames)
            .ok_or(JsonError::TooBig)?;
        *slot = frame;
        self.n_frames += 1;
        Ok(())
    }

    /// Reads values until the outermost open container closes: the loop
    /// that stands in for recursion. Starts where a value is expected.
    fn values(&mut self, text: &mut Text<'_>) -> Result<(), JsonError> {
        let mut value_expected = true;
        loop {
            if value_expected {
                value_expected = self.start_value(text)?;
                continue;
            }
            let Some(frame) = self.top() else {
                return Ok(());
            };
            if frame.kind == Kind::Message && self.one_property {
                // `property` settles the member once the whole text is read:
                // settling moves what the message held, which an error
                // found later could not undo.
                return Ok(());
            }
            if frame.kind != Kind::Array {
                self.finish_member()?;
            }
            text.skip_whitespace();
            let at = text.at;
            match (frame.kind, text.next()?) {
                (Kind::Array, b',') => value_expected = true,
                (Kind::Object | Kind::Message, b',') => {
                    if frame.compact {
                        // A third member: this is no Buffer after all.
                        self.expand_compact(frame.member_start + BUFFER_DATA_KEY.len())?;
                        if let Some(top) = self.top_mut() {
                            top.compact = false;
                        }
                    }
                    self.key(text)?;
                    value_expected = true;
                }
                (Kind::Array, b']') | (Kind::Object, b'}') => self.close()?,
                (Kind::Message, b'}') => {
                    self.n_frames -= 1;
                    return Ok(());
                }
                _ => return Err(JsonError::Unexpected { at }),
            }
        }
    }

    /// Reads the start of a value: a whole scalar, or the opening of a
    /// container. Returns whether a value is expected next (the first item
    /// of a container that was just opened).
    fn start_value(&mut self, text: &mut Text<'_>) -> Result<bool, JsonError> {
        text.skip_whitespace();
        let at = text.at;
        let first = text.peek()?;
        if let Some(array) = self.top().filter(|frame| frame.compact) {
            if array.kind == Kind::Array {
                if matches!(first, b'-' | b'0'..=b'9') {
                    let number = text.number()?;
                    // `as` saturates; the comparison keeps only exact bytes.
                    let byte = number as u8;
                    if f64::from(byte) == number {
                        self.out.extend(&[byte])?;
                        return Ok(false);
                    }
                    self.stop_compact()?;
                    self.out.push_number(number)?;
                    return Ok(false);
                }
                self.stop_compact()?;
            }
        }
        match first {
            b'{' | b'[' => {
                text.at += 1;
                let (kind, tag, close) = if first == b'{' {
                    (Kind::Object, OBJECT, b'}')
                } else {
                    (Kind::Array, ARRAY, b']')
                };
                self.open(kind, tag, at)?;
                text.skip_whitespace();
                if text.peek()? == close {
                    text.at += 1;
                    self.close()?;
                    Ok(false)
                } else if kind == Kind::Object {
                    self.key(text)?;
                    Ok(true)
                } else {
                    Ok(true)
                }
            }
            b'"' => {
                text.at += 1;
                let start = self.out.len();
                self.out.extend(&[STRING, 0, 0])?;
                self.string(text)?;
                self.out.patch_length(start + 1)?;
                Ok(false)
            }
            b't' => self.literal(text, b"true", TRUE),
            b'f' => self.literal(text, b"false", FALSE),
            b'n' => self.literal(text, b"null", NULL),
            b'-' | b'0'..=b'9' => {
                let number = text.number()?;
                self.out.push_number(number)?;
                Ok(false)
            }
            _ => Err(JsonError::Unexpected { at }),
        }
    }

    fn literal(&mut self, text: &mut Text<'_>, word: &[u8], tag: u8) -> Result<bool, JsonError> {
        text.literal(word)?;
        self.out.extend(&[tag])?;
        Ok(false)
    }

    fn open(&mut self, kind: Kind, tag: u8, at: usize) -> Result<(), JsonError> {
        if self.n_frames >= self.max_frames {
            return Err(JsonError::TooDeep { at });
        }
        let start = self.out.len();
        // A Buffer's data array is read one byte an item from the start, so
        // a buffer needs no more room while it is read than once it is.
        let compact = kind == Kind::Array && self.at_buffer_data(start);
        if compact {
            if let Some(parent) = self.top_mut() {
                parent.compact = true;
            }
        }
        self.out.extend(&[tag, 0, 0])?;
        self.push(Frame {
            kind,
            start,
            body_start: start + HEADER,
            member_start: start + HEADER,
            compact,
        })
    }

    /// Whether a value starting at `value_start` is the `data` of an object
    /// that so far is `{"type":"Buffer","data":`.
    fn at_buffer_data(&self, value_start: usize) -> bool {
        if !self.buffers {
            return false;
        }
        let Some(parent) = self.top().filter(|frame| frame.kind == Kind::Object) else {
            return false;
        };
        let written = self.out.0.written();
        written.get(parent.body_start..parent.member_start) == Some(BUFFER_TYPE_MEMBER)
            && written.get(parent.member_start..value_start) == Some(BUFFER_DATA_KEY)
    }

    /// Closes the innermost container: its length is known now.
    fn close(&mut self) -> Result<(), JsonError> {
        let frame = self.top().ok_or(JsonError::TooBig)?;
        self.n_frames -= 1;
        if frame.kind == Kind::Object && frame.compact {
            return self.make_bytes(frame);
        }
        self.out.patch_length(frame.start + 1)
    }

    /// Turns `{"type":"Buffer","data":[...]}`, whose data was read one byte
    /// an item, into a bytes value where the object starts.
    fn make_bytes(&mut self, object: Frame) -> Result<(), JsonError> {
        let array = object.member_start + BUFFER_DATA_KEY.len();
        let written = self.out.0.written_mut();
        let data_len = read_u16(written, array + 1).ok_or(JsonError::TooBig)?;
        let data_start = array + HEADER;
        if data_start + data_len > written.len() {
            return Err(JsonError::TooBig);
        }
        *written.get_mut(object.start).ok_or(JsonError::TooBig)? = BYTES;
        write_u16(written, object.start + 1, data_len).ok_or(JsonError::TooBig)?;
        written.copy_within(data_start..data_start + data_len, object.start + HEADER);
        self.out.0.truncate(object.start + HEADER + data_len);
        Ok(())
    }

    /// The open array was read as a Buffer's data but holds something other
    /// than a byte: from now on it is an ordinary array.
    fn stop_compact(&mut self) -> Result<(), JsonError> {
        let array = self.top().ok_or(JsonError::TooBig)?;
        self.expand_compact(array.start)?;
        if let Some(top) = self.top_mut() {
            top.compact = false;
        }
        let parent = self.n_frames.checked_sub(2).ok_or(JsonError::TooBig)?;
        if let Some(object) = self.frames.get_mut(parent) {
            object.compact = false;
        }
        Ok(())
    }

    /// Rewrites the array at `array`, the last thing written, from one byte
    /// an item to numbers, back to front so that nothing is overwritten
    /// before it is read.
    fn expand_compact(&mut self, array: usize) -> Result<(), JsonError> {
        let body = array + HEADER;
        let n_items = self.out.len().checked_sub(body).ok_or(JsonError::TooBig)?;
        let extra = n_items
            .checked_mul(NUMBER_LEN - 1)
            .ok_or(JsonError::TooBig)?;
        self.out.0.grow(extra)?;
        let written = self.out.0.written_mut();
        for index in (0..n_items).rev() {
            let byte = *written.get(body + index).ok_or(JsonError::TooBig)?;
            let at = body + index * NUMBER_LEN;
            let slot = written
                .get_mut(at..at + NUMBER_LEN)
                .ok_or(JsonError::TooBig)?;
            let (tag, value) = slot.split_at_mut(1);
            tag.fill(NUMBER);
            value.copy_from_slice(&f64::from(byte).to_le_bytes());
        }
        self.out.patch_length(array + 1)
    }

    /// Reads an object's key and the colon after it.
    fn key(&mut self, text: &mut Text<'_>) -> Result<(), JsonError> {
        text.skip_whitespace();
        text.expect(b'"')?;
        let member_start = self.out.len();
        if let Some(frame) = self.top_mut() {
            frame.member_start = member_start;
        }
        self.out.extend(&[0; LENGTH])?;
        self.string(text)?;
        self.out.patch_length(member_start)?;
        text.skip_whitespace();
        text.expect(b':')
    }

    /// Reads the rest of a string whose opening quote has been read,
    /// writing its characters.
    fn string(&mut self, text: &mut Text<'_>) -> Result<(), JsonError> {
        loop {
            let run_start = text.at;
            while matches!(text.bytes.get(text.at), Some(&byte) if !matches!(byte, b'"' | b'\\' | 0..=0x1f))
            {
                text.at += 1;
            }
            let run = text.bytes.get(run_start..text.at).unwrap_or_default();
            if let Err(error) = core::str::from_utf8(run) {
                // A character cut off by the end of the text is truncation.
                return Err(match error.error_len() {
                    None if text.at == text.bytes.len() => JsonError::Truncated,
                    _ => JsonError::InvalidUtf8 {
                        at: run_start + error.valid_up_to(),
                    },
                });
            }
            self.out.extend(run)?;
            let at = text.at;
            match text.next()? {
                b'"' => return Ok(()),
                b'\\' => {
                    let character = text.escape()?;
                    self.out
                        .extend(character.encode_utf8(&mut [0; 4]).as_bytes())?;
                }
                _ => return Err(JsonError::ControlCharacter { at }),
            }
        }
    }

    /// Settles the member just read into its object: a key seen before
    /// takes the new value at its old place, and an array-index key moves
    /// in front of the other keys, as in a JavaScript object.
    fn finish_member(&mut self) -> Result<(), JsonError> {
        let frame = self.top().ok_or(JsonError::TooBig)?;
        let (key, new_value_start, _) = self.out.member(frame.member_start)?;
        let index = array_index(key);
        let mut at = frame.body_start;
        let mut insert_at = None;
        while at < frame.member_start {
            let (other, value_start, end) = self.out.member(at)?;
            if other == key {
                return self.replace_value(value_start, end, frame.member_start, new_value_start);
            }
            if insert_at.is_none() {
                if let Some(index) = index {
                    if array_index(other).is_none_or(|other| other > index) {
                        insert_at = Some(at);
                    }
                }
            }
            at = end;
        }
        if let Some(insert_at) = insert_at {
            self.out
                .rotate_right(insert_at, self.out.len() - frame.member_start)?;
        }
        Ok(())
    }

    /// Moves the value at `[new_value_start, end)`, the last member's, over
    /// the value at `[old_start, old_end)`, and drops the last member.
    fn replace_value(
        &mut self,
        old_start: usize,
        old_end: usize,
        member_start: usize,
        new_value_start: usize,
    ) -> Result<(), JsonError> {
        // old value, between, new key, new value -> new value, between.
        let new_value_len = self.out.len() - new_value_start;
        self.out.rotate_right(old_start, new_value_len)?;
        let old_len = old_end - old_start;
        self.out
            .0
            .written_mut()
            .get_mut(old_start + new_value_len..)
            .ok_or(JsonError::TooBig)?
            .rotate_left(old_len);
        self.out
            .0
            .truncate(old_start + new_value_len + (member_start - old_end));
        Ok(())
    }
}

/// The index a key stands for when JavaScript treats it as an array index:
/// the canonical decimal form of 0 to 2³² − 2.
pub(crate) fn array_index(key: &[u8]) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key.first() == Some(&b'0')) {
        return None;
    }
    let mut index: u64 = 0;
    for byte in key {
        if !byte.is_ascii_digit() {
            return None;
        }
        index = index * 10 + u64::from(byte - b'0');
    }
    u32::try_from(index).ok().filter(|index| *index != u32::MAX)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;

    use super::*;

    /// Parses `input` as a message and shows the result as compact JSON, or
    /// the error.
    fn check(input: &str, expect: &str) {
        let actual = match Msg::<512>::from_json(input.as_bytes()) {
            Ok(msg) => {
                let mut out = String::new();
                msg.write_json(&mut out).unwrap();
                out
            }
            Err(error) => format!("{error:?}"),
        };
        assert_eq!(actual, expect, "input: {input}");
    }

    /// As `check`, for a lone value.
    fn check_value(input: &str, expect: &str) {
        let mut scratch = [0; 512];
        let actual = match value_from_json(input.as_bytes(), &mut scratch) {
            Ok(value) => {
                let mut out = String::new();
                value.write_json(&mut out).unwrap();
                format!("{} {out}", value.type_name())
            }
            Err(error) => format!("{error:?}"),
        };
        assert_eq!(actual, expect, "input: {input}");
    }

    #[test]
    fn messages() {
        check("{}", "{}");
        check(" \t\r\n{ } \n", "{}");
        check(
            r#"{"topic":"a/b","payload":{"x":[1,2.5,-3e2,true,false,null]}}"#,
            r#"{"topic":"a/b","payload":{"x":[1,2.5,-300,true,false,null]}}"#,
        );
        check(r#"{ "a" : [ ] , "b" : { } }"#, r#"{"a":[],"b":{}}"#);
        check(r#"{"":""}"#, r#"{"":""}"#);
    }

    #[test]
    fn a_message_is_an_object() {
        check("", "Truncated");
        check("  ", "Truncated");
        check("[]", "NotAnObject { at: 0 }");
        check(" 1", "NotAnObject { at: 1 }");
        check(r#""s""#, "NotAnObject { at: 0 }");
    }

    #[test]
    fn strings_and_escapes() {
        check(
            r#"{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}"#,
            r#"{"s":"\"\\/\b\f\n\r\tAé€😀"}"#,
        );
        check(r#"{"s":"\u0000"}"#, r#"{"s":"\u0000"}"#);
        check(r#"{"s":"\uD83D\uDE00"}"#, r#"{"s":"😀"}"#);
        check(r#"{"s":"héllo ✓ 😀"}"#, r#"{"s":"héllo ✓ 😀"}"#);
        check(r#"{"s":"\x"}"#, "BadEscape { at: 6 }");
        check(r#"{"s":"\u12G4"}"#, "BadEscape { at: 6 }");
        check(r#"{"s":"\ud800"}"#, "LoneSurrogate { at: 6 }");
        check(r#"{"s":"\ud800\u0041"}"#, "LoneSurrogate { at: 6 }");
        check(r#"{"s":"\ud800x"}"#, "LoneSurrogate { at: 6 }");
        check(r#"{"s":"\udc00\ud800"}"#, "LoneSurrogate { at: 6 }");
        check("{\"s\":\"a\tb\"}", "ControlCharacter { at: 7 }");
        check("{\"s\":\"a\nb\"}", "ControlCharacter { at: 7 }");
        check(r#"{'s':1}"#, "Unexpected { at: 1 }");
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let cases: [(&[u8], JsonError); 4] = [
            (b"{\"s\":\"\xff\"}", JsonError::InvalidUtf8 { at: 6 }),
            (b"{\"s\":\"a\xc3(\"}", JsonError::InvalidUtf8 { at: 7 }),
            (b"{\"\xed\xa0\x80\":1}", JsonError::InvalidUtf8 { at: 2 }),
            (b"{\"s\":\"\xe2\x82", JsonError::Truncated),
        ];
        for (input, error) in cases {
            assert_eq!(Msg::<64>::from_json(input), Err(error), "{input:?}");
        }
        // Outside strings, anything beyond ASCII is simply unexpected.
        assert_eq!(
            Msg::<64>::from_json(b"{\xc3\xa9:1}"),
            Err(JsonError::Unexpected { at: 1 })
        );
    }

    #[test]
    fn numbers_round_as_javascript_does() {
        check_value("0", "number 0");
        check_value("-0", "number 0");
        check_value("1.5e3", "number 1500");
        check_value("1E-7", "number 1e-7");
        check_value(
            "123456789012345678901234567890",
            "number 1.2345678901234568e+29",
        );
        // 2^53 + 1 rounds to even, as it does in JavaScript.
        check_value("9007199254740993", "number 9007199254740992");
        check_value("9007199254740995", "number 9007199254740996");
        check_value("0.1", "number 0.1");
        check_value("2.2250738585072011e-308", "number 2.225073858507201e-308");
        check_value("5e-324", "number 5e-324");
        check_value("1e-400", "number 0");
        // JSON.parse gives Infinity, which JSON.stringify writes as null.
        check_value("1e400", "number null");
        check_value("-1e400", "number null");
        check_value("01", "TrailingCharacters { at: 1 }");
        check_value("1.", "Truncated");
        check_value("1.e3", "BadNumber { at: 0 }");
        check_value(".5", "Unexpected { at: 0 }");
        check_value("+1", "Unexpected { at: 0 }");
        check_value("-", "Truncated");
        check_value("-a", "BadNumber { at: 0 }");
        check_value("1e", "Truncated");
        check_value("1e+", "Truncated");
        check_value("1ex", "BadNumber { at: 0 }");
        check_value("NaN", "Unexpected { at: 0 }");
        check_value("Infinity", "Unexpected { at: 0 }");
        check_value("0x10", "TrailingCharacters { at: 1 }");
    }

    #[test]
    fn negative_zero_stays_negative() {
        let mut scratch = [0; 16];
        let value = value_from_json(b"-0", &mut scratch).unwrap();
        let ValueRef::Number(number) = value else {
            panic!("{value:?}")
        };
        assert!(number == 0.0 && number.is_sign_negative());
    }

    #[test]
    fn literals() {
        check_value("true", "boolean true");
        check_value(" false ", "boolean false");
        check_value("null", "null null");
        check_value("tru", "Truncated");
        check_value("nul", "Truncated");
        check_value("trux", "Unexpected { at: 0 }");
        check_value("True", "Unexpected { at: 0 }");
        check_value("nullx", "TrailingCharacters { at: 4 }");
    }

    #[test]
    fn values_of_every_type() {
        check_value(r#""text""#, r#"string "text""#);
        check_value("[]", "array []");
        check_value("[1,[2,[3]],{}]", "array [1,[2,[3]],{}]");
        check_value(r#"{"a":{"b":null}}"#, r#"object {"a":{"b":null}}"#);
        check_value("", "Truncated");
        check_value("[1,]", "Unexpected { at: 3 }");
        check_value("[1 2]", "Unexpected { at: 3 }");
        check_value(r#"{"a":1,}"#, "Unexpected { at: 7 }");
        check_value(r#"{"a" 1}"#, "Unexpected { at: 5 }");
        check_value(r#"{"a":1"#, "Truncated");
        check_value("[", "Truncated");
        check_value("]", "Unexpected { at: 0 }");
        check_value("[1]]", "TrailingCharacters { at: 3 }");
        check_value("1 2", "TrailingCharacters { at: 2 }");
        check_value("\u{feff}1", "Unexpected { at: 0 }");
        check_value("/* */ 1", "Unexpected { at: 0 }");
    }

    #[test]
    fn repeated_keys_keep_their_place_and_the_last_value() {
        check(r#"{"a":1,"b":2,"a":3}"#, r#"{"a":3,"b":2}"#);
        check(
            r#"{"a":[1,2,3],"b":"x","a":"short","c":{"a":1,"a":{"z":[]}}}"#,
            r#"{"a":"short","b":"x","c":{"a":{"z":[]}}}"#,
        );
        check(r#"{"a":1,"a":2,"a":3}"#, r#"{"a":3}"#);
        check(
            r#"{"a":"","a":"a longer value"}"#,
            r#"{"a":"a longer value"}"#,
        );
    }

    #[test]
    fn array_index_keys_come_first_in_order() {
        check(
            r#"{"b":1,"10":2,"a":3,"2":4,"0":5,"01":6,"-1":7,"4294967295":8,"4294967294":9}"#,
            r#"{"0":5,"2":4,"10":2,"4294967294":9,"b":1,"a":3,"01":6,"-1":7,"4294967295":8}"#,
        );
        check(r#"{"1":1,"b":2,"1":3}"#, r#"{"1":3,"b":2}"#);
        check_value(
            r#"{"z":{"9":1,"x":2,"1":3}}"#,
            r#"object {"z":{"1":3,"9":1,"x":2}}"#,
        );
    }

    #[test]
    fn buffers_become_bytes() {
        check_value(
            r#"{"type":"Buffer","data":[]}"#,
            r#"buffer {"type":"Buffer","data":[]}"#,
        );
        check_value(
            r#"{ "type" : "Buffer" , "data" : [ 0 , 255, 1e2, -0, 2.0 ] }"#,
            r#"buffer {"type":"Buffer","data":[0,255,100,0,2]}"#,
        );
        check(
            r#"{"payload":{"type":"Buffer","data":[104,105]},"topic":"t"}"#,
            r#"{"payload":{"type":"Buffer","data":[104,105]},"topic":"t"}"#,
        );
        let mut msg = Msg::<64>::from_json(br#"{"p":{"type":"Buffer","data":[1,2,3]}}"#).unwrap();
        assert_eq!(msg.property("p"), Some(ValueRef::Bytes(&[1, 2, 3])));
        // The data takes a byte an item even while it is read (as numbers,
        // 30 items would take 270 bytes): only the object around it, 24
        // bytes, is extra while it is read.
        let mut text = String::from(r#"{"p":{"type":"Buffer","data":["#);
        for index in 0..30 {
            text += &format!("{}{}", if index > 0 { "," } else { "" }, 200 + index);
        }
        text += "]}}";
        msg = Msg::<64>::from_json(text.as_bytes()).unwrap();
        assert!(matches!(msg.property("p"), Some(ValueRef::Bytes(bytes)) if bytes.len() == 30));
    }

    #[test]
    fn objects_that_only_look_like_buffers_stay_objects() {
        for input in [
            r#"{"type":"Buffer","data":[1,256]}"#,
            r#"{"type":"Buffer","data":[1,-1]}"#,
            r#"{"type":"Buffer","data":[1,1.5]}"#,
            r#"{"type":"Buffer","data":[1,"2"]}"#,
            r#"{"type":"Buffer","data":[1,[2]]}"#,
            r#"{"type":"Buffer","data":[1,null]}"#,
            r#"{"type":"Buffer","data":[1,2],"x":3}"#,
            r#"{"type":"Buffer","data":[1,2],"type":"Buffer"}"#,
            r#"{"data":[1,2],"type":"Buffer"}"#,
            r#"{"type":"buffer","data":[1,2]}"#,
            r#"{"type":"Buffer","data":"12"}"#,
            r#"{"type":"Buffer"}"#,
            r#"{"x":0,"type":"Buffer","data":[1]}"#,
        ] {
            let mut scratch = [0; 256];
            let value = value_from_json(input.as_bytes(), &mut scratch).unwrap();
            assert_eq!(value.type_name(), "object", "{input}");
        }
        check_value(
            r#"{"type":"Buffer","data":[1,2,300]}"#,
            r#"object {"type":"Buffer","data":[1,2,300]}"#,
        );
        check_value(
            r#"{"type":"Buffer","data":[7],"z":[8]}"#,
            r#"object {"type":"Buffer","data":[7],"z":[8]}"#,
        );
        // The first `type` member is replaced, so the object has two members
        // again, but its data was read as an ordinary array by then.
        check_value(
            r#"{"type":"Buffer","data":[7],"type":"Buffer"}"#,
            r#"object {"type":"Buffer","data":[7]}"#,
        );
    }

    #[test]
    fn nesting_is_limited() {
        let nested = |depth: usize| {
            let mut text = String::from("{\"p\":");
            text += &"[".repeat(depth);
            text += &"]".repeat(depth);
            text += "}";
            text
        };
        check(&nested(MAX_DEPTH), &nested(MAX_DEPTH));
        check(
            &nested(MAX_DEPTH + 1),
            &format!("TooDeep {{ at: {} }}", 5 + MAX_DEPTH),
        );
        let deep_value = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        check_value(&deep_value, &format!("array {deep_value}"));
        check_value(
            &format!("[{deep_value}]"),
            &format!("TooDeep {{ at: {MAX_DEPTH} }}"),
        );
    }

    #[test]
    fn too_big_for_the_message() {
        assert_eq!(
            Msg::<16>::from_json(br#"{"payload":"0123456789"}"#),
            Err(JsonError::TooBig)
        );
        assert!(Msg::<24>::from_json(br#"{"payload":"0123456789"}"#).is_ok());
        let mut scratch = [0; 8];
        assert_eq!(
            value_from_json(b"1", &mut scratch).map(|_| ()),
            Err(JsonError::TooBig)
        );
        assert_eq!(
            value_from_json(b"\"1234\"", &mut scratch).map(|_| ()),
            Ok(())
        );
        // Lengths are 16 bits.
        let mut big = std::vec![0; 70_000];
        let long = std::format!("\"{}\"", "x".repeat(66_000));
        assert_eq!(
            value_from_json(long.as_bytes(), &mut big).map(|_| ()),
            Err(JsonError::TooBig)
        );
    }

    #[test]
    fn one_property_replaces_in_place_or_is_added() {
        let mut msg = Msg::<128>::from_json(br#"{"topic":"t","payload":"old","qos":1}"#).unwrap();
        msg.set_property_json("payload", br#" {"a":[1,2]} "#)
            .unwrap();
        assert_eq!(
            format!("{msg:?}"),
            r#"{"topic":"t","payload":{"a":[1,2]},"qos":1}"#
        );
        msg.set_property_json("retain", b"false").unwrap();
        assert_eq!(
            format!("{msg:?}"),
            r#"{"topic":"t","payload":{"a":[1,2]},"qos":1,"retain":false}"#
        );
        let before = msg.clone();
        let too_long = format!("\"{}\"", "x".repeat(100));
        let bad: [&[u8]; 4] = [b"[1,", b"1 2", b"\"\\ud800\"", too_long.as_bytes()];
        for bad in bad {
            assert!(msg.set_property_json("payload", bad).is_err());
            assert_eq!(msg, before);
        }
        msg.set_property_json("payload", br#"{"type":"Buffer","data":[9]}"#)
            .unwrap();
        assert_eq!(msg.payload(), Some(ValueRef::Bytes(&[9])));
    }

    #[test]
    fn errors_print_with_their_place() {
        assert_eq!(
            format!("{}", JsonError::Unexpected { at: 3 }),
            "unexpected character at byte 3"
        );
        assert_eq!(
            format!("{}", JsonError::TooBig),
            "the value does not fit the message"
        );
    }
}
