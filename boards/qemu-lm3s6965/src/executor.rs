//! The thread-mode executor loop: embassy's raw executor, idling with `wfi`.
//!
//! embassy's own thread executor sleeps with `wfe`, which QEMU treats as a
//! no-op, so an idle firmware would spin a host core at 100%. `wfi` really
//! sleeps until the next interrupt (at the latest the next SysTick).

use core::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::raw::Executor;
use embassy_executor::Spawner;
use static_cell::StaticCell;

/// Set by the executor whenever a task was woken, from any context.
static WORK_PENDING: AtomicBool = AtomicBool::new(false);

static EXECUTOR: StaticCell<Executor> = StaticCell::new();

/// The executor calls this when a task becomes ready: it only marks work as
/// pending, since it may be called from inside `poll` or an interrupt.
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    WORK_PENDING.store(true, Ordering::Release);
}

/// Runs the executor for ever, after `init` has spawned the first tasks.
/// Calling it a second time returns at once with nothing run.
pub fn run(init: impl FnOnce(Spawner)) {
    let Some(executor) = EXECUTOR.try_init(Executor::new(core::ptr::null_mut())) else {
        return;
    };
    let executor: &'static Executor = executor;
    init(executor.spawner());
    loop {
        WORK_PENDING.store(false, Ordering::Release);
        // SAFETY: this loop is the only caller of `poll` and the pender does
        // not call it, so `poll` is never re-entered.
        unsafe { executor.poll() };
        // With interrupts masked, an interrupt that wakes a task after the
        // check below still ends `wfi` (a pending interrupt does, masked or
        // not) and runs as soon as the mask is lifted: no wake-up is lost.
        cortex_m::interrupt::free(|_| {
            if !WORK_PENDING.load(Ordering::Acquire) {
                cortex_m::asm::wfi();
            }
        });
    }
}
