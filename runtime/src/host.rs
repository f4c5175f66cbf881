//! The `host` board: runs a device as an ordinary process on the build machine.

use std::println;
use std::time::{Duration, Instant};
use std::vec::Vec;

use crate::{Device, Timer};

/// Runs the device until the process is stopped: fires each timer at its
/// deadline and sleeps in between. Messages move only when a timer fires,
/// as every local wire is a direct call.
pub fn run(device: &'static Device, timers: &'static [Timer]) -> ! {
    println!("psos: device {} of {} started", device.name, device.flow);
    let start = Instant::now();
    let mut deadlines: Vec<Option<u64>> = timers.iter().map(Timer::first_deadline).collect();
    loop {
        let next = deadlines
            .iter()
            .enumerate()
            .filter_map(|(index, deadline)| deadline.map(|at| (at, index)))
            .min();
        let Some((at, index)) = next else {
            // Nothing will ever fire again: idle as a device would.
            std::thread::park();
            continue;
        };
        let now = elapsed_ms(start);
        if at > now {
            std::thread::sleep(Duration::from_millis(at - now));
        }
        if let (Some(timer), Some(slot)) = (timers.get(index), deadlines.get_mut(index)) {
            *slot = timer.next_deadline(at);
            (timer.fire)();
        }
    }
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Prints one debug line to standard output.
pub fn print_debug_line(line: core::fmt::Arguments<'_>) {
    let time = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:short] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    let stamp = time.format(&format).unwrap_or_default();
    println!("{stamp} - {line}");
}
