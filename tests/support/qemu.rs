//! Running firmware under qemu-system-arm as a crate's runner says, with
//! UART0 connected to a TCP server (the MQTT broker) when a test needs it.

use std::path::Path;
use std::process::Command;

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
/// to a TCP server on this machine, as it will be to the MQTT broker.
pub fn qemu_with_uart0_on(crate_dir: &Path, firmware: &Path, port: u16) -> Command {
    let mut arguments = runner_arguments(crate_dir);
    let uart0 = arguments
        .iter()
        .position(|argument| argument == "-serial")
        .map(|flag| flag + 1)
        .expect("the runner gives UART0 a -serial");
    arguments[uart0] = "chardev:uart0".to_string();
    let mut command = Command::new(QEMU);
    command
        .arg("-chardev")
        .arg(format!(
            "socket,id=uart0,host=127.0.0.1,port={port},server=off,nodelay=on"
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
