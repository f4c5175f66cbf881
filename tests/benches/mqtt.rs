//! `cargo bench -p psos-tests --bench mqtt`: latency and throughput of one
//! message through an echo across the broker, on a loopback Mosquitto, for
//! three echoes of the same shape (client → broker → echo → broker →
//! client), measured by the same real clients:
//!
//! - **mosquitto clients**: `mosquitto_sub | mosquitto_pub -l`, the bare
//!   clients relaying each line, the baseline;
//! - **PSOS device**: device `bench-b` of `tests/flows/bench_echo.json`, whose
//!   one node receives over a wire from device `bench-a` and sends over a
//!   wire to device `bench-c`: the bench plays `bench-a` and `bench-c` with the wires' topics and JSON,
//!   so the echo is exactly a device boundary crossed in and out (its
//!   `outbox` holds 1024 messages, for the burst);
//! - **Node-RED**: an `mqtt in` wired to an `mqtt out`.
//!
//! A `mosquitto_pub -l` publishes each line the bench writes (a line
//! carries the time it was written, in nanoseconds), and a `mosquitto_sub`
//! prints each message with the time it arrived (`%U`): latency is the
//! difference, the clock being this machine's. All at QoS 1. Latency comes
//! from messages sent one a millisecond, in rounds that take the three
//! echoes in turn (ABCABC...), so that a burst of stalls on the machine
//! falls on all three alike; the tail is each round's p99, and the
//! comparison is round by round: the median of the rounds' p99s and of the
//! rounds' p99 overheads.
//!
//! Throughput comes from messages sent as fast as the echo returns them
//! with a window in flight, from the first sent to the last received, by an
//! in-process client (rumqttc) that outruns every echo, so that the figure
//! is the echo's and not the command-line clients' (which top out near the
//! bare echo's own rate). On a machine whose cores the broker, the clients
//! and the echo share, that rate says as much about the machine as about
//! the echo; the CPU time the echo's own processes spend (user + system,
//! from `/proc/PID/stat`, over its throughput rounds) per message depends
//! much less on it: messages per CPU-second is about the rate an echo would
//! sustain with a core of its own.
//!
//! `PSOS_BENCH_THROUGHPUT_ONLY=1` leaves out the latency rounds, for
//! iterating on the echoes' throughput: the table then shows no latency.

#[path = "../support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{Event, MqttOptions};
use support::mosquitto::Mosquitto;
use support::node_red::NodeRed;
use support::{build_test_flow, cargo, shared_target_dir, Running};

/// Rounds of latency, each echo once a round; messages an echo gets in a
/// round, and how many of the first are let go by as warm-up.
const ROUNDS: usize = 12;
const LATENCY_MESSAGES: usize = 1100;
const WARM_UP: usize = 100;
/// Rounds of throughput, messages an echo gets in a round, and how many
/// may be in flight.
const THROUGHPUT_ROUNDS: usize = 5;
const BURST: usize = 20_000;
const WINDOW: usize = 1000;

/// One echo: where the bench publishes, where it listens, and how a
/// payload carries the time.
struct Echo {
    name: &'static str,
    input: &'static str,
    output: &'static str,
    wrap: fn(u128) -> String,
    unwrap: fn(&str) -> Option<u128>,
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|time| time.as_nanos())
        .unwrap_or_default()
}

fn plain(time: u128) -> String {
    time.to_string()
}

fn plain_back(payload: &str) -> Option<u128> {
    payload.trim().parse().ok()
}

/// The msg JSON of a wire between devices, its payload the time as text.
fn msg(time: u128) -> String {
    format!(r#"{{"payload":"{time}"}}"#)
}

fn msg_back(payload: &str) -> Option<u128> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    value.get("payload")?.as_str()?.parse().ok()
}

/// Sends `count` messages through an echo, one every `interval` whatever
/// comes back, and returns each one's latency.
fn latencies(broker: &Mosquitto, echo: &Echo, count: usize, interval: Duration) -> Vec<f64> {
    let port = broker.port().to_string();
    let common = ["-h", "127.0.0.1", "-p", &port, "-V", "mqttv5", "-q", "1"];
    let mut sub = Command::new("stdbuf")
        .args(["-oL", "mosquitto_sub"])
        .args(common)
        .args([
            "-t",
            echo.output,
            "-d",
            "-F",
            "%U %p",
            "-C",
            &count.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub starts");
    let (sender, lines) = mpsc::channel();
    let stdout = sub.stdout.take().expect("piped");
    let _sub = Client(sub);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let received = line.split_once(' ').and_then(|(stamp, payload)| {
                let (seconds, nanos) = stamp.split_once('.')?;
                let at =
                    seconds.parse::<u128>().ok()? * 1_000_000_000 + nanos.parse::<u128>().ok()?;
                Some((at, payload.to_string()))
            });
            let subscribed = line.starts_with("Subscribed");
            if sender.send((subscribed, received)).is_err() {
                break;
            }
        }
    });
    // Only once the subscription stands.
    while !matches!(lines.recv_timeout(Duration::from_secs(10)), Ok((true, _))) {}
    let mut publisher = Command::new("mosquitto_pub")
        .args(common)
        // The bench's own window, not the client's default of 20 in flight,
        // limits what is in flight.
        .args(["-t", echo.input, "-l", "-M", "1000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_pub starts");
    let mut stdin = publisher.stdin.take().expect("piped");
    let _publisher = Client(publisher);
    let mut latencies = Vec::with_capacity(count);
    let mut sent = 0;
    let mut next_at = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    while latencies.len() < count && Instant::now() < deadline {
        // Send what is due now.
        while sent < count && Instant::now() >= next_at {
            let line = (echo.wrap)(now_ns());
            stdin
                .write_all(format!("{line}\n").as_bytes())
                .and_then(|()| stdin.flush())
                .expect("mosquitto_pub reads");
            sent += 1;
            next_at += interval;
        }
        // Then take what came back until the next message is due.
        let wait = if sent < count {
            next_at.saturating_duration_since(Instant::now())
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match lines.recv_timeout(wait) {
            Ok((_, Some((at, payload)))) => {
                if let Some(sent_at) = (echo.unwrap)(&payload) {
                    latencies.push(at.saturating_sub(sent_at) as f64 / 1000.0);
                }
            }
            Ok((_, None)) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(stdin);
    assert_eq!(
        latencies.len(),
        count,
        "{}: {} of {count} messages came back",
        echo.name,
        latencies.len()
    );
    latencies
}

/// One MQTT 5 client of the bench's own, its connection driven by a
/// thread that hands every message received to `received`.
fn client(
    broker: &Mosquitto,
    id: &str,
    received: mpsc::Sender<Option<String>>,
) -> rumqttc::v5::Client {
    let mut options = MqttOptions::new(id, "127.0.0.1", broker.port());
    options.set_outgoing_inflight_upper_limit(u16::MAX);
    options.set_keep_alive(Duration::from_secs(60));
    let (client, mut connection) = rumqttc::v5::Client::new(options, BURST);
    std::thread::spawn(move || {
        for event in connection.iter() {
            let message = match event {
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    Some(String::from_utf8_lossy(&publish.payload).into_owned())
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => None,
                Ok(_) => continue,
                Err(_) => break,
            };
            if received.send(message).is_err() {
                break;
            }
        }
    });
    client
}

/// Sends `count` messages through an echo as fast as it returns them, with
/// `window` in flight, and returns the time from the first sent to the
/// last received.
fn throughput(broker: &Mosquitto, echo: &Echo, count: usize, window: usize) -> Duration {
    let (sender, arrivals) = mpsc::channel();
    let subscriber = client(broker, &format!("bench-sink-{}", echo.input), sender);
    subscriber
        .subscribe(echo.output, QoS::AtLeastOnce)
        .expect("the bench's subscriber subscribes");
    // Only once the subscription stands.
    while !matches!(arrivals.recv_timeout(Duration::from_secs(10)), Ok(None)) {}
    let (ignored, _) = mpsc::channel();
    let publisher = client(broker, &format!("bench-source-{}", echo.input), ignored);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let (mut sent, mut back) = (0, 0);
    while back < count && Instant::now() < deadline {
        while sent < count && sent - back < window {
            publisher
                .publish(echo.input, QoS::AtLeastOnce, false, (echo.wrap)(now_ns()))
                .expect("the bench's publisher publishes");
            sent += 1;
        }
        match arrivals.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Some(payload)) => {
                if (echo.unwrap)(&payload).is_some() {
                    back += 1;
                }
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
    let elapsed = started.elapsed();
    let _ = publisher.disconnect();
    let _ = subscriber.disconnect();
    assert_eq!(
        back, count,
        "{}: {back} of {count} messages came back",
        echo.name
    );
    elapsed
}

/// The CPU time (user + system) a set of processes has spent so far.
fn cpu_time(pids: &[u32]) -> Duration {
    let ticks_per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok())
        .unwrap_or(100u64);
    let ticks: u64 = pids
        .iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_else(|error| panic!("process {pid}'s /proc/PID/stat: {error}"));
            // After the command's name in parentheses: state is field 3,
            // utime 14 and stime 15.
            let (_, fields) = stat.rsplit_once(')').expect("a stat line");
            let fields: Vec<&str> = fields.split_whitespace().collect();
            let field = |n: usize| fields[n - 3].parse::<u64>().expect("a number of ticks");
            field(14) + field(15)
        })
        .sum();
    Duration::from_secs_f64(ticks as f64 / ticks_per_second as f64)
}

/// Throughput rounds of one echo, one or added up.
#[derive(Default)]
struct Throughput {
    messages: usize,
    elapsed: Duration,
    echo_cpu: Duration,
}

impl Throughput {
    fn per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    fn per_cpu_second(&self) -> f64 {
        self.messages as f64 / self.echo_cpu.as_secs_f64()
    }
}

/// A client process, killed and awaited when dropped, so that a failing
/// run leaves none behind.
struct Client(std::process::Child);

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// The median of a sorted list, and its smallest and largest values.
fn spread(sorted: &[f64]) -> (f64, f64, f64) {
    (
        percentile(sorted, 0.5),
        sorted.first().copied().unwrap_or(f64::NAN),
        sorted.last().copied().unwrap_or(f64::NAN),
    )
}

fn main() {
    // A burst outruns the echoes for a while: the broker queues what waits.
    let broker = Mosquitto::start_unbounded();
    let port = broker.port();

    // The bare clients' echo: what mosquitto_sub prints, mosquitto_pub
    // publishes, line by line.
    let common = [
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-V",
        "mqttv5",
        "-q",
        "1",
    ]
    .map(str::to_string);
    let mut relay_in = Command::new("stdbuf")
        .args(["-oL", "mosquitto_sub"])
        .args(&common)
        .args(["-t", "bench/bare/in"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("mosquitto_sub starts");
    let relay_out = Command::new("mosquitto_pub")
        .args(&common)
        .args(["-t", "bench/bare/out", "-l"])
        .stdin(Stdio::from(relay_in.stdout.take().expect("piped")))
        .spawn()
        .expect("mosquitto_pub starts");
    let relay = (Client(relay_in), Client(relay_out));

    // The PSOS device between two stand-ins, built in release.
    let (dir, _) = build_test_flow("bench_echo");
    cargo(
        dir.path(),
        &["build", "--quiet", "--release", "--package", "bench-b"],
    );
    let mut command = Command::new(shared_target_dir().join("release").join("bench-b"));
    command.env("PSOS_BROKER", broker.url());
    let device = Running::spawn(command);

    // Node-RED's echo.
    let node_red_flow = format!(
        r#"[
        {{"id": "tab", "type": "tab", "label": "echo"}},
        {broker},
        {{"id": "in", "type": "mqtt in", "z": "tab", "topic": "bench/node-red/in", "qos": "1", "datatype": "utf8",
          "broker": "broker", "nl": false, "rap": true, "rh": 0, "inputs": 0, "wires": [["out"]]}},
        {{"id": "out", "type": "mqtt out", "z": "tab", "topic": "bench/node-red/out", "qos": "1", "retain": "false", "broker": "broker", "wires": []}}
    ]"#,
        broker = support::node_red::broker_node(port, "node-red-echo", "bench/node-red/status")
    );
    let node_red_online = broker.subscriber("bench/node-red/status", 1);
    let device_online = broker.subscriber("psos/bench_echo/bench-b/status", 1);
    let node_red = NodeRed::start(&node_red_flow);
    assert_eq!(
        node_red_online.wait(Duration::from_secs(60)).len(),
        1,
        "Node-RED connected"
    );
    assert_eq!(
        device_online.wait(Duration::from_secs(30)).len(),
        1,
        "the device connected"
    );
    // The bare echo's subscription needs a moment, too.
    std::thread::sleep(Duration::from_millis(500));

    let echoes = [
        Echo {
            name: "mosquitto clients",
            input: "bench/bare/in",
            output: "bench/bare/out",
            wrap: plain,
            unwrap: plain_back,
        },
        Echo {
            name: "PSOS device",
            input: "psos/bench_echo/source/0",
            output: "psos/bench_echo/relay/0",
            wrap: msg,
            unwrap: msg_back,
        },
        Echo {
            name: "Node-RED",
            input: "bench/node-red/in",
            output: "bench/node-red/out",
            wrap: plain,
            unwrap: plain_back,
        },
    ];
    // Whose CPU time is each echo's: the two bare clients, the device,
    // Node-RED's `node` process.
    let echo_pids = [
        vec![relay.0 .0.id(), relay.1 .0.id()],
        vec![device.pid()],
        vec![node_red.pid()],
    ];
    println!(
        "echo over a loopback Mosquitto, QoS 1. Latency: {ROUNDS} rounds taking the echoes in turn, each {} messages 1 ms apart (after {WARM_UP} to warm up); throughput: {THROUGHPUT_ROUNDS} rounds in turn of {BURST} messages with {WINDOW} in flight",
        LATENCY_MESSAGES - WARM_UP
    );

    // Latency, round by round.
    let latency_rounds = if std::env::var_os("PSOS_BENCH_THROUGHPUT_ONLY").is_some() {
        0
    } else {
        ROUNDS
    };
    let mut rounds: Vec<[Vec<f64>; 3]> = Vec::new();
    for _ in 0..latency_rounds {
        rounds.push(echoes.each_ref().map(|echo| {
            let mut latencies_us =
                latencies(&broker, echo, LATENCY_MESSAGES, Duration::from_millis(1));
            latencies_us.drain(..WARM_UP);
            sorted(latencies_us)
        }));
    }
    // Throughput, round by round, with the echo's CPU time.
    let mut throughputs: [Throughput; 3] = Default::default();
    // PSOS's messages per CPU-second over Node-RED's, round by round.
    let mut cpu_ratios = Vec::new();
    for _ in 0..THROUGHPUT_ROUNDS {
        let mut round: [Throughput; 3] = Default::default();
        for (index, echo) in echoes.iter().enumerate() {
            let cpu_before = cpu_time(&echo_pids[index]);
            let elapsed = throughput(&broker, echo, BURST, WINDOW);
            round[index] = Throughput {
                messages: BURST,
                elapsed,
                echo_cpu: cpu_time(&echo_pids[index]).saturating_sub(cpu_before),
            };
            let total = &mut throughputs[index];
            total.echo_cpu += round[index].echo_cpu;
            total.messages += BURST;
            total.elapsed += elapsed;
        }
        cpu_ratios.push(round[1].per_cpu_second() / round[2].per_cpu_second());
    }

    println!(
        "{:<18} {:>7} {:>19} {:>11} {:>11} {:>13}",
        "echo", "p50 µs", "p99 µs: median", "(min–max)", "messages/s", "per echo CPU-s"
    );
    let p99s: Vec<Vec<f64>> = (0..echoes.len())
        .map(|index| {
            sorted(
                rounds
                    .iter()
                    .map(|round| percentile(&round[index], 0.99))
                    .collect(),
            )
        })
        .collect();
    for (index, echo) in echoes.iter().enumerate() {
        let all = sorted(
            rounds
                .iter()
                .flat_map(|round| round[index].clone())
                .collect(),
        );
        let (median, low, high) = spread(&p99s[index]);
        println!(
            "{:<18} {:>7.0} {:>19.0} {:>11} {:>11.0} {:>13.0}",
            echo.name,
            percentile(&all, 0.5),
            median,
            format!("{low:.0}–{high:.0}"),
            throughputs[index].per_second(),
            throughputs[index].per_cpu_second(),
        );
    }
    // The overhead round by round: both echoes ran within seconds of each
    // other.
    let overheads = |fraction: f64| {
        sorted(
            rounds
                .iter()
                .map(|round| {
                    (percentile(&round[1], fraction) / percentile(&round[0], fraction) - 1.0)
                        * 100.0
                })
                .collect(),
        )
    };
    if latency_rounds > 0 {
        let (p50, _, _) = spread(&overheads(0.5));
        let p99 = overheads(0.99);
        let (median, low, high) = spread(&p99);
        println!(
            "PSOS over the bare clients, median of {ROUNDS} rounds: latency p50 {p50:+.0}%, p99 {median:+.0}% (rounds {low:+.0}% to {high:+.0}%; {} of {ROUNDS} under +20%) (goal: under +20%)",
            p99.iter().filter(|overhead| **overhead < 20.0).count()
        );
    }
    let (psos, node_red_result, bare_result) = (&throughputs[1], &throughputs[2], &throughputs[0]);
    let cpu_ratios = sorted(cpu_ratios);
    let (_, low, high) = spread(&cpu_ratios);
    println!(
        "PSOS throughput: {:.1}× Node-RED's in messages/s, {:.1}× per echo CPU-second (rounds {low:.1}× to {high:.1}×; {} of {THROUGHPUT_ROUNDS} at least 3×) (goal: at least 3×); {:.2}× and {:.2}× the bare clients'",
        psos.per_second() / node_red_result.per_second(),
        psos.per_cpu_second() / node_red_result.per_cpu_second(),
        cpu_ratios.iter().filter(|ratio| **ratio >= 3.0).count(),
        psos.per_second() / bare_result.per_second(),
        psos.per_cpu_second() / bare_result.per_cpu_second(),
    );
    drop(device);
}
