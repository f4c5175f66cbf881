//! Running the devices: the command for each board, each output line
//! forwarded whole with the device's name in front, and every process
//! killed and waited for when the run ends, however it ends.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cargo::Program;
use super::{interrupt, BrokerUrl, RunError};
use crate::ir::Board;

/// Why [`Fleet::supervise`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Interrupted,
    TimeUp,
    EveryDeviceEnded,
}

/// How long stopped devices have to end by themselves before they are
/// killed: a `host` device waits a second at most for its broker.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The running devices. Dropping it kills and waits for every one still
/// running, so an early return cannot leave a process behind.
pub struct Fleet {
    devices: Vec<RunningDevice>,
}

struct RunningDevice {
    name: String,
    child: Child,
    /// How many threads forward its standard output and error, and word
    /// from each when it is done: when every process holding the pipes has
    /// closed them.
    forwarders: usize,
    forwarders_done: mpsc::Receiver<()>,
    /// Set once the process has ended and been waited for.
    status: Option<ExitStatus>,
    /// Whether psosc ended it, in which case its status is no failure.
    stopped_by_psosc: bool,
}

impl Fleet {
    /// Starts every program, in the flow's order of devices.
    pub fn start(
        programs: &[Program],
        broker: &BrokerUrl,
        secrets: &super::Secrets,
    ) -> Result<Self, RunError> {
        let width = programs
            .iter()
            .map(|program| program.device.len())
            .max()
            .unwrap_or(0);
        let mut fleet = Fleet {
            devices: Vec::new(),
        };
        for program in programs {
            let mut command = command(program, broker)?;
            command.envs(secrets.0.iter().map(|(name, value)| (name, value)));
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            // In a process group of its own, a device does not get the
            // terminal's Ctrl-C: psosc stops it, and so tells a device it
            // stopped from one that failed.
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let mut child = command.spawn().map_err(|source| RunError::Spawn {
                device: program.device.clone(),
                program: command.get_program().to_string_lossy().into_owned(),
                source,
            })?;
            eprintln!(
                "psosc: started {} ({}, pid {})",
                program.device,
                program.board.name(),
                child.id()
            );
            let prefix = format!("{:<width$} | ", program.device).into_bytes();
            let (done, forwarders_done) = mpsc::channel();
            let mut forwarders = 0;
            if let Some(stdout) = child.stdout.take() {
                forwarders += forward(stdout, prefix.clone(), Stream::Stdout, done.clone());
            }
            if let Some(stderr) = child.stderr.take() {
                forwarders += forward(stderr, prefix, Stream::Stderr, done);
            }
            fleet.devices.push(RunningDevice {
                name: program.device.clone(),
                child,
                forwarders,
                forwarders_done,
                status: None,
                stopped_by_psosc: false,
            });
        }
        Ok(fleet)
    }

    /// Waits until Ctrl-C, until `run_for` has passed, or until every
    /// device has ended by itself, reporting each device that ends.
    pub fn supervise(&mut self, run_for: Option<Duration>) -> StopReason {
        // A duration too long to add to now (`--for 500000000y`) is no
        // deadline at all.
        let deadline = run_for.and_then(|duration| Instant::now().checked_add(duration));
        loop {
            if interrupt::interrupted() {
                return StopReason::Interrupted;
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return StopReason::TimeUp;
            }
            for device in &mut self.devices {
                if device.status.is_some() {
                    continue;
                }
                if let Ok(Some(status)) = device.child.try_wait() {
                    device.finish(status);
                    eprintln!("psosc: device {} ended ({status})", device.name);
                }
            }
            if self.devices.iter().all(|device| device.status.is_some()) {
                return StopReason::EveryDeviceEnded;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills every device still running and waits for all of them and for
    /// their output. Returns the names of the devices that ended by
    /// themselves with a failure.
    pub fn stop(mut self) -> Vec<String> {
        self.stop_all();
        self.devices
            .iter()
            .filter(|device| {
                !device.stopped_by_psosc && device.status.is_some_and(|status| !status.success())
            })
            .map(|device| device.name.clone())
            .collect()
    }

    fn stop_all(&mut self) {
        // All are asked to stop before any is waited for, so that they stop
        // together: SIGTERM, which a `host` device answers by saying goodbye
        // to its broker (its close message and `offline` status), then
        // SIGKILL for any still running after a grace period. One may have
        // ended by itself since it was last looked at: its status then
        // counts as its own.
        for device in self
            .devices
            .iter_mut()
            .filter(|device| device.status.is_none())
        {
            if let Ok(None) = device.child.try_wait() {
                device.stopped_by_psosc = true;
                let terminated = i32::try_from(device.child.id()).is_ok_and(|pid| {
                    nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGTERM,
                    )
                    .is_ok()
                });
                if !terminated {
                    let _ = device.child.kill();
                }
            }
        }
        let deadline = std::time::Instant::now() + STOP_GRACE;
        while std::time::Instant::now() < deadline
            && self.devices.iter_mut().any(|device| {
                device.status.is_none() && matches!(device.child.try_wait(), Ok(None))
            })
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        for device in self
            .devices
            .iter_mut()
            .filter(|device| device.status.is_none())
        {
            if let Ok(None) = device.child.try_wait() {
                let _ = device.child.kill();
            }
        }
        for device in self
            .devices
            .iter_mut()
            .filter(|device| device.status.is_none())
        {
            match device.child.wait() {
                Ok(status) => device.finish(status),
                // Only a child that cannot be waited for gives an error
                // here; its output threads are let go rather than awaited.
                Err(_) => device.forwarders = 0,
            }
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop_all();
    }
}

impl RunningDevice {
    /// Records the status once the process has ended and lets its last
    /// output through before anything psosc prints about it. A process it
    /// started may still hold its output open: that is waited for a
    /// moment only, so that nothing keeps the run from ending.
    fn finish(&mut self, status: ExitStatus) {
        self.status = Some(status);
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.forwarders > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.forwarders_done.recv_timeout(left).is_err() {
                break;
            }
            self.forwarders -= 1;
        }
        self.forwarders = 0;
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Copies `from` line by line to psosc's stream, each line behind `prefix`
/// and written at once, so that lines of different devices never mix. The
/// line itself passes byte for byte, a `\r` or invalid UTF-8 included.
/// Says on `done` when `from` is closed. Returns how many threads it
/// started: one, or none if the system would not start a thread.
fn forward(
    from: impl Read + Send + 'static,
    prefix: Vec<u8>,
    to: Stream,
    done: mpsc::Sender<()>,
) -> usize {
    let copy = move || {
        let mut reader = BufReader::new(from);
        let mut line = prefix.clone();
        loop {
            line.truncate(prefix.len());
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.last() != Some(&b'\n') {
                line.push(b'\n');
            }
            // A closed stdout (psosc piped into `head`) is no reason to stop
            // reading: the device would block on a full pipe.
            let _ = match to {
                Stream::Stdout => write_line(io::stdout().lock(), &line),
                Stream::Stderr => write_line(io::stderr().lock(), &line),
            };
        }
        let _ = done.send(());
    };
    std::thread::Builder::new()
        .name("psosc-device-output".into())
        .spawn(copy)
        .map_or(0, |_| 1)
}

fn write_line(mut to: impl Write, line: &[u8]) -> io::Result<()> {
    to.write_all(line)?;
    to.flush()
}

/// How to start a device: a `host` binary directly, with the broker's URL
/// in `PSOS_BROKER`; an emulated board with its crate's runner, UART0
/// connected to the broker. Either way with the `[env]` of the crate's
/// cargo configuration, as `cargo run` would.
fn command(program: &Program, broker: &BrokerUrl) -> Result<Command, RunError> {
    let config = CargoConfig::read(&program.crate_dir).map_err(|message| RunError::Device {
        device: program.device.clone(),
        message,
    })?;
    let mut command = match program.board {
        Board::Host => {
            let mut command = Command::new(&program.executable);
            command.envs(&config.env);
            command.env("PSOS_BROKER", broker.to_string());
            command
        }
        Board::QemuLm3s6965 => {
            let runner = config.runner.ok_or_else(|| RunError::Device {
                device: program.device.clone(),
                message: "its .cargo/config.toml names no runner".to_string(),
            })?;
            let words = bridged_runner(&runner, broker).map_err(|message| RunError::Device {
                device: program.device.clone(),
                message,
            })?;
            let (emulator, arguments) = words.split_first().ok_or_else(|| RunError::Device {
                device: program.device.clone(),
                message: "its runner is empty".to_string(),
            })?;
            let mut command = Command::new(emulator);
            command.args(arguments).arg(&program.executable);
            command.envs(&config.env);
            command
        }
    };
    command.current_dir(&program.crate_dir);
    Ok(command)
}

/// The runner's words with UART0, which the runner leaves unconnected
/// (the first `-serial null`), connected to the broker's TCP port by QEMU.
fn bridged_runner(runner: &[String], broker: &BrokerUrl) -> Result<Vec<String>, String> {
    let uart0 = runner
        .windows(2)
        .position(|pair| pair[0] == "-serial" && pair[1] == "null")
        .ok_or("its runner has no `-serial null` for UART0 to connect to the broker")?;
    let emulator = runner.first().ok_or("its runner is empty")?;
    let mut words = runner.to_vec();
    words[uart0 + 1] = "chardev:uart0".to_string();
    words.splice(
        uart0..uart0,
        [
            "-chardev".to_string(),
            uart0_chardev(&broker.host, broker.port, &qemu_version(emulator)),
        ],
    );
    Ok(words)
}

/// QEMU's `-chardev` that connects UART0 to a broker's TCP port, for the
/// QEMU whose `--version` printed `version` (empty if unknown).
///
/// `nodelay` matters: without it every round trip waits ~40 ms. The
/// reconnection matters as much: without it the socket stays closed once
/// the broker closes it (a broker restart), and the device could never
/// reach the broker again; with it, QEMU also starts when the broker is not
/// listening yet, and dials every second until it is. QEMU 9.2 renamed the
/// option (`reconnect`, in seconds, to `reconnect-ms`) and later dropped
/// the old name.
pub fn uart0_chardev(host: &str, port: u16, version: &str) -> String {
    let reconnect = match qemu_release(version) {
        Some(release) if release >= (9, 2) => "reconnect-ms=1000",
        _ => "reconnect=1",
    };
    format!("socket,id=uart0,host={host},port={port},server=off,nodelay=on,{reconnect}")
}

/// What `EMULATOR --version` prints, or nothing when it cannot run.
fn qemu_version(emulator: &str) -> String {
    Command::new(emulator)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

/// The major and minor release in `QEMU emulator version 7.2.22 (...)`.
fn qemu_release(version: &str) -> Option<(u32, u32)> {
    let (_, rest) = version.split_once("version ")?;
    let mut numbers = rest
        .split(|c: char| !c.is_ascii_digit())
        .map(str::parse::<u32>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => Some((major, minor)),
        _ => None,
    }
}

/// What psosc reads from a device crate's `.cargo/config.toml`.
#[derive(Debug, Default)]
struct CargoConfig {
    /// The runner of the first target that has one, split into words.
    runner: Option<Vec<String>>,
    /// The `[env]` table: values as strings, `{ value = "..." }` tables too.
    env: BTreeMap<String, String>,
}

impl CargoConfig {
    fn read(crate_dir: &Path) -> Result<Self, String> {
        let path = crate_dir.join(".cargo").join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // A crate may have no configuration of its own.
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        Self::parse(&text).map_err(|error| format!("cannot read {}: {error}", path.display()))
    }

    fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|error: toml::de::Error| error.to_string())?;
        let runner = table
            .get("target")
            .and_then(toml::Value::as_table)
            .and_then(|targets| {
                targets
                    .values()
                    .find_map(|target| target.get("runner"))
                    .map(|runner| match runner {
                        toml::Value::String(line) => {
                            line.split_whitespace().map(str::to_string).collect()
                        }
                        toml::Value::Array(words) => words
                            .iter()
                            .filter_map(|word| word.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    })
            });
        let env = table
            .get("env")
            .and_then(toml::Value::as_table)
            .map(|env| {
                env.iter()
                    .filter_map(|(name, value)| {
                        let value = match value {
                            toml::Value::Table(entry) => entry.get("value")?.as_str()?,
                            value => value.as_str()?,
                        };
                        Some((name.clone(), value.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self { runner, env })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_runner(runner: &str, expect: Result<&str, &str>) {
        let words: Vec<String> = runner.split_whitespace().map(str::to_string).collect();
        let broker = BrokerUrl {
            host: "127.0.0.1".to_string(),
            port: 1884,
            tls: false,
        };
        match (bridged_runner(&words, &broker), expect) {
            (Ok(words), Ok(expect)) => assert_eq!(words.join(" "), expect),
            (Err(error), Err(fragment)) => assert!(error.contains(fragment), "{error}"),
            (got, expect) => panic!("got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn uart0_is_bridged_to_the_broker() {
        // A runner whose emulator cannot be asked its version gets the
        // older option, which every QEMU before 10 reads.
        check_runner(
            "no-such-qemu -machine lm3s6965evb -serial null -serial stdio -kernel",
            Ok("no-such-qemu -machine lm3s6965evb \
                -chardev socket,id=uart0,host=127.0.0.1,port=1884,server=off,nodelay=on,reconnect=1 \
                -serial chardev:uart0 -serial stdio -kernel"),
        );
        check_runner(
            "qemu-system-arm -serial stdio -kernel",
            Err("no `-serial null`"),
        );
    }

    #[test]
    fn uart0_dials_the_broker_again_with_the_option_its_qemu_reads() {
        let chardev = |version| uart0_chardev("127.0.0.1", 1884, version);
        let tail = |chardev: String| chardev.rsplit(',').next().map(str::to_string);
        for (version, option) in [
            (
                "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n",
                "reconnect=1",
            ),
            ("QEMU emulator version 9.1.0\n", "reconnect=1"),
            ("QEMU emulator version 9.2.0\n", "reconnect-ms=1000"),
            ("QEMU emulator version 10.0.2\n", "reconnect-ms=1000"),
            ("", "reconnect=1"),
            ("QEMU emulator version x\n", "reconnect=1"),
        ] {
            assert_eq!(tail(chardev(version)).as_deref(), Some(option), "{version}");
        }
    }

    #[test]
    fn cargo_configuration_gives_the_runner_and_the_environment() {
        let config = CargoConfig::parse(
            r#"
[target.'cfg(all(target_arch = "arm", target_os = "none"))']
rustflags = ["-C", "link-arg=-Tlink.x"]
runner = "qemu-system-arm -serial null -kernel"

[env]
PSOS_BOARD = "qemu-lm3s6965"
TABLE = { value = "v", force = true }
"#,
        )
        .expect("valid");
        assert_eq!(
            config.runner,
            Some(vec![
                "qemu-system-arm".to_string(),
                "-serial".to_string(),
                "null".to_string(),
                "-kernel".to_string()
            ])
        );
        let env: Vec<(&str, &str)> = config
            .env
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(env, [("PSOS_BOARD", "qemu-lm3s6965"), ("TABLE", "v")]);
        assert!(CargoConfig::parse("[env").is_err());
    }
}
