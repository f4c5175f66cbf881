//! The `qemu-lm3s6965` board: its `blink` example (the host device of
//! flows/blink.json with the board's entry) builds for thumbv7m, runs under
//! qemu-system-arm with the runner its crate configures, prints the same
//! debug lines as the host device, and stops by itself with status 0; its
//! `echo` example carries bytes both ways over UART0 and a TCP socket.
//!
//! The `blink` example follows `generated/blink/host/src/main.rs`; when that
//! changes, `PSOS_BLESS=1 cargo test -p psos-tests --test qemu` rewrites it.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{build_device, cargo, repo_root, shared_target_dir, without_time, Running};

const TARGET: &str = "thumbv7m-none-eabi";

/// How long the firmware runs before it ends QEMU: long enough for the
/// inject's first three messages (at 0.1 s, 1.1 s and 2.1 s). Every example
/// is built with the same value, so builds do not undo each other.
const RUN_FOR_MS: &str = "2600";

fn board_dir() -> PathBuf {
    repo_root().join("boards").join("qemu-lm3s6965")
}

/// Builds the board's example, as `cargo run --release` in its crate would.
fn build_example(name: &str, run_for_ms: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release", "--example", name])
        .current_dir(board_dir())
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("PSOS_RUN_FOR_MS", run_for_ms)
        .status()
        .expect("cargo starts");
    assert!(status.success(), "cargo build --example {name} failed");
    shared_target_dir()
        .join(TARGET)
        .join("release")
        .join("examples")
        .join(name)
}

/// The QEMU command line of the board crate's runner, for a firmware file.
fn qemu(firmware: &Path) -> Command {
    let mut command = Command::new(QEMU);
    command.args(runner_arguments()).arg(firmware);
    command
}

const QEMU: &str = "qemu-system-arm";

/// The runner's arguments, from the board crate's `.cargo/config.toml`.
fn runner_arguments() -> Vec<String> {
    let config = std::fs::read_to_string(board_dir().join(".cargo").join("config.toml"))
        .expect("the board has a cargo configuration");
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
fn qemu_with_uart0_on(firmware: &Path, port: u16) -> Command {
    let mut arguments = runner_arguments();
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
fn without_uptime(line: &str) -> Option<&str> {
    let (stamp, rest) = line.split_once(" - ")?;
    let well_formed = stamp.len() == 12
        && stamp.bytes().enumerate().all(|(index, byte)| match index {
            2 | 5 => byte == b':',
            8 => byte == b'.',
            _ => byte.is_ascii_digit(),
        });
    well_formed.then_some(rest)
}

#[test]
fn blink_on_qemu_prints_the_host_twins_debug_lines_and_stops() {
    let firmware = build_example("blink", RUN_FOR_MS);
    let host_binary = build_device(&repo_root().join("generated").join("blink"), "host");

    // Both run at once: the same three seconds serve both.
    let mut board = Running::spawn(qemu(&firmware));
    let host = Running::start(&host_binary);

    let host_lines = host.read_until(Duration::from_secs(10), |lines| {
        lines
            .iter()
            .filter(|line| without_time(line).is_some())
            .count()
            >= 3
    });
    let (board_lines, status) = board.read_to_end(Duration::from_secs(20));

    let host_debug: Vec<&str> = host_lines.iter().filter_map(|l| without_time(l)).collect();
    let board_debug: Vec<&str> = board_lines
        .iter()
        .filter_map(|line| without_uptime(line))
        .collect();
    assert_eq!(
        host_debug, ["[host] [debug:led] blink : on"; 3],
        "host output: {host_lines:#?}"
    );
    assert_eq!(
        board_debug, host_debug,
        "board output: {board_lines:#?}\nhost output: {host_lines:#?}"
    );
    assert_eq!(
        board_lines.first(),
        host_lines.first(),
        "both print the same start line"
    );
    assert_eq!(
        board_lines.last().map(String::as_str),
        Some("psos: stopping after 2600 ms"),
        "board output: {board_lines:#?}"
    );
    assert!(
        status.is_some_and(|status| status.success()),
        "QEMU ends with status 0 by semihosting, not {status:?}; output: {board_lines:#?}"
    );
}

#[test]
fn echo_on_qemu_sends_back_what_uart0_receives() {
    let firmware = build_example("echo", RUN_FOR_MS);
    // QEMU connects to the socket as it starts, so it must listen first.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let (accepted, connection) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = accepted.send(listener.accept().map(|(stream, _)| stream));
    });
    let mut board = Running::spawn(qemu_with_uart0_on(&firmware, port));
    let mut stream = connection
        .recv_timeout(Duration::from_secs(20))
        .expect("QEMU connects UART0")
        .expect("the connection is accepted");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");

    // More than the UART's FIFO holds, every byte value, in an order that
    // shows a lost or repeated byte.
    let sent: Vec<u8> = (0..1024u32).map(|index| (index * 7 % 251) as u8).collect();
    let mut writer = stream.try_clone().expect("a second handle");
    let to_send = sent.clone();
    std::thread::spawn(move || writer.write_all(&to_send));
    let mut received = vec![0; sent.len()];
    let read = stream.read_exact(&mut received);
    let (lines, status) = board.read_to_end(Duration::from_secs(20));
    assert!(read.is_ok(), "{read:?}; board output: {lines:#?}");
    assert!(received == sent, "UART0 sent back other bytes");
    assert!(
        status.is_some_and(|status| status.success()),
        "QEMU ends with status 0, not {status:?}; output: {lines:#?}"
    );
}

/// The example's lines that differ from the generated host device.
const EXAMPLE_HEAD: &str = "\
//! The `blink` flow on this board: `generated/blink/host/src/main.rs` with
//! the board's entry instead of the host's, as psosc will generate it for a
//! `qemu-lm3s6965` device (`cargo run --release --example blink`).
#![no_std]
#![no_main]
// TEMPORARY: `forbid` again once the runtime stops allocating; the
// allocator module is the only unsafe code and goes with it.
#![deny(unsafe_code)]
";
const HOST_MAIN: &str = "fn main() {\n    psos::host::run(&DEVICE, &TIMERS)\n}\n";
const BOARD_MAIN: &str = "\
#[psos_board_qemu_lm3s6965::entry]
fn main() -> ! {
    psos_board_qemu_lm3s6965::run(&DEVICE, &TIMERS)
}

// TEMPORARY: a global allocator until the runtime stops using `alloc`.
#[path = \"common/temporary_allocator.rs\"]
mod temporary_allocator;
";

#[test]
fn blink_example_is_the_generated_host_device_with_the_boards_entry() {
    let host = std::fs::read_to_string(repo_root().join("generated/blink/host/src/main.rs"))
        .expect("the generated host device");
    // Without the generated header and module docs, and its `forbid`.
    let body: String = host
        .lines()
        .skip_while(|line| line.starts_with("//"))
        .filter(|line| *line != "#![forbid(unsafe_code)]")
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        body.ends_with(HOST_MAIN),
        "the host device ends with its main"
    );
    let body = body.replace(HOST_MAIN, BOARD_MAIN);
    let expected = rustfmt(&format!("{EXAMPLE_HEAD}{body}"));

    let path = board_dir().join("examples").join("blink.rs");
    if std::env::var_os("PSOS_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("the example is written");
    }
    let actual = std::fs::read_to_string(&path).expect("the example");
    assert!(
        actual == expected,
        "{} is stale; to rewrite it: PSOS_BLESS=1 cargo test -p psos-tests --test qemu",
        path.display()
    );
}

fn rustfmt(source: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(source.as_bytes()).expect("rustfmt reads");
    drop(stdin);
    let output = child.wait_with_output().expect("rustfmt ends");
    assert!(output.status.success(), "rustfmt failed on:\n{source}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_board_crate_is_formatted_and_clippy_clean_for_its_target() {
    let board = board_dir();
    cargo(&board, &["fmt", "--check"]);
    cargo(
        &board,
        &["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"],
    );
}

/// The proof that a device build needs neither an allocator nor the
/// `alloc` crate: rustc refuses to link a program in which any crate uses
/// `alloc` unless a `#[global_allocator]` exists, so a firmware that links
/// while no crate of it declares one uses no `alloc` at all.
#[test]
#[ignore = "the runtime still uses alloc; when it stops, delete the example's temporary allocator and this line"]
fn blink_links_with_no_allocator() {
    for dir in [
        board_dir().join("src"),
        board_dir().join("examples"),
        repo_root().join("runtime").join("src"),
    ] {
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).expect("readable");
            assert!(
                !text.contains("global_allocator"),
                "{} declares a global allocator",
                file.display()
            );
        }
    }
    build_example("blink", RUN_FOR_MS);
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}
