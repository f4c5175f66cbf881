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

/// Whether a message of the flow may come to carry `msg.schema`, which a
/// json node must then check messages against (the check is about 14 KiB
/// of flash on a device). A node sets a message property only where its
/// configuration names it, so a flow none of whose running nodes writes
/// `schema` anywhere in its configuration (its `${ENV}` references and a
/// subflow instance's values already substituted) gives no message one;
/// a custom node may set any property, so a flow with one may. A schema
/// that comes anyway (a message published on a wire's topic from outside
/// the flow) is refused by the device, never passed unchecked.
pub fn may_set_schema<'a>(
    nodes: impl IntoIterator<Item = &'a RawNode>,
    kinds: impl IntoIterator<Item = &'a NodeKind>,
) -> bool {
    kinds
        .into_iter()
        .any(|kind| matches!(kind, NodeKind::Custom(_)))
        || nodes
            .into_iter()
            .any(|node| node.type_name != "comment" && mentions_schema(&node.json))
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

/// Gives every json node of the flow the check against `msg.schema` when
/// [`may_set_schema`], and leaves it out otherwise.
pub fn mark_schema_checks<'a>(kinds: impl IntoIterator<Item = &'a mut NodeKind>, checks: bool) {
    for kind in kinds {
        if let NodeKind::Json(json) = kind {
            json.checks_schema = checks;
        }
    }
}
