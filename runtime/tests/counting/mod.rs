//! A global allocator that counts what one thread allocates, for the tests
//! that prove a path allocates nothing. Only the watching thread counts:
//! the test harness allocates on its own threads whenever it likes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

// A global allocator can only be written with `unsafe`; this one only
// counts and hands every request to the system's allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHED.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Runs `work` and returns how many allocations this thread made in it.
/// It first checks that the counter sees an allocation at all, so a count
/// of zero means something.
pub fn allocations_in(work: impl FnOnce()) -> usize {
    WATCHED.with(|watched| watched.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(Box::new(0u8)));
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        before + 1,
        "the counter sees allocations"
    );
    let start = ALLOCATIONS.load(Ordering::Relaxed);
    work();
    let counted = ALLOCATIONS.load(Ordering::Relaxed) - start;
    WATCHED.with(|watched| watched.set(false));
    counted
}
