//! Devices on a real Mosquitto: messages cross between devices as topics in
//! both directions, `mqtt in` and `mqtt out` meet other MQTT clients with
//! each of Node-RED's datatypes, each device keeps a retained status with a
//! last will, a device without its broker keeps its local wires running, and
//! a restarted device resumes its session and gets what was sent meanwhile,
//! status nodes hear `mqtt in` and `mqtt out` report the session, a
//! device under QEMU reaches its broker again after a broker restart,
//! a device pings at the keepalive its broker gives, and its inject nodes
//! are pressed and its debug nodes switched on its control topics.

mod support;

use std::time::Duration;

use support::mosquitto::Mosquitto;
use support::qemu::{build_firmware, qemu_with_uart0_on, without_uptime};
use support::{build_device, build_test_flow, debug_lines, repo_root, without_time, Running, WAIT};

/// Starts a device of a built workspace against a broker.
fn start(workspace: &std::path::Path, device: &str, broker: &Mosquitto) -> Running {
    run_on(&build_device(workspace, device), broker)
}

/// Starts a built device against a broker.
fn run_on(binary: &std::path::Path, broker: &Mosquitto) -> Running {
    let mut command = std::process::Command::new(binary);
    command.env("PSOS_BROKER", broker.url());
    Running::spawn(command)
}

#[test]
fn greenhouse_messages_cross_devices_both_ways() {
    let broker = Mosquitto::start();
    let workspace = repo_root().join("generated").join("greenhouse");
    let statuses = broker.subscriber("psos/greenhouse/+/status", 3);
    let sensor = start(&workspace, "sensor", &broker);
    let controller = start(&workspace, "controller", &broker);
    let actuator = start(&workspace, "actuator", &broker);

    // The sensor's reading reaches the controller, whose command reaches
    // the actuator: two hops over the broker.
    let wait = WAIT;
    let command = r#"greenhouse/command : {"fan":true,"heater":false}"#;
    // The actuator's own inject and the command from the controller race:
    // which comes first is not the point, that both arrive is.
    let mut actuated = debug_lines(&actuator, 2, wait);
    actuated.sort();
    assert_eq!(
        actuated,
        [
            r#"[actuator] [debug:actuators] greenhouse/actuators : {"payload":{"fan":false,"heater":false},"topic":"greenhouse/actuators"}"#,
            r#"[actuator] [debug:actuators] greenhouse/command : {"payload":{"fan":true,"heater":false},"topic":"greenhouse/command"}"#,
        ]
    );
    let controlled = debug_lines(&controller, 1, wait);
    assert_eq!(
        controlled.first().map(String::as_str),
        Some(&*format!("[controller] [debug:command] {command}"))
    );
    let sensed = debug_lines(&sensor, 1, wait);
    assert_eq!(
        sensed.first().map(String::as_str),
        Some("[sensor] [debug:temperature] greenhouse/temperature : 31.5")
    );

    let statuses = statuses.wait(WAIT);
    let mut online: Vec<(String, Vec<u8>)> =
        statuses.into_iter().map(|m| (m.topic, m.payload)).collect();
    online.sort();
    assert_eq!(
        online,
        ["actuator", "controller", "sensor"].map(|device| (
            format!("psos/greenhouse/{device}/status"),
            b"online".to_vec()
        ))
    );
    // Each device, connected, its timers running and its messages crossing
    // the broker, is one thread: the executor's, which also waits on the
    // socket, keeps the time and hears the signals.
    for device in [&sensor, &controller, &actuator] {
        let threads = std::fs::read_dir(format!("/proc/{}/task", device.pid()))
            .map(Iterator::count)
            .unwrap_or_default();
        assert_eq!(threads, 1, "threads of device process {}", device.pid());
    }

    // A device that goes away without a word leaves its last will.
    let will = broker.subscriber("psos/greenhouse/sensor/status", 2);
    drop(sensor);
    let seen: Vec<Vec<u8>> = will.wait(WAIT).into_iter().map(|m| m.payload).collect();
    assert_eq!(
        seen,
        [b"online".to_vec(), b"offline".to_vec()],
        "the retained status, then the will"
    );
}

#[test]
fn mqtt_nodes_meet_other_clients_with_each_datatype() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("mqtt_datatypes");
    let device = start(dir.path(), "bridge", &broker);
    // The device is subscribed once it announces itself.
    let online = broker.subscribe("psos/mqtt_datatypes/bridge/status", 1, WAIT);
    assert_eq!(
        online.first().map(|(_, payload)| payload.as_slice()),
        Some(&b"online"[..])
    );

    // What each datatype makes of a payload, and what `mqtt out` then puts
    // back on the wire: objects as JSON, strings and bytes as they are.
    let cases: [(&str, &[u8], &[u8]); 8] = [
        ("auto-detect", br#"{"t": 21.5}"#, br#"{"t":21.5}"#),
        ("auto-detect", b"plain text", b"plain text"),
        ("json", b"[1, \"two\", null]", br#"[1,"two",null]"#),
        ("json", b"12.50", b"12.5"),
        ("utf8", b"caf\xc3\xa9", "café".as_bytes()),
        ("buffer", b"\x00\x01\xff", b"\x00\x01\xff"),
        ("base64", b"hi!", b"aGkh"),
        ("auto", b"\xff\xfe", b"\xff\xfe"),
    ];
    let mut results = broker.subscriber("out/#", cases.len());
    for (index, (datatype, payload, _)) in cases.iter().enumerate() {
        broker.publish(&format!("in/{datatype}/{index}"), payload, 1, false);
        // One at a time, each once the one before has come out: the
        // order on the wire is then the order here.
        results.wait_for(index + 1, WAIT);
    }
    let received = results.wait(WAIT);
    let got: Vec<(String, Vec<u8>)> = received.into_iter().map(|m| (m.topic, m.payload)).collect();
    let expected: Vec<(String, Vec<u8>)> = cases
        .iter()
        .map(|(datatype, _, out)| (format!("out/{datatype}"), out.to_vec()))
        .collect();
    drop(device);
    assert_eq!(got, expected);
}

#[test]
fn local_wires_keep_running_while_the_broker_is_away() {
    let mut broker = Mosquitto::start();
    let (dir, _) = build_test_flow("mqtt_datatypes");
    broker.stop();
    let device = start(dir.path(), "bridge", &broker);
    // The heartbeat is local: five beats a second with no broker at all.
    let lines = device.read_until(WAIT, |lines| {
        lines
            .iter()
            .filter(|line| line.contains("[debug:beat]"))
            .count()
            >= 5
    });
    assert!(
        lines
            .iter()
            .filter(|line| line.contains("[debug:beat]"))
            .count()
            >= 5,
        "{lines:#?}"
    );

    // And the device finds the broker when it comes back: its status is
    // there, retained, once it has reconnected by itself.
    broker.restart();
    let online = broker
        .subscriber("psos/mqtt_datatypes/bridge/status", 1)
        .wait(WAIT);
    assert_eq!(
        online.first().map(|m| m.payload.as_slice()),
        Some(&b"online"[..]),
        "the device reconnected"
    );
}

#[test]
fn a_qemu_device_speaks_mqtt_over_its_uart() {
    let broker = Mosquitto::start();
    let (dir, flow) = build_test_flow("ping_pong");
    // The firmware's wire asks for QoS 0 (`psosQos`), the host's keeps 1.
    let qos_of = |id: &str| {
        flow.nodes
            .iter()
            .find(|node| node.id == id)
            .map(|node| node.wire_qos)
    };
    assert_eq!((qos_of("to-ping"), qos_of("to-pong")), (Some(0), Some(1)));
    let firmware_source =
        std::fs::read_to_string(dir.path().join("pong").join("src").join("main.rs"))
            .expect("generated");
    assert!(
        firmware_source
            .contains(r#"OUTBOX.publish_msg(&DEVICE, "psos/ping_pong/to-ping/0", 0, msg)"#),
        "{firmware_source}"
    );
    let ping = start(dir.path(), "ping", &broker);
    // The test ends QEMU when it is done.
    let pong_dir = dir.path().join("pong");
    let firmware = build_firmware(&pong_dir, "pong", support::qemu::PONG_RUN_MS);
    let pong = Running::spawn(qemu_with_uart0_on(&pong_dir, &firmware, broker.port()));

    // Both ways over the broker: the host's JSON message reaches the
    // emulated Cortex-M3 whole, and the firmware's number reaches the host.
    let got = |lines: &[String]| lines.iter().any(|line| line.contains("[debug:pong got]"));
    let pong_lines = pong.read_until(WAIT, got);
    let line = pong_lines
        .iter()
        .find_map(|line| without_uptime(line).filter(|l| l.contains("[debug:pong got]")));
    assert_eq!(
        line,
        Some(
            r#"[pong] [debug:pong got] from-ping : {"payload":{"n":1,"word":"héllo"},"topic":"from-ping"}"#
        ),
        "firmware output: {pong_lines:#?}"
    );
    let ping_lines = debug_lines(&ping, 1, WAIT);
    assert_eq!(
        ping_lines.first().map(String::as_str),
        Some("[ping] [debug:ping got] from-pong : 42")
    );
}

#[test]
fn a_qemu_device_reaches_its_broker_again_after_the_broker_restarts() {
    let mut broker = Mosquitto::start();
    let (dir, _) = build_test_flow("qemu_reconnect");
    let steady = start(dir.path(), "steady", &broker);
    let rejoin_dir = dir.path().join("rejoin");
    // Longer than the test: the test ends QEMU when it is done.
    let firmware = build_firmware(&rejoin_dir, "rejoin", 120_000);
    let rejoin = Running::spawn(qemu_with_uart0_on(&rejoin_dir, &firmware, broker.port()));
    let got = |debug: &'static str| {
        let marker = format!("[debug:{debug}] ");
        move |lines: &[String]| lines.iter().any(|line| line.contains(&marker))
    };
    // Each way at QoS 1 (the wires' default), before the restart.
    let before = rejoin.read_until(WAIT, got("rejoin got"));
    assert!(got("rejoin got")(&before), "firmware output: {before:#?}");
    let before = steady.read_until(WAIT, got("steady got"));
    assert!(got("steady got")(&before), "host output: {before:#?}");

    // The broker dies without a word to anyone. What the devices print
    // while it is away is read and set aside: a message printed after
    // that crossed the new broker, which the QEMU device must have
    // reached again by itself (CONNECT, SUBSCRIBE) for it to cross in
    // either direction.
    broker.stop();
    let _ = rejoin.read_until(Duration::from_secs(1), |_| false);
    let _ = steady.read_until(Duration::from_secs(1), |_| false);
    let restarted = std::time::Instant::now();
    broker.restart();
    // The device sees the broker gone when it has heard nothing for one
    // and a half keepalives (3 s), then connects again.
    let after = rejoin.read_until(WAIT, got("rejoin got"));
    assert!(
        got("rejoin got")(&after),
        "the QEMU device got nothing after the restart; firmware output: {after:#?}\nbroker log:\n{}",
        broker.log()
    );
    let after = steady.read_until(WAIT, got("steady got"));
    assert!(
        got("steady got")(&after),
        "nothing from the QEMU device after the restart; host output: {after:#?}\nbroker log:\n{}",
        broker.log()
    );
    println!(
        "messages crossed both ways again {:.1} s after the broker restarted",
        restarted.elapsed().as_secs_f64()
    );
}

/// A QEMU device that publishes at QoS 0 every 100 ms (its debug node's
/// sidebar mirror), more often than its keepalive of 2 s, so that minimq
/// never pings on its own. Its broker dies without a word and another
/// takes the port; QEMU dials it, and the new broker drops each connection
/// whose first packet is one of the device's PUBLISHes. The device hears
/// nothing for a keepalive, pings, gives up half a keepalive later without
/// an answer, and connects again by itself: its messages reach a
/// subscriber of the new broker.
#[test]
fn a_qemu_device_that_publishes_more_often_than_its_keepalive_finds_a_new_broker() {
    let mut broker = Mosquitto::start();
    let (dir, _) = build_test_flow("qemu_liveness");
    let crate_dir = dir.path().join("chatty");
    // Longer than the test: the test ends QEMU when it is done.
    let firmware = build_firmware(&crate_dir, "chatty", 120_000);
    let topic = "psos/qemu_liveness/chatty/debug";
    let before = broker.subscriber(topic, 40);
    let device = Running::spawn(qemu_with_uart0_on(&crate_dir, &firmware, broker.port()));
    // Four seconds of messages, past the keepalive and its grace: the
    // broker answers the device's pings, and the session stays up. Then a
    // second more, so that the broker dies between two pings.
    let before = before.wait(WAIT);
    assert_eq!(before.len(), 40, "the device publishes: {before:?}");
    std::thread::sleep(Duration::from_millis(1000));
    let log = broker.log();
    assert_eq!(
        log.matches("as psos-qemu_liveness-chatty ").count(),
        1,
        "one session before the restart:\n{log}"
    );

    let restarted = std::time::Instant::now();
    broker.restart();
    // What may pass before a message crosses the new broker: the keepalive
    // and its grace (the broker was last heard at most that long before
    // it died), the first pauses of the backoff (at most 125 ms and
    // 250 ms), a CONNECT lost while QEMU dials again (QEMU waits 1 s
    // between attempts; the handshake gives up after 5 s), and a second
    // for the subscriber and a loaded machine.
    let bound = Duration::from_millis(2_000 + 1_000 + 125 + 250 + 1_000 + 5_000 + 1_000);
    let after = broker
        .subscriber(topic, 1)
        .wait(bound + Duration::from_secs(10));
    let took = restarted.elapsed();
    assert!(
        !after.is_empty(),
        "nothing from the QEMU device after the restart; firmware output: {:#?}\nbroker log:\n{}",
        device.read_until(Duration::from_millis(100), |_| false),
        broker.log()
    );
    println!(
        "the QEMU device's messages crossed the new broker {:.1} s after the restart",
        took.as_secs_f64()
    );
    assert!(took < bound, "{took:?}, more than {bound:?}");
}

/// A device whose flow asks for a keepalive of 60 s, on a broker that
/// allows at most 10 s (the least Mosquitto 2.0 takes) and says so with a
/// Server Keep Alive in its CONNACK. The device publishes at QoS 0 every
/// second (its debug node's sidebar mirror) and has nothing to read, so
/// minimq, whose ping follows the device's own silence, never pings. The
/// device's check pings after 10 s with nothing read, the broker's
/// keepalive, not after the flow's 60 s; the broker, which drops a client
/// silent for one and a half keepalives, keeps the session.
#[test]
fn a_device_pings_at_the_keepalive_its_broker_gives_and_keeps_its_session() {
    let broker = Mosquitto::start_with_max_keepalive(10);
    let (dir, _) = build_test_flow("server_keepalive");
    let device = start(dir.path(), "keepalive-follower", &broker);
    let client = "psos-server_keepalive-keepalive-follower";
    // Three of the broker's keepalives, half of the flow's, from the
    // connection on, however late it came: until the log shows three
    // pings and thirty messages.
    let pinged = format!("Received PINGREQ from {client}");
    let published_line = format!("Received PUBLISH from {client} (d0, q0");
    let deadline = std::time::Instant::now() + Duration::from_secs(35) + WAIT;
    let mut log = broker.log();
    while (log.matches(&pinged).count() < 3 || log.matches(&published_line).count() < 30)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
        log = broker.log();
    }
    drop(device);
    // Each line of Mosquitto's log starts with the time in whole seconds.
    let at = |line: &str| -> u64 {
        let seconds = line.split(':').next().unwrap_or_default();
        seconds
            .parse()
            .unwrap_or_else(|_| panic!("a time in {line:?}"))
    };
    let connected: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(&format!(" as {client} (")))
        .collect();
    let [connected] = connected.as_slice() else {
        panic!("one session:\n{log}");
    };
    assert!(
        connected.ends_with(", k60)."),
        "the device asks for 60 s: {connected}"
    );
    let mut times = vec![at(connected)];
    times.extend(
        log.lines()
            .filter(|line| line.ends_with(&format!("Received PINGREQ from {client}")))
            .map(at),
    );
    let intervals: Vec<u64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    println!("the device pinged {intervals:?} s after its connection and each ping before");
    // 10 s after the last PINGRESP (or after the CONNACK, SUBACK and
    // PUBACK of its connection), in whole seconds.
    assert!(
        intervals.len() >= 3 && intervals.iter().all(|interval| (9..=11).contains(interval)),
        "pings every 10 s: {intervals:?}\n{log}"
    );
    assert!(!log.contains("exceeded timeout"), "{log}");
    let published = log
        .lines()
        .filter(|line| line.contains(&published_line))
        .count();
    assert!(
        published >= 30,
        "it published all along: {published}\n{log}"
    );
}

#[test]
fn node_red_reads_a_wire_between_devices_and_a_device_reads_node_red() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("node_red_peer");
    // Node-RED subscribes to the wire's topic, reads the message as JSON, and
    // publishes it back (its payload, serialised again) for the device.
    let node_red_flow = format!(
        r#"[
        {{"id": "tab", "type": "tab", "label": "peer"}},
        {broker},
        {{"id": "in", "type": "mqtt in", "z": "tab", "topic": "psos/node_red_peer/tick/0", "qos": "1", "datatype": "json",
          "broker": "broker", "nl": false, "rap": true, "rh": 0, "inputs": 0, "wires": [["relabel"]]}},
        {{"id": "relabel", "type": "change", "z": "tab", "rules": [{{"t": "set", "p": "topic", "pt": "msg", "to": "from-node-red", "tot": "str"}}], "wires": [["out"]]}},
        {{"id": "out", "type": "mqtt out", "z": "tab", "topic": "", "qos": "1", "retain": "false", "broker": "broker", "wires": []}}
    ]"#,
        broker = support::node_red::broker_node(broker.port(), "node-red-peer", "node-red/status")
    );
    let node_red_online = broker.subscriber("node-red/status", 1);
    let _node_red = support::node_red::NodeRed::start(&node_red_flow);
    let online = node_red_online.wait(WAIT);
    assert_eq!(
        online.first().map(|m| m.payload.as_slice()),
        Some(&b"online"[..]),
        "Node-RED connected"
    );

    let b = start(dir.path(), "b", &broker);
    let _a = start(dir.path(), "a", &broker);
    let lines = b.read_until(WAIT, |lines| {
        lines
            .iter()
            .any(|line| line.contains("[debug:from node-red]"))
    });
    let line = |name: &str| {
        lines
            .iter()
            .find_map(|line| without_time(line).filter(|line| line.contains(name)))
    };
    assert_eq!(
        line("[debug:over the wire]"),
        Some(r#"[b] [debug:over the wire] reading : {"n":7,"unit":"°C"}"#)
    );
    // What Node-RED's `mqtt in` made of the wire's JSON is the whole msg.
    assert_eq!(
        line("[debug:from node-red]"),
        Some(
            r#"[b] [debug:from node-red] from-node-red : {"payload":{"n":7,"unit":"°C"},"topic":"reading"}"#
        ),
        "all output: {lines:#?}"
    );
}

#[test]
fn credentials_come_from_the_environment_and_appear_nowhere_else() {
    let password = "pw-7f3a9c2e-never-in-files";
    let broker = Mosquitto::start_with_password("psos-device", password);
    let (dir, _) = build_test_flow("mqtt_datatypes");
    let binary = build_device(dir.path(), "bridge");

    // Without credentials the broker turns the device away: no status.
    let refused = broker.subscriber("psos/mqtt_datatypes/bridge/status", 1);
    let mut command = std::process::Command::new(&binary);
    command.env("PSOS_BROKER", broker.url());
    let anonymous = Running::spawn(command);
    assert!(
        refused.wait(Duration::from_secs(3)).is_empty(),
        "an anonymous device got in"
    );
    drop(anonymous);

    // With them, it connects and announces itself.
    let accepted = broker.subscriber("psos/mqtt_datatypes/bridge/status", 1);
    let mut command = std::process::Command::new(&binary);
    command
        .env("PSOS_BROKER", broker.url())
        .env("PSOS_MQTT_USERNAME", "psos-device")
        .env("PSOS_MQTT_PASSWORD", password);
    let device = Running::spawn(command);
    let online = accepted.wait(WAIT);
    assert_eq!(
        online.first().map(|m| m.payload.as_slice()),
        Some(&b"online"[..])
    );
    // All it printed, up to its end, once its heartbeat shows it ran.
    let mut output = device.read_until(WAIT, |lines| {
        lines.iter().any(|line| line.contains("[debug:beat]"))
    });
    output.extend(device.kill());
    let output = output.join("\n");

    // The secret is in no generated file and in nothing the device printed.
    let mut files = vec![dir.path().to_path_buf()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            files.extend(
                std::fs::read_dir(&path)
                    .expect("readable")
                    .flatten()
                    .map(|entry| entry.path()),
            );
        } else {
            let bytes = std::fs::read(&path).expect("readable");
            assert!(
                !bytes
                    .windows(password.len())
                    .any(|window| window == password.as_bytes()),
                "{} holds the password",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "the generated files were checked");
    assert!(output.contains("[debug:beat]"), "the device ran: {output}");
    assert!(
        !output.contains(password),
        "the device printed the password"
    );
}

/// The numbers a device's debug node printed, in the order it printed them.
fn numbers(lines: &[String], debug: &str) -> Vec<u64> {
    let marker = format!("[debug:{debug}] ");
    lines
        .iter()
        .filter_map(|line| without_time(line))
        .filter_map(|line| line.split_once(&marker))
        .filter_map(|(_, rest)| rest.parse().ok())
        .collect()
}

#[test]
fn a_thousand_qos1_messages_cross_three_broker_restarts_without_loss() {
    const MESSAGES: u64 = 1000;
    let mut broker = Mosquitto::start_persistent();
    let (dir, _) = build_test_flow("broker_restarts");
    let producer_binary = build_device(dir.path(), "producer");
    let consumer_binary = build_device(dir.path(), "consumer");
    // The consumer subscribes first (its status says it has), so that
    // the first message has someone to go to.
    let consumer_online = broker.subscriber("psos/broker_restarts/consumer/status", 1);
    let consumer = run_on(&consumer_binary, &broker);
    assert_eq!(
        consumer_online
            .wait(WAIT)
            .first()
            .map(|m| m.payload.clone()),
        Some(b"online".to_vec())
    );
    let producer = run_on(&producer_binary, &broker);

    // A hundred messages a second; the broker goes away three times, for
    // half a second each, while they flow.
    let mut got = Vec::new();
    let mut sent = Vec::new();
    for _ in 0..3 {
        got.extend(numbers(
            &consumer.read_until(Duration::from_secs(2), |_| false),
            "got",
        ));
        broker.terminate();
        got.extend(numbers(
            &consumer.read_until(Duration::from_millis(500), |_| false),
            "got",
        ));
        broker.restart();
        sent.extend(numbers(
            &producer.read_until(Duration::from_millis(1), |_| false),
            "sent",
        ));
    }
    // Then until the consumer has every one of the first thousand.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while (1..=MESSAGES).any(|n| !got.contains(&n)) && std::time::Instant::now() < deadline {
        got.extend(numbers(
            &consumer.read_until(Duration::from_millis(500), |_| false),
            "got",
        ));
    }
    sent.extend(numbers(
        &producer.read_until(Duration::from_millis(1), |_| false),
        "sent",
    ));
    let missing: Vec<u64> = (1..=MESSAGES).filter(|n| !got.contains(n)).collect();
    assert!(
        sent.len() as u64 >= MESSAGES,
        "the producer sent {} messages",
        sent.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {MESSAGES} messages were lost: {missing:?}\nbroker log:\n{}",
        missing.len(),
        broker.log()
    );
    // QoS 1 is at least once: a message whose acknowledgement the broker's
    // end lost comes again. Say how many did.
    let first: Vec<u64> = got.iter().copied().filter(|n| *n <= MESSAGES).collect();
    println!(
        "{MESSAGES} messages across 3 restarts: all arrived, {} twice",
        first.len() as u64 - MESSAGES
    );
}

#[test]
fn a_restarted_device_resumes_its_session_and_gets_what_was_sent_while_it_was_off() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("broker_restarts");
    let producer_binary = build_device(dir.path(), "producer");
    let consumer_binary = build_device(dir.path(), "consumer");
    let statuses = broker.subscriber("psos/broker_restarts/consumer/status", 1);
    let mut consumer = run_on(&consumer_binary, &broker);
    assert_eq!(
        statuses.wait(WAIT).first().map(|m| m.payload.clone()),
        Some(b"online".to_vec())
    );
    let producer = run_on(&producer_binary, &broker);
    let mut got = numbers(
        &consumer.read_until(Duration::from_secs(1), |_| false),
        "got",
    );
    let mut sent = Vec::new();
    // The consumer stops twice while the producer sends a hundred messages
    // a second: first as `psosc run` stops it (a goodbye, then a
    // DISCONNECT), then killed without a word, as a power cut would. Each
    // time it is away for a second and comes back as a new process, which
    // knows nothing of its last session but its client id.
    let mut while_off = Vec::new();
    for kill in [false, true] {
        sent.extend(numbers(
            &producer.read_until(Duration::from_millis(1), |_| false),
            "sent",
        ));
        if kill {
            // What it printed before it died counts as received.
            got.extend(numbers(&consumer.kill(), "got"));
        } else {
            consumer.terminate();
            let (lines, status) = consumer.read_to_end(WAIT);
            assert!(status.is_some_and(|status| status.success()), "{lines:#?}");
            got.extend(numbers(&lines, "got"));
        }
        let stopped_after = sent.last().copied().unwrap_or(0);
        let off: Vec<u64> = numbers(
            &producer.read_until(Duration::from_secs(1), |_| false),
            "sent",
        );
        // Those sent in the second the consumer was away, bar the first
        // few, which might have reached it before it stopped.
        while_off.extend(off.iter().copied().filter(|n| *n > stopped_after + 5));
        sent.extend(off);
        consumer = run_on(&consumer_binary, &broker);
        got.extend(numbers(
            &consumer.read_until(Duration::from_secs(3), |_| false),
            "got",
        ));
    }
    assert!(
        while_off.len() >= 100,
        "the producer sent {} messages while the consumer was away",
        while_off.len()
    );
    // The last consumer prints what it was sent while it was away, and
    // since, as it comes: until it has printed them all.
    let last = while_off.last().copied().unwrap_or(0);
    let deadline = std::time::Instant::now() + WAIT;
    while (1..=last).any(|n| !got.contains(&n)) && std::time::Instant::now() < deadline {
        got.extend(numbers(
            &consumer.read_until(Duration::from_millis(500), |_| false),
            "got",
        ));
    }
    let missing: Vec<u64> = while_off
        .iter()
        .copied()
        .filter(|n| !got.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of the {} messages sent while the consumer was away were lost: {missing:?}",
        missing.len(),
        while_off.len(),
    );
    // And nothing else was lost either.
    let lost: Vec<u64> = (1..=last).filter(|n| !got.contains(n)).collect();
    assert!(lost.is_empty(), "lost: {lost:?}");
    println!(
        "{} messages sent while the consumer was away, all delivered when it came back",
        while_off.len()
    );
}

#[test]
fn birth_close_and_will_messages_as_the_broker_node_gives_them() {
    let broker = Mosquitto::start();
    let (dir, flow) = build_test_flow("announcements");
    let binary = build_device(dir.path(), "announcer");

    // A device that stops on purpose (as `psosc run` stops it, once it has
    // said hello) says goodbye, and leaves its status `offline`; the
    // broker keeps its will to itself. Three at most: a will after the
    // close would be one too many.
    let mut announced = broker.subscriber("announce/+", 3);
    let hello = broker.subscriber("announce/birth", 1);
    let mut command = std::process::Command::new(&binary);
    command.env("PSOS_BROKER", broker.url());
    let mut device = Running::spawn(command);
    assert_eq!(hello.wait(WAIT).len(), 1, "connected");
    device.terminate();
    let (lines, status) = device.read_to_end(WAIT);
    assert!(
        status.is_some_and(|status| status.success()),
        "the device stopped: {lines:#?}"
    );
    // The two, then two seconds for a will, which the broker would send
    // as soon as it saw the connection end.
    announced.wait_for(2, WAIT);
    let topics: Vec<(String, Vec<u8>)> = announced
        .wait(Duration::from_secs(2))
        .into_iter()
        .map(|m| (m.topic, m.payload))
        .collect();
    assert_eq!(
        topics,
        [
            ("announce/birth".to_string(), b"hello".to_vec()),
            ("announce/close".to_string(), b"goodbye".to_vec()),
        ],
        "birth then close, no will"
    );
    let status_topic = "psos/announcements/announcer/status";
    let retained = broker.subscribe(status_topic, 1, WAIT);
    assert_eq!(
        retained,
        [(status_topic.to_string(), b"offline".to_vec())],
        "the status says the device has gone"
    );
    assert_eq!(
        broker.subscribe("announce/close", 1, WAIT),
        [("announce/close".to_string(), b"goodbye".to_vec())],
        "the close message is retained, as the node says"
    );

    // A device that vanishes leaves its will.
    let will = broker.subscriber("announce/will", 1);
    let birth = broker.subscriber("announce/birth", 1);
    let mut command = std::process::Command::new(&binary);
    command.env("PSOS_BROKER", broker.url());
    let device = Running::spawn(command);
    assert_eq!(birth.wait(WAIT).len(), 1, "connected");
    drop(device);
    assert_eq!(
        will.wait(WAIT)
            .into_iter()
            .map(|m| m.payload)
            .collect::<Vec<_>>(),
        [b"lost".to_vec()]
    );
    // The will took the place of the `offline` status, which psosc said.
    assert!(flow.devices[0]
        .broker
        .as_ref()
        .is_some_and(|b| b.session.will.is_some()));
}

#[test]
fn tls_verifies_the_broker_and_keeps_the_password_out_of_sight() {
    let password = "pw-tls-5d1e93-never-in-files";
    let broker = Mosquitto::start_with_tls("psos-device", password);
    let (dir, _) = build_test_flow("tls");
    let manifest =
        std::fs::read_to_string(dir.path().join("secure").join("Cargo.toml")).expect("generated");
    assert!(
        manifest.contains(r#"features = ["std", "tls"]"#),
        "{manifest}"
    );
    let binary = build_device(dir.path(), "secure");
    let status_topic = "psos/tls/secure/status";
    let run = |ca_file: &std::path::Path| {
        let mut command = std::process::Command::new(&binary);
        command
            .env("PSOS_BROKER", broker.tls_url())
            .env("PSOS_MQTT_CA", ca_file)
            .env("PSOS_MQTT_USERNAME", "psos-device")
            .env("PSOS_MQTT_PASSWORD", password);
        Running::spawn(command)
    };

    // A broker whose certificate another CA signed is not trusted.
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, support::mosquitto::certificates().0).expect("written");
    let refused = broker.subscriber(status_topic, 1);
    let untrusting = run(&other_ca);
    assert!(
        refused.wait(Duration::from_secs(3)).is_empty(),
        "the device trusted a certificate its CA did not sign"
    );
    drop(untrusting);

    // With the CA that signed it, the device connects over TLS, and what
    // goes in comes out.
    let online = broker.subscriber(status_topic, 1);
    let device = run(&broker.ca_file());
    assert_eq!(
        online.wait(WAIT).first().map(|m| m.payload.clone()),
        Some(b"online".to_vec())
    );
    let echoed = broker.subscriber("tls/out", 1);
    broker.publish("tls/in", b"over TLS", 1, false);
    assert_eq!(
        echoed.wait(WAIT).first().map(|m| m.payload.clone()),
        Some(b"over TLS".to_vec())
    );
    let mut output = device.read_until(Duration::from_millis(500), |_| false);
    output.extend(device.kill());
    let output = output.join("\n");
    assert!(
        !output.contains(password),
        "the device printed the password"
    );
    let generated = std::fs::read_to_string(dir.path().join("secure").join("src").join("main.rs"))
        .expect("generated");
    assert!(!generated.contains(password));
    assert!(
        generated.contains(r#"psos::host::Link::from_env_or("mqtts://broker.example:8883", None)"#),
        "{generated}"
    );
}

#[test]
fn debug_nodes_mirror_node_reds_sidebar_messages_to_the_debug_topic() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("debug_sidebar");
    let topic = "psos/debug_sidebar/sidebar-mirror/debug";
    // Four sidebar messages: the greeting once (its second debug node does
    // not go to the sidebar), the reading three times.
    let mut mirrored = broker.subscriber("psos/debug_sidebar/+/debug", 5);
    let device = start(dir.path(), "sidebar-mirror", &broker);
    // The four, and a fifth if it came with them: the greeting's second
    // debug node would send it right after the first.
    mirrored.wait_for(4, WAIT);
    let received = mirrored.wait(Duration::ZERO);
    drop(device);
    let payloads: Vec<String> = received
        .iter()
        .map(|message| {
            assert_eq!(
                (message.topic.as_str(), message.qos, message.retain),
                (topic, 0, false)
            );
            String::from_utf8(message.payload.clone()).expect("UTF-8")
        })
        .collect();
    // What Node-RED's debug node hands its sidebar (`RED.comms.publish("debug", ...)`
    // after `RED.util.encodeObject`), for the same nodes and messages.
    assert_eq!(
        payloads,
        [
            r#"{"id":"shown","z":"tab","path":"tab","name":"shown","topic":"greeting","property":"payload","msg":"héllo \"world\"","format":"string[13]"}"#,
            r#"{"id":"shown","z":"tab","path":"tab","name":"shown","property":"payload","msg":"010203","format":"buffer[3]"}"#,
            r#"{"id":"whole","z":"tab","path":"tab","name":"whole","msg":"{\"payload\":{\"type\":\"Buffer\",\"data\":[1,2,3],\"__enc__\":true,\"length\":3},\"reading\":{\"a\":[1,2],\"ok\":true}}","format":"Object"}"#,
            r#"{"id":"part","z":"tab","path":"tab","name":"","property":"reading.a","msg":"[1,2]","format":"array[2]"}"#,
        ]
    );
}

/// The status a status node gets from the `mqtt in` and `mqtt out` nodes
/// it watches, as `10-mqtt.js` reports the session: `mqtt_status.json`.
fn session_status(node: &str, state: &str) -> String {
    let (fill, shape) = match state {
        "connecting" => ("yellow", "ring"),
        "connected" => ("green", "dot"),
        _ => ("red", "ring"),
    };
    // The mqtt out node has no name, so its source has none either.
    let source = match node {
        "in" => r#"{"id":"in","type":"mqtt in","name":"readings"}"#,
        _ => r#"{"id":"out","type":"mqtt out"}"#,
    };
    format!(
        r#"[mqttstatushost] [debug:seen] {{"fill":"{fill}","shape":"{shape}","text":"node-red:common.status.{state}","source":{source}}}"#
    )
}

#[test]
fn mqtt_nodes_report_their_session_connecting_connected_and_dropped() {
    let mut broker = Mosquitto::start();
    let (dir, _) = build_test_flow("mqtt_status");
    let main_rs = std::fs::read_to_string(dir.path().join("mqttstatushost/src/main.rs"))
        .expect("the device's main.rs");
    assert!(
        main_rs.contains("on_session: Some(mqtt_session)"),
        "{main_rs}"
    );
    let device = start(dir.path(), "mqttstatushost", &broker);
    let wait = WAIT;
    // Each node in the flow's order: connecting, then connected once the
    // broker accepts the session.
    assert_eq!(
        debug_lines(&device, 4, wait),
        [
            session_status("in", "connecting"),
            session_status("out", "connecting"),
            session_status("in", "connected"),
            session_status("out", "connected"),
        ]
    );
    // The broker goes away: disconnected, then connecting at each attempt.
    broker.stop();
    assert_eq!(
        debug_lines(&device, 4, wait),
        [
            session_status("in", "disconnected"),
            session_status("out", "disconnected"),
            session_status("in", "connecting"),
            session_status("out", "connecting"),
        ]
    );
    broker.restart();
    let connected = session_status("out", "connected");
    let lines: Vec<String> = device
        .read_until(wait, |lines| {
            lines.iter().any(|line| line.ends_with(&connected))
        })
        .iter()
        .filter_map(|line| without_time(line).map(str::to_string))
        .collect();
    let (attempts, last) = lines.split_at(lines.len().saturating_sub(2));
    assert_eq!(
        last,
        [session_status("in", "connected"), connected.clone()],
        "{lines:#?}"
    );
    for pair in attempts.chunks(2) {
        assert_eq!(
            pair,
            [
                session_status("in", "connecting"),
                session_status("out", "connecting")
            ],
            "{lines:#?}"
        );
    }
}

/// How long `mosquitto_rr` waits for a device's answer, in seconds.
const ANSWER_WITHIN_S: u32 = WAIT.as_secs() as u32;

/// The editor's inject button and debug switch over MQTT
/// (`controls.json`): `mosquitto_rr` presses the device's inject node and
/// switches its debug nodes on the device's control topics, each request
/// answered, with its correlation data, by the code Node-RED's admin API
/// answers, and the device's debug lines show what each did. Bytes that are
/// no request are answered `400` and leave the device serving.
#[test]
fn inject_nodes_are_pressed_and_debug_nodes_switched_over_mqtt() {
    let broker = Mosquitto::start();
    let (dir, _) = build_test_flow("controls");
    let online = broker.subscriber("psos/controls/controls-host/status", 1);
    let device = start(dir.path(), "controls-host", &broker);
    assert_eq!(online.wait(WAIT).len(), 1, "the device is online");
    let control = "psos/controls/controls-host";
    let request = |topic: &str, body: &str, correlation: &str| {
        broker.request(
            &format!("{control}/{topic}"),
            body.as_bytes(),
            correlation,
            "%p",
            ANSWER_WITHIN_S,
        )
    };
    let wait = WAIT;
    let shown = "[controls-host] [debug:shown] b : pressed";
    let off = "[controls-host] [debug:off] b : pressed";

    // The answer carries the request's correlation data back.
    assert_eq!(
        broker
            .request(
                &format!("{control}/inject/button"),
                b"",
                "first",
                "%D %p",
                ANSWER_WITHIN_S
            )
            .as_deref(),
        Some("first 200")
    );
    // The node `off` is inactive, as its flow says.
    assert_eq!(debug_lines(&device, 1, wait), [shown]);

    assert_eq!(request("debug/off/enable", "", "2").as_deref(), Some("200"));
    assert_eq!(request("inject/button", "", "3").as_deref(), Some("200"));
    assert_eq!(debug_lines(&device, 2, wait), [shown, off]);

    // The bulk form turns both off; a press then shows nothing, until
    // one is on again.
    let both = r#"{"nodes":["shown","off"]}"#;
    assert_eq!(request("debug/disable", both, "4").as_deref(), Some("201"));
    assert_eq!(request("inject/button", "", "5").as_deref(), Some("200"));
    assert_eq!(
        request("debug/shown/enable", "", "6").as_deref(),
        Some("200")
    );
    // `__user_inject_props__` in place of the node's properties.
    let props = r#"{"__user_inject_props__":[{"p":"topic","v":"u","vt":"str"},{"p":"payload","v":"41.5","vt":"num"}]}"#;
    assert_eq!(request("inject/button", props, "7").as_deref(), Some("200"));
    assert_eq!(
        debug_lines(&device, 1, wait),
        ["[controls-host] [debug:shown] u : 41.5"]
    );

    // What Node-RED answers 404 and 400; hostile bytes besides.
    assert_eq!(request("inject/nothing", "", "8").as_deref(), Some("404"));
    assert_eq!(
        request("debug/shown/foobar", "", "9").as_deref(),
        Some("404")
    );
    assert_eq!(request("debug/disable", "{}", "10").as_deref(), Some("400"));
    for (index, garbage) in [
        &b"\xff\xfe{"[..],
        b"{\"__user_inject_props__\":[{\"p\":",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1",
    ]
    .iter()
    .enumerate()
    {
        let answer = broker.request(
            &format!("{control}/inject/button"),
            garbage,
            &format!("g{index}"),
            "%p",
            ANSWER_WITHIN_S,
        );
        assert_eq!(answer.as_deref(), Some("400"));
    }
    assert_eq!(request("inject/button", "", "11").as_deref(), Some("200"));
    assert_eq!(debug_lines(&device, 1, wait), [shown]);
    // Each refused request is counted: two 404s and four 400s.
    let mut device = device;
    device.terminate();
    let (lines, _) = device.read_to_end(wait);
    let report = lines.join("\n");
    assert!(report.contains(", bad value 6,"), "{report}");
}
