//! Placement in the pipeline: pins, wire weights and budgets are read from
//! the flow, [`crate::partition`] decides where every other node runs, and
//! whatever does not fit is reported against the nodes and devices at fault.
//!
//! The partitioner knows nothing of flows; this module is the bridge. It
//! is deterministic: nodes and devices are numbered in file order, the
//! partitioner's own ties go to lower numbers, and the previous placement
//! (from the `plan.json` of the last build, when there is one) only breaks
//! ties between placements of equal cost, in favour of moving fewer nodes.

pub mod pins;
pub mod resources;
pub mod topic;
pub mod traffic;

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, NodeRef};
use crate::flow::{Environment, RawFlow, RawNode};
use crate::ir::{self, Board, Device, DeviceIndex, NodeKind, Placement, Resources, Wire};
use crate::json::JsonValue;
use crate::lower::DEFAULT_MESSAGE_CAPACITY;
use crate::nodes::Reader;
use crate::partition::{self, PlaceError, Problem};
use pins::{Pin, Pins};
use resources::Shared;
use traffic::{Overrides, TrafficNode};

/// The most labels one diagnostic shows; the rest are counted.
const MAX_LABELS: usize = 12;

/// Where an earlier build put each node: node id → device name. Nodes and
/// devices it does not know are placed afresh.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Previous {
    pub device_of: BTreeMap<String, String>,
}

/// A node that runs on a device, before placement.
pub struct RuntimeNode<'a> {
    pub raw: &'a RawNode,
    pub kind: &'a NodeKind,
}

/// What placement decided.
pub struct Placed {
    pub nodes: Vec<ir::Node>,
    /// For each node whose errors catch nodes take, those catch nodes.
    pub caught_by: BTreeMap<ir::NodeIndex, Vec<ir::NodeIndex>>,
    /// For each node whose status status nodes receive, those status nodes.
    pub status_watched_by: BTreeMap<ir::NodeIndex, Vec<ir::NodeIndex>>,
    /// For each node whose finished messages complete nodes take, those
    /// complete nodes.
    pub completed_by: BTreeMap<ir::NodeIndex, Vec<ir::NodeIndex>>,
    pub cost: u64,
    pub optimal: bool,
}

/// Ties between each catch node and the nodes whose errors it takes, each
/// heavier than all wires together: a device hears only its own nodes'
/// errors, so the partitioner parts them only when pins or budgets leave
/// no other way (and `nodes::catch::check_devices` then refuses the flow).
fn catch_edges<'a>(
    wires: &[Wire],
    caught_by: &'a BTreeMap<usize, Vec<usize>>,
) -> impl Iterator<Item = partition::Edge> + 'a {
    let n_ties: u64 = caught_by.values().map(|catches| catches.len() as u64).sum();
    let all_wires = wires
        .iter()
        .fold(0u64, |sum, wire| sum.saturating_add(wire.weight));
    // Bounded so that the sum of every edge still fits in a u64.
    let bound = u64::MAX / 4 / (n_ties + wires.len() as u64 + 1);
    let weight = all_wires.saturating_add(1).min(bound);
    caught_by.iter().flat_map(move |(source, catches)| {
        catches.iter().map(move |catch| partition::Edge {
            from: *source,
            to: *catch,
            weight,
        })
    })
}

/// The device of a flow that declares none: one host, with a warning.
pub fn implicit_device(raw: &RawFlow, diagnostics: &mut Vec<Diagnostic>) -> Option<Device> {
    if raw
        .nodes
        .iter()
        .any(|node| node.type_name == "psos-device" && raw.is_enabled(node))
    {
        return None;
    }
    diagnostics.push(
        Diagnostic::warning(Code::ImplicitDevice, "the flow declares no device: all of it runs on one `host` device")
            .help("declare devices with config nodes such as {\"type\": \"psos-device\", \"id\": \"d1\", \"name\": \"sensor\", \"board\": \"host\"}"),
    );
    let board = Board::Host;
    Some(Device {
        id: None,
        name: "host".to_string(),
        board,
        message_capacity: DEFAULT_MESSAGE_CAPACITY,
        context_capacity: crate::lower::DEFAULT_CONTEXT_CAPACITY,
        outbox: crate::lower::DEFAULT_OUTBOX,
        budget: board.budget(),
        load: Resources::ZERO,
        stack: 0,
        span: None,
        broker: None,
    })
}

/// Puts every node on a device: pinned nodes where they are pinned, the
/// others where the wires they cut weigh least within the budgets, and
/// each catch node with the nodes whose errors it takes (which it
/// decides), unless pins or budgets part them. Sets
/// each wire's weight and each device's load, and reports broken pins,
/// unpinned hardware nodes, bad `psosRate`/`psosSize`, and devices that
/// cannot hold their nodes.
pub fn place(
    raw: &RawFlow,
    environment: Environment<'_>,
    devices: &mut [Device],
    nodes: &[RuntimeNode<'_>],
    wires: &mut [Wire],
    previous: &Previous,
    diagnostics: &mut Vec<Diagnostic>,
) -> Placed {
    let mut pins = Pins::new(raw, environment, devices);
    let node_pins: Vec<Pin> = nodes
        .iter()
        .map(|node| pins.pin(node.raw, diagnostics))
        .collect();
    check_hardware_pins(
        nodes.iter().map(|node| node.raw),
        &node_pins,
        devices,
        resources::is_hardware,
        diagnostics,
    );

    let traffic_nodes: Vec<TrafficNode<'_>> = nodes
        .iter()
        .map(|node| TrafficNode {
            kind: node.kind,
            overrides: overrides(node.raw, diagnostics),
        })
        .collect();
    let weights = traffic::wire_weights(&traffic_nodes, wires);
    for (wire, weight) in wires.iter_mut().zip(weights) {
        wire.weight = weight;
    }

    // A node's buffers hold messages of the device it runs on: a pinned
    // node's device, or for a free node the largest messages of any.
    let largest_messages = devices
        .iter()
        .map(|device| device.message_capacity)
        .max()
        .unwrap_or(DEFAULT_MESSAGE_CAPACITY);
    // A status node is tied to the nodes it watches as a catch node is.
    let status_watched_by = crate::nodes::status::watched_by(raw, nodes, diagnostics);
    let message_capacities: Vec<usize> = node_pins
        .iter()
        .map(|pin| match pin {
            Pin::Pinned(device, _) => devices
                .get(*device)
                .map_or(largest_messages, |device| device.message_capacity),
            Pin::Free | Pin::Broken => largest_messages,
        })
        .collect();
    let mut node_resources: Vec<Resources> = nodes
        .iter()
        .zip(&message_capacities)
        .enumerate()
        .map(|(index, (node, message_capacity))| {
            let resources =
                resources::node_resources(&node.raw.type_name, node.kind, *message_capacity);
            if status_watched_by.contains_key(&index) {
                Resources {
                    ram: resources.ram + resources::watched_status_ram(node.kind),
                    ..resources
                }
            } else {
                resources
            }
        })
        .collect();
    // Until nodes are placed, each device counts what it may come to
    // share: the types of the nodes pinned to it and of every free node,
    // and an MQTT session if it may need one, so that a placement the
    // partitioner finds within these budgets fits.
    let mut may_share: Vec<Shared<'_>> = devices
        .iter()
        .map(|device| declared_session(raw, device))
        .collect();
    let several = devices.len() > 1;
    for (node, pin) in nodes.iter().zip(&node_pins) {
        for (device, shared) in may_share.iter_mut().enumerate() {
            if pin_allows(pin, device) {
                shared.add(&node.raw.type_name, node.kind);
            }
        }
    }
    for wire in wires.iter() {
        let ends = [wire.from, wire.to].map(|end| node_pins.get(end).unwrap_or(&Pin::Broken));
        let [from, to] = ends.map(|pin| match pin {
            Pin::Pinned(device, _) => Some(*device),
            Pin::Free | Pin::Broken => None,
        });
        if !several || (from.is_some() && from == to) {
            continue;
        }
        for (device, shared) in may_share.iter_mut().enumerate() {
            if from.is_none_or(|from| from == device) || to.is_none_or(|to| to == device) {
                shared.add_session();
            }
        }
    }
    let kinds: Vec<&NodeKind> = nodes.iter().map(|node| node.kind).collect();
    let caught_by = crate::nodes::catch::caught_by(raw, nodes);
    let completed_by = crate::nodes::complete::completed_by(raw, nodes, diagnostics);
    // The stack counts the wires lowering adds between an `mqtt out` and
    // the `mqtt in` nodes of its device that subscribe to its topic, and
    // each node's calls of the catch, status and complete nodes that
    // watch it.
    let counted_wires: Vec<Wire> = wires
        .iter()
        .cloned()
        .chain(crate::lower::local_topic_wires(&kinds, |_, _| true))
        .collect();
    let watchers = resources::watches(&caught_by, &status_watched_by, &completed_by);
    count_calls(
        &mut may_share,
        devices,
        &kinds,
        &counted_wires,
        &watchers,
        |node, device| {
            node_pins
                .get(node)
                .is_some_and(|pin| pin_allows(pin, device))
        },
        // Unless its sender is pinned to the device, a wire may come to
        // join two devices.
        |wire, device| {
            several
                && !matches!(node_pins.get(wire.from), Some(Pin::Pinned(pinned, _)) if *pinned == device)
        },
    );
    let runtime: Vec<Resources> = devices
        .iter()
        .zip(&may_share)
        .map(|(device, shared)| shared.resources(device))
        .collect();
    // A node that complete nodes watch may keep the messages it finishes
    // with later.
    for watched in completed_by.keys() {
        let node = nodes.get(*watched).zip(message_capacities.get(*watched));
        if let (Some((node, capacity)), Some(cost)) = (node, node_resources.get_mut(*watched)) {
            cost.ram = cost
                .ram
                .saturating_add(resources::kept_ram(node.kind, *capacity));
        }
    }
    let problem = Problem {
        n_devices: devices.len(),
        budgets: devices
            .iter()
            .zip(&runtime)
            .map(|(device, runtime)| device.budget.saturating_sub(*runtime))
            .collect(),
        node_costs: node_resources.clone(),
        pins: node_pins
            .iter()
            .map(|pin| match pin {
                Pin::Pinned(device, _) => Some(*device),
                Pin::Free | Pin::Broken => None,
            })
            .collect(),
        edges: wires
            .iter()
            .map(|wire| partition::Edge {
                from: wire.from,
                to: wire.to,
                weight: wire.weight,
            })
            .chain(catch_edges(wires, &caught_by))
            .chain(catch_edges(wires, &status_watched_by))
            // A device hears only its own nodes finish, as it hears only
            // their errors: complete nodes are tied to what they watch alike.
            .chain(catch_edges(wires, &completed_by))
            .collect(),
    };
    // Without a device every psos-device was refused, each with its error.
    let device_of = if devices.is_empty() {
        Err(())
    } else {
        solve(&problem, nodes, devices, &runtime, previous, diagnostics)
    };

    let (cost, optimal) = match &device_of {
        Ok(placement) => (placement.cost, placement.exact),
        Err(_) => (0, false),
    };
    let mut placed = Vec::with_capacity(nodes.len());
    for (index, (node, pin)) in nodes.iter().zip(node_pins).enumerate() {
        let pinned_device = match &pin {
            Pin::Pinned(device, _) => Some(*device),
            _ => None,
        };
        let device = match &device_of {
            Ok(placement) => placement.device_of.get(index).copied(),
            Err(()) => pinned_device,
        }
        .unwrap_or(0);
        let placement = match pin {
            Pin::Pinned(_, placement) => placement,
            _ if devices.len() == 1 => Placement::OnlyDevice,
            _ => Placement::Placed,
        };
        placed.push(ir::Node {
            id: node.raw.id.clone(),
            name: node.raw.name().to_string(),
            name_defined: node.raw.name_defined(),
            type_name: node.raw.type_name.clone(),
            span: node.raw.span(),
            device,
            placement,
            resources: node_resources.get(index).copied().unwrap_or_default(),
            kind: node.kind.clone(),
            wire_qos: 1,
        });
    }
    // Placed, each device counts what its own nodes share, and a session
    // if a wire between devices ends on it.
    let mut shares: Vec<Shared<'_>> = devices
        .iter()
        .map(|device| declared_session(raw, device))
        .collect();
    for (node, ir_node) in nodes.iter().zip(&placed) {
        if let Some(shared) = shares.get_mut(ir_node.device) {
            shared.add(&node.raw.type_name, node.kind);
        }
    }
    for wire in wires.iter() {
        let from = placed.get(wire.from).map(|node| node.device);
        let to = placed.get(wire.to).map(|node| node.device);
        if from != to {
            for device in [from, to].into_iter().flatten() {
                if let Some(shared) = shares.get_mut(device) {
                    shared.add_session();
                }
            }
        }
    }
    count_calls(
        &mut shares,
        devices,
        &kinds,
        &counted_wires,
        &watchers,
        |node, device| placed.get(node).is_some_and(|node| node.device == device),
        |wire, device| {
            placed
                .get(wire.from)
                .is_some_and(|node| node.device != device)
        },
    );
    for (device_index, (device, shared)) in devices.iter_mut().zip(&shares).enumerate() {
        device.stack = shared.stack();
        device.load = placed
            .iter()
            .filter(|node| node.device == device_index)
            .fold(shared.resources(device), |load, node| {
                load.saturating_add(node.resources)
            });
        // The placement kept within the budget less what the device may
        // come to share; what it holds in the end should be no more, but
        // the count of calls can differ once loops are broken between
        // other nodes. What does not fit is said, never built silently.
        let over = device.load.saturating_sub(device.budget);
        if device_of.is_ok() && over != Resources::default() {
            let mut diagnostic = Diagnostic::error(
                Code::DeviceOverflow,
                format!(
                    "device {:?} is over its budget by {} once placed: its nodes and the runtime need {}, it has {}",
                    device.name,
                    over_phrase(over),
                    device.load,
                    device.budget
                ),
            )
            .property(if over.flash > 0 { "flash" } else { "ram" });
            if let Some(id) = &device.id {
                diagnostic = diagnostic.node(NodeRef {
                    id: id.clone(),
                    name: device.name.clone(),
                    type_name: "psos-device".to_string(),
                });
            }
            diagnostics.push(diagnostic);
        }
    }
    Placed {
        nodes: placed,
        caught_by,
        status_watched_by,
        completed_by,
        cost,
        optimal,
    }
}

/// Sets each device's deepest calls ([`resources::deepest_calls`]) over
/// the nodes `on_device(node, device)` says it holds, with the wires
/// `from_elsewhere(wire, device)` says may reach it from another device
/// and the nodes catch, status and complete nodes watch.
fn count_calls(
    shares: &mut [Shared<'_>],
    devices: &[Device],
    kinds: &[&NodeKind],
    wires: &[Wire],
    watchers: &[resources::Watch],
    on_device: impl Fn(usize, DeviceIndex) -> bool,
    from_elsewhere: impl Fn(&Wire, DeviceIndex) -> bool,
) {
    for (device_index, (device, shared)) in devices.iter().zip(shares).enumerate() {
        let session = shared.has_session();
        shared.set_calls(resources::deepest_calls(
            kinds,
            wires,
            watchers,
            |node| on_device(node, device_index),
            |wire| from_elsewhere(wire, device_index),
            // A device with a session has its inject nodes pressed from
            // the MQTT task (`psos::control`).
            |_| session,
            device.message_capacity,
        ));
    }
}

/// Whether a node pinned so may run on device `device`.
fn pin_allows(pin: &Pin, device: DeviceIndex) -> bool {
    match pin {
        Pin::Pinned(pinned, _) => *pinned == device,
        Pin::Free | Pin::Broken => true,
    }
}

/// What a device shares before its nodes: an MQTT session when its
/// `psos-device` names a broker, which it then connects to whatever it
/// holds.
fn declared_session<'a>(raw: &RawFlow, device: &Device) -> Shared<'a> {
    let mut shared = Shared::default();
    let names_broker = device
        .id
        .as_deref()
        .and_then(|id| raw.find(id))
        .and_then(|node| node.get("broker"))
        .and_then(crate::json::Json::as_str)
        .is_some_and(|broker| !broker.is_empty());
    if names_broker {
        shared.add_session();
    }
    shared
}

/// A node that drives hardware cannot be moved between boards: with
/// several devices it must be pinned.
fn check_hardware_pins<'a>(
    nodes: impl Iterator<Item = &'a RawNode>,
    pins: &[Pin],
    devices: &[Device],
    is_hardware: impl Fn(&str) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if devices.len() < 2 {
        return;
    }
    for (node, pin) in nodes.zip(pins) {
        if *pin == Pin::Free && is_hardware(&node.type_name) {
            diagnostics.push(unpinned_hardware(node, devices));
        }
    }
}

/// Runs the partitioner, or reports every reason it cannot run.
fn solve(
    problem: &Problem,
    nodes: &[RuntimeNode<'_>],
    devices: &[Device],
    runtime: &[Resources],
    previous: &Previous,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<partition::Placement, ()> {
    let mut overflowing: BTreeMap<DeviceIndex, Vec<usize>> = BTreeMap::new();
    for (device_index, (device, runtime)) in devices.iter().zip(runtime).enumerate() {
        if !runtime.fits_within(device.budget) {
            overflowing.insert(device_index, Vec::new());
        }
    }
    let mut other_errors = Vec::new();
    for error in partition::check(problem) {
        match error {
            PlaceError::Overflow { device, pinned, .. } => {
                overflowing.insert(device, pinned);
            }
            other => other_errors.push(other),
        }
    }
    let pinned_to = |device_index: DeviceIndex| -> Vec<usize> {
        (0..nodes.len())
            .filter(|&node| problem.pins.get(node) == Some(&Some(device_index)))
            .collect()
    };
    for (&device_index, pinned) in &overflowing {
        let pinned = if pinned.is_empty() {
            pinned_to(device_index)
        } else {
            pinned.clone()
        };
        if let (Some(device), Some(runtime)) =
            (devices.get(device_index), runtime.get(device_index))
        {
            diagnostics.push(overflow(device, *runtime, &pinned, problem, nodes));
        }
    }
    if !overflowing.is_empty() || !other_errors.is_empty() {
        diagnostics.extend(other_errors.iter().map(|error| internal(error, nodes)));
        return Err(());
    }
    let hint: Vec<Option<usize>> = nodes
        .iter()
        .map(|node| {
            let name = previous.device_of.get(&node.raw.id)?;
            devices.iter().position(|device| &device.name == name)
        })
        .collect();
    let options = partition::Options {
        previous: Some(&hint),
        ..partition::Options::default()
    };
    match partition::place_with(problem, &options) {
        Ok(placement) => Ok(placement),
        Err(PlaceError::NoRoom {
            unplaced,
            shortfall,
            room_left,
            proven,
        }) => {
            diagnostics.push(no_room(
                &unplaced, shortfall, &room_left, proven, nodes, devices,
            ));
            Err(())
        }
        Err(error) => {
            diagnostics.push(internal(&error, nodes));
            Err(())
        }
    }
}

/// `psosRate` and `psosSize` of a node, checked.
fn overrides(node: &RawNode, diagnostics: &mut Vec<Diagnostic>) -> Overrides {
    let mut reader = Reader::new(node, diagnostics);
    Overrides {
        rate: number_property(
            &mut reader,
            "psosRate",
            0.0,
            1_000_000.0,
            "the messages a second each output sends, such as 0.5 or 10, from 0 to 1000000",
        ),
        size: number_property(
            &mut reader,
            "psosSize",
            1.0,
            16_777_216.0,
            "the bytes of a message as JSON, a whole number such as 200, from 1 to 16777216",
        )
        .map(|bytes| bytes.round() as u64),
    }
}

/// A number property in a range: a JSON number or a numeric string.
fn number_property(
    reader: &mut Reader<'_, '_>,
    key: &str,
    least: f64,
    most: f64,
    accepted: &str,
) -> Option<f64> {
    let value = reader.get(key)?;
    let number = match &value.value {
        JsonValue::Number(number) => *number,
        JsonValue::String(text) if text.trim().is_empty() => return None,
        JsonValue::String(text) => psos::number_from_str(text),
        _ => f64::NAN,
    };
    if (least..=most).contains(&number) {
        return Some(number);
    }
    let shown = crate::nodes::shown(value);
    reader.malformed(
        key,
        value.span,
        format!("{shown} is out of range or not a number"),
        Some(format!("give {accepted}")),
    );
    None
}

/// How a device's nodes overflow it, resource by resource.
fn over_phrase(over: Resources) -> String {
    match (over.flash, over.ram) {
        (0, ram) => format!("{ram} bytes of RAM"),
        (flash, 0) => format!("{flash} bytes of flash"),
        (flash, ram) => format!("{flash} bytes of flash and {ram} bytes of RAM"),
    }
}

fn overflow(
    device: &Device,
    runtime: Resources,
    pinned: &[usize],
    problem: &Problem,
    nodes: &[RuntimeNode<'_>],
) -> Diagnostic {
    let need = pinned
        .iter()
        .filter_map(|&node| problem.node_costs.get(node))
        .fold(runtime, |total, cost| total.saturating_add(*cost));
    let over = need.saturating_sub(device.budget);
    let property = if over.flash > 0 { "flash" } else { "ram" };
    let pinned_phrase = match pinned.len() {
        0 => "the runtime alone".to_string(),
        1 => "the node pinned to it and the runtime".to_string(),
        n => format!("the {n} nodes pinned to it and the runtime"),
    };
    let mut diagnostic = Diagnostic::error(
        Code::DeviceOverflow,
        format!(
            "device {:?} is over its budget by {}: {pinned_phrase} need {need}, it has {}",
            device.name,
            over_phrase(over),
            device.budget
        ),
    );
    if let Some(id) = &device.id {
        diagnostic = diagnostic.node(NodeRef {
            id: id.clone(),
            name: device.name.clone(),
            type_name: "psos-device".to_string(),
        });
    }
    diagnostic = diagnostic.property(property);
    if let Some(span) = device.span {
        diagnostic = diagnostic.label(span, format!("{} on {}", device.name, device.board.name()));
    }
    for &node in pinned.iter().take(MAX_LABELS) {
        if let (Some(runtime_node), Some(cost)) = (nodes.get(node), problem.node_costs.get(node)) {
            diagnostic = diagnostic.label(
                runtime_node.raw.value_span("id"),
                format!(
                    "pinned here: {} {}, {} B flash, {} B RAM",
                    runtime_node.raw.type_name,
                    label_of(runtime_node.raw),
                    cost.flash,
                    cost.ram
                ),
            );
        }
    }
    let more = pinned.len().saturating_sub(MAX_LABELS);
    let more = if more > 0 {
        format!(" ({more} more pinned nodes are not shown)")
    } else {
        String::new()
    };
    diagnostic.help(format!(
        "give the psos-device a larger `{property}` ({}), or pin fewer nodes to it{more}",
        resources::BUDGET_FORMS
    ))
}

fn no_room(
    unplaced: &[usize],
    shortfall: Resources,
    room_left: &[Resources],
    proven: bool,
    nodes: &[RuntimeNode<'_>],
    devices: &[Device],
) -> Diagnostic {
    let why = if shortfall == Resources::ZERO {
        "the budgets hold them in total, but not split into devices".to_string()
    } else {
        format!(
            "all nodes together need {} more than all budgets",
            over_phrase(shortfall)
        )
    };
    let verdict = if proven {
        "no placement fits"
    } else {
        "psosc found no placement that fits"
    };
    let mut diagnostic = Diagnostic::error(
        Code::NoRoom,
        format!(
            "{} node{} found no device with room: {why}; {verdict}",
            unplaced.len(),
            if unplaced.len() == 1 { "" } else { "s" }
        ),
    );
    if let Some(first) = unplaced.first().and_then(|&node| nodes.get(node)) {
        diagnostic = diagnostic.node(first.raw.node_ref()).property("device");
    }
    for node in unplaced
        .iter()
        .take(MAX_LABELS)
        .filter_map(|&node| nodes.get(node))
    {
        diagnostic = diagnostic.label(node.raw.value_span("id"), "no room for this node");
    }
    let room: Vec<String> = devices
        .iter()
        .zip(room_left)
        .map(|(device, room)| format!("{} {} B flash, {} B RAM", device.name, room.flash, room.ram))
        .collect();
    diagnostic.help(format!(
        "room left: {}. Give a psos-device a larger `flash` or `ram`, declare another device, or remove nodes",
        room.join("; ")
    ))
}

/// A problem psosc's own bridge should have prevented, or an instance too
/// large to place: reported rather than a panic.
fn internal(error: &PlaceError, nodes: &[RuntimeNode<'_>]) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        Code::PlacementFailed,
        format!("psosc cannot place this flow: {error}"),
    );
    let diagnostic = match nodes.first() {
        Some(node) => diagnostic.label(node.raw.value_span("id"), "the first node to place"),
        None => diagnostic,
    };
    diagnostic
        .help("pin more nodes or split the flow; if the flow is small, this is a bug in psosc")
}

fn unpinned_hardware(node: &RawNode, devices: &[Device]) -> Diagnostic {
    Diagnostic::error(
        Code::UnpinnedNode,
        format!(
            "a {} node drives the hardware of its board, and the flow has {} devices: psosc cannot choose one for it",
            node.type_name,
            devices.len()
        ),
    )
    .node(node.node_ref())
    .property("device")
    .label(node.value_span("type"), "not pinned")
    .help(format!(
        "set the node's \"device\" property, or {} in the env of its tab or group, to one of: {}",
        pins::ENV_VARIABLE,
        devices
            .iter()
            .map(|device| device.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn label_of(node: &RawNode) -> String {
    if node.name().is_empty() {
        format!("{:?}", node.id)
    } else {
        format!("{:?}", node.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hardware flag of `resources::NODE_TYPES` is set by no type yet,
    /// so this stands in a flag of its own for `gpio out`.
    fn check(n_devices: usize, pins: &[Pin], expect: &[&str]) {
        let source = crate::SourceFile::new(
            "t.json",
            r#"[{"id": "led", "type": "gpio out"}, {"id": "show", "type": "debug"}]"#,
        );
        let raw = crate::flow::read(&source, &|_| None, &mut Vec::new()).unwrap_or_default();
        let devices: Vec<Device> = (0..n_devices)
            .map(|index| Device {
                id: None,
                name: format!("d{index}"),
                board: Board::Host,
                message_capacity: DEFAULT_MESSAGE_CAPACITY,
                context_capacity: crate::lower::DEFAULT_CONTEXT_CAPACITY,
                outbox: crate::lower::DEFAULT_OUTBOX,
                budget: Board::Host.budget(),
                load: Resources::ZERO,
                stack: 0,
                span: None,
                broker: None,
            })
            .collect();
        let mut diagnostics = Vec::new();
        check_hardware_pins(
            raw.nodes.iter(),
            pins,
            &devices,
            |type_name| type_name == "gpio out",
            &mut diagnostics,
        );
        let found: Vec<String> = diagnostics
            .iter()
            .map(|diagnostic| format!("{} {}", diagnostic.code.as_str(), diagnostic.headline()))
            .collect();
        assert_eq!(found, expect);
    }

    #[test]
    fn a_hardware_node_must_be_pinned_when_there_are_several_devices() {
        check(
            2,
            &[Pin::Free, Pin::Free],
            &[
                "psosc::device::unpinned_node gpio out node \"led\", property `device`: \
               a gpio out node drives the hardware of its board, and the flow has 2 devices: \
               psosc cannot choose one for it",
            ],
        );
        check(
            2,
            &[Pin::Pinned(1, Placement::PinnedByProperty), Pin::Free],
            &[],
        );
        check(1, &[Pin::Free, Pin::Free], &[]);
    }
}
