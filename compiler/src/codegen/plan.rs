//! `plan.json`: which node runs on which device and why, for people and tools.

use serde::Serialize;

use crate::ir::{Flow, Placement};

#[derive(Serialize)]
struct Plan<'a> {
    generated_by: String,
    flow: &'a str,
    devices: Vec<PlanDevice<'a>>,
    /// Wires between devices; none until MQTT wires exist.
    cut: Vec<()>,
    cost: u64,
}

#[derive(Serialize)]
struct PlanDevice<'a> {
    name: &'a str,
    board: &'static str,
    nodes: Vec<PlanNode<'a>>,
}

#[derive(Serialize)]
struct PlanNode<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    placement: PlanPlacement<'a>,
}

#[derive(Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
enum PlanPlacement<'a> {
    /// Pinned by the node's own `device` property.
    PinnedByProperty,
    /// Pinned by `PSOS_DEVICE` in the env of a tab or group.
    PinnedByEnv { scope: &'a str },
    /// The flow has one device.
    OnlyDevice,
}

pub fn plan_json(flow: &Flow) -> String {
    let plan = Plan {
        generated_by: format!("psosc {}", super::VERSION),
        flow: &flow.file_name,
        devices: flow
            .devices
            .iter()
            .enumerate()
            .map(|(index, device)| PlanDevice {
                name: &device.name,
                board: device.board.name(),
                nodes: flow
                    .nodes_on(index)
                    .map(|(_, node)| PlanNode {
                        id: &node.id,
                        name: &node.name,
                        type_name: &node.type_name,
                        placement: match &node.placement {
                            Placement::PinnedByProperty => PlanPlacement::PinnedByProperty,
                            Placement::PinnedByEnv { scope_id } => {
                                PlanPlacement::PinnedByEnv { scope: scope_id }
                            }
                            Placement::OnlyDevice => PlanPlacement::OnlyDevice,
                        },
                    })
                    .collect(),
            })
            .collect(),
        cut: Vec::new(),
        cost: 0,
    };
    // Plain strings and numbers always serialise.
    let mut text = serde_json::to_string_pretty(&plan).unwrap_or_default();
    text.push('\n');
    text
}
