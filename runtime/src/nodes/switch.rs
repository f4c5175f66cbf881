//! `switch`: routes a message to the outputs whose rules it matches.

use crate::{ConstValue, Device, Msg, Node, NodeInfo, Outputs, Value};

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
    property: &'static str,
    rules: &'static [SwitchRule],
    /// Node-RED's `checkall`: every matching rule sends, not just the first.
    check_all: bool,
}

impl Switch {
    pub const fn new(
        info: NodeInfo,
        property: &'static str,
        rules: &'static [SwitchRule],
        check_all: bool,
    ) -> Self {
        Self {
            info,
            property,
            rules,
            check_all,
        }
    }

    fn matches(&self, rule: &SwitchRule, subject: Option<&Value>, matched_before: bool) -> bool {
        let expected = Value::from(&rule.value);
        match (rule.op, subject) {
            (SwitchOp::Else, _) => !matched_before,
            // A missing property is JavaScript's `undefined`: unequal to
            // everything here, and never ordered.
            (SwitchOp::Neq, None) => true,
            (_, None) => false,
            (SwitchOp::Eq, Some(value)) => value.loose_eq(&expected),
            (SwitchOp::Neq, Some(value)) => !value.loose_eq(&expected),
            (SwitchOp::Lt, Some(value)) => value.loose_lt(&expected),
            (SwitchOp::Gt, Some(value)) => expected.loose_lt(value),
            (SwitchOp::Lte, Some(value)) => value.loose_lt(&expected) || value.loose_eq(&expected),
            (SwitchOp::Gte, Some(value)) => expected.loose_lt(value) || value.loose_eq(&expected),
        }
    }

    /// The ports the message goes to, in rule order.
    fn matching_ports<'a>(
        &'a self,
        subject: Option<&'a Value>,
    ) -> impl Iterator<Item = usize> + 'a {
        let mut matched_before = false;
        let mut stopped = false;
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(port, rule)| {
                if stopped || !self.matches(rule, subject, matched_before) {
                    return None;
                }
                matched_before = true;
                stopped = !self.check_all;
                Some(port)
            })
    }
}

impl Node for Switch {
    fn input<O: Outputs>(&mut self, _device: &Device, msg: Msg, out: &mut O) {
        // Node-RED decides every port before sending anything, so receivers
        // get copies and cannot change what later rules see; the last port
        // that matches gets the original.
        let Some(last) = self.matching_ports(msg.get(self.property)).last() else {
            return;
        };
        for port in self.matching_ports(msg.get(self.property)) {
            if port == last {
                break;
            }
            out.send(port, msg.clone());
        }
        out.send(last, msg);
    }
}
