//! The console: debug lines on UART1, each stamped with the uptime, since
//! the board has no wall clock.

use core::fmt::{self, Write};

use psos::console::Uptime;

use crate::uart::{Uart, UART1};

/// Debug lines on a UART, as `00:00:01.100 - [device] [debug:name] topic : payload`.
pub struct UartConsole {
    uart: Uart,
}

/// The console on UART1, which QEMU puts on its second `-serial`.
pub static CONSOLE: UartConsole = UartConsole { uart: UART1 };

impl UartConsole {
    /// Switches the UART on. Writing before this is harmless in QEMU.
    pub fn enable(&self) {
        self.uart.enable();
    }

    /// Writes one line as it is, without a stamp (start-up and exit notes).
    pub fn write_plain(&self, line: fmt::Arguments<'_>) {
        let mut uart = self.uart;
        // Writing to the UART cannot fail; only a `Display` of the line
        // could, and then the line is cut short, which is all we can do.
        let _ = writeln!(uart, "{line}");
    }
}

impl psos::Console for UartConsole {
    fn write_line(&self, line: fmt::Arguments<'_>) {
        // Only thread mode prints (the executor and the timer task run
        // there), so lines cannot interleave; no lock holds off SysTick.
        let now = Uptime(embassy_time::Instant::now());
        self.write_plain(format_args!("{now} - {line}"));
    }
}
