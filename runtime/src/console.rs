//! Where debug lines go: the board registers its console at start-up (the
//! host's standard output, a UART on a microcontroller).

use core::fmt;

/// A board's console. Each line comes without a time stamp; the console
/// adds the one its board can give (wall clock or uptime).
pub trait Console: Sync {
    fn write_line(&self, line: fmt::Arguments<'_>);
}

static CONSOLE: spin::Once<&'static dyn Console> = spin::Once::new();

/// Registers the board's console. The first registration wins.
pub fn set_console(console: &'static dyn Console) {
    CONSOLE.call_once(|| console);
}

/// Writes one line to the console, if the board has one.
pub(crate) fn write_line(line: fmt::Arguments<'_>) {
    if let Some(console) = CONSOLE.get() {
        console.write_line(line);
    }
}

/// The time since start-up as `HH:MM:SS.mmm`, for boards without a wall clock.
pub struct Uptime(pub embassy_time::Instant);

impl fmt::Display for Uptime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        let seconds = millis / 1000;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            millis % 1000
        )
    }
}
