//! A global allocator that counts what one thread allocates, for the tests
//! that prove a path allocates nothing. Only the watching thread counts:
//! the test harness allocates on its own threads whenever it likes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
struct Counting;

// Both per thread: tests of one binary run in parallel, each watching its
// own thread.
std::thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// A global allocator can only be written with `unsafe`; this one only
// counts and hands every request to the system's allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHED.try_with(Cell::get).unwrap_or(false) {
            let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
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
    let before = allocations();
    drop(std::hint::black_box(Box::new(0u8)));
    assert_eq!(allocations(), before + 1, "the counter sees allocations");
    let start = allocations();
    work();
    let counted = allocations() - start;
    WATCHED.with(|watched| watched.set(false));
    counted
}
