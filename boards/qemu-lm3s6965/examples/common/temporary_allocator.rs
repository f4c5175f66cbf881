//! TEMPORARY, until the runtime's messages stop using `alloc` (issue 3,
//! item 1): a global allocator, because `psos` still links the `alloc`
//! crate. It lives in the examples only, never in the board crate or in
//! generated device crates; delete it when the runtime is alloc-free, and
//! the examples then prove that they link without one.
//!
//! A bump allocator over a static arena that starts again from the bottom
//! whenever nothing is allocated: the runtime frees all of a message once
//! it has been handled, so the arena never fills up between messages.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, UnsafeCell};
use core::ptr;

use critical_section::Mutex;

const ARENA_BYTES: usize = 8 * 1024;

struct BumpArena {
    memory: UnsafeCell<[u8; ARENA_BYTES]>,
    /// The offset of the first free byte, and how many blocks are live.
    state: Mutex<Cell<(usize, usize)>>,
}

// SAFETY: every access to the arena's bookkeeping happens inside a
// critical section, and each block of `memory` is handed out once.
unsafe impl Sync for BumpArena {}

// SAFETY: blocks are aligned as asked, lie inside the arena, never
// overlap while live, and a failed allocation returns null.
unsafe impl GlobalAlloc for BumpArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        critical_section::with(|cs| {
            let state = self.state.borrow(cs);
            let (next, live) = state.get();
            let base = self.memory.get() as usize;
            let start = (base + next).next_multiple_of(layout.align()) - base;
            match start.checked_add(layout.size()) {
                Some(end) if end <= ARENA_BYTES => {
                    state.set((end, live + 1));
                    self.memory.get().cast::<u8>().wrapping_add(start)
                }
                _ => ptr::null_mut(),
            }
        })
    }

    unsafe fn dealloc(&self, _block: *mut u8, _layout: Layout) {
        critical_section::with(|cs| {
            let state = self.state.borrow(cs);
            let (next, live) = state.get();
            let live = live.saturating_sub(1);
            state.set((if live == 0 { 0 } else { next }, live));
        });
    }
}

#[global_allocator]
static ALLOCATOR: BumpArena = BumpArena {
    memory: UnsafeCell::new([0; ARENA_BYTES]),
    state: Mutex::new(Cell::new((0, 0))),
};
