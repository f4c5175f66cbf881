//! The `host` board's executor: embassy's raw executor on the process's
//! one thread, which sleeps in the board's reactor (`reactor.rs`) until a
//! socket is ready or the next timer falls due (`time_driver.rs`).
//!
//! One thread runs the tasks, waits on the sockets and keeps the time. A
//! round polls every ready task, sends what they wrote (the reactor corks
//! writes until then), wakes the tasks whose timers passed, and sleeps
//! until the next event or deadline. A message that arrives wakes its task
//! on the thread that runs it, and a timer a task sets is a deadline in a
//! queue that the same thread reads before it sleeps. Nothing crosses
//! threads, so a message costs no futex and no task switch (embassy's own
//! std executor sleeps on a condition variable while other threads wait
//! on the sockets and the timers).
//!
//! The one module of the runtime with `unsafe`: embassy's raw executor is
//! driven through its `unsafe` `poll`, and finds its pender by the symbol
//! name `__pender`, which only an exported function can have.
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::raw::Executor;
use embassy_executor::Spawner;

use super::{reactor, time_driver};

/// Set when a task became ready since the executor last polled.
static WORK_PENDING: AtomicBool = AtomicBool::new(false);

/// The executor calls this when a task becomes ready, from whichever
/// thread woke it: on the executor's own thread (a socket's readiness, a
/// timer, a task waking another) it only sets the flag.
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    WORK_PENDING.store(true, Ordering::SeqCst);
    reactor::interrupt_sleep();
}

/// Runs the executor until `done` says to stop, after `init` has spawned
/// the first tasks. Returns at once when the reactor cannot be had.
pub fn run_until(init: impl FnOnce(Spawner), mut done: impl FnMut() -> bool) {
    // The pender's flag and the reactor are the process's: one executor
    // runs at a time (tests may call this from several threads).
    static RUNNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _running = RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut idle = match reactor::Idle::new() {
        Ok(idle) => idle,
        Err(error) => {
            std::eprintln!("psos: the host board cannot wait on sockets: {error}");
            return;
        }
    };
    // The executor lives as long as the process: leaking it is how it gets
    // the 'static lifetime it needs.
    let executor: &'static Executor =
        std::boxed::Box::leak(std::boxed::Box::new(Executor::new(core::ptr::null_mut())));
    init(executor.spawner());
    loop {
        WORK_PENDING.store(false, Ordering::SeqCst);
        // SAFETY: this loop is the only caller of `poll`, and the pender
        // does not call it, so `poll` is never re-entered.
        unsafe { executor.poll() };
        // What the tasks wrote in this round goes out now, together.
        idle.send_corked();
        if done() {
            break;
        }
        // Wake the tasks whose timers passed, then sleep until a task is
        // ready or the next timer falls due.
        let deadline = time_driver::wake_due();
        idle.sleep(deadline, || {
            WORK_PENDING.load(Ordering::SeqCst) || time_driver::earlier_set()
        });
    }
}
