//! `debug`: what it shows, whether it is active, and whether it mirrors
//! Node-RED's sidebar message (`tosidebar`).

use super::Reader;
use crate::ir::{top_level, Debug, DebugStatus, DebugTarget, NodeKind};

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
    let status = reader
        .flag("tostatus", false)
        .then(|| read_status(reader, complete, target_type))
        .flatten();
    Some(NodeKind::Debug(Debug {
        target,
        active,
        to_sidebar,
        property_name: property_name.map(str::to_string),
        z: reader.node.z.clone(),
        // A name that is not text is refused for every node
        // (`Reader::text_name`).
        name: reader
            .get("name")
            .and_then(|name| name.as_str())
            .map(str::to_string),
        status,
    }))
}

/// What a debug node with `tostatus` shows as its status: `statusType`
/// (`auto` by default) and, for `msg`, `statusVal`, which is the node's
/// `complete` when not given, as `21-debug.js` reads them.
fn read_status(
    reader: &mut Reader<'_, '_>,
    complete: &str,
    target_type: Option<&str>,
) -> Option<DebugStatus> {
    match reader.string("statusType").filter(|kind| !kind.is_empty()) {
        None | Some("auto") => Some(DebugStatus::Auto),
        Some("counter") => Some(DebugStatus::Counter),
        Some("jsonata") => Some(DebugStatus::Jsonata),
        Some(_) => {
            let given = reader.string("statusVal").filter(|value| !value.is_empty());
            let name = match given {
                Some(name) => name,
                // The node's `complete`: a JSONata `complete` leaves none,
                // and Node-RED then reads `msg[undefined]`, which is missing.
                None if target_type == Some("jsonata") => return Some(DebugStatus::Jsonata),
                None if complete == "false" => "payload",
                None => complete,
            };
            let key = if given.is_some() {
                "statusVal"
            } else {
                "complete"
            };
            let span = reader.node.value_span(key);
            let path = reader.msg_property(key, name, None, span)?;
            Some(DebugStatus::Property(path))
        }
    }
}
