//! `split`: sends a message for each piece of a property, as Node-RED's
//! `17-split.js` does: text cut at a separator or into lengths, a buffer
//! cut at a separator or into lengths, an array item by item or in chunks,
//! an object key by key; each piece carries `msg.parts`, which `join` reads
//! to put the pieces back together.
//!
//! In `stream` mode the piece after the last separator (or a piece shorter
//! than the length) is kept and put before the next message's text. A
//! device keeps it in `R` bytes, fixed at build time (the message capacity
//! when the node streams, none otherwise); a piece too long to keep, or
//! text and a kept piece too long for a message together, is dropped and
//! counted (`ErrorKind::Oversize`).
//!
//! A complete node hears of a message when Node-RED's split calls
//! `done()` for it ([`Split::input_now`]): as its input returns, with the
//! message as the split left it (its `msg.parts` and its last piece), and,
//! in `stream` mode when a length's last piece (or a buffer's piece after
//! the last separator) waits for the next message, only once a later
//! message sends a piece; until then a watched node keeps it ([`Pending`]).
//!
//! `msg.parts.id`, random in Node-RED, is on a device sixteen hexadecimal
//! digits: eight from a hash (FNV-1a) of the node's id, eight counting the
//! messages the node has split since the device started. The ids of one
//! node's groups differ until the count wraps after 2³² messages; those of
//! two nodes differ unless their ids' hashes collide.

use super::complete::{Fate, Finishing, Pending, Unwatched};
use crate::encoding::{encoded_len_at, write_u16, Bytes, EmptyContainer, Encode, Str, OBJECT};
use crate::msg::PathSegment;
use crate::value::{Items, Members};
use crate::{ConstValue, Device, ErrorKind, Msg, MsgError, Node, NodeInfo, Outputs, ValueRef};

/// Where text and buffers are cut (Node-RED's `splt` and `spltType`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitAt {
    /// `str`: at this text, escapes (`\n`, `\t`...) already read.
    Text(&'static str),
    /// `bin`: at these bytes; text is cut at their UTF-8 reading (`text`),
    /// and `msg.parts.ch` is the array the flow wrote (`array`).
    Bytes {
        bytes: &'static [u8],
        text: &'static str,
        array: ConstValue,
    },
    /// `len`: into pieces of this many characters or bytes.
    Length(usize),
}

/// How a split node cuts, as the flow configures it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitConfig {
    pub at: SplitAt,
    /// Items in each piece of an array (`arraySplt`); 1 sends the items
    /// themselves.
    pub array_length: usize,
    /// `stream`: the last piece waits for the next message.
    pub stream: bool,
    /// `addname`: the property that receives an object's key.
    pub key_to: Option<&'static [PathSegment<'static>]>,
    /// The property split (`property`).
    pub path: &'static [PathSegment<'static>],
    /// The property's name, for `msg.parts.property`, when it is not
    /// `payload`.
    pub property: Option<&'static str>,
}

/// A `split` node that keeps at most `R` bytes of a stream between
/// messages of `N` bytes, and in `P` the messages it has not finished with.
pub struct Split<const N: usize, const R: usize, P = Unwatched> {
    pub info: NodeInfo,
    config: SplitConfig,
    /// The index of the next piece of a stream (Node-RED's `node.c`).
    next_index: u32,
    /// How many messages the node has split: the low half of their ids.
    groups: u32,
    /// What is left of a stream of text (`node.remainder`).
    text_rest: heapless::Vec<u8, R>,
    /// What is left of a stream of buffers (`node.buffer`).
    bytes_rest: heapless::Vec<u8, R>,
    /// The messages whose piece waits in a stream (Node-RED's
    /// `pendingDones`).
    pending: P,
}

const PARTS: &str = "parts";

impl<const N: usize, const R: usize, P: Pending<N>> Split<N, R, P> {
    pub const fn new(info: NodeInfo, config: SplitConfig) -> Self {
        Self {
            info,
            config,
            next_index: 0,
            groups: 0,
            text_rest: heapless::Vec::new(),
            bytes_rest: heapless::Vec::new(),
            pending: P::EMPTY,
        }
    }
}

impl<const N: usize, const R: usize, P: Pending<N>> Finishing<N> for Split<N, R, P> {
    /// A message arrives (a split keeps no time), and `finished` is given
    /// each message the node has finished with (Node-RED's `done()`), as
    /// Node-RED leaves it: with its `msg.parts` and, for text, buffers and
    /// objects, its last piece (an array's message keeps its array, and
    /// parts without an index). In `stream` mode a message whose last
    /// piece waits is given once a later message sends a piece, before
    /// that message's last piece leaves. `out` must send copies
    /// (`Watched`).
    fn input_finishing<O: Outputs<N>>(
        &mut self,
        _now: u64,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        finished: &mut impl FnMut(&Msg<N>),
    ) {
        let Some(value) = msg.get(self.config.path) else {
            return;
        };
        let mut piece = msg.clone();
        if device
            .check(self.start_parts(msg, &mut piece), ErrorKind::Oversize)
            .is_none()
        {
            return;
        }
        let mut send = Sender {
            device,
            path: self.config.path,
            piece,
            out,
            finished,
        };
        let fate = match value {
            ValueRef::Str(text) => self.split_text(text, &mut send),
            ValueRef::Bytes(bytes) => self.split_bytes(bytes, &mut send),
            ValueRef::Array(items) => {
                let fate = self.split_array(items, &mut send);
                // Node-RED sends copies of a copy: the message keeps its
                // array, and its parts have no index.
                let kept = send.piece.set(self.config.path, &value).map(|()| {
                    send.piece
                        .remove(&[PathSegment::Key(PARTS), PathSegment::Key("index")]);
                });
                match send.device.check(kept, ErrorKind::Oversize) {
                    Some(()) => fate,
                    None => Fate::Never,
                }
            }
            ValueRef::Object(members) => self.split_object(members, &mut send),
            // Numbers, booleans and null are dropped, and finished with.
            _ => Fate::Now,
        };
        match fate {
            Fate::Now => (send.finished)(&send.piece),
            Fate::Later => self.pending.keep(device, 0, &send.piece),
            Fate::Never => {}
        }
    }

    fn clock_ms() -> u64 {
        0
    }
}

impl<const N: usize, const R: usize, P: Pending<N>> Split<N, R, P> {
    /// A later message sent a piece of the stream: the messages whose
    /// piece waited are finished with.
    fn release(&mut self, send: &mut Sender<'_, N, impl Outputs<N>>) {
        self.pending.release(0, false, &mut *send.finished);
    }

    /// `msg.parts` as Node-RED starts it: the message's own parts pushed
    /// down, the group's id, and the property when it is not `payload`.
    fn start_parts(&mut self, msg: &Msg<N>, piece: &mut Msg<N>) -> Result<(), MsgError> {
        match msg.property(PARTS) {
            Some(outer) => set_parts_below(piece, &outer)?,
            None => piece.set_property(PARTS, &EmptyContainer(OBJECT))?,
        }
        let mut id = [0u8; 16];
        group_id(self.info.id, self.groups, &mut id);
        self.groups = self.groups.wrapping_add(1);
        set_part(piece, "id", &Str(core::str::from_utf8(&id).unwrap_or("")))?;
        if let Some(property) = self.config.property {
            set_part(piece, "property", &Str(property))?;
        }
        Ok(())
    }

    fn split_text<O: Outputs<N>>(&mut self, text: &str, send: &mut Sender<'_, N, O>) -> Fate {
        let mut joined = heapless::Vec::<u8, N>::new();
        let text = if self.text_rest.is_empty() {
            text
        } else {
            let fits = joined.extend_from_slice(&self.text_rest).is_ok()
                && joined.extend_from_slice(text.as_bytes()).is_ok();
            self.text_rest.clear();
            if !fits {
                send.device.report(ErrorKind::Oversize);
                return Fate::Never;
            }
            core::str::from_utf8(&joined).unwrap_or("")
        };
        if send.part("type", &Str("string")).is_none() {
            return Fate::Never;
        }
        let separator = match self.config.at {
            SplitAt::Length(length) => return self.text_lengths(text, length, send),
            SplitAt::Text(separator) => {
                if send.part("ch", &Str(separator)).is_none() {
                    return Fate::Never;
                }
                separator
            }
            SplitAt::Bytes { text, array, .. } => {
                if send.part("ch", &array).is_none() {
                    return Fate::Never;
                }
                text
            }
        };
        // Node-RED's `sendArray`: every piece but the last leaves at once;
        // the last too, unless the node streams. It is finished with the
        // message either way.
        let count = text.matches(separator).count() + 1;
        let mut pieces = text.split(separator).peekable();
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            if last && self.config.stream {
                self.keep_text(piece, send.device);
                return Fate::Now;
            }
            let count = (!self.config.stream).then_some(count);
            if !self.send_piece(&Str(piece), count, send) {
                return Fate::Never;
            }
        }
        self.next_index = 0;
        Fate::Now
    }

    /// Text cut into pieces of `length` characters.
    fn text_lengths<O: Outputs<N>>(
        &mut self,
        text: &str,
        length: usize,
        send: &mut Sender<'_, N, O>,
    ) -> Fate {
        let all = text.chars().count().div_ceil(length);
        if send.part("ch", &Str("")).is_none()
            || send.part("len", &(length as f64)).is_none()
            || !self.start_count(all, send)
        {
            return Fate::Never;
        }
        let mut rest = text;
        for _ in 1..all {
            let (piece, after) = split_chars(rest, length);
            rest = after;
            if !self.send_piece(&Str(piece), None, send) {
                return Fate::Never;
            }
        }
        if all > 1 {
            self.release(send);
        }
        if !self.config.stream || rest.chars().count() == length {
            if !self.send_piece(&Str(rest), None, send) {
                return Fate::Never;
            }
            self.release(send);
            Fate::Now
        } else {
            self.keep_text(rest, send.device);
            Fate::Later
        }
    }

    /// When not streaming, a group's count, set before its pieces, and its
    /// first index; whether it could be set.
    fn start_count<O: Outputs<N>>(&mut self, count: usize, send: &mut Sender<'_, N, O>) -> bool {
        if self.config.stream {
            return true;
        }
        self.next_index = 0;
        send.part("count", &(count as f64)).is_some()
    }

    fn split_bytes<O: Outputs<N>>(&mut self, bytes: &[u8], send: &mut Sender<'_, N, O>) -> Fate {
        let mut joined = heapless::Vec::<u8, N>::new();
        let bytes = if self.bytes_rest.is_empty() {
            bytes
        } else {
            let fits = joined.extend_from_slice(&self.bytes_rest).is_ok()
                && joined.extend_from_slice(bytes).is_ok();
            self.bytes_rest.clear();
            if !fits {
                send.device.report(ErrorKind::Oversize);
                return Fate::Never;
            }
            &joined
        };
        if send.part("type", &Str("buffer")).is_none() {
            return Fate::Never;
        }
        let separator = match self.config.at {
            SplitAt::Length(length) => return self.byte_lengths(bytes, length, send),
            SplitAt::Text(separator) => {
                if send.part("ch", &Str(separator)).is_none() {
                    return Fate::Never;
                }
                separator.as_bytes()
            }
            SplitAt::Bytes { bytes, array, .. } => {
                if send.part("ch", &array).is_none() {
                    return Fate::Never;
                }
                bytes
            }
        };
        let count = occurrences(bytes, separator) + 1;
        if !self.start_count(count, send) {
            return Fate::Never;
        }
        let mut rest = bytes;
        while let Some(at) = find(rest, separator) {
            let (piece, after) = (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + separator.len()..).unwrap_or_default(),
            );
            rest = after;
            if !self.send_piece(&Bytes(piece), None, send) {
                return Fate::Never;
            }
        }
        if count > 1 {
            self.release(send);
        }
        // Node-RED keeps a trailing empty piece unsent, even when not
        // streaming, though `count` counts it. It is finished with the
        // message unless a piece waits.
        if !self.config.stream && !rest.is_empty() {
            if !self.send_piece(&Bytes(rest), None, send) {
                return Fate::Never;
            }
            self.release(send);
            Fate::Now
        } else {
            self.keep_bytes(rest, send.device);
            if rest.is_empty() {
                Fate::Now
            } else {
                Fate::Later
            }
        }
    }

    /// A buffer cut into pieces of `length` bytes.
    fn byte_lengths<O: Outputs<N>>(
        &mut self,
        bytes: &[u8],
        length: usize,
        send: &mut Sender<'_, N, O>,
    ) -> Fate {
        let all = bytes.len().div_ceil(length);
        if !self.start_count(all, send) || send.part("len", &(length as f64)).is_none() {
            return Fate::Never;
        }
        let mut chunks = bytes.chunks(length);
        for chunk in chunks.by_ref().take(all.saturating_sub(1)) {
            if !self.send_piece(&Bytes(chunk), None, send) {
                return Fate::Never;
            }
        }
        if all > 1 {
            self.release(send);
        }
        let rest = chunks.next().unwrap_or_default();
        if !self.config.stream || rest.len() == length {
            if !self.send_piece(&Bytes(rest), None, send) {
                return Fate::Never;
            }
            self.release(send);
            Fate::Now
        } else {
            self.keep_bytes(rest, send.device);
            Fate::Later
        }
    }

    fn split_array<O: Outputs<N>>(
        &mut self,
        items: Items<'_>,
        send: &mut Sender<'_, N, O>,
    ) -> Fate {
        let length = self.config.array_length;
        let count = items.len().div_ceil(length);
        if send.part("type", &Str("array")).is_none()
            || send.part("count", &(count as f64)).is_none()
            || send.part("len", &(length as f64)).is_none()
        {
            return Fate::Never;
        }
        let mut rest = items.body();
        for index in 0..count {
            let sent = if length == 1 {
                let Some(len) = encoded_len_at(rest) else {
                    return Fate::Never;
                };
                let item = crate::encoding::decode(rest.get(..len).unwrap_or_default());
                rest = rest.get(len..).unwrap_or_default();
                match item {
                    Some((item, _)) => send.piece(&item, index),
                    None => return Fate::Never,
                }
            } else {
                let mut len = 0;
                for _ in 0..length {
                    match rest.get(len..).and_then(encoded_len_at) {
                        Some(item) => len += item,
                        None => break,
                    }
                }
                let chunk = ValueRef::Array(Items::new(rest.get(..len).unwrap_or_default()));
                rest = rest.get(len..).unwrap_or_default();
                send.piece(&chunk, index)
            };
            if !sent {
                return Fate::Never;
            }
        }
        Fate::Now
    }

    fn split_object<O: Outputs<N>>(
        &mut self,
        members: Members<'_>,
        send: &mut Sender<'_, N, O>,
    ) -> Fate {
        let count = members.iter().count() as f64;
        if send.part("type", &Str("object")).is_none() {
            return Fate::Never;
        }
        for (index, (key, value)) in members.iter().enumerate() {
            if let Some(key_to) = self.config.key_to {
                let named = send.piece.set(key_to, &Str(key));
                if send.device.check(named, ErrorKind::Oversize).is_none() {
                    return Fate::Never;
                }
            }
            if send.part("key", &Str(key)).is_none()
                || send.part("index", &(index as f64)).is_none()
                || send.part("count", &count).is_none()
                || !send.piece(&value, index)
            {
                return Fate::Never;
            }
        }
        Fate::Now
    }

    /// Sends one piece of text or a buffer with the next index and, where
    /// Node-RED sets it after the index, the count of the group.
    fn send_piece<E: Encode, O: Outputs<N>>(
        &mut self,
        value: &E,
        count: Option<usize>,
        send: &mut Sender<'_, N, O>,
    ) -> bool {
        let index = self.next_index as usize;
        self.next_index = self.next_index.wrapping_add(1);
        if let Some(count) = count {
            if send.part("index", &(index as f64)).is_none()
                || send.part("count", &(count as f64)).is_none()
            {
                return false;
            }
        }
        send.piece(value, index)
    }

    fn keep_text(&mut self, rest: &str, device: &Device) {
        self.text_rest.clear();
        if self.text_rest.extend_from_slice(rest.as_bytes()).is_err() {
            device.report(ErrorKind::Oversize);
        }
    }

    fn keep_bytes(&mut self, rest: &[u8], device: &Device) {
        self.bytes_rest.clear();
        if self.bytes_rest.extend_from_slice(rest).is_err() {
            device.report(ErrorKind::Oversize);
        }
    }
}

/// The message pieces are made from, and where they go.
struct Sender<'a, const N: usize, O> {
    device: &'a Device,
    path: &'static [PathSegment<'static>],
    piece: Msg<N>,
    out: &'a mut O,
    /// What is told of the messages the node has finished with.
    finished: &'a mut dyn FnMut(&Msg<N>),
}

impl<const N: usize, O: Outputs<N>> Sender<'_, N, O> {
    /// Sets a member of `msg.parts`; `None` (counted) when it does not fit.
    fn part<E: Encode>(&mut self, key: &str, value: &E) -> Option<()> {
        self.device
            .check(set_part(&mut self.piece, key, value), ErrorKind::Oversize)
    }

    /// Sends a copy of the message with the piece as its property and
    /// `index` in its parts; whether it could.
    fn piece<E: Encode>(&mut self, value: &E, index: usize) -> bool {
        let set = self
            .piece
            .set(self.path, value)
            .and_then(|()| set_part(&mut self.piece, "index", &(index as f64)));
        if self.device.check(set, ErrorKind::Oversize).is_none() {
            return false;
        }
        let mut copy = self.piece.clone();
        self.out.send(0, &mut copy);
        true
    }
}

impl<const N: usize, const R: usize, P: Pending<N>> Node<N> for Split<N, R, P> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        self.input_at(Self::clock_ms(), device, msg, out);
    }
}

fn set_part<const N: usize, E: Encode>(
    msg: &mut Msg<N>,
    key: &str,
    value: &E,
) -> Result<(), MsgError> {
    msg.set(&[PathSegment::Key(PARTS), PathSegment::Key(key)], value)
}

/// Writes one object member (`key` and `value`) at the start of `out`;
/// its length.
pub(super) fn member_bytes(out: &mut [u8], key: &str, value: &ValueRef<'_>) -> Option<usize> {
    write_u16(out, 0, key.len())?;
    let start = crate::encoding::LENGTH + key.len();
    out.get_mut(crate::encoding::LENGTH..start)?
        .copy_from_slice(key.as_bytes());
    let value_len = value.encoded_len();
    value.encode(out.get_mut(start..start + value_len)?)?;
    Some(start + value_len)
}

/// `msg.parts = {parts: below}`: parts of an outer sequence kept beneath.
pub(super) fn set_parts_below<const N: usize>(
    msg: &mut Msg<N>,
    below: &ValueRef<'_>,
) -> Result<(), MsgError> {
    let mut member = [0u8; N];
    let len = member_bytes(&mut member, PARTS, below).ok_or(MsgError::Full)?;
    let body = member.get(..len).ok_or(MsgError::Full)?;
    msg.set_property(PARTS, &ValueRef::Object(Members::new(body)))
}

/// A group's id: the hash of the node's id, then the group's number, as
/// sixteen lowercase hexadecimal digits.
pub(super) fn group_id(node_id: &str, group: u32, out: &mut [u8; 16]) {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in node_id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let both = (u64::from(hash) << 32) | u64::from(group);
    for (index, digit) in out.iter_mut().enumerate() {
        let nibble = (both >> (60 - 4 * index)) & 0xf;
        *digit = b"0123456789abcdef"
            .get(nibble as usize)
            .copied()
            .unwrap_or(b'0');
    }
}

/// The first `length` characters of the text, and the rest.
fn split_chars(text: &str, length: usize) -> (&str, &str) {
    let at = text
        .char_indices()
        .nth(length)
        .map_or(text.len(), |(at, _)| at);
    text.split_at_checked(at).unwrap_or((text, ""))
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// How often `needle` occurs in `haystack`, without overlaps.
fn occurrences(mut haystack: &[u8], needle: &[u8]) -> usize {
    let mut count = 0;
    while let Some(at) = find(haystack, needle) {
        count += 1;
        haystack = haystack.get(at + needle.len()..).unwrap_or_default();
    }
    count
}
