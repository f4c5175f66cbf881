//! The `host` board's executor: embassy's raw executor, idling inside
//! `async-io`'s `block_on`, so that the thread that runs the tasks is also
//! the one that waits on the sockets.
//!
//! embassy's own std executor sleeps on a condition variable while
//! `async-io` waits on the sockets in a thread of its own: every message
//! that arrives then crosses two threads before a task sees it, and on a
//! busy machine the second wake-up may wait for a time slice. Here a socket
//! that becomes ready wakes its task on the executor's own thread.
//!
//! The one module of the runtime with `unsafe`: embassy's raw executor is
//! driven through its `unsafe` `poll`, and finds its pender by the symbol
//! name `__pender`, which only an exported function can have.
#![allow(unsafe_code)]

use core::future::poll_fn;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Poll;

use embassy_executor::raw::Executor;
use embassy_executor::Spawner;
use embassy_sync::waitqueue::AtomicWaker;

/// Set when a task became ready since the executor last polled.
static WORK_PENDING: AtomicBool = AtomicBool::new(false);

/// Wakes the executor's thread out of `block_on`, from any thread (the
/// time driver's, a socket's readiness on this one).
static IDLE: AtomicWaker = AtomicWaker::new();

/// The executor calls this when a task becomes ready, from whichever
/// thread woke it.
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    WORK_PENDING.store(true, Ordering::Release);
    IDLE.wake();
}

/// Runs the executor until `done` says to stop, after `init` has spawned
/// the first tasks.
pub fn run_until(init: impl FnOnce(Spawner), mut done: impl FnMut() -> bool) {
    // The executor lives as long as the process: leaking it is how it gets
    // the 'static lifetime it needs.
    let executor: &'static Executor =
        std::boxed::Box::leak(std::boxed::Box::new(Executor::new(core::ptr::null_mut())));
    init(executor.spawner());
    loop {
        WORK_PENDING.store(false, Ordering::Release);
        // SAFETY: this loop is the only caller of `poll`, and the pender
        // does not call it, so `poll` is never re-entered.
        unsafe { executor.poll() };
        if done() {
            break;
        }
        // Sleep until a task is ready, serving the sockets meanwhile.
        async_io::block_on(poll_fn(|context| {
            IDLE.register(context.waker());
            if WORK_PENDING.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
    }
}
