//! Subflows expanded at build time, as Node-RED expands them when a flow
//! starts: each instance of a subflow becomes a copy of the subflow's nodes
//! with ids of its own (`INSTANCE-NODE`, Node-RED's scheme), its input wired
//! to the copies the subflow's input port reaches and the copies that reach
//! the subflow's output ports wired to what the instance's ports are wired
//! to. After this, a subflow instance is a routing node like a junction,
//! and its copies are ordinary nodes that later stages place and build.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::flow::{RawFlow, RawNode};
use crate::json::{Json, JsonValue, Member, Span};

/// The prefix of a subflow instance's type: `subflow:ID`.
const INSTANCE_PREFIX: &str = "subflow:";

/// The type of the node that stands for a subflow instance's status port.
pub const STATUS_PORT_TYPE: &str = "subflow-status";

/// At most this many nodes come out of expanding subflows: instances of
/// instances multiply, and a flow that asks for more is refused rather than
/// exhausting memory.
const MAX_EXPANDED_NODES: usize = 100_000;

/// The types of `env` entries a device can have: values known when the flow
/// is built.
const ENV_TYPES: &[&str] = &["str", "num", "bool", "json", "env"];

/// Whether a node type is an instance of a subflow.
pub fn is_instance(type_name: &str) -> bool {
    type_name.starts_with(INSTANCE_PREFIX)
}

/// Expands every subflow instance of the flow, innermost ones included,
/// reporting unknown subflows, subflows that contain themselves and `env`
/// entries a device cannot evaluate.
pub fn expand(flow: &mut RawFlow, diagnostics: &mut Vec<Diagnostic>) {
    let definitions: HashMap<String, usize> = flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.type_name == "subflow")
        .map(|(index, node)| (node.id.clone(), index))
        .collect();
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, node) in flow.nodes.iter().enumerate() {
        if let Some(z) = node.z.as_deref().filter(|z| definitions.contains_key(*z)) {
            members.entry(z).or_default().push(index);
        }
    }
    let members: HashMap<String, Vec<usize>> = members
        .into_iter()
        .map(|(id, indices)| (id.to_string(), indices))
        .collect();
    let mut found = Vec::new();
    // Node-RED makes this type for a subflow instance's status port, and
    // so does psosc; a node of the file is none of those.
    for node in flow
        .nodes
        .iter()
        .filter(|n| n.type_name == STATUS_PORT_TYPE)
    {
        found.push(
            node.error(
                Code::UnsupportedNodeType,
                "type",
                format!("{STATUS_PORT_TYPE:?} is the type Node-RED gives a subflow's status port as it runs, not a node a flow holds"),
                "made by Node-RED",
            )
            .help("give the subflow a status port (`status` of the subflow) and wire its nodes to it"),
        );
    }
    let mut in_file_order: Vec<usize> = definitions.values().copied().collect();
    in_file_order.sort_unstable();
    for index in in_file_order {
        if let Some(definition) = flow.nodes.get(index) {
            check_env_types(definition, &mut found);
            let inside = members
                .get(&definition.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            check_ports(flow, definition, inside, &mut found);
        }
    }
    // Instances on tabs first, in file order; the copies of instances
    // inside subflows join the end of the list as they are made.
    let mut work: Vec<(usize, Vec<String>)> = flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| is_instance(&node.type_name))
        .filter(|(_, node)| {
            !node
                .z
                .as_deref()
                .is_some_and(|z| definitions.contains_key(z))
        })
        .map(|(index, _)| (index, Vec::new()))
        .collect();
    let mut next = 0;
    let mut made = 0;
    while let Some((instance_index, enclosing)) = work.get(next).cloned() {
        next += 1;
        let Some(instance) = flow.nodes.get(instance_index).cloned() else {
            continue;
        };
        check_env_types(&instance, &mut found);
        let subflow_id = instance
            .type_name
            .get(INSTANCE_PREFIX.len()..)
            .unwrap_or("");
        let definition = definitions
            .get(subflow_id)
            .and_then(|index| flow.nodes.get(*index))
            .cloned();
        let problem = match &definition {
            None => Some(unknown_subflow(&instance, subflow_id, &definitions, flow)),
            Some(definition) if enclosing.iter().any(|id| id == subflow_id) => {
                Some(recursive(&instance, definition))
            }
            Some(_) if made > MAX_EXPANDED_NODES => Some(too_many(&instance)),
            Some(_) => None,
        };
        let (Some(definition), None) = (definition, problem.clone()) else {
            found.extend(problem);
            // The instance is left without wires, so that it reaches nothing
            // and its own ports raise no further complaint.
            if let Some(node) = flow.nodes.get_mut(instance_index) {
                let span = node.span();
                set_member(&mut node.json, "wires", Json::array(Vec::new(), span));
            }
            continue;
        };
        let inside = members.get(subflow_id).map(Vec::as_slice).unwrap_or(&[]);
        let copies = instantiate(flow, instance_index, &instance, &definition, inside);
        made += copies.len();
        let mut inner = enclosing.clone();
        inner.push(subflow_id.to_string());
        for copy in copies {
            let is_nested = flow
                .nodes
                .get(copy)
                .is_some_and(|node| is_instance(&node.type_name));
            if is_nested {
                work.push((copy, inner.clone()));
            }
        }
    }
    diagnostics.extend(found);
}

/// Makes the copies of a subflow's nodes for one instance and rewires the
/// instance; returns the indices of the copies in the flow.
fn instantiate(
    flow: &mut RawFlow,
    instance_index: usize,
    instance: &RawNode,
    definition: &RawNode,
    inside: &[usize],
) -> Vec<usize> {
    let mut id_map: HashMap<String, String> = HashMap::new();
    for index in inside {
        if let Some(node) = flow.nodes.get(*index) {
            let mut id = format!("{}-{}", instance.id, node.id);
            // Node-RED's ids never hold this scheme's ids, but a hand-written
            // flow might: a copy takes the next free id.
            while flow.find(&id).is_some() {
                id.push('~');
            }
            id_map.insert(node.id.clone(), id);
        }
    }
    let instance_enabled = flow.is_enabled(instance);
    let mut copies: Vec<RawNode> = inside
        .iter()
        .filter_map(|index| flow.nodes.get(*index))
        .map(|node| copy_node(node, instance, instance_enabled, &id_map))
        .collect();

    // The instance's ports, and the status port after them when the
    // subflow has one.
    let instance_ports: Vec<Json> = instance
        .get("wires")
        .and_then(Json::as_array)
        .map(<[Json]>::to_vec)
        .unwrap_or_default();
    let outputs = definition
        .get("out")
        .and_then(Json::as_array)
        .unwrap_or(&[]);
    let mut input_targets: Vec<Json> = definition
        .get("in")
        .and_then(Json::as_array)
        .and_then(|ports| ports.first())
        .and_then(|port| port.get("wires"))
        .and_then(Json::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(|wire| {
            let id = wire.get("id").and_then(Json::as_str)?;
            Some(Json::string(
                id_map.get(id).map_or(id, String::as_str),
                wire.span,
            ))
        })
        .collect();
    for (port, output) in outputs.iter().enumerate() {
        let targets: Vec<Json> = instance_ports
            .get(port)
            .and_then(Json::as_array)
            .map(<[Json]>::to_vec)
            .unwrap_or_default();
        let port = Port {
            definition,
            id_map: &id_map,
            targets: &targets,
        };
        port.wire(output, &mut copies, &mut input_targets);
    }
    // The subflow's status port: a node of the instance that the copies
    // wired to the port send to, and that reports the instance's status
    // from what it receives. The instance itself has no port for it:
    // Node-RED gives it only the subflow's outputs, so wires from a port
    // past them lead nowhere.
    if let Some(status) = status_port_of(definition) {
        let port_span = status.span;
        let mut id = format!("{}:status", instance.id);
        while flow.find(&id).is_some() || copies.iter().any(|copy| copy.id == id) {
            id.push('~');
        }
        let port = Port {
            definition,
            id_map: &id_map,
            targets: &[Json::string(&id, port_span)],
        };
        port.wire(status, &mut copies, &mut input_targets);
        copies.push(status_port(instance, instance_enabled, id, port_span));
    }

    // The instance passes what it receives to the subflow's input.
    if let Some(node) = flow.nodes.get_mut(instance_index) {
        let span = node.value_span("wires");
        set_member(
            &mut node.json,
            "wires",
            Json::array(vec![Json::array(input_targets, span)], span),
        );
    }
    copies.into_iter().map(|copy| flow.push(copy)).collect()
}

/// An output or the status port of a subflow, for one instance: the
/// targets the copies wired to it lead to.
struct Port<'a> {
    definition: &'a RawNode,
    id_map: &'a HashMap<String, String>,
    targets: &'a [Json],
}

impl Port<'_> {
    /// Wires the copies that `port`'s wires name, and the subflow's input
    /// when one names the subflow itself, to the port's targets.
    fn wire(&self, port: &Json, copies: &mut [RawNode], input_targets: &mut Vec<Json>) {
        let sources = port.get("wires").and_then(Json::as_array).unwrap_or(&[]);
        for source in sources {
            let Some(source_id) = source.get("id").and_then(Json::as_str) else {
                continue;
            };
            if source_id == self.definition.id {
                // The subflow's input wired straight to the port.
                input_targets.extend(self.targets.iter().cloned());
                continue;
            }
            let copy = self
                .id_map
                .get(source_id)
                .and_then(|id| copies.iter_mut().find(|copy| &copy.id == id));
            if let Some(copy) = copy {
                add_targets(copy, port_of(source), self.targets, source.span);
            }
        }
    }
}

/// The output port a wire of a subflow's port leaves its node by.
fn port_of(wire: &Json) -> usize {
    wire.get("port")
        .and_then(|port| match port.value {
            JsonValue::Number(n) if n >= 0.0 && n.fract() == 0.0 => Some(n as usize),
            _ => None,
        })
        .unwrap_or(0)
}

/// A subflow's status port, if it has one (Node-RED: `if
/// (subflowDef.status)`).
fn status_port_of(definition: &RawNode) -> Option<&Json> {
    definition.get("status").filter(|port| port.is_truthy())
}

/// Whether the subflow a subflow instance is of has a status port: then
/// the statuses of its nodes that no status node inside takes stay there
/// (`Subflow.handleStatus`), and the port reports the instance's status.
pub fn has_status_port(flow: &RawFlow, instance: &RawNode) -> bool {
    instance
        .type_name
        .strip_prefix(INSTANCE_PREFIX)
        .and_then(|subflow_id| flow.find(subflow_id))
        .and_then(status_port_of)
        .is_some()
}

/// The node Node-RED makes for an instance of a subflow with a status
/// port (`subflow-status`, id `INSTANCE:status`, in the instance): it
/// reports the status of the instance, whose name and type it carries.
fn status_port(instance: &RawNode, instance_enabled: bool, id: String, span: Span) -> RawNode {
    let member = |key: &str, value: Json| Member {
        key: key.to_string(),
        key_span: span,
        value,
    };
    let mut members = vec![
        member("id", Json::string(&id, span)),
        member("type", Json::string(STATUS_PORT_TYPE, span)),
        member("z", Json::string(&instance.id, span)),
        member("instanceType", Json::string(&instance.type_name, span)),
    ];
    if let Some(name) = instance.get("name") {
        members.push(member("name", name.clone()));
    }
    RawNode {
        id,
        type_name: STATUS_PORT_TYPE.to_string(),
        json: Json {
            span,
            value: JsonValue::Object(members),
        },
        z: Some(instance.id.clone()),
        g: None,
        disabled: !instance_enabled,
        alias: None,
    }
}

/// A node of a subflow, copied for one instance: its id and every
/// reference to another node of the subflow renamed as the instance names
/// them (wires, links, a catch, status or complete node's scope, and any
/// property naming one, such as a group or a configuration node).
fn copy_node(
    node: &RawNode,
    instance: &RawNode,
    instance_enabled: bool,
    id_map: &HashMap<String, String>,
) -> RawNode {
    let id = id_map.get(&node.id).cloned().unwrap_or_default();
    let mut json = node.json.clone();
    if let JsonValue::Object(members) = &mut json.value {
        for member in members.iter_mut() {
            match member.key.as_str() {
                "id" => member.value.value = JsonValue::String(id.clone()),
                "z" => member.value.value = JsonValue::String(instance.id.clone()),
                "wires" => {
                    for port in array_items(&mut member.value) {
                        rename_all(array_items(port), id_map);
                    }
                }
                "links" | "scope" => rename_all(array_items(&mut member.value), id_map),
                _ => rename(&mut member.value, id_map),
            }
        }
    }
    RawNode {
        id,
        type_name: node.type_name.clone(),
        json,
        z: Some(instance.id.clone()),
        g: node
            .g
            .as_ref()
            .map(|g| id_map.get(g).cloned().unwrap_or(g.clone())),
        disabled: node.disabled || !instance_enabled,
        alias: Some(node.id.clone()),
    }
}

fn array_items(json: &mut Json) -> &mut [Json] {
    match &mut json.value {
        JsonValue::Array(items) => items,
        _ => &mut [],
    }
}

fn rename_all(items: &mut [Json], id_map: &HashMap<String, String>) {
    items.iter_mut().for_each(|item| rename(item, id_map));
}

fn rename(json: &mut Json, id_map: &HashMap<String, String>) {
    if let JsonValue::String(text) = &mut json.value {
        if let Some(renamed) = id_map.get(text.as_str()) {
            *text = renamed.clone();
        }
    }
}

/// Adds wires from a copy's output port to an instance's targets.
fn add_targets(copy: &mut RawNode, port: usize, targets: &[Json], span: Span) {
    let mut ports = copy
        .get("wires")
        .and_then(Json::as_array)
        .map(<[Json]>::to_vec)
        .unwrap_or_default();
    while ports.len() <= port {
        ports.push(Json::array(Vec::new(), span));
    }
    if let Some(JsonValue::Array(items)) = ports.get_mut(port).map(|port| &mut port.value) {
        items.extend(targets.iter().cloned());
    }
    let wires_span = copy.value_span("wires");
    set_member(&mut copy.json, "wires", Json::array(ports, wires_span));
}

fn set_member(json: &mut Json, key: &str, value: Json) {
    if let JsonValue::Object(members) = &mut json.value {
        match members.iter_mut().rev().find(|member| member.key == key) {
            Some(member) => member.value = value,
            None => members.push(Member {
                key: key.to_string(),
                key_span: value.span,
                value,
            }),
        }
    }
}

/// Refuses `env` entries whose value is only known to a running Node-RED:
/// JSONata expressions, credentials, buffers, configuration nodes.
fn check_env_types(scope: &RawNode, diagnostics: &mut Vec<Diagnostic>) {
    let entries = scope.get("env").and_then(Json::as_array).unwrap_or(&[]);
    for entry in entries {
        let Some(kind) = entry.get("type") else {
            continue;
        };
        let type_name = kind.as_str().unwrap_or("");
        if ENV_TYPES.contains(&type_name) {
            continue;
        }
        let name = entry.get("name").and_then(Json::as_str).unwrap_or("");
        diagnostics.push(
            Diagnostic::error(
                Code::UnsupportedValue,
                format!("the env property {name:?} is of type {type_name:?}, whose value psosc cannot know when it builds the flow"),
            )
            .node(scope.node_ref())
            .property("env")
            .label(kind.span, "this type")
            .help(format!("give the property one of the types {}", ENV_TYPES.join(", "))),
        );
    }
}

/// Reports a wire of a subflow's input, output or status port that names no node
/// of the subflow (Node-RED stops with "Unknown node referenced inside
/// subflow").
fn check_ports(
    flow: &RawFlow,
    definition: &RawNode,
    inside: &[usize],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let known = |id: &str| {
        id == definition.id
            || inside
                .iter()
                .any(|index| flow.nodes.get(*index).is_some_and(|node| node.id == id))
    };
    for key in ["in", "out", "status"] {
        // The status port is one port, the others lists of them.
        let ports = match definition.get(key) {
            Some(port) if key == "status" => std::slice::from_ref(port),
            other => other.and_then(Json::as_array).unwrap_or(&[]),
        };
        let wires = ports
            .iter()
            .filter_map(|port| port.get("wires").and_then(Json::as_array))
            .flatten();
        for wire in wires {
            let id = wire.get("id").and_then(Json::as_str).unwrap_or("");
            if !known(id) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::WireToMissingNode,
                        format!("a wire of the subflow's `{key}` port names {id:?}, which is not a node of the subflow"),
                    )
                    .node(definition.node_ref())
                    .property(key)
                    .label(wire.span, "this wire")
                    .help("a subflow's ports are wired to nodes whose `z` is the subflow's id"),
                );
            }
        }
    }
}

fn unknown_subflow(
    instance: &RawNode,
    subflow_id: &str,
    definitions: &HashMap<String, usize>,
    flow: &RawFlow,
) -> Diagnostic {
    let mut names: Vec<String> = definitions
        .values()
        .filter_map(|index| flow.nodes.get(*index))
        .map(|definition| format!("{:?} ({})", definition.id, definition.name()))
        .collect();
    names.sort();
    let help = if names.is_empty() {
        "the flow defines no subflow: export the flow with its subflows (Export → all flows)"
            .to_string()
    } else {
        format!("the subflows of this flow are: {}", names.join(", "))
    };
    instance
        .error(
            Code::UnknownSubflow,
            "type",
            format!(
                "this is an instance of the subflow {subflow_id:?}, which the flow does not define"
            ),
            "no subflow has this id",
        )
        .help(help)
}

fn recursive(instance: &RawNode, definition: &RawNode) -> Diagnostic {
    instance
        .error(
            Code::RecursiveSubflow,
            "type",
            format!(
                "the subflow {:?} contains an instance of itself, which would expand without end",
                definition.id
            ),
            "instance of an enclosing subflow",
        )
        .label(definition.span(), "the subflow")
        .help("remove the instance from the subflow, or route the messages back with a link")
}

fn too_many(instance: &RawNode) -> Diagnostic {
    instance
        .error(
            Code::RecursiveSubflow,
            "type",
            format!("expanding the subflows makes more than {MAX_EXPANDED_NODES} nodes"),
            "expanded here",
        )
        .help("nest fewer instances of subflows inside subflows")
}

/// Adds to each diagnostic about a copy made from a subflow a label on the
/// instances it was made for, outermost last, so that a problem inside a
/// subflow says which use of it is at fault.
pub fn locate(flow: &RawFlow, diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics {
        let Some(node) = diagnostic
            .node
            .as_ref()
            .and_then(|node| flow.find(&node.id))
        else {
            continue;
        };
        let mut seen = 0;
        let mut next = flow.instance_of(node);
        while let Some(instance) = next {
            seen += 1;
            if seen > flow.nodes.len() {
                break;
            }
            diagnostic.labels.push(crate::diagnostic::Label {
                span: instance.value_span("type"),
                text: format!("in this instance of the subflow (node {:?})", instance.id),
            });
            next = flow.instance_of(instance);
        }
    }
}

impl Json {
    fn string(text: &str, span: Span) -> Json {
        Json {
            span,
            value: JsonValue::String(text.to_string()),
        }
    }

    fn array(items: Vec<Json>, span: Span) -> Json {
        Json {
            span,
            value: JsonValue::Array(items),
        }
    }
}
