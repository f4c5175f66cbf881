//! What the runtime needs from the board it runs on: a clock and a console.
//! The `std` feature supplies both for the host board.

/// Milliseconds since the Unix epoch where the board has a wall clock.
#[cfg(feature = "std")]
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Boards without a wall clock have no time source yet: they report 0.
#[cfg(not(feature = "std"))]
pub(crate) fn now_ms() -> u64 {
    0
}

/// Writes one debug line to the board's console.
#[cfg(feature = "std")]
pub(crate) fn debug_line(line: core::fmt::Arguments<'_>) {
    crate::host::print_debug_line(line);
}

/// Boards without a console drop debug lines.
#[cfg(not(feature = "std"))]
pub(crate) fn debug_line(_line: core::fmt::Arguments<'_>) {}
