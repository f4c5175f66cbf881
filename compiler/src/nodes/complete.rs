//! `complete`: which nodes a complete node watches (`scope`), when each
//! kind of node has finished with a message (Node-RED's `done()` with no
//! error), and, before placement, the complete nodes each node's finished
//! messages go to, as Node-RED's flow (`Flow.handleComplete`) gives them.

use std::collections::BTreeMap;

use super::Reader;
use crate::diagnostic::{Code, Diagnostic, NodeRef};
use crate::flow::{RawFlow, RawNode};
use crate::ir::{Complete, Flow, NodeIndex, NodeKind};
use crate::json::JsonValue;
use crate::place::RuntimeNode;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    // Node-RED reads `n.scope || []`: a missing or empty scope watches
    // nothing. The editor has no other form than a list of ids.
    let mut scope = match reader.get("scope").map(|scope| (&scope.value, scope.span)) {
        None | Some((JsonValue::Null | JsonValue::Bool(false), _)) => Vec::new(),
        Some((JsonValue::String(text), _)) if text.is_empty() => Vec::new(),
        Some((JsonValue::Array(items), _)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let Some(id) = item.as_str() else {
                    reader.malformed(
                        "scope",
                        item.span,
                        "a complete node's scope lists node ids, which are strings".to_string(),
                        None,
                    );
                    return None;
                };
                ids.push(id.to_string());
            }
            ids
        }
        Some((_, span)) => {
            reader.malformed(
                "scope",
                span,
                "a complete node's scope is a list of node ids".to_string(),
                Some("choose the nodes again in the complete node's editor".to_string()),
            );
            return None;
        }
    };
    // Node-RED leaves out of the scope the nodes the complete node is
    // wired to, so that it does not loop, as `24-complete.js` does it: it
    // removes an id while walking the list forwards and so steps over the
    // id after each one it removes.
    let wired: Vec<&str> = reader
        .get("wires")
        .and_then(|wires| wires.as_array())
        .into_iter()
        .flatten()
        .filter_map(|port| port.as_array())
        .flatten()
        .filter_map(|id| id.as_str())
        .collect();
    let mut index = 0;
    while index < scope.len() {
        if scope
            .get(index)
            .is_some_and(|id| wired.contains(&id.as_str()))
        {
            scope.remove(index);
        }
        index += 1;
    }
    Some(NodeKind::Complete(Complete { scope }))
}

/// Whether a complete node watches `node`: its scope names it and it is
/// on the complete node's tab (or subflow instance), as Node-RED's flow
/// tells a complete node only of its own flow's nodes.
pub fn watches(complete: &Complete, complete_node: &RawNode, node: &RawNode) -> bool {
    node.z == complete_node.z && complete.scope.contains(&node.id)
}

/// When a node has finished with a message it was given, as its Node-RED
/// source calls `done()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Its input handler takes no `done` (switch, rbe, smooth) or it has no
    /// input (mqtt in): Node-RED never tells a complete node of it.
    Never,
    /// When its input returns, by the runtime's rule.
    Done(psos::nodes::Done),
    /// A delay node: when a message leaves it (from its timer, its queue or
    /// a flush), is dropped or replaced, or resets or flushes it, which the
    /// node tells a hook (`Delay::input_finishing`, `tick_finishing`; in
    /// `burst` mode every message as its input returns, `Burst`). A
    /// split node tells it as its input returns, or in a stream when a
    /// later message sends a piece (`Split::input_now`); a join node when
    /// the group a message joined is sent or reset, or as its input returns
    /// for a message that joins none (`Join::input_finishing`,
    /// `tick_finishing`); a sort node as each message of a sequence leaves
    /// sorted, or as its input returns (`Sort::input_now`); a batch node
    /// when a sequence has left or a reset drops it
    /// (`Batch::input_finishing`, `tick_finishing`).
    Released,
    /// A csv node: its input tells (`Csv::input_done`) whether it called
    /// `done()` with no error, which it does on every path but an error
    /// and, in RFC 4180 mode, text that is all lines skipped. An mqtt out
    /// node the same way (`MqttOut::input_done`).
    Reported,
    /// Later than its input returns, or with Node-RED's own bookkeeping in
    /// the message: a device does not tell complete nodes of it, and a
    /// complete node that watches it is refused, for this reason.
    Refused(&'static str),
}

/// When a node of this kind has finished with a message.
pub fn finish(kind: &NodeKind) -> Finish {
    use psos::nodes::Done;
    match kind {
        // A call that names no link in reports an error instead of
        // calling `done()`.
        NodeKind::Switch(_)
        | NodeKind::Filter(_)
        | NodeKind::Smooth(_)
        | NodeKind::MqttIn(_)
        | NodeKind::UnlinkedCall(_) => Finish::Never,
        NodeKind::Range(_)
        | NodeKind::Debug(_)
        | NodeKind::Catch(_)
        | NodeKind::Status(_)
        | NodeKind::SubflowStatus(_)
        | NodeKind::Complete(_)
        | NodeKind::Trigger(_)
        | NodeKind::LinkAnswer
        | NodeKind::Custom(_) => Finish::Done(Done::Always),
        NodeKind::Change(_) | NodeKind::Json(_) | NodeKind::Template(_) | NodeKind::Inject(_) => {
            Finish::Done(Done::IfSent)
        }
        NodeKind::Delay(_)
        | NodeKind::Split(_)
        | NodeKind::Join(_)
        | NodeKind::Sort(_)
        | NodeKind::Batch(_) => Finish::Released,
        // Node-RED's mqtt out calls `done()` from its client's callback,
        // once the publication is written out (QoS 0) or acknowledged
        // (QoS 1); a device tells the complete nodes when it hands the
        // publication to its outbox, which sends it in order and again
        // after a lost session (`MqttOut::input_done`).
        NodeKind::Csv(_) | NodeKind::MqttOut(_) => Finish::Reported,
        // A watched call runs as a `LinkAnswer` where its answers come
        // back; the node that records a call in the message (for a
        // subroutine that answers several calls) is not done when its
        // input returns.
        NodeKind::LinkCall(_) => Finish::Refused(
            "a link call node finishes with a message when its subroutine answers it, and not when the message goes into the subroutine",
        ),
        NodeKind::LinkReturn(_) => Finish::Refused(
            "a link out node that returns to its caller finishes with a message that carries Node-RED's record of the call (`msg._linkSource`, `msg._event`), which a device keeps in another form",
        ),
    }
}

/// For each node whose finished messages complete nodes take, those
/// complete nodes in the order Node-RED's flow gives them (the file's).
/// A complete node hears only nodes of its own tab (or subflow instance);
/// ids of nodes Node-RED would never tell it of are left out, and one error
/// is reported for each id of a node whose finishing a device cannot tell.
pub fn completed_by(
    raw: &RawFlow,
    nodes: &[RuntimeNode<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<NodeIndex, Vec<NodeIndex>> {
    let mut completed_by: BTreeMap<NodeIndex, Vec<NodeIndex>> = BTreeMap::new();
    for (complete_index, complete_node) in nodes.iter().enumerate() {
        let NodeKind::Complete(complete) = complete_node.kind else {
            continue;
        };
        let entries = complete_node
            .raw
            .get("scope")
            .and_then(|scope| scope.as_array())
            .unwrap_or(&[]);
        for id in &complete.scope {
            let span = entries
                .iter()
                .find(|entry| entry.as_str() == Some(id.as_str()))
                .map_or(complete_node.raw.value_span("scope"), |entry| entry.span);
            let refuse = |why: &str, watched: &crate::flow::RawNode| {
                Diagnostic::error(
                    Code::CompleteUnwatchable,
                    format!("its scope lists {} node {:?}: {why}", watched.type_name, watched.id),
                )
                .node(complete_node.raw.node_ref())
                .property("scope")
                .label(span, "this node")
                .label(watched.span(), "the node it watches")
                .help("leave the node out of the complete node's scope, or keep this part of the flow in Node-RED")
            };
            // A watched link call runs as two nodes where its subroutine
            // answers several calls: the one that records the call, and
            // the `LinkAnswer` that its answers come back to, which tells.
            let same_id: Vec<(usize, &RuntimeNode<'_>)> = nodes
                .iter()
                .enumerate()
                .filter(|(_, node)| node.raw.id == *id && node.raw.z == complete_node.raw.z)
                .collect();
            let found = same_id
                .iter()
                .find(|(_, node)| matches!(node.kind, NodeKind::LinkAnswer))
                .or(same_id.first())
                .copied();
            match found {
                Some((index, node)) => match finish(node.kind) {
                    Finish::Never => {}
                    Finish::Done(_) | Finish::Released | Finish::Reported => {
                        completed_by.entry(index).or_default().push(complete_index);
                    }
                    Finish::Refused(why) => diagnostics.push(refuse(why, node.raw)),
                },
                // Link nodes and junctions call `done()` in Node-RED, but a
                // device runs no code for them.
                None => {
                    if let Some(watched) = raw.find(id).filter(|watched| {
                        watched.z == complete_node.raw.z
                            && !watched.disabled
                            && matches!(
                                watched.type_name.as_str(),
                                "link in" | "link out" | "junction"
                            )
                    }) {
                        diagnostics.push(refuse(
                            "on a device, link in, link out and junction nodes become direct wires and run no code, so nothing would tell the complete node",
                            watched,
                        ));
                    }
                }
            }
        }
    }
    completed_by
}

/// A complete node hears only of nodes on its own device: one error per
/// complete node whose scope reaches nodes placed elsewhere. And one per
/// watched link call of a shared subroutine whose two nodes (the call that
/// records itself, and its answer) both send to other devices: they share
/// the call's id, which names the topic of a wire between devices.
pub fn check_devices(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    check_answers_across_devices(flow, diagnostics);
    let mut elsewhere: BTreeMap<NodeIndex, Vec<NodeIndex>> = BTreeMap::new();
    for (source, completes) in &flow.completed_by {
        for complete in completes {
            let devices = (flow.nodes.get(*source), flow.nodes.get(*complete));
            if let (Some(source_node), Some(complete_node)) = devices {
                if source_node.device != complete_node.device {
                    elsewhere.entry(*complete).or_default().push(*source);
                }
            }
        }
    }
    let device_name = |index: usize| flow.devices.get(index).map_or("?", |d| d.name.as_str());
    for (complete, sources) in elsewhere {
        let Some(complete_node) = flow.nodes.get(complete) else {
            continue;
        };
        let message = format!(
            "it runs on device {:?}, but nodes in its scope run on other devices: it would never hear that they finished with a message",
            device_name(complete_node.device)
        );
        let diagnostic = sources.iter().filter_map(|s| flow.nodes.get(*s)).fold(
            Diagnostic::error(Code::CompleteAcrossDevices, message)
                .node(NodeRef::of(complete_node))
                .property("scope")
                .label(complete_node.span, "this complete node"),
            |diagnostic, node| {
                diagnostic.label(
                    node.span,
                    format!("on device {:?}", device_name(node.device)),
                )
            },
        );
        diagnostics.push(diagnostic.help(
            "pin the complete node and the nodes in its scope to one device (`device` on the nodes, or `PSOS_DEVICE` on their tab or group), or narrow its scope to nodes of its device",
        ));
    }
}

/// See [`check_devices`].
fn check_answers_across_devices(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    let sends_away = |index: NodeIndex| {
        flow.wires
            .iter()
            .any(|wire| wire.from == index && !flow.same_device(wire))
    };
    for (answer_index, answer) in flow.nodes.iter().enumerate() {
        if !matches!(answer.kind, NodeKind::LinkAnswer) || !sends_away(answer_index) {
            continue;
        }
        let recorder =
            flow.nodes.iter().enumerate().find(|(_, node)| {
                node.id == answer.id && matches!(node.kind, NodeKind::LinkCall(_))
            });
        let Some((call_index, call)) = recorder.filter(|(index, _)| sends_away(*index)) else {
            continue;
        };
        let elsewhere = |from: NodeIndex| {
            flow.wires
                .iter()
                .filter(move |wire| wire.from == from && !flow.same_device(wire))
                .filter_map(|wire| flow.nodes.get(wire.to))
        };
        let diagnostic = Diagnostic::error(
            Code::CompleteAcrossDevices,
            "a complete node watches it and its subroutine answers several link calls, so it runs as two parts, one that sends into its subroutine and one that sends its answers on; here both send to other devices, and a wire between devices is a topic named after its node's id and port, which only one of them can have".to_string(),
        )
        .node(NodeRef::of(call))
        .label(call.span, "this link call");
        let diagnostic = elsewhere(call_index)
            .map(|node| (node, "its subroutine"))
            .chain(elsewhere(answer_index).map(|node| (node, "where its answers go")))
            .fold(diagnostic, |diagnostic, (node, what)| {
                diagnostic.label(node.span, what)
            });
        diagnostics.push(diagnostic.help(
            "pin the link call to the device of its subroutine's first node, or of the nodes it is wired to (`device`, or `PSOS_DEVICE` on its tab or group)",
        ));
    }
}
