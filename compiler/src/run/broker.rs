//! The MQTT broker of a run: the URL given with `--broker`, or the embedded
//! one (rumqttd, in `embedded_broker.rs`).

use std::fmt;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

use super::RunError;

/// The port MQTT brokers listen on when a URL names none.
const DEFAULT_PORT: u16 = 1883;

/// The port of MQTT over TLS when a URL names none.
const DEFAULT_TLS_PORT: u16 = 8883;

/// A broker's address as `--broker` takes it: `mqtt://HOST[:PORT]`, or
/// `mqtts://HOST[:PORT]` for TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrl {
    /// A host name or an IP address (an IPv6 one without brackets).
    pub host: String,
    pub port: u16,
    /// TLS, the broker's certificate verified.
    pub tls: bool,
}

/// Why a `--broker` value is not a broker URL psosc can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrokerUrlError(String);

impl FromStr for BrokerUrl {
    type Err = BrokerUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |message: String| Err(BrokerUrlError(message));
        let Some((scheme, rest)) = text.split_once("://") else {
            return error(format!(
                "`{text}` is not a broker URL; expected mqtt://HOST:PORT"
            ));
        };
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" => false,
            "mqtts" => true,
            _ => {
                return error(format!(
                    "unknown scheme `{scheme}://`; expected mqtt://HOST:PORT or mqtts://HOST:PORT"
                ))
            }
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('@') {
            // The SPEC keeps credentials out of command lines, which other
            // users of the machine can read.
            return error(
                "a user or password in the broker URL is not accepted: \
                 credentials come from the environment, never the command line"
                    .to_string(),
            );
        }
        if authority.contains(['/', '?', '#']) {
            return error(format!(
                "`{text}` has a path or query; expected only mqtt://HOST:PORT"
            ));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let Some((address, after)) = bracketed.split_once(']') else {
                    return error(format!("`{text}`: `[` without `]` around an IPv6 address"));
                };
                if address.parse::<Ipv6Addr>().is_err() {
                    return error(format!("`{address}` is not an IPv6 address"));
                }
                match after.strip_prefix(':') {
                    Some(port) => (address, Some(port)),
                    None if after.is_empty() => (address, None),
                    None => return error(format!("`{text}`: expected `:PORT` after `]`")),
                }
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return error(format!("`{text}` names no host; expected mqtt://HOST:PORT"));
        }
        // QEMU takes the host inside a comma-separated option list, and the
        // devices inside an environment variable: only a host name's or an
        // address's characters may pass.
        let is_host_character = |character: char| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '-' | ':')
        };
        if !host.chars().all(is_host_character) {
            return error(format!("`{host}` is not a host name or an IP address"));
        }
        let port = match port {
            None if tls => DEFAULT_TLS_PORT,
            None => DEFAULT_PORT,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return error(format!("`{port}` is not a port (1 to 65535)")),
            },
        };
        Ok(BrokerUrl {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(formatter, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(formatter, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// How long a broker given with `--broker` has to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks that a TCP connection to the broker opens. Every device keeps
/// trying to reach its broker (`host` devices by themselves, QEMU's UART0
/// by dialling again every second), so an absent broker is only worth a
/// warning.
pub fn check_reachable(url: &BrokerUrl) {
    let reached = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .and_then(|mut addresses| {
            addresses
                .next()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the host has no address"))
        })
        .and_then(|address| TcpStream::connect_timeout(&address, CONNECT_TIMEOUT));
    if let Err(error) = reached {
        eprintln!(
            "psosc: warning: cannot reach the broker at {url} ({error}); \
             the devices will keep trying"
        );
    }
}

/// rumqttd running in this process. Its threads have no way to be stopped;
/// they end with the process, after the devices.
pub struct EmbeddedBroker {
    /// The MQTT 5 listener, which the devices use.
    pub v5: SocketAddr,
    /// The MQTT 3.1.1 listener, for clients that speak only that.
    pub v311: SocketAddr,
}

impl EmbeddedBroker {
    /// The URL the devices are given.
    pub fn url(&self) -> BrokerUrl {
        BrokerUrl {
            host: self.v5.ip().to_string(),
            port: self.v5.port(),
            tls: false,
        }
    }

    /// Starts rumqttd on two free loopback ports and returns once both
    /// answer an MQTT CONNECT of their protocol level.
    #[cfg(feature = "embedded-broker")]
    pub fn start() -> Result<Self, RunError> {
        let (v5, v311) = super::embedded_broker::start()?;
        Ok(Self { v5, v311 })
    }

    #[cfg(not(feature = "embedded-broker"))]
    pub fn start() -> Result<Self, RunError> {
        Err(RunError::NoEmbeddedBroker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Result<(&str, u16), &str>) {
        let parsed = text.parse::<BrokerUrl>();
        match (parsed, expect) {
            (Ok(url), Ok((host, port))) => {
                assert_eq!((url.host.as_str(), url.port), (host, port), "{text}");
                // What is printed reads back the same.
                assert_eq!(url.to_string().parse::<BrokerUrl>(), Ok(url));
            }
            (Err(error), Err(fragment)) => assert!(
                error.to_string().contains(fragment),
                "{text}: {error} should mention {fragment:?}"
            ),
            (parsed, expect) => panic!("{text}: got {parsed:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn broker_urls() {
        check("mqtt://127.0.0.1:1884", Ok(("127.0.0.1", 1884)));
        check("mqtt://broker.local", Ok(("broker.local", 1883)));
        check("MQTT://broker.local:1883/", Ok(("broker.local", 1883)));
        check("mqtt://[::1]:1885", Ok(("::1", 1885)));
        check("mqtt://[::1]", Ok(("::1", 1883)));
        check(
            "mqtts://broker.hivemq.cloud",
            Ok(("broker.hivemq.cloud", 8883)),
        );
        check("mqtts://127.0.0.1:8884", Ok(("127.0.0.1", 8884)));
        assert!("mqtts://a:1".parse::<BrokerUrl>().is_ok_and(|url| url.tls));
        assert!("mqtt://a:1".parse::<BrokerUrl>().is_ok_and(|url| !url.tls));
        check("http://localhost:1883", Err("unknown scheme `http://`"));
        check("localhost:1883", Err("expected mqtt://HOST:PORT"));
        check("mqtt://user:secret@localhost", Err("credentials"));
        check("mqtt://localhost:0", Err("not a port"));
        check("mqtt://localhost:65536", Err("not a port"));
        check("mqtt://localhost:", Err("not a port"));
        check("mqtt://:1883", Err("names no host"));
        check("mqtt://host,server=on:1883", Err("not a host name"));
        check("mqtt://localhost/topic", Err("path"));
        check("mqtt://[nonsense]:1883", Err("not an IPv6 address"));
    }
}
