//! What the broker stream understands of MQTT 5's bytes, read in whatever
//! pieces they come: variable byte integers, and the Server Keep Alive a
//! broker may put in its CONNACK.
//!
//! The CONNACK comes from the broker, so nothing here trusts it: a length
//! that runs past the packet, an unknown property or a packet that is not
//! a CONNACK ends the reading without a keepalive, and no byte makes it
//! panic or read for ever. minimq decodes the same CONNACK for itself and
//! ends the session on what it finds malformed.

/// A variable byte integer (MQTT 5, 1.5.5), read a byte at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VarInt {
    value: u32,
    bytes: u32,
}

/// Where a [`VarInt`] stands after one more byte.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VarIntStep {
    /// More bytes to come.
    More(VarInt),
    /// Its value.
    Done(u32),
    /// A fifth byte would follow: MQTT allows four.
    Malformed,
}

impl VarInt {
    pub fn push(self, byte: u8) -> VarIntStep {
        let value = self.value | u32::from(byte & 0x7f) << (7 * self.bytes);
        if byte & 0x80 == 0 {
            VarIntStep::Done(value)
        } else if self.bytes + 1 >= 4 {
            VarIntStep::Malformed
        } else {
            VarIntStep::More(VarInt {
                value,
                bytes: self.bytes + 1,
            })
        }
    }
}

/// The first byte of a CONNACK.
const CONNACK: u8 = 0x20;

/// The identifier of the Server Keep Alive property.
const SERVER_KEEP_ALIVE: u32 = 0x13;

/// How a property's value is laid out (MQTT 5, 2.2.2.2).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    /// A fixed number of bytes.
    Fixed(u32),
    /// A variable byte integer.
    VarInt,
    /// A UTF-8 string or binary data: a two-byte length, then the bytes.
    Text,
    /// Two UTF-8 strings (a user property).
    Pair,
}

/// The layout of the property `id`, or `None` for no property of MQTT 5.
fn layout(id: u32) -> Option<Layout> {
    Some(match id {
        0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2a => Layout::Fixed(1),
        0x13 | 0x21 | 0x22 | 0x23 => Layout::Fixed(2),
        0x02 | 0x11 | 0x18 | 0x27 => Layout::Fixed(4),
        0x0b => Layout::VarInt,
        0x03 | 0x08 | 0x09 | 0x12 | 0x15 | 0x16 | 0x1a | 0x1c | 0x1f => Layout::Text,
        0x26 => Layout::Pair,
        _ => return None,
    })
}

/// Where the reading of a CONNACK stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// Before the packet's first byte.
    Start,
    /// In the remaining length.
    Length(VarInt),
    /// At the acknowledge flags.
    Flags,
    /// At the reason code.
    Reason,
    /// In the length of the properties.
    PropertiesLength(VarInt),
    /// In a property's identifier.
    Identifier(VarInt),
    /// In the Server Keep Alive's two bytes: the first, once read.
    KeepAlive(Option<u8>),
    /// In a property's value of a fixed size: the bytes left.
    Skip(u32),
    /// In a property's value that is a variable byte integer.
    SkipVarInt(VarInt),
    /// In the two-byte length of a string or binary value: its first
    /// byte, once read; and whether a second string follows this one.
    TextLength { high: Option<u8>, then_text: bool },
    /// In a string or binary value: the bytes left, and whether a second
    /// string follows.
    SkipText { left: u32, then_text: bool },
    /// Read: nothing more is looked at.
    Done,
}

/// Reads a session's first packet from the broker, which MQTT says is its
/// CONNACK, for the Server Keep Alive property (MQTT 5, 3.2.2.3.14).
#[derive(Clone, Copy, Debug)]
pub struct ConnAck {
    state: State,
    /// The bytes of the packet after its remaining length still to come.
    remaining: u32,
    /// The bytes of its properties still to come.
    properties: u32,
}

impl ConnAck {
    pub const fn new() -> Self {
        Self {
            state: State::Start,
            remaining: 0,
            properties: 0,
        }
    }

    /// Reads the next `bytes` the broker sent; the Server Keep Alive, in
    /// seconds, once its two bytes are in.
    pub fn read(&mut self, bytes: &[u8]) -> Option<u16> {
        for &byte in bytes {
            if self.state == State::Done {
                return None;
            }
            if let Some(keepalive) = self.step(byte) {
                self.state = State::Done;
                return Some(keepalive);
            }
        }
        None
    }

    /// Takes one byte; the keepalive when it was the last of it.
    fn step(&mut self, byte: u8) -> Option<u16> {
        let in_properties = matches!(
            self.state,
            State::Identifier(_)
                | State::KeepAlive(_)
                | State::Skip(_)
                | State::SkipVarInt(_)
                | State::TextLength { .. }
                | State::SkipText { .. }
        );
        if in_properties {
            if self.properties == 0 {
                // A value that runs past the properties' length, or the
                // end of the properties: either way nothing more to find.
                self.state = State::Done;
                return None;
            }
            self.properties -= 1;
        }
        if !matches!(self.state, State::Start | State::Length(_)) {
            self.remaining = self.remaining.saturating_sub(1);
        }
        self.state = match self.state {
            State::Start if byte == CONNACK => State::Length(VarInt::default()),
            State::Start | State::Done => State::Done,
            State::Length(length) => match length.push(byte) {
                VarIntStep::More(length) => State::Length(length),
                VarIntStep::Done(length) => {
                    self.remaining = length;
                    State::Flags
                }
                VarIntStep::Malformed => State::Done,
            },
            State::Flags => State::Reason,
            // A CONNACK of two bytes has no properties.
            State::Reason if self.remaining == 0 => State::Done,
            State::Reason => State::PropertiesLength(VarInt::default()),
            State::PropertiesLength(length) => match length.push(byte) {
                VarIntStep::More(length) => State::PropertiesLength(length),
                VarIntStep::Done(length) if length == 0 || length > self.remaining => State::Done,
                VarIntStep::Done(length) => {
                    self.properties = length;
                    State::Identifier(VarInt::default())
                }
                VarIntStep::Malformed => State::Done,
            },
            State::Identifier(id) => match id.push(byte) {
                VarIntStep::More(id) => State::Identifier(id),
                VarIntStep::Done(SERVER_KEEP_ALIVE) => State::KeepAlive(None),
                VarIntStep::Done(id) => match layout(id) {
                    Some(Layout::Fixed(size)) => State::Skip(size),
                    Some(Layout::VarInt) => State::SkipVarInt(VarInt::default()),
                    Some(Layout::Text) => State::TextLength {
                        high: None,
                        then_text: false,
                    },
                    Some(Layout::Pair) => State::TextLength {
                        high: None,
                        then_text: true,
                    },
                    None => State::Done,
                },
                VarIntStep::Malformed => State::Done,
            },
            State::KeepAlive(None) => State::KeepAlive(Some(byte)),
            State::KeepAlive(Some(high)) => return Some(u16::from_be_bytes([high, byte])),
            State::Skip(left) => self.after_value(left.saturating_sub(1), false),
            State::SkipVarInt(value) => match value.push(byte) {
                VarIntStep::More(value) => State::SkipVarInt(value),
                VarIntStep::Done(_) => self.after_value(0, false),
                VarIntStep::Malformed => State::Done,
            },
            State::TextLength {
                high: None,
                then_text,
            } => State::TextLength {
                high: Some(byte),
                then_text,
            },
            State::TextLength {
                high: Some(high),
                then_text,
            } => self.after_value(u32::from(u16::from_be_bytes([high, byte])), then_text),
            State::SkipText { left, then_text } => {
                self.after_value(left.saturating_sub(1), then_text)
            }
        };
        None
    }

    /// What follows a value with `left` bytes still to come, which a
    /// second string follows when `then_text`.
    fn after_value(&self, left: u32, then_text: bool) -> State {
        match (left, then_text) {
            (0, false) => State::Identifier(VarInt::default()),
            (0, true) => State::TextLength {
                high: None,
                then_text: false,
            },
            (left, then_text) => State::SkipText { left, then_text },
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// Reads `bytes` whole, a byte at a time, and split in two at every
    /// offset, and expects the same keepalive each way.
    fn check(bytes: &[u8], expect: Option<u16>) {
        let whole = ConnAck::new().read(bytes);
        assert_eq!(whole, expect, "whole: {bytes:02x?}");
        let mut by_byte = ConnAck::new();
        let found: Vec<u16> = bytes
            .iter()
            .filter_map(|byte| by_byte.read(core::slice::from_ref(byte)))
            .collect();
        assert_eq!(
            found.first().copied(),
            expect,
            "a byte at a time: {bytes:02x?}"
        );
        assert!(found.len() <= 1, "found more than once: {found:?}");
        for split in 0..=bytes.len() {
            let (first, second) = bytes.split_at(split);
            let mut connack = ConnAck::new();
            let found = connack.read(first).or_else(|| connack.read(second));
            assert_eq!(found, expect, "split at {split}: {bytes:02x?}");
        }
    }

    /// A CONNACK with these properties (the length given as it should be).
    fn connack(properties: &[u8]) -> Vec<u8> {
        let mut length = Vec::new();
        let mut left = properties.len();
        loop {
            let byte = (left % 128) as u8;
            left /= 128;
            length.push(if left > 0 { byte | 0x80 } else { byte });
            if left == 0 {
                break;
            }
        }
        let mut body = std::vec![0x00, 0x00];
        body.extend_from_slice(&length);
        body.extend_from_slice(properties);
        let mut packet = std::vec![CONNACK, body.len() as u8];
        assert!(body.len() < 128);
        packet.extend_from_slice(&body);
        packet
    }

    #[test]
    fn mosquittos_connack_with_and_without_a_server_keep_alive() {
        // Mosquitto 2.0.11 with `max_keepalive 10`, to a client that asked
        // for 60 s, then to one that asked for 5 s.
        check(
            &[
                0x20, 0x0c, 0x00, 0x00, 0x09, 0x22, 0x00, 0x0a, 0x13, 0x00, 0x0a, 0x21, 0x00, 0x14,
            ],
            Some(10),
        );
        check(
            &[
                0x20, 0x09, 0x00, 0x00, 0x06, 0x22, 0x00, 0x0a, 0x21, 0x00, 0x14,
            ],
            None,
        );
    }

    #[test]
    fn every_layout_of_property_is_stepped_over() {
        let before: &[&[u8]] = &[
            &[0x01, 0x01],                               // a byte
            &[0x21, 0x00, 0x05],                         // two bytes
            &[0x11, 0x00, 0x00, 0x0e, 0x10],             // four bytes
            &[0x0b, 0x80, 0x80, 0x01],                   // a variable byte integer
            &[0x12, 0x00, 0x03, b'a', b'b', b'c'],       // a string
            &[0x16, 0x00, 0x00],                         // empty binary data
            &[0x26, 0x00, 0x01, b'k', 0x00, 0x00],       // a user property
            &[0x26, 0x00, 0x00, 0x00, 0x02, 0x13, 0x13], // its strings look like the id
        ];
        for property in before {
            let mut properties = property.to_vec();
            properties.extend_from_slice(&[0x13, 0x01, 0x2c]);
            check(&connack(&properties), Some(300));
            check(&connack(property), None);
        }
        let all: Vec<u8> = before.concat();
        check(
            &connack(&[all.as_slice(), &[0x13, 0x00, 0x02]].concat()),
            Some(2),
        );
    }

    #[test]
    fn a_long_reason_string_before_the_keep_alive() {
        // Properties of two length bytes, in a packet of two too.
        let mut properties = std::vec![0x1f, 0x00, 150];
        properties.resize(3 + 150, b'r');
        properties.extend_from_slice(&[0x13, 0x00, 0x07]);
        // 160 bytes after the remaining length, 156 of them properties.
        let mut packet = std::vec![CONNACK, 0xa0, 0x01];
        packet.extend_from_slice(&[0x00, 0x00, 0x9c, 0x01]);
        packet.extend_from_slice(&properties);
        check(&packet, Some(7));
    }

    #[test]
    fn a_keep_alive_of_zero_is_read_as_it_is() {
        check(&connack(&[0x13, 0x00, 0x00]), Some(0));
    }

    #[test]
    fn malformed_packets_give_no_keep_alive() {
        let cases: &[&[u8]] = &[
            // Not a CONNACK.
            &[0x30, 0x05, 0x00, 0x00, 0x03, 0x13, 0x00, 0x0a],
            &[0xd0, 0x00, 0x20, 0x05, 0x00, 0x00, 0x03, 0x13, 0x00, 0x0a],
            // No properties.
            &[0x20, 0x02, 0x00, 0x00, 0x13, 0x00, 0x0a],
            &[0x20, 0x03, 0x00, 0x00, 0x00, 0x13, 0x00, 0x0a],
            // A remaining length of five bytes.
            &[
                0x20, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x00, 0x03, 0x13, 0x00, 0x0a,
            ],
            // Properties longer than the packet.
            &[0x20, 0x05, 0x00, 0x00, 0x04, 0x13, 0x00, 0x0a],
            // A properties' length of five bytes.
            &[
                0x20, 0x09, 0x00, 0x00, 0x83, 0x80, 0x80, 0x80, 0x00, 0x13, 0x00,
            ],
            // The keepalive's second byte past the properties' length.
            &[0x20, 0x06, 0x00, 0x00, 0x02, 0x13, 0x00, 0x0a],
            // A string past it.
            &[
                0x20, 0x0a, 0x00, 0x00, 0x03, 0x1f, 0x00, 0x04, 0x13, 0x00, 0x0a, 0x00,
            ],
            // An unknown property, or one no CONNACK has but of no MQTT 5
            // layout, before the keepalive.
            &[0x20, 0x07, 0x00, 0x00, 0x05, 0x7f, 0x00, 0x13, 0x00, 0x0a],
            &[0x20, 0x07, 0x00, 0x00, 0x05, 0x00, 0x13, 0x00, 0x0a],
            // An identifier that never ends.
            &[
                0x20, 0x09, 0x00, 0x00, 0x06, 0x93, 0x80, 0x80, 0x80, 0x00, 0x0a,
            ],
            // A variable byte integer value that never ends.
            &[
                0x20, 0x0b, 0x00, 0x00, 0x08, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x13, 0x00, 0x0a,
            ],
            // Cut short.
            &[0x20, 0x05, 0x00, 0x00, 0x03, 0x13, 0x00],
            &[0x20],
            &[],
        ];
        for case in cases {
            check(case, None);
        }
    }

    #[test]
    fn hostile_bytes_never_panic_and_read_alike_in_any_pieces() {
        // A fixed sequence of pseudo-random packets that start as a
        // CONNACK does, with lengths and identifiers drawn small enough to
        // reach every state.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut found = 0;
        for _ in 0..20_000 {
            let length = (next() % 24) as usize;
            let mut bytes = std::vec![CONNACK];
            for _ in 0..length {
                let draw = next();
                bytes.push(match draw % 4 {
                    0 => (draw >> 8) as u8,
                    1 => 0x13,
                    _ => (draw >> 8) as u8 % 12,
                });
            }
            let whole = ConnAck::new().read(&bytes);
            found += usize::from(whole.is_some());
            let mut by_byte = ConnAck::new();
            let first = bytes
                .iter()
                .find_map(|byte| by_byte.read(core::slice::from_ref(byte)));
            assert_eq!(whole, first, "{bytes:02x?}");
        }
        // The sequence reaches the property now and then, so the
        // comparison above is not only of `None`s.
        assert!(found > 10, "found {found}");
    }

    #[test]
    fn variable_byte_integers() {
        let read = |bytes: &[u8]| {
            let mut value = VarInt::default();
            for &byte in bytes {
                match value.push(byte) {
                    VarIntStep::More(more) => value = more,
                    done => return done,
                }
            }
            VarIntStep::More(value)
        };
        assert_eq!(read(&[0x00]), VarIntStep::Done(0));
        assert_eq!(read(&[0x7f]), VarIntStep::Done(127));
        assert_eq!(read(&[0x80, 0x01]), VarIntStep::Done(128));
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0x7f]),
            VarIntStep::Done(268_435_455)
        );
        assert_eq!(read(&[0xff, 0xff, 0xff, 0xff]), VarIntStep::Malformed);
    }
}
