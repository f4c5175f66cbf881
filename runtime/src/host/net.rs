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

/// A stream to the broker, plain or encrypted, which acknowledges what it
/// read at once when nothing it writes would carry the acknowledgement.
pub struct Stream {
    link: Encryption,
    /// Bytes came from the socket and nothing was written since: the
    /// kernel's acknowledgement of them waits for its delayed-ACK timer.
    ack_owed: bool,
}

enum Encryption {
    Plain(FromFutures<futures_lite::io::BufReader<TcpStream>>),
    #[cfg(feature = "tls")]
    Tls(std::boxed::Box<FromFutures<futures_rustls::client::TlsStream<TcpStream>>>),
}

/// Acknowledges what arrived at once rather than after Linux's delayed-ACK
/// timer. A broker that does not set TCP_NODELAY (Mosquitto's default)
/// holds each small packet, a PUBACK say, until the one before is
/// acknowledged: with delayed ACKs, the session's QoS 1 window then moves
/// every 40 ms, and the outbox overflows at a few hundred messages a
/// second.
///
/// Forcing the acknowledgement out costs a system call and a segment of
/// its own through the network stack, and is needed only when no data
/// follows soon: every segment the device sends acknowledges all it has
/// read. So the stream asks for it only when it is about to read from the
/// socket again (all it had read is used up) and has written nothing
/// since the last read from the socket: a device that answers what it
/// reads (a PUBACK for a PUBLISH, a message on) sends its answer, and the
/// acknowledgement with it, at the end of the executor's round. Asked for
/// after every read from the socket, as it was, the flag cost the
/// benchmark's echo device a `setsockopt` and a bare ACK segment through
/// loopback TCP per message under a burst (19,806 calls for 20,000
/// messages, 18% of its CPU time in `perf record`); asked for this way,
/// 3 to 86 calls. Linux clears the flag as it goes, so it is set each
/// time.
fn quick_ack(stream: &std::net::TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

impl Stream {
    fn new(link: Encryption) -> Self {
        Self {
            link,
            ack_owed: false,
        }
    }

    fn socket(&self) -> &std::net::TcpStream {
        match &self.link {
            Encryption::Plain(stream) => stream.inner().get_ref().get_ref(),
            #[cfg(feature = "tls")]
            Encryption::Tls(stream) => stream.inner().get_ref().0.get_ref(),
        }
    }

    /// Whether the next read goes to the socket: all read so far is used.
    fn reads_socket(&self) -> bool {
        match &self.link {
            Encryption::Plain(stream) => stream.inner().buffer().is_empty(),
            // rustls keeps what it decrypted out of sight: any read may
            // go to the socket.
            #[cfg(feature = "tls")]
            Encryption::Tls(_) => true,
        }
    }
}

impl embedded_io_async::ErrorType for Stream {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for Stream {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let from_socket = self.reads_socket();
        if from_socket && core::mem::take(&mut self.ack_owed) {
            quick_ack(self.socket());
        }
        let read = match &mut self.link {
            Encryption::Plain(stream) => stream.read(buf).await,
            #[cfg(feature = "tls")]
            Encryption::Tls(stream) => stream.read(buf).await,
        };
        if from_socket && matches!(read, Ok(count) if count > 0) {
            self.ack_owed = true;
        }
        read
    }
}

impl embedded_io_async::Write for Stream {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        // What goes out at the end of the round acknowledges what was read.
        self.ack_owed = false;
        match &mut self.link {
            Encryption::Plain(stream) => stream.write(buf).await,
            #[cfg(feature = "tls")]
            Encryption::Tls(stream) => stream.write(buf).await,
        }
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        match &mut self.link {
            Encryption::Plain(stream) => stream.flush().await,
            #[cfg(feature = "tls")]
            Encryption::Tls(stream) => stream.flush().await,
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
            Tls::Off => Some(Stream::new(Encryption::Plain(FromFutures::new(
                futures_lite::io::BufReader::with_capacity(READ_AHEAD, stream),
            )))),
            #[cfg(feature = "tls")]
            Tls::On(connector) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone()).ok()?;
                match connector.connect(name, stream).await {
                    Ok(stream) => Some(Stream::new(Encryption::Tls(std::boxed::Box::new(
                        FromFutures::new(stream),
                    )))),
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
