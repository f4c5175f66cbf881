//! From the flow file's objects to the IR: devices, typed nodes, and wires
//! with junctions and links resolved into direct connections.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::custom::NodeCrate;
use crate::diagnostic::{Code, Diagnostic, NodeRef};
use crate::flow::{Environment, RawFlow, RawNode};
use crate::ir::{self, Board, Device, Flow, Wire};
use crate::json::{Json, JsonValue};
use crate::nodes::{self, suggest, Reader};
use crate::place::{Previous, RuntimeNode};

/// Objects that describe the editor's view, not the running flow.
const LAYOUT_TYPES: &[&str] = &["tab", "group", "comment", "subflow"];

/// Configuration nodes: referenced by other nodes, never wired.
const CONFIG_TYPES: &[&str] = &[
    "psos-device",
    "psos-nodes",
    "mqtt-broker",
    "tls-config",
    "global-config",
    "http proxy",
    "websocket-listener",
    "websocket-client",
];

/// Nodes that only route messages and vanish at build time.
const ROUTING_TYPES: &[&str] = &["junction", "link in", "link out", "link call"];

/// The longest device name psosc accepts (it becomes a crate name).
const MAX_DEVICE_NAME: usize = 64;

/// The bytes a message may take on a device unless its `messageCapacity`
/// says otherwise: a few dozen properties with short strings.
pub const DEFAULT_MESSAGE_CAPACITY: usize = 512;

/// The bytes each flow or global context store of a device holds unless
/// its `contextCapacity` says otherwise: a few dozen small values.
pub const DEFAULT_CONTEXT_CAPACITY: usize = 1024;

/// The range of `contextCapacity`: lengths inside a store are 16 bits, as
/// in a message.
const CONTEXT_CAPACITY_RANGE: std::ops::RangeInclusive<u64> = 32..=65_535;

/// How many messages wait for the broker on a device unless its `outbox`
/// says otherwise.
pub const DEFAULT_OUTBOX: usize = 16;

/// The range of `outbox`: at least one message, and not more than a small
/// device could hold.
const OUTBOX_RANGE: std::ops::RangeInclusive<u64> = 1..=4096;

/// The range of `messageCapacity`: lengths inside a message are 16 bits.
const MESSAGE_CAPACITY_RANGE: std::ops::RangeInclusive<usize> = 32..=65_535;

/// A device's `messageCapacity`, checked; the default when it is absent.
fn message_capacity(reader: &mut Reader<'_, '_>) -> Option<usize> {
    let Some(value) = reader.get("messageCapacity") else {
        return Some(DEFAULT_MESSAGE_CAPACITY);
    };
    let number = match &value.value {
        JsonValue::Number(n) => *n,
        JsonValue::String(s) => psos::number_from_str(s),
        _ => f64::NAN,
    };
    let whole =
        number.fract() == 0.0 && number >= 0.0 && number <= *MESSAGE_CAPACITY_RANGE.end() as f64;
    match Some(number as usize).filter(|bytes| whole && MESSAGE_CAPACITY_RANGE.contains(bytes)) {
        Some(bytes) => Some(bytes),
        None => {
            reader.malformed(
                "messageCapacity",
                value.span,
                format!(
                    "{} is not a message capacity",
                    crate::nodes::js_number_text(number)
                ),
                Some(format!(
                    "give the bytes a message may take, from {} to {}",
                    MESSAGE_CAPACITY_RANGE.start(),
                    MESSAGE_CAPACITY_RANGE.end()
                )),
            );
            None
        }
    }
}

/// Whether psosc knows what to do with a node type: run it, route through
/// it, read it as configuration, or leave it out as layout.
pub fn understands(type_name: &str) -> bool {
    nodes::find(type_name).is_some()
        || [LAYOUT_TYPES, CONFIG_TYPES, ROUTING_TYPES]
            .iter()
            .any(|types| types.contains(&type_name))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Skipped: layout, disabled, or inside a subflow definition.
    Absent,
    Config,
    Routing,
    /// A node that runs on a device, with its index in the IR.
    Runtime(ir::NodeIndex),
    /// A node that would run but was refused; its wires are not checked.
    Refused,
}

struct Lowering<'a> {
    raw: &'a RawFlow,
    environment: Environment<'a>,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// The names of the context stores the flow names, numbered in the
    /// order they first come (`Reader::store_number`).
    store_names: Vec<String>,
    roles: Vec<Role>,
    /// The configuration of each node that runs, with its raw index.
    kinds: Vec<(usize, ir::NodeKind)>,
    /// Per raw node, per output port, the raw targets of its wires.
    ports: Vec<Vec<Vec<usize>>>,
    /// Per `link out` (link mode) and `link call`, the `link in` nodes named
    /// by its `links` property.
    link_targets: Vec<Vec<usize>>,
    /// A return-mode `link out` → the `link call` whose subroutine ends there.
    returns: HashMap<usize, usize>,
    /// The `link call` nodes that complete nodes watch and whose answers
    /// come back through a `LinkAnswer`: the call's own wires lead to its
    /// link in, its subroutine's return to that node.
    answered: HashSet<usize>,
    /// The `LinkAnswer` of each watched link call whose subroutine answers
    /// several calls (by its index among the nodes that run), with the
    /// call's own wires: the call itself records itself and leads to its
    /// link in.
    shared_answers: HashMap<ir::NodeIndex, Vec<Vec<usize>>>,
    /// Wires from a link return's port to the `LinkAnswer` of the watched
    /// call that port answers.
    answer_wires: Vec<(ir::NodeIndex, usize, ir::NodeIndex)>,
    /// Per dynamic `link call`, the link in nodes `msg.target` may name,
    /// in file order (their raw indices are its `link_targets`).
    dynamic_calls: HashMap<usize, Vec<ir::LinkTarget>>,
    /// Per `link call`, its `timeout` in milliseconds (`nodes::link`).
    link_timeouts: HashMap<usize, u64>,
    /// The link calls whose subroutine may answer after the call has
    /// returned, and how each waits.
    timed_calls: HashMap<usize, ir::LinkTimeout>,
    /// Where paths in the flow (a `psos-nodes` crate) are relative to.
    base_dir: Option<&'a Path>,
    /// The crates of custom node types the flow names.
    node_crates: Vec<NodeCrate>,
}

/// Lowers a read flow into the IR and places its nodes on devices, keeping
/// them where `previous` had them when that costs no more. Returns `None`
/// when errors were reported.
pub fn lower(
    raw: &RawFlow,
    file_name: &str,
    base_dir: Option<&Path>,
    environment: Environment<'_>,
    previous: &Previous,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Flow> {
    let errors_before = count_errors(diagnostics);
    let mut lowering = Lowering {
        raw,
        environment,
        diagnostics,
        store_names: Vec::new(),
        roles: vec![Role::Absent; raw.nodes.len()],
        kinds: Vec::new(),
        ports: vec![Vec::new(); raw.nodes.len()],
        link_targets: vec![Vec::new(); raw.nodes.len()],
        returns: HashMap::new(),
        answered: HashSet::new(),
        shared_answers: HashMap::new(),
        answer_wires: Vec::new(),
        dynamic_calls: HashMap::new(),
        link_timeouts: HashMap::new(),
        timed_calls: HashMap::new(),
        base_dir,
        node_crates: Vec::new(),
    };
    let mut devices = lowering.devices();
    lowering.check_config_references();
    lowering.load_node_crates();
    lowering.classify();
    lowering.read_wires();
    lowering.read_dynamic_calls();
    lowering.read_unlinked_calls();
    lowering.find_timed_calls();
    lowering.resolve_link_returns();
    lowering.keep_caught_calls_messages();
    let mut wires = lowering.resolve_wires();
    lowering.mark_schema_checks(&wires);
    let mut placed = lowering.place(&mut devices, &mut wires, previous);
    lowering.read_wire_qos(&mut placed.nodes);
    lowering.check_wall_clocks(&placed.nodes, &devices);
    let mut flow = Flow {
        file_name: file_name.to_string(),
        devices,
        nodes: placed.nodes,
        wires,
        node_crates: lowering
            .node_crates
            .iter()
            .map(|node_crate| ir::NodeCrateRef {
                package: node_crate.package.clone(),
                dir: node_crate.dir.clone(),
            })
            .collect(),
        cost: placed.cost,
        optimal: placed.optimal,
        caught_by: placed.caught_by,
        status_watched_by: placed.status_watched_by,
        completed_by: placed.completed_by,
        queued_watches: BTreeSet::new(),
    };
    lowering.check_answers_on_one_device(&flow);
    crate::nodes::catch::check_devices(&flow, lowering.diagnostics);
    crate::nodes::status::check_devices(&flow, lowering.diagnostics);
    crate::nodes::complete::check_devices(&flow, lowering.diagnostics);
    lowering.wire_local_topics(&mut flow);
    lowering.assign_brokers(&mut flow);
    Lowering::break_cycles(&mut flow);
    crate::nodes::check_context_across_devices(&flow, lowering.diagnostics);
    (count_errors(lowering.diagnostics) == errors_before).then_some(flow)
}

/// Each runtime node (`kinds`, by the index of its configuration in `raw`)
/// with its configuration, in the order of `kinds`.
fn runtime_nodes<'n>(raw: &'n RawFlow, kinds: &'n [(usize, ir::NodeKind)]) -> Vec<RuntimeNode<'n>> {
    kinds
        .iter()
        .filter_map(|(raw_index, kind)| {
            Some(RuntimeNode {
                raw: raw.nodes.get(*raw_index)?,
                kind,
            })
        })
        .collect()
}

/// The wires from each `mqtt out` to the `mqtt in` nodes that subscribe to
/// its topic, among those `same_device(out, in)` puts on one device: the
/// ones [`Lowering::wire_local_topics`] adds once nodes are placed, and the
/// stack's count takes before.
pub(crate) fn local_topic_wires(
    kinds: &[&ir::NodeKind],
    same_device: impl Fn(usize, usize) -> bool,
) -> Vec<Wire> {
    let mut added = Vec::new();
    for (from, kind) in kinds.iter().enumerate() {
        let ir::NodeKind::MqttOut(out) = kind else {
            continue;
        };
        for (to, receiver) in kinds.iter().enumerate() {
            let ir::NodeKind::MqttIn(input) = receiver else {
                continue;
            };
            if !same_device(from, to) {
                continue;
            }
            let topic_filter = match &out.topic {
                Some(topic) if psos::topic::matches(&input.topic, topic) => None,
                Some(_) => continue,
                None => Some(input.topic.clone()),
            };
            added.push(Wire {
                from,
                port: 0,
                to,
                queued: false,
                topic_filter,
                // On one device: never cut, so its weight does not count.
                weight: 1,
            });
        }
    }
    added
}

fn count_errors(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

impl<'a> Lowering<'a> {
    fn enabled(&self) -> Vec<(usize, &'a RawNode)> {
        let raw = self.raw;
        raw.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| raw.is_enabled(node) && !self.in_subflow_definition(node))
            .collect()
    }

    fn in_subflow_definition(&self, node: &RawNode) -> bool {
        node.z
            .as_deref()
            .and_then(|z| self.raw.find(z))
            .is_some_and(|parent| parent.type_name == "subflow")
    }

    fn role(&self, index: usize) -> Role {
        self.roles.get(index).copied().unwrap_or(Role::Absent)
    }

    fn node(&self, index: usize) -> Option<&'a RawNode> {
        self.raw.nodes.get(index)
    }

    /// The declared devices, each checked.
    fn devices(&mut self) -> Vec<Device> {
        let mut devices: Vec<Device> = Vec::new();
        let declared: Vec<&RawNode> = self
            .enabled()
            .into_iter()
            .filter(|(_, node)| node.type_name == "psos-device")
            .map(|(_, node)| node)
            .collect();
        for node in declared {
            let mut reader = Reader::new(node, self.diagnostics);
            let name = reader.required_string("name", "\"sensor\" (it becomes the crate name)");
            let board_name = reader.required_string("board", &format!("one of: {}", board_names()));
            let (Some(name), Some(board_name)) = (name, board_name) else {
                continue;
            };
            let name_ok = valid_device_name(name);
            if !name_ok {
                self.diagnostics.push(
                    node.error(Code::InvalidDeviceName, "name", format!("{name:?} cannot name a device crate"), "here")
                        .help(format!(
                            "use a lowercase letter, then lowercase letters, digits, `-` or `_` (at most {MAX_DEVICE_NAME})"
                        )),
                );
            }
            let board = Board::from_name(board_name);
            if board.is_none() {
                let help = match suggest(board_name, Board::ALL.iter().map(|board| board.name())) {
                    Some(near) => {
                        format!("Did you mean {near:?}? The boards are: {}", board_names())
                    }
                    None => format!("the boards are: {}", board_names()),
                };
                self.diagnostics.push(
                    node.error(
                        Code::UnknownBoard,
                        "board",
                        format!("psosc has no board {board_name:?}"),
                        "unknown board",
                    )
                    .help(help),
                );
            }
            if let Some(first) = devices.iter().find(|device| device.name == name) {
                let mut diagnostic = node.error(
                    Code::DuplicateDevice,
                    "name",
                    format!("the device {name:?} is declared twice"),
                    "declared again here",
                );
                if let Some(span) = first.span {
                    diagnostic = diagnostic.label(span, "first declared here");
                }
                self.diagnostics
                    .push(diagnostic.help("give each psos-device its own name, or remove one"));
                continue;
            }
            let message_capacity = message_capacity(&mut Reader::new(node, self.diagnostics));
            let outbox = Reader::new(node, self.diagnostics).whole_number(
                "outbox",
                DEFAULT_OUTBOX as u64,
                OUTBOX_RANGE,
            );
            let context_capacity = Reader::new(node, self.diagnostics).whole_number(
                "contextCapacity",
                DEFAULT_CONTEXT_CAPACITY as u64,
                CONTEXT_CAPACITY_RANGE,
            );
            let budget = board.and_then(|board| {
                crate::place::resources::device_budget(
                    &mut Reader::new(node, self.diagnostics),
                    board,
                )
            });
            if let (
                Some(board),
                true,
                Some(message_capacity),
                Some(outbox),
                Some(budget),
                Some(context_capacity),
            ) = (
                board,
                name_ok,
                message_capacity,
                outbox,
                budget,
                context_capacity,
            ) {
                devices.push(Device {
                    id: Some(node.id.clone()),
                    name: name.to_string(),
                    board,
                    message_capacity,
                    context_capacity: context_capacity as usize,
                    outbox: outbox as usize,
                    budget,
                    load: ir::Resources::ZERO,
                    stack: 0,
                    span: Some(node.value_span("name")),
                    broker: None,
                });
            }
        }
        devices
    }

    /// References from nodes to configuration nodes must lead to one of the
    /// right type.
    fn check_config_references(&mut self) {
        const REFERENCES: &[(&str, &str, &str)] = &[
            ("psos-device", "broker", "mqtt-broker"),
            ("mqtt-broker", "tls", "tls-config"),
            ("mqtt in", "broker", "mqtt-broker"),
            ("mqtt out", "broker", "mqtt-broker"),
        ];
        let mut found = Vec::new();
        for (_, node) in self.enabled() {
            for (owner, key, wanted) in REFERENCES {
                if node.type_name != *owner {
                    continue;
                }
                let Some(id) = node
                    .get(key)
                    .and_then(Json::as_str)
                    .filter(|id| !id.is_empty())
                else {
                    continue;
                };
                let target_type = self.raw.find(id).map(|target| target.type_name.as_str());
                if target_type != Some(*wanted) {
                    let problem = match target_type {
                        None => format!("refers to {id:?}, which is not in the flow"),
                        Some(other) => {
                            format!("refers to {id:?}, a {other} node, not a {wanted} node")
                        }
                    };
                    found.push(
                        node.error(Code::MissingConfigNode, key, problem, "this reference")
                            .help(format!("give the id of a {wanted} configuration node")),
                    );
                }
            }
        }
        self.diagnostics.extend(found);
    }

    /// Reads the crates of custom node types that `psos-nodes` config nodes
    /// name, by their `path` (relative to the flow file).
    fn load_node_crates(&mut self) {
        for (_, node) in self.enabled() {
            if node.type_name != "psos-nodes" {
                continue;
            }
            let mut reader = Reader::new(node, self.diagnostics);
            let Some(path) = reader.required_string(
                "path",
                "the directory of a crate of node types, relative to the flow file",
            ) else {
                continue;
            };
            let dir = self
                .base_dir
                .map_or_else(|| Path::new(path).to_path_buf(), |base| base.join(path));
            match crate::custom::load(&dir, path) {
                Ok(node_crate) => {
                    for custom_type in &node_crate.types {
                        let taken = nodes::find(&custom_type.type_name).is_some()
                            || self.node_crates.iter().any(|other| {
                                other
                                    .types
                                    .iter()
                                    .any(|t| t.type_name == custom_type.type_name)
                            });
                        if taken {
                            self.diagnostics.push(
                                node.error(
                                    Code::NodeCrate,
                                    "path",
                                    format!(
                                        "the node type {:?} of this crate is defined twice",
                                        custom_type.type_name
                                    ),
                                    "this crate",
                                )
                                .help("give each node type its own type name"),
                            );
                        }
                    }
                    self.node_crates.push(node_crate);
                }
                Err(problem) => self.diagnostics.push(
                    node.error(
                        Code::NodeCrate,
                        "path",
                        format!("cannot read the node crate: {problem}"),
                        "this crate",
                    )
                    .help(
                        "give the directory of a crate whose node types are marked #[psos::node]",
                    ),
                ),
            }
        }
    }

    /// Decides what each object is, and lowers the configuration of the
    /// nodes that run.
    fn classify(&mut self) {
        let enabled: Vec<usize> = self.enabled().into_iter().map(|(index, _)| index).collect();
        for index in enabled {
            let Some(node) = self.node(index) else {
                continue;
            };
            let type_name = node.type_name.as_str();
            let role = if LAYOUT_TYPES.contains(&type_name) {
                Role::Absent
            } else if CONFIG_TYPES.contains(&type_name) {
                Role::Config
            } else if ROUTING_TYPES.contains(&type_name) || crate::subflow::is_instance(type_name) {
                self.read_link_call(index, node);
                Role::Routing
            } else {
                let mut reader = Reader::new(node, self.diagnostics)
                    .with_env(self.raw, self.environment)
                    .with_store_names(&mut self.store_names);
                reader.text_name();
                let lowered = if let Some(node_type) = nodes::find(type_name) {
                    Some((node_type.lower)(&mut reader))
                } else {
                    self.node_crates
                        .iter()
                        .enumerate()
                        .find_map(|(crate_index, node_crate)| {
                            let custom_type =
                                node_crate.types.iter().find(|t| t.type_name == type_name)?;
                            Some(nodes::custom::lower(&mut reader, custom_type, crate_index))
                        })
                };
                match lowered {
                    Some(Some(kind)) => {
                        self.kinds.push((index, kind));
                        Role::Runtime(self.kinds.len() - 1)
                    }
                    Some(None) => Role::Refused,
                    None => {
                        let custom: Vec<&str> = self
                            .node_crates
                            .iter()
                            .flat_map(|node_crate| &node_crate.types)
                            .map(|t| t.type_name.as_str())
                            .collect();
                        self.diagnostics.push(unsupported_type(node, &custom));
                        Role::Refused
                    }
                }
            };
            if let Some(slot) = self.roles.get_mut(index) {
                *slot = role;
            }
        }
    }

    /// Leaves the check against `msg.schema` out of json nodes that no
    /// message carrying one can reach: none of the nodes before them on
    /// their wires, or whose messages their catch and complete nodes get,
    /// may set it.
    fn mark_schema_checks(&mut self, wires: &[Wire]) {
        let raw = self.raw;
        let nodes = runtime_nodes(raw, &self.kinds);
        let setters: Vec<bool> = nodes
            .iter()
            .map(|node| nodes::json::may_set_schema(node.raw, node.kind))
            .collect();
        // The watchers' own diagnostics come when the flow is placed.
        let caught_by = nodes::catch::caught_by(raw, &nodes);
        let completed_by = nodes::complete::completed_by(raw, &nodes, &mut Vec::new());
        let watched = caught_by
            .iter()
            .chain(&completed_by)
            .flat_map(|(node, watchers)| watchers.iter().map(move |watcher| (*node, *watcher)));
        let reached = nodes::json::schema_reaches(
            &setters,
            wires.iter().map(|wire| (wire.from, wire.to)).chain(watched),
        );
        drop(nodes);
        nodes::json::mark_schema_checks(self.kinds.iter_mut().map(|(_, kind)| kind), &reached);
    }

    fn read_link_call(&mut self, index: usize, node: &RawNode) {
        if node.type_name == "link call" {
            if let Some(ms) = nodes::link::timeout_ms(node, self.diagnostics) {
                self.link_timeouts.insert(index, ms);
            }
        }
    }

    /// Finds the link calls whose subroutine may answer after the call
    /// has returned (it holds the message, drops it, fails on it, or
    /// never reaches a return): these wait for their answers with a
    /// deadline, as every call does in Node-RED. A call whose subroutine
    /// answers within the call cannot time out, and keeps nothing.
    fn find_timed_calls(&mut self) {
        let answering = self.answering_nodes();
        for (call, ms) in &self.link_timeouts {
            if self.role(*call) != Role::Routing || self.answers_within_call(*call, &answering) {
                continue;
            }
            let held = self.held_by_subroutine(*call);
            self.timed_calls
                .insert(*call, nodes::link::timeout(*ms, held));
        }
    }

    /// Whether every message a call sends reaches a return before the
    /// call returns: its link in (each link in a dynamic call may name)
    /// leads, through nodes that always send at once, to a return.
    /// `answering` is what [`Self::answering_nodes`] found.
    fn answers_within_call(&self, call: usize, answering: &[bool]) -> bool {
        let answers = |link_in: &usize| answering.get(*link_in).copied().unwrap_or(false);
        let targets = self.link_targets.get(call).map_or(&[][..], Vec::as_slice);
        if self.dynamic_calls.contains_key(&call) {
            // A dynamic call may also find no link in, which it reports;
            // then there is no call to wait for.
            return targets.iter().all(answers);
        }
        // A static call that names no link in (none, or a disabled one)
        // sends nothing, so nothing can answer it late.
        targets.first().is_none_or(answers)
    }

    /// For each node, whether a message that reaches it surely reaches a
    /// return before the call that sent it there returns: the least
    /// solution of [`Self::answer_rule`] over the whole graph, so a loop
    /// answers nothing it does not answer without going round. Found per
    /// node, not per path (a walk of every path is exponential in a row of
    /// junction diamonds).
    fn answering_nodes(&self) -> Vec<bool> {
        let rules: Vec<AnswerRule> = (0..self.raw.nodes.len())
            .map(|index| self.answer_rule(index))
            .collect();
        least_solution(
            rules.iter().map(|rule| rule.inputs().collect()),
            |index, answering| rules.get(index).is_some_and(|rule| rule.holds(answering)),
        )
    }

    /// When a message that reaches `index` surely reaches a return, in
    /// terms of the nodes it goes on to.
    fn answer_rule(&self, index: usize) -> AnswerRule {
        match (self.role(index), self.node(index)) {
            (Role::Runtime(kind), _) => {
                if self
                    .kinds
                    .get(kind)
                    .is_some_and(|(_, kind)| nodes::link::always_sends_at_once(kind))
                {
                    AnswerRule::AnyOf(self.port_targets(index, 0))
                } else {
                    AnswerRule::Never
                }
            }
            (Role::Routing, Some(node)) => match node.type_name.as_str() {
                "link out" if node.get("mode").and_then(Json::as_str) == Some("return") => {
                    AnswerRule::Always
                }
                "link out" => {
                    AnswerRule::AnyOf(self.link_targets.get(index).cloned().unwrap_or_default())
                }
                // One that names no link in sends nothing on; a dynamic
                // one may find none.
                "link call" if self.dynamic_calls.contains_key(&index) => AnswerRule::Never,
                "link call" => match self.link_targets.get(index).and_then(|t| t.first()) {
                    Some(link_in) => {
                        AnswerRule::CallThenAnyOf(*link_in, self.port_targets(index, 0))
                    }
                    None => AnswerRule::Never,
                },
                "link in" | "junction" => AnswerRule::AnyOf(self.port_targets(index, 0)),
                _ => AnswerRule::Never,
            },
            _ => AnswerRule::Never,
        }
    }

    /// How many messages the nodes a call's subroutine reaches may hold
    /// at once, each counted once.
    fn held_by_subroutine(&self, call: usize) -> usize {
        self.subroutine_nodes(call)
            .into_iter()
            .filter_map(|node| self.kinds.get(node))
            .map(|(_, kind)| nodes::link::held_messages(kind))
            .fold(0, usize::saturating_add)
    }

    /// Warns of each call whose subroutine answers within the call (so it
    /// keeps no deadline) that placement split over devices: there its
    /// answer travels over MQTT, and a lost one is never reported as
    /// Node-RED's `timeout`.
    fn check_answers_on_one_device(&mut self, flow: &Flow) {
        let mut calls: Vec<usize> = self
            .link_timeouts
            .keys()
            .copied()
            .filter(|call| !self.timed_calls.contains_key(call))
            .collect();
        calls.sort_unstable();
        for call in calls {
            let mut devices: Vec<usize> = self
                .subroutine_nodes(call)
                .into_iter()
                .filter_map(|node| flow.nodes.get(node).map(|node| node.device))
                .collect();
            devices.sort_unstable();
            devices.dedup();
            let (Some(node), [_, _, ..]) = (self.node(call), devices.as_slice()) else {
                continue;
            };
            let names: Vec<&str> = devices
                .iter()
                .filter_map(|device| flow.devices.get(*device))
                .map(|device| device.name.as_str())
                .collect();
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::LinkAnswerAcrossDevices,
                    format!(
                        "its subroutine answers within the call, so the call keeps no deadline, but placement puts its nodes on devices {}: its answer travels over MQTT, and one that is lost is never reported as Node-RED's \"timeout\"",
                        names.join(", ")
                    ),
                )
                .node(node.node_ref())
                .label(node.span(), "this call")
                .help("pin the subroutine's nodes to one device (`device`, or `PSOS_DEVICE` on their tab or group)"),
            );
        }
    }

    /// The nodes that run (by index among them) in the subroutine a call
    /// calls, up to its returns, nested calls' subroutines included.
    fn subroutine_nodes(&self, call: usize) -> Vec<usize> {
        let mut found = Vec::new();
        self.walk_subroutine(call, true, |index| {
            if let Role::Runtime(kind) = self.role(index) {
                found.push(kind);
            }
        });
        found
    }

    /// Calls `visit` once with each node (by raw index) a message a call
    /// sends to its link in reaches, along wires and links, up to the
    /// returns (which it visits); into the subroutines of nested calls
    /// when `into_calls`, else on to their outputs only.
    fn walk_subroutine(&self, call: usize, into_calls: bool, mut visit: impl FnMut(usize)) {
        let mut seen = vec![false; self.raw.nodes.len()];
        let mut stack: Vec<usize> = self.link_targets.get(call).cloned().unwrap_or_default();
        while let Some(index) = stack.pop() {
            if std::mem::replace(seen.get_mut(index).unwrap_or(&mut true), true) {
                continue;
            }
            let Some(node) = self.node(index) else {
                continue;
            };
            visit(index);
            let links = match node.type_name.as_str() {
                "link out" if node.get("mode").and_then(Json::as_str) == Some("return") => {
                    continue;
                }
                "link out" => true,
                "link call" => into_calls,
                _ => false,
            };
            if links {
                stack.extend(self.link_targets.get(index).into_iter().flatten().copied());
            }
            stack.extend(
                self.ports
                    .get(index)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .copied(),
            );
        }
    }

    /// Gives each call that may time out and that catch nodes watch room
    /// for the messages it sends, which Node-RED hands its catch nodes
    /// with the `timeout` error.
    fn keep_caught_calls_messages(&mut self) {
        let raw = self.raw;
        let nodes = runtime_nodes(raw, &self.kinds);
        let caught_by = nodes::catch::caught_by(raw, &nodes);
        drop(nodes);
        for (index, (_, kind)) in self.kinds.iter_mut().enumerate() {
            if let ir::NodeKind::LinkCall(ir::LinkCall {
                timeout: Some(timeout),
                ..
            }) = kind
            {
                timeout.keeps_messages = caught_by.get(&index).is_some_and(|c| !c.is_empty());
            }
        }
    }

    /// Gives each dynamic link call (`linkType` `dynamic`) the table of
    /// link in nodes its `msg.target` may name, as `60-link.js` registers
    /// them: every link in on a tab (by id, and by name across tabs), and
    /// those near the call (its tab, or its subflow instance, by name).
    /// A link in in another subflow instance is never found: Node-RED
    /// gives it an id made at random and leaves it out of the names
    /// looked up across tabs. Its `links` are not read, as Node-RED reads
    /// only the first when the call is static.
    fn read_dynamic_calls(&mut self) {
        let raw = self.raw;
        let link_ins: Vec<(usize, &RawNode)> = self
            .enabled()
            .into_iter()
            .filter(|(index, node)| {
                node.type_name == "link in" && self.role(*index) == Role::Routing
            })
            .collect();
        for (call, node) in self.enabled() {
            let dynamic = node.type_name == "link call"
                && self.role(call) == Role::Routing
                && node.get("linkType").and_then(Json::as_str) == Some("dynamic");
            if !dynamic {
                continue;
            }
            let (indices, targets): (Vec<usize>, Vec<ir::LinkTarget>) = link_ins
                .iter()
                .filter_map(|(index, link_in)| {
                    let on_tab = raw.instance_of(link_in).is_none();
                    let near = link_in.z == node.z;
                    (on_tab || near).then(|| {
                        let name = match link_in.name() {
                            "" => link_in.id.clone(),
                            name => name.to_string(),
                        };
                        let id = on_tab.then(|| link_in.id.clone());
                        (
                            *index,
                            ir::LinkTarget {
                                id,
                                name,
                                near,
                                on_tab,
                            },
                        )
                    })
                })
                .unzip();
            if let Some(slot) = self.link_targets.get_mut(call) {
                *slot = indices;
            }
            self.dynamic_calls.insert(call, targets);
        }
    }

    /// Makes each static link call that names no enabled link in (its
    /// `links` are empty, or name a disabled one first) a node that
    /// reports Node-RED's `target link-in node '…' not found` for each
    /// message and sends nothing, and warns of it.
    fn read_unlinked_calls(&mut self) {
        let unlinked: Vec<(usize, &RawNode)> = self
            .enabled()
            .into_iter()
            .filter(|(call, node)| {
                node.type_name == "link call"
                    && self.role(*call) == Role::Routing
                    && !self.dynamic_calls.contains_key(call)
                    && self.link_targets.get(*call).is_some_and(Vec::is_empty)
            })
            .collect();
        for (call, node) in unlinked {
            let first = node
                .get("links")
                .and_then(Json::as_array)
                .and_then(|links| links.first());
            // A first link that is no link in, or names no node, is
            // already an error.
            let target = match first {
                None => "",
                Some(first) => match first.as_str() {
                    Some(id)
                        if self.raw.index_of(id).is_some_and(|index| {
                            self.role(index) == Role::Absent
                                && self.node(index).is_some_and(|n| n.type_name == "link in")
                        }) =>
                    {
                        id
                    }
                    _ => continue,
                },
            };
            let names = if target.is_empty() {
                "names no link in node".to_string()
            } else {
                format!("calls {target:?}, a link in node that does not run")
            };
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::LinkCallWithoutLinkIn,
                    format!(
                        "this static link call {names}: as in Node-RED, each message it gets goes no further and is an error for catch nodes, \"Error: target link-in node '{target}' not found\""
                    ),
                )
                .node(node.node_ref())
                .property("links")
                .label(node.value_span("links"), "no enabled link in here")
                .help("name the link in node the call should call first in `links`, or enable it"),
            );
            self.make_runtime(
                call,
                Vec::new(),
                ir::NodeKind::UnlinkedCall(target.to_string()),
            );
        }
    }

    /// How many output ports a node has; `None` for nodes without wires.
    fn outputs(&self, index: usize) -> Option<usize> {
        match self.role(index) {
            Role::Runtime(kind_index) => self.kinds.get(kind_index).map(|(_, kind)| kind.outputs()),
            Role::Routing => self
                .node(index)
                .map(|node| usize::from(node.type_name != "link out")),
            _ => None,
        }
    }

    /// Reads and checks the `wires` of every node that runs or routes, and
    /// the `links` of link out and link call nodes.
    fn read_wires(&mut self) {
        for index in 0..self.raw.nodes.len() {
            let Some(outputs) = self.outputs(index) else {
                continue;
            };
            let Some(node) = self.node(index) else {
                continue;
            };
            let ports = self.wires_of(node, outputs);
            let links = self.links_of(node);
            if let Some(slot) = self.ports.get_mut(index) {
                *slot = ports;
            }
            if let Some(slot) = self.link_targets.get_mut(index) {
                *slot = links;
            }
        }
    }

    fn wires_of(&mut self, node: &RawNode, outputs: usize) -> Vec<Vec<usize>> {
        let Some(wires) = node.get("wires") else {
            return Vec::new();
        };
        let Some(ports) = wires.as_array() else {
            self.diagnostics.push(
                node.error(
                    Code::MalformedProperty,
                    "wires",
                    format!("expected a list of ports, found {}", wires.kind_name()),
                    "here",
                )
                .help(
                    "write \"wires\": [[\"target-id\", ...], ...], one list of node ids per output",
                ),
            );
            return Vec::new();
        };
        let mut resolved = Vec::new();
        for (port, port_json) in ports.iter().enumerate() {
            let mut targets = Vec::new();
            let Some(items) = port_json.as_array() else {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::MalformedProperty,
                        format!(
                            "port {port} must be a list of node ids, not {}",
                            port_json.kind_name()
                        ),
                    )
                    .node(node.node_ref())
                    .property("wires")
                    .label(port_json.span, "here")
                    .help("write one list of node ids per output, such as [\"a1\", \"b2\"]"),
                );
                resolved.push(targets);
                continue;
            };
            if port >= outputs && !items.is_empty() {
                let ports_phrase = match outputs {
                    0 => "no outputs".to_string(),
                    1 => "one output (port 0)".to_string(),
                    n => format!("{n} outputs (ports 0 to {})", n - 1),
                };
                self.diagnostics.push(
                    Diagnostic::error(Code::PortOutOfRange, format!("wires leave output port {port}, but the node has {ports_phrase}"))
                        .node(node.node_ref())
                        .property("wires")
                        .label(port_json.span, format!("port {port}"))
                        .help("remove these wires, or give the node more outputs (for a switch, more rules)"),
                );
                resolved.push(targets);
                continue;
            }
            for item in items {
                if let Some(target) = self.target(node, "wires", item, false) {
                    targets.push(target);
                }
            }
            resolved.push(targets);
        }
        resolved
    }

    fn links_of(&mut self, node: &RawNode) -> Vec<usize> {
        let returns = node.get("mode").and_then(Json::as_str) == Some("return");
        let has_links = node.type_name == "link call" || (node.type_name == "link out" && !returns);
        let Some(links) = node.get("links").filter(|_| has_links) else {
            return Vec::new();
        };
        let Some(items) = links.as_array() else {
            self.diagnostics.push(
                node.error(
                    Code::MalformedProperty,
                    "links",
                    format!(
                        "expected a list of link in ids, found {}",
                        links.kind_name()
                    ),
                    "here",
                )
                .help("write \"links\": [\"link-in-id\"]"),
            );
            return Vec::new();
        };
        let targets: Vec<Option<usize>> = items
            .iter()
            .map(|item| self.target(node, "links", item, true))
            .collect();
        // A static link call calls the first of its links only, as
        // Node-RED's does: none when that one is disabled.
        if node.type_name == "link call" {
            return targets.into_iter().take(1).flatten().collect();
        }
        targets.into_iter().flatten().collect()
    }

    /// Checks one wire target; `None` when it is bad or silently dropped.
    fn target(
        &mut self,
        node: &RawNode,
        key: &str,
        item: &Json,
        must_be_link_in: bool,
    ) -> Option<usize> {
        let Some(id) = item.as_str() else {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MalformedProperty,
                    format!("a wire target must be a node id, not {}", item.kind_name()),
                )
                .node(node.node_ref())
                .property(key)
                .label(item.span, "here"),
            );
            return None;
        };
        let Some(target_index) = self.raw.index_of(id) else {
            // A link out's link to a node not in the flow (the other end of
            // a link across tabs, left out of an export) is no link:
            // Node-RED's editor drops it on import, and its runtime sends
            // nothing along it.
            let (diagnostic, help) = if key == "links" && node.type_name == "link out" {
                (
                    Diagnostic::warning(
                        Code::WireToMissingNode,
                        format!("a link leads to {id:?}, which is not in the flow: nothing is sent along it"),
                    ),
                    "remove the link, or add the link in node it should reach",
                )
            } else {
                (
                    Diagnostic::error(
                        Code::WireToMissingNode,
                        format!("a wire leads to {id:?}, which is not in the flow"),
                    ),
                    "remove the wire, or add the node it should reach",
                )
            };
            self.diagnostics.push(
                diagnostic
                    .node(node.node_ref())
                    .property(key)
                    .label(item.span, "no node has this id")
                    .help(help),
            );
            return None;
        };
        let target = self.node(target_index)?;
        let receives = match self.role(target_index) {
            Role::Config => false,
            Role::Absent => !LAYOUT_TYPES.contains(&target.type_name.as_str()),
            Role::Routing | Role::Runtime(_) | Role::Refused => true,
        };
        if !receives {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::WireToConfigNode,
                    format!("a wire leads to {id:?}, a {} node, which cannot receive messages", target.type_name),
                )
                .node(node.node_ref())
                .property(key)
                .label(item.span, "this target")
                .label(target.span(), "the target")
                .help("wires connect nodes that run; configuration, tabs, groups and comments take no messages"),
            );
            return None;
        }
        if must_be_link_in && target.type_name != "link in" {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MalformedProperty,
                    format!(
                        "links must name link in nodes, and {id:?} is a {} node",
                        target.type_name
                    ),
                )
                .node(node.node_ref())
                .property(key)
                .label(item.span, "this target"),
            );
            return None;
        }
        // Wires to disabled nodes are dropped, as Node-RED drops them.
        matches!(self.role(target_index), Role::Absent)
            .then_some(())
            .map_or(Some(target_index), |()| None)
    }

    /// Finds, for each return-mode link out, the link calls whose
    /// subroutine it ends. When each has one, the return is a wire to its
    /// call's outputs; else the calls record themselves in the message.
    fn resolve_link_returns(&mut self) {
        let mut callers: HashMap<usize, Vec<usize>> = HashMap::new();
        for call in 0..self.raw.nodes.len() {
            if self.role(call) != Role::Routing
                || self.node(call).map(|n| n.type_name.as_str()) != Some("link call")
            {
                continue;
            }
            self.walk_subroutine(call, false, |index| {
                let is_return = self.node(index).is_some_and(|node| {
                    node.type_name == "link out"
                        && node.get("mode").and_then(Json::as_str) == Some("return")
                });
                if is_return {
                    callers.entry(index).or_default().push(call);
                }
            });
        }
        let mut sorted: Vec<(usize, Vec<usize>)> = callers.into_iter().collect();
        sorted.sort();
        // A call that complete nodes watch and whose subroutine answers it
        // alone is answered directly even where other calls record
        // themselves: no return expects its record, as none of the returns
        // its subroutine reaches answers another call.
        let shared: HashSet<usize> = sorted
            .iter()
            .filter(|(_, calls)| calls.len() > 1)
            .flat_map(|(_, calls)| calls.iter().copied())
            .collect();
        let (direct, rest): (Vec<_>, Vec<_>) = sorted.into_iter().partition(|(_, calls)| {
            calls.first().is_some_and(|call| {
                calls.len() == 1
                    && !shared.contains(call)
                    && !self.dynamic_calls.contains_key(call)
                    && !self.timed_calls.contains_key(call)
                    && self.watched_call(*call)
            })
        });
        for (link_out, calls) in direct {
            if let Some(call) = calls.first() {
                self.returns.insert(link_out, *call);
                self.answer_call(*call);
            }
        }
        // A dynamic call always records itself, as its return is known
        // only once the message has named its link in.
        if self.dynamic_calls.is_empty() && rest.iter().all(|(_, calls)| calls.len() == 1) {
            // A call that may time out records itself, and its returns
            // send its answers back through it; the others are wires.
            let (recorded, wired): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(_, calls)| {
                calls
                    .first()
                    .is_some_and(|call| self.timed_calls.contains_key(call))
            });
            for (link_out, calls) in wired {
                if let Some(call) = calls.first() {
                    self.returns.insert(link_out, *call);
                }
            }
            if !self.timed_calls.is_empty() {
                self.record_link_calls(&recorded);
            }
            return;
        }
        self.record_link_calls(&rest);
    }

    /// Whether a complete node watches this link call.
    fn watched_call(&self, call: usize) -> bool {
        let Some(call_node) = self.node(call) else {
            return false;
        };
        self.kinds.iter().any(|(index, kind)| match kind {
            ir::NodeKind::Complete(complete) => self.node(*index).is_some_and(|complete_node| {
                nodes::complete::watches(complete, complete_node, call_node)
            }),
            _ => false,
        })
    }

    /// Makes a link call that a complete node watches a node that runs
    /// where its subroutine answers (`LinkAnswer`), so that it can tell
    /// the complete node when, as Node-RED's call calls `done()` then.
    fn answer_call(&mut self, call: usize) {
        if !self.answered.insert(call) {
            return;
        }
        self.kinds.push((call, ir::NodeKind::LinkAnswer));
        if let Some(slot) = self.roles.get_mut(call) {
            *slot = Role::Runtime(self.kinds.len() - 1);
        }
    }

    /// Turns link calls and returns into nodes that run, for a flow in
    /// which some subroutine returns to several calls: each call records
    /// its number in the message (`msg._linkSource`, as Node-RED records
    /// it) before it goes to its link in, and each return sends the message
    /// to the outputs of the call recorded last. Every call of such a flow
    /// records itself, so that no return finds a record left by another.
    /// A call that complete nodes watch gets a `LinkAnswer` besides, which
    /// its returns send its answers to, so that it tells the complete nodes
    /// as it sends an answer on, as Node-RED's call calls `done()` when its
    /// answer comes back. A dynamic call records itself whatever its
    /// link in nodes reach, and has a port for each of them.
    fn record_link_calls(&mut self, returns: &[(usize, Vec<usize>)]) {
        let mut calls: Vec<usize> = returns
            .iter()
            .flat_map(|(_, calls)| calls.iter().copied())
            .chain(self.dynamic_calls.keys().copied())
            .chain(self.timed_calls.keys().copied())
            .collect();
        calls.sort_unstable();
        calls.dedup();
        let mut numbers: HashMap<usize, u16> = HashMap::new();
        let mut outputs: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut answers: HashMap<usize, ir::NodeIndex> = HashMap::new();
        for (number, call) in calls.iter().enumerate() {
            let Ok(number) = u16::try_from(number) else {
                break;
            };
            numbers.insert(*call, number);
            let call_outputs = self.port_targets(*call, 0);
            let entry = self.link_targets.get(*call).cloned().unwrap_or_default();
            let dynamic = self.dynamic_calls.get(call).cloned();
            let mut ports: Vec<Vec<usize>> = if dynamic.is_some() {
                entry.into_iter().map(|link_in| vec![link_in]).collect()
            } else {
                vec![entry]
            };
            let timeout = self.timed_calls.get(call).cloned();
            let answer_port = ports.len();
            let watched = self.watched_call(*call);
            let timed = timeout.is_some();
            if timed {
                // Its answers come back to it, and leave by a port of
                // their own: to its outputs, or to its `LinkAnswer`.
                ports.push(if watched {
                    Vec::new()
                } else {
                    call_outputs.clone()
                });
            }
            // A watched call's answers that find no wait go straight to
            // its outputs: Node-RED calls no `done()` for them.
            let late_port = timed && watched;
            if late_port {
                ports.push(call_outputs.clone());
            }
            self.make_runtime(
                *call,
                ports,
                ir::NodeKind::LinkCall(ir::LinkCall {
                    caller: number,
                    dynamic,
                    timeout,
                    late_port,
                }),
            );
            let call_node = self.kinds.len() - 1;
            if watched {
                self.kinds.push((*call, ir::NodeKind::LinkAnswer));
                let answer = self.kinds.len() - 1;
                self.shared_answers
                    .insert(answer, vec![call_outputs.clone()]);
                if timed {
                    self.answer_wires.push((call_node, answer_port, answer));
                } else {
                    answers.insert(*call, answer);
                }
            }
            if timed {
                // A return sends the call's answers back to it.
                outputs.insert(*call, vec![*call]);
            } else if !watched {
                outputs.insert(*call, call_outputs);
            }
        }
        for (link_out, calls) in returns {
            let numbered: Vec<usize> = calls
                .iter()
                .copied()
                .filter(|call| numbers.contains_key(call))
                .collect();
            let callers: Vec<u16> = numbered
                .iter()
                .filter_map(|call| numbers.get(call).copied())
                .collect();
            let ports: Vec<Vec<usize>> = numbered
                .iter()
                .map(|call| outputs.get(call).cloned().unwrap_or_default())
                .collect();
            self.make_runtime(
                *link_out,
                ports,
                ir::NodeKind::LinkReturn(ir::LinkReturn { callers }),
            );
            let link_return = self.kinds.len() - 1;
            for (port, call) in numbered.iter().enumerate() {
                if let Some(answer) = answers.get(call) {
                    self.answer_wires.push((link_return, port, *answer));
                }
            }
        }
    }

    /// Makes a routing node one that runs, with its ports' targets.
    fn make_runtime(&mut self, index: usize, ports: Vec<Vec<usize>>, kind: ir::NodeKind) {
        self.kinds.push((index, kind));
        let role = Role::Runtime(self.kinds.len() - 1);
        if let Some(slot) = self.roles.get_mut(index) {
            *slot = role;
        }
        if let Some(slot) = self.ports.get_mut(index) {
            *slot = ports;
        }
    }

    /// Every wire between runtime nodes, junctions and links followed.
    fn resolve_wires(&self) -> Vec<Wire> {
        let mut wires = Vec::new();
        let mut on_path = vec![false; self.raw.nodes.len()];
        let live = self.live_routes();
        for (from, (raw_index, _)) in self.kinds.iter().enumerate() {
            let ports = self.shared_answers.get(&from);
            let Some(ports) = ports.or_else(|| self.ports.get(*raw_index)) else {
                continue;
            };
            for (port, targets) in ports.iter().enumerate() {
                let mut reached = Vec::new();
                for target in targets {
                    self.expand(*target, &live, &mut reached, &mut on_path);
                }
                // A return's port for a watched call leads to its answer.
                reached.extend(
                    self.answer_wires
                        .iter()
                        .filter(|(link_return, answered_port, _)| {
                            (*link_return, *answered_port) == (from, port)
                        })
                        .map(|(.., answer)| *answer),
                );
                wires.extend(reached.into_iter().map(|to| Wire {
                    from,
                    port,
                    to,
                    queued: false,
                    topic_filter: None,
                    // Placement weighs the wires once they are all known.
                    weight: 1,
                }));
            }
        }
        wires
    }

    /// The runtime nodes a message sent to `target` reaches, in delivery
    /// order, once per path (as Node-RED delivers it once per path). Only
    /// routing nodes that are `live` (see [`Self::live_routes`]) are
    /// followed: the others reach nothing whatever the path.
    fn expand(
        &self,
        target: usize,
        live: &[bool],
        reached: &mut Vec<ir::NodeIndex>,
        on_path: &mut Vec<bool>,
    ) {
        // A loop made only of junctions and links carries nothing.
        if on_path.get(target).copied().unwrap_or(true) {
            return;
        }
        match self.route(target) {
            Route::Runtime(node) => reached.push(node),
            Route::Through(next) => {
                if let Some(flag) = on_path.get_mut(target) {
                    *flag = true;
                }
                for next in next {
                    if live.get(next).copied().unwrap_or(false) {
                        self.expand(next, live, reached, on_path);
                    }
                }
                if let Some(flag) = on_path.get_mut(target) {
                    *flag = false;
                }
            }
            Route::Nothing => {}
        }
    }

    /// Where a message sent to `target` goes: the runtime node it is, or
    /// the nodes a routing node passes it on to.
    fn route(&self, target: usize) -> Route {
        // A message sent to an answered call goes to its link in; only its
        // subroutine's answer reaches the node it runs as.
        let role = if self.answered.contains(&target) {
            Role::Routing
        } else {
            self.role(target)
        };
        match role {
            Role::Runtime(node) => Route::Runtime(node),
            Role::Routing => {
                let Some(node) = self.node(target) else {
                    return Route::Nothing;
                };
                let next: Vec<usize> = match node.type_name.as_str() {
                    "link out" => match self.returns.get(&target) {
                        Some(call) if self.answered.contains(call) => {
                            return match self.role(*call) {
                                Role::Runtime(answer) => Route::Runtime(answer),
                                _ => Route::Nothing,
                            };
                        }
                        Some(call) => self.port_targets(*call, 0),
                        None => self.link_targets.get(target).cloned().unwrap_or_default(),
                    },
                    "link call" => self.link_targets.get(target).cloned().unwrap_or_default(),
                    _ => self.port_targets(target, 0),
                };
                Route::Through(next)
            }
            Role::Absent | Role::Config | Role::Refused => Route::Nothing,
        }
    }

    /// For each node, whether a message sent to it may reach a runtime
    /// node along some path. `expand` walks every path, as delivery takes
    /// each; leaving out what reaches nothing keeps routes that lead
    /// nowhere (a row of junction diamonds, say) from costing a walk of
    /// each of their paths.
    fn live_routes(&self) -> Vec<bool> {
        let routes: Vec<Route> = (0..self.raw.nodes.len())
            .map(|index| self.route(index))
            .collect();
        least_solution(
            routes.iter().map(|route| match route {
                Route::Through(next) => next.clone(),
                Route::Runtime(_) | Route::Nothing => Vec::new(),
            }),
            |index, live| match routes.get(index) {
                Some(Route::Runtime(_)) => true,
                Some(Route::Through(next)) => {
                    next.iter().any(|next| live.get(*next) == Some(&true))
                }
                Some(Route::Nothing) | None => false,
            },
        )
    }

    fn port_targets(&self, index: usize, port: usize) -> Vec<usize> {
        self.ports
            .get(index)
            .and_then(|ports| ports.get(port))
            .cloned()
            .unwrap_or_default()
    }

    /// Puts every node on a device (see `place`): the declared devices, or
    /// one host device when the flow declares none.
    fn place(
        &mut self,
        devices: &mut Vec<Device>,
        wires: &mut [Wire],
        previous: &Previous,
    ) -> crate::place::Placed {
        if devices.is_empty() {
            devices.extend(crate::place::implicit_device(self.raw, self.diagnostics));
        }
        let raw = self.raw;
        let nodes = runtime_nodes(raw, &self.kinds);
        crate::place::place(
            raw,
            self.environment,
            devices,
            &nodes,
            wires,
            previous,
            self.diagnostics,
        )
    }

    /// Wires each `mqtt out` to the `mqtt in` nodes of its own device that
    /// subscribe to its topic, as PSOS wires local topics: at build time
    /// when the topic is fixed, through a small match on `msg.topic` when it
    /// is only known at run time. The broker does not echo a device's own
    /// publications back to it (its subscriptions are "no local"), so each
    /// message arrives once.
    fn wire_local_topics(&mut self, flow: &mut Flow) {
        let kinds: Vec<&ir::NodeKind> = flow.nodes.iter().map(|node| &node.kind).collect();
        let added = local_topic_wires(&kinds, |from, to| {
            let device = |index: usize| flow.nodes.get(index).map(|node| node.device);
            device(from) == device(to)
        });
        flow.wires.extend(added);
    }

    /// Reads each node's `psosQos`: the QoS its wires to other devices
    /// travel at, 1 (at least once) by default.
    fn read_wire_qos(&mut self, nodes: &mut [ir::Node]) {
        for (node, (raw_index, _)) in nodes.iter_mut().zip(&self.kinds) {
            let Some(raw) = self.node(*raw_index) else {
                continue;
            };
            let Some(value) = raw.get("psosQos") else {
                continue;
            };
            let qos = match &value.value {
                JsonValue::Number(n) => Some(*n),
                JsonValue::String(s) => Some(psos::number_from_str(s)),
                _ => None,
            };
            match qos {
                Some(qos) if qos == 0.0 || qos == 1.0 => node.wire_qos = qos as u8,
                _ => self.diagnostics.push(
                    raw.error(Code::MalformedProperty, "psosQos", "expected 0 or 1", "here")
                        .help("the QoS of the node's wires to other devices: 0 (at most once) or 1 (at least once, the default)"),
                ),
            }
        }
    }

    /// Gives each device that uses MQTT its broker: the one its
    /// `psos-device` names, or else the one its mqtt nodes use. A device
    /// keeps one session, so its nodes must agree on the broker. A device
    /// that only exchanges messages with other devices of the flow, with no
    /// broker named, uses `localhost:1883` (which `psosc run` and the
    /// `PSOS_BROKER` environment variable replace).
    fn assign_brokers(&mut self, flow: &mut Flow) {
        // A broker several devices share is read once per device: what is
        // wrong with it is said once.
        let reported_before = self.diagnostics.len();
        self.assign_brokers_to_devices(flow);
        let mut seen: Vec<Diagnostic> = Vec::new();
        let added: Vec<Diagnostic> = self.diagnostics.drain(reported_before..).collect();
        for diagnostic in added {
            if !seen.contains(&diagnostic) {
                seen.push(diagnostic.clone());
                self.diagnostics.push(diagnostic);
            }
        }
    }

    fn assign_brokers_to_devices(&mut self, flow: &mut Flow) {
        let flow_name = flow.name().to_string();
        let shared_by = devices_per_broker(flow, self.raw);
        let mut on_cut = vec![false; flow.devices.len()];
        for wire in flow.cut_wires() {
            for end in [wire.from, wire.to] {
                if let Some(slot) = flow
                    .nodes
                    .get(end)
                    .and_then(|node| on_cut.get_mut(node.device))
                {
                    *slot = true;
                }
            }
        }
        for (device_index, device) in flow.devices.iter_mut().enumerate() {
            let declared = device
                .id
                .as_deref()
                .and_then(|id| self.raw.find(id))
                .and_then(|node| node.get("broker"))
                .and_then(Json::as_str)
                .filter(|id| !id.is_empty())
                .map(str::to_string);
            let mut used: Vec<(String, &ir::Node)> = flow
                .nodes
                .iter()
                .filter(|node| node.device == device_index)
                .filter_map(|node| match &node.kind {
                    ir::NodeKind::MqttIn(input) => Some((input.broker.clone(), node)),
                    ir::NodeKind::MqttOut(out) => Some((out.broker.clone(), node)),
                    _ => None,
                })
                .collect();
            used.sort_by(|a, b| a.0.cmp(&b.0));
            let default_client_id = format!("psos-{flow_name}-{}", device.name);
            let status_topic = crate::place::topic::status_topic(&flow_name, &device.name);
            let debug_topic = crate::place::topic::debug_topic(&flow_name, &device.name);
            let chosen = declared
                .clone()
                .or_else(|| used.first().map(|(id, _)| id.clone()));
            let Some(chosen) = chosen else {
                if on_cut.get(device_index).copied().unwrap_or(false) {
                    device.broker = Some(ir::Broker {
                        id: String::new(),
                        host: "localhost".to_string(),
                        port: 1883,
                        client_id: default_client_id,
                        keepalive_s: 60,
                        status_topic,
                        debug_topic,
                        session: ir::Session {
                            expiry_s: crate::nodes::mqtt::DEFAULT_SESSION_EXPIRY_S,
                            clean_start: false,
                            birth: None,
                            close: None,
                            will: None,
                        },
                        tls: None,
                    });
                }
                continue;
            };
            for (broker, node) in &used {
                if *broker != chosen {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::SecondBroker,
                            format!("this node uses the broker {broker:?}, but its device {:?} connects to {chosen:?}", device.name),
                        )
                        .node(NodeRef::of(node))
                        .property("broker")
                        .label(node.span, "another broker")
                        .help("a device keeps one session: use one mqtt-broker for all mqtt nodes of a device"),
                    );
                }
            }
            let Some(config) = self
                .raw
                .find(&chosen)
                .filter(|node| node.type_name == "mqtt-broker")
            else {
                continue;
            };
            let mut reader = Reader::new(config, self.diagnostics);
            let host = reader.string("broker").unwrap_or("localhost").to_string();
            let port = reader.whole_number("port", 1883, 1..=65_535);
            let keepalive = reader.whole_number("keepalive", 60, 0..=65_535);
            let client_id = match reader.string("clientid").filter(|id| !id.is_empty()) {
                // A client id shared by several devices would have the broker
                // drop one session for the other.
                Some(id) if shared_by.get(&chosen).copied().unwrap_or(0) > 1 => {
                    format!("{id}-{}", device.name)
                }
                Some(id) => id.to_string(),
                None => default_client_id,
            };
            let session = crate::nodes::mqtt::session(&mut reader);
            let tls = self.broker_tls(config, &*device);
            let (Some(port), Some(keepalive), Some(session), Some(tls)) =
                (port, keepalive, session, tls)
            else {
                continue;
            };
            device.broker = Some(ir::Broker {
                id: chosen,
                host,
                port: port as u16,
                client_id,
                keepalive_s: keepalive as u16,
                status_topic,
                debug_topic,
                session,
                tls,
            });
        }
    }

    /// An inject node with a `crontab` runs on the wall clock: refused on
    /// a device whose board has none.
    fn check_wall_clocks(&mut self, nodes: &[ir::Node], devices: &[Device]) {
        for node in nodes {
            let ir::NodeKind::Inject(ir::Inject {
                schedule: Some(_), ..
            }) = &node.kind
            else {
                continue;
            };
            let (Some(device), Some(raw)) = (devices.get(node.device), self.raw.find(&node.id))
            else {
                continue;
            };
            if device.board.has_wall_clock() {
                continue;
            }
            self.diagnostics.push(
                raw.error(
                    Code::UnsupportedValue,
                    "crontab",
                    format!(
                        "a crontab needs the time of day, and the device {:?} (board {}) has no wall clock",
                        device.name,
                        device.board.name()
                    ),
                    "runs on the wall clock",
                )
                .help("use an interval (`repeat`, in seconds), or put the node on a device whose board has a wall clock, such as `host`"),
            );
        }
    }

    /// TLS as an `mqtt-broker` node asks for it (`usetls`, `tls`), for a
    /// device: `Some(None)` without TLS, `None` after a problem.
    fn broker_tls(&mut self, broker: &RawNode, device: &Device) -> Option<Option<ir::Tls>> {
        if !Reader::new(broker, self.diagnostics).flag("usetls", false) {
            return Some(None);
        }
        if !device.board.is_host() {
            self.diagnostics.push(
                broker
                    .error(
                        Code::UnsupportedValue,
                        "usetls",
                        format!(
                            "the device {:?} (board {}) cannot use TLS yet: only `host` devices can",
                            device.name,
                            device.board.name()
                        ),
                        "TLS asked for here",
                    )
                    .help("give the device a broker without TLS on its network, or a `host` board"),
            );
            return None;
        }
        let config = broker
            .get("tls")
            .and_then(Json::as_str)
            .filter(|id| !id.is_empty())
            .and_then(|id| self.raw.find(id))
            .filter(|node| node.type_name == "tls-config");
        match config {
            Some(config) => {
                crate::nodes::mqtt::tls(&mut Reader::new(config, self.diagnostics)).map(Some)
            }
            None => Some(Some(ir::Tls { ca_file: None })),
        }
    }

    /// Breaks every loop of local wires: a message that came back to a node
    /// still handling it would have nowhere to go. A depth-first walk in
    /// file order finds the wires that close a loop (those leading back to a
    /// node on the walk's path); each of them goes through the device's
    /// bounded queue instead of a direct call, so the loop runs one message
    /// at a time, after the call that started it returns.
    fn break_cycles(flow: &mut Flow) {
        // Only wires on one device are calls; a loop through MQTT waits in
        // the broker between devices anyway.
        let closing = crate::place::resources::closing_wires(
            flow.nodes.len(),
            flow.wires.iter().filter(|wire| flow.same_device(wire)),
        );
        for wire in &mut flow.wires {
            wire.queued = closing.contains(&(wire.from, wire.to));
        }
        // The wires left may still make a loop with the calls of catch,
        // status and complete nodes: those watchers get their messages
        // through the queue too.
        let device = |node: usize| flow.nodes.get(node).map(|node| node.device);
        let watches: Vec<_> = crate::place::resources::watches(
            &flow.caught_by,
            &flow.status_watched_by,
            &flow.completed_by,
        )
        .into_iter()
        .filter(|watch| device(watch.node) == device(watch.watcher))
        .collect();
        flow.queued_watches = crate::place::resources::queued_watches(
            flow.nodes.len(),
            flow.wires
                .iter()
                .filter(|wire| flow.same_device(wire) && !wire.queued),
            &watches,
        );
    }
}

fn board_names() -> String {
    Board::ALL
        .iter()
        .map(|board| board.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn valid_device_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_DEVICE_NAME
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn unsupported_type(node: &RawNode, custom: &[&str]) -> Diagnostic {
    let type_name = node.type_name.as_str();
    // psosc makes a subflow's status port itself; a flow does not name one.
    let supported = nodes::NODE_TYPES
        .iter()
        .map(|node_type| node_type.type_name)
        .filter(|type_name| *type_name != crate::subflow::STATUS_PORT_TYPE)
        .chain(custom.iter().copied());
    let known = supported.clone().chain(ROUTING_TYPES.iter().copied());
    // A known reason beats a guess at a typo.
    let mut help = match (
        nodes::refused::refusal(type_name),
        suggest(type_name, known),
    ) {
        (Some(refusal), _) => format!(
            "It does not run on a device: {}. Instead, {}. ",
            refusal.why, refusal.instead
        ),
        (None, Some(near)) => format!("Did you mean {near:?}? "),
        (None, None) => String::new(),
    };
    help.push_str("The node types that run on a device are: ");
    help.push_str(&supported.collect::<Vec<_>>().join(", "));
    Diagnostic::error(
        Code::UnsupportedNodeType,
        format!("psosc does not support the node type {type_name:?}"),
    )
    .node(node.node_ref())
    .property("type")
    .label(node.value_span("type"), "unsupported type")
    .help(help)
}

/// How many devices use each broker, by the broker's id.
fn devices_per_broker(flow: &Flow, raw: &RawFlow) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (device_index, device) in flow.devices.iter().enumerate() {
        let mut ids: Vec<String> = flow
            .nodes
            .iter()
            .filter(|node| node.device == device_index)
            .filter_map(|node| match &node.kind {
                ir::NodeKind::MqttIn(input) => Some(input.broker.clone()),
                ir::NodeKind::MqttOut(out) => Some(out.broker.clone()),
                _ => None,
            })
            .collect();
        if let Some(id) = device
            .id
            .as_deref()
            .and_then(|id| raw.find(id))
            .and_then(|node| node.get("broker"))
            .and_then(Json::as_str)
        {
            ids.push(id.to_string());
        }
        ids.sort();
        ids.dedup();
        for id in ids {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

/// When a message that reaches a node surely reaches a return before the
/// call that sent it there returns (see `Lowering::answer_rule`).
enum AnswerRule {
    Never,
    Always,
    /// When one of these nodes answers: the node sends to all of them.
    AnyOf(Vec<usize>),
    /// A static link call: when its link in answers, and one of the
    /// nodes its answer goes on to does.
    CallThenAnyOf(usize, Vec<usize>),
}

impl AnswerRule {
    /// The nodes whose answer this rule reads.
    fn inputs(&self) -> impl Iterator<Item = usize> + '_ {
        let (first, rest) = match self {
            AnswerRule::Never | AnswerRule::Always => (None, &[][..]),
            AnswerRule::AnyOf(next) => (None, next.as_slice()),
            AnswerRule::CallThenAnyOf(link_in, next) => (Some(*link_in), next.as_slice()),
        };
        first.into_iter().chain(rest.iter().copied())
    }

    fn holds(&self, answering: &[bool]) -> bool {
        let answers = |index: &usize| answering.get(*index).copied().unwrap_or(false);
        match self {
            AnswerRule::Never => false,
            AnswerRule::Always => true,
            AnswerRule::AnyOf(next) => next.iter().any(answers),
            AnswerRule::CallThenAnyOf(link_in, next) => {
                answers(link_in) && next.iter().any(answers)
            }
        }
    }
}

/// Where a message sent to a node goes (see `Lowering::route`).
enum Route {
    /// It is delivered to this runtime node.
    Runtime(ir::NodeIndex),
    /// A routing node passes it on to these nodes, in order.
    Through(Vec<usize>),
    Nothing,
}

/// The least solution of a monotone system over nodes `0..n`: node `i`
/// holds when `holds(i, solution)` says so, which may read only the nodes
/// `inputs` gives for `i`. Each node turns true at most once, and then the
/// nodes that read it are looked at again, so this costs about the sum
/// over nodes of their inputs times their readers, not one walk per path;
/// a loop holds only where something outside it makes it hold.
fn least_solution(
    inputs: impl ExactSizeIterator<Item = Vec<usize>>,
    holds: impl Fn(usize, &[bool]) -> bool,
) -> Vec<bool> {
    let count = inputs.len();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (index, node_inputs) in inputs.enumerate() {
        for input in node_inputs {
            if let Some(slot) = readers.get_mut(input) {
                slot.push(index);
            }
        }
    }
    let mut solution = vec![false; count];
    let mut pending: Vec<usize> = (0..count).collect();
    while let Some(index) = pending.pop() {
        if solution.get(index) == Some(&false) && holds(index, &solution) {
            if let Some(slot) = solution.get_mut(index) {
                *slot = true;
            }
            pending.extend(readers.get(index).into_iter().flatten().copied());
        }
    }
    solution
}
