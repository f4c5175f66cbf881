//! The RAM psosc counts for each node that holds messages, topics or text,
//! against the size of the node's static in the firmware: the flow
//! `node_sizes.json` puts each such node type at three capacities on two
//! `qemu-lm3s6965` devices (and a rate-limiting delay node that a status
//! node watches, which keeps when it reports its depth, and a split and a
//! join that a complete node watches, with the messages they keep), builds
//! them as a user would (release, thumbv7m) and reads each static's size
//! with `nm`. Every estimate is at least the measured size and at most 8
//! bytes more, the alignment of a static.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use support::{check_flow, repo_root, shared_target_dir};

/// What a static's alignment may add to a layout psosc counts in bytes.
const TOLERANCE: u64 = 8;

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

#[test]
fn the_ram_of_buffered_nodes_is_what_psosc_counts() {
    // Both devices are emulated boards, so the flow's workspace has no
    // member for `build_test_flow`'s clippy: each crate is built apart.
    let flow = check_flow(
        &repo_root()
            .join("tests")
            .join("flows")
            .join("node_sizes.json"),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    psosc::output::write_crates(&flow, dir.path(), &repo_root().join("runtime"))
        .expect("the crates are written");
    let mut report = Vec::new();
    let mut checked = 0;
    for (index, device) in flow.devices.iter().enumerate() {
        let crate_dir = dir.path().join(&device.name);
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--release"])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .status()
            .expect("cargo starts");
        assert!(status.success(), "{} builds", device.name);
        let firmware = shared_target_dir()
            .join("thumbv7m-none-eabi")
            .join("release")
            .join(&device.name);
        let sizes = ram_statics(&firmware);
        let main_rs =
            std::fs::read_to_string(crate_dir.join("src").join("main.rs")).expect("generated");
        let statics = statics_of_nodes(&main_rs);
        let on_device = flow.nodes.iter().enumerate();
        for (node_index, node) in on_device.filter(|(_, node)| node.device == index) {
            let Some(own) =
                psosc::place::resources::buffered_ram(&node.kind, device.message_capacity)
            else {
                continue;
            };
            // A node that status nodes watch may keep more (`delay-rate-6`).
            let status = if flow.status_watched_by.contains_key(&node_index) {
                psosc::place::resources::watched_status_ram(&node.kind)
            } else {
                0
            };
            // A node complete nodes watch keeps the messages it finishes
            // with later in its static too.
            let kept = if flow.completed_by.contains_key(&node_index) {
                psosc::place::resources::kept_ram(&node.kind, device.message_capacity)
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
    assert_eq!(checked, 29, "every buffered node of the flow is measured");
}
