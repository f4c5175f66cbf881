//! The `host` board's embassy-time driver: microseconds of the monotonic
//! clock, and a timer queue that the executor's thread looks at before it
//! sleeps, so timers cost no thread of their own.
//!
//! embassy-time's own `std` driver keeps a thread that sleeps until the next
//! deadline: every timer a task sets that comes before the others (minimq's
//! deadlines, the liveness check of the stream to the broker) is a mutex and
//! a condition variable signalled to that thread, and every deadline that
//! passes is a wake-up sent back across threads. Here the queue only records
//! deadlines; the executor, before it sleeps, wakes the tasks whose deadline
//! has passed (`wake_due`) and sleeps in the reactor no longer than until
//! the next one.

use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Waker;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The deadlines, and the earliest of them (`u64::MAX` for none).
struct Deadlines {
    queue: Queue,
    next: u64,
}

struct HostDriver {
    deadlines: Mutex<Deadlines>,
}

/// The instant that embassy-time counts from: the first time asked for.
fn zero() -> Instant {
    static ZERO: OnceLock<Instant> = OnceLock::new();
    *ZERO.get_or_init(Instant::now)
}

/// Microseconds since `zero`, the tick of the `tick-hz-1_000_000` feature.
fn ticks_now() -> u64 {
    u64::try_from(Instant::now().saturating_duration_since(zero()).as_micros()).unwrap_or(u64::MAX)
}

impl Driver for HostDriver {
    fn now(&self) -> u64 {
        ticks_now()
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        let earlier = {
            let mut deadlines = self
                .deadlines
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // The queue only ever moves a task's deadline earlier, so the
            // earliest deadline is at most `at` when it changed.
            let changed = deadlines.queue.schedule_wake(at, waker);
            let earlier = changed && at < deadlines.next;
            if changed {
                deadlines.next = deadlines.next.min(at);
            }
            earlier
        };
        if earlier {
            EARLIER.store(true, Ordering::SeqCst);
            // Only when set from another thread while the executor sleeps
            // does this cost anything: its sleep ends to look again.
            super::reactor::interrupt_sleep();
        }
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: HostDriver = HostDriver {
    deadlines: Mutex::new(Deadlines {
        queue: Queue::new(),
        next: u64::MAX,
    }),
});

/// Set when a deadline earlier than all others was set since `wake_due`
/// last looked: the executor, about to sleep until the deadline it was
/// told, must look again.
static EARLIER: AtomicBool = AtomicBool::new(false);

/// Whether a deadline came since `wake_due` that is earlier than the one it
/// returned.
pub(crate) fn earlier_set() -> bool {
    EARLIER.load(Ordering::SeqCst)
}

/// Wakes the tasks whose deadline has passed, and returns when the next
/// deadline falls, if any.
pub(crate) fn wake_due() -> Option<Instant> {
    EARLIER.store(false, Ordering::SeqCst);
    let mut deadlines = DRIVER
        .deadlines
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let now = ticks_now();
    if now >= deadlines.next {
        deadlines.next = deadlines.queue.next_expiration(now);
    }
    match deadlines.next {
        u64::MAX => None,
        next => zero().checked_add(std::time::Duration::from_micros(next)),
    }
}
