//! How deep each device's stack goes, against the stack psosc reserves for
//! it: the devices of `flows/stack_depths.json`, each a deep path (a long
//! chain, fan-out nested six deep at two message capacities, link calls
//! inside a link call's subroutine, sequence nodes, json, template and a
//! change node replacing text, a chain of switches that check all rules
//! and one of switches that repair sequences, a chain a complete node
//! watches, a chain whose last node fails and the chain of the catch node
//! that takes its error, a catch node wired back to the switch that fails,
//! a json node checking text against a schema nested as deep as
//! a device checks, its errors to a catch node, a debug node's status and the chain of the status node that receives
//! it, a status node whose chain makes the debug node it watches show a
//! status again, thirty rounds, two json nodes failing in turn on what
//! each one's catch node sends to the other, thirty rounds (both loops
//! through the loop queue, a round at a time), a change node replacing with groups (`$1`), an
//! `mqtt out` calling the `mqtt in` of its device that subscribes to its
//! topic, whose inject node is also pressed over MQTT with
//! `__user_inject_props__`, an MQTT session passing messages on, a chain entered by a
//! wire from that device, a chain of switches matching a regex, a
//! chain of trigger nodes, and a link call whose subroutine holds each
//! message past the call's timeout, so that its timer hands a chain of
//! its catch node each message and the late answers come back through
//! the loop queue), run
//! under qemu-system-arm on the `qemu-lm3s6965` board, which paints its
//! stack at start-up and prints its high-water mark before it stops
//! (`psos: stack used N of M bytes`). Every device's mark is at most
//! psosc's reservation, and the reservation at most [`slack`] more.

mod support;

use std::time::{Duration, Instant};

use support::qemu::{build_firmware, qemu, qemu_with_uart0_on};
use support::{check_flow, repo_root, Mosquitto, Running, WAIT};

/// How long each device without a broker runs, in its own time: its
/// inject fires at 0.1 s and every half second after, a few times over.
const RUN_FOR_MS: u64 = 6000;

/// How long each device with a broker runs, in its own time, which keeps
/// pace with the clock: until the messages the test sends have come
/// through, with all of the flow's devices under QEMU at once (2 s with
/// the load at 14 on two cores; the 6 s the others run left a stall of
/// seconds too little room). A device prints its mark only when it stops
/// by itself.
const BROKER_RUN_FOR_MS: u64 = 30_000;

/// How far above the measured mark psosc's reservation may be: half as
/// much again, and 2 KiB. The paint shows only what was written, and a
/// message buffer on the stack is written only as far as the message goes
/// (these flows fill 80 to 95 % of it), so the reservation, which counts
/// whole buffers, must be allowed above; psosc counts every call of a
/// node alike, but a change node's frame differs from a switch node's by
/// a few hundred bytes, which over a path of a few nodes adds up; and it
/// counts one base of leaf frames for every device (`STACK_BASE`, as deep
/// as number parsing goes), where a path that only writes text through
/// the shared JSON writer reaches about 1.8 KiB less (stk-text: 6060
/// bytes used, 7856 while each writer had its own copy of the code).
fn slack(measured: u64) -> u64 {
    measured / 2 + 2048
}

/// The mark a device printed before it stopped: `(used, room)`.
fn stack_line(lines: &[String]) -> Option<(u64, u64)> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix("psos: stack used ")?;
        let (used, rest) = rest.split_once(" of ")?;
        let room = rest.strip_suffix(" bytes")?;
        Some((used.parse().ok()?, room.parse().ok()?))
    })
}

#[test]
fn each_device_uses_at_most_the_stack_psosc_reserves() {
    let flow = check_flow(&repo_root().join("tests/flows/stack_depths.json"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    psosc::output::write_crates(&flow, dir.path(), &repo_root().join("runtime"))
        .expect("the crates are written");
    let firmwares: Vec<_> = flow
        .devices
        .iter()
        .map(|device| {
            let run_for = if device.broker.is_some() {
                BROKER_RUN_FOR_MS
            } else {
                RUN_FOR_MS
            };
            build_firmware(&dir.path().join(&device.name), &device.name, run_for)
        })
        .collect();
    let broker = Mosquitto::start();
    let started = Instant::now();
    let mut running = Vec::new();
    for (device, firmware) in flow.devices.iter().zip(&firmwares) {
        let crate_dir = dir.path().join(&device.name);
        let command = if device.broker.is_some() {
            qemu_with_uart0_on(&crate_dir, firmware, broker.port())
        } else {
            qemu(&crate_dir, firmware)
        };
        running.push((device, Running::spawn(command)));
    }
    // What the MQTT device gets, once it and the device it sends to over a
    // wire are online: JSON near its message capacity, each message sent
    // on to the broker, to a debug node and to stk-remote's chain.
    for device in ["stk-mqtt", "stk-remote", "stk-local"] {
        let online = broker.subscribe(&format!("psos/stack_depths/{device}/status"), 1, WAIT);
        assert_eq!(
            online.first().map(|(_, payload)| payload.as_slice()),
            Some(&b"online"[..]),
            "{device} is online"
        );
    }
    let received = broker.subscriber("stack/out", 3);
    let nested = format!(
        "{{\"payload\": {{\"a\": [[[{{\"b\": \"{}\"}}]]], \"n\": 1.5}}}}",
        "w".repeat(200)
    );
    for _ in 0..3 {
        broker.publish("stack/in", nested.as_bytes(), 1, false);
    }
    assert_eq!(received.wait(WAIT).len(), 3, "stack/out");
    println!(
        "the messages came through {:.1} s after the devices started",
        started.elapsed().as_secs_f64()
    );
    // stk-local's inject node pressed over MQTT (`psos::control`), with
    // the properties its timer sets given as `__user_inject_props__`: its
    // chain then runs in the MQTT task, under the request it reads.
    let local_tick = r#"{"t": 21.5, "tag": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;
    let press = format!(
        r#"{{"__user_inject_props__": [{{"p": "payload", "v": {}, "vt": "json"}}, {{"p": "topic", "v": "stack", "vt": "str"}}]}}"#,
        serde_json::to_string(local_tick).expect("a JSON string")
    );
    for _ in 0..3 {
        broker.publish(
            "psos/stack_depths/stk-local/inject/local-tick",
            press.as_bytes(),
            1,
            false,
        );
    }

    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (device, mut run) in running {
        let (lines, status) = run.read_to_end(Duration::from_millis(BROKER_RUN_FOR_MS) + WAIT);
        assert!(
            status.is_some_and(|status| status.success()),
            "{} stops by itself: {status:?}\n{lines:#?}",
            device.name
        );
        let debug_lines = lines.iter().filter(|line| line.contains("[debug:")).count();
        assert!(debug_lines > 0, "{} ran its flow: {lines:#?}", device.name);
        let (used, room) = stack_line(&lines)
            .unwrap_or_else(|| panic!("{} prints its stack: {lines:#?}", device.name));
        let reserved = device.stack;
        report.push(format!(
            "{:<16} {:>6} {used:>8} {reserved:>8} {room:>6}",
            device.name, device.message_capacity
        ));
        if !(used..=used + slack(used)).contains(&reserved) {
            failures.push(format!(
                "{}: {used} B of stack used, {reserved} reserved",
                device.name
            ));
        }
    }
    println!("device           capacity measured reserved room (bytes of stack, thumbv7m)");
    for line in &report {
        println!("{line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(report.len(), 22, "every device of the flow is measured");
}
