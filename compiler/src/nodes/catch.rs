//! `catch`: which nodes' errors a catch node takes (`scope`, `uncaught`),
//! and, before placement, the catch nodes each node's errors go to,
//! in the order Node-RED's flow (`Flow.handleError`) gives them.

use std::collections::BTreeMap;

use super::Reader;
use crate::diagnostic::{Code, Diagnostic, NodeRef};
use crate::flow::{RawFlow, RawNode};
use crate::ir::{Catch, CatchScope, Flow, NodeIndex, NodeKind};
use crate::json::JsonValue;
use crate::place::RuntimeNode;

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let uncaught = reader.flag("uncaught", false);
    let scope = read_scope(reader, "catch")?;
    Some(NodeKind::Catch(Catch { scope, uncaught }))
}

/// The `scope` of a catch, status or complete node (`noun`): null (all
/// nodes of its tab), `"group"`, or a list of node ids.
pub(super) fn read_scope(reader: &mut Reader<'_, '_>, noun: &str) -> Option<CatchScope> {
    match reader.get("scope").map(|scope| (&scope.value, scope.span)) {
        None | Some((JsonValue::Null, _)) => Some(CatchScope::All),
        Some((JsonValue::String(text), _)) if text == "group" => Some(CatchScope::Group),
        Some((JsonValue::Array(items), span)) => {
            let ids: Option<Vec<String>> = items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect();
            if ids.is_none() {
                reader.malformed(
                    "scope",
                    span,
                    format!("a {noun} node's scope lists node ids, which are strings"),
                    None,
                );
            }
            ids.map(CatchScope::Nodes)
        }
        Some((_, span)) => {
            reader.malformed(
                "scope",
                span,
                format!(
                    "a {noun} node's scope is null (all nodes), \"group\" or a list of node ids"
                ),
                Some(format!(
                    "choose the scope again in the {noun} node's editor"
                )),
            );
            None
        }
    }
}

/// A catch node with what Node-RED's flow knows of it.
struct CatchNode<'a> {
    index: NodeIndex,
    catch: &'a Catch,
    raw: &'a RawNode,
}

/// For each node of the flow (`nodes`, in the IR's order) whose errors
/// some catch node takes, those catch nodes in the order Node-RED's flow
/// gives them the error: catch nodes of the node's tab, those with a scope
/// first and `uncaught` ones last, then nearest group first; an `uncaught`
/// one only takes what no catch node before it took. An error that no
/// catch node of a subflow instance takes goes to the catch nodes around
/// the instance, chosen by the instance's id and groups as if the
/// instance had reported it (`Subflow.handleError`), and so on outwards.
pub fn caught_by(raw: &RawFlow, nodes: &[RuntimeNode<'_>]) -> BTreeMap<NodeIndex, Vec<NodeIndex>> {
    let mut catches: Vec<CatchNode<'_>> = nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| match node.kind {
            NodeKind::Catch(catch) => Some(CatchNode {
                index,
                catch,
                raw: node.raw,
            }),
            _ => None,
        })
        .collect();
    // Node-RED sorts its catch nodes once (a stable sort): scoped ones,
    // then the others, `uncaught` ones last.
    catches.sort_by_key(|catch| match (&catch.catch.scope, catch.catch.uncaught) {
        (CatchScope::Group | CatchScope::Nodes(_), _) => 0,
        (CatchScope::All, false) => 1,
        (CatchScope::All, true) => 2,
    });
    let mut caught_by = BTreeMap::new();
    if catches.is_empty() {
        return caught_by;
    }
    for (index, node) in nodes.iter().enumerate() {
        if matches!(node.kind, NodeKind::Catch(_)) {
            continue;
        }
        let mut reporting = Some(node.raw);
        // Instances inside instances are bounded by the number of objects.
        for _ in 0..=raw.nodes.len() {
            let Some(reporter) = reporting else {
                break;
            };
            let taken = taken_by(raw, &catches, reporter);
            if !taken.is_empty() {
                caught_by.insert(index, taken);
                break;
            }
            reporting = raw.instance_of(reporter);
        }
    }
    caught_by
}

/// The catch nodes of `reporting`'s tab or subflow instance that take an
/// error it reports, in order.
fn taken_by(raw: &RawFlow, catches: &[CatchNode<'_>], reporting: &RawNode) -> Vec<NodeIndex> {
    let mut candidates: Vec<(usize, &CatchNode<'_>)> = catches
        .iter()
        .filter(|catch| catch.raw.z == reporting.z)
        .filter_map(|catch| distance(raw, reporting, catch).map(|d| (d, catch)))
        .collect();
    candidates.sort_by_key(|(distance, _)| *distance);
    let mut handled = false;
    let mut handled_by_uncaught = false;
    let mut taken = Vec::new();
    for (_, catch) in candidates {
        if catch.catch.uncaught && !handled_by_uncaught {
            if handled {
                continue;
            }
            handled_by_uncaught = true;
        }
        taken.push(catch.index);
        handled = true;
    }
    taken
}

/// [`distance`] for a node that watches others with `scope` (a status
/// node, which Node-RED's flow places as it places catch nodes).
pub(super) fn scope_distance(
    raw: &RawFlow,
    source: &RawNode,
    watcher: &RawNode,
    scope: &CatchScope,
) -> Option<usize> {
    let catch = Catch {
        scope: scope.clone(),
        uncaught: false,
    };
    distance(
        raw,
        source,
        &CatchNode {
            index: 0,
            catch: &catch,
            raw: watcher,
        },
    )
}

/// How many groups up from the node the catch node's group is (the number
/// of groups the node is in, when the catch node is in none of them), or
/// `None` when the catch node does not take the node's errors.
fn distance(raw: &RawFlow, source: &RawNode, catch: &CatchNode<'_>) -> Option<usize> {
    let group_scope = catch.catch.scope == CatchScope::Group;
    if catch.raw.g.is_some() && group_scope && source.g.is_none() {
        return None;
    }
    if let CatchScope::Nodes(ids) = &catch.catch.scope {
        if !ids.contains(&source.id) {
            return None;
        }
    }
    let mut distance = 0;
    let mut group = source.g.as_deref().and_then(|g| raw.find(g));
    // A group's `g` could lead round in a circle in a hand-written file.
    let mut steps = raw.nodes.len();
    while let Some(containing) = group {
        if Some(&containing.id) == catch.raw.g.as_ref() || steps == 0 {
            break;
        }
        steps -= 1;
        distance += 1;
        group = containing.g.as_deref().and_then(|g| raw.find(g));
    }
    if source.g.is_some() && group.is_none() && catch.raw.g.is_some() && group_scope {
        return None;
    }
    Some(distance)
}

/// A catch node hears only the errors of nodes on its own device: one
/// error per catch node whose scope reaches nodes placed elsewhere.
pub fn check_devices(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    check_scope_devices(
        flow,
        &flow.caught_by,
        Code::CatchAcrossDevices,
        ("catch", "errors"),
        diagnostics,
    );
}

/// One error per watching node (of `noun`, which hears `what` of the nodes
/// in its scope, as `watched_by` lists them) whose scope reaches nodes
/// placed on other devices.
pub(super) fn check_scope_devices(
    flow: &Flow,
    watched_by: &BTreeMap<NodeIndex, Vec<NodeIndex>>,
    code: Code,
    (noun, what): (&str, &str),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut elsewhere: BTreeMap<NodeIndex, Vec<NodeIndex>> = BTreeMap::new();
    for (source, catches) in watched_by {
        for catch in catches {
            let (Some(source_node), Some(catch_node)) =
                (flow.nodes.get(*source), flow.nodes.get(*catch))
            else {
                continue;
            };
            if source_node.device != catch_node.device {
                elsewhere.entry(*catch).or_default().push(*source);
            }
        }
    }
    let device_name = |index: usize| {
        flow.devices
            .get(index)
            .map_or("?", |device| device.name.as_str())
    };
    for (catch, sources) in elsewhere {
        let Some(catch_node) = flow.nodes.get(catch) else {
            continue;
        };
        let mut diagnostic = Diagnostic::error(
            code,
            format!(
                "it runs on device {:?}, but nodes in its scope run on other devices: it would never hear of their {what}",
                device_name(catch_node.device)
            ),
        )
        .node(NodeRef::of(catch_node))
        .property("scope")
        .label(catch_node.span, format!("this {noun} node"));
        for source in sources {
            if let Some(node) = flow.nodes.get(source) {
                diagnostic = diagnostic.label(
                    node.span,
                    format!("on device {:?}", device_name(node.device)),
                );
            }
        }
        diagnostics.push(diagnostic.help(format!(
            "pin the {noun} node and the nodes in its scope to one device (`device` on the nodes, or `PSOS_DEVICE` on their tab or group), or narrow its scope to nodes of its device"
        )));
    }
}
