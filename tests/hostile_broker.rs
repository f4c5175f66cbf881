//! A device against a broker that sends what no well-behaved broker would:
//! malformed packets, packets too large for the device, data that is not
//! what its node expects. The device must not panic, must count what it
//! dropped, and must go on serving its wires, on the same connection or a
//! new one.
//!
//! The broker for malformed packets is a few lines of MQTT 5 over a
//! loopback socket, because no real broker can be made to send them;
//! malformed messages on a wire between devices go through a real Mosquitto.
//! Both go to a `host` device and to a `qemu-lm3s6965` one alike. A device
//! under QEMU reaches the broker through its UART, which QEMU bridges to a
//! TCP connection it dials (again, a second after it closes): the device
//! cannot close that connection, so it starts each new session on the same
//! stream, after dropping what the last session left in it.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use support::mosquitto::Mosquitto;
use support::qemu::{build_firmware, qemu_with_uart0_on};
use support::{build_device, build_test_flow, Running, WAIT};

/// One MQTT control packet: its first byte and its body.
struct Packet {
    first: u8,
    body: Vec<u8>,
}

impl Packet {
    fn kind(&self) -> u8 {
        self.first >> 4
    }
}

/// The variable-length integer MQTT puts before a packet's body.
fn remaining_length(mut length: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        bytes.push(byte);
        if length == 0 {
            return bytes;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![first];
    bytes.extend(remaining_length(body.len()));
    bytes.extend_from_slice(body);
    bytes
}

/// A QoS 0 PUBLISH without properties.
fn publish(topic: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic);
    body.push(0);
    body.extend_from_slice(payload);
    packet(0x30, &body)
}

/// Reads a variable-length integer from the front of `bytes`.
fn read_varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (index, byte) in bytes.iter().enumerate().take(4) {
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

/// The device's side of one connection, as the broker sees it.
struct Connection {
    stream: TcpStream,
    /// Topics and payloads the device published on it.
    published: Vec<(String, Vec<u8>)>,
    /// The CONNECT packets the device sent on it.
    connects: usize,
    /// The device sent a CONNECT that is not answered yet: it started a
    /// new session on this connection, as a device on a UART does.
    connect_waiting: bool,
}

impl Connection {
    /// Takes the device's next connection and opens a session on it.
    fn accept(listener: &TcpListener, after: &str) -> Self {
        let mut connection = Self::take(listener, after);
        connection.open_session(after);
        connection
    }

    /// The device's next session, after this one failed: on this
    /// connection, for a device that cannot close it, or on a new one.
    fn next_session(mut self, listener: &TcpListener, after: &str) -> Self {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.connect_waiting {
                self.open_session(after);
                return self;
            }
            if let Ok((stream, _)) = listener.accept() {
                let mut connection = Self::new(stream);
                connection.open_session(after);
                return connection;
            }
            if self.serve_one().is_none() && self.is_closed() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("after {after}, the device neither answers nor reconnects");
    }

    /// Waits for the device's CONNECT, unless it came already, then
    /// answers it and its SUBSCRIBE and status PUBLISH until it has gone
    /// quiet.
    fn open_session(&mut self, after: &str) {
        self.take_connect(after);
        let connects = self.connects;
        self.send(&packet(0x20, &[0, 0, 0]));
        let mut subscribed = false;
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match self.serve_one() {
                Some(true) => subscribed = true,
                Some(false) => {}
                None if subscribed => break,
                None => {}
            }
            assert_eq!(
                self.connects, connects,
                "after {after}, the device's session failed: it connects again"
            );
            // The device announces itself once all its subscriptions
            // stand; it may go on talking (its debug nodes' mirrors), so
            // silence alone does not say it is done.
            if subscribed
                && self
                    .published
                    .iter()
                    .any(|(topic, payload)| topic.ends_with("/status") && payload == b"online")
            {
                break;
            }
        }
        assert!(subscribed, "after {after}, the device subscribes");
    }

    /// Waits for the device's CONNECT, unless it came already, and takes
    /// it, unanswered.
    fn take_connect(&mut self, after: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.connect_waiting {
            // What else comes before it (a keepalive ping of a session
            // that is over for the broker) goes unanswered.
            if self.read().is_none() && (self.is_closed() || Instant::now() > deadline) {
                panic!("after {after}, the device sends no CONNECT");
            }
        }
        self.connect_waiting = false;
    }

    /// Takes the device's next connection, and nothing more.
    fn take(listener: &TcpListener, after: &str) -> Self {
        listener.set_nonblocking(true).expect("the listener polls");
        let deadline = Instant::now() + WAIT;
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(error) => {
                    panic!("after {after}, the device neither answers nor reconnects: {error}")
                }
            }
        };
        Self::new(stream)
    }

    fn new(stream: TcpStream) -> Self {
        stream.set_nonblocking(false).expect("the stream blocks");
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("a read timeout");
        Self {
            stream,
            published: Vec::new(),
            connects: 0,
            connect_waiting: false,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        // The device may have dropped the connection already: what it does
        // next is what the test looks at.
        let _ = self.stream.write_all(bytes);
    }

    /// The next packet, or `None` when none came in time or the device
    /// closed the connection.
    fn read(&mut self) -> Option<Packet> {
        let mut first = [0u8; 1];
        self.stream.read_exact(&mut first).ok()?;
        let mut header = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            self.stream.read_exact(&mut byte).ok()?;
            header.push(byte[0]);
            if byte[0] & 0x80 == 0 || header.len() == 4 {
                break;
            }
        }
        let (length, _) = read_varint(&header)?;
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).ok()?;
        let packet = Packet {
            first: first[0],
            body,
        };
        if packet.kind() == 1 {
            self.connects += 1;
            self.connect_waiting = true;
        }
        Some(packet)
    }

    /// Answers one packet of the device as a broker would; `Some(true)`
    /// for a SUBSCRIBE, `None` when nothing came.
    fn serve_one(&mut self) -> Option<bool> {
        let packet_in = self.read()?;
        match packet_in.kind() {
            3 => {
                let body = &packet_in.body;
                let topic_length = usize::from(u16::from_be_bytes([body[0], body[1]]));
                let topic = String::from_utf8_lossy(&body[2..2 + topic_length]).into_owned();
                let mut at = 2 + topic_length;
                if (packet_in.first >> 1) & 3 > 0 {
                    let id = [body[at], body[at + 1]];
                    self.send(&packet(0x40, &id));
                    at += 2;
                }
                let (properties, size) = read_varint(&body[at..])?;
                at += size + properties;
                self.published.push((topic, body[at..].to_vec()));
                Some(false)
            }
            8 => {
                let body = &packet_in.body;
                let (properties, size) = read_varint(&body[2..])?;
                let mut at = 2 + size + properties;
                let mut filters = 0;
                while at + 2 <= body.len() {
                    at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]])) + 1;
                    filters += 1;
                }
                let mut suback = vec![body[0], body[1], 0];
                suback.extend(std::iter::repeat_n(1u8, filters));
                self.send(&packet(0x90, &suback));
                Some(true)
            }
            12 => {
                self.send(&[0xd0, 0]);
                Some(false)
            }
            _ => Some(false),
        }
    }

    /// Serves the device until it publishes `topic`, or ends the session
    /// (closes the connection or connects again), or the time is up;
    /// whether it published it.
    fn wait_for(&mut self, topic: &str, payload: &[u8], timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let before = self.published.len();
            let closed = self.serve_one().is_none() && self.is_closed();
            if self.published[before..]
                .iter()
                .any(|(t, p)| t == topic && p == payload)
            {
                return true;
            }
            if closed || self.connect_waiting {
                return false;
            }
        }
        false
    }

    fn is_closed(&self) -> bool {
        let mut byte = [0u8; 1];
        let _ = self.stream.set_nonblocking(true);
        let closed = matches!(self.stream.peek(&mut byte), Ok(0))
            || matches!(&self.stream.peek(&mut byte), Err(error) if error.kind() != std::io::ErrorKind::WouldBlock);
        let _ = self.stream.set_nonblocking(false);
        closed
    }
}

/// How the devices here come to their end, where they print their error
/// counts.
#[derive(Clone, Copy)]
enum Ending {
    /// A host device runs until the test is done with it and stops it as
    /// `psosc run` does, with SIGTERM.
    Stopped,
    /// Firmware under QEMU, which no signal reaches, runs for the time its
    /// build gave it.
    RunsOut,
}

/// The `bridge` device of the `mqtt_datatypes` flow, with a listener where
/// it looks for its broker. The directory holds its crates and must
/// outlive it.
fn bridge_on_a_raw_socket() -> (tempfile::TempDir, TcpListener, Running) {
    let (dir, _) = build_test_flow("mqtt_datatypes");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let mut command = std::process::Command::new(build_device(dir.path(), "bridge"));
    command.env("PSOS_BROKER", format!("mqtt://127.0.0.1:{port}"));
    (dir, listener, Running::spawn(command))
}

/// How long the `uart-bridge` firmware runs, in its own time, which keeps
/// pace with the clock: it prints its counts only at the end, which must
/// come after all a test does with it, on a busy machine too. The hostile
/// packets took 2.4 s with the load at 14 on two cores: this leaves room
/// for stalls of half a minute. Both QEMU tests run it this long, so that
/// they build it once.
const UART_BRIDGE_RUN_MS: u64 = 40_000;

/// The `uart-bridge` device of the `qemu_hostile` flow (an `mqtt in` to an
/// `mqtt out` as the `bridge`'s `in/json/+`, and a local inject to a debug),
/// under QEMU with its UART dialling a listener of the test's. The
/// directory holds its crates and must outlive it.
///
/// Its debug node mirrors what it prints to the broker at QoS 0 every
/// half second, more often than its keepalive of 2 s: it is the device's
/// stream, not minimq, that pings a broker it has not heard from.
fn uart_bridge_on_a_raw_socket() -> (tempfile::TempDir, TcpListener, Running) {
    let (dir, _) = build_test_flow("qemu_hostile");
    let crate_dir = dir.path().join("uart-bridge");
    let firmware = build_firmware(&crate_dir, "uart-bridge", UART_BRIDGE_RUN_MS);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let device = Running::spawn(qemu_with_uart0_on(&crate_dir, &firmware, port));
    (dir, listener, device)
}

#[test]
fn a_device_survives_a_broker_that_sends_garbage() {
    let (_dir, listener, device) = bridge_on_a_raw_socket();
    survive_garbage(
        &listener,
        device,
        "bridge",
        Ending::Stopped,
        Duration::from_millis(200),
    );
}

#[test]
fn a_qemu_device_survives_a_broker_that_sends_garbage() {
    let (_dir, listener, device) = uart_bridge_on_a_raw_socket();
    survive_garbage(
        &listener,
        device,
        "uart-bridge",
        Ending::RunsOut,
        Duration::from_millis(500),
    );
}

/// Sends a device packets no broker should send, each followed by an
/// ordinary message, which the device must answer, on the same session or
/// on a new one; then goes away, and a well-behaved broker comes. All the
/// while the device's local inject, which fires every `beat`, prints.
fn survive_garbage(
    listener: &TcpListener,
    mut device: Running,
    name: &str,
    ending: Ending,
    beat: Duration,
) {
    let oversize = vec![b'7'; 8 * 1024];
    let mut overlong_length = vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x7f];
    overlong_length.extend_from_slice(b"garbage");
    let hostile: [(&str, Vec<u8>); 10] = [
        (
            "a topic longer than its packet",
            vec![0x30, 5, 0xff, 0xff, b'a', b'b', b'c'],
        ),
        (
            "a topic that is not UTF-8",
            publish(b"in/json/\xff\xfe", b"1"),
        ),
        ("QoS 3", {
            let mut bytes = publish(b"in/json/q", b"1");
            bytes[0] = 0x36;
            bytes
        }),
        ("a reserved packet type", vec![0x00, 0x00]),
        ("properties longer than the packet", {
            let mut body = 9u16.to_be_bytes().to_vec();
            body.extend_from_slice(b"in/json/p");
            body.extend_from_slice(&[0x7f, 0x01]);
            packet(0x30, &body)
        }),
        (
            "a payload larger than the device's buffers",
            publish(b"in/json/big", &oversize),
        ),
        (
            "JSON that does not parse",
            publish(b"in/json/bad", b"{\"t\": "),
        ),
        (
            "a SUBACK for nothing it asked",
            packet(0x90, &[0x7a, 0x7a, 0, 1]),
        ),
        ("a second CONNACK", packet(0x20, &[0, 0, 0])),
        ("a length of more than four bytes", overlong_length),
    ];

    let started = Instant::now();
    let mut connection = Connection::accept(listener, "starting");
    let mut outcomes = Vec::new();
    for (index, (what, bytes)) in hostile.iter().enumerate() {
        connection.send(bytes);
        // Then an ordinary message: the device answers it on this
        // session, or on the next one once it has dropped this one (it
        // closes the connection or, on a UART, connects again).
        let probe = format!("{index}");
        let topic = format!("in/json/{index}");
        connection.send(&publish(topic.as_bytes(), probe.as_bytes()));
        let answered_here = connection.wait_for("out/json", probe.as_bytes(), WAIT);
        if !answered_here {
            connection = connection.next_session(listener, what);
            connection.send(&publish(topic.as_bytes(), probe.as_bytes()));
            assert!(
                connection.wait_for("out/json", probe.as_bytes(), WAIT),
                "after {what}, the device connects again and answers"
            );
        }
        outcomes.push((*what, answered_here));
    }
    eprintln!(
        "{name}: {} hostile packets in {:?}; same session after: {outcomes:?}",
        hostile.len(),
        started.elapsed()
    );

    // The broker goes away without a word; a well-behaved one takes its
    // place, and the device finds it by itself.
    drop(connection);
    let gone = Instant::now();
    let mut connection = Connection::accept(listener, "the broker went away");
    connection.send(&publish(b"in/json/back", b"100"));
    assert!(
        connection.wait_for("out/json", b"100", WAIT),
        "the device answers the broker that came back"
    );
    eprintln!(
        "{name}: answered a new broker {:?} after the last went away",
        gone.elapsed()
    );

    // It ran to its end without a panic, its local wires printing
    // throughout, and says what it dropped.
    drop(connection);
    let beats_in = |lines: &[String]| -> Vec<u64> {
        lines
            .iter()
            .filter(|line| line.contains("[debug:beat] heartbeat : local"))
            .filter_map(|line| uptime_ms(line))
            .collect()
    };
    // Enough beats to judge the local inject by, however quickly the
    // packets went.
    let mut lines = device.read_until(WAIT, |lines| beats_in(lines).len() > 10);
    let (report, rest) = report_at_stop(&mut device, name, ending);
    lines.extend(rest);
    let beats = beats_in(&lines);
    let longest = beats
        .windows(2)
        .map(|pair| pair[1].saturating_sub(pair[0]))
        .max()
        .unwrap_or(u64::MAX);
    eprintln!("{name}: {} beats, at most {longest} ms apart", beats.len());
    assert!(
        beats.len() > 10 && longest < 4 * beat.as_millis() as u64,
        "{name}: the local inject stalled: {} beats, at most {longest} ms apart\n{lines:#?}",
        beats.len()
    );
    assert!(count(&report, "bad value") >= 1, "{report}");
    assert!(count(&report, "mqtt") >= 1, "{report}");
}

/// When a line of a device's console was printed, in milliseconds of the
/// day (a host device) or of the device's uptime (QEMU): both stamps end
/// with `HH:MM:SS.mmm` before ` - `.
fn uptime_ms(line: &str) -> Option<u64> {
    let (stamp, _) = line.split_once(" - ")?;
    let time = stamp.rsplit(' ').next()?;
    let (clock, millis) = time.split_once('.')?;
    let mut parts = clock.split(':').map(str::parse::<u64>);
    let (Some(Ok(hours)), Some(Ok(minutes)), Some(Ok(seconds))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis.parse::<u64>().ok()?)
}

/// A device on a UART starts each session on the stream the last one
/// used. What the broker sent that the last session did not read (here
/// refusals, one after the other, as a broker that answers the CONNECT
/// with a refusal and more bytes after it) must not be read as the answer
/// to the next CONNECT: the device drops it first, and its next session
/// is a clean one.
#[test]
fn a_qemu_device_drops_what_a_failed_session_left_on_its_uart() {
    let (_dir, listener, mut device) = uart_bridge_on_a_raw_socket();
    let mut first = Connection::take(&listener, "starting");
    first.take_connect("starting");
    // CONNACK, reason "not authorized", 200 times: the first ends the
    // session, the rest are still on their way (the UART takes 16 bytes a
    // millisecond) when the device tries again.
    let refusal = packet(0x20, &[0, 0x87, 0]);
    first.send(&refusal.repeat(200));
    // The CONNECT right after the refusal opens a working session.
    let mut second = first.next_session(&listener, "a refused CONNECT");
    assert_eq!(second.connects, 2, "the device connected once more");
    second.send(&publish(b"in/json/clean", b"1"));
    assert!(
        second.wait_for("out/json", b"1", WAIT),
        "the device answers on its second session"
    );
    // And it lasts until the device stops (QEMU then closes the
    // connection): no CONNECT again.
    let deadline = Instant::now() + Duration::from_millis(UART_BRIDGE_RUN_MS) + WAIT;
    while !(second.serve_one().is_none() && second.is_closed()) {
        assert!(
            second.connects == 2 && Instant::now() < deadline,
            "the second session lasts until the device stops"
        );
    }
    let (report, _) = report_at_stop(&mut device, "uart-bridge", Ending::RunsOut);
    // The refusal, and nothing else.
    assert_eq!(count(&report, "mqtt"), 1, "{report}");
}

/// A broker that takes the CONNECT and never answers: the device gives up
/// on it after its handshake time limit (5 s), closes that connection and
/// opens another. Without a limit it would wait on the first for ever, as
/// a device on a UART whose CONNECT was lost would.
#[test]
fn a_device_tries_again_when_the_broker_never_answers_its_connect() {
    let (_dir, listener, mut device) = bridge_on_a_raw_socket();

    let mut silent = Connection::take(&listener, "starting");
    let deadline = Instant::now() + WAIT;
    let connect = loop {
        match silent.read() {
            Some(packet) => break packet,
            None if Instant::now() < deadline => {}
            None => panic!("the device sends no CONNECT"),
        }
    };
    assert_eq!(connect.kind(), 1, "the first packet is CONNECT");
    let asked = Instant::now();
    let mut answered = Connection::accept(&listener, "a CONNECT that got no CONNACK");
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_millis(4900),
        "the device gave up after {waited:?}"
    );
    assert!(
        silent.is_closed(),
        "the device closes the connection it gave up on"
    );
    // The new session works: the device answers a message on it.
    answered.send(&publish(b"in/json/after", b"1"));
    assert!(
        answered.wait_for("out/json", b"1", WAIT),
        "the device answers on its new connection"
    );
    drop((silent, answered));
    let (report, _) = report_at_stop(&mut device, "bridge", Ending::Stopped);
    assert!(count(&report, "mqtt") >= 1, "{report}");
}

#[test]
fn a_device_counts_and_drops_malformed_messages_between_devices() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("ping_pong");
    let mut command = std::process::Command::new(build_device(dir.path(), "ping"));
    command.env("PSOS_BROKER", broker.url());
    let device = Running::spawn(command);
    check_malformed_messages(&broker, device, "ping", "to-ping", Ending::Stopped);
}

/// The same on the Cortex-M3 under QEMU, whose counts come at the end of
/// its console, as a host device prints them.
#[test]
fn a_qemu_device_counts_and_drops_malformed_messages_between_devices() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("ping_pong");
    let pong_dir = dir.path().join("pong");
    let firmware = build_firmware(&pong_dir, "pong", support::qemu::PONG_RUN_MS);
    let device = Running::spawn(qemu_with_uart0_on(&pong_dir, &firmware, broker.port()));
    check_malformed_messages(&broker, device, "pong", "to-pong", Ending::RunsOut);
}

/// Sends a device of the `ping_pong` flow what its wire from `wire` would
/// carry if the other end were broken or hostile, then an ordinary
/// message: the device drops and counts each bad one, and still takes the
/// good one.
fn check_malformed_messages(
    broker: &Mosquitto,
    mut device: Running,
    name: &str,
    wire: &str,
    ending: Ending,
) {
    let online = broker.subscribe(&format!("psos/ping_pong/{name}/status"), 1, WAIT);
    assert_eq!(
        online.first().map(|(_, payload)| payload.as_slice()),
        Some(&b"online"[..])
    );
    let topic = format!("psos/ping_pong/{wire}/0");
    // Deeper than a device parses, and short enough for the smallest
    // message capacity of the flow's devices (256 bytes).
    let deep = format!("{{\"payload\": {}{}}}", "[".repeat(40), "]".repeat(40));
    let long = format!("{{\"payload\": \"{}\"}}", "x".repeat(1000));
    let cases: [(&str, &[u8]); 7] = [
        ("bad value", br#"{"payload": 4"#),
        ("bad value", b"[1, 2]"),
        ("bad value", b"{\"payload\": \"\xff\"}"),
        ("bad value", deep.as_bytes()),
        ("bad value", br#"{"payload": tru}"#),
        ("bad value", b""),
        ("oversize", long.as_bytes()),
    ];
    for (_, payload) in &cases {
        broker.publish(&topic, payload, 0, false);
    }
    // And after all that, an ordinary message still arrives.
    broker.publish(
        &topic,
        br#"{"topic": "from-elsewhere", "payload": "still here"}"#,
        0,
        false,
    );
    let lines = device.read_until(WAIT, |lines| {
        lines.iter().any(|line| line.contains("still here"))
    });
    assert!(
        lines.iter().any(|line| line.contains("still here")),
        "{lines:#?}"
    );

    let (report, _) = report_at_stop(&mut device, name, ending);
    for kind in ["bad value", "oversize"] {
        let expected = cases.iter().filter(|(k, _)| *k == kind).count();
        assert_eq!(count(&report, kind) as usize, expected, "{kind}: {report}");
    }
    assert_eq!(count(&report, "mqtt"), 0, "{report}");
}

/// Stops a host device, or waits for firmware to reach the end its build
/// gave it; checks it exited cleanly (no panic), and returns the error
/// report it printed and all its lines.
fn report_at_stop(device: &mut Running, name: &str, ending: Ending) -> (String, Vec<String>) {
    let timeout = match ending {
        Ending::Stopped => {
            device.terminate();
            WAIT
        }
        Ending::RunsOut => {
            Duration::from_millis(UART_BRIDGE_RUN_MS.max(support::qemu::PONG_RUN_MS)) + WAIT
        }
    };
    let (lines, status) = device.read_to_end(timeout);
    let status = status.expect("the device stops");
    assert!(status.success(), "{status:?}\n{lines:#?}");
    let start = format!("psos: device {name} stopped; errors:");
    let report = lines
        .iter()
        .find(|line| line.starts_with(&start))
        .cloned()
        .unwrap_or_else(|| panic!("a report of errors: {lines:#?}"));
    (report, lines)
}

/// How many errors of a kind a device's report gives.
fn count(report: &str, kind: &str) -> u32 {
    report
        .split([':', ','])
        .filter_map(|part| part.trim().strip_prefix(kind))
        .find_map(|number| number.trim().parse().ok())
        .unwrap_or_else(|| panic!("{kind} in {report}"))
}
