//! A real Node-RED (the npm package the test command installs into
//! `tests/node-red/`) as a peer of the devices: started on a free loopback
//! port in a private user directory, and killed when dropped. A test either
//! gives it one flow at start ([`NodeRed::start`]) or starts it empty and
//! deploys flow after flow through its admin API ([`NodeRed::serve`],
//! [`NodeRed::deploy`]), which is much faster than starting it again.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::repo_root;

/// How long Node-RED may take to start and open its admin API.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct NodeRed {
    child: Child,
    /// The port of its editor and admin API, on `127.0.0.1`.
    port: u16,
    _dir: tempfile::TempDir,
}

impl NodeRed {
    /// Starts Node-RED with `flow` (a flow file's JSON text) and returns
    /// once its admin API answers. It connects to its brokers by itself; a
    /// test waits for what the flow publishes.
    pub fn start(flow: &str) -> Self {
        Self::start_with_settings(flow, &[], &serde_json::Map::new())
    }

    /// Starts Node-RED with `flow`, its settings configuring a context store
    /// of the memory module named `default` and one of each of `stores`
    /// (none configured when `stores` is empty, as by [`Self::start`]),
    /// holding each member of `more`, and returns once its admin API
    /// answers. A port found free can be taken by another process before
    /// Node-RED listens on it; Node-RED then exits, and another port is
    /// tried.
    fn start_with_settings(
        flow: &str,
        stores: &[String],
        more: &serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        for _ in 0..5 {
            let mut node_red = Self::spawn(flow, stores, more);
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if let Ok(Some(_)) = node_red.child.try_wait() {
                    break;
                }
                if node_red
                    .request("GET", "/flows", &[], "")
                    .is_ok_and(|(status, _)| status == 200)
                {
                    return node_red;
                }
                assert!(
                    Instant::now() < deadline,
                    "Node-RED's admin API did not answer within {START_TIMEOUT:?}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("Node-RED exited while starting, five times");
    }

    /// Starts the Node-RED process on a free port.
    fn spawn(
        flow: &str,
        stores: &[String],
        more: &serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("flows.json"), flow).expect("the flow is written");
        let mut defined = more.clone();
        if !stores.is_empty() {
            // `default` comes first, so it is the default store.
            let memory = serde_json::json!({"module": "memory"});
            let mut configured = serde_json::Map::new();
            for name in std::iter::once("default").chain(stores.iter().map(String::as_str)) {
                configured.insert(name.to_string(), memory.clone());
            }
            defined.insert("contextStorage".to_string(), configured.into());
        }
        let mut settings = Vec::new();
        if !defined.is_empty() {
            // `-D @file` sets each member of the file's object in the
            // settings.
            let file = dir.path().join("settings.json");
            std::fs::write(&file, serde_json::Value::Object(defined).to_string())
                .expect("the settings are written");
            settings = vec!["-D".to_string(), format!("@{}", file.display())];
        }
        let red = repo_root().join("tests/node-red/node_modules/node-red/red.js");
        assert!(
            red.exists(),
            "Node-RED is not installed: run `cargo xtask test` (or npm ci in tests/node-red)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let child = Command::new("node")
            .arg(&red)
            .args([
                "-u",
                &dir.path().display().to_string(),
                "-p",
                &port.to_string(),
            ])
            .args([
                "-D",
                "uiHost=127.0.0.1",
                "-D",
                "credentialSecret=false",
                "-D",
                "telemetry.enabled=false",
            ])
            .args(&settings)
            .arg("flows.json")
            .current_dir(Path::new(dir.path()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// The id of the `node` process that runs Node-RED.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts Node-RED with no flow and returns once its admin API answers,
    /// ready for [`Self::deploy`].
    /// Its settings configure the context stores `stores` beside a default
    /// one, none when it is empty, and hold each member of `more` (see
    /// [`Self::start_with_settings`]).
    pub fn serve(stores: &[String], more: &serde_json::Map<String, serde_json::Value>) -> Self {
        Self::start_with_settings("[]", stores, more)
    }

    /// Replaces every flow Node-RED runs with `flow` (a flow file's JSON
    /// text), as the editor's "full" deploy does: all nodes stop, and the
    /// new ones start, connecting to their brokers again.
    pub fn deploy(&self, flow: &str) {
        let headers = [
            ("Content-Type", "application/json"),
            ("Node-RED-Deployment-Type", "full"),
        ];
        match self.request("POST", "/flows", &headers, flow) {
            Ok((200 | 204, _)) => {}
            Ok((status, body)) => panic!("Node-RED refused the flow ({status}): {body}"),
            Err(error) => panic!("Node-RED's admin API is unreachable: {error}"),
        }
    }

    /// One HTTP/1.1 request to the admin API; its status and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_string();
        Ok((status, body))
    }
}

impl Drop for NodeRed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An `mqtt-broker` config node with id `broker` for a Node-RED flow: MQTT 5
/// to the broker on this machine's `port`, retaining `online` at
/// `status_topic` once connected (its birth message), so a test knows when
/// Node-RED is there.
pub fn broker_node(port: u16, client_id: &str, status_topic: &str) -> String {
    format!(
        r#"{{"id": "broker", "type": "mqtt-broker", "broker": "127.0.0.1", "port": "{port}", "clientid": "{client_id}",
          "protocolVersion": "5", "keepalive": "60", "cleansession": true, "autoConnect": true,
          "birthTopic": "{status_topic}", "birthQos": "1", "birthRetain": "true", "birthPayload": "online"}}"#
    )
}
