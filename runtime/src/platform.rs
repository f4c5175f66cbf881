//! What the runtime needs from the board it runs on: a clock and a console.

/// Milliseconds since the Unix epoch on boards with a wall clock (the host),
/// since start-up on the others.
#[cfg(feature = "std")]
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(not(feature = "std"))]
pub(crate) fn now_ms() -> u64 {
    embassy_time::Instant::now().as_millis()
}

/// Writes one debug line to the board's console.
pub(crate) fn debug_line(line: core::fmt::Arguments<'_>) {
    crate::console::write_line(line);
}

/// Milliseconds since start-up on every board: a clock that never goes
/// back, which time-based nodes measure their waits by.
pub(crate) fn uptime_ms() -> u64 {
    embassy_time::Instant::now().as_millis()
}
