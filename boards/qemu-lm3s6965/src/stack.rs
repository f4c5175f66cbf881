//! How deep the stack has been: cortex-m-rt paints the stack's memory with
//! a known word before `main` (its `paint-stack` feature), and [`usage`]
//! finds, from the stack's far end, the first word no longer painted.
//!
//! The stack (between the linker's `_stack_end`, after the last static,
//! and `_stack_start`, the top of RAM) is shared by thread mode and every
//! interrupt, so the mark covers SysTick and the UARTs too. It counts what
//! was written: a frame that reserves a buffer it never fills (a message
//! of a few bytes in a buffer of its full capacity) leaves the unwritten
//! part painted, as it leaves the memory below it untouched.

use cortex_m_rt::STACK_PAINT_VALUE;

extern "C" {
    /// The top of the stack (its first push lands just below).
    static _stack_start: u32;
    /// The lowest address the stack may reach: the end of the statics.
    static _stack_end: u32;
}

/// The stack's high-water mark and its room, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackUsage {
    /// From the top of the stack to the lowest word written since start-up.
    pub used: usize,
    /// From the top of the stack to the end of the statics.
    pub room: usize,
}

/// Scans the painted stack from its far end up to the first word written.
/// Reads only memory between the linker's two stack symbols.
pub fn usage() -> StackUsage {
    let top = (&raw const _stack_start) as usize;
    let end = (&raw const _stack_end) as usize;
    let mut lowest_written = end;
    while lowest_written < top {
        // SAFETY: `lowest_written` lies in the stack's memory, between the
        // linker's `_stack_end` and `_stack_start`, both aligned to 4
        // bytes, and a `u32` read of RAM has no side effects. The word may
        // be under the live part of the stack and so change under us; a
        // volatile read of a stale value only moves the mark by a word.
        let word = unsafe { core::ptr::read_volatile(lowest_written as *const u32) };
        if word != STACK_PAINT_VALUE {
            break;
        }
        lowest_written += core::mem::size_of::<u32>();
    }
    StackUsage {
        used: top.saturating_sub(lowest_written),
        room: top.saturating_sub(end),
    }
}

impl core::fmt::Display for StackUsage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "psos: stack used {} of {} bytes", self.used, self.room)
    }
}
