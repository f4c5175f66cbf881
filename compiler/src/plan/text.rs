//! The plan as text for a terminal: a summary line, each device with its
//! load and its nodes (why each is there), then the wires between devices
//! with their MQTT topics.

use std::fmt::Write;

use super::{bytes_text, node_label, placement_text, Amount, Plan};
use crate::ir::Flow;

pub fn text(flow: &Flow) -> String {
    let plan = &Plan::new(flow);
    let mut out = String::new();
    let n_cut = plan.cut.len();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{}: {} device{}, {} node{}, {} wire{} between devices (weight {} bytes a minute{})",
        plan.flow,
        plan.devices.len(),
        plural(plan.devices.len()),
        plan.n_nodes(),
        plural(plan.n_nodes()),
        n_cut,
        plural(n_cut),
        plan.cost,
        if plan.optimal {
            ", the least possible"
        } else {
            ""
        },
    );
    for device in &plan.devices {
        let _ = writeln!(
            out,
            "\n{} ({}): {}",
            device.name,
            device.board,
            load_text(device.estimate, device.budget)
        );
        let type_width = column_width(device.nodes.iter().map(|node| node.type_name.as_str()));
        let label_width = column_width(device.nodes.iter().map(|node| quoted(node_label(node))));
        let id_width = column_width(device.nodes.iter().map(|node| node.id.as_str()));
        for node in &device.nodes {
            let _ = writeln!(
                out,
                "  {:type_width$}  {:label_width$}  {:id_width$}  {}",
                node.type_name,
                quoted(node_label(node)),
                node.id,
                placement_text(&node.placement),
            );
        }
        if device.nodes.is_empty() {
            let _ = writeln!(out, "  (no nodes)");
        }
    }
    if !plan.cut.is_empty() {
        let _ = writeln!(out, "\nwires between devices, each an MQTT topic:");
        for wire in &plan.cut {
            let _ = writeln!(
                out,
                "  {} port {} ({}) -> {} ({})  weight {}  topic {}",
                wire.from,
                wire.port,
                wire.from_device,
                wire.to,
                wire.to_device,
                wire.weight,
                wire.topic
            );
        }
    }
    out
}

/// `flash 14 KiB of 256 KiB, RAM 3 KiB of 64 KiB`.
pub(super) fn load_text(estimate: Amount, budget: Amount) -> String {
    format!(
        "flash {} of {}, RAM {} of {}",
        bytes_text(estimate.flash),
        bytes_text(budget.flash),
        bytes_text(estimate.ram),
        bytes_text(budget.ram)
    )
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}

fn column_width<S: AsRef<str>>(cells: impl Iterator<Item = S>) -> usize {
    cells
        .map(|cell| cell.as_ref().chars().count())
        .max()
        .unwrap_or(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
