//! rumqttd in psosc's process: the broker `psosc run` starts unless
//! `--broker` names one. Two plain TCP listeners on free loopback ports, one
//! for MQTT 5 (what devices speak) and one for MQTT 3.1.1 (older clients);
//! rumqttd needs a listener per protocol level.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::RunError;

/// How long the broker has to answer a TCP connection or an MQTT CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts rumqttd and returns its MQTT 5 and MQTT 3.1.1 addresses once both
/// accept an MQTT CONNECT.
pub fn start() -> Result<(SocketAddr, SocketAddr), RunError> {
    let broker_error = |error: io::Error| RunError::Broker(error.to_string());
    // rumqttd binds inside its own threads and does not say which port an
    // address with port 0 got, so free ports are found here: both are held
    // at once, so they differ, then let go for rumqttd to take.
    let v5_probe = TcpListener::bind("127.0.0.1:0").map_err(broker_error)?;
    let v311_probe = TcpListener::bind("127.0.0.1:0").map_err(broker_error)?;
    let v5 = v5_probe.local_addr().map_err(broker_error)?;
    let v311 = v311_probe.local_addr().map_err(broker_error)?;
    drop((v5_probe, v311_probe));

    report_broker_panics_briefly();
    let mut broker = rumqttd::Broker::new(rumqttd_config(v5, v311));
    std::thread::Builder::new()
        .name("psosc-broker".into())
        .spawn(move || {
            // It returns only when every listener has failed, which the
            // readiness check below reports.
            let _ = broker.start();
        })
        .map_err(broker_error)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    for (address, protocol) in [(v5, Protocol::V5), (v311, Protocol::V311)] {
        wait_for_connack(address, protocol, deadline)
            .map_err(|error| RunError::Broker(format!("no MQTT answer on {address}: {error}")))?;
    }
    Ok((v5, v311))
}

/// The MQTT protocol levels psosc's broker listens for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    V311,
    V5,
}

/// Threads of rumqttd, by the start of their names: the listeners (named
/// after them, in [`rumqttd_config`]), the router, and the broker's own.
const BROKER_THREADS: &[&str] = &["psosc-v5", "psosc-v311", "router-", "psosc-broker"];

/// rumqttd unwraps in places; a panic in one of its threads (a connection's
/// task, mostly) would print a backtrace among the devices' output, once
/// per later connection if it poisoned a lock. The first such panic is
/// reported in one line instead, the later ones not at all; a panic
/// anywhere else goes to the hook that was there before.
fn report_broker_panics_briefly() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Once;

    static INSTALL: Once = Once::new();
    static REPORTED: AtomicBool = AtomicBool::new(false);
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or_default();
            if !BROKER_THREADS.iter().any(|prefix| name.starts_with(prefix)) {
                return previous(info);
            }
            if REPORTED.swap(true, Ordering::SeqCst) {
                return;
            }
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            eprintln!(
                "psosc: the embedded broker failed in its thread {name}: {payload}; \
                 clients connected so far keep working, new ones may be refused"
            );
        }));
    });
}

/// rumqttd's configuration: two plain TCP listeners on loopback, no
/// metrics, no console, and limits generous for a development broker.
fn rumqttd_config(v5: SocketAddr, v311: SocketAddr) -> rumqttd::Config {
    use std::collections::HashMap;

    let listener = |name: &str, listen: SocketAddr| {
        let settings = rumqttd::ServerSettings {
            name: name.to_string(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: 256 * 1024,
                max_inflight_count: 100,
                auth: None,
                external_auth: None,
                // Clients subscribe to whatever topics they like.
                dynamic_filters: true,
            },
        };
        HashMap::from([(name.to_string(), settings)])
    };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            // Per topic log kept in memory: 10 segments of 1 MiB at most.
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(listener("psosc-v311", v311)),
        v5: Some(listener("psosc-v5", v5)),
        ..Default::default()
    }
}

/// Connects to `address` until an MQTT CONNECT is accepted, then
/// disconnects cleanly. A bare TCP probe would prove less (the port could
/// be someone else's) and look like a broken client to the broker.
fn wait_for_connack(address: SocketAddr, protocol: Protocol, deadline: Instant) -> io::Result<()> {
    let mut attempt: u32 = 0;
    loop {
        // A client id of its own for every attempt: rumqttd 0.20 panics,
        // and then refuses every later client of that listener, when a
        // client id whose earlier connection failed half-way connects again.
        attempt = attempt.wrapping_add(1);
        let client_id = format!("psosc-probe-{protocol:?}-{attempt}");
        match mqtt_handshake(address, protocol, &client_id) {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn mqtt_handshake(address: SocketAddr, protocol: Protocol, client_id: &str) -> io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(CONNECT_TIMEOUT))?;
    stream.write_all(&connect_packet(protocol, client_id))?;
    // CONNACK: type 2, then the remaining length (under 128 here, one byte),
    // the acknowledge flags and the return or reason code.
    let mut connack = [0; 4];
    stream.read_exact(&mut connack)?;
    if connack[0] != 0x20 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "expected a CONNACK, got a packet of type {}",
                connack[0] >> 4
            ),
        ));
    }
    if connack[3] != 0 {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("the broker refused the connection (code {})", connack[3]),
        ));
    }
    // DISCONNECT with no reason code: a normal disconnection at both levels.
    stream.write_all(&[0xE0, 0x00])?;
    Ok(())
}

/// An MQTT CONNECT packet with a clean session, a keepalive of 10 s and no
/// properties, will, user or password.
fn connect_packet(protocol: Protocol, client_id: &str) -> Vec<u8> {
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T'];
    match protocol {
        Protocol::V311 => body.extend([4, 0x02, 0x00, 0x0A]),
        // Level 5 adds a property length, here zero.
        Protocol::V5 => body.extend([5, 0x02, 0x00, 0x0A, 0x00]),
    }
    let id = client_id.as_bytes();
    body.extend((id.len() as u16).to_be_bytes());
    body.extend(id);
    // The client id is short, so the remaining length fits one byte.
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packets_follow_the_protocol_levels() {
        assert_eq!(
            connect_packet(Protocol::V311, "a"),
            [0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 10, 0, 1, b'a']
        );
        assert_eq!(
            connect_packet(Protocol::V5, "a"),
            [0x10, 14, 0, 4, b'M', b'Q', b'T', b'T', 5, 2, 0, 10, 0, 0, 1, b'a']
        );
    }
}
