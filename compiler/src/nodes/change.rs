//! `change`: its rules.

use super::Reader;
use crate::ir::{Change, ChangeRule, NodeKind};
use crate::json::Json;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let items = reader.required_array(
        "rules",
        "[{\"t\": \"set\", \"p\": \"payload\", \"to\": \"on\", \"tot\": \"str\"}]",
    )?;
    let mut rules = Vec::new();
    let mut ok = true;
    for item in items {
        match rule(reader, item) {
            Some(rule) => rules.push(rule),
            None => ok = false,
        }
    }
    ok.then_some(NodeKind::Change(Change { rules }))
}

fn rule(reader: &mut Reader<'_, '_>, item: &Json) -> Option<ChangeRule> {
    let action = item.get("t").and_then(Json::as_str).unwrap_or("");
    let Some(name) = item.get("p").and_then(Json::as_str) else {
        reader.malformed(
            "rules",
            item.span,
            "each rule needs the property it changes, `p`".to_string(),
            Some("write {\"t\": \"set\", \"p\": \"payload\", ...}".to_string()),
        );
        return None;
    };
    let kind = item.get("pt").and_then(Json::as_str);
    let path = reader.msg_property("rules", name, kind, item.span)?;
    match action {
        "set" => {
            let value_type = item.get("tot").and_then(Json::as_str).unwrap_or("str");
            let span = item.get("to").map_or(item.span, |to| to.span);
            let value = reader.literal("rules", item.get("to"), value_type, span)?;
            Some(ChangeRule::Set { path, value })
        }
        "delete" => Some(ChangeRule::Delete { path }),
        other => {
            let span = item.get("t").map_or(item.span, |t| t.span);
            reader.unsupported(
                "rules",
                span,
                format!("the rule action {other:?} is not supported yet"),
                "use \"set\" or \"delete\"",
            );
            None
        }
    }
}
