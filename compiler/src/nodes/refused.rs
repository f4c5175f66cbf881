//! Node-RED's node types that do not run on a device, with why and what to
//! do instead: the one home of these reasons, which the diagnostic for an
//! unsupported node type gives.

/// Why a node type does not run on a device, and what to use instead.
pub struct Refusal {
    pub why: &'static str,
    pub instead: &'static str,
}

/// What a device lacks for each group of node types.
const NO_JAVASCRIPT: Refusal = Refusal {
    why: "it runs JavaScript, which a device cannot",
    instead: "write the logic as a custom node in Rust (`#[psos::node]`, see examples/), or with change, switch and range nodes",
};
const NO_PROCESSES: Refusal = Refusal {
    why: "a device has no operating system to run commands on",
    instead: "run the command on a computer in a Node-RED or PSOS host device and exchange its results over MQTT",
};
const NO_FILES: Refusal = Refusal {
    why: "a device has no file system",
    instead: "send what is to be stored over MQTT to a computer that keeps it (a Node-RED flow or a `host` device)",
};
const ONLY_MQTT: Refusal = Refusal {
    why: "a device reaches the network through MQTT only",
    instead: "let a Node-RED instance bridge HTTP, WebSocket, TCP or UDP to MQTT topics, and use mqtt in / mqtt out on the device",
};
const NO_DASHBOARD: Refusal = Refusal {
    why: "dashboard nodes need a web server and a browser",
    instead: "watch and drive the devices from a Node-RED dashboard that talks to them over MQTT",
};
const NO_DOCUMENT_PARSERS: Refusal = Refusal {
    why: "parsing HTML, XML and YAML documents needs memory a device does not set aside",
    instead:
        "convert documents to JSON in Node-RED before they reach the device, and use the json node",
};

/// The reason a Node-RED node type is refused, when it is one psosc knows.
pub fn refusal(type_name: &str) -> Option<&'static Refusal> {
    let refusal = match type_name {
        "function" => &NO_JAVASCRIPT,
        "exec" => &NO_PROCESSES,
        "file" | "file in" | "watch" => &NO_FILES,
        "html" | "xml" | "yaml" => &NO_DOCUMENT_PARSERS,
        t if t.starts_with("http")
            || t.starts_with("websocket")
            || t.starts_with("tcp")
            || t.starts_with("udp") =>
        {
            &ONLY_MQTT
        }
        t if t.starts_with("ui_") || t.starts_with("ui-") => &NO_DASHBOARD,
        _ => return None,
    };
    Some(refusal)
}
