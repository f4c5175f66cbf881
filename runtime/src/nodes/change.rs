//! `change`: sets and deletes message properties, rule by rule.

use crate::msg::PathSegment;
use crate::{ConstValue, Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChangeRule {
    Set {
        path: &'static [PathSegment<'static>],
        value: ConstValue,
    },
    Delete {
        path: &'static [PathSegment<'static>],
    },
}

pub struct Change {
    pub info: NodeInfo,
    rules: &'static [ChangeRule],
}

impl Change {
    pub const fn new(info: NodeInfo, rules: &'static [ChangeRule]) -> Self {
        Self { info, rules }
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Change {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        for rule in self.rules {
            match rule {
                ChangeRule::Set { path, value } => match msg.set(path, value) {
                    Ok(()) => {}
                    // A property beneath a value that holds none (`payload.n`
                    // of a string): Node-RED warns ("no-override") and goes
                    // on with the message as it is.
                    Err(crate::MsgError::NotAContainer) => device.report(ErrorKind::BadValue),
                    // A message that cannot grow is dropped.
                    Err(crate::MsgError::Full) => {
                        device.report(ErrorKind::Oversize);
                        return;
                    }
                    Err(crate::MsgError::BadPath) => {
                        device.report(ErrorKind::BadValue);
                        return;
                    }
                },
                ChangeRule::Delete { path } => {
                    msg.remove(path);
                }
            }
        }
        out.send(0, msg);
    }
}

impl<const N: usize> Node<N> for Change {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Change::input(self, device, msg, out);
    }
}

/// Differences `tests/differential.rs` found against Node-RED, kept here.
#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::msg::PathSegment::{Index, Key};

    /// Runs a change node with `rules` on a message written as JSON; what
    /// it sends, as JSON, and the device's count of bad values.
    fn check(rules: &'static [ChangeRule], input: &str) -> (Vec<String>, u32) {
        let device = Device::new("change", "change.rs");
        let node = Change::new(NodeInfo::new("c", "", "change"), rules);
        let mut msg = Msg::<256>::from_json(input.as_bytes()).unwrap();
        let mut sent = Vec::new();
        node.input(&device, &mut msg, &mut |_: usize, msg: &mut Msg<256>| {
            sent.push(format!("{msg:?}"))
        });
        (sent, device.error_count(ErrorKind::BadValue))
    }

    /// Node-RED's `setObjectProperty` cannot set a property beneath a
    /// string, a number or null; the change node warns and the message goes
    /// on as it is, through the rules after it.
    #[test]
    fn setting_beneath_a_value_that_holds_none_passes_the_message_on() {
        const RULES: &[ChangeRule] = &[
            ChangeRule::Set {
                path: &[Key("payload"), Key("n")],
                value: ConstValue::Number(5.0),
            },
            ChangeRule::Set {
                path: &[Key("topic")],
                value: ConstValue::Str("after"),
            },
        ];
        for payload in [r#""text""#, "7", "null", "true"] {
            let (sent, bad) = check(RULES, &format!(r#"{{"payload":{payload}}}"#));
            assert_eq!(
                sent,
                [format!(r#"{{"payload":{payload},"topic":"after"}}"#)]
            );
            assert_eq!(bad, 1);
        }
    }

    /// Node-RED deletes an array item with `splice`: the later items move up.
    #[test]
    fn deleting_an_array_item_takes_it_out() {
        const RULES: &[ChangeRule] = &[ChangeRule::Delete {
            path: &[Key("payload"), Key("list"), Index(0)],
        }];
        let (sent, _) = check(RULES, r#"{"payload":{"list":[1,2,3]}}"#);
        assert_eq!(sent, [r#"{"payload":{"list":[2,3]}}"#]);
        let (sent, _) = check(RULES, r#"{"payload":{"list":[]}}"#);
        assert_eq!(sent, [r#"{"payload":{"list":[]}}"#]);
    }
}
