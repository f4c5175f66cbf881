//! `status`: which nodes' status a status node receives (`scope`), and,
//! before placement, the status nodes each node's status goes to, in the
//! order Node-RED's flow (`Flow.handleStatus`) gives it them, out of
//! subflow instances too (`Subflow.handleStatus`); and a subflow
//! instance's status port, which reports the instance's status. A node
//! whose status a device does not report yet may not be watched.

use std::collections::BTreeMap;

use super::catch::{check_scope_devices, read_scope, scope_distance};
use super::Reader;
use crate::diagnostic::{Code, Diagnostic};
use crate::flow::RawFlow;
use crate::ir::{
    CatchScope, DebugStatus, Flow, NodeIndex, NodeKind, StatusNode, SubflowStatusPort,
};
use crate::json::JsonValue;
use crate::place::RuntimeNode;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let scope = match read_scope(reader, "status")? {
        CatchScope::Nodes(ids) => CatchScope::Nodes(without_wired(ids, &wired_ids(reader))),
        scope => scope,
    };
    Some(NodeKind::Status(StatusNode { scope }))
}

/// A subflow instance's status port, which psosc makes in the instance
/// (`subflow::expand`), carrying the instance's type.
pub fn lower_port(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let instance_id = reader.node.z.clone()?;
    let instance_type = reader.string("instanceType")?.to_string();
    Some(NodeKind::SubflowStatus(SubflowStatusPort {
        instance_id,
        instance_type,
    }))
}

/// The ids the status node's own wires lead to.
fn wired_ids(reader: &Reader<'_, '_>) -> Vec<String> {
    let Some(JsonValue::Array(ports)) = reader.get("wires").map(|wires| &wires.value) else {
        return Vec::new();
    };
    ports
        .iter()
        .filter_map(|port| match &port.value {
            JsonValue::Array(ids) => Some(ids),
            _ => None,
        })
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_string))
        .collect()
}

/// The scope's ids without those the node is wired to, as `25-status.js`
/// leaves them out against a simple loop: it removes them while walking
/// the list by position, so the id after a removed one stays unexamined.
fn without_wired(mut ids: Vec<String>, wired: &[String]) -> Vec<String> {
    let mut position = 0;
    while position < ids.len() {
        if wired.contains(&ids[position]) {
            ids.remove(position);
        }
        position += 1;
    }
    ids
}

/// Whether a device reports the status a node of this kind reports in
/// Node-RED once the flow runs, and if not, why (`Err`). `Ok(false)`: the
/// node never reports one, so watching it costs nothing.
fn reports_status(kind: &NodeKind) -> Result<bool, &'static str> {
    match kind {
        NodeKind::Trigger(_) => Ok(true),
        NodeKind::Debug(debug) => match &debug.status {
            None => Ok(false),
            Some(_) if !debug.active => {
                Err("it is inactive, and an inactive debug node has no code on a device")
            }
            Some(DebugStatus::Jsonata) => {
                Err("its status is a JSONata expression (`statusType` \"jsonata\"), which a device cannot evaluate")
            }
            Some(DebugStatus::Auto | DebugStatus::Property(_) | DebugStatus::Counter) => Ok(true),
        },
        NodeKind::Delay(_) => Ok(true),
        NodeKind::MqttIn(_) | NodeKind::MqttOut(_) => Ok(true),
        NodeKind::SubflowStatus(_) => Ok(true),
        // The legacy parser sets a status only as it starts, which no
        // status node hears.
        NodeKind::Csv(csv) => Ok(!csv.legacy),
        _ => Ok(false),
    }
}

/// For each node of the flow (`nodes`, in the IR's order) that reports a
/// status some status nodes receive, those status nodes in the order
/// Node-RED's flow gives them the status: status nodes of the node's tab,
/// nearest group first, in file order among equals. A status that no
/// status node of a subflow instance takes goes to the status nodes
/// around the instance, chosen by the instance's id and groups as if the
/// instance had reported it, and so on outwards, unless the instance's
/// subflow has a status port (`Subflow.handleStatus`). A subflow's status
/// port reports its status as its instance, to the status nodes around
/// the instance. A watched node whose status a device does not report is
/// an error on each status node that watches it.
pub fn watched_by(
    raw: &RawFlow,
    nodes: &[RuntimeNode<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<NodeIndex, Vec<NodeIndex>> {
    let watchers: Vec<(NodeIndex, &RuntimeNode<'_>, &CatchScope)> = nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| match node.kind {
            NodeKind::Status(status) => Some((index, node, &status.scope)),
            _ => None,
        })
        .collect();
    let mut watched_by = BTreeMap::new();
    if watchers.is_empty() {
        return watched_by;
    }
    for (index, node) in nodes.iter().enumerate() {
        let mut reporting = match node.kind {
            NodeKind::SubflowStatus(_) => raw.instance_of(node.raw),
            _ => Some(node.raw),
        };
        let mut candidates: Vec<(usize, NodeIndex)> = Vec::new();
        // Instances inside instances are bounded by the number of objects.
        for _ in 0..=raw.nodes.len() {
            let Some(reporter) = reporting else {
                break;
            };
            candidates = watchers
                .iter()
                .filter(|(_, watcher, _)| watcher.raw.z == reporter.z)
                .filter_map(|(watcher_index, watcher, scope)| {
                    scope_distance(raw, reporter, watcher.raw, scope).map(|d| (d, *watcher_index))
                })
                .collect();
            if !candidates.is_empty() {
                break;
            }
            reporting = raw
                .instance_of(reporter)
                .filter(|instance| !crate::subflow::has_status_port(raw, instance));
        }
        if candidates.is_empty() {
            continue;
        }
        match reports_status(node.kind) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(why) => {
                for (_, watcher_index) in &candidates {
                    if let Some(watcher) = nodes.get(*watcher_index) {
                        diagnostics.push(unreported(watcher, node, why));
                    }
                }
                continue;
            }
        }
        candidates.sort_by_key(|(distance, _)| *distance);
        watched_by.insert(
            index,
            candidates.into_iter().map(|(_, watcher)| watcher).collect(),
        );
    }
    watched_by
}

fn unreported(watcher: &RuntimeNode<'_>, node: &RuntimeNode<'_>, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::StatusUnreported,
        format!(
            "its scope takes in {} node {:?}, whose status Node-RED reports but a device does not: {why}",
            node.raw.type_name, node.raw.id
        ),
    )
    .node(watcher.raw.node_ref())
    .property("scope")
    .label(watcher.raw.json.span, "this status node")
    .label(node.raw.json.span, "its status is not reported")
    .help("narrow the status node's scope to a list of nodes whose status a device reports (trigger, delay, mqtt in, mqtt out, csv, and debug nodes with `tostatus` on \"auto\", a message property or \"counter\"), or keep these nodes in Node-RED")
}

/// A status node hears only the status of nodes on its own device: one
/// error per status node whose scope reaches nodes placed elsewhere.
pub fn check_devices(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    check_scope_devices(
        flow,
        &flow.status_watched_by,
        Code::StatusAcrossDevices,
        ("status", "status"),
        diagnostics,
    );
}
