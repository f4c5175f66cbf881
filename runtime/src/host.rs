//! The `host` board: runs a device as an ordinary process on the build
//! machine, on embassy's std executor and time driver.

use std::boxed::Box;
use std::println;

use crate::console::{set_console, Console};
use crate::{Device, Timer};

/// Standard output, each line stamped with the wall-clock time as Node-RED's
/// console output is.
struct Stdout;

impl Console for Stdout {
    fn write_line(&self, line: core::fmt::Arguments<'_>) {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!(
            "[day padding:none] [month repr:short] [hour]:[minute]:[second].[subsecond digits:3]"
        );
        let stamp = now.format(&format).unwrap_or_default();
        println!("{stamp} - {line}");
    }
}

static STDOUT: Stdout = Stdout;

/// Runs the device until the process is stopped.
pub fn run(device: &'static Device, timers: &'static [Timer]) -> ! {
    set_console(&STDOUT);
    println!("psos: device {} of {} started", device.name, device.flow);
    // The executor lives as long as the process: leaking it is how it gets
    // the 'static lifetime it needs.
    let executor = Box::leak(Box::new(embassy_executor::Executor::new()));
    executor.run(|spawner| crate::timers::spawn(spawner, device, timers))
}
