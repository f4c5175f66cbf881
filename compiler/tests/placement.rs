//! Placement as psosc does it on flows: pins are respected and budgets
//! never exceeded on the example flows and on generated ones, the plan is
//! the same from process to process, a small edit to a flow moves few
//! nodes, and the plan of flows/greenhouse.json reads as its goldens say.
//!
//! To accept new goldens (`tests/plans/`, `docs/greenhouse.svg`):
//! `PSOS_BLESS=1 cargo test -p psosc --test placement`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use psosc::ir::Flow;
use psosc::{Diagnostic, SourceFile};
use serde_json::{json, Value};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn no_environment(_: &str) -> Option<String> {
    None
}

/// The only caller of `psosc::plan` here. It checks what must hold of every
/// plan: each node on a device, no device over its budget, the cost equal to
/// the weight of the wires between devices, and one topic per sending port.
fn plan(name: &str, flow: &Value, previous: Option<&Flow>) -> (Option<Flow>, Vec<Diagnostic>) {
    let source = SourceFile::new(name, flow.to_string());
    let previous = previous.and_then(|flow| psosc::plan::read_previous(&psosc::plan::json(flow)));
    let options = psosc::Options {
        previous: previous.as_ref(),
    };
    let (flow, diagnostics) = psosc::plan(&source, &no_environment, &options);
    if let Some(flow) = &flow {
        let mut load = vec![psosc::ir::Resources::ZERO; flow.devices.len()];
        for node in &flow.nodes {
            assert!(
                node.device < flow.devices.len(),
                "{} has no device",
                node.id
            );
            load[node.device] = load[node.device].saturating_add(node.resources);
        }
        for (device, load) in flow.devices.iter().zip(&load) {
            assert!(
                device.load.fits_within(device.budget),
                "{device:?} overflows"
            );
            assert!(load.fits_within(device.load), "{device:?} misses its nodes");
        }
        let cut: u64 = flow.cut_wires().map(|wire| wire.weight).sum();
        assert_eq!(cut, flow.cost, "the cost is the weight of the cut wires");
        let plan = psosc::plan::Plan::new(flow);
        let mut topics = BTreeMap::new();
        for wire in &plan.cut {
            let sender = (wire.from.clone(), wire.port);
            assert_eq!(
                topics.entry(wire.topic.clone()).or_insert(sender.clone()),
                &sender,
                "one topic per sending port"
            );
        }
    }
    (flow, diagnostics)
}

fn example_flows() -> Vec<(String, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo_root().join("flows"))
        .expect("flows/ exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("readable");
            let name = path.file_name().expect("a file").to_string_lossy().into();
            (name, serde_json::from_str(&text).expect("a flow is JSON"))
        })
        .collect()
}

/// A random flow: devices on both boards with random budgets, a tab and
/// nested groups that may set PSOS_DEVICE, and inject → switch/change →
/// debug graphs whose nodes may pin themselves. Returns the flow and the
/// device each pinned node must end on.
fn generated_flow(
    rng: &mut fastrand::Rng,
    n_devices: usize,
    n_nodes: usize,
) -> (Value, BTreeMap<String, String>) {
    let mut objects = Vec::new();
    let devices: Vec<String> = (0..n_devices).map(|d| format!("dev{d}")).collect();
    for name in &devices {
        let mut device = json!({"id": format!("id-{name}"), "type": "psos-device", "name": name});
        if rng.bool() {
            device["board"] = json!("qemu-lm3s6965");
            // The runtime, its shared code and an MQTT session take
            // 119 KiB; room for none to a few dozen nodes.
            device["flash"] = json!(format!("{}K", rng.u32(120..141)));
        } else {
            device["board"] = json!("host");
        }
        objects.push(device);
    }
    let env = |device: &str| json!([{"name": "PSOS_DEVICE", "value": device, "type": "str"}]);
    let tab_pin = rng.bool().then(|| devices[rng.usize(..n_devices)].clone());
    let mut tab = json!({"id": "tab", "type": "tab", "label": "Generated"});
    if let Some(device) = &tab_pin {
        tab["env"] = env(device);
    }
    objects.push(tab);
    // g1 lies inside g0; g2 stands alone.
    let group_pins: Vec<Option<String>> = (0..3)
        .map(|_| (rng.u8(..3) == 0).then(|| devices[rng.usize(..n_devices)].clone()))
        .collect();
    for (index, pin) in group_pins.iter().enumerate() {
        let mut group = json!({"id": format!("g{index}"), "type": "group", "z": "tab"});
        if index == 1 {
            group["g"] = json!("g0");
        }
        if let Some(device) = pin {
            group["env"] = env(device);
        }
        objects.push(group);
    }
    let mut pins = BTreeMap::new();
    for index in 0..n_nodes {
        let id = format!("n{index}");
        let is_last = index + 1 == n_nodes;
        let mut node = match rng.u8(..4) {
            0 => {
                json!({"type": "inject", "repeat": format!("{}", rng.u32(1..30)), "payload": "x".repeat(rng.usize(1..40)), "payloadType": "str"})
            }
            1 => {
                json!({"type": "change", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "y".repeat(rng.usize(1..60)), "tot": "str"}]})
            }
            2 => {
                json!({"type": "switch", "property": "payload", "rules": [{"t": "eq", "v": "a", "vt": "str"}, {"t": "else"}], "checkall": "false"})
            }
            _ => json!({"type": "debug"}),
        };
        if is_last {
            node = json!({"type": "debug"});
        }
        node["id"] = json!(id);
        node["z"] = json!("tab");
        let group = match rng.u8(..4) {
            0 => Some(0),
            1 => Some(1),
            2 => Some(2),
            _ => None,
        };
        if let Some(group) = group {
            node["g"] = json!(format!("g{group}"));
        }
        // Innermost scope first: g1, then g0 around it, then the tab.
        let scope_pin = match group {
            Some(1) => group_pins[1].clone().or_else(|| group_pins[0].clone()),
            Some(group) => group_pins[group].clone(),
            None => None,
        }
        .or_else(|| tab_pin.clone());
        if rng.u8(..5) == 0 {
            // A node's own device agrees with its scope, or there would be
            // a conflict (which has its own test).
            let device = scope_pin
                .clone()
                .unwrap_or_else(|| devices[rng.usize(..n_devices)].clone());
            node["device"] = json!(device);
            pins.insert(id.clone(), device);
        } else if let Some(device) = scope_pin {
            pins.insert(id.clone(), device);
        }
        let n_ports = match node["type"].as_str() {
            Some("switch") => 2,
            Some("debug") => 0,
            _ => 1,
        };
        // Wires lead forward only: loops are refused and have their test.
        let ports: Vec<Vec<String>> = (0..n_ports)
            .map(|_| {
                (0..rng.usize(1..3))
                    .filter(|_| index + 1 < n_nodes)
                    .map(|_| format!("n{}", rng.usize(index + 1..n_nodes)))
                    .collect()
            })
            .collect();
        node["wires"] = json!(ports);
        objects.push(node);
    }
    (Value::Array(objects), pins)
}

#[test]
fn pins_hold_and_budgets_are_kept_on_example_and_generated_flows() {
    for (name, flow) in example_flows() {
        let (placed, diagnostics) = plan(&name, &flow, None);
        let placed = placed.unwrap_or_else(|| panic!("{name}: {diagnostics:#?}"));
        // Every node pinned in the file stays where it is pinned.
        for node in &placed.nodes {
            let raw = flow
                .as_array()
                .and_then(|nodes| nodes.iter().find(|raw| raw["id"] == node.id.as_str()))
                .expect("the node is in the file");
            if let Some(device) = raw["device"].as_str() {
                assert_eq!(
                    placed.devices[node.device].name, device,
                    "{name}: {}",
                    node.id
                );
            }
        }
    }
    let mut rng = fastrand::Rng::with_seed(17);
    let (mut placed, mut refused) = (0, 0);
    for round in 0..150 {
        let n_devices = 1 + round % 4;
        let n_nodes = rng.usize(1..40);
        let (flow, pins) = generated_flow(&mut rng, n_devices, n_nodes);
        let (result, diagnostics) = plan("generated.json", &flow, None);
        match result {
            Some(result) => {
                placed += 1;
                // Every form of the plan can be drawn.
                for shown in [
                    psosc::plan::text(&result),
                    psosc::plan::dot(&result),
                    psosc::plan::svg(&result),
                    psosc::plan::html(&result),
                ] {
                    assert!(!shown.is_empty());
                }
                for node in &result.nodes {
                    if let Some(device) = pins.get(&node.id) {
                        assert_eq!(&result.devices[node.device].name, device, "{flow}");
                    }
                }
            }
            None => {
                refused += 1;
                // Only the budgets may refuse a generated flow.
                for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
                    assert!(
                        matches!(
                            diagnostic.code.as_str(),
                            "psosc::device::over_budget" | "psosc::device::no_room"
                        ),
                        "{}\n{flow}",
                        diagnostic.headline()
                    );
                }
            }
        }
    }
    println!("generated flows: {placed} placed, {refused} over their budgets");
    assert!(placed >= 75, "most generated flows fit: {placed} of 150");
}

/// One random edit a user makes in the editor: a node added and wired, a
/// free node removed with its wires, an interval changed, or a wire added.
fn edit(rng: &mut fastrand::Rng, flow: &mut Value) {
    let Some(objects) = flow.as_array_mut() else {
        return;
    };
    let runtime: Vec<usize> = (0..objects.len())
        .filter(|&index| {
            matches!(
                objects[index]["type"].as_str(),
                Some("inject" | "change" | "switch" | "debug")
            )
        })
        .collect();
    if runtime.is_empty() {
        return;
    }
    let pick = runtime[rng.usize(..runtime.len())];
    match rng.u8(..4) {
        0 => {
            // A debug node fed by a node with outputs.
            let id = format!("added-{}", rng.u32(..));
            let mut added = json!({"id": id, "type": "debug", "wires": []});
            if let Some(z) = objects[pick].get("z").cloned() {
                added["z"] = z;
            }
            if let Some(port) = objects[pick]["wires"]
                .as_array_mut()
                .and_then(|ports| ports.first_mut())
                .and_then(Value::as_array_mut)
            {
                port.push(json!(id));
            }
            objects.push(added);
        }
        1 if objects[pick].get("device").is_none() => {
            let id = objects[pick]["id"].clone();
            objects.remove(pick);
            for object in objects.iter_mut() {
                if let Some(ports) = object["wires"].as_array_mut() {
                    for port in ports.iter_mut().filter_map(Value::as_array_mut) {
                        port.retain(|target| *target != id);
                    }
                }
            }
        }
        2 if objects[pick]["type"] == "inject" => {
            objects[pick]["repeat"] = json!(format!("{}", rng.u32(1..60)));
        }
        _ => {
            let target = runtime[rng.usize(..runtime.len())];
            let target_id = objects[target]["id"].clone();
            // Forward only, so that the edit makes no loop.
            if target > pick && objects[target]["type"] != "inject" {
                if let Some(port) = objects[pick]["wires"]
                    .as_array_mut()
                    .and_then(|ports| ports.first_mut())
                    .and_then(Value::as_array_mut)
                {
                    port.push(target_id);
                }
            }
        }
    }
}

/// Nodes in both placements whose device changed.
fn moved(before: &Flow, after: &Flow) -> usize {
    let device_of: BTreeMap<&str, &str> = before
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), before.devices[node.device].name.as_str()))
        .collect();
    after
        .nodes
        .iter()
        .filter(|node| {
            device_of
                .get(node.id.as_str())
                .is_some_and(|device| *device != after.devices[node.device].name)
        })
        .count()
}

/// Applies random single-node edits to each flow and rebuilds with the
/// previous plan as the hint; returns (edits, nodes moved in all, most moved).
fn measure_stability(
    rng: &mut fastrand::Rng,
    flows: &[(String, Value)],
    edits_per_flow: usize,
) -> (usize, usize, usize) {
    let (mut edits, mut total, mut worst) = (0, 0, 0);
    for (name, flow) in flows {
        let Some(before) = plan(name, flow, None).0 else {
            continue;
        };
        for _ in 0..edits_per_flow {
            let mut edited = flow.clone();
            edit(rng, &mut edited);
            let Some(after) = plan(name, &edited, Some(&before)).0 else {
                continue;
            };
            let n_moved = moved(&before, &after);
            edits += 1;
            total += n_moved;
            worst = worst.max(n_moved);
        }
    }
    (edits, total, worst)
}

#[test]
fn a_single_node_edit_moves_few_nodes() {
    let mut rng = fastrand::Rng::with_seed(23);
    let examples = example_flows();
    let (edits, total, worst) = measure_stability(&mut rng, &examples, 40);
    let mean = total as f64 / edits.max(1) as f64;
    println!("stability on flows/*.json: {edits} random single-node edits, {mean:.3} nodes moved on average, {worst} at most");
    assert!(edits >= 40, "the edits apply: {edits}");
    assert!(
        mean <= 0.5,
        "{mean} nodes moved per edit on the example flows"
    );

    // Larger flows with more free nodes and binding budgets say more.
    let generated: Vec<(String, Value)> = (0..12)
        .map(|round| {
            let (flow, _) = generated_flow(&mut rng, 2 + round % 3, 60);
            ("generated.json".to_string(), flow)
        })
        .collect();
    let (edits, total, worst) = measure_stability(&mut rng, &generated, 10);
    let mean = total as f64 / edits.max(1) as f64;
    println!("stability on generated 60-node flows: {edits} edits, {mean:.3} nodes moved on average, {worst} at most");
    assert!(mean <= 6.0, "{mean} nodes moved per edit on 60-node flows");
}

fn psosc(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_psosc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("psosc starts")
}

#[test]
fn plans_are_byte_identical_across_processes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut rng = fastrand::Rng::with_seed(99);
    // A flow with free nodes on several devices and wires between them.
    let (mut flow, _) = generated_flow(&mut rng, 3, 40);
    // Three pins far apart on roomy devices, every other node free.
    for object in flow.as_array_mut().into_iter().flatten() {
        if let Some(object) = object.as_object_mut() {
            object.remove("env");
            object.remove("device");
            if object["type"] == "psos-device" {
                object.insert("board".into(), json!("host"));
                object.remove("flash");
            }
            let pin = match object["id"].as_str() {
                Some("n0") => Some("dev0"),
                Some("n20") => Some("dev1"),
                Some("n39") => Some("dev2"),
                _ => None,
            };
            if let Some(device) = pin {
                object.insert("device".into(), json!(device));
            }
        }
    }
    std::fs::write(dir.path().join("flow.json"), flow.to_string()).expect("writable");
    for format in ["text", "json", "dot", "svg", "html"] {
        let outputs: Vec<Vec<u8>> = (0..2)
            .map(|_| {
                let output = psosc(&["plan", "flow.json", "--format", format], dir.path());
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                output.stdout
            })
            .collect();
        assert!(!outputs[0].is_empty());
        assert_eq!(
            outputs[0], outputs[1],
            "psosc plan --format {format} differs"
        );
    }
}

#[test]
fn plan_shows_the_topics_of_cut_wires_and_build_stays_close_to_its_last_plan() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let flow = r#"[
        {"id": "d1", "type": "psos-device", "name": "sensor", "board": "host"},
        {"id": "d2", "type": "psos-device", "name": "actuator", "board": "host"},
        {"id": "tick", "type": "inject", "device": "sensor", "repeat": "1", "wires": [["mid"]]},
        {"id": "mid", "type": "change", "rules": [], "wires": [["show"]]},
        {"id": "show", "type": "debug", "device": "actuator", "wires": []}
    ]"#;
    std::fs::write(dir.path().join("cut.json"), flow).expect("writable");
    let plan = psosc(&["plan", "cut.json"], dir.path());
    assert_eq!(plan.status.code(), Some(0));
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(text.contains("placed by psosc"), "{text}");
    assert!(text.contains("topic psos/cut/"), "{text}");
    let check = psosc(
        &["check", "cut.json", "--message-format", "json"],
        dir.path(),
    );
    // Wires between devices travel over MQTT: nothing to refuse.
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // The change node may go to either device at the same cost; a previous
    // plan.json in the output directory decides, and --fresh ignores it.
    let json = |args: &[&str]| -> Value {
        let output = psosc(args, dir.path());
        serde_json::from_slice(&output.stdout).expect("the plan is JSON")
    };
    let device_of_mid = |plan: &Value| -> String {
        plan["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|device| {
                device["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|node| node["id"] == "mid")
            })
            .and_then(|device| device["name"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let fresh = json(&["plan", "cut.json", "--format", "json", "-o", "out"]);
    let other = if device_of_mid(&fresh) == "sensor" {
        "actuator"
    } else {
        "sensor"
    };
    let mut previous = fresh.clone();
    for device in previous["devices"].as_array_mut().into_iter().flatten() {
        let is_other = device["name"] == other;
        let nodes = device["nodes"].as_array_mut().expect("nodes");
        nodes.retain(|node| node["id"] != "mid");
        if is_other {
            nodes.push(json!({"id": "mid"}));
        }
    }
    std::fs::create_dir_all(dir.path().join("out")).expect("writable");
    std::fs::write(
        dir.path().join("out").join("plan.json"),
        previous.to_string(),
    )
    .expect("writable");
    let kept = json(&["plan", "cut.json", "--format", "json", "-o", "out"]);
    assert_eq!(
        device_of_mid(&kept),
        other,
        "the previous plan breaks the tie"
    );
    let ignored = json(&[
        "plan", "cut.json", "--format", "json", "-o", "out", "--fresh",
    ]);
    assert_eq!(ignored, fresh);
}

/// Compares `actual` with a golden file, or writes it under PSOS_BLESS.
fn golden(path: &Path, actual: &str) {
    if std::env::var_os("PSOS_BLESS").is_some() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("writable");
        }
        std::fs::write(path, actual).expect("writable");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from what psosc shows now:\n{actual}\n(to accept it: PSOS_BLESS=1 cargo test -p psosc --test placement)",
        path.display()
    );
}

#[test]
fn the_greenhouse_plan_reads_as_its_goldens_say() {
    let root = repo_root();
    let flow_path = root.join("flows").join("greenhouse.json");
    let flow_path = flow_path.to_str().expect("a UTF-8 path");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let show = |format: &str| -> String {
        let output = psosc(
            &["plan", flow_path, "--format", format, "--fresh"],
            dir.path(),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    // `--format json` is plan.json, which generated/ keeps.
    let json = show("json");
    let plan_json =
        std::fs::read_to_string(root.join("generated").join("greenhouse").join("plan.json"))
            .expect("generated/greenhouse/plan.json");
    assert_eq!(json, plan_json, "psosc plan --format json is plan.json");
    let plan: Value = serde_json::from_str(&json).expect("JSON");
    let devices: Vec<&str> = plan["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|device| device["name"].as_str())
        .collect();
    assert_eq!(devices, ["sensor", "controller", "actuator"]);
    for device in plan["devices"].as_array().expect("devices") {
        for key in ["estimate", "budget"] {
            assert!(
                device[key]["flash"].as_u64().is_some() && device[key]["ram"].as_u64().is_some()
            );
        }
    }
    let placed: Vec<&str> = plan["devices"][1]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|node| node["placement"]["how"] == "placed")
        .filter_map(|node| node["name"].as_str())
        .collect();
    assert_eq!(placed, ["command"]);
    let topics: Vec<&str> = plan["cut"]
        .as_array()
        .expect("cut wires")
        .iter()
        .filter_map(|wire| wire["topic"].as_str())
        .collect();
    assert_eq!(
        topics,
        [
            "psos/greenhouse/9e0a0000000000a1/0",
            "psos/greenhouse/9e0a0000000000b3/0",
            "psos/greenhouse/9e0a0000000000b4/0",
            "psos/greenhouse/9e0a0000000000b5/0"
        ]
    );
    // The cost is what the cut wires weigh together, and no less is possible.
    let weights: u64 = plan["cut"]
        .as_array()
        .expect("cut wires")
        .iter()
        .filter_map(|wire| wire["weight"].as_u64())
        .sum();
    assert_eq!(plan["cost"], weights);
    assert_eq!(plan["optimal"], true);

    let plans = root.join("compiler").join("tests").join("plans");
    golden(&plans.join("greenhouse.txt"), &show("text"));
    golden(&plans.join("greenhouse.dot"), &show("dot"));
    // The README shows this picture.
    golden(&root.join("docs").join("greenhouse.svg"), &show("svg"));
}

#[test]
fn the_farm_plan_draws_its_wires_between_devices_as_mqtt_topics() {
    let root = repo_root();
    let plans = root.join("compiler").join("tests").join("plans");
    let flow_path = plans.join("farm.json");
    let flow_path = flow_path.to_str().expect("a UTF-8 path");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let show = |format: &str| -> String {
        let output = psosc(
            &["plan", flow_path, "--format", format, "--fresh"],
            dir.path(),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let plan: Value = serde_json::from_str(&show("json")).expect("JSON");
    let topics: Vec<&str> = plan["cut"]
        .as_array()
        .expect("cut")
        .iter()
        .filter_map(|wire| wire["topic"].as_str())
        .collect();
    assert_eq!(topics, ["psos/farm/tick/0", "psos/farm/tick/0"]);
    assert_eq!(plan["cost"], 3240);
    let svg = show("svg");
    assert!(svg.contains(">psos/farm/tick/0</text>") && svg.contains("stroke-dasharray"));
    golden(&plans.join("farm.txt"), &show("text"));
    // The README shows this picture too.
    golden(&root.join("docs").join("farm.svg"), &svg);
}
