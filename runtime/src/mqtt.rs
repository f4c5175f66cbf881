//! The device's MQTT 5 client, on minimq: one session to the broker, kept
//! up by reconnecting with backoff and jitter, subscriptions renewed on
//! every connection, a retained `online` status with a last will of
//! `offline`, and a bounded outbox for what the device publishes.
//!
//! The session outlives its connections for `session_expiry_s` seconds:
//! the broker keeps the device's subscriptions and the QoS 1 messages for
//! it meanwhile, and the client sends again the QoS 1 messages the broker
//! had not acknowledged when the connection dropped. Unless `clean_start`
//! says otherwise, a connection resumes the session, also the first one
//! after the device (re)started (see `broker_stream.rs`, which also gives
//! up on a broker that stays silent for one and a half keepalives, the
//! keepalive being the one the broker may set in its CONNACK). A board that stops
//! (the host on SIGTERM) asks for [`goodbye`]: the close message, an
//! `offline` status and a DISCONNECT, so that the broker does not publish
//! the will.
//!
//! Inside the device, a message that MQTT carries is a *carried* message:
//! `topic`, `payload` (the bytes on the wire), `qos` and `retain` — the
//! shape `mqtt out` produces and `mqtt in` reads. The client delivers each
//! inbound publish as one to the subscription whose filter matches, and
//! publishes each carried message put in the outbox.

use core::sync::atomic::{AtomicBool, Ordering};
use embassy_futures::select::{select, select3, Either, Either3};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;

use embassy_sync::signal::Signal;
use embassy_time::{Duration, Timer};
use minimq::{Buffers, ConfigBuilder, QoS, Session, TopicFilter, Will};

use crate::encoding::{Bytes, Str};
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg, NodeStatus};

mod broker_stream;
mod wire;
use broker_stream::BrokerStream;

/// How the device reaches its broker, and who it is there.
pub struct Broker {
    pub client_id: &'static str,
    pub keepalive_s: u16,
    /// Where the device's `online` / `offline` status is retained.
    pub status_topic: &'static str,
    /// How long the broker keeps the session after a connection drops, in
    /// seconds; 0 ends it with the connection (a clean session each time).
    pub session_expiry_s: u32,
    /// Whether each connection starts a fresh session (the `mqtt-broker`
    /// node's `cleansession`), throwing away what the broker kept;
    /// otherwise each resumes it, also the first after the device starts.
    pub clean_start: bool,
    /// Published on every connection, after the `online` status.
    pub birth: Option<Announcement>,
    /// Published when the device stops on purpose, before it disconnects.
    pub close: Option<Announcement>,
    /// The last will, in place of the `offline` status, when the flow
    /// gives one.
    pub will: Option<Announcement>,
    /// Told each time the session starts to connect, connects or drops,
    /// when status nodes watch the device's `mqtt in` or `mqtt out` nodes;
    /// `None` otherwise, so that a device nobody watches pays nothing.
    pub on_session: Option<fn(SessionState)>,
}

/// Where the device's session stands, as `10-mqtt.js` tells the `mqtt in`
/// and `mqtt out` nodes of a broker: connecting (each attempt to reach
/// it), connected (the broker accepted the session) and disconnected (a
/// connected session dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    Connecting,
    Connected,
    Disconnected,
}

impl SessionState {
    /// The status the mqtt nodes report for it. Its text is Node-RED's
    /// i18n key, which the editor translates but a status node receives
    /// as it is.
    pub const fn status(self) -> NodeStatus<'static> {
        match self {
            Self::Connecting => {
                NodeStatus::new("yellow", "ring").with_text("node-red:common.status.connecting")
            }
            Self::Connected => {
                NodeStatus::new("green", "dot").with_text("node-red:common.status.connected")
            }
            Self::Disconnected => {
                NodeStatus::new("red", "ring").with_text("node-red:common.status.disconnected")
            }
        }
    }
}

impl Broker {
    /// Tells `on_session`, when the device has one, where the session
    /// stands.
    fn tell(&self, state: SessionState) {
        if let Some(on_session) = self.on_session {
            on_session(state);
        }
    }
}

/// A message the `mqtt-broker` node has the device publish at a moment of
/// its session: birth, close or will.
pub struct Announcement {
    pub topic: &'static str,
    pub payload: &'static [u8],
    pub qos: u8,
    pub retain: bool,
}

impl Announcement {
    fn publication(&self) -> minimq::Publication<'static, &'static [u8]> {
        let publication = minimq::Publication::new(self.topic, self.payload).qos(qos(self.qos));
        if self.retain {
            publication.retain()
        } else {
            publication
        }
    }
}

/// Whether the client runs (and so has someone to say goodbye to).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Asks the client to end its session.
static GOODBYE: Signal<CriticalSectionRawMutex, ()> = Signal::new();
/// The client has ended its session.
static GONE: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// Ends the device's session on purpose: the `mqtt-broker` node's close
/// message, the `offline` status, and a DISCONNECT (after which the broker
/// drops the will). Returns at once on a device without a client; a board
/// bounds the wait with a timeout, for a broker that does not answer.
pub async fn goodbye() {
    if !ACTIVE.load(Ordering::Acquire) {
        return;
    }
    GOODBYE.signal(());
    GONE.wait().await;
}

/// One topic filter the device subscribes to, and the function that takes
/// each carried message whose topic it matches.
pub struct Subscription<const N: usize> {
    pub filter: &'static str,
    pub qos: u8,
    pub deliver: fn(&mut Msg<N>),
}

/// Something that gives the client a byte stream to the broker: a TCP
/// connection on the host, a UART on a microcontroller.
#[allow(async_fn_in_trait)]
pub trait Transport {
    type Io: embedded_io_async::Read + embedded_io_async::Write;

    /// A fresh stream to the broker, or `None` when none can be had now.
    /// A transport that hands out the same stream again (a UART) drops
    /// first what the last session left unread, so that the new session's
    /// first byte is the CONNACK.
    async fn connect(&mut self) -> Option<Self::Io>;

    /// Takes back a stream after its session ended, or its handshake
    /// failed, for transports (a UART) that cannot make a new one.
    fn release(&mut self, io: Self::Io) {
        drop(io);
    }

    /// The user name and password the broker wants, if any. They come from
    /// where the board keeps secrets (the host's environment), never from
    /// generated code.
    fn credentials(&self) -> Option<(&str, &[u8])> {
        None
    }
}

/// The longest user name and password the client keeps.
const CREDENTIAL_LENGTH: usize = 128;

/// Carried messages waiting to be published, and QoS 1 messages published
/// but not yet acknowledged by the broker. These stay until the broker
/// acknowledges them: a session the broker did not keep (a clean session,
/// a broker restarted without persistence) loses the client's in-flight
/// state, and the outbox then publishes them again.
///
/// When it is full, the oldest message makes room for the new one: one the
/// session has sent only loses its second chance (it still arrives unless
/// the session is lost before the broker acknowledges it); one the session
/// never had is dropped and counted as [`ErrorKind::OutboxFull`]: fresh
/// readings matter more than old ones.
pub struct Outbox<const N: usize, const CAP: usize> {
    queue: spin::Mutex<Queue<N, CAP>>,
    ready: Signal<CriticalSectionRawMutex, ()>,
}

struct Queue<const N: usize, const CAP: usize> {
    entries: heapless::Deque<Entry<N>, CAP>,
    /// The number the next message gets, which names it while the client
    /// awaits the transport and newer messages push older ones out.
    next_number: u32,
}

/// A message in the outbox and how far it has gone.
struct Entry<const N: usize> {
    number: u32,
    msg: Msg<N>,
    sent: Sent,
}

#[derive(Clone, Copy)]
enum Sent {
    /// Not handed to the session yet (or to be handed again).
    No,
    /// Handed to the session at QoS 1; the broker has not acknowledged it.
    Unacknowledged(minimq::Op),
    /// Sent at QoS 0, or acknowledged: it leaves once it reaches the front.
    Done,
}

impl<const N: usize, const CAP: usize> Default for Outbox<N, CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const CAP: usize> Outbox<N, CAP> {
    pub const fn new() -> Self {
        Self {
            queue: spin::Mutex::new(Queue {
                entries: heapless::Deque::new(),
                next_number: 0,
            }),
            ready: Signal::new(),
        }
    }

    /// Queues a copy of a carried message for the broker.
    pub fn publish(&self, device: &Device, carried: &Msg<N>) {
        let Some(mut queue) = self.queue.try_lock() else {
            device.report_uncaught(ErrorKind::OutboxFull);
            return;
        };
        if queue.entries.is_full() {
            // Sent first, so at the front: a message the session has sent
            // makes room without a word; one it never had is lost.
            if let Some(Entry { sent: Sent::No, .. }) = queue.entries.pop_front() {
                device.report_uncaught(ErrorKind::OutboxFull);
            }
        }
        let entry = Entry {
            number: queue.next_number,
            msg: carried.clone(),
            sent: Sent::No,
        };
        queue.next_number = queue.next_number.wrapping_add(1);
        if queue.entries.push_back(entry).is_err() {
            device.report_uncaught(ErrorKind::OutboxFull);
        }
        drop(queue);
        self.ready.signal(());
    }

    /// Queues a carried message that may be lost (a debug node's sidebar
    /// mirror, at QoS 0) only while the outbox is less than half full, so
    /// that it never takes the room of what `mqtt out` nodes and wires
    /// between devices publish; otherwise drops it without a word.
    pub fn offer(&self, device: &Device, carried: &Msg<N>) {
        let room = self
            .queue
            .try_lock()
            .is_some_and(|queue| queue.entries.len() < CAP / 2);
        if room {
            self.publish(device, carried);
        }
    }

    /// Queues a whole message for a wire between devices: as JSON (what a
    /// Node-RED `mqtt in` reads), on the wire's topic.
    pub fn publish_msg(&self, device: &Device, topic: &str, qos: u8, msg: &Msg<N>) {
        let mut carried = Msg::<N>::new();
        let result = carried
            .set_property("topic", &Str(topic))
            .and_then(|()| carried.set_property("payload", &MsgJson(msg)))
            .and_then(|()| carried.set_property("qos", &f64::from(qos)))
            .and_then(|()| carried.set_property("retain", &false));
        if device.check(result, ErrorKind::Oversize).is_some() {
            self.publish(device, &carried);
        }
    }

    /// Lets go of what the broker has acknowledged (from the front, so the
    /// order stays), marks again for sending what a lost session took with
    /// it, and returns the next message to send, with its number.
    fn next<IO: minimq::Io>(
        &self,
        connection: &minimq::Connection<'_, '_, IO>,
    ) -> Option<(u32, Msg<N>)> {
        let mut queue = self.queue.try_lock()?;
        let entries = &mut queue.entries;
        for entry in entries.iter_mut() {
            match entry.sent {
                // Messages go to the session in the order they came (this
                // returns the first one it has not had): none after the
                // first unsent one is in flight, and the scan stops there
                // rather than walk a full outbox for every message sent.
                Sent::No => break,
                Sent::Unacknowledged(op) if connection.is_complete(&op) => {
                    entry.sent = Sent::Done;
                }
                Sent::Unacknowledged(op) if connection.is_invalidated(&op) => {
                    entry.sent = Sent::No;
                }
                Sent::Unacknowledged(_) | Sent::Done => {}
            }
        }
        while matches!(
            entries.front(),
            Some(Entry {
                sent: Sent::Done,
                ..
            })
        ) {
            entries.pop_front();
        }
        let entry = entries
            .iter()
            .find(|entry| matches!(entry.sent, Sent::No))?;
        Some((entry.number, entry.msg.clone()))
    }

    /// Records what became of a message, unless newer messages pushed it
    /// out meanwhile (while the session awaited the transport).
    fn mark(&self, number: u32, sent: Sent) {
        let Some(mut queue) = self.queue.try_lock() else {
            return;
        };
        if let Some(entry) = queue
            .entries
            .iter_mut()
            .find(|entry| entry.number == number)
        {
            entry.sent = sent;
        }
    }
}

/// Reads the message a wire between devices carried (its JSON payload) and
/// hands it to `deliver`; a payload that is not a message is counted.
pub fn receive_msg<const N: usize>(
    device: &Device,
    carried: &Msg<N>,
    deliver: impl FnOnce(&mut Msg<N>),
) {
    let Some(ValueRef::Bytes(json)) = carried.payload() else {
        device.report(ErrorKind::BadValue);
        return;
    };
    match Msg::<N>::from_json(json) {
        Ok(mut msg) => deliver(&mut msg),
        Err(crate::JsonError::TooBig) => device.report(ErrorKind::Oversize),
        Err(_) => device.report(ErrorKind::BadValue),
    }
}

/// A whole message as its JSON text, encoded as bytes.
struct MsgJson<'a, const N: usize>(&'a Msg<N>);

impl<const N: usize> crate::encoding::Encode for MsgJson<'_, N> {
    fn encoded_len(&self) -> usize {
        let mut counter = crate::text::Counter(0);
        let _ = self.0.write_json(&mut counter);
        1 + crate::encoding::LENGTH + counter.0
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        crate::text::encode_written(crate::encoding::BYTES, out, |writer| {
            self.0.write_json(writer)
        })
    }
}

/// Makes a carried message: what an inbound publish or a cross-device
/// wire brings into the device.
pub fn carried<const N: usize>(
    topic: &str,
    payload: &[u8],
    qos: u8,
    retain: bool,
) -> Result<Msg<N>, crate::MsgError> {
    let mut msg = Msg::new();
    msg.set_property("topic", &Str(topic))?;
    msg.set_property("payload", &Bytes(payload))?;
    msg.set_property("qos", &f64::from(qos))?;
    msg.set_property("retain", &retain)?;
    Ok(msg)
}

/// Adds where a request asks to be answered (MQTT 5's response topic, as
/// `msg.responseTopic`, and its correlation data, as the Buffer
/// `msg.correlationData`, which Node-RED's `mqtt in` sets too), when it
/// asks: what a device's controls answer (`control.rs`).
fn with_response_target<const N: usize>(
    mut message: Msg<N>,
    inbound: &minimq::InboundPublish<'_>,
) -> Result<Msg<N>, crate::MsgError> {
    if let Some(topic) = inbound.response_topic() {
        message.set_property("responseTopic", &Str(topic))?;
        if let Some(data) = inbound.correlation_data() {
            message.set_property("correlationData", &Bytes(data))?;
        }
    }
    Ok(message)
}

/// The waits between attempts to reach the broker: doubling from 100 ms to
/// 10 s, each with up to a quarter more at random, so that devices that
/// lost the broker together do not all come back at the same instant.
struct Backoff {
    next_ms: u64,
    random: u32,
}

impl Backoff {
    const FIRST_MS: u64 = 100;
    const LAST_MS: u64 = 10_000;

    fn new(seed: &str) -> Self {
        // FNV-1a of the client id: distinct devices draw distinct jitter.
        let random = seed.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        Self {
            next_ms: Self::FIRST_MS,
            random: random | 1,
        }
    }

    fn reset(&mut self) {
        self.next_ms = Self::FIRST_MS;
    }

    fn next(&mut self) -> Duration {
        // xorshift32: enough randomness for jitter, no allocation, no state
        // beyond one word.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 17;
        self.random ^= self.random << 5;
        let jitter = u64::from(self.random) % (self.next_ms / 4 + 1);
        let wait = self.next_ms + jitter;
        self.next_ms = (self.next_ms * 2).min(Self::LAST_MS);
        Duration::from_millis(wait)
    }
}

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        _ => QoS::AtLeastOnce,
    }
}

/// The most a packet may take beyond the message itself: fixed header,
/// topic, properties.
const PACKET_OVERHEAD: usize = 512;

/// The session's receive buffer: one inbound packet.
const RX_BUFFER: usize = 2048;

/// The session's send buffer, which also keeps QoS 1 messages until the
/// broker acknowledges them, for replay after a reconnection.
const TX_BUFFER: usize = 4096;

/// Runs the device's MQTT session for ever. Buffers live in this future,
/// which the board keeps in a static task.
pub async fn run<const N: usize, const CAP: usize, T: Transport>(
    device: &'static Device,
    broker: &'static Broker,
    subscriptions: &'static [Subscription<N>],
    outbox: &'static Outbox<N, CAP>,
    mut transport: T,
) {
    ACTIVE.store(true, Ordering::Release);
    let mut rx = [0u8; RX_BUFFER];
    let mut tx = [0u8; TX_BUFFER];
    // Copied out, so the transport stays free to connect later.
    let mut user = heapless::String::<CREDENTIAL_LENGTH>::new();
    let mut password = heapless::Vec::<u8, CREDENTIAL_LENGTH>::new();
    let has_credentials = match transport.credentials() {
        Some((name, secret)) => {
            user.push_str(name).is_ok() && password.extend_from_slice(secret).is_ok()
        }
        None => false,
    };
    let Ok(config) = ConfigBuilder::new(Buffers::new(&mut rx, &mut tx))
        .client_id(broker.client_id)
        .map(|config| {
            config
                .keepalive_interval(broker.keepalive_s)
                .session_expiry_interval(broker.session_expiry_s)
                .autodowngrade_qos()
        })
        .and_then(|config| {
            if has_credentials {
                config.auth(&user, &password)
            } else {
                Ok(config)
            }
        })
        .and_then(|config| {
            let will = match &broker.will {
                Some(will) => Will::new(will.topic, will.payload, &[]).map(|new| {
                    let new = new.qos(qos(will.qos));
                    if will.retain {
                        new.retained()
                    } else {
                        new
                    }
                })?,
                None => Will::new(broker.status_topic, b"offline", &[])
                    .map(|will| will.retained().qos(QoS::AtLeastOnce))?,
            };
            config.will(will)
        })
    else {
        device.report_uncaught(ErrorKind::Mqtt);
        return;
    };
    if N + PACKET_OVERHEAD > RX_BUFFER {
        // A message this device may hold would not fit in a packet.
        device.report_uncaught(ErrorKind::Mqtt);
    }
    let mut session = Session::new(config);
    let mut backoff = Backoff::new(broker.client_id);
    loop {
        broker.tell(SessionState::Connecting);
        let mut io = match select(transport.connect(), GOODBYE.wait()).await {
            Either::First(Some(io)) => {
                BrokerStream::new(io, broker.clean_start, broker.keepalive_s)
            }
            Either::First(None) => {
                if pause(backoff.next()).await.is_break() {
                    break;
                }
                continue;
            }
            Either::Second(()) => break,
        };
        // The session borrows the stream, so that the transport gets it
        // back however the session ends, a failed handshake too: a UART
        // is the same stream for every session.
        let handshake = select(
            embassy_time::with_timeout(HANDSHAKE_TIMEOUT, session.connect(&mut io)),
            GOODBYE.wait(),
        )
        .await;
        let mut connection = match handshake {
            Either::First(Ok(Ok(connection))) => connection,
            Either::First(_) => {
                // No CONNACK (a broker that does not answer, or bytes lost
                // on a link that was down): try again after the pause.
                device.report_uncaught(ErrorKind::Mqtt);
                transport.release(io.into_inner());
                if pause(backoff.next()).await.is_break() {
                    break;
                }
                continue;
            }
            Either::Second(()) => {
                transport.release(io.into_inner());
                break;
            }
        };
        backoff.reset();
        broker.tell(SessionState::Connected);
        let said_goodbye = serve(device, broker, subscriptions, outbox, &mut connection)
            .await
            .is_ok();
        if !said_goodbye {
            device.report_uncaught(ErrorKind::Mqtt);
            broker.tell(SessionState::Disconnected);
        }
        let mut io = io.into_inner();
        if said_goodbye {
            // Read what the broker still sends until it closes: a socket
            // closed with unread bytes resets the connection, and the
            // broker may then lose the DISCONNECT and publish the will.
            let _ = embassy_time::with_timeout(GOODBYE_DRAIN, drain(&mut io)).await;
            transport.release(io);
            break;
        }
        transport.release(io);
        if pause(backoff.next()).await.is_break() {
            break;
        }
    }
    ACTIVE.store(false, Ordering::Release);
    GONE.signal(());
}

/// How long the device waits for the broker's CONNACK after its CONNECT.
/// A broker answers at once; without a limit, a CONNECT lost on a link that
/// cannot tell it is down (a UART bridged to the broker) would wait for
/// ever, and the device would never try again.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a device that said goodbye waits for the broker to close.
const GOODBYE_DRAIN: Duration = Duration::from_millis(500);

/// Reads and drops what arrives until the stream ends or fails.
async fn drain(io: &mut impl embedded_io_async::Read) {
    let mut scrap = [0u8; 64];
    while matches!(io.read(&mut scrap).await, Ok(n) if n > 0) {}
}

/// Waits before the next attempt to connect, unless the device says
/// goodbye meanwhile.
async fn pause(wait: Duration) -> core::ops::ControlFlow<()> {
    match select(Timer::after(wait), GOODBYE.wait()).await {
        Either::First(()) => core::ops::ControlFlow::Continue(()),
        Either::Second(()) => core::ops::ControlFlow::Break(()),
    }
}

/// How many topic filters one SUBSCRIBE carries at most.
const FILTERS_PER_SUBSCRIBE: usize = 8;

/// One connected session: subscribe, announce, then deliver what arrives
/// and publish what waits, until the connection fails (`Err`) or the
/// device says goodbye (`Ok`).
async fn serve<const N: usize, const CAP: usize, IO: minimq::Io>(
    device: &Device,
    broker: &Broker,
    subscriptions: &[Subscription<N>],
    outbox: &Outbox<N, CAP>,
    connection: &mut minimq::Connection<'_, '_, IO>,
) -> Result<(), ()> {
    // Several filters a SUBSCRIBE: each SUBSCRIBE holds one of minimq's
    // eight places for packets awaiting an answer until its SUBACK is
    // read, which happens only once the session is served, so a device
    // with more than eight filters could not subscribe one by one.
    for chunk in subscriptions.chunks(FILTERS_PER_SUBSCRIBE) {
        let mut filters = heapless::Vec::<TopicFilter<'_>, FILTERS_PER_SUBSCRIBE>::new();
        for subscription in chunk {
            // "No local": what the device publishes reaches its own subscribers
            // by direct wires, so the broker must not bring it back a second time.
            let options = minimq::SubscriptionOptions::default()
                .maximum_qos(qos(subscription.qos))
                .ignore_local_messages();
            let filter = TopicFilter::new(subscription.filter).options(options);
            filters.push(filter).map_err(|_| ())?;
        }
        connection.subscribe(&filters, &[]).await.map_err(|_| ())?;
    }
    let online = minimq::Publication::new(broker.status_topic, &b"online"[..])
        .qos(QoS::AtLeastOnce)
        .retain();
    connection.publish(online).await.map_err(|_| ())?;
    if let Some(birth) = &broker.birth {
        connection
            .publish(birth.publication())
            .await
            .map_err(|_| ())?;
    }
    loop {
        flush(device, outbox, connection).await?;
        match select3(connection.poll(), outbox.ready.wait(), GOODBYE.wait()).await {
            Either3::Third(()) => {
                // What waits in the outbox goes first; the broker handles
                // the packets in order, so all are through before the
                // DISCONNECT.
                flush(device, outbox, connection).await?;
                if let Some(close) = &broker.close {
                    connection
                        .publish(close.publication())
                        .await
                        .map_err(|_| ())?;
                }
                let offline = minimq::Publication::new(broker.status_topic, &b"offline"[..])
                    .qos(QoS::AtLeastOnce)
                    .retain();
                connection.publish(offline).await.map_err(|_| ())?;
                connection.disconnect().await.map_err(|_| ())?;
                return Ok(());
            }
            Either3::First(Ok(Some(inbound))) => {
                let retain = inbound.retained();
                let level = match inbound.qos() {
                    QoS::AtMostOnce => 0,
                    QoS::AtLeastOnce => 1,
                    QoS::ExactlyOnce => 2,
                };
                let message = carried::<N>(inbound.topic(), inbound.payload(), level, retain)
                    .and_then(|message| with_response_target(message, &inbound));
                match message {
                    Ok(message) => deliver(subscriptions, message),
                    Err(_) => device.report(ErrorKind::Oversize),
                }
            }
            Either3::First(Ok(None)) | Either3::Second(()) => {}
            Either3::First(Err(_)) => return Err(()),
        }
    }
}

/// Hands a carried message to every subscription whose filter matches it.
fn deliver<const N: usize>(subscriptions: &[Subscription<N>], mut message: Msg<N>) {
    let Some(ValueRef::Str(topic)) = message.topic() else {
        return;
    };
    // Each filter is matched once: from the end to the last that matches,
    // which gets the message itself, then from the start, whose matches
    // get copies.
    let Some(last) = subscriptions
        .iter()
        .rposition(|subscription| crate::topic::matches(subscription.filter, topic))
    else {
        return;
    };
    let (earlier, rest) = subscriptions.split_at(last);
    for subscription in earlier {
        if crate::topic::matches(subscription.filter, topic) {
            (subscription.deliver)(&mut message.clone());
        }
    }
    if let Some(subscription) = rest.first() {
        (subscription.deliver)(&mut message);
    }
}

/// What a carried message says of its publication, read in one pass over
/// its properties (a message holds each name once: its JSON reader keeps
/// the last of a repeated key, and setting a property replaces it).
struct Carried<'a> {
    topic: &'a str,
    payload: &'a [u8],
    qos: u8,
    retain: bool,
    correlation_data: Option<&'a [u8]>,
}

impl<'a> Carried<'a> {
    /// `None` for a message with no text topic or no bytes payload.
    fn read<const N: usize>(message: &'a Msg<N>) -> Option<Self> {
        let (mut topic, mut payload) = (None, None);
        let mut carried = Carried {
            topic: "",
            payload: &[],
            qos: 0,
            retain: false,
            correlation_data: None,
        };
        for (name, value) in message.properties().iter() {
            match name {
                "topic" => topic = Some(value),
                "payload" => payload = Some(value),
                "qos" => carried.qos = u8::from(matches!(value, ValueRef::Number(n) if n >= 1.0)),
                "retain" => carried.retain = matches!(value, ValueRef::Bool(true)),
                "correlationData" => {
                    carried.correlation_data = match value {
                        ValueRef::Bytes(data) => Some(data),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        let (Some(ValueRef::Str(topic)), Some(ValueRef::Bytes(payload))) = (topic, payload) else {
            return None;
        };
        carried.topic = topic;
        carried.payload = payload;
        Some(carried)
    }
}

/// Publishes what waits in the outbox, as far as the session lets it.
async fn flush<const N: usize, const CAP: usize, IO: minimq::Io>(
    device: &Device,
    outbox: &Outbox<N, CAP>,
    connection: &mut minimq::Connection<'_, '_, IO>,
) -> Result<(), ()> {
    while let Some((place, message)) = outbox.next(connection) {
        let Some(carried) = Carried::read(&message) else {
            device.report(ErrorKind::BadValue);
            outbox.mark(place, Sent::Done);
            continue;
        };
        let mut publication =
            minimq::Publication::new(carried.topic, carried.payload).qos(qos(carried.qos));
        if carried.retain {
            publication = publication.retain();
        }
        if let Some(data) = carried.correlation_data {
            publication = publication.correlate(data);
        }
        match connection.publish(publication).await {
            Ok(Some(op)) => outbox.mark(place, Sent::Unacknowledged(op)),
            Ok(None) => outbox.mark(place, Sent::Done),
            // The session's window for QoS 1 is full, or its buffer holds
            // messages the broker has yet to acknowledge: try again after
            // it has made progress.
            Err(minimq::PubError::Session(
                minimq::Error::NotReady
                | minimq::Error::Resource(minimq::ResourceError::InflightExhausted),
            )) => return Ok(()),
            Err(minimq::PubError::Session(minimq::Error::Resource(
                minimq::ResourceError::BufferTooSmall,
            ))) if !connection.session().is_publish_quiescent() => return Ok(()),
            Err(minimq::PubError::Session(
                minimq::Error::Disconnected | minimq::Error::Transport(_),
            )) => return Err(()),
            Err(_) => {
                device.report_uncaught(ErrorKind::Mqtt);
                outbox.mark(place, Sent::Done);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::sync::Mutex;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn a_carried_message_is_read_in_one_pass() {
        let json = br#"{"topic":"a","payload":"x","qos":1,"retain":true,"topic":"b"}"#;
        let mut message = Msg::<256>::from_json(json).unwrap();
        message.set_property("payload", &Bytes(b"body")).unwrap();
        message
            .set_property("correlationData", &Bytes(b"id"))
            .unwrap();
        let read = Carried::read(&message).expect("a topic and a payload");
        assert_eq!(read.topic, "b");
        assert_eq!(read.payload, b"body");
        assert_eq!((read.qos, read.retain), (1, true));
        assert_eq!(read.correlation_data, Some(&b"id"[..]));

        let plain = carried::<256>("t", b"p", 0, false).unwrap();
        let read = Carried::read(&plain).expect("a topic and a payload");
        assert_eq!((read.qos, read.retain), (0, false));
        assert_eq!(read.correlation_data, None);
        // A payload that is text, not bytes, is not a carried message.
        let text = Msg::<256>::from_json(br#"{"topic":"t","payload":"p"}"#).unwrap();
        assert!(Carried::read(&text).is_none());
    }

    static DELIVERED: Mutex<Vec<(usize, std::string::String)>> = Mutex::new(Vec::new());

    fn record(which: usize, msg: &mut Msg<256>) {
        DELIVERED.lock().unwrap().push((which, format!("{msg:?}")));
        // What one subscriber does to its message, the next does not see.
        msg.set_property("seen", &true).unwrap();
    }

    #[test]
    fn each_matching_subscription_gets_the_message_as_it_came() {
        let subscriptions = [
            Subscription::<256> {
                filter: "a/+",
                qos: 1,
                deliver: |msg| record(0, msg),
            },
            Subscription {
                filter: "b/#",
                qos: 1,
                deliver: |msg| record(1, msg),
            },
            Subscription {
                filter: "a/#",
                qos: 1,
                deliver: |msg| record(2, msg),
            },
            Subscription {
                filter: "c",
                qos: 1,
                deliver: |msg| record(3, msg),
            },
        ];
        deliver(&subscriptions, carried("a/x", b"1", 1, false).unwrap());
        deliver(&subscriptions, carried("d", b"2", 1, false).unwrap());
        let delivered = core::mem::take(&mut *DELIVERED.lock().unwrap());
        let came = format!("{:?}", carried::<256>("a/x", b"1", 1, false).unwrap());
        assert_eq!(delivered, [(0, came.clone()), (2, came)]);
    }
}
