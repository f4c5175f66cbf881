//! The `host` board's reactor: one epoll instance that the executor's own
//! thread sleeps in, until a socket it waits on is ready, the next timer
//! falls due (`time_driver.rs`) or another thread wakes a task.
//!
//! `async-io`, which the board used before, always starts a thread of its
//! own that competes for the epoll instance: whenever the executor ran its
//! tasks, that thread took the epoll wait, and each message that arrived
//! then woke the executor's thread with a futex, across threads. Here no
//! other thread exists (signals come in through a socket the reactor
//! watches, `host/mod.rs`).
//!
//! What a message costs is the system calls it makes, so the reactor makes
//! as few as it can:
//!
//! - A socket is registered once, edge-triggered: a read or write is tried
//!   at once, and only when it would block does the task leave its waker,
//!   which the next edge wakes. A task polled again with no edge since it
//!   blocked does not try again (a task woken by another task would
//!   otherwise ask the socket once more for nothing), and neither does a
//!   read after one that got less than it asked for, which emptied the
//!   socket.
//! - Writability is watched only while a write waits for room (or a
//!   connection for its handshake): otherwise every acknowledgement the
//!   peer sends would wake the thread for nothing.
//! - Writes are corked: what a task writes, and flushes, waits in the
//!   socket's buffer until the executor has polled every task that was
//!   ready (`send_corked`), and then goes out in one `send`. An MQTT
//!   session flushes after each packet; with a message in, its PUBACK and
//!   the message out written in the same round, that is one `send`
//!   instead of two, and under load one for a whole batch. Nothing waits
//!   longer than that round: the thread never sleeps with bytes corked
//!   but the socket's own buffer full, and then epoll wakes it when there
//!   is room.
//! - A round that finds a task ready again does not sleep, and so does not
//!   ask epoll either; every 16th such round in a row asks it without
//!   waiting, so tasks that keep waking each other cannot starve the
//!   sockets.
//! - Input that comes in a burst gathers before it is read, as network
//!   cards and Linux's NAPI moderate their interrupts: once `BURST_ROUNDS`
//!   (4) waits in a row were each ended by a socket's input within
//!   `BURST_GAP` (250 µs) and followed by a round that writes (an answer:
//!   a PUBACK, a message on), the thread sleeps `GATHER` (200 µs, less
//!   when a timer falls due sooner) before each wait, so that the wait
//!   finds several messages at once, read with one `recv` and answered
//!   with one `send`. The first wait that is not ended that soon by input
//!   ends the burst. It is a plain sleep, not a spin, so it costs no CPU;
//!   out of a burst nothing waits: a message that comes alone (the
//!   bench's latency rounds, one a millisecond) is answered at once, and
//!   so are the broker's PUBACK of the answer soon after (which asks for
//!   nothing) and two or three messages that a stall of the sender
//!   bunched together. Only what arrives during a gather waits, at most
//!   `GATHER` (with Linux's default timer slack of 50 µs, about 250 to
//!   300 µs in practice), and a task that another thread wakes meanwhile
//!   runs once it ends. Without it the MQTT bench's echo device woke
//!   about once a message under a burst, being faster than the broker
//!   forwards: each message cost a wait that slept (the task switch back
//!   in about 18% of the device's CPU time, the wait 25%), a `send` that
//!   also runs the broker's side of loopback TCP (34%), and a `recv`, 2.3
//!   to 3.3 system calls a message in all (`perf stat`, bursts of 20,000
//!   messages); with it, 1.05 to 1.14, about 3 messages a wake-up
//!   (minimq lets the broker have at most 8 in flight to it), and the
//!   device's CPU time a message went from 18–22 µs to 13–20 µs,
//!   in turns on the same, loaded, machine (README, Benchmarks).
//!
//! So a message costs its `recv` and one `send` and, when the device is
//! idle, one `epoll_wait`, and in a burst a share of them; no `epoll_ctl`
//! per message. Linux only, as the `host` board is.
//!
//! The epoll instance and eventfd are `rustix`'s, not `polling`'s, though
//! `polling` (smol-rs) does the same with no thread of its own: its wait
//! (3.11) arms a timerfd for the timeout, re-arms that timerfd and its
//! eventfd, both one-shot, with an `epoll_ctl` each, and reads the
//! eventfd, five system calls a wait where this one makes one. On the
//! reactor ported to it, the MQTT benchmark's device echoing 1000 messages
//! one every 1.5 ms made 15 system calls a message instead of 7 and took
//! 83 µs of CPU a message instead of 62 to 71; the 1000 all at once, 7 to
//! 9 system calls a message instead of 4 to 5.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;
use std::vec::Vec;

use rustix::event::epoll;
use rustix::event::{eventfd, EventfdFlags, Timespec};

/// The key of the eventfd through which other threads end the sleep.
const NOTIFY_KEY: u64 = u64::MAX;

/// At most this many events are taken from one `epoll_wait`.
const EVENTS: usize = 64;

/// What a socket's cork holds at most before a write sends it at once.
const CORK: usize = 16 * 1024;

/// The longest one `epoll_wait`: a day, well within its `int` of
/// milliseconds.
const LONGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// While tasks stay ready, the sockets are looked at every this many
/// rounds, so that tasks that keep waking each other cannot starve them.
const BUSY_ROUNDS: u32 = 16;

/// A wait that a socket's input ends within this long is a sign of a
/// burst: out of one (the MQTT bench's latency rounds send a message a
/// millisecond) the next message takes longer.
const BURST_GAP: std::time::Duration = std::time::Duration::from_micros(250);

/// How long input gathers, in a burst, before the sockets are looked at
/// again: the most a message that arrives meanwhile waits for it.
const GATHER: std::time::Duration = std::time::Duration::from_micros(200);

/// A burst is this many inputs in a row that came soon and were answered:
/// two or three that come together after a stall are not one.
const BURST_ROUNDS: u32 = 4;

const READ: usize = 0;
const WRITE: usize = 1;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One direction of a source: the task waiting on it, how many edges have
/// come, and at which count the last attempt blocked.
#[derive(Default)]
struct Direction {
    waker: Option<Waker>,
    edges: u64,
    blocked_at: Option<u64>,
}

/// A registered file descriptor as the reactor sees it, whatever it is.
trait Registered: Send + Sync {
    /// An edge came in `direction`.
    fn edge(&self, direction: usize);
    /// Sends what waits in the cork, as far as the socket takes it.
    fn send_corked(&self);
}

/// What a registered socket shares with the reactor.
struct Shared<T> {
    io: T,
    key: u64,
    directions: Mutex<[Direction; 2]>,
    out: Mutex<Cork>,
}

/// Bytes written and not yet sent, and how the last send went.
#[derive(Default)]
struct Cork {
    bytes: Vec<u8>,
    /// Waiting in the reactor's list of corks to send.
    listed: bool,
    /// Writability is watched (the socket's buffer was full).
    watching_writes: bool,
    /// A send failed: the next write or flush says so.
    failed: Option<io::ErrorKind>,
}

/// Interest in reading always; in writing only when asked.
fn interest(writes: bool) -> epoll::EventFlags {
    let mut flags = epoll::EventFlags::IN | epoll::EventFlags::RDHUP | epoll::EventFlags::ET;
    if writes {
        flags |= epoll::EventFlags::OUT;
    }
    flags
}

impl<T: AsFd + Send + Sync> Shared<T>
where
    for<'a> &'a T: Read + Write,
{
    /// Tries `attempt` until it does not block; when it does, leaves the
    /// task's waker for the next edge in `direction`. An attempt that
    /// `drained` the socket counts as blocked for the next one.
    fn poll_io<R>(
        &self,
        context: &mut Context<'_>,
        direction: usize,
        mut attempt: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let edges_before = {
                let mut directions = lock(&self.directions);
                let Some(waiting) = directions.get_mut(direction) else {
                    return Poll::Ready(Err(io::ErrorKind::InvalidInput.into()));
                };
                if waiting.blocked_at == Some(waiting.edges) {
                    // Nothing came since the last attempt blocked.
                    waiting.waker = Some(context.waker().clone());
                    return Poll::Pending;
                }
                waiting.edges
            };
            match attempt() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                done => {
                    let blocked = matches!(&done, Ok(result) if drained(result));
                    if let Some(waiting) = lock(&self.directions).get_mut(direction) {
                        waiting.blocked_at = blocked.then_some(edges_before);
                    }
                    return Poll::Ready(done);
                }
            }
            let mut directions = lock(&self.directions);
            let Some(waiting) = directions.get_mut(direction) else {
                return Poll::Ready(Err(io::ErrorKind::InvalidInput.into()));
            };
            if waiting.edges != edges_before {
                // Ready again since the attempt began: try once more.
                continue;
            }
            waiting.blocked_at = Some(edges_before);
            waiting.waker = Some(context.waker().clone());
            return Poll::Pending;
        }
    }

    /// Watches writability, or stops.
    fn watch_writes(&self, cork: &mut Cork, watch: bool) {
        if cork.watching_writes != watch {
            if let Some(reactor) = reactor() {
                let _ = epoll::modify(
                    &reactor.epoll,
                    self.io.as_fd(),
                    epoll::EventData::new_u64(self.key),
                    interest(watch),
                );
            }
            cork.watching_writes = watch;
        }
    }

    /// Sends the cork's bytes until they are out or the socket is full.
    fn send(&self, cork: &mut Cork) -> io::Result<()> {
        while !cork.bytes.is_empty() {
            let mut io = &self.io;
            match io.write(&cork.bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(sent) => {
                    cork.bytes.drain(..sent.min(cork.bytes.len()));
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Sends the cork now, for a write that finds it full: `Pending`,
    /// with writability watched, while the socket has no room.
    fn poll_send(&self, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_io(
            context,
            WRITE,
            || {
                let mut cork = lock(&self.out);
                if let Some(kind) = cork.failed {
                    return Err(kind.into());
                }
                let sent = self.send(&mut cork);
                let blocked =
                    matches!(&sent, Err(error) if error.kind() == io::ErrorKind::WouldBlock);
                self.watch_writes(&mut cork, blocked);
                sent
            },
            |_| false,
        )
    }

    fn poll_write(&self, context: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            {
                let mut cork = lock(&self.out);
                if let Some(kind) = cork.failed {
                    return Poll::Ready(Err(kind.into()));
                }
                let room = CORK.saturating_sub(cork.bytes.len());
                if room > 0 {
                    let taken = buf.get(..room.min(buf.len())).unwrap_or(buf);
                    cork.bytes.extend_from_slice(taken);
                    if !cork.listed {
                        cork.listed = true;
                        if let Some(reactor) = reactor() {
                            lock(&reactor.corked).push(self.key);
                        }
                    }
                    return Poll::Ready(Ok(taken.len()));
                }
            }
            match self.poll_send(context) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn poll_flush(&self) -> Poll<io::Result<()>> {
        // The cork goes out at the end of the executor's round.
        match lock(&self.out).failed {
            Some(kind) => Poll::Ready(Err(kind.into())),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl<T: AsFd + Send + Sync> Registered for Shared<T>
where
    for<'a> &'a T: Read + Write,
{
    fn edge(&self, direction: usize) {
        let waker = lock(&self.directions)
            .get_mut(direction)
            .and_then(|waiting| {
                waiting.edges = waiting.edges.wrapping_add(1);
                waiting.waker.take()
            });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn send_corked(&self) {
        let mut cork = lock(&self.out);
        cork.listed = false;
        if cork.failed.is_some() {
            cork.bytes.clear();
            return;
        }
        match self.send(&mut cork) {
            Ok(()) => {
                let waited = cork.watching_writes;
                self.watch_writes(&mut cork, false);
                drop(cork);
                if waited {
                    // A writer that found the cork full waits for room:
                    // this send made it, and no edge will come for it
                    // once writability is no longer watched.
                    self.edge(WRITE);
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                // Sent on when there is room: the edge ends the sleep,
                // and the next round sends the rest.
                self.watch_writes(&mut cork, true);
                cork.listed = true;
                if let Some(reactor) = reactor() {
                    lock(&reactor.corked).push(self.key);
                }
            }
            Err(error) => {
                cork.failed = Some(error.kind());
                cork.bytes.clear();
                drop(cork);
                // A writer waiting for room learns of it.
                self.edge(WRITE);
            }
        }
    }
}

/// The epoll instance, the eventfd that interrupts its wait, and the
/// registered sources by key.
struct Reactor {
    epoll: OwnedFd,
    notify: OwnedFd,
    sources: Mutex<Vec<Option<Arc<dyn Registered>>>>,
    /// Keys of the sources with bytes corked.
    corked: Mutex<Vec<u64>>,
    /// The executor's thread is in `epoll_wait`, or about to be.
    sleeping: AtomicBool,
}

impl Reactor {
    fn new() -> io::Result<Self> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let notify = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &notify,
            epoll::EventData::new_u64(NOTIFY_KEY),
            epoll::EventFlags::IN,
        )?;
        Ok(Self {
            epoll,
            notify,
            sources: Mutex::new(Vec::new()),
            corked: Mutex::new(Vec::new()),
            sleeping: AtomicBool::new(false),
        })
    }

    fn source(&self, key: u64) -> Option<Arc<dyn Registered>> {
        let index = usize::try_from(key).ok()?;
        lock(&self.sources).get(index).cloned().flatten()
    }

    /// Sends every socket's corked bytes; says whether there were any.
    /// `keys` is the executor's list, empty, which trades places with the
    /// reactor's, so that neither list is made anew each round.
    fn send_corked(&self, keys: &mut Vec<u64>) -> bool {
        core::mem::swap(keys, &mut *lock(&self.corked));
        let wrote = !keys.is_empty();
        for key in keys.drain(..) {
            if let Some(source) = self.source(key) {
                source.send_corked();
            }
        }
        wrote
    }

    /// Sleeps until an event, `deadline`, or another thread's `notify`,
    /// then wakes the tasks that waited on what became ready. When `ready`
    /// says there is work already it does not sleep, and it looks at the
    /// sockets only when `look` says so (without waiting). Says whether it
    /// looked, and whether a socket's input ended a wait soon.
    fn sleep(
        &self,
        events: &mut Vec<epoll::Event>,
        deadline: Option<Instant>,
        ready: impl Fn() -> bool,
        look: bool,
    ) -> Woken {
        self.sleeping.store(true, Ordering::SeqCst);
        let waits = !ready();
        if !waits {
            self.sleeping.store(false, Ordering::SeqCst);
            if !look {
                return Woken::NotLooked;
            }
        }
        let started = Instant::now();
        let deadline = if waits { deadline } else { Some(started) };
        let timeout = deadline.map(|deadline| {
            // A wait of 2^31 ms or more would take `epoll_pwait2`, which
            // older kernels lack: no wait is that long, the caller looks
            // again.
            let left = deadline
                .saturating_duration_since(started)
                .min(LONGEST_WAIT);
            Timespec {
                tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            }
        });
        events.clear();
        let waited = epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(events),
            timeout.as_ref(),
        );
        self.sleeping.store(false, Ordering::SeqCst);
        if waited.is_err() {
            // Interrupted by a signal: the caller looks again.
            return Woken::Looked;
        }
        let mut input = false;
        for event in events.iter() {
            let (key, flags) = (event.data.u64(), event.flags);
            if key == NOTIFY_KEY {
                let mut count = [0u8; 8];
                let _ = rustix::io::read(&self.notify, &mut count);
                continue;
            }
            let Some(source) = self.source(key) else {
                continue;
            };
            let failed = epoll::EventFlags::ERR | epoll::EventFlags::HUP;
            if flags.intersects(epoll::EventFlags::IN | epoll::EventFlags::RDHUP | failed) {
                source.edge(READ);
                input = true;
            }
            if flags.intersects(epoll::EventFlags::OUT | failed) {
                source.edge(WRITE);
            }
        }
        if waits && input && started.elapsed() < BURST_GAP {
            Woken::Soon
        } else {
            Woken::Looked
        }
    }
}

/// What one sleep of the reactor came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Woken {
    /// Tasks were ready: it neither waited nor looked at the sockets.
    NotLooked,
    /// It looked at the sockets, or waited for them and the wait ended
    /// late, at the deadline, or by a signal or another thread.
    Looked,
    /// It waited, and a socket's input ended the wait within
    /// `BURST_GAP`.
    Soon,
}

/// Whether input comes in a burst, and so gathers before the sockets are
/// looked at again (see the module's docs).
#[derive(Default)]
struct Moderation {
    /// The last wait was ended soon by a socket's input.
    woke_soon: bool,
    /// Inputs in a row that came soon and were answered, since the last
    /// wait that did not end soon on input.
    answered_soon: u32,
}

impl Moderation {
    /// At the end of a round, which wrote something or not: one that
    /// answers input that came soon counts towards a burst.
    fn round_done(&mut self, wrote: bool) {
        if wrote && core::mem::take(&mut self.woke_soon) {
            self.answered_soon = self.answered_soon.saturating_add(1);
        }
    }

    /// After a sleep of the reactor: a wait that did not end soon on input
    /// ends the burst.
    fn woken(&mut self, woken: Woken) {
        match woken {
            Woken::NotLooked => {}
            Woken::Soon => self.woke_soon = true,
            Woken::Looked => *self = Self::default(),
        }
    }

    /// How long input gathers before the reactor waits, from `now`, with
    /// the next timer due at `deadline`: nothing out of a burst.
    fn gather(
        &self,
        now: impl FnOnce() -> Instant,
        deadline: Option<Instant>,
    ) -> std::time::Duration {
        if self.answered_soon < BURST_ROUNDS {
            return std::time::Duration::ZERO;
        }
        let now = now();
        let until = now + GATHER;
        deadline
            .map_or(until, |deadline| deadline.min(until))
            .saturating_duration_since(now)
    }
}

fn reactor() -> Option<&'static Reactor> {
    static REACTOR: OnceLock<Option<Reactor>> = OnceLock::new();
    REACTOR.get_or_init(|| Reactor::new().ok()).as_ref()
}

/// Ends the executor's sleep, when it sleeps: for a task woken or a timer
/// set from another thread. On the executor's own thread it costs only a
/// look at a flag.
pub(crate) fn interrupt_sleep() {
    if let Some(reactor) = reactor() {
        if reactor.sleeping.load(Ordering::SeqCst) {
            let _ = rustix::io::write(&reactor.notify, &1u64.to_ne_bytes());
        }
    }
}

/// The executor's idle: sends what the tasks corked, then sleeps in the
/// reactor until the next timer, unless a task is ready already.
pub(crate) struct Idle {
    events: Vec<epoll::Event>,
    /// Rounds in a row that found a task ready and did not look at the
    /// sockets.
    busy: u32,
    /// Whether input gathers before the next wait.
    moderation: Moderation,
    /// The keys of the sources being sent, between rounds empty.
    sending: Vec<u64>,
}

impl Idle {
    pub(crate) fn new() -> io::Result<Self> {
        reactor().ok_or_else(|| io::Error::other("no epoll instance"))?;
        Ok(Self {
            events: Vec::with_capacity(EVENTS),
            busy: 0,
            moderation: Moderation::default(),
            sending: Vec::new(),
        })
    }

    /// At the end of a round of the executor: sends what its tasks wrote.
    pub(crate) fn send_corked(&mut self) {
        if let Some(reactor) = reactor() {
            let wrote = reactor.send_corked(&mut self.sending);
            self.moderation.round_done(wrote);
        }
    }

    /// Sleeps until an event or `deadline`, unless `ready` says a task is
    /// ready already.
    pub(crate) fn sleep(&mut self, deadline: Option<Instant>, ready: impl Fn() -> bool) {
        if let Some(reactor) = reactor() {
            if !ready() {
                let gather = self.moderation.gather(Instant::now, deadline);
                if !gather.is_zero() {
                    // Not woken by the sockets, nor by another thread: a
                    // task it wakes meanwhile finds the flag set after.
                    std::thread::sleep(gather);
                }
            }
            let woken = reactor.sleep(&mut self.events, deadline, ready, self.busy >= BUSY_ROUNDS);
            self.busy = if woken == Woken::NotLooked {
                self.busy.saturating_add(1)
            } else {
                0
            };
            self.moderation.woken(woken);
        }
    }
}

/// A non-blocking socket registered with the reactor, read and written as
/// a `futures-io` stream, its writes corked until the end of the
/// executor's round.
pub struct Async<T: AsFd + Send + Sync + 'static>
where
    for<'a> &'a T: Read + Write,
{
    shared: Arc<Shared<T>>,
}

impl<T: AsFd + Send + Sync + 'static> Async<T>
where
    for<'a> &'a T: Read + Write,
{
    /// Registers `io`, which must be in non-blocking mode already;
    /// writability is watched when `watch_writes` (a connection under way).
    fn register(io: T, watch_writes: bool) -> io::Result<Self> {
        let reactor = reactor().ok_or_else(|| io::Error::other("no epoll instance"))?;
        let mut sources = lock(&reactor.sources);
        let index = sources
            .iter()
            .position(Option::is_none)
            .unwrap_or(sources.len());
        let shared = Arc::new(Shared {
            io,
            key: index as u64,
            directions: Mutex::new(Default::default()),
            out: Mutex::new(Cork {
                watching_writes: watch_writes,
                ..Cork::default()
            }),
        });
        epoll::add(
            &reactor.epoll,
            shared.io.as_fd(),
            epoll::EventData::new_u64(shared.key),
            interest(watch_writes),
        )?;
        let registered: Arc<dyn Registered> = shared.clone();
        match sources.get_mut(index) {
            Some(slot) => *slot = Some(registered),
            None => sources.push(Some(registered)),
        }
        Ok(Self { shared })
    }

    /// Registers `io`, which must be in non-blocking mode already.
    pub fn new(io: T) -> io::Result<Self> {
        Self::register(io, false)
    }

    pub fn get_ref(&self) -> &T {
        &self.shared.io
    }
}

impl<T: AsFd + Send + Sync + 'static> Drop for Async<T>
where
    for<'a> &'a T: Read + Write,
{
    fn drop(&mut self) {
        // What is corked still goes, as far as the socket takes it now: a
        // DISCONNECT written just before the stream is dropped.
        let _ = self.shared.send(&mut lock(&self.shared.out));
        if let Some(reactor) = reactor() {
            let _ = epoll::delete(&reactor.epoll, self.shared.io.as_fd());
            let slot = usize::try_from(self.shared.key)
                .ok()
                .and_then(|index| lock(&reactor.sources).get_mut(index).map(Option::take));
            drop(slot);
        }
    }
}

impl<T: AsFd + Send + Sync + 'static> futures_lite::io::AsyncRead for Async<T>
where
    for<'a> &'a T: Read + Write,
{
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let shared = &self.shared;
        let wanted = buf.len();
        // A stream that gives less than was asked for has nothing more
        // until its next edge: the read after it need not ask.
        shared.poll_io(
            context,
            READ,
            || {
                let mut io = &shared.io;
                io.read(buf)
            },
            |read| (1..wanted).contains(read),
        )
    }
}

impl<T: AsFd + Send + Sync + 'static> futures_lite::io::AsyncWrite for Async<T>
where
    for<'a> &'a T: Read + Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.shared.poll_write(context, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.poll_flush()
    }

    fn poll_close(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing sends what is corked first, and tells of a send that
        // failed at the end of a round.
        {
            let cork = lock(&self.shared.out);
            if let Some(kind) = cork.failed {
                return Poll::Ready(Err(kind.into()));
            }
            if cork.bytes.is_empty() {
                return Poll::Ready(Ok(()));
            }
        }
        self.shared.poll_send(context)
    }
}

/// Connects a TCP stream without blocking: the connection goes on while
/// other tasks run, and the stream is writable once it stands.
pub async fn connect(address: std::net::SocketAddr) -> io::Result<Async<std::net::TcpStream>> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    match socket.connect(&address.into()) {
        Ok(()) => {}
        Err(error)
            if error.raw_os_error() == Some(rustix::io::Errno::INPROGRESS.raw_os_error()) => {}
        Err(error) => return Err(error),
    }
    let stream = Async::register(std::net::TcpStream::from(socket), true)?;
    let shared = &stream.shared;
    core::future::poll_fn(|context| {
        shared.poll_io(
            context,
            WRITE,
            || {
                if let Some(error) = shared.io.take_error()? {
                    return Err(error);
                }
                match shared.io.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(error) => Err(error),
                }
            },
            |_| false,
        )
    })
    .await?;
    // Connected: writability is watched again only when a write waits.
    shared.watch_writes(&mut lock(&shared.out), false);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use futures_lite::io::{AsyncReadExt, AsyncWriteExt};

    /// How long a test lets its tasks run before it gives up on them: what
    /// takes milliseconds, on a busy machine, and after another test's
    /// executor (one runs at a time) has let go.
    const PATIENCE: Duration = Duration::from_secs(60);

    static WRITTEN: AtomicBool = AtomicBool::new(false);
    static DRAINED: AtomicUsize = AtomicUsize::new(0);
    const TO_WRITE: usize = 4 * 1024 * 1024;

    #[embassy_executor::task]
    async fn write_much(stream: Async<UnixStream>) {
        let chunk = [7u8; 4096];
        let mut stream = stream;
        for _ in 0..TO_WRITE / chunk.len() {
            if stream.write_all(&chunk).await.is_err() {
                return;
            }
        }
        WRITTEN.store(stream.flush().await.is_ok(), Ordering::SeqCst);
    }

    /// Reads what the writer sent, on the executor's thread, between the
    /// writer's attempts: room appears in the socket within a round.
    #[embassy_executor::task]
    async fn drain(peer: UnixStream) {
        let mut buffer = [0u8; 64 * 1024];
        loop {
            embassy_time::Timer::after_millis(1).await;
            let mut peer = &peer;
            while let Ok(read) = peer.read(&mut buffer) {
                if read == 0 {
                    return;
                }
                DRAINED.fetch_add(read, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn a_writer_waiting_for_room_is_woken_when_the_rounds_send_makes_it() {
        let (ours, peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        peer.set_nonblocking(true).unwrap();
        let ours = Async::new(ours).unwrap();
        let started = Instant::now();
        crate::host::executor::run_until(
            |spawner| {
                spawner.spawn(write_much(ours).unwrap());
                spawner.spawn(drain(peer).unwrap());
            },
            || {
                (WRITTEN.load(Ordering::SeqCst) && DRAINED.load(Ordering::SeqCst) == TO_WRITE)
                    || started.elapsed() > PATIENCE
            },
        );
        assert!(WRITTEN.load(Ordering::SeqCst), "the writer was never woken");
        assert_eq!(DRAINED.load(Ordering::SeqCst), TO_WRITE);
    }

    /// The latency bench's pattern: a message, answered, then the
    /// broker's PUBACK of the answer soon after, with nothing to write;
    /// now and then two or three messages that come together after a
    /// stall.
    #[test]
    fn input_one_at_a_time_is_answered_at_once() {
        let mut moderation = Moderation::default();
        let now = Instant::now();
        for together in [1, 3, 1, 2] {
            // The first message after a long wait, answered.
            moderation.woken(Woken::Looked);
            moderation.round_done(true);
            for _ in 1..together {
                moderation.woken(Woken::Soon);
                moderation.round_done(true);
            }
            // The PUBACKs soon after, nothing written.
            for _ in 0..together {
                moderation.woken(Woken::Soon);
                moderation.round_done(false);
                assert!(moderation.gather(|| now, None).is_zero());
            }
        }
    }

    #[test]
    fn input_that_comes_soon_and_is_answered_gathers_until_a_wait_is_long() {
        let mut moderation = Moderation::default();
        let now = Instant::now();
        for _ in 0..BURST_ROUNDS {
            assert!(moderation.gather(|| now, None).is_zero());
            moderation.woken(Woken::Soon);
            moderation.round_done(true);
        }
        assert_eq!(moderation.gather(|| now, None), GATHER);
        // Rounds that find tasks ready keep it, and so does input that
        // asks for no answer.
        moderation.woken(Woken::NotLooked);
        moderation.round_done(false);
        moderation.woken(Woken::Soon);
        moderation.round_done(false);
        assert_eq!(moderation.gather(|| now, None), GATHER);
        // A timer due sooner cuts it short; one past, to nothing.
        let soon = now + GATHER / 2;
        assert_eq!(moderation.gather(|| now, Some(soon)), GATHER / 2);
        assert!(moderation.gather(|| soon, Some(now)).is_zero());
        // A wait that did not end soon on input ends the burst.
        moderation.woken(Woken::Looked);
        moderation.round_done(true);
        assert!(moderation.gather(|| now, None).is_zero());
    }

    /// Out of a burst the clock is not even read.
    #[test]
    fn out_of_a_burst_gathering_reads_no_clock() {
        let moderation = Moderation::default();
        let gathered = moderation.gather(|| unreachable!("the clock is read"), None);
        assert!(gathered.is_zero());
    }

    static SPINNING: AtomicBool = AtomicBool::new(true);
    static READ: AtomicBool = AtomicBool::new(false);

    #[embassy_executor::task]
    async fn read_one(stream: Async<UnixStream>) {
        let mut stream = stream;
        let mut byte = [0u8; 1];
        READ.store(stream.read(&mut byte).await.is_ok(), Ordering::SeqCst);
        SPINNING.store(false, Ordering::SeqCst);
    }

    /// A task that is always ready.
    #[embassy_executor::task]
    async fn spin() {
        while SPINNING.load(Ordering::SeqCst) {
            embassy_futures::yield_now().await;
        }
    }

    #[test]
    fn tasks_that_stay_ready_do_not_starve_the_sockets() {
        let (ours, peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = Async::new(ours).unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            (&peer).write_all(b"x").unwrap();
            // Kept open: the reader is woken by the byte, not by an end.
            peer
        });
        let started = Instant::now();
        crate::host::executor::run_until(
            |spawner| {
                spawner.spawn(read_one(ours).unwrap());
                spawner.spawn(spin().unwrap());
            },
            || READ.load(Ordering::SeqCst) || started.elapsed() > PATIENCE,
        );
        SPINNING.store(false, Ordering::SeqCst);
        drop(writer.join());
        assert!(READ.load(Ordering::SeqCst), "the reader was never woken");
    }
}
