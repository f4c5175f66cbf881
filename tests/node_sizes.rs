//! What psosc counts against what the firmware takes, on `qemu-lm3s6965`
//! devices built as a user would (release, thumbv7m, opt-level s, LTO):
//!
//! - the RAM of each node that holds messages, topics or text: the flow
//!   `node_sizes.json` puts each such node type at three capacities on two
//!   devices (a delay node in `burst` mode among them, whose places are
//!   its buffer, and a rate-limiting delay node that a status node watches,
//!   which keeps when it reports its depth, and a split and a join that a
//!   complete node watches, with the messages they keep), and `nm` gives
//!   each static's size. Every estimate is at least
//!   the measured size and at most 8 bytes more, the alignment of a static.
//! - each device's flash and static RAM: the flow `device_sizes.json` has
//!   a device with no nodes, a reference chain, the chain with an MQTT
//!   session, with one node of each of many types, with context stores,
//!   with a loop of wires, and with two nodes of each buffered type;
//!   `size -A` gives the image's
//!   flash (vector table, code, constants, initial data) and static RAM
//!   (data, bss). Each device's estimate (its load less the stack psosc
//!   reserves) is at least the image's size and at most 25 % more; each
//!   type's flash (the device with one node of it less the chain) is at
//!   least the measured difference and at most 25 % or 1 KiB more; and the
//!   RAM of every node, context store and loop queue is its static's size
//!   to 8 bytes.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use psosc::ir::Resources;
use psosc::place::resources;
use support::{check_flow, repo_root, shared_target_dir};

/// What a static's alignment may add to a layout psosc counts in bytes.
const TOLERANCE: u64 = 8;

/// How far above the image a device's estimate may be: a quarter.
fn within_a_quarter(measured: u64, estimate: u64) -> bool {
    (measured..=measured + measured / 4).contains(&estimate)
}

/// How far above the measured difference a type's flash may be: a
/// quarter, or 1 KiB for the small ones, where inlining under LTO moves
/// a few hundred bytes either way.
fn within_a_type(measured: u64, estimate: u64) -> bool {
    (measured..=measured + (measured / 4).max(1024)).contains(&estimate)
}

/// The sizes of the statics in RAM of a firmware, by name without the
/// crate's path.
fn ram_statics(firmware: &Path) -> BTreeMap<String, u64> {
    let output = Command::new("nm")
        .args(["--demangle", "--print-size"])
        .arg(firmware)
        .output()
        .expect("nm runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.splitn(4, ' ');
            let (_, size, kind, name) =
                (words.next()?, words.next()?, words.next()?, words.next()?);
            let in_ram = matches!(kind, "b" | "B" | "d" | "D");
            let (_, name) = name.rsplit_once("::")?;
            in_ram.then(|| Some((name.to_string(), u64::from_str_radix(size, 16).ok()?)))?
        })
        .collect()
}

/// The id of the node each static of a generated `main.rs` holds: the
/// first `NodeInfo::new("ID"` after `static NAME:`.
fn statics_of_nodes(main_rs: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (at, _) in main_rs.match_indices("\nstatic ") {
        let rest = &main_rs[at + "\nstatic ".len()..];
        let Some((name, _)) = rest.split_once(':') else {
            continue;
        };
        let next_static = rest.find("\nstatic ").unwrap_or(rest.len());
        let Some(info) = rest[..next_static].find("NodeInfo::new(\"") else {
            continue;
        };
        let id_start = info + "NodeInfo::new(\"".len();
        let Some(id_len) = rest[id_start..].find('"') else {
            continue;
        };
        found.insert(
            rest[id_start..id_start + id_len].to_string(),
            name.to_string(),
        );
    }
    found
}

/// A device built: its firmware, and its generated `main.rs`.
struct Built {
    firmware: PathBuf,
    main_rs: String,
}

/// Writes the crates of a flow into `dir` (once) and builds one device.
/// Every device of these flows is an emulated board, so the flow's
/// workspace has no member for `build_test_flow`'s clippy: each crate is
/// built apart.
fn build(flow: &psosc::ir::Flow, dir: &Path, device: &str) -> Built {
    if !dir.join("plan.json").exists() {
        psosc::output::write_crates(flow, dir, &repo_root().join("runtime"))
            .expect("the crates are written");
    }
    let crate_dir = dir.join(device);
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--release"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .status()
        .expect("cargo starts");
    assert!(status.success(), "{device} builds");
    Built {
        firmware: shared_target_dir()
            .join("thumbv7m-none-eabi")
            .join("release")
            .join(device),
        main_rs: std::fs::read_to_string(crate_dir.join("src").join("main.rs")).expect("generated"),
    }
}

/// The flash (vector table, code, constants, the initial values of data)
/// and static RAM (data, bss, uninitialised) of a firmware, from `size -A`.
fn image_size(firmware: &Path) -> Resources {
    let output = Command::new("size")
        .arg("-A")
        .arg(firmware)
        .output()
        .expect("size runs");
    let mut image = Resources::ZERO;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let mut words = line.split_whitespace();
        let (Some(section), Some(bytes)) = (
            words.next(),
            words.next().and_then(|word| word.parse::<u64>().ok()),
        ) else {
            continue;
        };
        match section {
            ".vector_table" | ".text" | ".rodata" => image.flash += bytes,
            ".data" => {
                image.flash += bytes;
                image.ram += bytes;
            }
            ".bss" | ".uninit" => image.ram += bytes,
            _ => {}
        }
    }
    assert!(image.flash > 0, "size read {}", firmware.display());
    image
}

/// A flow of `tests/flows`, checked, and a directory for its crates.
fn test_flow(file: &str) -> (psosc::ir::Flow, tempfile::TempDir) {
    let flow = check_flow(&repo_root().join("tests").join("flows").join(file));
    (flow, tempfile::tempdir().expect("a temporary directory"))
}

#[test]
fn the_ram_of_buffered_nodes_is_what_psosc_counts() {
    let (flow, dir) = test_flow("node_sizes.json");
    let mut report = Vec::new();
    let mut checked = 0;
    for (index, device) in flow.devices.iter().enumerate() {
        let built = build(&flow, dir.path(), &device.name);
        let sizes = ram_statics(&built.firmware);
        let statics = statics_of_nodes(&built.main_rs);
        let on_device = flow.nodes.iter().enumerate();
        for (node_index, node) in on_device.filter(|(_, node)| node.device == index) {
            let Some(own) = resources::buffered_ram(&node.kind, device.message_capacity) else {
                continue;
            };
            // A node that status nodes watch may keep more (`delay-rate-6`).
            let status = if flow.status_watched_by.contains_key(&node_index) {
                resources::watched_status_ram(&node.kind)
            } else {
                0
            };
            // A node complete nodes watch keeps the messages it finishes
            // with later in its static too.
            let kept = if flow.completed_by.contains_key(&node_index) {
                resources::kept_ram(&node.kind, device.message_capacity)
            } else {
                0
            };
            let estimate = own + kept + status;
            assert_eq!(
                node.resources.ram, estimate,
                "{}: placement counts it",
                node.id
            );
            let name = statics
                .get(&node.id)
                .unwrap_or_else(|| panic!("{}: no static in {}", node.id, device.name));
            let measured = *sizes
                .get(name)
                .unwrap_or_else(|| panic!("{name} ({}) is not in RAM: {sizes:?}", node.id));
            report.push(format!("{:<14} {measured:>6} {estimate:>6}", node.id));
            assert!(
                (measured..=measured + TOLERANCE).contains(&estimate),
                "{}: {measured} bytes measured, {estimate} estimated",
                node.id
            );
            checked += 1;
        }
    }
    println!("node           measured estimate (bytes of RAM, thumbv7m)");
    for line in &report {
        println!("{line}");
    }
    assert_eq!(checked, 35, "every buffered node of the flow is measured");
}

/// The devices of `device_sizes.json` that hold the reference chain and
/// something more, against which the chain alone is measured: the types
/// of the nodes they add.
const ADDED_TO_THE_CHAIN: &[&str] = &[
    "mqtt", "delay", "burst", "trigger", "batch", "sort", "join", "split", "smooth", "csv", "rbe",
    "catch", "status", "sfstatus", "complete", "linkcall", "json", "template", "range", "context",
];

/// The types of which `device_sizes.json` has a device with one node after
/// the chain (`est-TYPE`) and one with two (`est-twoTYPE`): what a second
/// node adds.
const SECOND_NODE: &[&str] = &[
    "delay", "trigger", "batch", "sort", "join", "split", "smooth", "csv", "rbe",
];

#[test]
fn the_flash_and_ram_of_devices_are_what_psosc_counts() {
    let (flow, dir) = test_flow("device_sizes.json");
    let mut images = BTreeMap::new();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut stores = 0;
    let mut loop_queues = 0;
    for (index, device) in flow.devices.iter().enumerate() {
        let built = build(&flow, dir.path(), &device.name);
        let image = image_size(&built.firmware);
        let estimate = Resources {
            flash: device.load.flash,
            ram: device.load.ram.saturating_sub(device.stack),
        };
        report.push(format!(
            "{:<14} {:>7} {:>7} {:>6} {:>6}",
            device.name, image.flash, estimate.flash, image.ram, estimate.ram
        ));
        if !within_a_quarter(image.flash, estimate.flash)
            || !within_a_quarter(image.ram, estimate.ram)
        {
            failures.push(format!(
                "{}: image {} B flash, {} B RAM; estimated {} and {}",
                device.name, image.flash, image.ram, estimate.flash, estimate.ram
            ));
        }
        // Every node's RAM, and every context store's, to its static's.
        let sizes = ram_statics(&built.firmware);
        let statics = statics_of_nodes(&built.main_rs);
        for node in flow.nodes.iter().filter(|node| node.device == index) {
            let measured = statics
                .get(&node.id)
                .and_then(|name| sizes.get(name))
                .copied()
                .unwrap_or(0);
            if !(measured..=measured + TOLERANCE).contains(&node.resources.ram) {
                failures.push(format!(
                    "{} ({}): its static takes {measured} B of RAM, {} estimated",
                    node.id, node.type_name, node.resources.ram
                ));
            }
        }
        // The context stores and the loop queue, which psosc counts in
        // the device's RAM.
        for (name, measured) in &sizes {
            let estimate = if name == "GLOBAL_CONTEXT" || name.starts_with("FLOW_CONTEXT_") {
                stores += 1;
                resources::context_store_ram(device.context_capacity)
            } else if name == "LOOPBACK" {
                loop_queues += 1;
                // As many places as psosc gives the device's queue.
                let on_device = |node: &usize| {
                    flow.nodes
                        .get(*node)
                        .is_some_and(|node| node.device == index)
                };
                let capacity = resources::loop_queue_capacity(
                    flow.wires
                        .iter()
                        .filter(|wire| wire.queued)
                        .map(|wire| wire.from)
                        .chain(flow.queued_watches.iter().map(|(node, _)| *node))
                        .filter(on_device),
                );
                resources::loop_queue_ram(device.message_capacity, capacity)
            } else {
                continue;
            };
            report.push(format!(
                "  {name:<12} {measured:>6} B of RAM, {estimate} estimated"
            ));
            if !(*measured..=measured + TOLERANCE).contains(&estimate) {
                failures.push(format!(
                    "{}: {name} takes {measured} B of RAM, {estimate} estimated",
                    device.name
                ));
            }
        }
        images.insert(device.name.clone(), (image, device.load));
    }
    println!("device          image estimate  image estimate (flash, static RAM; bytes, thumbv7m)");
    for line in &report {
        println!("{line}");
    }
    let chain = images
        .get("est-chain")
        .expect("the reference chain is measured");
    println!("added to the chain: measured estimated (bytes of flash)");
    for added in ADDED_TO_THE_CHAIN {
        let (image, load) = images
            .get(&format!("est-{added}"))
            .unwrap_or_else(|| panic!("est-{added} is measured"));
        let measured = image.flash.saturating_sub(chain.0.flash);
        let estimate = load.flash.saturating_sub(chain.1.flash);
        println!("{added:<10} {measured:>8} {estimate:>8}");
        if !within_a_type(measured, estimate) {
            failures.push(format!(
                "{added}: adds {measured} B of flash to the chain, {estimate} estimated"
            ));
        }
    }
    println!("a second node: measured estimated (bytes of flash)");
    for kind in SECOND_NODE {
        let measured_pair = |name: String| {
            images
                .get(&name)
                .unwrap_or_else(|| panic!("{name} is measured"))
        };
        let (one_image, one_load) = measured_pair(format!("est-{kind}"));
        let (two_image, two_load) = measured_pair(format!("est-two{kind}"));
        let measured = two_image.flash.saturating_sub(one_image.flash);
        let estimate = two_load.flash.saturating_sub(one_load.flash);
        println!("{kind:<10} {measured:>8} {estimate:>8}");
        if !within_a_type(measured, estimate) {
            failures.push(format!(
                "{kind}: a second node adds {measured} B of flash, {estimate} estimated"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(images.len(), 36, "every device of the flow is measured");
    assert_eq!(stores, 3, "the context stores of the flow are measured");
    assert_eq!(loop_queues, 1, "est-loop's loop queue is measured");
}

/// The custom node types of `custom_sizes.json`, the repository's examples
/// (`moving-average`, `hysteresis`) (its `cst-json`, the chain with an
/// inject that sets `msg.schema` and a json node, which then checks it,
/// measures that check): for each, the device with one node of
/// it after the reference chain (`cst-TYPE`) and with two (`cst-twoTYPE`),
/// and the Rust type of its nodes' statics.
const CUSTOM_TYPES: &[(&str, &str)] = &[("average", "MovingAverage"), ("hysteresis", "Hysteresis")];

/// The statics of a generated `main.rs` that hold a node of a custom Rust
/// type: `static NAME: NodeCell<crate::Type> = ...`.
fn statics_of_type(main_rs: &str, rust_type: &str) -> Vec<String> {
    main_rs
        .lines()
        .filter_map(|line| {
            let (name, declared) = line.strip_prefix("static ")?.split_once(':')?;
            let held = declared.trim().strip_prefix("NodeCell<")?;
            let (held, _) = held.split_once('>')?;
            held.ends_with(&format!("::{rust_type}"))
                .then(|| name.to_string())
        })
        .collect()
}

/// psosc cannot know a custom type's code or static at build time (it
/// reads the crate's sources for the type's properties, not what they
/// compile to), so it counts every custom node as
/// [`resources::OTHER_NODE_TYPE`]: the examples' images hold it to at
/// least the flash each of their nodes adds, code, wiring and static, and
/// their statics to at most its RAM.
#[test]
fn custom_node_types_take_at_most_what_psosc_assumes() {
    let (flow, dir) = test_flow("custom_sizes.json");
    let assumed = resources::OTHER_NODE_TYPE;
    let mut images = BTreeMap::new();
    let mut loads = BTreeMap::new();
    let mut failures = Vec::new();
    let mut statics = Vec::new();
    for device in &flow.devices {
        let built = build(&flow, dir.path(), &device.name);
        let sizes = ram_statics(&built.firmware);
        for (_, rust_type) in CUSTOM_TYPES {
            for name in statics_of_type(&built.main_rs, rust_type) {
                let measured = *sizes
                    .get(&name)
                    .unwrap_or_else(|| panic!("{name} is not in RAM: {sizes:?}"));
                statics.push(format!("{name:<20} {measured:>5} {:>5}", assumed.ram));
                if measured > assumed.ram {
                    failures.push(format!(
                        "{name} ({rust_type}): its static takes {measured} B of RAM, {} assumed",
                        assumed.ram
                    ));
                }
            }
        }
        images.insert(device.name.clone(), image_size(&built.firmware));
        loads.insert(device.name.clone(), device.load.flash);
    }
    let flash = |name: &str| {
        images
            .get(name)
            .unwrap_or_else(|| panic!("{name} is measured"))
            .flash
    };
    println!("custom type: flash of its first node, of a second, assumed (bytes)");
    for (kind, _) in CUSTOM_TYPES {
        let first = flash(&format!("cst-{kind}")).saturating_sub(flash("cst-chain"));
        let second = flash(&format!("cst-two{kind}")).saturating_sub(flash(&format!("cst-{kind}")));
        println!("{kind:<10} {first:>8} {second:>8} {:>8}", assumed.flash);
        if first > assumed.flash || second > assumed.flash {
            failures.push(format!(
                "{kind}: the first node adds {first} B of flash, a second {second}; {} assumed",
                assumed.flash
            ));
        }
    }
    // cst-json's inject gives its messages a `msg.schema`, so its json
    // node checks them against it: what that adds to the chain.
    let load = |name: &str| loads.get(name).copied().unwrap_or(0);
    let measured = flash("cst-json").saturating_sub(flash("cst-chain"));
    let estimate = load("cst-json").saturating_sub(load("cst-chain"));
    println!("json with the check against msg.schema: {measured} B of flash, {estimate} estimated");
    if !within_a_type(measured, estimate) {
        failures.push(format!(
            "json checking msg.schema: adds {measured} B of flash to the chain, {estimate} estimated"
        ));
    }
    println!("static: measured, assumed (bytes of RAM)");
    for line in &statics {
        println!("{line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        statics.len(),
        6,
        "every custom node of the flow is measured"
    );
}

/// `dynamic_link_sizes.json`: the reference chain alone (`dls-chain`), and
/// with a dynamic link call after it (`dls-dynamic`) whose table holds two
/// link in nodes, each a change node and a return. What the device with
/// the call adds (the call's table and lookup, the returns, the change
/// nodes) is held to psosc's estimate as a type's is, and the device to
/// its image. A flow of its own: every link call of a flow with a dynamic
/// call records itself, and the call's table holds every link in on a
/// tab of the flow, so in `device_sizes.json` it would change what the
/// other devices hold.
#[test]
fn a_dynamic_link_call_takes_what_psosc_counts() {
    check_added(
        "dynamic_link_sizes.json",
        ["dls-chain", "dls-dynamic"],
        "a dynamic link call and its two subroutines",
    );
}

/// `timed_link_sizes.json`: the reference chain alone (`tls-chain`), and
/// with a link call after it (`tls-timed`) whose subroutine may drop the
/// message (a switch), so that it waits for its answers, with a catch
/// node watching it, so that it keeps the message of each waiting call.
/// What the call adds (its table and code, the loop queue its answers
/// come back through, the switch and the catch node) is held to psosc's
/// estimate as a type's is, and each device to its image. A flow of its
/// own, as a call that waits makes every call of its flow a node.
#[test]
fn a_link_call_that_waits_takes_what_psosc_counts() {
    check_added(
        "timed_link_sizes.json",
        ["tls-chain", "tls-timed"],
        "a link call that waits, its subroutine and catch node",
    );
}

/// Builds the two devices `names` of the test flow `file`, the second the
/// first with `what` added, holds each to its image and what the second
/// adds to psosc's estimate, as a type's code is held.
fn check_added(file: &str, names: [&str; 2], what: &str) {
    let (flow, dir) = test_flow(file);
    let mut sizes = Vec::new();
    for name in names {
        let device = flow
            .devices
            .iter()
            .find(|device| device.name == name)
            .unwrap_or_else(|| panic!("{name} is declared"));
        let built = build(&flow, dir.path(), name);
        let image = image_size(&built.firmware);
        let estimate = Resources {
            flash: device.load.flash,
            ram: device.load.ram.saturating_sub(device.stack),
        };
        println!(
            "{name:<14} {:>7} {:>7} {:>6} {:>6}",
            image.flash, estimate.flash, image.ram, estimate.ram
        );
        assert!(
            within_a_quarter(image.flash, estimate.flash)
                && within_a_quarter(image.ram, estimate.ram),
            "{name}: image {image:?}, estimated {estimate:?}"
        );
        sizes.push((image, estimate));
    }
    let [(chain_image, chain_estimate), (added_image, added_estimate)] = sizes[..] else {
        unreachable!("two devices are measured");
    };
    let measured = added_image.flash.saturating_sub(chain_image.flash);
    let estimate = added_estimate.flash.saturating_sub(chain_estimate.flash);
    println!("{what}: {measured} B of flash measured, {estimate} estimated");
    assert!(
        within_a_type(measured, estimate),
        "{what} adds {measured} B of flash to the chain, {estimate} estimated"
    );
}
