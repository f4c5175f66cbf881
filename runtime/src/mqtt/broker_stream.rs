//! The device's stream to its broker: the Clean Start flag of its CONNECT
//! set as the flow asks, and the broker heard from once per keepalive.
//!
//! **Clean Start.** minimq decides the flag itself: set on the first
//! CONNECT of a `minimq::Session`, clear on every later one. A device makes
//! its session anew each time it starts, so without this it would always
//! start clean, and the broker would throw away what it kept for the device
//! while the device was off. Node-RED's `mqtt-broker` node instead sends its
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
//!
//! **Liveness.** minimq sends a PINGREQ only after `keepalive` of silence
//! on its own side, so a device that publishes at QoS 0 more often than its
//! keepalive never pings, and never waits for an answer. On TCP a broker
//! that goes away closes the socket, which tells the device; on a link that
//! gives no such sign (a UART that QEMU bridges to TCP and dials again, a
//! network path that dies silently) the device would publish into nothing
//! for ever, or into a new broker that knows no session of its. So the
//! stream notes when it last read a byte. When `keepalive` has passed with
//! nothing read, it sends a PINGREQ of its own, between two of minimq's
//! packets (it follows the fixed header and remaining length of what minimq
//! writes, in whatever pieces), which every broker must answer with a
//! PINGRESP (minimq takes one it did not ask for). When half the keepalive
//! more passes still with nothing read, reads and writes fail, and the
//! device connects again after its backoff. One and a half keepalives of
//! silence is what MQTT gives a broker before it drops a silent client
//! (MQTT 5, 3.1.2.10): the device is as patient with the broker as the
//! broker is with it, and even a keepalive of 1 s leaves half a second for
//! the answer. A keepalive of 0 turns the check off, as MQTT says.
//!
//! The clock is looked at only when it matters: a read that finds bytes
//! waiting returns them at once (the broker is evidently alive), and what
//! was heard is stamped with the time when the silence is next looked at,
//! before a read that would wait or a write, within the executor's round.
//! minimq reads a packet in three pieces (type, length, body); with the
//! clock read before and after each, a burst spent about 5% of the
//! device's CPU time in `clock_gettime`, which on a virtual machine is not
//! cheap.
//!
//! **Whose keepalive.** The session's: the broker may answer the CONNECT
//! with a Server Keep Alive in its CONNACK, which then replaces the one the
//! client asked for on both sides (MQTT 5, 3.2.2.3.14; Mosquitto sends one
//! to a client that asks for more than its `max_keepalive`, or for none).
//! minimq pings on it, and asks for it again in every later CONNECT of the
//! session, where a broker that says nothing takes it. So the stream takes
//! the keepalive from the CONNECT it carries, then from the CONNACK it
//! reads (`wire.rs`, which reads it in any pieces and gives nothing for a
//! malformed packet), and until then from the flow. A 0 from either leaves
//! the keepalive it had: the check is the device's own way to notice a
//! lost broker, and a broker that asks for no keepalive still answers a
//! PINGREQ, so no broker turns the check off.

use embassy_futures::select::{select, Either};
use embassy_time::{Duration, Instant, Timer};
use embedded_io_async::{ErrorType, Read, Write};

use super::wire::{ConnAck, VarInt, VarIntStep};

/// The Clean Start bit of a CONNECT's flags.
const CLEAN_START: u8 = 0x02;

/// The first byte of a CONNECT packet.
const CONNECT: u8 = 0x10;

/// From the end of the remaining length to the flags: the protocol name's
/// length (2 bytes), `MQTT` (4) and the protocol version (1).
const FLAGS_AFTER_LENGTH: usize = 2 + 4 + 1;

/// From the end of the remaining length to the keepalive, which follows
/// the flags in two bytes.
const KEEPALIVE_AFTER_LENGTH: usize = FLAGS_AFTER_LENGTH + 1;

/// A PINGREQ packet.
const PINGREQ: [u8; 2] = [0xc0, 0x00];

/// Why the stream failed.
#[derive(Debug)]
pub enum Error<E> {
    /// The transport's own error.
    Transport(E),
    /// Nothing came from the broker for one and a half keepalives.
    BrokerSilent,
    /// The transport took none of the bytes of a PINGREQ.
    WriteZero,
}

impl<E: core::fmt::Debug> core::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Transport(error) => write!(f, "transport: {error:?}"),
            Error::BrokerSilent => f.write_str("nothing from the broker for 1.5 keepalives"),
            Error::WriteZero => f.write_str("the transport took no byte of a PINGREQ"),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for Error<E> {}

impl<E: embedded_io_async::Error> embedded_io_async::Error for Error<E> {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        match self {
            Error::Transport(error) => error.kind(),
            Error::BrokerSilent => embedded_io_async::ErrorKind::TimedOut,
            Error::WriteZero => embedded_io_async::ErrorKind::WriteZero,
        }
    }
}

/// Where the bytes written so far stand in the stream of MQTT packets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Position {
    /// Between two packets: the next byte is a packet's first.
    Between,
    /// In the remaining length of a packet whose first byte is `first`.
    Length { first: u8, length: VarInt },
    /// In the body of a packet whose first byte is `first`: the bytes of
    /// the body written and those still to come.
    Body { first: u8, at: usize, left: usize },
    /// After a remaining length longer than MQTT's four bytes: nothing
    /// more is understood, and nothing more is put in.
    Lost,
}

/// The packets written so far, as far as the stream follows them.
#[derive(Clone, Copy, Debug)]
struct Packets {
    position: Position,
    /// No packet has ended yet.
    in_first: bool,
    /// The keepalive the first CONNECT asks for, once its two bytes have
    /// passed, until taken.
    connect_keepalive: Option<u16>,
    /// The first of those bytes, once passed.
    keepalive_high: u8,
}

impl Packets {
    fn new() -> Self {
        Self {
            position: Position::Between,
            in_first: true,
            connect_keepalive: None,
            keepalive_high: 0,
        }
    }

    /// Between packets, after the first: where a PINGREQ may go in.
    fn between(&self) -> bool {
        self.position == Position::Between && !self.in_first
    }

    /// The next byte is the flags of the first packet, a CONNECT.
    fn at_connect_flags(&self) -> bool {
        self.in_first
            && matches!(
                self.position,
                Position::Body {
                    first: CONNECT,
                    at: FLAGS_AFTER_LENGTH,
                    ..
                }
            )
    }

    /// Follows `bytes` and returns how many it took: all of them, or
    /// fewer when it stops at the first CONNECT's flags, or at the end of
    /// a packet when `stop_between` (a PINGREQ is due).
    fn take(&mut self, bytes: &[u8], stop_between: bool) -> usize {
        let mut taken = 0;
        while let Some(rest) = bytes.get(taken..).filter(|rest| !rest.is_empty()) {
            if self.at_connect_flags() || (stop_between && self.between()) {
                break;
            }
            match self.position {
                Position::Between => {
                    self.position = Position::Length {
                        first: rest.first().copied().unwrap_or(0),
                        length: VarInt::default(),
                    };
                    taken += 1;
                }
                Position::Length { first, length } => {
                    let byte = rest.first().copied().unwrap_or(0);
                    self.position = match length.push(byte) {
                        VarIntStep::More(length) => Position::Length { first, length },
                        VarIntStep::Done(length) => {
                            self.body(first, 0, usize::try_from(length).unwrap_or(usize::MAX))
                        }
                        VarIntStep::Malformed => Position::Lost,
                    };
                    taken += 1;
                }
                Position::Body { first, at, left } => {
                    let mut step = left.min(rest.len());
                    if self.in_first && first == CONNECT {
                        if at < FLAGS_AFTER_LENGTH {
                            step = step.min(FLAGS_AFTER_LENGTH - at);
                        }
                        self.note_keepalive(at, rest.get(..step).unwrap_or(rest));
                    }
                    self.position = self.body(first, at + step, left - step);
                    taken += step;
                }
                Position::Lost => return bytes.len(),
            }
        }
        taken
    }

    /// Notes the bytes of the first CONNECT's keepalive among `bytes`,
    /// which begin at `at` in its body.
    fn note_keepalive(&mut self, at: usize, bytes: &[u8]) {
        let high = KEEPALIVE_AFTER_LENGTH.checked_sub(at);
        if let Some(byte) = high.and_then(|offset| bytes.get(offset)) {
            self.keepalive_high = *byte;
        }
        let low = (KEEPALIVE_AFTER_LENGTH + 1).checked_sub(at);
        if let Some(byte) = low.and_then(|offset| bytes.get(offset)) {
            self.connect_keepalive = Some(u16::from_be_bytes([self.keepalive_high, *byte]));
        }
    }

    /// Takes the first CONNECT's flags, at which [`Self::take`] stops.
    fn pass_connect_flags(&mut self) {
        if let Position::Body { first, at, left } = self.position {
            self.position = self.body(first, at + 1, left.saturating_sub(1));
        }
    }

    /// In the body of a packet at `at` with `left` to come, or after the
    /// packet when nothing is left.
    fn body(&mut self, first: u8, at: usize, left: usize) -> Position {
        if left == 0 {
            self.in_first = false;
            Position::Between
        } else {
            Position::Body { first, at, left }
        }
    }
}

/// The device's stream to its broker, over the transport's `IO`: it sets
/// the first CONNECT's Clean Start flag to `clean_start` and gives up on a
/// broker that stays silent (see the module's documentation).
pub struct BrokerStream<IO> {
    io: IO,
    clean_start: bool,
    packets: Packets,
    /// Silence after which a PINGREQ goes out; `None` for no check.
    keepalive: Option<Duration>,
    /// The broker's first packet, read for a Server Keep Alive.
    connack: ConnAck,
    /// When a byte was last read (or the stream was made), as far as the
    /// clock was looked at.
    heard: Instant,
    /// Bytes were read since `heard` was last set: the broker counts as
    /// heard when the clock is next looked at.
    heard_since: bool,
    /// A PINGREQ went out since then.
    pinged: bool,
    /// Bytes of that PINGREQ still to write.
    ping_left: usize,
}

/// What the silence so far calls for.
#[derive(Debug, PartialEq)]
enum Silence {
    /// Nothing yet, until the given time.
    Fine(Instant),
    /// A PINGREQ, then nothing until the given time.
    Ping(Instant),
    /// The broker is given up.
    Dead,
}

impl<IO> BrokerStream<IO> {
    /// A stream over `io` for a session whose flow asks for the given
    /// keepalive, in seconds (0 for none), until the CONNECT or the
    /// broker's CONNACK names another.
    pub fn new(io: IO, clean_start: bool, keepalive_s: u16) -> Self {
        let mut stream = Self {
            io,
            clean_start,
            packets: Packets::new(),
            keepalive: None,
            connack: ConnAck::new(),
            heard: Instant::now(),
            heard_since: false,
            pinged: false,
            ping_left: 0,
        };
        stream.follow_keepalive(keepalive_s);
        stream
    }

    /// Checks the broker's silence against a keepalive of `seconds` from
    /// now on, unless that is 0: no broker turns the check off.
    fn follow_keepalive(&mut self, seconds: u16) {
        if seconds > 0 {
            self.keepalive = Some(Duration::from_secs(u64::from(seconds)));
        }
    }

    /// Notes bytes read from the broker: it was heard, and its CONNACK may
    /// name the session's keepalive.
    fn heard_from(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // Stamped when the silence is next looked at, within the executor's
        // round: a read that finds bytes waiting reads no clock.
        self.heard_since = true;
        self.pinged = false;
        if let Some(seconds) = self.connack.read(bytes) {
            self.follow_keepalive(seconds);
        }
    }

    pub fn into_inner(self) -> IO {
        self.io
    }

    /// What the silence calls for at `now`, which stamps what was heard
    /// since the clock was last looked at.
    fn silence(&mut self, now: Instant) -> Silence {
        if core::mem::take(&mut self.heard_since) {
            self.heard = now;
        }
        let Some(keepalive) = self.keepalive else {
            return Silence::Fine(Instant::MAX);
        };
        let ping_at = self.heard + keepalive;
        // The grace MQTT gives a silent client: half a keepalive more.
        let dead_at = ping_at + keepalive / 2;
        if now >= dead_at {
            Silence::Dead
        } else if self.pinged || now < ping_at {
            Silence::Fine(if self.pinged { dead_at } else { ping_at })
        } else {
            Silence::Ping(dead_at)
        }
    }
}

impl<IO: Write> BrokerStream<IO> {
    /// Writes what is left of a PINGREQ begun earlier, or a new one when
    /// `start`.
    async fn ping(&mut self, start: bool) -> Result<(), Error<IO::Error>> {
        if start {
            self.pinged = true;
            self.ping_left = PINGREQ.len();
        }
        while self.ping_left > 0 {
            let from = PINGREQ.len() - self.ping_left;
            let rest = PINGREQ.get(from..).unwrap_or(&[]);
            match self.io.write(rest).await.map_err(Error::Transport)? {
                0 => return Err(Error::WriteZero),
                written => self.ping_left = self.ping_left.saturating_sub(written),
            }
            if self.ping_left == 0 {
                self.io.flush().await.map_err(Error::Transport)?;
            }
        }
        Ok(())
    }

    /// Fails when the broker is given up; sends a PINGREQ when one is due
    /// and the packets written allow it. What the silence calls for then:
    /// `Ping` when one is due but could not go in yet.
    async fn keep_alive(&mut self) -> Result<Silence, Error<IO::Error>> {
        self.ping(false).await?;
        let now = Instant::now();
        match self.silence(now) {
            Silence::Dead => Err(Error::BrokerSilent),
            Silence::Ping(_) if self.packets.between() => {
                self.ping(true).await?;
                Ok(self.silence(now))
            }
            silence => Ok(silence),
        }
    }
}

impl<IO: ErrorType> ErrorType for BrokerStream<IO> {
    type Error = Error<IO::Error>;
}

impl<IO: Read + Write> Read for BrokerStream<IO> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let read = match self.read_at_once(buf).await {
            Some(read) => read?,
            None => self.read_in_time(buf).await?,
        };
        self.heard_from(buf.get(..read).unwrap_or(buf));
        Ok(read)
    }
}

impl<IO: Read + Write> BrokerStream<IO> {
    /// Reads what the transport has at once, if it has anything: bytes
    /// that wait need no look at the clock, which under a burst is most
    /// reads (minimq reads a packet in three), and a broker that sends is
    /// alive. `None` when the read would wait: cancelling it loses
    /// nothing, and the reactor remembers that the socket had nothing.
    async fn read_at_once(&mut self, buf: &mut [u8]) -> Option<Result<usize, Error<IO::Error>>> {
        let mut read = core::pin::pin!(self.io.read(buf));
        core::future::poll_fn(|context| {
            core::task::Poll::Ready(match core::future::Future::poll(read.as_mut(), context) {
                core::task::Poll::Ready(read) => Some(read.map_err(Error::Transport)),
                core::task::Poll::Pending => None,
            })
        })
        .await
    }

    /// Reads from the transport, pinging the broker and giving it up as
    /// the silence calls for.
    async fn read_in_time(&mut self, buf: &mut [u8]) -> Result<usize, Error<IO::Error>> {
        if self.keepalive.is_none() {
            return self.io.read(buf).await.map_err(Error::Transport);
        }
        loop {
            let wake = match self.keep_alive().await? {
                Silence::Fine(at) => at,
                // Due, but minimq is in the middle of a packet: only the
                // end of the grace wakes the read.
                Silence::Ping(dead_at) => dead_at,
                Silence::Dead => return Err(Error::BrokerSilent),
            };
            // Cancelling a read loses nothing: minimq cancels its own reads
            // at its deadlines too.
            match select(self.io.read(buf), Timer::at(wake)).await {
                Either::First(read) => return read.map_err(Error::Transport),
                Either::Second(()) => {}
            }
        }
    }
}

impl<IO: Write> Write for BrokerStream<IO> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let ping_waits = matches!(self.keep_alive().await?, Silence::Ping(_));
        let mut packets = self.packets;
        let unchanged = packets.take(buf, ping_waits);
        if unchanged == 0 {
            let Some(byte) = buf.first() else {
                return Ok(0);
            };
            let flags = if self.clean_start {
                byte | CLEAN_START
            } else {
                byte & !CLEAN_START
            };
            let written = self.io.write(&[flags]).await.map_err(Error::Transport)?;
            if written == 1 {
                self.packets.pass_connect_flags();
            }
            return Ok(written);
        }
        let head = buf.get(..unchanged).unwrap_or(buf);
        let written = self.io.write(head).await.map_err(Error::Transport)?;
        if written == unchanged {
            self.packets = packets;
        } else {
            self.packets
                .take(head.get(..written).unwrap_or(head), false);
        }
        if let Some(seconds) = self.packets.connect_keepalive.take() {
            self.follow_keepalive(seconds);
        }
        Ok(written)
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.io.flush().await.map_err(Error::Transport)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::collections::VecDeque;
    use std::vec::Vec;

    use super::*;

    /// A transport that takes at most `chunk` bytes a write, and whose
    /// reads give the pieces in `incoming`, then answer a PINGREQ with a
    /// PINGRESP when `answers`, or else never end.
    struct Link {
        bytes: Vec<u8>,
        chunk: usize,
        answers: bool,
        incoming: VecDeque<Vec<u8>>,
    }

    impl Link {
        fn new(chunk: usize, answers: bool) -> Self {
            Self {
                bytes: Vec::new(),
                chunk,
                answers,
                incoming: VecDeque::new(),
            }
        }
    }

    impl ErrorType for Link {
        type Error = core::convert::Infallible;
    }

    impl Write for Link {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            let n = buf.len().min(self.chunk);
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    impl Read for Link {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            if let Some(piece) = self.incoming.pop_front() {
                buf[..piece.len()].copy_from_slice(&piece);
                return Ok(piece.len());
            }
            if self.answers && self.bytes.ends_with(&PINGREQ) {
                buf[..2].copy_from_slice(&[0xd0, 0x00]);
                return Ok(2);
            }
            core::future::pending().await
        }
    }

    /// Writes `bytes` through `stream` in pieces of `piece` bytes.
    fn write_in_pieces(stream: &mut BrokerStream<Link>, bytes: &[u8], piece: usize) {
        for part in bytes.chunks(piece) {
            embassy_futures::block_on(stream.write_all(part)).unwrap();
        }
    }

    /// Writes `packets` through the stream in pieces of `piece` bytes into
    /// a link that takes `chunk` at a time, and returns what arrived.
    fn check(packets: &[u8], clean_start: bool, piece: usize, chunk: usize, expect: &[u8]) {
        let mut stream = BrokerStream::new(Link::new(chunk, false), clean_start, 0);
        write_in_pieces(&mut stream, packets, piece);
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

    /// A CONNECT alone, with Clean Start set, asking for a keepalive of
    /// `seconds`.
    fn connect_asking(seconds: u16) -> Vec<u8> {
        let mut connect = connect(1, 0x02, 0)[..12].to_vec();
        connect[10..12].copy_from_slice(&seconds.to_be_bytes());
        connect
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

    /// Packets as minimq writes them: a CONNECT, a PUBLISH whose remaining
    /// length takes two bytes, a PINGREQ (no body), a SUBSCRIBE; and where
    /// each ends.
    fn session() -> (Vec<u8>, Vec<usize>) {
        let mut publish = std::vec![0x30, 0xc8, 0x01, 0, 3, b'a', b'/', b'b', 0];
        publish.resize(3 + 200, b'x');
        // The CONNECT asks for no keepalive, which leaves the test's.
        let packets: [Vec<u8>; 4] = [
            connect_asking(0),
            publish,
            PINGREQ.to_vec(),
            std::vec![0x82, 0x07, 0, 1, 0, 0, 1, b'a', 0x01],
        ];
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for packet in packets {
            bytes.extend_from_slice(&packet);
            ends.push(bytes.len());
        }
        (bytes, ends)
    }

    /// Makes a PINGREQ due on `stream`: its keepalive of 4 s passed half a
    /// second ago, and its grace has 1.5 s left. (The clock starts when a
    /// test first reads it: it is first let run past 4.5 s.)
    fn make_ping_due(stream: &mut BrokerStream<Link>) {
        let silence = Duration::from_millis(4_500);
        let heard = loop {
            match Instant::now().checked_sub(silence) {
                Some(heard) => break heard,
                None => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        };
        stream.keepalive = Some(Duration::from_secs(4));
        stream.heard = heard;
    }

    #[test]
    fn a_ping_goes_in_at_the_first_packet_boundary_after_it_falls_due() {
        let (bytes, ends) = session();
        for due_after in 0..bytes.len() {
            for piece in [1, 2, 7, 1000] {
                for chunk in [1, 3, 1000] {
                    let mut stream = BrokerStream::new(Link::new(chunk, false), true, 0);
                    write_in_pieces(&mut stream, &bytes[..due_after], piece);
                    make_ping_due(&mut stream);
                    write_in_pieces(&mut stream, &bytes[due_after..], piece);
                    // Never before the end of the CONNECT, nor inside a
                    // packet; once only, as nothing was read since.
                    let boundary = ends.iter().copied().find(|end| *end >= due_after);
                    let mut expect = bytes.clone();
                    if let Some(boundary) = boundary.filter(|end| *end < bytes.len()) {
                        expect.splice(boundary..boundary, PINGREQ);
                    }
                    assert_eq!(
                        stream.into_inner().bytes,
                        expect,
                        "due after {due_after} bytes, pieces of {piece}, chunks of {chunk}"
                    );
                }
            }
        }
    }

    /// What each read after silence gave: whether the link answered
    /// PINGREQs, the read, what was written, and how long the read took.
    type Outcome = (bool, Result<usize, ()>, Vec<u8>, u64);

    static OUTCOMES: std::sync::Mutex<Vec<Outcome>> = std::sync::Mutex::new(Vec::new());

    /// With a keepalive of 1 s: writes a CONNECT, then reads from a link
    /// that answers PINGREQs when `answers`. (A shorter one left a test
    /// thread stalled on a busy machine too little room: the bounds below
    /// are half a keepalive apart.)
    #[embassy_executor::task(pool_size = 2)]
    async fn read_after_silence(answers: bool) {
        let mut stream = BrokerStream::new(Link::new(100, answers), true, 0);
        stream.keepalive = Some(Duration::from_secs(1));
        let outcome = match stream.write_all(&connect_asking(0)).await {
            Ok(()) => {
                let started = Instant::now();
                let mut buf = [0u8; 8];
                let read = stream.read(&mut buf).await;
                let took = started.elapsed().as_millis();
                let read = match read {
                    Ok(n) if buf[..n] == [0xd0, 0x00] => Ok(n),
                    Err(Error::BrokerSilent) => Err(()),
                    _ => Ok(usize::MAX),
                };
                (answers, read, stream.into_inner().bytes, took)
            }
            Err(_) => (answers, Ok(usize::MAX), Vec::new(), 0),
        };
        OUTCOMES.lock().unwrap().push(outcome);
    }

    #[test]
    fn a_silent_broker_is_pinged_after_the_keepalive_and_given_up_after_the_grace() {
        crate::host::executor::run_until(
            |spawner| {
                spawner.spawn(read_after_silence(false).unwrap());
                spawner.spawn(read_after_silence(true).unwrap());
            },
            || OUTCOMES.lock().unwrap().len() == 2,
        );
        let mut outcomes = OUTCOMES.lock().unwrap().clone();
        outcomes.sort_by_key(|outcome| outcome.0);
        let pinged = [connect_asking(0).as_slice(), &PINGREQ].concat();
        let [(false, silent, silent_written, silent_ms), (true, answered, answered_written, answered_ms)] =
            outcomes.as_slice()
        else {
            panic!("{outcomes:?}");
        };
        // Unanswered: the PINGREQ at 1 s, the broker given up at 1.5 s.
        assert_eq!((silent, silent_written), (&Err(()), &pinged));
        assert!((1_500..5_000).contains(silent_ms), "{silent_ms} ms");
        // Answered: the PINGRESP read right after the PINGREQ, before the
        // broker would have been given up.
        assert_eq!((answered, answered_written), (&Ok(2), &pinged));
        assert!((1_000..1_500).contains(answered_ms), "{answered_ms} ms");
    }

    /// A CONNACK with a Server Keep Alive of `seconds`, or without one;
    /// either way with the properties Mosquitto sends beside it.
    fn connack(server_keep_alive: Option<u16>) -> Vec<u8> {
        let mut properties = std::vec![0x22, 0x00, 0x0a];
        if let Some(seconds) = server_keep_alive {
            properties.push(0x13);
            properties.extend_from_slice(&seconds.to_be_bytes());
        }
        properties.extend_from_slice(&[0x21, 0x00, 0x14]);
        let mut packet = std::vec![0x20, 3 + properties.len() as u8, 0x00, 0x00];
        packet.push(properties.len() as u8);
        packet.extend_from_slice(&properties);
        packet
    }

    /// A session whose flow asks for `flow_s`, whose CONNECT asks for
    /// `connect_s` and whose broker answers `connack`, each written and
    /// read in every way of cutting them: the keepalive the check follows.
    fn check_keepalive(flow_s: u16, connect_s: u16, connack: &[u8], expect: Option<u64>) {
        let connect = connect_asking(connect_s);
        for piece in [1, 2, 5, 100] {
            for chunk in [1, 3, 100] {
                for split in 0..=connack.len() {
                    let mut stream = BrokerStream::new(Link::new(chunk, false), true, flow_s);
                    write_in_pieces(&mut stream, &connect, piece);
                    let (first, second) = connack.split_at(split);
                    stream.io.incoming = [first.to_vec(), second.to_vec()].into();
                    let mut buf = [0u8; 64];
                    for _ in 0..2 {
                        embassy_futures::block_on(stream.read(&mut buf)).unwrap();
                    }
                    assert_eq!(
                        stream.keepalive,
                        expect.map(Duration::from_secs),
                        "flow {flow_s} s, CONNECT {connect_s} s, {connack:02x?} cut at {split}, \
                         pieces of {piece}, chunks of {chunk}"
                    );
                    assert_eq!(stream.into_inner().bytes, connect);
                }
            }
        }
    }

    #[test]
    fn the_check_follows_the_brokers_server_keep_alive() {
        check_keepalive(60, 60, &connack(None), Some(60));
        check_keepalive(60, 60, &connack(Some(10)), Some(10));
        check_keepalive(2, 2, &connack(Some(10)), Some(10));
        // A flow without a check gets one when the broker names a keepalive.
        check_keepalive(0, 0, &connack(Some(10)), Some(10));
        check_keepalive(0, 0, &connack(None), None);
    }

    #[test]
    fn the_check_follows_the_keepalive_the_connect_asks_for() {
        // minimq asks on every later connection for what a broker gave it
        // earlier: a broker that says nothing then takes that.
        check_keepalive(60, 10, &connack(None), Some(10));
        check_keepalive(0, 10, &connack(None), Some(10));
        check_keepalive(60, 10, &connack(Some(20)), Some(20));
    }

    #[test]
    fn no_broker_turns_the_check_off_or_changes_it_with_a_malformed_connack() {
        // A Server Keep Alive of 0, and a CONNECT asking for 0 after one.
        check_keepalive(60, 60, &connack(Some(0)), Some(60));
        check_keepalive(60, 0, &connack(None), Some(60));
        let mut past_its_properties = connack(Some(10));
        past_its_properties[4] = 4;
        let mut not_a_connack = connack(Some(10));
        not_a_connack[0] = 0x30;
        for malformed in [past_its_properties, not_a_connack, std::vec![0x20, 0xff]] {
            check_keepalive(60, 60, &malformed, Some(60));
        }
    }

    /// How long the read after a CONNACK with a Server Keep Alive of 1 s
    /// took on a session whose flow asks for 60 s, how it ended, and what
    /// was written.
    static SHORT_KEEPALIVE: std::sync::Mutex<Option<(u64, bool, Vec<u8>)>> =
        std::sync::Mutex::new(None);

    #[embassy_executor::task]
    async fn read_after_a_short_server_keep_alive() {
        let mut stream = BrokerStream::new(Link::new(100, false), true, 60);
        let mut outcome = (0, false, Vec::new());
        if stream.write_all(&connect_asking(60)).await.is_ok() {
            stream.io.incoming = [connack(Some(1))].into();
            let mut buf = [0u8; 64];
            if stream.read(&mut buf).await.is_ok() {
                let started = Instant::now();
                let read =
                    embassy_time::with_timeout(Duration::from_secs(10), stream.read(&mut buf))
                        .await;
                let silent = matches!(read, Ok(Err(Error::BrokerSilent)));
                outcome = (
                    started.elapsed().as_millis(),
                    silent,
                    stream.into_inner().bytes,
                );
            }
        }
        *SHORT_KEEPALIVE.lock().unwrap() = Some(outcome);
    }

    #[test]
    fn a_server_keep_alive_shorter_than_the_flows_times_the_ping_and_the_giving_up() {
        crate::host::executor::run_until(
            |spawner| spawner.spawn(read_after_a_short_server_keep_alive().unwrap()),
            || SHORT_KEEPALIVE.lock().unwrap().is_some(),
        );
        let (took, silent, written) = SHORT_KEEPALIVE.lock().unwrap().take().unwrap();
        // A PINGREQ after 1 s of silence, the broker given up at 1.5 s,
        // not at the flow's 60 s and 90 s.
        assert!(silent, "the broker was not given up");
        assert!((1_500..2_500).contains(&took), "{took} ms");
        assert_eq!(written, [connect_asking(60).as_slice(), &PINGREQ].concat());
    }
}
