//! The plan as a picture: SVG, or an HTML page with the SVG and tables.
//! Nodes are boxes filled in their device's colour and marked pinned or
//! placed; local wires are grey arrows; wires between devices are dashed
//! MQTT-purple arrows labelled with their topics; a legend names each
//! device with its board and load.
//!
//! `layout-rs` lays the graph out (layered, left to right, as Node-RED
//! draws flows) and hands every shape to [`Recorder`]; this module draws
//! them itself, so the SVG's look and its bytes are ours: the same flow
//! gives the same picture, whatever the hash seed. Should the layout fail
//! on some graph, the nodes are drawn in a grid instead, one column per
//! device, rather than psosc failing.

use std::fmt::Write;

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::text::load_text;
use super::{device_colours, Plan, PlanPlacement, MQTT_COLOUR};
use crate::ir::{Flow, Placement};
use crate::place::topic;

const FONT_SIZE: usize = 13;
const MARGIN: f64 = 20.0;
const LEGEND_LINE: f64 = 22.0;
const LOCAL_COLOUR: &str = "#777777";

/// A box the layout placed: the node's index, top-left corner and size.
struct NodeBox {
    node: usize,
    at: Point,
    size: Point,
}

/// A wire the layout routed: the wire's index and its bezier path in the
/// form layout-rs gives (exit vector, then entry vectors), with whether
/// it has heads at its start and end (a wire on a loop may be reversed).
struct WirePath {
    wire: usize,
    path: Vec<(Point, Point)>,
    heads: (bool, bool),
}

/// What the layout drew, kept to be drawn again our way.
#[derive(Default)]
struct Recorder {
    boxes: Vec<NodeBox>,
    paths: Vec<WirePath>,
    /// Edge labels, which layout-rs places on connectors between nodes.
    labels: Vec<(Point, String)>,
    /// The next text is a node's own label, which we draw from the box.
    skip_next_text: bool,
}

impl RenderBackend for Recorder {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        if let Some(node) = properties.as_deref().and_then(|p| p.strip_prefix('n')) {
            if let Ok(node) = node.parse() {
                self.boxes.push(NodeBox { node, at: xy, size });
                self.skip_next_text = true;
            }
        }
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, xy: Point, text: &str, _look: &StyleAttr) {
        if std::mem::take(&mut self.skip_next_text) {
            return;
        }
        if !text.is_empty() {
            self.labels.push((xy, text.to_string()));
        }
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        heads: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        text: &str,
    ) {
        let Some(wire) = properties
            .as_deref()
            .and_then(|p| p.strip_prefix('w'))
            .and_then(|wire| wire.parse().ok())
        else {
            return;
        };
        if path.len() >= 2 {
            self.paths.push(WirePath {
                wire,
                path: path.to_vec(),
                heads,
            });
            if !text.is_empty() {
                if let Some((_, middle)) = path.get(path.len() / 2) {
                    self.labels.push((*middle, text.to_string()));
                }
            }
        }
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

/// A node's label in its box: its name (or id), then its type and how it
/// came to its device.
fn box_lines(flow: &Flow, node: usize) -> (String, String) {
    let Some(node) = flow.nodes.get(node) else {
        return (String::new(), String::new());
    };
    let name = if node.name.is_empty() {
        node.id.clone()
    } else {
        node.name.clone()
    };
    let how = match node.placement {
        Placement::PinnedByProperty | Placement::PinnedByEnv(_) => "pinned",
        Placement::Placed => "placed",
        Placement::OnlyDevice => "",
    };
    let second = if how.is_empty() {
        node.type_name.clone()
    } else {
        format!("{} · {how}", node.type_name)
    };
    (name, second)
}

/// Lays the flow out with layout-rs.
fn layout(flow: &Flow) -> Recorder {
    let orientation = Orientation::LeftToRight;
    let mut graph = VisualGraph::new(orientation);
    let mut handles = Vec::with_capacity(flow.nodes.len());
    for index in 0..flow.nodes.len() {
        let (first, second) = box_lines(flow, index);
        let shape = ShapeKind::new_box(&format!("{first}\n{second}"));
        let look = StyleAttr::new(Color::new(0x0000_00ff), 1, None, 6, FONT_SIZE);
        let size = get_shape_size(orientation, &shape, FONT_SIZE, false);
        let element =
            Element::create_with_properties(shape, look, orientation, size, format!("n{index}"));
        handles.push(graph.add_node(element));
    }
    for (index, wire) in flow.wires.iter().enumerate() {
        let (Some(from), Some(to)) = (handles.get(wire.from), handles.get(wire.to)) else {
            continue;
        };
        let cut = is_cut(flow, wire.from, wire.to);
        let text = if cut {
            topic::wire_topic(flow.name(), node_id(flow, wire.from), wire.port)
        } else {
            String::new()
        };
        let style = if cut {
            LineStyleKind::Dashed
        } else {
            LineStyleKind::Normal
        };
        let arrow = Arrow::with_properties(
            LineEndKind::None,
            LineEndKind::Arrow,
            style,
            &text,
            &StyleAttr::simple(),
            format!("w{index}"),
            &None,
            &None,
        );
        graph.add_edge(arrow, *from, *to);
    }
    let mut recorder = Recorder::default();
    if !flow.nodes.is_empty() {
        graph.do_it(false, false, false, &mut recorder);
    }
    recorder
}

/// One column per device, one row per node: what the picture falls back
/// on when the layout cannot be made.
fn grid(flow: &Flow) -> Recorder {
    let mut recorder = Recorder::default();
    let mut rows = vec![0usize; flow.devices.len().max(1)];
    let column_width = 260.0;
    for (index, node) in flow.nodes.iter().enumerate() {
        let column = node.device.min(rows.len() - 1);
        let row = rows[column];
        rows[column] += 1;
        recorder.boxes.push(NodeBox {
            node: index,
            at: Point::new(column as f64 * column_width, row as f64 * 60.0),
            size: Point::new(column_width - 60.0, 40.0),
        });
    }
    for (index, wire) in flow.wires.iter().enumerate() {
        let center = |node: usize| {
            recorder
                .boxes
                .iter()
                .find(|b| b.node == node)
                .map(|b| Point::new(b.at.x + b.size.x / 2.0, b.at.y + b.size.y / 2.0))
        };
        if let (Some(from), Some(to)) = (center(wire.from), center(wire.to)) {
            recorder.paths.push(WirePath {
                wire: index,
                path: vec![(from, from), (to, to)],
                heads: (false, true),
            });
        }
    }
    recorder
}

fn is_cut(flow: &Flow, from: usize, to: usize) -> bool {
    let device = |node: usize| flow.nodes.get(node).map(|node| node.device);
    device(from) != device(to)
}

fn node_id(flow: &Flow, node: usize) -> &str {
    flow.nodes.get(node).map_or("", |node| node.id.as_str())
}

/// The flow as an SVG picture.
pub fn svg(flow: &Flow) -> String {
    let plan = Plan::new(flow);
    // layout-rs asserts on graphs it cannot handle; a picture in a grid is
    // better than no picture, and psosc must not stop on any flow.
    let recorded = std::panic::catch_unwind(|| layout(flow)).unwrap_or_else(|_| grid(flow));
    draw(flow, &plan, &recorded)
}

/// Numbers in the SVG: one decimal, so that the file reads well and stays
/// the same from machine to machine.
fn n(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded}")
    }
}

fn draw(flow: &Flow, plan: &Plan, recorded: &Recorder) -> String {
    // The graph's extent, to shift it below the legend.
    let mut min = Point::new(f64::MAX, f64::MAX);
    let mut max = Point::new(f64::MIN, f64::MIN);
    let mut grow = |point: Point| {
        min = Point::new(min.x.min(point.x), min.y.min(point.y));
        max = Point::new(max.x.max(point.x), max.y.max(point.y));
    };
    for node_box in &recorded.boxes {
        grow(node_box.at);
        grow(Point::new(
            node_box.at.x + node_box.size.x,
            node_box.at.y + node_box.size.y,
        ));
    }
    for wire in &recorded.paths {
        for (a, b) in &wire.path {
            grow(*a);
            grow(*b);
        }
    }
    for (at, text) in &recorded.labels {
        let half = text.chars().count() as f64 * FONT_SIZE as f64 * 0.3;
        grow(Point::new(at.x - half, at.y));
        grow(Point::new(at.x + half, at.y));
    }
    if min.x > max.x {
        min = Point::new(0.0, 0.0);
        max = Point::new(0.0, 0.0);
    }
    let legend_height = LEGEND_LINE * (plan.devices.len() as f64 + 2.0);
    let dx = MARGIN - min.x;
    let dy = MARGIN + legend_height - min.y;
    let at = |point: Point| (n(point.x + dx), n(point.y + dy));
    let title = format!(
        "{}: {} device{}, {} wire{} between devices (weight {} bytes a minute{})",
        plan.flow,
        plan.devices.len(),
        if plan.devices.len() == 1 { "" } else { "s" },
        plan.cut.len(),
        if plan.cut.len() == 1 { "" } else { "s" },
        plan.cost,
        if plan.optimal {
            ", the least possible"
        } else {
            ""
        }
    );
    let legend_width = plan
        .devices
        .iter()
        .map(|device| {
            device.name.chars().count()
                + device.board.len()
                + load_text(device.estimate, device.budget).len()
                + 24
        })
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0) as f64
        * FONT_SIZE as f64
        * 0.6;
    let width = (max.x - min.x + 2.0 * MARGIN).max(legend_width + 2.0 * MARGIN);
    let height = max.y - min.y + 2.0 * MARGIN + legend_height;

    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}">"#,
        w = n(width),
        h = n(height)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        out,
        r##"<defs><marker id="local-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{LOCAL_COLOUR}"/></marker><marker id="mqtt-head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{MQTT_COLOUR}"/></marker></defs>"##
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="{}" font-weight="bold">{}</text>"#,
        n(MARGIN),
        n(MARGIN + 4.0),
        FONT_SIZE + 2,
        escape(&title)
    );
    for (index, device) in plan.devices.iter().enumerate() {
        let (strong, light) = device_colours(index);
        let y = MARGIN + LEGEND_LINE * (index as f64 + 1.0);
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="16" height="14" rx="3" fill="{light}" stroke="{strong}" stroke-width="2"/><text x="{}" y="{}"><tspan font-weight="bold">{}</tspan> ({}) · {} node{} · {}</text>"#,
            n(MARGIN),
            n(y - 7.0),
            n(MARGIN + 24.0),
            n(y + 4.0),
            escape(&device.name),
            escape(device.board),
            device.nodes.len(),
            if device.nodes.len() == 1 { "" } else { "s" },
            escape(&load_text(device.estimate, device.budget))
        );
    }
    if !plan.cut.is_empty() {
        let y = MARGIN + LEGEND_LINE * (plan.devices.len() as f64 + 1.0);
        let _ = writeln!(
            out,
            r#"<path d="M{} {}h16" stroke="{MQTT_COLOUR}" stroke-width="2" stroke-dasharray="5,3"/><text x="{}" y="{}">a wire between devices: an MQTT topic</text>"#,
            n(MARGIN),
            n(y),
            n(MARGIN + 24.0),
            n(y + 4.0)
        );
    }

    for wire_path in &recorded.paths {
        let Some(wire) = flow.wires.get(wire_path.wire) else {
            continue;
        };
        let cut = is_cut(flow, wire.from, wire.to);
        let (colour, head, extra) = if cut {
            (
                MQTT_COLOUR,
                "mqtt-head",
                r#" stroke-width="2" stroke-dasharray="6,4""#,
            )
        } else {
            (LOCAL_COLOUR, "local-head", r#" stroke-width="1.5""#)
        };
        let mut d = String::new();
        if let [(start, exit), (entry, end), rest @ ..] = wire_path.path.as_slice() {
            let (x0, y0) = at(*start);
            let (x1, y1) = at(*exit);
            let (x2, y2) = at(*entry);
            let (x3, y3) = at(*end);
            let _ = write!(d, "M{x0} {y0}C{x1} {y1} {x2} {y2} {x3} {y3}");
            for (control, point) in rest {
                let (cx, cy) = at(*control);
                let (px, py) = at(*point);
                let _ = write!(d, "S{cx} {cy} {px} {py}");
            }
        }
        let heads = match wire_path.heads {
            (true, true) => format!(r#" marker-start="url(#{head})" marker-end="url(#{head})""#),
            (true, false) => format!(r#" marker-start="url(#{head})""#),
            (false, true) => format!(r#" marker-end="url(#{head})""#),
            (false, false) => String::new(),
        };
        let tip = if cut {
            format!(
                "MQTT {}: about {} bytes a minute",
                topic::wire_topic(flow.name(), node_id(flow, wire.from), wire.port),
                wire.weight
            )
        } else {
            format!("about {} bytes a minute", wire.weight)
        };
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="none" stroke="{colour}"{extra}{heads}><title>{}</title></path>"#,
            escape(&tip)
        );
    }
    for (point, text) in &recorded.labels {
        let (x, y) = at(*point);
        let _ = writeln!(
            out,
            r##"<text x="{x}" y="{y}" text-anchor="middle" dominant-baseline="middle" fill="{MQTT_COLOUR}" stroke="#ffffff" stroke-width="4" paint-order="stroke" font-size="{}">{}</text>"##,
            FONT_SIZE - 1,
            escape(text)
        );
    }
    for node_box in &recorded.boxes {
        let Some(node) = flow.nodes.get(node_box.node) else {
            continue;
        };
        let (strong, light) = device_colours(node.device);
        let (x, y) = at(node_box.at);
        let (first, second) = box_lines(flow, node_box.node);
        let center = node_box.at.x + node_box.size.x / 2.0 + dx;
        let middle = node_box.at.y + node_box.size.y / 2.0 + dy;
        let how = super::placement_text(&PlanPlacement::of(&node.placement));
        let device_name = plan
            .devices
            .get(node.device)
            .map_or("", |device| device.name.as_str());
        let border = match node.placement {
            Placement::Placed | Placement::OnlyDevice => "1.5",
            _ => "3",
        };
        let _ = writeln!(
            out,
            r##"<g><title>{}</title><rect x="{x}" y="{y}" width="{}" height="{}" rx="6" fill="{light}" stroke="{strong}" stroke-width="{border}"/><text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text><text x="{}" y="{}" text-anchor="middle" fill="#444444" font-size="{}">{}</text></g>"##,
            escape(&format!(
                "{} {} on {device_name}: {how}",
                node.type_name, node.id
            )),
            n(node_box.size.x),
            n(node_box.size.y),
            n(center),
            n(middle - 3.0),
            escape(&first),
            n(center),
            n(middle + FONT_SIZE as f64 - 1.0),
            FONT_SIZE - 2,
            escape(&second)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The flow as an HTML page: the picture, then each device's nodes and
/// the MQTT topics in tables.
pub fn html(flow: &Flow) -> String {
    let plan = Plan::new(flow);
    let mut out = String::new();
    let _ = writeln!(out, "<!DOCTYPE html>");
    let _ = writeln!(
        out,
        "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Plan of {}</title>",
        escape(&plan.flow)
    );
    let _ = writeln!(
        out,
        "<style>\nbody {{ font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin-bottom: 1.5em; }}\n\
         th, td {{ text-align: left; padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; }}\n\
         code {{ font-size: 0.95em; }}\n\
         .swatch {{ display: inline-block; width: 0.9em; height: 0.9em; border-radius: 3px; border: 2px solid; vertical-align: middle; margin-right: 0.4em; }}\n\
         </style>\n</head>\n<body>"
    );
    let _ = writeln!(out, "<h1>Plan of {}</h1>", escape(&plan.flow));
    out.push_str(&svg(flow));
    for (index, device) in plan.devices.iter().enumerate() {
        let (strong, light) = device_colours(index);
        let _ = writeln!(
            out,
            "<h2><span class=\"swatch\" style=\"background: {light}; border-color: {strong}\"></span>{} <small>({})</small></h2>\n<p>{}</p>",
            escape(&device.name),
            escape(device.board),
            escape(&load_text(device.estimate, device.budget))
        );
        let _ = writeln!(
            out,
            "<table>\n<tr><th>node</th><th>type</th><th>id</th><th>why here</th></tr>"
        );
        for node in &device.nodes {
            let how = match &node.placement {
                PlanPlacement::Placed => "<strong>placed by psosc</strong>".to_string(),
                other => escape(&super::placement_text(other)),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{how}</td></tr>",
                escape(&node.name),
                escape(&node.type_name),
                escape(&node.id)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(out, "<h2>Wires between devices</h2>");
    if plan.cut.is_empty() {
        let _ = writeln!(out, "<p>None: every wire runs within one device.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table>\n<tr><th>from</th><th>port</th><th>to</th><th>bytes a minute</th><th>MQTT topic</th></tr>"
        );
        for wire in &plan.cut {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code> on {}</td><td>{}</td><td><code>{}</code> on {}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&wire.from),
                escape(&wire.from_device),
                wire.port,
                escape(&wire.to),
                escape(&wire.to_device),
                wire.weight,
                escape(&wire.topic)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(
        out,
        "<p>Total weight of the wires between devices: {} bytes a minute{}.</p>\n</body>\n</html>",
        plan.cost,
        if plan.optimal {
            ", the least the pins and budgets allow"
        } else {
            ""
        }
    );
    out
}

/// Text for SVG and HTML: `&`, `<`, `>` and quotes as entities, and no
/// control characters, which XML does not allow.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\t' | '\n' => escaped.push(' '),
            control if control.is_control() => {}
            other => escaped.push(other),
        }
    }
    escaped
}
