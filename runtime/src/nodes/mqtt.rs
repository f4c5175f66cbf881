//! `mqtt out` and `mqtt in` on one device: an `mqtt out` turns a message
//! into what MQTT would carry (a topic, a payload of bytes, QoS, retain) and
//! hands it to the `mqtt in` nodes of its device that subscribe to the
//! topic; an `mqtt in` turns that back into a message by its datatype, as
//! Node-RED's nodes do on either side of a broker.

use core::fmt::{self, Write};

use crate::text::{encode_written, Counter};

use crate::encoding::{Bytes, Encode, Str, BYTES, LENGTH, STRING};
use crate::msg::PathSegment;
use crate::value::ValueRef;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// How an `mqtt in` node reads a payload (Node-RED's `datatype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datatype {
    /// Parsed JSON when the text is a JSON object or array, else as `Auto`.
    AutoDetect,
    /// A string if the bytes are UTF-8, else a buffer.
    Auto,
    /// Parsed JSON; a payload that is not JSON is an error.
    Json,
    /// A string, invalid UTF-8 replaced by U+FFFD.
    Utf8,
    Buffer,
    /// The bytes as a base64 string.
    Base64,
}

pub struct MqttOut {
    pub info: NodeInfo,
    /// The topic; `None` publishes to `msg.topic`.
    topic: Option<&'static str>,
    /// The QoS; `None` takes `msg.qos`.
    qos: Option<u8>,
    /// Whether to retain; `None` takes `msg.retain`.
    retain: Option<bool>,
}

impl MqttOut {
    pub const fn new(
        info: NodeInfo,
        topic: Option<&'static str>,
        qos: Option<u8>,
        retain: Option<bool>,
    ) -> Self {
        Self {
            info,
            topic,
            qos,
            retain,
        }
    }

    /// Sends, on port 0 (the device's local subscribers), the message as
    /// MQTT carries it: `topic`, `payload` as bytes, `qos`, `retain`.
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        self.publish(device, msg, out, false);
    }

    /// As [`MqttOut::input`], for a node that complete nodes watch: leaves
    /// the message as Node-RED's node leaves it (`msg.topic` from the
    /// node's topic, `msg.qos`, `msg.retain`, and a payload that is not a
    /// buffer as the text it publishes) and returns whether that node
    /// calls `done()` with no error: when the message has no payload, and
    /// once it has handed the publication over (here: to the outbox and
    /// the local subscribers), not when the topic is invalid.
    pub fn input_done<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) -> bool {
        self.publish(device, msg, out, true)
    }

    fn publish<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
        leave: bool,
    ) -> bool {
        let qos = self.qos.unwrap_or(match msg.property("qos") {
            Some(ValueRef::Number(n)) if n == 1.0 || n == 2.0 => n as u8,
            _ => 0,
        });
        let retain = self
            .retain
            .unwrap_or(matches!(msg.property("retain"), Some(ValueRef::Bool(true))));
        // Node-RED's `mqtt out` publishes only a message that has a payload
        // (`null` included, as an empty one); without one it does nothing,
        // and reports nothing, whatever the topic.
        let Some(payload) = msg.payload() else {
            return !leave || self.leave(device, msg, qos, retain, None);
        };
        let is_buffer = matches!(payload, ValueRef::Bytes(_));
        let topic = match (self.topic, msg.topic()) {
            (Some(topic), _) => topic,
            (None, Some(ValueRef::Str(topic))) if crate::topic::valid_topic(topic) => topic,
            // Node-RED refuses to publish without a valid topic, and only
            // warns: no catch node hears of it.
            _ => {
                self.info
                    .log(device, format_args!("Invalid topic specified"));
                device.report_uncaught(ErrorKind::BadValue);
                return false;
            }
        };
        let mut published = Msg::<N>::new();
        let result = published
            .set_property("topic", &Str(topic))
            .and_then(|()| published.set_property("payload", &WirePayload(payload)))
            .and_then(|()| published.set_property("qos", &f64::from(qos)))
            .and_then(|()| published.set_property("retain", &retain));
        if device.check(result, ErrorKind::Oversize).is_none() {
            return false;
        }
        out.send(0, &mut published);
        if !leave {
            return true;
        }
        let text = match published.payload() {
            Some(ValueRef::Bytes(bytes)) if !is_buffer => core::str::from_utf8(bytes).ok(),
            _ => None,
        };
        self.leave(device, msg, qos, retain, text)
    }

    /// Sets on the message what Node-RED's node sets on it as it publishes.
    fn leave<const N: usize>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        qos: u8,
        retain: bool,
        text: Option<&str>,
    ) -> bool {
        let result = (|| -> Result<(), crate::MsgError> {
            if let Some(topic) = self.topic {
                msg.set_property("topic", &Str(topic))?;
            }
            msg.set_property("qos", &f64::from(qos))?;
            msg.set_property("retain", &retain)?;
            if let Some(text) = text {
                msg.set_property("payload", &Str(text))?;
            }
            Ok(())
        })();
        device.check(result, ErrorKind::Oversize).is_some()
    }
}

impl<const N: usize> Node<N> for MqttOut {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        MqttOut::input(self, device, msg, out);
    }
}

pub struct MqttIn {
    pub info: NodeInfo,
    datatype: Datatype,
}

impl MqttIn {
    pub const fn new(info: NodeInfo, datatype: Datatype) -> Self {
        Self { info, datatype }
    }

    /// Turns what MQTT carried into the message Node-RED's `mqtt in` sends:
    /// `topic`, `payload` by the datatype, `qos`, `retain`.
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        carried: &mut Msg<N>,
        out: &mut O,
    ) {
        let (Some(ValueRef::Str(topic)), Some(ValueRef::Bytes(bytes))) =
            (carried.topic(), carried.payload())
        else {
            device.report(ErrorKind::BadValue);
            return;
        };
        let mut msg = Msg::<N>::new();
        let payload = &[PathSegment::Key("payload")];
        let result = msg
            .set_property("topic", &Str(topic))
            .and_then(|()| match self.datatype {
                Datatype::Buffer => msg.set(payload, &Bytes(bytes)),
                Datatype::Auto => match core::str::from_utf8(bytes) {
                    Ok(text) => msg.set(payload, &Str(text)),
                    Err(_) => msg.set(payload, &Bytes(bytes)),
                },
                Datatype::Utf8 => msg.set(payload, &LossyUtf8(bytes)),
                Datatype::Base64 => msg.set(payload, &Base64(bytes)),
                Datatype::Json => msg
                    .set_property_json("payload", bytes)
                    .map_err(|_| crate::MsgError::NotAContainer),
                Datatype::AutoDetect => {
                    let structured = matches!(bytes.trim_ascii_start().first(), Some(b'{' | b'['));
                    match core::str::from_utf8(bytes) {
                        Ok(text) if structured => msg
                            .set_property_json("payload", bytes)
                            .or_else(|_| msg.set(payload, &Str(text))),
                        Ok(text) => msg.set(payload, &Str(text)),
                        Err(_) => msg.set(payload, &Bytes(bytes)),
                    }
                }
            });
        let qos = carried.property("qos").unwrap_or(ValueRef::Number(0.0));
        let retain = carried.property("retain").unwrap_or(ValueRef::Bool(false));
        let result = result
            .and_then(|()| msg.set_property("qos", &qos))
            .and_then(|()| msg.set_property("retain", &retain));
        // A JSON payload that does not parse is Node-RED's `node.error`
        // with the message as MQTT carried it (`payload` its bytes, `topic`,
        // `qos`, `retain`): the text says whether the bytes were UTF-8. The
        // rest can only fail for room.
        match result {
            Ok(()) => out.send(0, &mut msg),
            Err(crate::MsgError::NotAContainer) => {
                let text = match core::str::from_utf8(bytes) {
                    Ok(_) => "Failed to parse JSON string",
                    Err(_) => "Invalid JSON string",
                };
                self.info.log(device, format_args!("{text}"));
                device.report_error(ErrorKind::BadValue, text);
            }
            Err(_) => device.report(ErrorKind::Oversize),
        }
    }
}

impl<const N: usize> Node<N> for MqttIn {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        MqttIn::input(self, device, msg, out);
    }
}

/// Whether a message's `msg.topic` matches a topic filter: the run-time
/// side of local topics, for an `mqtt out` that publishes to `msg.topic`.
pub fn topic_matches<const N: usize>(filter: &str, msg: &Msg<N>) -> bool {
    matches!(msg.topic(), Some(ValueRef::Str(topic)) if crate::topic::matches(filter, topic))
}

/// A payload as `mqtt out` puts it on the wire: bytes as they are, strings
/// as UTF-8, numbers and booleans as JavaScript prints them, objects and
/// arrays as JSON, nothing (null) as empty.
struct WirePayload<'a>(ValueRef<'a>);

impl WirePayload<'_> {
    fn write<W: Write>(&self, out: &mut W) -> fmt::Result {
        match self.0 {
            ValueRef::Null => Ok(()),
            ValueRef::Str(text) => out.write_str(text),
            ValueRef::Bytes(_) => Ok(()),
            ValueRef::Number(_) | ValueRef::Bool(_) => write!(out, "{}", self.0),
            ValueRef::Array(_) | ValueRef::Object(_) => self.0.write_json(out),
        }
    }

    fn text_len(&self) -> usize {
        let mut counter = Counter(0);
        let _ = self.write(&mut counter);
        counter.0
    }
}

impl Encode for WirePayload<'_> {
    fn encoded_len(&self) -> usize {
        match self.0 {
            ValueRef::Bytes(bytes) => Bytes(bytes).encoded_len(),
            _ => 1 + LENGTH + self.text_len(),
        }
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        match self.0 {
            ValueRef::Bytes(bytes) => Bytes(bytes).encode(out),
            _ => encode_written(BYTES, out, |writer| self.write(writer)),
        }
    }
}

/// Bytes read as UTF-8, each invalid sequence replaced by U+FFFD, as
/// Node.js's `buffer.toString("utf8")` does.
struct LossyUtf8<'a>(&'a [u8]);

impl LossyUtf8<'_> {
    fn write<W: Write>(&self, out: &mut W) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            out.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                out.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }

    fn text_len(&self) -> usize {
        let mut counter = Counter(0);
        let _ = self.write(&mut counter);
        counter.0
    }
}

impl Encode for LossyUtf8<'_> {
    fn encoded_len(&self) -> usize {
        1 + LENGTH + self.text_len()
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        encode_written(STRING, out, |writer| self.write(writer))
    }
}

/// Bytes as a base64 string (standard alphabet, padded), as Node-RED's
/// `base64` datatype gives them.
struct Base64<'a>(&'a [u8]);

impl Encode for Base64<'_> {
    fn encoded_len(&self) -> usize {
        1 + LENGTH + base64::encoded_len(self.0.len(), true).unwrap_or(usize::MAX / 2)
    }

    fn encode(&self, out: &mut [u8]) -> Option<usize> {
        use base64::Engine;
        let len = base64::encoded_len(self.0.len(), true)?;
        *out.first_mut()? = STRING;
        crate::encoding::write_u16(out, 1, len)?;
        let slot = out.get_mut(1 + LENGTH..1 + LENGTH + len)?;
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(self.0, slot)
            .ok()?;
        (written == len).then_some(1 + LENGTH + len)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::{String, ToString};
    use std::vec::Vec;

    use super::*;
    use crate::encoding::Str as S;
    use crate::ConstValue;

    static DEVICE: Device = Device::new("test", "mqtt.rs");

    fn json<const N: usize>(msg: &Msg<N>) -> String {
        let mut out = String::new();
        msg.write_json(&mut out).unwrap();
        out
    }

    /// Publishes `payload` through an `mqtt out` into an `mqtt in` with the
    /// datatype, and returns what the `mqtt in` sends, as JSON.
    fn check(payload: &ConstValue, datatype: Datatype, expect: &str) {
        let out_node = MqttOut::new(
            NodeInfo::new("o", "", "mqtt out"),
            Some("a/b"),
            Some(1),
            None,
        );
        let in_node = MqttIn::new(NodeInfo::new("i", "", "mqtt in"), datatype);
        let mut msg = Msg::<256>::new();
        msg.set_property("payload", payload).unwrap();
        let mut received = Vec::new();
        out_node.input(
            &DEVICE,
            &mut msg,
            &mut |_port: usize, carried: &mut Msg<256>| {
                in_node.input(&DEVICE, carried, &mut |_port: usize, msg: &mut Msg<256>| {
                    received.push(json(msg))
                });
            },
        );
        assert_eq!(received, [expect]);
    }

    #[test]
    fn payloads_cross_as_node_red_carries_them() {
        check(
            &ConstValue::Str("on"),
            Datatype::Auto,
            r#"{"topic":"a/b","payload":"on","qos":1,"retain":false}"#,
        );
        check(
            &ConstValue::Number(21.5),
            Datatype::Utf8,
            r#"{"topic":"a/b","payload":"21.5","qos":1,"retain":false}"#,
        );
        check(
            &ConstValue::Object(&[("fan", ConstValue::Bool(true))]),
            Datatype::Utf8,
            r#"{"topic":"a/b","payload":"{\"fan\":true}","qos":1,"retain":false}"#,
        );
        check(
            &ConstValue::Str("hi"),
            Datatype::Buffer,
            r#"{"topic":"a/b","payload":{"type":"Buffer","data":[104,105]},"qos":1,"retain":false}"#,
        );
        check(
            &ConstValue::Str("hi!"),
            Datatype::Base64,
            r#"{"topic":"a/b","payload":"aGkh","qos":1,"retain":false}"#,
        );
        check(
            &ConstValue::Null,
            Datatype::Auto,
            r#"{"topic":"a/b","payload":"","qos":1,"retain":false}"#,
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_or_kept_as_bytes() {
        let mut carried = Msg::<64>::new();
        carried.set_property("topic", &S("t")).unwrap();
        carried
            .set_property("payload", &Bytes(&[b'a', 0xff, b'b']))
            .unwrap();
        for (datatype, expect) in [
            (
                Datatype::Utf8,
                r#""a\u{fffd}b""#.replace("\\u{fffd}", "\u{fffd}"),
            ),
            (
                Datatype::Auto,
                r#"{"type":"Buffer","data":[97,255,98]}"#.to_string(),
            ),
        ] {
            let node = MqttIn::new(NodeInfo::new("i", "", "mqtt in"), datatype);
            let mut seen = String::new();
            node.input(
                &DEVICE,
                &mut carried.clone(),
                &mut |_: usize, msg: &mut Msg<64>| {
                    msg.payload().unwrap().write_json(&mut seen).unwrap();
                },
            );
            assert_eq!(seen, expect);
        }
    }

    #[test]
    fn a_message_without_a_valid_topic_is_not_published() {
        let node = MqttOut::new(NodeInfo::new("o", "", "mqtt out"), None, None, None);
        let mut msg = Msg::<64>::new();
        msg.set_property("topic", &S("a/+")).unwrap();
        msg.set_property("payload", &S("on")).unwrap();
        let before = DEVICE.error_count(ErrorKind::BadValue);
        node.input(&DEVICE, &mut msg, &mut |_: usize, _: &mut Msg<64>| {
            panic!("nothing is sent")
        });
        assert_eq!(DEVICE.error_count(ErrorKind::BadValue), before + 1);
    }

    /// Found by `tests/differential.rs` (case `change-topic`): Node-RED's
    /// `mqtt out` skips a message without a payload, silently, before it
    /// looks at the topic; a `null` payload goes out as an empty one.
    #[test]
    fn a_message_without_a_payload_is_not_published_and_not_an_error() {
        // A device of its own: other tests count errors on `DEVICE` meanwhile.
        static QUIET: Device = Device::new("quiet", "mqtt.rs");
        let node = MqttOut::new(NodeInfo::new("o", "", "mqtt out"), None, None, None);
        for topic in ["a/b", "a/+"] {
            let mut msg = Msg::<64>::new();
            msg.set_property("topic", &S(topic)).unwrap();
            node.input(&QUIET, &mut msg, &mut |_: usize, _: &mut Msg<64>| {
                panic!("nothing is sent")
            });
            assert_eq!(QUIET.error_count(ErrorKind::BadValue), 0);
        }
        check(
            &ConstValue::Null,
            Datatype::Utf8,
            r#"{"topic":"a/b","payload":"","qos":1,"retain":false}"#,
        );
    }
}
