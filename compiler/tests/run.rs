//! `psosc run` as a user runs it, with real parts: cargo builds the
//! devices, the embedded rumqttd or a real Mosquitto is the broker, host
//! devices run as processes and a `qemu-lm3s6965` device under
//! qemu-system-arm; Mosquitto's clients talk to the embedded broker. A run
//! whose devices must show something is stopped as Ctrl-C stops it once
//! they have shown it, so a busy machine only makes it longer; one run ends
//! by `--for` and one by its devices ending. The test then checks that
//! every device process psosc started is gone.
//!
//! The crates are generated under `target/psos-run-tests/`, which outlives
//! a test run, so only the first run builds from cold.

// Most runs here use the embedded broker.
#![cfg(feature = "embedded-broker")]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Generous: a cold build of the devices' dependencies on a busy two-core
/// machine takes minutes; a warm one takes seconds.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// How much longer than `--for` a run may take to stop its devices and end,
/// and how long after Ctrl-C: psosc gives its devices 2 s to say goodbye.
const STOP_MARGIN: Duration = Duration::from_secs(5);

/// How long a test waits for what a run shows once its devices are built
/// (their lines, the broker's log, the run's end when its devices end by
/// themselves): things that take a second on a quiet machine. The wait
/// ends as soon as it shows.
const WAIT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the compiler sits in the repository")
        .to_path_buf()
}

fn out_dir(name: &str) -> PathBuf {
    repo_root().join("target").join("psos-run-tests").join(name)
}

/// Runs that build in one output directory take turns: two processes
/// writing and building the same crates at once could catch each other
/// half-way.
fn take_turn(lock: &'static Mutex<()>) -> MutexGuard<'static, ()> {
    lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

static GREENHOUSE: Mutex<()> = Mutex::new(());
static GREENHOUSE_QEMU: Mutex<()> = Mutex::new(());

/// A `psosc run` in progress, its standard error read line by line as it
/// comes and its standard output collected. Dropping it stops psosc as
/// Ctrl-C would, so a failing test leaves no device behind either.
struct Run {
    child: Child,
    stderr: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
    stdout: mpsc::Receiver<String>,
    stdout_seen: Vec<String>,
}

impl Run {
    fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_psosc"))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psosc starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        Run {
            child,
            stderr: read_lines(stderr),
            stderr_seen: Vec::new(),
            stdout: read_lines(stdout),
            stdout_seen: Vec::new(),
        }
    }

    /// Reads standard error until a line gives `Some`.
    fn wait_for<T>(&mut self, timeout: Duration, mut find: impl FnMut(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        if let Some(found) = self.stderr_seen.iter().find_map(|line| find(line)) {
            return found;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let found = find(&line);
                    self.stderr_seen.push(line);
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "psosc did not print what was awaited in {timeout:?}; its standard error:\n{}",
                    self.stderr_seen.join("\n")
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "psosc closed its standard error before printing what was awaited:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    /// Reads standard output until `done` holds for all of it so far.
    fn wait_for_output(&mut self, timeout: Duration, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.stdout_seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => self.stdout_seen.push(line),
                Err(_) => panic!(
                    "the devices did not print what was awaited in {timeout:?}; their output:\n{}\npsosc's standard error:\n{}",
                    self.stdout_seen.join("\n"),
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    /// Stops the run as Ctrl-C does, once the test has seen what it
    /// needs, and checks that psosc ended well, saying so, and left none of
    /// its devices behind; returns psosc's standard error and output.
    fn stop(self) -> (Vec<String>, Vec<String>) {
        let devices = self.started_devices();
        self.interrupt();
        let (status, stderr, stdout) = self.finish(STOP_MARGIN);
        assert_ended_saying(status, &stderr, "psosc: interrupted; stopping the devices");
        assert_all_gone(&devices);
        (stderr, stdout)
    }

    /// Stops the run as Ctrl-C in its terminal would: SIGINT to psosc
    /// alone, which stops its devices.
    fn interrupt(&self) {
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill starts");
        assert!(interrupted.success(), "kill -INT reaches psosc");
    }

    /// Waits for psosc to end; returns its status, all of its standard
    /// error and its standard output.
    fn finish(mut self, timeout: Duration) -> (ExitStatus, Vec<String>, Vec<String>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("psosc can be waited for") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "psosc did not end within {timeout:?}; its standard error:\n{}",
                self.stderr_seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = std::mem::take(&mut self.stderr_seen);
        stderr.extend(self.stderr.try_iter());
        // The pipe closes once psosc and its devices are gone.
        let mut stdout = std::mem::take(&mut self.stdout_seen);
        stdout.extend(self.stdout.iter());
        (status, stderr, stdout)
    }

    /// The devices psosc says it started, with their pids.
    fn started_devices(&self) -> Vec<(String, u32)> {
        self.stderr_seen
            .iter()
            .filter_map(|line| started_device(line))
            .collect()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM, which psosc handles like Ctrl-C, stopping its devices.
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lines(from: impl Read) -> impl Iterator<Item = String> {
    BufReader::new(from)
        .split(b'\n')
        .map_while(Result::ok)
        .map(|line| String::from_utf8_lossy(&line).into_owned())
}

/// The lines of a pipe as they come, read on a thread of its own; the
/// channel closes with the pipe.
fn read_lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines(from) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// `psosc: started sensor (host, pid 1234)` → ("sensor", 1234).
fn started_device(line: &str) -> Option<(String, u32)> {
    let rest = line.strip_prefix("psosc: started ")?;
    let (name, rest) = rest.split_once(" (")?;
    let pid = rest.split_once("pid ")?.1.strip_suffix(')')?.parse().ok()?;
    Some((name.to_string(), pid))
}

/// `psosc: broker listening on 127.0.0.1:PORT (MQTT 5)` → PORT, for a
/// protocol level.
fn broker_port(line: &str, level: &str) -> Option<u16> {
    let rest = line.strip_prefix("psosc: broker listening on ")?;
    let (address, protocol) = rest.split_once(' ')?;
    (protocol == format!("(MQTT {level})")).then_some(())?;
    address.rsplit_once(':')?.1.parse().ok()
}

/// The running process with this pid, if it is still the device's: a pid
/// reused by an unrelated process since does not count.
fn device_is_running(pid: u32, device: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(device))
}

/// A file of a running process under /proc, as NUL-separated entries. Just
/// after `exec` the kernel shows it empty for a moment, so an empty read is
/// tried again.
fn proc_entries(pid: u32, file: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let bytes = std::fs::read(format!("/proc/{pid}/{file}")).unwrap_or_default();
        if !bytes.is_empty() || Instant::now() >= deadline {
            return bytes
                .split(|byte| *byte == 0)
                .filter(|entry| !entry.is_empty())
                .map(|entry| String::from_utf8_lossy(entry).into_owned())
                .collect();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn environment_of(pid: u32) -> Vec<String> {
    proc_entries(pid, "environ")
}

fn command_line_of(pid: u32) -> String {
    proc_entries(pid, "cmdline").join(" ")
}

/// Checks that psosc ended well, having said `said` on its standard error.
fn assert_ended_saying(status: ExitStatus, stderr: &[String], said: &str) {
    assert!(
        status.success(),
        "psosc: {status}; standard error:\n{}",
        stderr.join("\n")
    );
    assert!(
        stderr.iter().any(|line| line == said),
        "no {said:?} in its standard error:\n{}",
        stderr.join("\n")
    );
}

fn assert_all_gone(devices: &[(String, u32)]) {
    for (device, pid) in devices {
        assert!(
            !device_is_running(*pid, device),
            "device {device} (pid {pid}) outlived psosc"
        );
    }
}

/// A device's output line split into its prefix (the padded name) and the
/// line as the device printed it.
fn split_prefixed(line: &str) -> Option<(&str, &str)> {
    line.split_once(" | ")
}

/// A debug line without its time stamp, `26 Nov 05:41:57.945` on the host
/// or an uptime `00:00:01.100` on an emulated board.
fn without_time(line: &str) -> Option<&str> {
    let (stamp, rest) = line.split_once(" - ")?;
    let host = stamp.len() == 19 && stamp.as_bytes()[2] == b' ' && stamp.as_bytes()[9] == b':';
    let uptime = stamp.len() == 12 && stamp.as_bytes()[2] == b':' && stamp.as_bytes()[8] == b'.';
    (host || uptime).then_some(rest)
}

/// The lines each device printed (without prefix), checking on the way
/// that every prefix is its device's name padded to the longest name.
fn lines_by_device(stdout: &[String], width: usize) -> Vec<(String, String)> {
    stdout
        .iter()
        .map(|line| {
            let (prefix, rest) =
                split_prefixed(line).unwrap_or_else(|| panic!("{line:?} has no device prefix"));
            assert_eq!(prefix.len(), width, "{line:?}: prefixes are aligned");
            (prefix.trim_end().to_string(), rest.to_string())
        })
        .collect()
}

fn program(name: &str) -> Command {
    // Debian puts the broker in /usr/sbin, which a user's PATH may lack.
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.exists() {
        Command::new(sbin)
    } else {
        Command::new(name)
    }
}

fn mosquitto_client(name: &str, args: &[String]) -> std::process::Output {
    program(name).args(args).output().unwrap_or_else(|error| {
        panic!("{name} starts ({error}); install mosquitto-clients (cargo xtask test does)")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn greenhouse_runs_its_three_devices_on_the_embedded_broker_and_leaves_none_behind() {
    let _turn = take_turn(&GREENHOUSE);
    let out = out_dir("greenhouse");
    let out = out.to_str().expect("a UTF-8 path");
    // Until Ctrl-C, which comes once the devices have printed what the
    // test looks for: messages cross the broker twice for the actuator's
    // line, however long that takes on a busy machine.
    let mut run = Run::start(&["run", "flows/greenhouse.json", "-o", out]);
    let v5 = run.wait_for(BUILD_TIMEOUT, |line| broker_port(line, "5"));
    let v311 = run.wait_for(WAIT, |line| broker_port(line, "3.1.1"));
    run.wait_for(WAIT, |line| {
        line.starts_with("psosc: running 3 devices until Ctrl-C")
            .then_some(())
    });
    let devices = run.started_devices();
    let names: Vec<&str> = devices.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["sensor", "controller", "actuator"]);

    // The embedded broker serves real clients at both protocol levels, on
    // one router: a retained message published over MQTT 5 is read back
    // over MQTT 5 and over MQTT 3.1.1.
    let published = mosquitto_client(
        "mosquitto_pub",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &v5.to_string(),
            "-V",
            "mqttv5",
            "-q",
            "1",
            "-r",
            "-i",
            "psosc-test-pub",
            "-t",
            "psosc-test/hello",
            "-m",
            "hi",
        ]
        .map(str::to_string),
    );
    assert!(published.status.success(), "mosquitto_pub: {published:?}");
    for (port, version, id) in [
        (v5, "mqttv5", "psosc-test-sub5"),
        (v311, "mqttv311", "psosc-test-sub311"),
    ] {
        let received = mosquitto_client(
            "mosquitto_sub",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-V",
                version,
                "-i",
                id,
                "-t",
                "psosc-test/#",
                "-C",
                "1",
                "-W",
                "60",
            ]
            .map(str::to_string),
        );
        assert_eq!(
            String::from_utf8_lossy(&received.stdout).trim(),
            "hi",
            "mosquitto_sub over {version}: {received:?}"
        );
    }

    // Host devices are told where the broker is.
    for (device, pid) in &devices {
        let broker = format!("PSOS_BROKER=mqtt://127.0.0.1:{v5}");
        assert!(
            environment_of(*pid).contains(&broker),
            "device {device} runs without {broker}"
        );
    }

    // The controller has no input of its own and the actuator's command
    // comes from the controller: those lines crossed the embedded broker.
    let expect = [
        ("sensor", "[sensor] [debug:temperature] greenhouse/temperature : 31.5"),
        ("controller", "[controller] [debug:command] greenhouse/command : {\"fan\":true,\"heater\":false}"),
        (
            "actuator",
            "[actuator] [debug:actuators] greenhouse/actuators : {\"payload\":{\"fan\":false,\"heater\":false},\"topic\":\"greenhouse/actuators\"}",
        ),
        (
            "actuator",
            "[actuator] [debug:actuators] greenhouse/command : {\"payload\":{\"fan\":true,\"heater\":false},\"topic\":\"greenhouse/command\"}",
        ),
    ];
    run.wait_for_output(WAIT, |lines| {
        expect.iter().all(|(device, debug)| {
            lines.iter().any(|line| {
                split_prefixed(line).is_some_and(|(prefix, rest)| {
                    prefix.trim_end() == *device && without_time(rest) == Some(*debug)
                })
            })
        })
    });
    let (_, stdout) = run.stop();

    let printed = lines_by_device(&stdout, "controller".len());
    for (device, debug) in expect {
        let own: Vec<&str> = printed
            .iter()
            .filter(|(name, _)| name == device)
            .map(|(_, line)| line.as_str())
            .collect();
        assert_eq!(
            own.first().copied(),
            Some(format!("psos: device {device} of greenhouse.json started").as_str()),
            "all output:\n{}",
            stdout.join("\n")
        );
        assert!(
            own.iter().any(|line| without_time(line) == Some(debug)),
            "no {debug:?} from {device}; all output:\n{}",
            stdout.join("\n")
        );
    }
}

/// `--for` ends a run by itself, within [`STOP_MARGIN`] of the time: what
/// the devices do meanwhile is the other tests' business.
#[test]
fn a_run_for_a_while_ends_by_itself_and_leaves_no_device_behind() {
    let _turn = take_turn(&GREENHOUSE);
    let out = out_dir("greenhouse");
    let out = out.to_str().expect("a UTF-8 path");
    let mut run = Run::start(&["run", "flows/greenhouse.json", "--for", "2s", "-o", out]);
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices for 2s")
            .then_some(())
    });
    let running_since = Instant::now();
    let devices = run.started_devices();
    assert_eq!(devices.len(), 3, "{devices:?}");
    let (status, stderr, _) = run.finish(WAIT);
    let took = running_since.elapsed();
    assert_ended_saying(status, &stderr, "psosc: time is up; stopping the devices");
    assert!(
        took < Duration::from_secs(2) + STOP_MARGIN,
        "the run took {took:?} after the devices started"
    );
    assert_all_gone(&devices);
}

#[test]
fn devices_that_end_by_themselves_end_the_run() {
    let _turn = take_turn(&GREENHOUSE);
    let out = out_dir("greenhouse");
    let out = out.to_str().expect("a UTF-8 path");
    // Host devices read PSOS_RUN_FOR_MS when they start: they stop by
    // themselves, with status 0, and psosc with them.
    let mut run = Run::start_with_env(
        &["run", "flows/greenhouse.json", "-o", out],
        &[("PSOS_RUN_FOR_MS", "1000")],
    );
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices until Ctrl-C")
            .then_some(())
    });
    let devices = run.started_devices();
    let (status, stderr, _) = run.finish(WAIT);
    assert!(
        status.success(),
        "psosc: {status}; standard error:\n{}",
        stderr.join("\n")
    );
    for (device, _) in &devices {
        let ended = format!("psosc: device {device} ended (exit status: 0)");
        assert!(
            stderr.contains(&ended),
            "no {ended:?} in:\n{}",
            stderr.join("\n")
        );
    }
    assert!(stderr
        .iter()
        .any(|line| line == "psosc: every device has ended"));
    assert_all_gone(&devices);
}

#[test]
fn ctrl_c_stops_every_device() {
    let _turn = take_turn(&GREENHOUSE);
    let out = out_dir("greenhouse");
    let out = out.to_str().expect("a UTF-8 path");
    let mut run = Run::start(&["run", "flows/greenhouse.json", "-o", out]);
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices until Ctrl-C")
            .then_some(())
    });
    assert_eq!(run.started_devices().len(), 3);
    // The terminal sends Ctrl-C's SIGINT to its foreground process group,
    // which holds psosc but not the devices, each in a group of its own.
    run.stop();
}

/// flows/greenhouse.json with its actuator on the `qemu-lm3s6965` board.
fn greenhouse_with_an_emulated_actuator() -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("flows").join("greenhouse.json"))
        .expect("the greenhouse flow");
    let mut flow: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    for node in flow.as_array_mut().expect("a flow array") {
        if node["type"] == "psos-device" && node["name"] == "actuator" {
            node["board"] = "qemu-lm3s6965".into();
        }
    }
    let path = out_dir("greenhouse-qemu.json");
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("a writable target");
    std::fs::write(&path, flow.to_string()).expect("the flow is written");
    path
}

/// A private Mosquitto on a free loopback port, its log on standard error.
struct Mosquitto {
    child: Child,
    port: u16,
    log: mpsc::Receiver<String>,
    _config: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Self {
        Self::start_with("allow_anonymous true\n", None)
    }

    /// A broker that lets in only this user with this password.
    fn start_with_password(user: &str, password: &str) -> Self {
        let config = tempfile::tempdir().expect("a temporary directory");
        let passwords = config.path().join("passwords");
        let status = program("mosquitto_passwd")
            .args(["-c", "-b"])
            .arg(&passwords)
            .args([user, password])
            .status()
            .expect("mosquitto_passwd starts");
        assert!(status.success(), "the password file is written");
        // Mosquitto started as root reads it as its own user.
        for (path, mode) in [(config.path(), 0o711), (passwords.as_path(), 0o644)] {
            let mut permissions = std::fs::metadata(path).expect("it exists").permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, mode);
            std::fs::set_permissions(path, permissions).expect("readable");
        }
        let access = format!(
            "allow_anonymous false\npassword_file {}\n",
            passwords.display()
        );
        Self::start_with(&access, Some(config))
    }

    /// A port found free can be taken by another process before the broker
    /// binds it; the broker then exits, and another port is tried.
    fn start_with(access: &str, config: Option<tempfile::TempDir>) -> Self {
        let config = config.unwrap_or_else(|| tempfile::tempdir().expect("a temporary directory"));
        for _ in 0..5 {
            let port = free_port();
            let path = config.path().join("mosquitto.conf");
            std::fs::write(
                &path,
                format!("listener {port} 127.0.0.1\n{access}log_dest stderr\n"),
            )
            .expect("the configuration is written");
            let mut child = program("mosquitto")
                .arg("-c")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|error| {
                    panic!("mosquitto starts ({error}); install mosquitto (cargo xtask test does)")
                });
            let log = read_lines(child.stderr.take().expect("stderr is piped"));
            // It says it runs once its listener is open; its log ends
            // when it exits.
            let deadline = Instant::now() + WAIT;
            let running = loop {
                match log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) if line.contains("running") => break true,
                    Ok(_) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break false,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!("mosquitto did not start within {WAIT:?}");
                    }
                }
            };
            if running {
                return Mosquitto {
                    child,
                    port,
                    log,
                    _config: config,
                };
            }
            let _ = child.wait();
        }
        panic!("mosquitto exited while starting, five times");
    }

    fn wait_for_log(&self, find: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match self.log.recv_timeout(Duration::from_millis(100)) {
                Ok(line) if find(&line) => return,
                Ok(line) => seen.push(line),
                Err(_) => {}
            }
        }
        panic!(
            "mosquitto's log did not show what was awaited:\n{}",
            seen.join("\n")
        );
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_qemu_device_runs_beside_host_devices_with_uart0_bridged_to_the_broker() {
    let _turn = take_turn(&GREENHOUSE_QEMU);
    let flow = greenhouse_with_an_emulated_actuator();
    let flow = flow.to_str().expect("a UTF-8 path");
    let out = out_dir("greenhouse-qemu");
    let out = out.to_str().expect("a UTF-8 path");

    // On the embedded broker: the actuator's debug line below is the
    // controller's message, which only the bridge brings to it. Each run
    // here lasts until Ctrl-C, which comes once it has shown what it must.
    let mut run = Run::start(&["run", flow, "-o", out]);
    let v5 = run.wait_for(BUILD_TIMEOUT, |line| broker_port(line, "5"));
    run.wait_for(WAIT, |line| {
        line.starts_with("psosc: running 3 devices").then_some(())
    });
    let devices = run.started_devices();
    let (_, qemu) = devices
        .iter()
        .find(|(name, _)| name == "actuator")
        .expect("the actuator started");
    // And QEMU dials again when the connection closes (the option's name
    // depends on QEMU's version).
    let bridge =
        format!("socket,id=uart0,host=127.0.0.1,port={v5},server=off,nodelay=on,reconnect");
    let command_line = command_line_of(*qemu);
    let expected = [
        "psos: device actuator of greenhouse-qemu.json started",
        "[actuator] [debug:actuators] greenhouse/actuators : {\"payload\":{\"fan\":false,\"heater\":false},\"topic\":\"greenhouse/actuators\"}",
    ];
    let printed_by_actuator = |lines: &[String], expect: &str| {
        lines.iter().any(|line| {
            split_prefixed(line).is_some_and(|(prefix, line)| {
                prefix.trim_end() == "actuator"
                    && (line == expect || without_time(line) == Some(expect))
            })
        })
    };
    run.wait_for_output(WAIT, |lines| {
        expected
            .iter()
            .all(|expect| printed_by_actuator(lines, expect))
    });
    let (stderr, stdout) = run.stop();
    assert!(
        command_line.starts_with("qemu-system-arm ") && command_line.contains(&bridge),
        "QEMU's command line {command_line:?} lacks {bridge:?}; psosc's standard error:\n{}",
        stderr.join("\n")
    );
    // Every line carries its device's name, padded alike.
    lines_by_device(&stdout, "controller".len());
    for expect in expected {
        assert!(
            printed_by_actuator(&stdout, expect),
            "no {expect:?} from the actuator; all output:\n{}",
            stdout.join("\n")
        );
    }

    // On a Mosquitto named by --broker: QEMU connects to it, and the host
    // devices are given its address.
    let mosquitto = Mosquitto::start();
    let url = format!("mqtt://127.0.0.1:{}", mosquitto.port);
    let mut run = Run::start(&["run", flow, "--broker", &url, "-o", out]);
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices").then_some(())
    });
    let devices = run.started_devices();
    mosquitto.wait_for_log(|line| line.contains("New connection from 127.0.0.1"));
    for (device, pid) in devices.iter().filter(|(name, _)| name != "actuator") {
        let broker = format!("PSOS_BROKER={url}");
        assert!(
            environment_of(*pid).contains(&broker),
            "device {device} runs without {broker}"
        );
    }
    let (stderr, _) = run.stop();
    assert!(stderr
        .iter()
        .any(|line| line == &format!("psosc: using the broker at {url}")));

    // With no broker where --broker points, psosc warns, and the devices
    // run all the same, waiting for it: QEMU keeps dialling instead of
    // ending with a failure, which would end the run with status 2.
    drop(mosquitto);
    let url = format!("mqtt://127.0.0.1:{}", free_port());
    let mut run = Run::start(&["run", flow, "--broker", &url, "-o", out]);
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices").then_some(())
    });
    let devices = run.started_devices();
    run.wait_for_output(WAIT, |lines| printed_by_actuator(lines, expected[0]));
    let (stderr, stdout) = run.stop();
    assert!(
        stderr
            .iter()
            .any(|line| line
                .starts_with(&format!("psosc: warning: cannot reach the broker at {url}"))),
        "standard error:\n{}",
        stderr.join("\n")
    );
    assert!(
        devices.iter().any(|(name, _)| name == "actuator"),
        "{devices:?}"
    );
    // Every line carries its device's name, padded alike.
    lines_by_device(&stdout, "controller".len());
}

#[test]
fn flow_errors_exit_1_and_bad_arguments_exit_2_before_anything_is_built() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("bad.json"),
        r#"[{"id": "a", "type": "debug", "wires": [["gone"]]}]"#,
    )
    .expect("the flow is written");
    std::fs::write(
        dir.path().join("good.json"),
        r#"[{"id": "a", "type": "debug", "wires": []}]"#,
    )
    .expect("the flow is written");
    let psosc = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_psosc"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("psosc starts")
    };
    let check = |args: &[&str], code: i32, message: &str| {
        let output = psosc(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    };
    check(&["run", "bad.json", "--for", "1s"], 1, "gone");
    check(&["run", "missing.json"], 2, "cannot read missing.json");
    check(
        &["run", "good.json", "--broker", "http://localhost:1883"],
        2,
        "unknown scheme",
    );
    std::fs::write(
        dir.path().join("mcu.json"),
        r#"[{"id": "d", "type": "psos-device", "name": "mcu", "board": "qemu-lm3s6965"},
            {"id": "a", "type": "debug", "device": "d", "wires": []}]"#,
    )
    .expect("the flow is written");
    check(
        &["run", "mcu.json", "--broker", "mqtts://broker.example:8883"],
        2,
        "device mcu (board qemu-lm3s6965) cannot reach a broker over TLS yet",
    );
    check(
        &["run", "good.json", "--secrets", "absent.secrets"],
        2,
        "the secrets file absent.secrets",
    );
    check(
        &["run", "good.json", "--broker", "mqtt://localhost:99999"],
        2,
        "not a port",
    );
    check(&["run", "good.json", "--for", "soon"], 2, "--for");
    // Nothing was generated: the default output directory is still absent.
    assert!(!dir.path().join("target").exists());
}

#[test]
fn credentials_from_a_secrets_file_reach_the_devices_and_nothing_else() {
    let _turn = take_turn(&GREENHOUSE);
    let password = "pw-run-81c4e2-never-printed";
    let mosquitto = Mosquitto::start_with_password("fleet", password);
    let secrets = tempfile::tempdir().expect("a temporary directory");
    let secrets_file = secrets.path().join("broker.secrets");
    std::fs::write(
        &secrets_file,
        format!("# the test broker\nPSOS_MQTT_USERNAME=fleet\nPSOS_MQTT_PASSWORD={password}\n"),
    )
    .expect("the secrets file is written");
    let url = format!("mqtt://127.0.0.1:{}", mosquitto.port);
    let out = out_dir("greenhouse");
    let out = out.to_str().expect("a UTF-8 path");
    let secrets_path = secrets_file.to_str().expect("a UTF-8 path");
    let args = [
        "run",
        "flows/greenhouse.json",
        "--broker",
        &url,
        "--secrets",
        secrets_path,
        "-o",
        out,
    ];
    let mut run = Run::start(&args);
    run.wait_for(BUILD_TIMEOUT, |line| {
        line.starts_with("psosc: running 3 devices").then_some(())
    });
    // The broker let the devices in under the file's user name.
    mosquitto.wait_for_log(|line| {
        line.contains("as psos-greenhouse-sensor") && line.contains("u'fleet'")
    });
    // The commands the devices printed reached the actuator through the
    // password-protected broker; then Ctrl-C stops the run.
    run.wait_for_output(WAIT, |lines| {
        lines
            .iter()
            .any(|line| line.contains("[debug:actuators] greenhouse/command"))
    });
    let (stderr, stdout) = run.stop();
    for line in stdout.iter().chain(&stderr) {
        assert!(!line.contains(password), "printed: {line}");
    }
    // Stopped with SIGTERM, each device said goodbye: its retained status
    // is `offline`, published by itself, not a will.
    let retained = mosquitto_client(
        "mosquitto_sub",
        &[
            "-h".to_string(),
            "127.0.0.1".to_string(),
            "-p".to_string(),
            mosquitto.port.to_string(),
            "-u".to_string(),
            "fleet".to_string(),
            "-P".to_string(),
            password.to_string(),
            "-t".to_string(),
            "psos/greenhouse/+/status".to_string(),
            "-C".to_string(),
            "3".to_string(),
            "-W".to_string(),
            "60".to_string(),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&retained.stdout),
        "offline\noffline\noffline\n"
    );
    mosquitto.wait_for_log(|line| line.contains("Client psos-greenhouse-actuator disconnected."));

    // A mistake in the file stops psosc before anything is built, and
    // names the line, not the value.
    std::fs::write(&secrets_file, format!("PSOS_MQTT_PASSWORD {password}\n")).expect("written");
    let run = Run::start(&args);
    let (status, stderr, _) = run.finish(WAIT);
    assert_eq!(status.code(), Some(2), "{}", stderr.join("\n"));
    assert!(
        stderr
            .iter()
            .any(|line| line.contains("line 1 is not NAME=VALUE")),
        "{}",
        stderr.join("\n")
    );
    assert!(stderr.iter().all(|line| !line.contains(password)));
}
