//! PSOS board support for the `qemu-lm3s6965` board: a Cortex-M3 LM3S6965
//! as QEMU's `lm3s6965evb` machine models it.
//!
//! The board gives a device crate everything that is not its flow:
//!
//! - [`run`], the entry that starts the device like `psos::host::run` does
//!   on the host: console, start line, executor, timer task;
//! - the console on UART1 (QEMU's second `-serial`), each debug line
//!   stamped with the uptime: `00:00:01.100 - [device] [debug:led] blink : on`;
//! - embassy-time's driver on SysTick, at the `tick-hz-1_000` rate this crate
//!   selects;
//! - `memory.x` in the linker's search path (see `build.rs`), the panic
//!   handler, and [`exit`] through semihosting, which ends QEMU with an exit
//!   status;
//! - the stack painted at start-up and its high-water mark ([`stack_usage`]),
//!   printed before a run that stops by itself ends;
//! - [`entry`], cortex-m-rt's entry attribute, so a device crate needs no
//!   dependency of its own on cortex-m-rt.
//!
//! UART0 (QEMU's first `-serial`) is left to the MQTT link: [`uart0`] hands
//! it out once as an `embedded-io-async` byte stream, and [`run_with`]
//! starts the tasks that use it.
//!
//! A device crate's `main.rs` differs from the host's only in its first
//! lines and its `main`:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//!
//! #[psos_board_qemu_lm3s6965::entry]
//! fn main() -> ! {
//!     psos_board_qemu_lm3s6965::run(&DEVICE, &TIMERS)
//! }
//! ```
//!
//! The rest of a device crate for this board, which psosc writes:
//!
//! - `Cargo.toml` depends on `psos` (without features) and on this crate,
//!   nothing else: no cortex-m-rt, embassy, panic handler or allocator crate.
//! - `.cargo/config.toml` sets `build.target = "thumbv7m-none-eabi"` and,
//!   under `[target.'cfg(all(target_arch = "arm", target_os = "none"))']`,
//!   `rustflags = ["-C", "link-arg=-Tlink.x"]` and the QEMU runner, as this
//!   crate's own configuration does.
//! - No `memory.x`: this crate's build script provides the chip's. The
//!   linker runs in the workspace root, so a copy in a member's directory is
//!   never read, and one in the flow's workspace root would override the
//!   board's for every device of the flow.
//! - `embassy-executor`'s `executor-thread` must stay off in the whole build:
//!   this crate defines `__pender` for its own `wfi` loop.
//!
//! Set `PSOS_RUN_FOR_MS` (a number of milliseconds) when building to make
//! [`run`] stop the device after that time and end QEMU with status 0, as
//! tests do; without it the device runs until QEMU is stopped.
#![no_std]

mod console;
mod executor;
mod serial;
mod stack;
mod time_driver;
mod uart;

use core::fmt::Write;

pub use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use psos::{Device, Timer};

use crate::console::CONSOLE;

pub use crate::serial::{uart0, Serial, Uart0};
pub use crate::stack::{usage as stack_usage, StackUsage};
pub use crate::time_driver::CORE_CLOCK_HZ;
pub use embassy_executor::Spawner;

/// How long [`run`] lets the device run, from `PSOS_RUN_FOR_MS` at build time.
pub const RUN_FOR_MS: Option<u64> = match option_env!("PSOS_RUN_FOR_MS") {
    Some(text) => parse_millis(text),
    None => None,
};

/// Reads a number of milliseconds; an empty text means no limit. Anything
/// else stops the build, since a typo should not make a test run for ever.
const fn parse_millis(text: &str) -> Option<u64> {
    let mut rest = text.as_bytes();
    if rest.is_empty() {
        return None;
    }
    let mut millis: u64 = 0;
    while let [digit, tail @ ..] = rest {
        assert!(
            digit.is_ascii_digit(),
            "PSOS_RUN_FOR_MS must be a whole number of milliseconds"
        );
        assert!(
            millis <= (u64::MAX - 9) / 10,
            "PSOS_RUN_FOR_MS is too large"
        );
        millis = millis * 10 + (*digit - b'0') as u64;
        rest = tail;
    }
    Some(millis)
}

/// Runs the device: registers the console, prints the start line, starts
/// the tick and the executor, and spawns the task that drives the device's
/// timers. Runs until QEMU is stopped, or for `PSOS_RUN_FOR_MS` if that was
/// set at build time.
pub fn run(device: &'static Device, timers: &'static [Timer]) -> ! {
    start(device, timers, RUN_FOR_MS, |_| {})
}

/// Runs the device like [`run`] for `millis` milliseconds, then ends QEMU
/// with exit status 0.
pub fn run_for(device: &'static Device, timers: &'static [Timer], millis: u64) -> ! {
    start(device, timers, Some(millis), |_| {})
}

/// Runs the device like [`run`], and lets `init` spawn further tasks (the
/// MQTT link on [`uart0`], say) on the same executor before it starts.
pub fn run_with(
    device: &'static Device,
    timers: &'static [Timer],
    init: impl FnOnce(Spawner),
) -> ! {
    start(device, timers, RUN_FOR_MS, init)
}

/// Runs the device like [`run_with`] until QEMU is stopped, whatever
/// `PSOS_RUN_FOR_MS` says: for firmware that serves a peer for as long as
/// the peer needs it (the `echo` example), as a fixed time would end it
/// early on a busy machine.
pub fn serve_with(
    device: &'static Device,
    timers: &'static [Timer],
    init: impl FnOnce(Spawner),
) -> ! {
    start(device, timers, None, init)
}

fn start(
    device: &'static Device,
    timers: &'static [Timer],
    run_for_ms: Option<u64>,
    init: impl FnOnce(Spawner),
) -> ! {
    CONSOLE.enable();
    psos::console::set_console(&CONSOLE);
    CONSOLE.write_plain(format_args!(
        "psos: device {} of {} started",
        device.name, device.flow
    ));
    // `take` succeeds once; only a second call of `run` would find the
    // peripherals gone, and then the tick is already running.
    if let Some(peripherals) = cortex_m::Peripherals::take() {
        time_driver::start(peripherals.SYST);
    }
    executor::run(|spawner| {
        psos::timers::spawn(spawner, device, timers);
        init(spawner);
        if let Some(millis) = run_for_ms {
            match stop_after(device, millis) {
                Ok(token) => spawner.spawn(token),
                Err(_) => exit(false),
            }
        }
    });
    // The executor only returns when it was already running.
    CONSOLE.write_plain(format_args!("psos: the board was started twice"));
    exit(false)
}

/// Ends the firmware after a while, for runs that must stop by themselves,
/// with how deep the stack has been and the device's error counts, as a
/// host device prints them.
#[embassy_executor::task]
async fn stop_after(device: &'static Device, millis: u64) {
    embassy_time::Timer::after_millis(millis).await;
    CONSOLE.write_plain(format_args!("{}", stack::usage()));
    CONSOLE.write_plain(format_args!("psos: stopping after {millis} ms"));
    CONSOLE.write_plain(format_args!("{}", device.stop_report()));
    exit(true)
}

/// Ends QEMU through semihosting with exit status 0 (`success`) or 1.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Without a semihosting host (QEMU without `-semihosting-config`), the
    // call above returns or traps; there is nothing left but to sleep.
    loop {
        cortex_m::asm::wfi();
    }
}

/// A panic is a bug in the firmware, never a reaction to data: print where
/// it is on the console, so a test shows it, and end QEMU with a failure.
/// The place, not the message: formatting messages would link the code
/// that writes every panic's arguments (6 KiB of the reference device's
/// flash), and the file and line find the bug as well.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    let mut uart = uart::UART1;
    match info.location() {
        Some(at) => {
            let _ = writeln!(uart, "psos: panic at {}:{}", at.file(), at.line());
        }
        None => {
            let _ = writeln!(uart, "psos: panic");
        }
    }
    exit(false)
}
