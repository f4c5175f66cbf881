//! The one task that drives every time-based node of a device: it sleeps
//! until the earliest deadline in the device's timer table, fires that timer,
//! and sleeps again. Messages then travel by direct calls.

use embassy_time::{Duration, Instant, Timer as Sleep};

use crate::device::Clocks;
use crate::{Device, Timer};

/// The most timers one device can have; the compiler checks it.
pub const MAX_TIMERS: usize = 64;

/// Runs the device's timers for ever.
pub async fn run_timers(device: &'static Device, timers: &'static [Timer]) {
    let start = Instant::now();
    let mut deadlines = [None::<u64>; MAX_TIMERS];
    if timers.len() > MAX_TIMERS {
        device.report_uncaught(crate::ErrorKind::BadValue);
    }
    // Which timers have fired (at most 64, one bit each).
    let mut fired: u64 = 0;
    let clocks = || Clocks {
        elapsed_ms: (Instant::now() - start).as_millis(),
        wall_ms: crate::platform::now_ms(),
    };
    let now = clocks();
    for (deadline, timer) in deadlines.iter_mut().zip(timers) {
        *deadline = timer.first_deadline(now);
    }
    loop {
        let next = deadlines
            .iter()
            .enumerate()
            .filter_map(|(index, deadline)| deadline.map(|at| (at, index)))
            .min();
        let Some((at, index)) = next else {
            // Nothing will fire again.
            return;
        };
        Sleep::at(start + Duration::from_millis(at)).await;
        if let (Some(timer), Some(slot)) = (timers.get(index), deadlines.get_mut(index)) {
            (timer.fire)();
            let bit = 1u64 << index;
            *slot = timer.next_deadline(at, fired & bit == 0, clocks());
            fired |= bit;
        }
    }
}

/// The timers as an embassy task, for boards to spawn.
#[embassy_executor::task]
pub async fn timers_task(device: &'static Device, timers: &'static [Timer]) {
    run_timers(device, timers).await;
}

/// Spawns the timer task, counting an error if it cannot start.
pub fn spawn(
    spawner: embassy_executor::Spawner,
    device: &'static Device,
    timers: &'static [Timer],
) {
    match timers_task(device, timers) {
        Ok(token) => spawner.spawn(token),
        Err(_) => device.report_uncaught(crate::ErrorKind::BadValue),
    }
}
