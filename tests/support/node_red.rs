//! A real Node-RED (the npm package the test command installs into
//! `tests/node-red/`) as a peer of the devices: started on a free loopback
//! port with a flow of the test's, in a private user directory, and killed
//! when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::repo_root;

pub struct NodeRed {
    child: Child,
    _dir: tempfile::TempDir,
}

impl NodeRed {
    /// Starts Node-RED with `flow` (a flow file's JSON text). It connects to
    /// its brokers by itself; a test waits for what the flow publishes.
    pub fn start(flow: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("flows.json"), flow).expect("the flow is written");
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
            .arg("flows.json")
            .current_dir(Path::new(dir.path()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        Self { child, _dir: dir }
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
