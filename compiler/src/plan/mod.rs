//! The plan: which node runs on which device and why, the wires between
//! devices with their MQTT topics, and what each device needs and has. One
//! data model ([`Plan`]) is written as `plan.json` by `psosc build` and
//! shown by `psosc plan` as text, JSON, DOT, SVG or HTML.

mod dot;
mod picture;
mod text;

use serde::{Deserialize, Serialize};

use crate::ir::{Flow, Placement, Resources};
use crate::place::{topic, Previous};

pub use dot::dot;
pub use picture::{html, svg};
pub use text::text;

/// `plan.json`, and what every other form of the plan shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub generated_by: String,
    /// The flow file's name.
    pub flow: String,
    /// In the order the flow declares them.
    pub devices: Vec<PlanDevice>,
    /// Every wire between devices, in wire order (source node, port,
    /// target).
    pub cut: Vec<CutWire>,
    /// The total weight of the cut wires.
    pub cost: u64,
    /// True when no placement within the pins and budgets cuts less.
    pub optimal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanDevice {
    pub name: String,
    /// The `psos-device` node's id; absent for the implicit host device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub board: &'static str,
    /// What psosc estimates the device needs: the runtime and its nodes.
    pub estimate: Amount,
    /// What the device has.
    pub budget: Amount,
    /// In file order.
    pub nodes: Vec<PlanNode>,
}

/// Bytes of flash and of RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub flash: u64,
    pub ram: u64,
}

impl From<Resources> for Amount {
    fn from(resources: Resources) -> Self {
        Amount {
            flash: resources.flash,
            ram: resources.ram,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanNode {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub placement: PlanPlacement,
}

/// How a node came to be on its device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum PlanPlacement {
    /// Pinned by the node's own `device` property.
    PinnedByProperty,
    /// Pinned by `PSOS_DEVICE` in the env of a tab or group.
    PinnedByEnv {
        /// The tab's or group's id.
        scope: String,
        /// `tab` or `group`.
        scope_type: String,
        /// Its label or name.
        scope_name: String,
    },
    /// The flow has one device.
    OnlyDevice,
    /// The partitioner chose the device.
    Placed,
}

impl PlanPlacement {
    pub fn of(placement: &Placement) -> PlanPlacement {
        match placement {
            Placement::PinnedByProperty => PlanPlacement::PinnedByProperty,
            Placement::PinnedByEnv(scope) => PlanPlacement::PinnedByEnv {
                scope: scope.id.clone(),
                scope_type: scope.type_name.clone(),
                scope_name: scope.name.clone(),
            },
            Placement::OnlyDevice => PlanPlacement::OnlyDevice,
            Placement::Placed => PlanPlacement::Placed,
        }
    }
}

/// A wire between devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutWire {
    /// The sending node's id and output port.
    pub from: String,
    pub port: usize,
    /// The receiving node's id.
    pub to: String,
    pub from_device: String,
    pub to_device: String,
    /// Estimated traffic, bytes a minute.
    pub weight: u64,
    pub topic: String,
}

impl Plan {
    pub fn new(flow: &Flow) -> Plan {
        let device_name = |index: usize| {
            flow.devices
                .get(index)
                .map_or_else(String::new, |device| device.name.clone())
        };
        Plan {
            generated_by: format!("psosc {}", crate::codegen::VERSION),
            flow: flow.file_name.clone(),
            devices: flow
                .devices
                .iter()
                .enumerate()
                .map(|(index, device)| PlanDevice {
                    name: device.name.clone(),
                    id: device.id.clone(),
                    board: device.board.name(),
                    estimate: device.load.into(),
                    budget: device.budget.into(),
                    nodes: flow
                        .nodes_on(index)
                        .map(|(_, node)| PlanNode {
                            id: node.id.clone(),
                            name: node.name.clone(),
                            type_name: node.type_name.clone(),
                            placement: PlanPlacement::of(&node.placement),
                        })
                        .collect(),
                })
                .collect(),
            cut: flow
                .cut_wires()
                .filter_map(|wire| {
                    let from = flow.nodes.get(wire.from)?;
                    let to = flow.nodes.get(wire.to)?;
                    Some(CutWire {
                        from: from.id.clone(),
                        port: wire.port,
                        to: to.id.clone(),
                        from_device: device_name(from.device),
                        to_device: device_name(to.device),
                        weight: wire.weight,
                        topic: topic::wire_topic(flow.name(), &from.id, wire.port),
                    })
                })
                .collect(),
            cost: flow.cost,
            optimal: flow.optimal,
        }
    }

    /// The flow's name without `.json`, as topics and titles use it.
    fn flow_name(&self) -> &str {
        crate::ir::flow_name(&self.flow)
    }

    /// The number of nodes on all devices.
    fn n_nodes(&self) -> usize {
        self.devices.iter().map(|device| device.nodes.len()).sum()
    }
}

/// `plan.json`: the plan, pretty-printed, with a final newline.
pub fn json(flow: &Flow) -> String {
    // Strings, numbers and booleans always serialise.
    let mut text = serde_json::to_string_pretty(&Plan::new(flow)).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads where an earlier `plan.json` put each node. Anything that is not
/// a plan, or a plan of another shape, gives `None`: the previous
/// placement is only a hint.
pub fn read_previous(text: &str) -> Option<Previous> {
    #[derive(Deserialize)]
    struct Saved {
        devices: Vec<SavedDevice>,
    }
    #[derive(Deserialize)]
    struct SavedDevice {
        name: String,
        nodes: Vec<SavedNode>,
    }
    #[derive(Deserialize)]
    struct SavedNode {
        id: String,
    }
    let saved: Saved = serde_json::from_str(text).ok()?;
    let mut previous = Previous::default();
    for device in saved.devices {
        for node in device.nodes {
            previous.device_of.insert(node.id, device.name.clone());
        }
    }
    Some(previous)
}

/// A device's colours in pictures, by its position in the flow: a strong
/// one for borders and wires, a light one for fills (Tableau's palette).
pub fn device_colours(index: usize) -> (&'static str, &'static str) {
    const PALETTE: &[(&str, &str)] = &[
        ("#4e79a7", "#dbe6f1"),
        ("#f28e2b", "#fde3c8"),
        ("#59a14f", "#d9ecd5"),
        ("#b07aa1", "#eddfe9"),
        ("#e15759", "#f8d5d5"),
        ("#76b7b2", "#ddefed"),
        ("#edc948", "#fbf1cd"),
        ("#9c755f", "#eadfd8"),
        ("#ff9da7", "#ffe5e8"),
        ("#bab0ac", "#eeebea"),
    ];
    PALETTE[index % PALETTE.len()]
}

/// The colour of wires between devices: MQTT's own purple.
pub const MQTT_COLOUR: &str = "#660066";

/// Bytes for people: `512 B`, `12.5 KiB`, `1 GiB`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: &[&str] = &["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[unit])
    } else {
        format!("{rounded:.1} {}", UNITS[unit])
    }
}

/// How a node came to its device, in words.
pub fn placement_text(placement: &PlanPlacement) -> String {
    match placement {
        PlanPlacement::PinnedByProperty => "pinned by its device property".to_string(),
        PlanPlacement::PinnedByEnv {
            scope,
            scope_type,
            scope_name,
        } => {
            if scope_name.is_empty() {
                format!(
                    "pinned by {} of {scope_type} {scope}",
                    crate::place::pins::ENV_VARIABLE
                )
            } else {
                format!(
                    "pinned by {} of {scope_type} {scope_name:?} ({scope})",
                    crate::place::pins::ENV_VARIABLE
                )
            }
        }
        PlanPlacement::OnlyDevice => "the only device".to_string(),
        PlanPlacement::Placed => "placed by psosc".to_string(),
    }
}

/// What a node is called in pictures and lists: its name, else its id.
fn node_label(node: &PlanNode) -> &str {
    if node.name.is_empty() {
        &node.id
    } else {
        &node.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_write_them() {
        for (bytes, expect) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1 KiB"),
            (1536, "1.5 KiB"),
            (262_144, "256 KiB"),
            (1 << 30, "1 GiB"),
            (u64::MAX, "16777216 TiB"),
        ] {
            assert_eq!(bytes_text(bytes), expect);
        }
    }

    #[test]
    fn a_previous_plan_is_read_by_node_id_and_anything_else_is_ignored() {
        let previous = read_previous(
            r#"{"devices": [{"name": "a", "nodes": [{"id": "n1"}, {"id": "n2"}]},
                            {"name": "b", "nodes": [{"id": "n3"}]}], "extra": 1}"#,
        )
        .expect("a plan");
        let pairs: Vec<(&str, &str)> = previous
            .device_of
            .iter()
            .map(|(node, device)| (node.as_str(), device.as_str()))
            .collect();
        assert_eq!(pairs, [("n1", "a"), ("n2", "a"), ("n3", "b")]);
        assert_eq!(read_previous("[1, 2]"), None);
        assert_eq!(read_previous("not json"), None);
    }
}
