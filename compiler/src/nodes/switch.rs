//! `switch`: the property it tests and its rules.

use super::Reader;
use crate::ir::{Literal, NodeKind, Switch, SwitchOp, SwitchRule};
use crate::json::Json;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let name = reader.string("property").unwrap_or("payload");
    let kind = reader.string("propertyType");
    let span = reader.node.value_span("property");
    let path = reader.msg_property("property", name, kind, span);
    let items = reader.required_array(
        "rules",
        "[{\"t\": \"eq\", \"v\": \"on\", \"vt\": \"str\"}, {\"t\": \"else\"}]",
    )?;
    let mut rules = Vec::new();
    let mut ok = true;
    for item in items {
        match rule(reader, item) {
            Some(rule) => rules.push(rule),
            None => ok = false,
        }
    }
    let check_all = reader.flag("checkall", true);
    if !ok {
        return None;
    }
    Some(NodeKind::Switch(Switch {
        path: path?,
        rules,
        check_all,
    }))
}

fn rule(reader: &mut Reader<'_, '_>, item: &Json) -> Option<SwitchRule> {
    let op_span = item.get("t").map_or(item.span, |t| t.span);
    let op = match item.get("t").and_then(Json::as_str).unwrap_or("") {
        "eq" => SwitchOp::Eq,
        "neq" => SwitchOp::Neq,
        "lt" => SwitchOp::Lt,
        "lte" => SwitchOp::Lte,
        "gt" => SwitchOp::Gt,
        "gte" => SwitchOp::Gte,
        "else" => {
            return Some(SwitchRule {
                op: SwitchOp::Else,
                value: Literal::Null,
            })
        }
        other => {
            reader.unsupported(
                "rules",
                op_span,
                format!("the switch rule {other:?} is not supported yet"),
                "use one of: eq, neq, lt, lte, gt, gte, else",
            );
            return None;
        }
    };
    let value_type = item.get("vt").and_then(Json::as_str).unwrap_or("str");
    let span = item.get("v").map_or(item.span, |v| v.span);
    let value = reader.literal("rules", item.get("v"), value_type, span)?;
    Some(SwitchRule { op, value })
}
