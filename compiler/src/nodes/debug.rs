//! `debug`: what it shows, and whether it is active.

use super::Reader;
use crate::ir::{top_level, Debug, DebugTarget, NodeKind};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let active = reader.flag("active", true);
    let complete = reader.string("complete").unwrap_or("payload");
    let target_type = reader.string("targetType");
    let target = match (complete, target_type) {
        (_, Some("full")) | ("true", _) => DebugTarget::WholeMessage,
        ("false" | "payload", _) => DebugTarget::Property(top_level("payload")),
        (name, kind) => {
            let span = reader.node.value_span("complete");
            DebugTarget::Property(reader.msg_property("complete", name, kind, span)?)
        }
    };
    Some(NodeKind::Debug(Debug { target, active }))
}
