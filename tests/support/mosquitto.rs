//! A private Mosquitto for one test: its own configuration in a temporary
//! directory, a free loopback port, killed and awaited on drop; and the
//! real `mosquitto_pub` / `mosquitto_sub` clients to talk to it.
//!
//! `cargo xtask test` installs `mosquitto` and `mosquitto-clients` when they
//! are missing. A test that finds them missing fails, saying so: a skipped
//! broker test would pass while proving nothing.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a broker or a subscriber may take to be ready.
const READY_TIMEOUT: Duration = super::WAIT;

/// How many of the broker's last log lines are kept for failure messages.
const LOG_LINES: usize = 200;

/// A Mosquitto broker on `127.0.0.1`, running until stopped or dropped.
pub struct Mosquitto {
    port: u16,
    /// Holds the configuration; deleted on drop.
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The last lines of the broker's log (its standard error).
    log: Arc<Mutex<VecDeque<String>>>,
    /// The user and password clients must give, when the broker wants one.
    credentials: Option<(String, String)>,
    /// A second listener, with TLS, when the broker has one.
    tls_port: Option<u16>,
}

/// What a broker keeps beyond Mosquitto's defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Plain,
    /// Sessions and queued messages across a restart.
    Persistent,
    /// Any number of queued messages per client.
    Unbounded,
    /// A keepalive of at most this many seconds, and a log of every
    /// packet.
    KeepaliveAtMost(u16),
}

/// A message as a subscriber received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    /// Whether the broker sent it from its retained store.
    pub retain: bool,
}

impl Mosquitto {
    /// Starts a broker on a free loopback port and returns once it accepts
    /// connections.
    pub fn start() -> Self {
        Self::start_with(None, Flavour::Plain)
    }

    /// Starts a broker that wants this user and password, with a second
    /// listener on another free port that speaks TLS with a certificate
    /// for `127.0.0.1` and `localhost`, signed by a CA made for it, whose
    /// certificate is [`Self::ca_file`]. The plain listener is for the
    /// test's own clients.
    pub fn start_with_tls(user: &str, password: &str) -> Self {
        let mut failures = Vec::new();
        for _ in 0..5 {
            let mut broker = Self::configure(
                free_port(),
                Some((user.to_string(), password.to_string())),
                Flavour::Plain,
            );
            let tls_port = free_port();
            let (ca, certificate, key) = certificates();
            let file = |name: &str, text: &str| {
                let path = broker.dir.path().join(name);
                std::fs::write(&path, text).expect("a certificate file is written");
                path
            };
            let (ca, certificate, key) = (
                file("ca.pem", &ca),
                file("server.pem", &certificate),
                file("server.key", &key),
            );
            let listener = format!(
                "listener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
                ca.display(),
                certificate.display(),
                key.display()
            );
            let mut config = std::fs::OpenOptions::new()
                .append(true)
                .open(broker.config_path())
                .expect("the config opens");
            config
                .write_all(listener.as_bytes())
                .expect("the config is written");
            // Mosquitto, dropping root, reads the files as its own user.
            for path in [broker.dir.path(), &ca, &certificate, &key] {
                let mut permissions = std::fs::metadata(path).expect("it exists").permissions();
                let mode = if path.is_dir() { 0o711 } else { 0o644 };
                std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, mode);
                std::fs::set_permissions(path, permissions).expect("the file is opened up");
            }
            broker.tls_port = Some(tls_port);
            match broker.spawn() {
                Ok(()) => return broker,
                Err(error) => failures.push(error),
            }
        }
        panic!("mosquitto with TLS did not start:\n{}", failures.join("\n"));
    }

    /// The TLS listener's address as `--broker` takes it.
    pub fn tls_url(&self) -> String {
        let port = self.tls_port.expect("a broker started with TLS");
        format!("mqtts://127.0.0.1:{port}")
    }

    /// The PEM file of the CA that signed the broker's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Starts a broker that lets in only clients with this user and password.
    pub fn start_with_password(user: &str, password: &str) -> Self {
        Self::start_with(
            Some((user.to_string(), password.to_string())),
            Flavour::Plain,
        )
    }

    /// Starts a broker that keeps its sessions, subscriptions and queued
    /// messages in a file when it stops, and takes them back when it starts.
    pub fn start_persistent() -> Self {
        Self::start_with(None, Flavour::Persistent)
    }

    /// Starts a broker that queues any number of messages for a client that
    /// falls behind (Mosquitto drops them past 1000), for bursts.
    pub fn start_unbounded() -> Self {
        Self::start_with(None, Flavour::Unbounded)
    }

    /// Starts a broker that allows a keepalive of at most `seconds`
    /// (Mosquitto 2.0 takes no less than 10): to a client that asks for
    /// more, or for none, its CONNACK names that as the Server Keep Alive.
    /// Its log has a line for every packet, a PINGREQ's too.
    pub fn start_with_max_keepalive(seconds: u16) -> Self {
        Self::start_with(None, Flavour::KeepaliveAtMost(seconds))
    }

    fn start_with(credentials: Option<(String, String)>, flavour: Flavour) -> Self {
        // A port found free can be taken by another process before the
        // broker binds it; the broker then exits, and another port is tried.
        let mut failures = Vec::new();
        for _ in 0..5 {
            let mut broker = Self::configure(free_port(), credentials.clone(), flavour);
            match broker.spawn() {
                Ok(()) => return broker,
                Err(error) => failures.push(error),
            }
        }
        panic!("mosquitto did not start:\n{}", failures.join("\n"));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's address as the flow's `--broker` option takes it.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The broker's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The directory holding the broker's configuration.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    /// The broker's recent log lines.
    pub fn log(&self) -> String {
        let log = self
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        log.iter().map(|line| format!("{line}\n")).collect()
    }

    /// Kills the broker, as a crash or a power cut would, and waits for it
    /// to be gone. Clients see their connections drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the broker as a service manager does, with SIGTERM, and waits
    /// for it to be gone: a persistent broker writes its state on the way.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            assert!(
                status.is_ok_and(|status| status.success()),
                "kill -TERM reaches mosquitto"
            );
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port (stopping it first if it
    /// runs). Retained messages and sessions are kept only by a persistent
    /// broker that was stopped with [`Self::terminate`].
    pub fn restart(&mut self) {
        self.stop();
        // The port is free again at once (Mosquitto binds with
        // SO_REUSEADDR), but another process may have taken it meanwhile:
        // keep trying for a while before failing.
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(error) if Instant::now() > deadline => {
                    panic!("mosquitto did not restart on port {}: {error}", self.port)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Publishes one message with `mosquitto_pub`, the payload given on
    /// standard input so that any bytes go through.
    pub fn publish(&self, topic: &str, payload: &[u8], qos: u8, retain: bool) {
        let mut command = self.client("mosquitto_pub");
        command.args(["-t", topic, "-q", &qos.to_string()]);
        if retain {
            command.arg("-r");
        }
        // `-s` sends standard input whole; an empty message needs `-n`.
        command.arg(if payload.is_empty() { "-n" } else { "-s" });
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("mosquitto_pub starts: {error}"));
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(payload)
            .expect("mosquitto_pub reads its payload");
        drop(stdin);
        let output = child.wait_with_output().expect("mosquitto_pub runs");
        assert!(
            output.status.success(),
            "mosquitto_pub -t {topic} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Sends a request with `mosquitto_rr` (MQTT 5's request/response: a
    /// response topic, and `correlation` as correlation data) and returns
    /// the answer as `mosquitto_rr` prints it (`-F` `format`), or `None`
    /// when no answer comes within `timeout_s` seconds.
    pub fn request(
        &self,
        topic: &str,
        payload: &[u8],
        correlation: &str,
        format: &str,
        timeout_s: u32,
    ) -> Option<String> {
        let mut command = self.client("mosquitto_rr");
        let response_topic = format!("answers/{correlation}");
        command.args([
            "-t",
            topic,
            "-e",
            &response_topic,
            "-q",
            "1",
            "-W",
            &timeout_s.to_string(),
            "-D",
            "publish",
            "correlation-data",
            correlation,
            "-F",
            format,
        ]);
        // `-s` (standard input) sends nothing in this version: the payload
        // goes as an argument, which holds any bytes but NUL.
        if payload.is_empty() {
            command.arg("-n");
        } else {
            command.arg("-m").arg(std::ffi::OsStr::from_bytes(payload));
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("mosquitto_rr runs: {error}"));
        let answer = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
        (output.status.success() && !answer.is_empty()).then_some(answer)
    }

    /// Subscribes with `mosquitto_sub` and collects up to `count` messages
    /// (fewer if `timeout` passes first).
    pub fn subscribe(
        &self,
        topic_filter: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<(String, Vec<u8>)> {
        self.subscriber(topic_filter, count)
            .wait(timeout)
            .into_iter()
            .map(|message| (message.topic, message.payload))
            .collect()
    }

    /// Starts a `mosquitto_sub` at QoS 1 and returns once the broker has
    /// acknowledged the subscription, so that nothing published from then
    /// on is missed. It stops after `count` messages.
    pub fn subscriber(&self, topic_filter: &str, count: usize) -> Subscriber {
        let mut command = self.client("mosquitto_sub");
        // `-d` prints the SUBACK, which says when the subscription stands;
        // each message is one line: retain flag, QoS, payload in hex (which
        // holds any bytes), and the topic last (which may hold spaces).
        command.args([
            "-t",
            topic_filter,
            "-q",
            "1",
            "-C",
            &count.to_string(),
            "-d",
            "-F",
            "msg %r %q %x %t",
        ]);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("mosquitto_sub starts: {error}"));
        let lines = read_lines(child.stdout.take().expect("stdout is piped"));
        let errors = read_lines(child.stderr.take().expect("stderr is piped"));
        let mut subscriber = Subscriber {
            child,
            lines,
            errors,
            received: Vec::new(),
            count,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match subscriber.lines.recv_timeout(left) {
                Ok(line) if line.starts_with("Subscribed (mid:") => return subscriber,
                Ok(line) => subscriber.take(&line),
                Err(_) => panic!(
                    "mosquitto_sub -t {topic_filter} was not subscribed within {READY_TIMEOUT:?}: {}\nbroker log:\n{}",
                    subscriber.error_text(),
                    self.log()
                ),
            }
        }
    }

    /// A client command with what every client here needs: MQTT 5 and this
    /// broker. Each gets a client id of its own from the broker.
    fn client(&self, program: &str) -> Command {
        // The clients write through C's stdio, which buffers a pipe by the
        // block: `stdbuf` makes each line arrive as it is printed.
        let mut command = Command::new(find_program("stdbuf"));
        command.arg("-oL").arg(find_program(program));
        command.args([
            "-V",
            "mqttv5",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
        ]);
        if let Some((user, password)) = &self.credentials {
            command.args(["-u", user, "-P", password]);
        }
        command
    }

    fn configure(port: u16, credentials: Option<(String, String)>, flavour: Flavour) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("psos-mosquitto-")
            .tempdir()
            .expect("a temporary directory");
        // No `log_type all`: under load its log grows by hundreds of
        // megabytes. Persistence only when asked for: a restart then takes
        // back what the broker held when it was terminated.
        let access = match &credentials {
            None => "allow_anonymous true\n".to_string(),
            Some((user, password)) => {
                let file = dir.path().join("passwords");
                let status = Command::new(find_program("mosquitto_passwd"))
                    .args(["-c", "-b"])
                    .arg(&file)
                    .args([user, password])
                    .status()
                    .expect("mosquitto_passwd starts");
                assert!(status.success(), "the password file is written");
                format!("allow_anonymous false\npassword_file {}\n", file.display())
            }
        };
        let persistence = if flavour == Flavour::Persistent {
            // Started as root, Mosquitto drops to the `mosquitto` user,
            // which must be able to reach the directory and write in it.
            let place = dir.path().join("persistence");
            std::fs::create_dir(&place).expect("the persistence directory is made");
            for (path, mode) in [(dir.path(), 0o711), (place.as_path(), 0o777)] {
                let mut permissions = std::fs::metadata(path).expect("it exists").permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, mode);
                std::fs::set_permissions(path, permissions).expect("the directory is opened up");
            }
            format!(
                "persistence true\npersistence_location {}/\n",
                place.display()
            )
        } else {
            String::new()
        };
        let limits = match flavour {
            Flavour::Unbounded => "max_queued_messages 0\n".to_string(),
            // Naming any log type drops the default ones.
            Flavour::KeepaliveAtMost(seconds) => format!(
                "max_keepalive {seconds}\n\
                 log_type error\nlog_type warning\nlog_type notice\n\
                 log_type information\nlog_type debug\n"
            ),
            Flavour::Plain | Flavour::Persistent => String::new(),
        };
        let config = format!(
            "# A private broker for one test.\n\
             listener {port} 127.0.0.1\n\
             {access}\
             {persistence}\
             {limits}\
             log_dest stderr\n"
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("the config is written");
        Self {
            port,
            dir,
            child: None,
            log: Arc::default(),
            credentials,
            tls_port: None,
        }
    }

    /// Starts the broker process and waits until it listens: its log says
    /// it runs (which it says only once its listener is open, so a port
    /// someone else holds cannot pass) and a connection goes through.
    fn spawn(&mut self) -> Result<(), String> {
        let mut child = Command::new(find_program("mosquitto"))
            .arg("-c")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start mosquitto: {error}"))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        self.log = Arc::clone(&log);
        let (running_sender, running) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.ends_with(" running") {
                    let _ = running_sender.send(());
                }
                let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if log.len() == LOG_LINES {
                    log.pop_front();
                }
                log.push_back(line);
            }
        });
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut is_running = false;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "mosquitto exited ({status}) on port {}:\n{}",
                    self.port,
                    self.log()
                ));
            }
            is_running = is_running || running.try_recv().is_ok();
            if is_running
                && TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
            {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "mosquitto did not accept connections on port {} within {READY_TIMEOUT:?}:\n{}",
                    self.port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running `mosquitto_sub`; killed when dropped.
pub struct Subscriber {
    child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
    received: Vec<Received>,
    count: usize,
}

impl Subscriber {
    /// Collects messages until `count` have arrived or `timeout` passes.
    pub fn wait(mut self, timeout: Duration) -> Vec<Received> {
        self.wait_for(self.count, timeout);
        std::mem::take(&mut self.received)
    }

    /// Collects messages until `count` of them (at most the count it
    /// stops after) have arrived in all, or `timeout` passes; how many
    /// have.
    pub fn wait_for(&mut self, count: usize, timeout: Duration) -> usize {
        let count = count.min(self.count);
        self.wait_until(timeout, |received| received.len() >= count);
        self.received.len()
    }

    /// Collects messages until `done` holds for all that have arrived, or
    /// `timeout` passes; whether it holds.
    pub fn wait_until(&mut self, timeout: Duration, done: impl Fn(&[Received]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.received) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.take(&line),
                Err(_) => return false,
            }
        }
        true
    }

    /// Keeps a message line; debug lines are ignored.
    fn take(&mut self, line: &str) {
        let Some(message) = line.strip_prefix("msg ") else {
            return;
        };
        let mut fields = message.splitn(4, ' ');
        let (Some(retain), Some(qos), Some(hex), Some(topic)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            panic!("mosquitto_sub printed an unexpected line: {line:?}");
        };
        self.received.push(Received {
            topic: topic.to_string(),
            payload: from_hex(hex).unwrap_or_else(|| panic!("not hex in {line:?}")),
            qos: qos.parse().expect("a QoS"),
            retain: retain == "1",
        });
    }

    /// What the client printed on standard error (all of it, if it has
    /// ended).
    fn error_text(&self) -> String {
        let mut lines = Vec::new();
        while let Ok(line) = self.errors.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
        lines.join("\n")
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a pipe's lines on a thread of its own, so that the process never
/// blocks on a full pipe.
fn read_lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

/// A port that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A program on the PATH, or where Debian puts daemons (`/usr/sbin`), which
/// is not on every user's PATH.
pub fn find_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: `cargo xtask test` installs what the tests need \
                 (for the broker, apt-get install mosquitto mosquitto-clients)"
            )
        })
}

/// A CA's certificate, and a server certificate it signed for `127.0.0.1`
/// and `localhost` with the server's private key, all in PEM.
pub fn certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("a CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("CA parameters");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "PSOS test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("the CA certificate");
    let server_key = rcgen::KeyPair::generate().expect("a server key");
    let server_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server parameters");
    let server = server_params
        .signed_by(&server_key, &ca)
        .expect("the server certificate");
    (ca.pem(), server.pem(), server_key.serialize_pem())
}
