//! The `host` board: runs a device as an ordinary process on the build
//! machine, on embassy's std executor and time driver.

use std::boxed::Box;
use std::println;
use std::string::ToString;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Set when the device should stop: only `PSOS_RUN_FOR_MS` sets it.
static STOP: AtomicBool = AtomicBool::new(false);

/// Stops the device after a while, so tests and benchmarks end by themselves.
#[embassy_executor::task]
async fn stop_after(millis: u64) {
    embassy_time::Timer::after_millis(millis).await;
    STOP.store(true, Ordering::Relaxed);
}

/// Runs the device until the process is stopped, or for `PSOS_RUN_FOR_MS`
/// milliseconds when that variable is set.
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
    // The executor lives as long as the process: leaking it is how it gets
    // the 'static lifetime it needs.
    let executor = Box::leak(Box::new(embassy_executor::Executor::new()));
    executor.run_until(
        |spawner| {
            crate::timers::spawn(spawner, device, timers);
            init(spawner);
            if let Some(millis) = run_for {
                match stop_after(millis) {
                    Ok(token) => spawner.spawn(token),
                    Err(_) => STOP.store(true, Ordering::Relaxed),
                }
            }
        },
        || STOP.load(Ordering::Relaxed),
    );
    // What went wrong while it ran, for whoever watches the device.
    let mut report = std::string::String::new();
    for kind in crate::ErrorKind::ALL {
        let separator = if report.is_empty() { "" } else { ", " };
        let _ = core::fmt::Write::write_fmt(
            &mut report,
            format_args!("{separator}{} {}", kind.name(), device.error_count(kind)),
        );
    }
    println!("psos: device {} stopped; errors: {report}", device.name);
    std::process::exit(0)
}

/// A TCP connection to the broker, for the MQTT client.
pub struct Tcp {
    address: std::string::String,
    /// From `PSOS_MQTT_USERNAME` and `PSOS_MQTT_PASSWORD`, when set.
    credentials: Option<(std::string::String, std::string::String)>,
}

impl Tcp {
    /// The broker at `PSOS_BROKER` (`mqtt://HOST:PORT`, as `psosc run` sets
    /// it), or else at the address the flow gives; the user and password in
    /// `PSOS_MQTT_USERNAME` and `PSOS_MQTT_PASSWORD`, when set.
    pub fn from_env_or(address: &str) -> Self {
        let address = std::env::var("PSOS_BROKER")
            .ok()
            .map(|url| {
                url.trim_start_matches("mqtt://")
                    .trim_end_matches('/')
                    .to_string()
            })
            .unwrap_or_else(|| address.to_string());
        let credentials = std::env::var("PSOS_MQTT_USERNAME").ok().map(|user| {
            (
                user,
                std::env::var("PSOS_MQTT_PASSWORD").unwrap_or_default(),
            )
        });
        Self {
            address,
            credentials,
        }
    }
}

impl crate::mqtt::Transport for Tcp {
    type Io = embedded_io_adapters::futures_03::FromFutures<async_io::Async<std::net::TcpStream>>;

    async fn connect(&mut self) -> Option<Self::Io> {
        use std::net::ToSocketAddrs;
        // Name resolution blocks, but only while the broker is unreachable
        // anyway, and then only briefly.
        let address = self.address.to_socket_addrs().ok()?.next()?;
        let stream = async_io::Async::<std::net::TcpStream>::connect(address)
            .await
            .ok()?;
        let _ = stream.get_ref().set_nodelay(true);
        Some(embedded_io_adapters::futures_03::FromFutures::new(stream))
    }

    fn credentials(&self) -> Option<(&str, &[u8])> {
        self.credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_bytes()))
    }
}
