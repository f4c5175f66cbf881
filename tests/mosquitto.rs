//! The harness's own Mosquitto, proven with the real clients before the
//! MQTT tests lean on it: retained messages, QoS 1, a restart on the same
//! port, and nothing left behind.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use support::mosquitto::Received;
use support::Mosquitto;

/// Long enough for a loaded machine; the waits end as soon as the
/// messages are in.
const TIMEOUT: Duration = support::WAIT;

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn the_broker_has_a_private_config_on_loopback() {
    let broker = Mosquitto::start();
    let config = std::fs::read_to_string(broker.config_path()).unwrap();
    assert!(config.contains(&format!("listener {} 127.0.0.1\n", broker.port())));
    assert!(config.contains("allow_anonymous true\n"));
    assert!(!config.contains("log_type all"));
    assert_eq!(broker.url(), format!("mqtt://127.0.0.1:{}", broker.port()));
    assert!(accepts_connections(broker.port()));
}

#[test]
fn a_retained_message_reaches_a_later_subscriber() {
    let broker = Mosquitto::start();
    // Bytes that a line-based or text-based reading would spoil.
    let payload = b"offline\n\r\x00 \xff\xfe end".to_vec();
    broker.publish("psos/flow/sensor/status", &payload, 1, true);
    // The subscriber connects after the publisher has gone.
    let received = broker.subscriber("psos/flow/+/status", 1).wait(TIMEOUT);
    assert_eq!(
        received,
        [Received {
            topic: "psos/flow/sensor/status".to_string(),
            payload: payload.clone(),
            qos: 1,
            retain: true,
        }]
    );
    assert_eq!(
        broker.subscribe("psos/#", 1, TIMEOUT),
        [("psos/flow/sensor/status".to_string(), payload)]
    );
    // An empty retained message clears it.
    broker.publish("psos/flow/sensor/status", b"", 1, true);
    assert_eq!(
        broker.subscribe("psos/#", 1, Duration::from_millis(500)),
        []
    );
}

#[test]
fn qos_1_messages_arrive_in_order() {
    let broker = Mosquitto::start();
    let subscriber = broker.subscriber("psos/flow/+/wire/#", 3);
    let sent: Vec<(String, Vec<u8>)> = (0..3)
        .map(|index| {
            (
                format!("psos/flow/a b/wire/{index}"),
                format!(r#"{{"payload":{index}}}"#).into_bytes(),
            )
        })
        .collect();
    for (topic, payload) in &sent {
        broker.publish(topic, payload, 1, false);
    }
    let received = subscriber.wait(TIMEOUT);
    let expected: Vec<Received> = sent
        .into_iter()
        .map(|(topic, payload)| Received {
            topic,
            payload,
            qos: 1,
            retain: false,
        })
        .collect();
    assert_eq!(received, expected);
}

#[test]
fn a_restarted_broker_accepts_clients_on_the_same_port() {
    let mut broker = Mosquitto::start();
    let port = broker.port();
    for round in 0..3 {
        broker.stop();
        assert_eq!(broker.pid(), None);
        assert!(!accepts_connections(port), "round {round}: still listening");
        broker.restart();
        assert_eq!(broker.port(), port);
        let subscriber = broker.subscriber("psos/restart", 1);
        broker.publish("psos/restart", round.to_string().as_bytes(), 1, false);
        let received = subscriber.wait(TIMEOUT);
        assert_eq!(received.len(), 1, "round {round}: {received:?}");
        assert_eq!(received[0].payload, round.to_string().as_bytes());
    }
    // A restart of a running broker stops it first.
    let before = broker.pid();
    broker.restart();
    assert_ne!(broker.pid(), before);
    assert!(accepts_connections(port));
}

#[test]
fn the_broker_is_gone_after_drop() {
    let broker = Mosquitto::start();
    let port = broker.port();
    let pid = broker.pid().expect("it runs");
    let process = format!("/proc/{pid}");
    let dir = broker.dir().to_path_buf();
    assert!(Path::new(&process).exists());
    drop(broker);
    // Killed and waited for, so not even a zombie is left.
    assert!(!Path::new(&process).exists(), "{process} is still there");
    assert!(!accepts_connections(port));
    assert!(!dir.exists(), "{} is still there", dir.display());
}
