//! What the end-to-end tests share: where things are, building generated
//! crates into one shared target directory, and running a device for a while.

#![allow(dead_code)]

pub mod mosquitto;
pub mod node_red;
pub mod qemu;
// Each test binary compiles this module; not all of them start a broker.
#[allow(unused_imports)]
pub use mosquitto::Mosquitto;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a test waits for what takes a second or less on a quiet
/// machine (a device's lines, a broker's answer, a device finding its
/// broker again): on a busy one, beside builds, QEMU and Node-RED, a
/// process may get no time for seconds. Each wait ends as soon as what it
/// waits for has happened, so only a failing test waits this long.
pub const WAIT: Duration = Duration::from_secs(60);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// Every generated crate of every test builds into this one directory, so
/// the runtime and its dependencies are compiled once.
pub fn shared_target_dir() -> PathBuf {
    repo_root().join("target").join("generated-crates")
}

/// The flow files in `flows/`, sorted.
pub fn example_flows() -> Vec<PathBuf> {
    let mut flows: Vec<PathBuf> = std::fs::read_dir(repo_root().join("flows"))
        .expect("flows/ exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    flows.sort();
    flows
}

/// Checks a flow file and panics with the rendered diagnostics on errors.
pub fn check_flow(path: &Path) -> psosc::ir::Flow {
    let text = std::fs::read_to_string(path).expect("the flow is readable");
    let name = path
        .file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned();
    let source = psosc::SourceFile::new(name, text).in_dir(path.parent().expect("a directory"));
    let environment = |name: &str| std::env::var(name).ok();
    let (flow, diagnostics) = psosc::check(&source, &environment);
    flow.unwrap_or_else(|| {
        panic!(
            "{}",
            psosc::diagnostic::render_human(
                &diagnostics,
                &source,
                psosc::diagnostic::Style::Plain { width: 100 }
            )
        )
    })
}

/// Checks a flow of `tests/flows/`, writes its crates into a temporary
/// directory and holds them to clippy's bar, as generated code must be.
pub fn build_test_flow(name: &str) -> (tempfile::TempDir, psosc::ir::Flow) {
    let flow = check_flow(
        &repo_root()
            .join("tests")
            .join("flows")
            .join(format!("{name}.json")),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    psosc::output::write_crates(&flow, dir.path(), &repo_root().join("runtime"))
        .expect("the crates are written");
    cargo(dir.path(), &["clippy", "--quiet", "--", "-D", "warnings"]);
    (dir, flow)
}

/// The debug lines (without time stamps) of a device, once it has printed
/// `count` of them or `timeout` has passed.
pub fn debug_lines(device: &Running, count: usize, timeout: Duration) -> Vec<String> {
    device
        .read_until(timeout, |lines| {
            lines
                .iter()
                .filter(|line| without_time(line).is_some())
                .count()
                >= count
        })
        .iter()
        .filter_map(|line| without_time(line).map(str::to_string))
        .collect()
}

/// Runs cargo in a generated workspace with the shared target directory.
pub fn cargo(workspace: &Path, args: &[&str]) {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .status()
        .expect("cargo starts");
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        workspace.display()
    );
}

/// Builds a generated workspace and returns the path of a device's binary.
pub fn build_device(workspace: &Path, device: &str) -> PathBuf {
    cargo(workspace, &["build", "--quiet", "--package", device]);
    shared_target_dir().join("debug").join(device)
}

/// A running device whose process is killed when this is dropped, so no
/// test leaves a process behind, even when it fails.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    pub fn start(binary: &Path) -> Self {
        Self::spawn(Command::new(binary))
    }

    /// Starts a command (an emulator, say) and reads its standard output.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("{command:?} starts: {error}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            // Split on '\n' only: a '\r' the device printed stays in the line.
            let mut reader = BufReader::new(stdout);
            let mut buffer = Vec::new();
            while matches!(reader.read_until(b'\n', &mut buffer), Ok(n) if n > 0) {
                if buffer.last() == Some(&b'\n') {
                    buffer.pop();
                }
                let line = String::from_utf8_lossy(&buffer).into_owned();
                buffer.clear();
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Collects output lines until `done` says enough, or the time is up.
    pub fn read_until(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        while !done(&lines) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => break,
            }
        }
        lines
    }
}

impl Running {
    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has not ended yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Asks the device to stop, as `psosc run` does, with SIGTERM: it says
    /// goodbye to its broker and prints its error counts.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        assert!(
            status.is_ok_and(|status| status.success()),
            "kill -TERM reaches the device"
        );
    }

    /// Collects the output until the process closes it, then waits for its
    /// exit status; `None` if it has not ended when the time is up.
    pub fn read_to_end(&mut self, timeout: Duration) -> (Vec<String>, Option<ExitStatus>) {
        let deadline = Instant::now() + timeout;
        let lines = self.read_until(timeout, |_| false);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return (lines, Some(status)),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                _ => return (lines, None),
            }
        }
    }
}

impl Running {
    /// Kills the process without a word, as a power cut would, and returns
    /// what it printed before it died that was not read yet.
    pub fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipe closes with the process: its reader ends with the lines
        // still in it.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut lines = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            lines.push(line);
        }
        lines
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A debug line without its time stamp: `[device] [debug:name] topic : payload`.
pub fn without_time(line: &str) -> Option<&str> {
    let (stamp, rest) = line.split_once(" - ")?;
    // "26 Nov 05:41:57.945": a day, a month, a time with milliseconds.
    let parts: Vec<&str> = stamp.split(' ').collect();
    let well_formed = parts.len() == 3
        && parts[0].parse::<u8>().is_ok()
        && parts[1].len() == 3
        && parts[2].len() == 12
        && parts[2].as_bytes()[2] == b':'
        && parts[2].as_bytes()[8] == b'.';
    well_formed.then_some(rest)
}
