//! `json`: the property it converts, which way, and whether text is
//! indented; and whether its flow needs the check against `msg.schema`.

use super::Reader;
use crate::flow::RawNode;
use crate::ir::{JsonAction, JsonNode, NodeKind};
use crate::json::{Json, JsonValue};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let path = reader.target_property();
    let action = reader.choice(
        "action",
        &[
            ("", JsonAction::Convert),
            ("str", JsonAction::AlwaysString),
            ("obj", JsonAction::AlwaysObject),
        ],
    );
    let pretty = reader.flag("pretty", false);
    Some(NodeKind::Json(JsonNode {
        path: path?,
        action: action?,
        pretty,
        // Until the flow is read whole: [`mark_schema_checks`].
        checks_schema: true,
    }))
}

/// Whether a node may give a message `msg.schema`, which a json node the
/// message reaches must then check it against (the check is about 14 KiB
/// of flash on a device). A node sets a message property only where its
/// configuration names it, so a node that writes `schema` nowhere in its
/// configuration (its `${ENV}` references and a subflow instance's values
/// already substituted) gives no message one; a custom node may set any
/// property. [`schema_reaches`] follows what such a node sends.
pub fn may_set_schema(node: &RawNode, kind: &NodeKind) -> bool {
    matches!(kind, NodeKind::Custom(_))
        || (node.type_name != "comment" && mentions_schema(&node.json))
}

/// Which nodes a message carrying `msg.schema` may reach: from each node
/// that may set it (`setters`), along `edges` (wires, on a device or
/// across devices, and a watched node to the catch and complete nodes
/// that get its message). A json node no such message reaches is built
/// without the check; a schema that comes anyway (a message published on
/// a wire's topic from outside the flow) is refused by the device, never
/// passed unchecked.
pub fn schema_reaches(
    setters: &[bool],
    edges: impl IntoIterator<Item = (usize, usize)>,
) -> Vec<bool> {
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); setters.len()];
    for (from, to) in edges {
        if let Some(targets) = next.get_mut(from) {
            targets.push(to);
        }
    }
    let mut reached = setters.to_vec();
    let mut pending: Vec<usize> = (0..setters.len()).filter(|node| setters[*node]).collect();
    while let Some(node) = pending.pop() {
        for target in next.get(node).into_iter().flatten() {
            if let Some(slot) = reached.get_mut(*target) {
                if !*slot {
                    *slot = true;
                    pending.push(*target);
                }
            }
        }
    }
    reached
}

/// Whether any text in a node's configuration, key or value, holds
/// `schema`.
fn mentions_schema(json: &Json) -> bool {
    let mut pending = vec![json];
    while let Some(json) = pending.pop() {
        match &json.value {
            JsonValue::String(text) if text.contains("schema") => return true,
            JsonValue::Array(items) => pending.extend(items),
            JsonValue::Object(members) => {
                for member in members {
                    if member.key.contains("schema") {
                        return true;
                    }
                    pending.push(&member.value);
                }
            }
            _ => {}
        }
    }
    false
}

/// Gives each json node the check against `msg.schema` where a message
/// carrying one may reach it ([`schema_reaches`]), and leaves it out
/// elsewhere.
pub fn mark_schema_checks<'a>(kinds: impl IntoIterator<Item = &'a mut NodeKind>, reached: &[bool]) {
    for (index, kind) in kinds.into_iter().enumerate() {
        if let NodeKind::Json(json) = kind {
            json.checks_schema = reached.get(index).copied().unwrap_or(true);
        }
    }
}
