//! `psosc run`: builds every device of a checked flow, starts an MQTT broker
//! unless one is given, runs all the devices on this computer with their
//! output prefixed by device, and stops them all on Ctrl-C or after a set
//! time.
//!
//! The steps, in order, each in its module:
//! 1. [`crate::output::write_crates`] writes the crates, as `psosc build` does;
//! 2. [`cargo`] builds them: one `cargo build` of the generated workspace for
//!    the `host` devices (they share its target directory), one
//!    `cargo build --release` per microcontroller device in its directory;
//! 3. [`broker`] checks the broker given with `--broker`, or
//!    `embedded_broker` starts rumqttd in this process;
//! 4. [`devices`] starts each device with the broker's address (an
//!    environment variable for `host` devices, QEMU's UART0 bridged to the
//!    broker's TCP port for `qemu-lm3s6965` ones), forwards their output,
//!    and kills and waits for every one of them when the run ends.

mod broker;
mod cargo;
mod devices;
#[cfg(feature = "embedded-broker")]
mod embedded_broker;
mod interrupt;
mod secrets;

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

pub use broker::{BrokerUrl, BrokerUrlError};
pub use devices::uart0_chardev;
pub use secrets::Secrets;

use crate::ir::Flow;
use crate::output::{self, OutputError};

/// What `psosc run` was asked to do, besides the flow itself.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where the crates are generated and built.
    pub out_dir: PathBuf,
    /// The psos runtime the generated crates depend on.
    pub runtime: PathBuf,
    /// An MQTT broker to use instead of the embedded one.
    pub broker: Option<BrokerUrl>,
    /// How long to run the devices; until Ctrl-C when `None`.
    pub run_for: Option<Duration>,
    /// The broker's user, password and CA file for the devices
    /// (`--secrets`), besides psosc's own environment.
    pub secrets: Secrets,
}

/// Why a run could not start or did not end well. Each is a usage, I/O or
/// build failure (exit status 2): the flow itself was fine.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot catch Ctrl-C, so the devices could outlive psosc: {0}")]
    Interrupt(String),
    #[error("interrupted while building")]
    Interrupted,
    #[error("cannot start cargo ({program}): {source}")]
    CargoStart { program: String, source: io::Error },
    #[error("building {what} failed ({status})")]
    Build { what: String, status: ExitStatus },
    #[error("cargo built no binary for the device {device}")]
    NoBinary { device: String },
    #[error("the embedded MQTT broker did not start: {0}")]
    Broker(String),
    #[error(
        "this psosc was built without the embedded MQTT broker (the \
         `embedded-broker` feature); pass --broker mqtt://HOST:PORT"
    )]
    NoEmbeddedBroker,
    #[error("device {device}: {message}")]
    Device { device: String, message: String },
    #[error("cannot start the device {device} ({program}): {source}")]
    Spawn {
        device: String,
        program: String,
        source: io::Error,
    },
    #[error("the secrets file {}: {message}", .path.display())]
    Secrets { path: PathBuf, message: String },
    #[error("device {device} (board {board}) cannot reach a broker over TLS yet: only `host` devices can")]
    NoTls { device: String, board: &'static str },
    #[error("{} ended with a failure: {}", plural(.0.len(), "device"), .0.join(", "))]
    DevicesFailed(Vec<String>),
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Runs every device of `flow` until Ctrl-C, until `options.run_for` has
/// passed, or until all of them have ended by themselves. Progress goes to
/// standard error, each device's output to psosc's standard output (or
/// error, as the device wrote it), prefixed with the device's name. When
/// this returns, no device process is left.
pub fn run(flow: &Flow, options: &Options) -> Result<(), RunError> {
    // Before a build that may take minutes, for nothing.
    if options.broker.is_none() && !cfg!(feature = "embedded-broker") {
        return Err(RunError::NoEmbeddedBroker);
    }
    // Before building, so that a Ctrl-C while building stops cargo and
    // psosc together.
    interrupt::install()?;
    let tls = options.broker.as_ref().is_some_and(|url| url.tls);
    if let Some(device) = flow
        .devices
        .iter()
        .find(|device| tls && !device.board.is_host())
    {
        return Err(RunError::NoTls {
            device: device.name.clone(),
            board: device.board.name(),
        });
    }
    let written = output::write_crates(flow, &options.out_dir, &options.runtime)?;
    eprintln!(
        "psosc: wrote {} ({}; {} changed)",
        options.out_dir.display(),
        plural(flow.devices.len(), "device"),
        plural(written, "file"),
    );
    let programs = cargo::build(flow, &options.out_dir, tls)?;

    // The broker, when it is psosc's own, runs on threads that end with the
    // process, after the devices.
    let url = match &options.broker {
        Some(url) => {
            broker::check_reachable(url);
            eprintln!("psosc: using the broker at {url}");
            url.clone()
        }
        None => {
            let embedded = broker::EmbeddedBroker::start()?;
            eprintln!("psosc: broker listening on {} (MQTT 5)", embedded.v5);
            eprintln!("psosc: broker listening on {} (MQTT 3.1.1)", embedded.v311);
            embedded.url()
        }
    };

    let mut fleet = devices::Fleet::start(&programs, &url, &options.secrets)?;
    let until = match options.run_for {
        Some(duration) => format!("for {}", humantime::format_duration(duration)),
        None => "until Ctrl-C".to_string(),
    };
    eprintln!(
        "psosc: running {} {until}",
        plural(programs.len(), "device")
    );
    match fleet.supervise(options.run_for) {
        devices::StopReason::Interrupted => eprintln!("psosc: interrupted; stopping the devices"),
        devices::StopReason::TimeUp => eprintln!("psosc: time is up; stopping the devices"),
        devices::StopReason::EveryDeviceEnded => eprintln!("psosc: every device has ended"),
    }
    let failed = fleet.stop();
    if failed.is_empty() {
        eprintln!("psosc: stopped");
        Ok(())
    } else {
        Err(RunError::DevicesFailed(failed))
    }
}
