//! `switch`: routes a message to the outputs whose rules it matches.

use crate::msg::PathSegment;
use crate::value::Primitive;
use crate::{ConstValue, Device, Msg, Node, NodeInfo, Outputs, ValueRef};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// Matches when no earlier rule matched.
    Else,
}

/// One rule; rule `i` sends to output `i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchRule {
    pub op: SwitchOp,
    pub value: ConstValue,
}

pub struct Switch {
    pub info: NodeInfo,
    path: &'static [PathSegment<'static>],
    rules: &'static [SwitchRule],
    /// Node-RED's `checkall`: every matching rule sends, not just the first.
    check_all: bool,
}

impl Switch {
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        rules: &'static [SwitchRule],
        check_all: bool,
    ) -> Self {
        Self {
            info,
            path,
            rules,
            check_all,
        }
    }

    fn matches(rule: &SwitchRule, subject: Option<ValueRef<'_>>, matched_before: bool) -> bool {
        let expected = Primitive::from(&rule.value);
        match (rule.op, subject.map(Primitive::from)) {
            (SwitchOp::Else, _) => !matched_before,
            // A missing property is JavaScript's `undefined`: unequal to
            // everything here, and never ordered.
            (SwitchOp::Neq, None) => true,
            (_, None) => false,
            (SwitchOp::Eq, Some(value)) => value.loose_eq(expected),
            (SwitchOp::Neq, Some(value)) => !value.loose_eq(expected),
            (SwitchOp::Lt, Some(value)) => value.loose_lt(expected),
            (SwitchOp::Gt, Some(value)) => expected.loose_lt(value),
            (SwitchOp::Lte, Some(value)) => value.loose_le(expected),
            (SwitchOp::Gte, Some(value)) => expected.loose_le(value),
        }
    }

    /// The ports the message goes to, in rule order.
    fn matching_ports<'a>(
        &'a self,
        subject: Option<ValueRef<'a>>,
    ) -> impl Iterator<Item = usize> + 'a {
        let mut matched_before = false;
        let mut stopped = false;
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(port, rule)| {
                if stopped || !Self::matches(rule, subject, matched_before) {
                    return None;
                }
                matched_before = true;
                stopped = !self.check_all;
                Some(port)
            })
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Switch {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        _device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // Node-RED decides every port before sending anything, so receivers
        // cannot change what later rules see: those before the last get
        // copies, the last gets the message itself.
        let Some(last) = self.matching_ports(msg.get(self.path)).last() else {
            return;
        };
        // The ports before the last are found again while copies go out:
        // the copies leave the message itself untouched, so the rules see
        // what they saw the first time.
        for port in self
            .matching_ports(msg.get(self.path))
            .take_while(|port| *port != last)
        {
            let mut copy = msg.clone();
            out.send(port, &mut copy);
        }
        out.send(last, msg);
    }
}

impl<const N: usize> Node<N> for Switch {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Switch::input(self, device, msg, out);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::encoding::Str;

    static DEVICE: Device = Device::new("test", "switch.rs");
    const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

    /// The ports a message with `payload` goes to.
    fn check(rules: &'static [SwitchRule], check_all: bool, payload: &str, expect: &[usize]) {
        let switch = Switch::new(NodeInfo::new("s", "", "switch"), PAYLOAD, rules, check_all);
        let mut msg = Msg::<64>::new();
        msg.set_property("payload", &Str(payload)).unwrap();
        let mut ports = Vec::new();
        switch.input(&DEVICE, &mut msg, &mut |port: usize, _: &mut Msg<64>| {
            ports.push(port)
        });
        assert_eq!(ports, expect);
    }

    const fn rule(op: SwitchOp, value: &'static str) -> SwitchRule {
        SwitchRule {
            op,
            value: ConstValue::Str(value),
        }
    }

    #[test]
    fn check_all_sends_to_every_matching_port_in_order() {
        const RULES: &[SwitchRule] = &[
            rule(SwitchOp::Eq, "on"),
            rule(SwitchOp::Neq, "off"),
            rule(SwitchOp::Eq, "off"),
            rule(SwitchOp::Else, ""),
        ];
        check(RULES, true, "on", &[0, 1]);
        check(RULES, false, "on", &[0]);
        check(RULES, true, "off", &[2]);
        check(RULES, true, "dim", &[1]);
    }

    #[test]
    fn any_number_of_rules_can_match() {
        const RULES: &[SwitchRule] = &[rule(SwitchOp::Eq, "x"); 40];
        let all: Vec<usize> = (0..40).collect();
        check(RULES, true, "x", &all);
    }
}
