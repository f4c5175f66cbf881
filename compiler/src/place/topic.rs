//! The MQTT topic of a wire between devices: the one home of the scheme
//! `psos/<flow>/<source node id>/<port>` that the README documents and
//! the MQTT wiring will publish and subscribe to.
//!
//! The topic names the sending end only, so a port wired to nodes on
//! several other devices publishes each message once, and every receiving
//! device subscribes to the same topic. It depends on nothing the
//! placement decides, so it stays the same when nodes move. Node-RED's ids
//! are hexadecimal and flow names are file names, so topics are usually
//! readable as they are; any byte outside `A-Z a-z 0-9 - _ .` is written
//! `%XX` (as in URLs), which keeps `/`, `+`, `#` and `%` itself from
//! changing the topic's levels or reading as wildcards.
//!
//! It also holds the topics psosc adds under a device's own: its status,
//! its debug nodes' mirror, and its controls.

/// The first level of every topic psosc chooses.
pub const ROOT: &str = "psos";

/// The topic that carries messages from a node's output `port` to nodes on
/// other devices.
pub fn wire_topic(flow_name: &str, source_id: &str, port: usize) -> String {
    format!(
        "{ROOT}/{}/{}/{port}",
        topic_level(flow_name),
        topic_level(source_id)
    )
}

/// The topic where a device retains its `online` / `offline` status.
pub fn status_topic(flow_name: &str, device: &str) -> String {
    format!(
        "{ROOT}/{}/{}/status",
        topic_level(flow_name),
        topic_level(device)
    )
}

/// The topic where a device mirrors its debug nodes' sidebar messages
/// (`tosidebar`), at QoS 0: a Node-RED `mqtt in` on `psos/<flow>/+/debug`
/// (datatype `json`) receives what Node-RED's own debug sidebar would show.
pub fn debug_topic(flow_name: &str, device: &str) -> String {
    format!(
        "{ROOT}/{}/{}/debug",
        topic_level(flow_name),
        topic_level(device)
    )
}

/// The topics of a device's controls, as Node-RED's admin API has them
/// for its editor: `psos/<flow>/<device>/inject/<node id>` presses an
/// inject node, `psos/<flow>/<device>/debug/<node id>/<state>` switches a
/// debug node, and `psos/<flow>/<device>/debug/<state>` several
/// (`psos::control`). These are the prefixes, each ending in `/`; the
/// device subscribes to them with `+` for each level after.
pub fn control_prefixes(flow_name: &str, device: &str) -> (String, String) {
    let device_topic = format!("{ROOT}/{}/{}", topic_level(flow_name), topic_level(device));
    (
        format!("{device_topic}/inject/"),
        format!("{device_topic}/debug/"),
    )
}

/// A node's id as one level of a control topic.
pub fn node_level(id: &str) -> String {
    topic_level(id)
}

/// One level of a topic, escaped so that it stays one level.
fn topic_level(text: &str) -> String {
    let mut level = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            level.push(char::from(byte));
        } else {
            level.push_str(&format!("%{byte:02X}"));
        }
    }
    if level.is_empty() {
        // An empty level would still be a level, but an invisible one.
        level.push_str("%00");
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(flow: &str, id: &str, port: usize, expect: &str) {
        assert_eq!(wire_topic(flow, id, port), expect);
    }

    #[test]
    fn topics_are_readable_and_one_level_per_part() {
        check(
            "greenhouse",
            "9e0a0000000000b1",
            0,
            "psos/greenhouse/9e0a0000000000b1/0",
        );
        check("my flow", "a/b+#", 2, "psos/my%20flow/a%2Fb%2B%23/2");
        check("f", "50%", 1, "psos/f/50%25/1");
        check("f", "é", 0, "psos/f/%C3%A9/0");
        check("", "a", 0, "psos/%00/a/0");
    }

    #[test]
    fn control_topics_sit_under_the_device() {
        assert_eq!(
            control_prefixes("my flow", "sensor"),
            (
                "psos/my%20flow/sensor/inject/".to_string(),
                "psos/my%20flow/sensor/debug/".to_string()
            )
        );
        assert_eq!(node_level("a/b+#"), "a%2Fb%2B%23");
    }
}
