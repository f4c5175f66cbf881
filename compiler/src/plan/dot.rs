//! The plan as Graphviz DOT: a cluster per device holding its nodes,
//! filled in the device's colour; local wires solid; wires between devices
//! dashed in MQTT's colour and labelled with their topics. `dot -Tsvg`
//! draws it; `psosc plan --format svg` draws a picture without Graphviz.

use std::fmt::Write;

use super::text::load_text;
use super::{device_colours, node_label, placement_text, Plan, MQTT_COLOUR};
use crate::ir::Flow;
use crate::place::topic;

pub fn dot(flow: &Flow) -> String {
    let plan = super::Plan::new(flow);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "digraph {} {{", quote(plan.flow_name()));
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(
        out,
        "  label={};",
        quote(&format!(
            "{}: {} wires between devices, weight {}",
            plan.flow,
            plan.cut.len(),
            plan.cost
        ))
    );
    let _ = writeln!(out, "  labelloc=t;");
    let _ = writeln!(out, "  fontname=\"Helvetica\";");
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];"
    );
    let _ = writeln!(out, "  edge [color=\"#555555\"];");
    write_clusters(&mut out, &plan);
    for wire in &flow.wires {
        let (Some(from), Some(to)) = (flow.nodes.get(wire.from), flow.nodes.get(wire.to)) else {
            continue;
        };
        let attributes = if from.device != to.device {
            format!(
                " [style=dashed, color=\"{MQTT_COLOUR}\", fontcolor=\"{MQTT_COLOUR}\", penwidth=2, label={}, tooltip={}]",
                quote(&topic::wire_topic(flow.name(), &from.id, wire.port)),
                quote(&format!("MQTT, about {} bytes a minute", wire.weight))
            )
        } else {
            format!(
                " [tooltip={}]",
                quote(&format!("about {} bytes a minute", wire.weight))
            )
        };
        let _ = writeln!(
            out,
            "  {} -> {}{attributes};",
            quote(&from.id),
            quote(&to.id)
        );
    }
    out.push_str("}\n");
    out
}

fn write_clusters(out: &mut String, plan: &Plan) {
    for (index, device) in plan.devices.iter().enumerate() {
        let (strong, light) = device_colours(index);
        let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{index}")));
        let _ = writeln!(
            out,
            "    label={};",
            quote(&format!(
                "{} ({})\n{}",
                device.name,
                device.board,
                load_text(device.estimate, device.budget)
            ))
        );
        let _ = writeln!(
            out,
            "    style=\"rounded\"; color=\"{strong}\"; penwidth=2;"
        );
        for node in &device.nodes {
            let _ = writeln!(
                out,
                "    {} [label={}, fillcolor=\"{light}\", color=\"{strong}\", tooltip={}];",
                quote(&node.id),
                quote(&format!("{}\n{}", node_label(node), node.type_name)),
                quote(&format!("{}: {}", node.id, placement_text(&node.placement)))
            );
        }
        out.push_str("  }\n");
    }
}

/// A DOT string: in double quotes, with `"` and `\` escaped and line
/// breaks as `\n`, so no text from the flow can end it early.
pub(super) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => {}
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_keep_flow_text_inside() {
        assert_eq!(quote("a"), "\"a\"");
        assert_eq!(quote("say \"hi\"\\\n"), "\"say \\\"hi\\\"\\\\\\n\"");
    }
}
