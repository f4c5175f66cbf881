//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `demo`: `psosc run flows/greenhouse.json --for 10s`: builds the flow's
//!   three devices, starts the embedded MQTT broker and runs them, printing
//!   their debug lines.
//! - `test`: installs what the tests need when it is missing (Debian
//!   packages such as QEMU, rustup targets, the pinned Node-RED from npm),
//!   then checks formatting and lints and runs every test, the workspace's
//!   and each example crate's. CI runs exactly this.
//! - `bench`: the benchmarks that need more than `cargo bench`: the per-hop
//!   cost of generated wiring in instructions (callgrind), and the flash and
//!   RAM of a reference device on thumbv7m, with and without MQTT
//!   (`cargo xtask bench sizes` measures only the sizes).

mod bench;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "demo" => demo(),
        "test" => test(),
        "bench" => match std::env::args().nth(2).as_deref() {
            Some("sizes") => bench::sizes(),
            _ => bench::hops().and_then(|()| bench::sizes()),
        },
        _ => Err(
            "usage: cargo xtask demo | cargo xtask test | cargo xtask bench [sizes]".to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs a command in a directory, failing with its name if it fails.
fn run(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|error| format!("cannot start {program}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

/// Whether a program is installed: on the PATH, or where Debian puts
/// daemons (`/usr/sbin`, not on every user's PATH). Looked up rather than
/// run, since not every program has a `--version` that succeeds (Mosquitto's
/// tools have none).
fn has_program(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .any(|dir| dir.join(program).is_file())
}

fn demo() -> Result<(), String> {
    // `psosc run` does it all: generates the crates, builds the devices,
    // starts its own MQTT broker, runs the three devices and stops them.
    run(
        &root(),
        env!("CARGO"),
        &[
            "run",
            "--quiet",
            "--package",
            "psosc",
            "--",
            "run",
            "flows/greenhouse.json",
            "--for",
            "10s",
        ],
    )
}

/// Debian packages the tests use, by the program that shows each is there.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("npm", "npm"),
    ("node", "nodejs"),
    ("qemu-system-arm", "qemu-system-arm"),
    // A private broker per test (tests/support/mosquitto.rs), and the real
    // clients that publish and subscribe to it.
    ("mosquitto", "mosquitto"),
    ("mosquitto_pub", "mosquitto-clients"),
    ("mosquitto_sub", "mosquitto-clients"),
];

/// Rust targets the tests build firmware for (the `qemu-lm3s6965` board).
const RUST_TARGETS: &[&str] = &["thumbv7m-none-eabi"];

fn install_prerequisites(root: &Path) -> Result<(), String> {
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .filter(|(program, _)| !has_program(program))
        .map(|(_, package)| *package)
        .collect();
    // One package can bring several of the programs.
    missing.dedup();
    if !missing.is_empty() {
        run(root, "apt-get", &["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq"];
        args.extend(&missing);
        run(root, "apt-get", &args)?;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|error| format!("cannot start rustup: {error}"))?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    for target in RUST_TARGETS {
        if !installed.lines().any(|line| line.trim() == *target) {
            run(root, "rustup", &["target", "add", target])?;
        }
    }
    let node_red = root.join("tests").join("node-red");
    if !node_red
        .join("node_modules")
        .join("node-red")
        .join("package.json")
        .exists()
    {
        run(
            &node_red,
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        )?;
    }
    Ok(())
}

fn test() -> Result<(), String> {
    let root = root();
    let cargo = env!("CARGO");
    install_prerequisites(&root)?;
    run(&root, cargo, &["fmt", "--all", "--", "--check"])?;
    run(
        &root,
        cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run(&root, cargo, &["test", "--workspace", "--all-features"])?;
    // Each example is a workspace of its own, which the commands above do
    // not reach.
    for example in examples(&root)? {
        run(&example, cargo, &["fmt", "--", "--check"])?;
        run(
            &example,
            cargo,
            &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
        )?;
        run(&example, cargo, &["test"])?;
    }
    Ok(())
}

/// The crates under `examples/`, in name order.
fn examples(root: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = root.join("examples");
    let entries = std::fs::read_dir(&dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    let mut examples: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    examples.sort();
    Ok(examples)
}
