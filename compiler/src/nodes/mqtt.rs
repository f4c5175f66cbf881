//! `mqtt in` and `mqtt out`: topics, QoS, retain and datatype, checked as
//! Node-RED would take them; and the session settings of `mqtt-broker`.

use super::Reader;
use crate::diagnostic::Code;
use crate::ir::{Announcement, Datatype, MqttIn, MqttOut, NodeKind, Session, Tls};
use crate::json::{Json, JsonValue};

pub fn lower_in(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let broker = broker(reader);
    let topic = reader.required_string(
        "topic",
        "a topic filter such as \"greenhouse/+/temperature\"",
    );
    let topic = topic.and_then(|topic| {
        if psos::topic::valid_filter(topic) {
            Some(topic.to_string())
        } else {
            let span = reader.node.value_span("topic");
            reader.malformed(
                "topic",
                span,
                format!("{topic:?} is not a topic filter"),
                Some(
                    "`+` stands for one whole level and `#` for the whole rest: a/+/c, a/#"
                        .to_string(),
                ),
            );
            None
        }
    });
    // Node-RED subscribes with QoS 2 by default. The devices' client does
    // QoS 1 at most; a subscription asks for a maximum, so QoS 1 serves it.
    let qos = qos(reader).map(|qos| match qos {
        Some(2) | None => {
            reader.warn(
                Code::UnsupportedValue,
                "qos",
                "QoS 2 is not supported: the node subscribes with QoS 1",
                "QoS 2",
                "set the node's QoS to 1 or 0 to silence this",
            );
            1
        }
        Some(qos) => qos,
    });
    let datatype = datatype(reader);
    Some(NodeKind::MqttIn(MqttIn {
        topic: topic?,
        qos: qos?,
        datatype: datatype?,
        broker: broker?,
    }))
}

pub fn lower_out(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let broker = broker(reader);
    let topic = match reader.string("topic") {
        None | Some("") => Some(None),
        Some(topic) if psos::topic::valid_topic(topic) => Some(Some(topic.to_string())),
        Some(topic) => {
            let span = reader.node.value_span("topic");
            reader.malformed(
                "topic",
                span,
                format!("{topic:?} cannot be published to"),
                Some(
                    "a topic has no wildcards (+, #); leave it empty to publish to msg.topic"
                        .to_string(),
                ),
            );
            None
        }
    };
    let qos = match qos(reader) {
        Some(Some(2)) => {
            let span = reader.node.value_span("qos");
            reader.unsupported(
                "qos",
                span,
                "QoS 2 (exactly once) is not supported".to_string(),
                "use QoS 1 (at least once) or 0 (at most once)",
            );
            None
        }
        other => other,
    };
    let retain = match reader.get("retain").map(|value| &value.value) {
        None | Some(JsonValue::Null) => Some(None),
        Some(JsonValue::String(s)) if s.is_empty() => Some(None),
        _ => Some(Some(reader.flag("retain", false))),
    };
    Some(NodeKind::MqttOut(MqttOut {
        topic: topic?,
        qos: qos?,
        retain: retain?,
        broker: broker?,
    }))
}

/// The `mqtt-broker` the node uses; the reference itself is checked with
/// the other references to config nodes.
fn broker(reader: &mut Reader<'_, '_>) -> Option<String> {
    reader
        .required_string("broker", "the id of an mqtt-broker config node")
        .map(str::to_string)
}

/// `qos`: 0, 1 or 2; empty means "from the message" (mqtt out) or the
/// default. The devices' client does not do QoS 2's four-way handshake,
/// which each node handles its own way.
fn qos(reader: &mut Reader<'_, '_>) -> Option<Option<u8>> {
    let Some(value) = reader.get("qos") else {
        return Some(None);
    };
    let number = match &value.value {
        JsonValue::Number(n) => Some(*n),
        JsonValue::String(s) if s.is_empty() => return Some(None),
        JsonValue::String(s) => Some(psos::number_from_str(s)),
        _ => None,
    };
    match number {
        Some(n) if n == 0.0 || n == 1.0 || n == 2.0 => Some(Some(n as u8)),
        _ => {
            reader.malformed(
                "qos",
                value.span,
                "expected 0, 1 or 2".to_string(),
                Some("write \"qos\": \"1\"".to_string()),
            );
            None
        }
    }
}

fn datatype(reader: &mut Reader<'_, '_>) -> Option<Datatype> {
    // Node-RED's default for a new node is auto-detect.
    let value = reader
        .get("datatype")
        .and_then(Json::as_str)
        .unwrap_or("auto-detect");
    let datatype = match value {
        "auto-detect" => Datatype::AutoDetect,
        "json" => Datatype::Json,
        "auto" => Datatype::Auto,
        "utf8" => Datatype::Utf8,
        "buffer" => Datatype::Buffer,
        "base64" => Datatype::Base64,
        other => {
            reader.diagnostics.push(
                reader
                    .node
                    .error(
                        Code::MalformedProperty,
                        "datatype",
                        format!("{other:?} is not a datatype"),
                        "here",
                    )
                    .help("use one of: auto-detect, auto, utf8, json, buffer, base64"),
            );
            return None;
        }
    };
    Some(datatype)
}

/// How long the broker keeps the session of a device whose flow names no
/// `mqtt-broker`: an hour, so that messages for a device that is away, or
/// restarting, wait for it at the broker (its connections resume the
/// session).
pub const DEFAULT_SESSION_EXPIRY_S: u32 = 3600;

/// The session settings of an `mqtt-broker` node, as Node-RED's client
/// applies them: `sessionExpiry` when given; otherwise a clean session
/// (`cleansession`, on by default) ends with its connection, and a session
/// kept under MQTT 3.1.1 (`protocolVersion` 3 or 4) never expires. Every
/// connection sends `cleansession` as its Clean Start flag, as Node-RED's
/// does: set, it starts afresh; clear, it resumes what the broker kept,
/// also the first connection after the device restarts. Birth, close and
/// will messages with their topic, payload, QoS and retain flag.
pub fn session(reader: &mut Reader<'_, '_>) -> Option<Session> {
    let clean = reader.flag("cleansession", true);
    let version_5 = reader.string("protocolVersion") == Some("5");
    let expiry = reader
        .whole_number("sessionExpiry", u64::MAX, 0..=u64::from(u32::MAX))
        .map(|seconds| match seconds {
            // An absent or empty `sessionExpiry`.
            u64::MAX if clean || version_5 => 0,
            u64::MAX => u32::MAX,
            seconds => u32::try_from(seconds).unwrap_or(u32::MAX),
        });
    let birth = announcement(reader, "birth");
    let close = announcement(reader, "close");
    let will = announcement(reader, "will");
    if let Some(Some(_)) = &will {
        reader.warn(
            Code::UnsupportedValue,
            "willTopic",
            "the will takes the place of the device's `offline` status",
            "this will",
            "a connection has one will: when the device drops, this is published and its status stays `online`",
        );
    }
    Some(Session {
        expiry_s: expiry?,
        clean_start: clean,
        birth: birth?,
        close: close?,
        will: will?,
    })
}

/// `{prefix}Topic`, `{prefix}Payload`, `{prefix}Qos`, `{prefix}Retain`: no
/// message when the topic is empty.
fn announcement(reader: &mut Reader<'_, '_>, prefix: &str) -> Option<Option<Announcement>> {
    let topic_key = format!("{prefix}Topic");
    let topic = match reader.string(&topic_key) {
        None | Some("") => return Some(None),
        Some(topic) if psos::topic::valid_topic(topic) => topic.to_string(),
        Some(topic) => {
            let span = reader.node.value_span(&topic_key);
            reader.malformed(
                &topic_key,
                span,
                format!("{topic:?} cannot be published to"),
                Some("a topic has no wildcards (+, #)".to_string()),
            );
            return None;
        }
    };
    let payload = reader
        .string(&format!("{prefix}Payload"))
        .unwrap_or_default()
        .to_string();
    let qos_key = format!("{prefix}Qos");
    let qos = match reader.whole_number(&qos_key, 0, 0..=2)? {
        2 => {
            let span = reader.node.value_span(&qos_key);
            reader.unsupported(
                &qos_key,
                span,
                "QoS 2 (exactly once) is not supported".to_string(),
                "use QoS 1 (at least once) or 0 (at most once)",
            );
            return None;
        }
        level => level as u8,
    };
    let retain = reader.flag(&format!("{prefix}Retain"), false);
    Some(Some(Announcement {
        topic,
        payload,
        qos,
        retain,
    }))
}

/// A `tls-config` node, as a device verifies its broker: `ca` (the path of
/// a PEM file of CA certificates) is read at run time; what a device does
/// not do is refused.
pub fn tls(reader: &mut Reader<'_, '_>) -> Option<Tls> {
    let mut refused = false;
    for (key, why, help) in [
        (
            "cert",
            "client certificates are not supported",
            "authenticate with a user and password (PSOS_MQTT_USERNAME, PSOS_MQTT_PASSWORD)",
        ),
        (
            "key",
            "client certificates are not supported",
            "authenticate with a user and password (PSOS_MQTT_USERNAME, PSOS_MQTT_PASSWORD)",
        ),
        (
            "servername",
            "a server name other than the broker's host is not supported",
            "give the broker's name as its host, so its certificate is checked against it",
        ),
        (
            "caname",
            "a CA certificate uploaded into Node-RED stays in Node-RED's credentials",
            "give the path of the CA's PEM file in `ca`, or set PSOS_MQTT_CA",
        ),
    ] {
        let given = reader.string(key).is_some_and(|value| !value.is_empty());
        let has_path = key == "caname" && reader.string("ca").is_some_and(|ca| !ca.is_empty());
        if given && !has_path {
            let span = reader.node.value_span(key);
            reader.unsupported(key, span, why.to_string(), help);
            refused = true;
        }
    }
    if !reader.flag("verifyservercert", true) {
        let span = reader.node.value_span("verifyservercert");
        reader.unsupported(
            "verifyservercert",
            span,
            "devices always verify the broker's certificate".to_string(),
            "give the CA that signed it in `ca` (a PEM file), or set PSOS_MQTT_CA",
        );
        refused = true;
    }
    let ca_file = reader
        .string("ca")
        .filter(|path| !path.is_empty())
        .map(str::to_string);
    (!refused).then_some(Tls { ca_file })
}
