//! The `host` board: runs a device as an ordinary process on the build
//! machine, on embassy's raw executor (`executor.rs`) and std time driver.

use std::println;
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) mod executor;
mod net;

pub use net::Link;

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

/// Set when the device should stop: on SIGINT, SIGTERM or SIGHUP.
static STOP_ASKED: AtomicBool = AtomicBool::new(false);

/// Set once the device has stopped: the executor returns.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// How long a stopping device waits for its broker to take its goodbye.
const GOODBYE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(1);

/// Stops the device when a signal asks, or after `run_for` milliseconds (so
/// tests and benchmarks end by themselves): the MQTT session says goodbye
/// first, so the broker does not take the device for lost.
#[embassy_executor::task]
async fn stop_when_asked(run_for: Option<u64>) {
    let deadline = run_for
        .map(|millis| embassy_time::Instant::now() + embassy_time::Duration::from_millis(millis));
    // The signal handler runs on a thread of its own and cannot wake the
    // executor: the flag is looked at every 20 ms.
    while !STOP_ASKED.load(Ordering::Relaxed)
        && deadline.is_none_or(|deadline| embassy_time::Instant::now() < deadline)
    {
        embassy_time::Timer::after_millis(20).await;
    }
    let _ = embassy_time::with_timeout(GOODBYE_TIMEOUT, crate::mqtt::goodbye()).await;
    STOPPED.store(true, Ordering::Relaxed);
}

/// Runs the device until a signal (Ctrl-C, SIGTERM, SIGHUP) stops it, or
/// for `PSOS_RUN_FOR_MS` milliseconds when that variable is set.
pub fn run(device: &'static Device, timers: &'static [Timer]) -> ! {
    run_with(device, timers, |_| {})
}

/// Runs the device with more tasks, which `init` spawns (the MQTT client).
pub fn run_with(
    device: &'static Device,
    timers: &'static [Timer],
    init: impl FnOnce(embassy_executor::Spawner),
) -> ! {
    set_console(&STDOUT);
    println!("psos: device {} of {} started", device.name, device.flow);
    let run_for = std::env::var("PSOS_RUN_FOR_MS")
        .ok()
        .and_then(|millis| millis.parse::<u64>().ok());
    // Without a handler the signal ends the process at once, which the
    // broker sees as a lost device: that is all a failure here costs.
    let _ = ctrlc::set_handler(|| STOP_ASKED.store(true, Ordering::Relaxed));
    executor::run_until(
        |spawner| {
            crate::timers::spawn(spawner, device, timers);
            init(spawner);
            match stop_when_asked(run_for) {
                Ok(token) => spawner.spawn(token),
                Err(_) => STOPPED.store(true, Ordering::Relaxed),
            }
        },
        || STOPPED.load(Ordering::Relaxed),
    );
    // What went wrong while it ran, for whoever watches the device.
    println!("{}", device.stop_report());
    std::process::exit(0)
}
