//! The weight of each wire: how many bytes a minute it is expected to
//! carry, estimated from the flow, so that the placer keeps busy wires on
//! one device and lets quiet ones cross to another.
//!
//! A wire carries what its source's output port sends: a rate (messages a
//! second) times a size (bytes of the message as JSON, the form it takes
//! over MQTT). Both flow from the sources through the graph:
//! - an `inject` sends one message per `repeat` interval, none otherwise
//!   (a single message at start-up costs nothing worth counting), and its
//!   message holds its properties;
//! - a `change` passes its input on, with the properties it sets or deletes;
//! - a `switch` splits its input evenly over its outputs, and so does a
//!   dynamic `link call` over the link in nodes it may call;
//! - a node fed by several wires sends what they bring together; fan-out
//!   sends the port's whole rate down each wire;
//! - a node type psosc has no model for passes its input on, and a source
//!   psosc has no model for sends [`UNKNOWN_RATE`] messages of
//!   [`UNKNOWN_SIZE`] bytes;
//! - `psosRate` (messages a second on each output) and `psosSize` (bytes)
//!   on a node replace the estimate from that node on.
//!
//! A wire weighs at least 1, so that even a quiet wire holds its ends
//! together when nothing else decides.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{
    ChangeRule, ChangeValue, InjectValue, Literal, NodeKind, PathSegment, Store, Wire,
};

/// Messages a second from a source psosc cannot estimate: one.
pub const UNKNOWN_RATE: f64 = 1.0;

/// Bytes of a message psosc cannot estimate: a payload and a topic of a
/// few words.
pub const UNKNOWN_SIZE: u64 = 64;

/// The most a wire may weigh, so that the weights of a whole flow add up
/// without overflowing (a terabyte a minute).
pub const MAX_WEIGHT: u64 = 1 << 40;

/// A JavaScript timestamp (`Date.now()`) has 13 digits until the year 2286.
const TIMESTAMP_DIGITS: u64 = 13;

/// `toISOString`'s text of such a time, with its quotes.
const ISO_DATE_LENGTH: u64 = 26;

/// What a flow says about one node's traffic beyond its type.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `psosRate`: messages a second on each output.
    pub rate: Option<f64>,
    /// `psosSize`: bytes per message.
    pub size: Option<u64>,
}

/// One node as the estimate sees it.
pub struct TrafficNode<'a> {
    pub kind: &'a NodeKind,
    pub overrides: Overrides,
}

/// The message a port sends, as far as its size goes: the JSON length of
/// each top-level property, and bytes of unknown properties.
#[derive(Clone, Debug, Default, PartialEq)]
struct Message {
    properties: BTreeMap<String, u64>,
    unknown: u64,
}

impl Message {
    fn unknown() -> Self {
        Message {
            properties: BTreeMap::new(),
            unknown: UNKNOWN_SIZE,
        }
    }

    /// What several inputs bring: each property as large as its largest.
    fn merge(&mut self, other: &Message) {
        for (key, length) in &other.properties {
            let slot = self.properties.entry(key.clone()).or_insert(0);
            *slot = (*slot).max(*length);
        }
        self.unknown = self.unknown.max(other.unknown);
    }

    /// The length of `{"key":value,...}`.
    fn size(&self) -> u64 {
        let members: u64 = self
            .properties
            .iter()
            .map(|(key, length)| string_length(key) + 1 + length)
            .sum();
        let commas = self.properties.len().saturating_sub(1) as u64;
        2 + members + commas + self.unknown
    }
}

/// What leaves a node: the rate on each output port and the message.
#[derive(Clone, Debug, Default)]
struct Output {
    rates: Vec<f64>,
    message: Message,
    size_override: Option<u64>,
}

impl Output {
    fn rate(&self, port: usize) -> f64 {
        self.rates.get(port).copied().unwrap_or(0.0)
    }

    fn size(&self) -> u64 {
        self.size_override.unwrap_or_else(|| self.message.size())
    }
}

/// The weight of each wire, in the order of `wires`, in bytes a minute.
pub fn wire_weights(nodes: &[TrafficNode<'_>], wires: &[Wire]) -> Vec<u64> {
    let outputs = node_outputs(nodes, wires);
    wires
        .iter()
        .map(|wire| {
            let Some(output) = outputs.get(wire.from) else {
                return 1;
            };
            weight(output.rate(wire.port), output.size())
        })
        .collect()
}

/// Bytes a minute, rounded up, from 1 to [`MAX_WEIGHT`].
fn weight(rate: f64, size: u64) -> u64 {
    let bytes_a_minute = (rate * size as f64 * 60.0).ceil();
    if bytes_a_minute.is_nan() || bytes_a_minute < 1.0 {
        1
    } else if bytes_a_minute >= MAX_WEIGHT as f64 {
        MAX_WEIGHT
    } else {
        bytes_a_minute as u64
    }
}

/// Computes each node's output from its inputs, sources first. Nodes on a
/// loop (which psosc refuses elsewhere) are taken in file order with what
/// has reached them so far, so this ends on any graph.
fn node_outputs(nodes: &[TrafficNode<'_>], wires: &[Wire]) -> Vec<Output> {
    let n_nodes = nodes.len();
    let mut incoming: Vec<Vec<&Wire>> = vec![Vec::new(); n_nodes];
    let mut waiting = vec![0usize; n_nodes];
    for wire in wires {
        if wire.from < n_nodes && wire.to < n_nodes && wire.from != wire.to {
            incoming[wire.to].push(wire);
            waiting[wire.to] += 1;
        }
    }
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    for wire in wires {
        if wire.from < n_nodes && wire.to < n_nodes && wire.from != wire.to {
            outgoing[wire.from].push(wire.to);
        }
    }
    let mut outputs: Vec<Option<Output>> = vec![None; n_nodes];
    let mut ready: BTreeSet<usize> = (0..n_nodes).filter(|&node| waiting[node] == 0).collect();
    let mut next_unfinished = 0;
    loop {
        let node = match ready.pop_first() {
            Some(node) => node,
            None => {
                // Only loops are left: take the first unfinished node.
                while next_unfinished < n_nodes && outputs[next_unfinished].is_some() {
                    next_unfinished += 1;
                }
                if next_unfinished == n_nodes {
                    break;
                }
                next_unfinished
            }
        };
        if outputs[node].is_some() {
            continue;
        }
        let inputs: Vec<(f64, &Output)> = incoming[node]
            .iter()
            .filter_map(|wire| {
                let output = outputs[wire.from].as_ref()?;
                Some((output.rate(wire.port), output))
            })
            .collect();
        outputs[node] = Some(node_output(
            &nodes[node],
            &inputs,
            !incoming[node].is_empty(),
        ));
        for &target in &outgoing[node] {
            waiting[target] = waiting[target].saturating_sub(1);
            if waiting[target] == 0 && outputs[target].is_none() {
                ready.insert(target);
            }
        }
    }
    outputs.into_iter().map(Option::unwrap_or_default).collect()
}

/// What one node sends, given the rate and message of each wire into it.
fn node_output(node: &TrafficNode<'_>, inputs: &[(f64, &Output)], has_inputs: bool) -> Output {
    let input_rate: f64 = inputs.iter().map(|(rate, _)| rate).sum();
    let mut message = match inputs.split_first() {
        Some(((_, first), rest)) => {
            let mut message = first.message.clone();
            for (_, other) in rest {
                message.merge(&other.message);
            }
            message
        }
        None => Message::default(),
    };
    // A size given upstream stands for the properties it replaced.
    if let Some(size) = inputs
        .iter()
        .filter_map(|(_, output)| output.size_override)
        .max()
    {
        message = Message {
            properties: BTreeMap::new(),
            unknown: size.saturating_sub(2),
        };
    }
    let (rates, message) = match node.kind {
        NodeKind::Inject(inject) => {
            let rate = inject
                .repeat_ms
                .filter(|ms| *ms > 0)
                .map_or(0.0, |ms| 1000.0 / ms as f64)
                + inject.schedule.as_ref().map_or(0.0, schedule_rate);
            let mut message = Message::default();
            for prop in &inject.props {
                let length = match &prop.value {
                    InjectValue::Literal(literal) => literal_length(literal),
                    InjectValue::Timestamp => TIMESTAMP_DIGITS,
                    InjectValue::IsoDate => ISO_DATE_LENGTH,
                    // Not known before the node fires: counted as a short
                    // value, as a timestamp is.
                    InjectValue::Context(_) => TIMESTAMP_DIGITS,
                    // As JSON: {"type":"Buffer","data":[...]}.
                    InjectValue::Bytes(bytes) => 28 + 4 * bytes.len() as u64,
                };
                set_property(&mut message, &prop.path, length);
            }
            (vec![rate], message)
        }
        NodeKind::Change(change) => {
            // Only what is known before the message comes: constants set on
            // it and its properties deleted.
            for rule in &change.rules {
                match rule {
                    ChangeRule::Set { target, value } if target.scope == Store::Msg => {
                        let length = match value {
                            ChangeValue::Literal(literal) => Some(literal_length(literal)),
                            ChangeValue::Timestamp => Some(TIMESTAMP_DIGITS),
                            ChangeValue::IsoDate => Some(ISO_DATE_LENGTH),
                            ChangeValue::Bytes(bytes) => Some(bytes.len() as u64),
                            ChangeValue::Property(_) => None,
                        };
                        if let Some(length) = length {
                            set_property(&mut message, &target.path, length);
                        }
                    }
                    ChangeRule::Delete { target } if target.scope == Store::Msg => {
                        if let [PathSegment::Key(key)] = target.path.as_slice() {
                            message.properties.remove(key);
                        }
                    }
                    _ => {}
                }
            }
            (vec![input_rate], message)
        }
        NodeKind::Switch(switch) => {
            let n_outputs = switch.rules.len().max(1);
            (vec![input_rate / n_outputs as f64; n_outputs], message)
        }
        NodeKind::LinkCall(call) if call.dynamic.is_some() || call.timeout.is_some() => {
            // A dynamic call splits its messages over its link in nodes;
            // a call that may time out sends its answers on as it gets them.
            let n_outputs = call.link_ports();
            let mut rates = vec![input_rate / n_outputs.max(1) as f64; n_outputs];
            if call.timeout.is_some() {
                rates.push(input_rate);
            }
            (rates, message)
        }
        other if has_inputs => (vec![input_rate; other.outputs()], message),
        other => (vec![UNKNOWN_RATE; other.outputs()], Message::unknown()),
    };
    let rates = match node.overrides.rate {
        Some(rate) => vec![rate; rates.len()],
        None => rates,
    };
    Output {
        rates,
        message,
        size_override: node.overrides.size,
    }
}

/// Sets a property of the message to a value of `length` bytes: a
/// top-level property is replaced, a nested one makes its property grow.
fn set_property(message: &mut Message, path: &[PathSegment], length: u64) {
    let Some(PathSegment::Key(key)) = path.first() else {
        message.unknown = message.unknown.saturating_add(length);
        return;
    };
    let slot = message.properties.entry(key.clone()).or_insert(0);
    *slot = match path.get(1..) {
        Some([]) | None => length,
        Some(rest) => {
            let nested: u64 = rest
                .iter()
                .map(|segment| match segment {
                    PathSegment::Key(key) => string_length(key) + 2,
                    PathSegment::Index(_) => 2,
                })
                .sum();
            slot.saturating_add(nested).saturating_add(length).max(2)
        }
    };
}

/// Messages a second from a crontab, on average over a year: the times a
/// matching day fires, times the share of days that match.
fn schedule_rate(schedule: &psos::cron::Schedule) -> f64 {
    let per_day = f64::from(schedule.seconds.count_ones())
        * f64::from(schedule.minutes.count_ones())
        * f64::from(schedule.hours.count_ones());
    let days = (f64::from(schedule.days_of_month.count_ones()) / 31.0
        + f64::from(schedule.days_of_week.count_ones()) / 7.0)
        .min(1.0);
    let months = f64::from(schedule.months.count_ones()) / 12.0;
    per_day * days * months / 86_400.0
}

/// The length of a value written as compact JSON.
fn literal_length(literal: &Literal) -> u64 {
    match literal {
        Literal::Null => 4,
        Literal::Bool(true) => 4,
        Literal::Bool(false) => 5,
        Literal::Number(number) => crate::nodes::js_number_text(*number).len() as u64,
        Literal::String(text) => string_length(text),
        Literal::Array(items) => {
            let inner: u64 = items.iter().map(literal_length).sum();
            2 + inner + items.len().saturating_sub(1) as u64
        }
        Literal::Object(members) => {
            let inner: u64 = members
                .iter()
                .map(|(key, value)| string_length(key) + 1 + literal_length(value))
                .sum();
            2 + inner + members.len().saturating_sub(1) as u64
        }
    }
}

/// The length of a string written as JSON, quotes and escapes included.
fn string_length(text: &str) -> u64 {
    serde_json::to_string(text).map_or(text.len() as u64 + 2, |json| json.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{top_level, Change, Debug, DebugTarget, Inject, InjectProp, Property, Switch};

    fn inject(repeat_ms: Option<u64>, payload: &str) -> NodeKind {
        NodeKind::Inject(Inject {
            props: vec![InjectProp {
                path: top_level("payload"),
                value: InjectValue::Literal(Literal::String(payload.to_string())),
            }],
            repeat_ms,
            once_delay_ms: None,
            schedule: None,
        })
    }

    fn switch(n_rules: usize) -> NodeKind {
        NodeKind::Switch(Switch {
            property: crate::ir::Property {
                scope: crate::ir::Store::Msg,
                path: top_level("payload"),
            },
            rules: vec![
                crate::ir::SwitchRule {
                    op: crate::ir::SwitchOp::Else,
                    value: crate::ir::SwitchOperand::Undefined,
                    value2: crate::ir::SwitchOperand::Undefined,
                };
                n_rules
            ],
            check_all: false,
            repair: false,
            queue: 8,
        })
    }

    fn debug() -> NodeKind {
        NodeKind::Debug(Debug {
            target: DebugTarget::WholeMessage,
            active: true,
            to_sidebar: true,
            property_name: None,
            z: None,
            name: None,
            status: None,
        })
    }

    fn wire(from: usize, port: usize, to: usize) -> Wire {
        Wire {
            from,
            port,
            to,
            queued: false,
            topic_filter: None,
            weight: 0,
        }
    }

    /// The weights of `wires` between `kinds`, with overrides per node.
    fn check(kinds: &[(NodeKind, Overrides)], wires: &[Wire], expect: &[u64]) {
        let nodes: Vec<TrafficNode<'_>> = kinds
            .iter()
            .map(|(kind, overrides)| TrafficNode {
                kind,
                overrides: *overrides,
            })
            .collect();
        assert_eq!(wire_weights(&nodes, wires), expect);
    }

    #[test]
    fn an_inject_every_second_sends_its_message_each_second() {
        // {"payload":"hello"} is 19 bytes; 60 a minute.
        check(
            &[
                (inject(Some(1000), "hello"), Overrides::default()),
                (debug(), Overrides::default()),
            ],
            &[wire(0, 0, 1)],
            &[19 * 60],
        );
    }

    #[test]
    fn a_switch_splits_its_rate_and_fan_out_copies_it() {
        check(
            &[
                (inject(Some(500), "hello"), Overrides::default()),
                (switch(2), Overrides::default()),
                (debug(), Overrides::default()),
                (debug(), Overrides::default()),
            ],
            &[wire(0, 0, 1), wire(1, 0, 2), wire(1, 1, 2), wire(1, 1, 3)],
            &[19 * 120, 19 * 60, 19 * 60, 19 * 60],
        );
    }

    #[test]
    fn a_dynamic_link_call_splits_its_rate_over_its_link_in_nodes() {
        let target = |name: &str| crate::ir::LinkTarget {
            id: Some(name.to_string()),
            name: name.to_string(),
            near: true,
            on_tab: true,
        };
        let call = NodeKind::LinkCall(crate::ir::LinkCall {
            caller: 0,
            dynamic: Some(vec![target("a"), target("b")]),
            timeout: None,
            late_port: false,
        });
        check(
            &[
                (inject(Some(500), "hello"), Overrides::default()),
                (call, Overrides::default()),
                (debug(), Overrides::default()),
                (debug(), Overrides::default()),
            ],
            &[wire(0, 0, 1), wire(1, 0, 2), wire(1, 1, 3)],
            &[19 * 120, 19 * 60, 19 * 60],
        );
    }

    #[test]
    fn a_change_resizes_the_message_it_passes_on() {
        let change = NodeKind::Change(Change {
            rules: vec![
                ChangeRule::Set {
                    target: Property {
                        scope: Store::Msg,
                        path: top_level("topic"),
                    },
                    value: ChangeValue::Literal(Literal::String("t".to_string())),
                },
                ChangeRule::Delete {
                    target: Property {
                        scope: Store::Msg,
                        path: top_level("payload"),
                    },
                },
            ],
        });
        // {"topic":"t"} is 13 bytes.
        check(
            &[
                (inject(Some(60_000), "hello"), Overrides::default()),
                (change, Overrides::default()),
                (debug(), Overrides::default()),
            ],
            &[wire(0, 0, 1), wire(1, 0, 2)],
            &[19, 13],
        );
    }

    #[test]
    fn once_only_and_overridden_sources() {
        let fast = Overrides {
            rate: Some(10.0),
            size: Some(100),
        };
        check(
            &[
                (inject(None, "hello"), Overrides::default()),
                (inject(None, "hello"), fast),
                (debug(), Overrides::default()),
            ],
            &[wire(0, 0, 2), wire(1, 0, 2)],
            &[1, 10 * 100 * 60],
        );
    }

    #[test]
    fn loops_end_and_keep_a_weight() {
        let change = || NodeKind::Change(Change { rules: Vec::new() });
        check(
            &[
                (change(), Overrides::default()),
                (change(), Overrides::default()),
            ],
            &[wire(0, 0, 1), wire(1, 0, 0)],
            &[1, 1],
        );
    }
}
