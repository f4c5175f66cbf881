//! Building the generated crates with cargo, and finding the binaries it
//! made from its JSON messages rather than guessing the target directory
//! (which `CARGO_TARGET_DIR` or a cargo configuration may move).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{interrupt, RunError};
use crate::ir::{Board, Flow};
use crate::output::OutputError;

/// A built device: what to run, and where its crate is.
#[derive(Clone, Debug)]
pub struct Program {
    pub device: String,
    pub board: Board,
    /// The host binary, or the firmware's ELF file for an emulated board.
    pub executable: PathBuf,
    /// The device's crate, whose `.cargo/config.toml` says how to run it.
    pub crate_dir: PathBuf,
}

/// Builds every device of `flow`, generated in `out_dir`: the `host`
/// devices with one `cargo build` of the workspace, each other device with
/// `cargo build --release` in its own directory, where its configuration
/// selects its target. Cargo's own progress and errors go to standard error.
///
/// All of them build in `OUT_DIR/target`, whatever `CARGO_TARGET_DIR` says:
/// cargo names a path package's build by its path inside its workspace, so
/// the `sensor` of one flow and the `sensor` of another, built in one
/// target directory, look like the same crate, and cargo would call the
/// second one fresh and hand back the first one's binary.
pub fn build(flow: &Flow, out_dir: &Path, tls: bool) -> Result<Vec<Program>, RunError> {
    let target_dir = out_dir
        .canonicalize()
        .map_err(|source| {
            RunError::Output(OutputError::Write {
                path: out_dir.to_path_buf(),
                source,
            })
        })?
        .join("target");
    let cargo = |dir: &Path, args: &[&str], what: &str| cargo(dir, &target_dir, args, what);
    let mut executables = HashMap::new();
    let host_devices: Vec<&str> = flow
        .devices
        .iter()
        .filter(|device| device.board.is_host())
        .map(|device| device.name.as_str())
        .collect();
    if !host_devices.is_empty() {
        let what = format!("{} (host)", host_devices.join(", "));
        eprintln!("psosc: building {what}…");
        let mut args = vec!["build"];
        for device in &host_devices {
            args.extend(["--package", device]);
        }
        if tls {
            // A broker given as mqtts:// in place of the flow's.
            args.extend(["--features", "psos/tls"]);
        }
        executables.extend(cargo(out_dir, &args, &what)?);
    }
    for device in flow.devices.iter().filter(|device| !device.board.is_host()) {
        let what = format!("{} ({})", device.name, device.board.name());
        eprintln!("psosc: building {what}…");
        executables.extend(cargo(
            &out_dir.join(&device.name),
            &["build", "--release"],
            &what,
        )?);
    }
    flow.devices
        .iter()
        .map(|device| {
            let executable =
                executables
                    .remove(&device.name)
                    .ok_or_else(|| RunError::NoBinary {
                        device: device.name.clone(),
                    })?;
            Ok(Program {
                device: device.name.clone(),
                board: device.board,
                executable,
                crate_dir: out_dir.join(&device.name),
            })
        })
        .collect()
}

/// The cargo that runs psosc (`cargo run` sets `CARGO`), else the one on
/// the path.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Runs `cargo ARGS` in `dir` and returns the binaries it built, by name.
/// A Ctrl-C reaches cargo too (it shares psosc's process group); a SIGTERM
/// sent to psosc alone is passed on by killing cargo here.
fn cargo(
    dir: &Path,
    target_dir: &Path,
    args: &[&str],
    what: &str,
) -> Result<HashMap<String, PathBuf>, RunError> {
    let program = cargo_program();
    let mut child = Command::new(&program)
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| RunError::CargoStart {
            program: program.to_string_lossy().into_owned(),
            source,
        })?;
    let messages = child.stdout.take().map(|stdout| {
        std::thread::Builder::new()
            .name("psosc-cargo-messages".into())
            .spawn(move || executables(BufReader::new(stdout)))
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if interrupt::interrupted() => {
                stop(&mut child);
                return Err(RunError::Interrupted);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(source) => {
                stop(&mut child);
                return Err(RunError::CargoStart {
                    program: program.to_string_lossy().into_owned(),
                    source,
                });
            }
        }
    };
    if interrupt::interrupted() {
        return Err(RunError::Interrupted);
    }
    if !status.success() {
        return Err(RunError::Build {
            what: what.to_string(),
            status,
        });
    }
    // The reader ends when cargo closes its output, which it has by now.
    let executables = match messages {
        Some(Ok(reader)) => reader.join().unwrap_or_default(),
        _ => HashMap::new(),
    };
    Ok(executables)
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The binaries named in cargo's JSON messages: each `compiler-artifact` of
/// a `bin` target with an `executable`. Lines that are not such messages
/// are skipped.
fn executables(reader: impl BufRead) -> HashMap<String, PathBuf> {
    let mut found = HashMap::new();
    for line in reader.lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
        let name = message["target"]["name"].as_str();
        let executable = message["executable"].as_str();
        if let (true, Some(name), Some(executable)) = (is_bin, name, executable) {
            found.insert(name.to_string(), PathBuf::from(executable));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(messages: &str, expect: &[(&str, &str)]) {
        let found = executables(messages.as_bytes());
        let mut found: Vec<(String, String)> = found
            .into_iter()
            .map(|(name, path)| (name, path.display().to_string()))
            .collect();
        found.sort();
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(name, path)| (name.to_string(), path.to_string()))
            .collect();
        assert_eq!(found, expect);
    }

    #[test]
    fn binaries_come_from_bin_artifacts_only() {
        check(
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"psos"},"executable":null}
{"reason":"compiler-artifact","target":{"kind":["custom-build"],"name":"build-script-build"},"executable":null}
not json at all
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"sensor"},"executable":"/t/debug/sensor"}
{"reason":"build-finished","success":true}"#,
            &[("sensor", "/t/debug/sensor")],
        );
    }
}
