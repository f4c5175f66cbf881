//! The `host` board: runs a device as an ordinary process on the build
//! machine, on one thread: embassy's raw executor (`executor.rs`) sleeping
//! in an epoll reactor (`reactor.rs`) until a socket is ready or the next
//! deadline of the board's time driver (`time_driver.rs`). Signals reach
//! it through a socket pair the reactor watches, so the device has no
//! thread besides its executor's.

use std::os::unix::net::UnixStream;
use std::println;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_lite::AsyncReadExt;

pub(crate) mod executor;
mod net;
mod reactor;
mod time_driver;

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

/// Set once the device has stopped: the executor returns.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// How long a stopping device waits for its broker to take its goodbye.
const GOODBYE_TIMEOUT: embassy_time::Duration = embassy_time::Duration::from_secs(1);

/// The signals that stop a device, as Ctrl-C, `kill` and a closed terminal
/// send them.
const STOP_SIGNALS: [core::ffi::c_int; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// A socket that becomes readable when a stop signal comes: the signal's
/// handler writes a byte to its other end, which is all a handler may
/// safely do. `None` when the handlers cannot be set; a signal then ends
/// the process at once, which the broker sees as a lost device.
fn stop_signals() -> Option<reactor::Async<UnixStream>> {
    let (receiver, sender) = UnixStream::pair().ok()?;
    receiver.set_nonblocking(true).ok()?;
    for signal in STOP_SIGNALS {
        signal_hook::low_level::pipe::register(signal, sender.try_clone().ok()?).ok()?;
    }
    reactor::Async::new(receiver).ok()
}

/// Stops the device when a signal asks, or after `run_for` milliseconds (so
/// tests and benchmarks end by themselves): the MQTT session says goodbye
/// first, so the broker does not take the device for lost.
#[embassy_executor::task]
async fn stop_when_asked(run_for: Option<u64>) {
    let signals = stop_signals();
    let signalled = async {
        match signals {
            Some(mut signals) => {
                let mut byte = [0u8; 1];
                let _ = signals.read(&mut byte).await;
            }
            None => core::future::pending().await,
        }
    };
    match run_for {
        Some(millis) => {
            let _ =
                embassy_time::with_timeout(embassy_time::Duration::from_millis(millis), signalled)
                    .await;
        }
        None => signalled.await,
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
