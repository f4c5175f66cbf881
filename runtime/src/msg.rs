//! A Node-RED `msg`: named properties, of which `payload` and `topic` are the
//! ones every node knows.

use alloc::string::String;
use alloc::vec::Vec;

use crate::Value;

/// A message: its properties in insertion order, as a JavaScript object
/// keeps them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Msg {
    properties: Vec<(String, Value)>,
}

impl Msg {
    /// An empty message, with no `payload` nor `topic` yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of a top-level property, if the message has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Sets a top-level property, keeping its place if it exists already.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.properties.iter_mut().find(|(key, _)| key == name) {
            Some((_, slot)) => *slot = value,
            None => self.properties.push((String::from(name), value)),
        }
    }

    /// Removes a top-level property and hands its value back.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let index = self.properties.iter().position(|(key, _)| key == name)?;
        Some(self.properties.remove(index).1)
    }

    pub fn payload(&self) -> Option<&Value> {
        self.get("payload")
    }

    pub fn set_payload(&mut self, value: Value) {
        self.set("payload", value);
    }

    pub fn topic(&self) -> Option<&Value> {
        self.get("topic")
    }

    /// The message as one JSON object, as Node-RED shows a whole `msg`.
    pub fn to_value(&self) -> Value {
        Value::Object(self.properties.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_keeps_insertion_order_and_replaces_in_place() {
        let mut msg = Msg::new();
        msg.set("topic", Value::from("t"));
        msg.set_payload(Value::Number(1.0));
        msg.set("topic", Value::from("u"));
        assert_eq!(
            alloc::string::ToString::to_string(&msg.to_value()),
            r#"{"topic":"u","payload":1}"#
        );
        assert_eq!(msg.remove("topic"), Some(Value::from("u")));
        assert_eq!(msg.topic(), None);
    }
}
