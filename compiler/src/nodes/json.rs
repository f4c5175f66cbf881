//! `json`: the property it converts, which way, and whether text is
//! indented.

use super::Reader;
use crate::ir::{JsonAction, JsonNode, NodeKind};

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
    }))
}
