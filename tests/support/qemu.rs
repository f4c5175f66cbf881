//! Running firmware under qemu-system-arm as a crate's runner says, with
//! UART0 connected to a TCP server (the MQTT broker) when a test needs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::shared_target_dir;

/// How long the `pong` firmware of the `ping_pong` flow runs, in its own
/// time, which keeps pace with the clock: `mqtt.rs` stops QEMU once the
/// messages have crossed, `hostile_broker.rs` waits for the counts the
/// firmware prints at the end, so the run must hold all that test does on a
/// busy machine. Both build it with this time, so neither rebuilds the
/// other's.
pub const PONG_RUN_MS: u64 = 40_000;

/// Builds a generated firmware crate (release, in the shared target
/// directory) that stops itself, and QEMU, after `run_for_ms` of its own
/// time, and returns the firmware file. Tests that build the same crate
/// should pass the same time, or each rebuilds it for the other.
pub fn build_firmware(crate_dir: &Path, name: &str, run_for_ms: u64) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release"])
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("PSOS_RUN_FOR_MS", run_for_ms.to_string())
        .status()
        .expect("cargo starts");
    assert!(status.success(), "the firmware builds");
    shared_target_dir()
        .join("thumbv7m-none-eabi")
        .join("release")
        .join(name)
}

/// The QEMU command line of a crate's runner, for a firmware file.
pub fn qemu(crate_dir: &Path, firmware: &Path) -> Command {
    let mut command = Command::new(QEMU);
    command.args(runner_arguments(crate_dir)).arg(firmware);
    command
}

pub const QEMU: &str = "qemu-system-arm";

/// The runner's arguments, from a crate's `.cargo/config.toml`.
pub fn runner_arguments(crate_dir: &Path) -> Vec<String> {
    let config = std::fs::read_to_string(crate_dir.join(".cargo").join("config.toml"))
        .expect("the crate has a cargo configuration");
    let config: toml::Table = config.parse().expect("valid TOML");
    let runner = config["target"]
        .as_table()
        .and_then(|targets| targets.values().find_map(|target| target.get("runner")))
        .and_then(|runner| runner.as_str())
        .expect("a runner");
    let mut words = runner.split_whitespace().map(str::to_string);
    assert_eq!(words.next().as_deref(), Some(QEMU));
    words.collect()
}

/// The runner's QEMU command line with UART0, unconnected there, connected
/// to a TCP server on this machine as `psosc run` connects it to the MQTT
/// broker: QEMU dials again whenever the connection closes.
pub fn qemu_with_uart0_on(crate_dir: &Path, firmware: &Path, port: u16) -> Command {
    let mut arguments = runner_arguments(crate_dir);
    let uart0 = arguments
        .iter()
        .position(|argument| argument == "-serial")
        .map(|flag| flag + 1)
        .expect("the runner gives UART0 a -serial");
    arguments[uart0] = "chardev:uart0".to_string();
    let version = Command::new(QEMU)
        .arg("--version")
        .output()
        .expect("qemu-system-arm runs");
    let mut command = Command::new(QEMU);
    command
        .arg("-chardev")
        .arg(psosc::run::uart0_chardev(
            "127.0.0.1",
            port,
            &String::from_utf8_lossy(&version.stdout),
        ))
        .args(arguments)
        .arg(firmware);
    command
}

/// A console line without its uptime stamp (`00:00:01.100 - ...`).
pub fn without_uptime(line: &str) -> Option<&str> {
    let (stamp, rest) = line.split_once(" - ")?;
    let well_formed = stamp.len() == 12
        && stamp.bytes().enumerate().all(|(index, byte)| match index {
            2 | 5 => byte == b':',
            8 => byte == b'.',
            _ => byte.is_ascii_digit(),
        });
    well_formed.then_some(rest)
}
