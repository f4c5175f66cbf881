//! `debug`: what it shows, whether it is active, and whether it mirrors
//! Node-RED's sidebar message (`tosidebar`).

use super::Reader;
use crate::ir::{top_level, Debug, DebugTarget, NodeKind};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let active = reader.flag("active", true);
    // Node-RED takes a missing `tosidebar` as true.
    let to_sidebar = reader.flag("tosidebar", true);
    let complete = reader.string("complete").unwrap_or("payload");
    let target_type = reader.string("targetType");
    let (target, property_name) = match (complete, target_type) {
        (_, Some("full")) | ("true", _) => (DebugTarget::WholeMessage, None),
        ("false" | "payload", _) => (DebugTarget::Property(top_level("payload")), Some("payload")),
        (name, kind) => {
            let span = reader.node.value_span("complete");
            let path = reader.msg_property("complete", name, kind, span)?;
            (DebugTarget::Property(path), Some(name))
        }
    };
    Some(NodeKind::Debug(Debug {
        target,
        active,
        to_sidebar,
        property_name: property_name.map(str::to_string),
        z: reader.node.z.clone(),
        name: reader.string("name").map(str::to_string),
    }))
}
