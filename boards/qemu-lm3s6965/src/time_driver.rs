//! The embassy-time driver: SysTick interrupts once per tick, counts ticks
//! in 64 bits, and wakes the tasks whose deadline has come.
//!
//! A periodic tick is the simplest driver that never misses a deadline: the
//! SysTick counter has only 24 bits (1.4 s at 12 MHz), so a tickless driver
//! would have to chain reloads anyway. At a millisecond tick the interrupt
//! costs the 12 MHz core well under one percent.

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::{Driver, TICK_HZ};
use embassy_time_queue_utils::Queue;

/// The core clock of QEMU's lm3s6965evb (the chip's reset clock, no PLL).
pub const CORE_CLOCK_HZ: u64 = 12_000_000;

/// Core cycles per tick, as SysTick's reload value wants it (one less).
const RELOAD: u32 = {
    let cycles = CORE_CLOCK_HZ / TICK_HZ;
    // The `tick-hz-*` feature must divide the clock, fit SysTick's 24 bits,
    // and leave the core time between interrupts (at most 10 kHz).
    assert!(
        CORE_CLOCK_HZ.is_multiple_of(TICK_HZ),
        "the embassy-time tick rate must divide the 12 MHz core clock"
    );
    assert!(
        cycles >= 1_200 && cycles <= 1 << 24,
        "the embassy-time tick rate must lie between 1 Hz and 10 kHz"
    );
    (cycles - 1) as u32
};

struct SysTickDriver {
    /// Ticks since SysTick started.
    ticks: Mutex<Cell<u64>>,
    /// The tick at which the queue next has a task to wake.
    next_alarm: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

impl SysTickDriver {
    const fn new() -> Self {
        Self {
            ticks: Mutex::new(Cell::new(0)),
            next_alarm: Mutex::new(Cell::new(u64::MAX)),
            queue: Mutex::new(RefCell::new(Queue::new())),
        }
    }

    /// Counts one tick and wakes what is due.
    fn tick(&self) {
        critical_section::with(|cs| {
            let ticks = self.ticks.borrow(cs);
            let now = ticks.get().wrapping_add(1);
            ticks.set(now);
            if now >= self.next_alarm.borrow(cs).get() {
                self.wake_due(cs, now);
            }
        });
    }

    /// Wakes the tasks due at `now` and remembers the next deadline.
    fn wake_due(&self, cs: CriticalSection<'_>, now: u64) {
        // Only code inside a critical section borrows the queue, and none of
        // it re-enters the driver, so the borrow cannot fail; if it ever did,
        // the next tick would try again.
        if let Ok(mut queue) = self.queue.borrow(cs).try_borrow_mut() {
            self.next_alarm.borrow(cs).set(queue.next_expiration(now));
        }
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let changed = self
                .queue
                .borrow(cs)
                .try_borrow_mut()
                .is_ok_and(|mut queue| queue.schedule_wake(at, waker));
            if changed {
                // A deadline already past is woken now rather than a tick late.
                self.wake_due(cs, self.ticks.borrow(cs).get());
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver::new());

/// Starts the tick. Until then time stands still at zero.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    DRIVER.tick();
}
