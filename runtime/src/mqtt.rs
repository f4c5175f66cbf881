//! The device's MQTT 5 client, on minimq: one session to the broker, kept
//! up by reconnecting with backoff and jitter, subscriptions renewed on
//! every connection, a retained `online` status with a last will of
//! `offline`, and a bounded outbox for what the device publishes.
//!
//! Inside the device, a message that MQTT carries is a *carried* message:
//! `topic`, `payload` (the bytes on the wire), `qos` and `retain` — the
//! shape `mqtt out` produces and `mqtt in` reads. The client delivers each
//! inbound publish as one to the subscription whose filter matches, and
//! publishes each carried message put in the outbox.

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Timer};
use minimq::{Buffers, ConfigBuilder, QoS, Session, TopicFilter, Will};

use crate::encoding::{Bytes, Str};
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg};

/// How the device reaches its broker, and who it is there.
pub struct Broker {
    pub client_id: &'static str,
    pub keepalive_s: u16,
    /// Where the device's `online` / `offline` status is retained.
    pub status_topic: &'static str,
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
    async fn connect(&mut self) -> Option<Self::Io>;

    /// Takes back a stream after its session ended, for transports (a UART)
    /// that cannot make a new one.
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

/// Carried messages waiting to be published. When it is full, the oldest
/// waiting message is dropped for the new one and counted as
/// [`ErrorKind::OutboxFull`]: fresh readings matter more than old ones.
pub struct Outbox<const N: usize, const CAP: usize> {
    queue: spin::Mutex<heapless::Deque<Msg<N>, CAP>>,
    ready: Signal<CriticalSectionRawMutex, ()>,
}

impl<const N: usize, const CAP: usize> Default for Outbox<N, CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const CAP: usize> Outbox<N, CAP> {
    pub const fn new() -> Self {
        Self {
            queue: spin::Mutex::new(heapless::Deque::new()),
            ready: Signal::new(),
        }
    }

    /// Queues a copy of a carried message for the broker.
    pub fn publish(&self, device: &Device, carried: &Msg<N>) {
        let Some(mut queue) = self.queue.try_lock() else {
            device.report(ErrorKind::OutboxFull);
            return;
        };
        if queue.is_full() {
            queue.pop_front();
            device.report(ErrorKind::OutboxFull);
        }
        if queue.push_back(carried.clone()).is_err() {
            device.report(ErrorKind::OutboxFull);
        }
        drop(queue);
        self.ready.signal(());
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

    fn front(&self) -> Option<Msg<N>> {
        self.queue.try_lock()?.front().cloned()
    }

    fn pop(&self) {
        if let Some(mut queue) = self.queue.try_lock() {
            queue.pop_front();
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
        let len = self.encoded_len() - 1 - crate::encoding::LENGTH;
        crate::text::encode_written(crate::encoding::BYTES, len, out, |writer| {
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
            config.will(
                Will::new(broker.status_topic, b"offline", &[])
                    .map(|will| will.retained().qos(QoS::AtLeastOnce))?,
            )
        })
    else {
        device.report(ErrorKind::Mqtt);
        return;
    };
    if N + PACKET_OVERHEAD > RX_BUFFER {
        // A message this device may hold would not fit in a packet.
        device.report(ErrorKind::Mqtt);
    }
    let mut session = Session::new(config);
    let mut backoff = Backoff::new(broker.client_id);
    loop {
        let Some(io) = transport.connect().await else {
            Timer::after(backoff.next()).await;
            continue;
        };
        let mut connection = match session.connect(io).await {
            Ok(connection) => connection,
            Err(_) => {
                device.report(ErrorKind::Mqtt);
                Timer::after(backoff.next()).await;
                continue;
            }
        };
        backoff.reset();
        if serve(device, broker, subscriptions, outbox, &mut connection)
            .await
            .is_err()
        {
            device.report(ErrorKind::Mqtt);
        }
        transport.release(connection.into_inner());
        Timer::after(backoff.next()).await;
    }
}

/// One connected session: subscribe, announce, then deliver what arrives
/// and publish what waits, until the connection fails.
async fn serve<const N: usize, const CAP: usize, IO: minimq::Io>(
    device: &Device,
    broker: &Broker,
    subscriptions: &[Subscription<N>],
    outbox: &Outbox<N, CAP>,
    connection: &mut minimq::Connection<'_, '_, IO>,
) -> Result<(), ()> {
    for subscription in subscriptions {
        // "No local": what the device publishes reaches its own subscribers
        // by direct wires, so the broker must not bring it back a second time.
        let options = minimq::SubscriptionOptions::default()
            .maximum_qos(qos(subscription.qos))
            .ignore_local_messages();
        let filter = TopicFilter::new(subscription.filter).options(options);
        connection.subscribe(&[filter], &[]).await.map_err(|_| ())?;
    }
    let online = minimq::Publication::new(broker.status_topic, &b"online"[..])
        .qos(QoS::AtLeastOnce)
        .retain();
    connection.publish(online).await.map_err(|_| ())?;
    loop {
        flush(device, outbox, connection).await?;
        match select(connection.poll(), outbox.ready.wait()).await {
            Either::First(Ok(Some(inbound))) => {
                let retain = inbound.retained();
                let level = match inbound.qos() {
                    QoS::AtMostOnce => 0,
                    QoS::AtLeastOnce => 1,
                    QoS::ExactlyOnce => 2,
                };
                match carried::<N>(inbound.topic(), inbound.payload(), level, retain) {
                    Ok(message) => deliver(subscriptions, message),
                    Err(_) => device.report(ErrorKind::Oversize),
                }
            }
            Either::First(Ok(None)) | Either::Second(()) => {}
            Either::First(Err(_)) => return Err(()),
        }
    }
}

/// Hands a carried message to every subscription whose filter matches it.
fn deliver<const N: usize>(subscriptions: &[Subscription<N>], message: Msg<N>) {
    let Some(ValueRef::Str(topic)) = message.topic() else {
        return;
    };
    for subscription in subscriptions {
        if crate::topic::matches(subscription.filter, topic) {
            (subscription.deliver)(&mut message.clone());
        }
    }
}

/// Publishes what waits in the outbox, as far as the session lets it.
async fn flush<const N: usize, const CAP: usize, IO: minimq::Io>(
    device: &Device,
    outbox: &Outbox<N, CAP>,
    connection: &mut minimq::Connection<'_, '_, IO>,
) -> Result<(), ()> {
    while let Some(message) = outbox.front() {
        let (Some(ValueRef::Str(topic)), Some(ValueRef::Bytes(payload))) =
            (message.topic(), message.payload())
        else {
            device.report(ErrorKind::BadValue);
            outbox.pop();
            continue;
        };
        let level = match message.property("qos") {
            Some(ValueRef::Number(n)) if n >= 1.0 => 1,
            _ => 0,
        };
        let mut publication = minimq::Publication::new(topic, payload).qos(qos(level));
        if matches!(message.property("retain"), Some(ValueRef::Bool(true))) {
            publication = publication.retain();
        }
        match connection.publish(publication).await {
            Ok(_) => outbox.pop(),
            // The session's window for QoS 1 is full: try again after it
            // has made progress.
            Err(minimq::PubError::Session(minimq::Error::NotReady)) => return Ok(()),
            Err(minimq::PubError::Session(
                minimq::Error::Disconnected | minimq::Error::Transport(_),
            )) => return Err(()),
            Err(_) => {
                device.report(ErrorKind::Mqtt);
                outbox.pop();
            }
        }
    }
    Ok(())
}
