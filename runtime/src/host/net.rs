//! The `host` board's link to the broker: TCP, or TLS over TCP with the
//! server's certificate verified (feature `tls`, rustls with ring), and the
//! user and password from the environment.

use std::string::{String, ToString};

use embedded_io_adapters::futures_03::FromFutures;

type TcpStream = super::reactor::Async<std::net::TcpStream>;

/// What the plain stream reads into at once. minimq asks for a packet a
/// few bytes at a time (its type, its length, its body); served from here,
/// a message costs one `recv` of the socket instead of three.
const READ_AHEAD: usize = 4096;

/// Where the broker is and how to reach it, from the flow or the
/// environment. Credentials and the CA file come from the environment only.
pub struct Link {
    /// `HOST:PORT`.
    address: String,
    /// The broker's host name, which its certificate must name.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    host: String,
    tls: Tls,
    /// From `PSOS_MQTT_USERNAME` and `PSOS_MQTT_PASSWORD`, when set.
    credentials: Option<(String, String)>,
}

enum Tls {
    Off,
    #[cfg(feature = "tls")]
    On(futures_rustls::TlsConnector),
    /// TLS was asked for but cannot be had: why, said once.
    Unavailable(String),
}

impl Link {
    /// The broker at `PSOS_BROKER` (`mqtt://HOST:PORT`, or `mqtts://HOST:PORT`
    /// for TLS, as `psosc run` sets it), or else at `url`, the flow's
    /// broker. Over TLS the server's certificate is checked against the CA
    /// certificates in the PEM file `PSOS_MQTT_CA` names, or else `ca_file`
    /// (the flow's `tls-config`), or else the public roots that browsers
    /// trust (Mozilla's, built in). The user and password come from
    /// `PSOS_MQTT_USERNAME` and `PSOS_MQTT_PASSWORD`, when set.
    pub fn from_env_or(url: &str, ca_file: Option<&str>) -> Self {
        let url = std::env::var("PSOS_BROKER").unwrap_or_else(|_| url.to_string());
        let (secure, rest) = match url.split_once("://") {
            Some(("mqtts", rest)) => (true, rest),
            Some((_, rest)) => (false, rest),
            None => (false, url.as_str()),
        };
        let address = rest.trim_end_matches('/').to_string();
        let host = match address.rsplit_once(':') {
            Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']'),
            None => address.as_str(),
        }
        .to_string();
        let ca_file = std::env::var("PSOS_MQTT_CA")
            .ok()
            .or_else(|| ca_file.map(str::to_string));
        let tls = if secure {
            connector(ca_file.as_deref())
        } else {
            Tls::Off
        };
        let credentials = std::env::var("PSOS_MQTT_USERNAME").ok().map(|user| {
            (
                user,
                std::env::var("PSOS_MQTT_PASSWORD").unwrap_or_default(),
            )
        });
        Self {
            address,
            host,
            tls,
            credentials,
        }
    }
}

#[cfg(feature = "tls")]
fn connector(ca_file: Option<&str>) -> Tls {
    use futures_rustls::rustls;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certificates = match CertificateDer::pem_file_iter(path) {
                Ok(certificates) => certificates,
                Err(error) => {
                    return Tls::Unavailable(std::format!(
                        "cannot read the CA file {path}: {error}"
                    ))
                }
            };
            for certificate in certificates {
                let added =
                    certificate
                        .map_err(|error| error.to_string())
                        .and_then(|certificate| {
                            roots.add(certificate).map_err(|error| error.to_string())
                        });
                if let Err(error) = added {
                    return Tls::Unavailable(std::format!(
                        "a certificate in the CA file {path} is unusable: {error}"
                    ));
                }
            }
            if roots.is_empty() {
                return Tls::Unavailable(std::format!("the CA file {path} holds no certificate"));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
        Err(error) => return Tls::Unavailable(error.to_string()),
    };
    Tls::On(futures_rustls::TlsConnector::from(std::sync::Arc::new(
        config,
    )))
}

#[cfg(not(feature = "tls"))]
fn connector(_ca_file: Option<&str>) -> Tls {
    Tls::Unavailable(
        "this device was built without TLS: build it with the `psos/tls` feature (psosc does for a broker with TLS)"
            .to_string(),
    )
}

/// A stream to the broker, plain or encrypted.
pub enum Stream {
    Plain(FromFutures<futures_lite::io::BufReader<TcpStream>>),
    #[cfg(feature = "tls")]
    Tls(std::boxed::Box<FromFutures<futures_rustls::client::TlsStream<TcpStream>>>),
}

/// Acknowledges what arrived at once rather than after Linux's delayed-ACK
/// timer. A broker that does not set TCP_NODELAY (Mosquitto's default)
/// holds each small packet, a PUBACK say, until the one before is
/// acknowledged: with delayed ACKs, the session's QoS 1 window then moves
/// every 40 ms, and the outbox overflows at a few hundred messages a
/// second. Linux clears the flag as it goes, so it is set after every read.
fn quick_ack(stream: &std::net::TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

impl embedded_io_async::ErrorType for Stream {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for Stream {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        match self {
            Stream::Plain(stream) => {
                // Only a read that goes to the socket clears the flag.
                let from_socket = stream.inner().buffer().is_empty();
                let read = stream.read(buf).await;
                if from_socket {
                    quick_ack(stream.inner().get_ref().get_ref());
                }
                read
            }
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => {
                let read = stream.read(buf).await;
                quick_ack(stream.inner().get_ref().0.get_ref());
                read
            }
        }
    }
}

impl embedded_io_async::Write for Stream {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        match self {
            Stream::Plain(stream) => stream.write(buf).await,
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => stream.write(buf).await,
        }
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        match self {
            Stream::Plain(stream) => stream.flush().await,
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => stream.flush().await,
        }
    }
}

impl crate::mqtt::Transport for Link {
    type Io = Stream;

    async fn connect(&mut self) -> Option<Self::Io> {
        use std::net::ToSocketAddrs;
        if let Tls::Unavailable(why) = &self.tls {
            // Said once: the device then waits for ever, as it would for
            // an unreachable broker, with its local wires running.
            std::eprintln!("psos: no TLS to the broker at {}: {why}", self.address);
            self.tls = Tls::Unavailable(String::new());
            return None;
        }
        // Name resolution blocks, but only while the broker is unreachable
        // anyway, and then only briefly.
        let address = self.address.to_socket_addrs().ok()?.next()?;
        let stream = super::reactor::connect(address).await.ok()?;
        let _ = stream.get_ref().set_nodelay(true);
        match &self.tls {
            Tls::Off => Some(Stream::Plain(FromFutures::new(
                futures_lite::io::BufReader::with_capacity(READ_AHEAD, stream),
            ))),
            #[cfg(feature = "tls")]
            Tls::On(connector) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone()).ok()?;
                match connector.connect(name, stream).await {
                    Ok(stream) => Some(Stream::Tls(std::boxed::Box::new(FromFutures::new(stream)))),
                    Err(error) => {
                        std::eprintln!(
                            "psos: TLS with the broker at {} failed: {error}",
                            self.address
                        );
                        None
                    }
                }
            }
            Tls::Unavailable(_) => None,
        }
    }

    fn credentials(&self) -> Option<(&str, &[u8])> {
        self.credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_bytes()))
    }
}
