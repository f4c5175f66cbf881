//! The Clean Start flag of the device's CONNECT, set as the flow asks.
//!
//! minimq decides the flag itself: set on the first CONNECT of a
//! `minimq::Session`, clear on every later one. A device makes its session
//! anew each time it starts, so without this it would always start clean,
//! and the broker would throw away what it kept for the device while the
//! device was off. Node-RED's `mqtt-broker` node instead sends its
//! `cleansession` setting on every connection: set, each connection starts
//! a fresh session; clear, each resumes what the broker kept, also the first
//! after a restart.
//!
//! The stream rewrites that one bit of the first packet it carries, which is
//! always the CONNECT, and passes every other byte through. minimq reads the
//! broker's CONNACK as it would for a session it asked to resume: when the
//! broker says it had none, minimq starts afresh and the outbox sends again
//! what it had not seen acknowledged.
//!
//! What a resumed session can and cannot give a device that keeps nothing
//! across a restart: the broker's half (the subscriptions, the QoS 1
//! messages for the device that arrived while it was off or that it had not
//! acknowledged) is delivered. The device's half, the QoS 1 messages it had
//! published and the broker had not acknowledged, lived in RAM and is gone;
//! a device that stops on purpose flushes its outbox before it disconnects,
//! so only a crash or a power cut loses them. Packet identifiers start again
//! at 1, which is sound because the device never publishes at QoS 2: a
//! broker keeps no identifier of a QoS 1 message once it has answered it.

use embedded_io_async::{ErrorType, Read, Write};

/// The Clean Start bit of a CONNECT's flags.
const CLEAN_START: u8 = 0x02;

/// The first byte of a CONNECT packet.
const CONNECT: u8 = 0x10;

/// From the end of the remaining length to the flags: the protocol name's
/// length (2 bytes), `MQTT` (4) and the protocol version (1).
const FLAGS_AFTER_LENGTH: usize = 2 + 4 + 1;

/// A stream whose first packet, a CONNECT, gets the Clean Start flag
/// `clean_start`.
pub struct CleanStart<IO> {
    io: IO,
    clean_start: bool,
    /// Bytes written so far, until the flags are.
    written: usize,
    /// Where the flags are, once the remaining length has been read.
    flags_at: Option<usize>,
    /// The flags are written, or the first packet is not a CONNECT.
    done: bool,
}

impl<IO> CleanStart<IO> {
    pub fn new(io: IO, clean_start: bool) -> Self {
        Self {
            io,
            clean_start,
            written: 0,
            flags_at: None,
            done: false,
        }
    }

    pub fn into_inner(self) -> IO {
        self.io
    }

    /// How much of `buf`, which follows the bytes written so far, can go
    /// out unchanged before the flags.
    fn unchanged(&mut self, buf: &[u8]) -> usize {
        for (offset, byte) in buf.iter().enumerate() {
            let at = self.written + offset;
            match self.flags_at {
                _ if at == 0 && *byte != CONNECT => {
                    self.done = true;
                    return buf.len();
                }
                None if at >= 1 && byte & 0x80 == 0 => {
                    self.flags_at = Some(at + 1 + FLAGS_AFTER_LENGTH);
                }
                // A remaining length of more than four bytes: not a packet
                // this stream understands, so it leaves it alone.
                None if at >= 4 => {
                    self.done = true;
                    return buf.len();
                }
                Some(flags) if at == flags => return offset,
                _ => {}
            }
        }
        buf.len()
    }
}

impl<IO: ErrorType> ErrorType for CleanStart<IO> {
    type Error = IO::Error;
}

impl<IO: Read> Read for CleanStart<IO> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.io.read(buf).await
    }
}

impl<IO: Write> Write for CleanStart<IO> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if self.done {
            return self.io.write(buf).await;
        }
        let unchanged = self.unchanged(buf);
        if self.done {
            return self.io.write(buf).await;
        }
        match (unchanged, buf.first()) {
            (0, Some(flags)) => {
                let flags = if self.clean_start {
                    flags | CLEAN_START
                } else {
                    flags & !CLEAN_START
                };
                let written = self.io.write(&[flags]).await?;
                if written == 1 {
                    self.done = true;
                }
                Ok(written)
            }
            _ => {
                let head = buf.get(..unchanged).unwrap_or(buf);
                let written = self.io.write(head).await?;
                self.written += written;
                Ok(written)
            }
        }
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.io.flush().await
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// A sink that takes at most `chunk` bytes a write.
    struct Sink {
        bytes: Vec<u8>,
        chunk: usize,
    }

    impl ErrorType for Sink {
        type Error = core::convert::Infallible;
    }

    impl Write for Sink {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            let n = buf.len().min(self.chunk);
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// Writes `packets` through the stream in pieces of `piece` bytes into
    /// a sink that takes `chunk` at a time, and returns what arrived.
    fn check(packets: &[u8], clean_start: bool, piece: usize, chunk: usize, expect: &[u8]) {
        let mut stream = CleanStart::new(
            Sink {
                bytes: Vec::new(),
                chunk,
            },
            clean_start,
        );
        for part in packets.chunks(piece) {
            embassy_futures::block_on(stream.write_all(part)).unwrap();
        }
        assert_eq!(stream.into_inner().bytes, expect);
    }

    /// A CONNECT whose remaining length takes `length_bytes` bytes, with
    /// the flags `flags`, then a PINGREQ and the byte `after`.
    fn connect(length_bytes: usize, flags: u8, after: u8) -> Vec<u8> {
        let mut bytes = std::vec![CONNECT];
        let length: &[u8] = match length_bytes {
            1 => &[0x0a],
            2 => &[0x8a, 0x01],
            _ => &[0x8a, 0x80, 0x01],
        };
        bytes.extend_from_slice(length);
        bytes.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 5, flags, 0, 60]);
        bytes.extend_from_slice(&[0xc0, 0x00, after]);
        bytes
    }

    #[test]
    fn the_flag_of_the_first_connect_is_set_or_cleared_and_nothing_else_changes() {
        for length_bytes in 1..=3 {
            for piece in [1, 2, 5, 100] {
                for chunk in [1, 3, 100] {
                    let (with, without) = (0x06, 0x04);
                    let resume = connect(length_bytes, without, with);
                    let clean = connect(length_bytes, with, without);
                    check(
                        &connect(length_bytes, with, with),
                        false,
                        piece,
                        chunk,
                        &connect(length_bytes, without, with),
                    );
                    check(&resume, false, piece, chunk, &resume);
                    check(
                        &connect(length_bytes, without, without),
                        true,
                        piece,
                        chunk,
                        &clean,
                    );
                    check(&clean, true, piece, chunk, &clean);
                }
            }
        }
    }

    #[test]
    fn a_first_packet_that_is_not_a_connect_passes_unchanged() {
        let bytes = [
            0xc0, 0x00, 0x10, 0x0a, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02,
        ];
        check(&bytes, false, 3, 100, &bytes);
    }
}
