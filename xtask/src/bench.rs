//! `cargo xtask bench`: the per-hop cost of generated wiring, in
//! instructions counted by callgrind, against a hand-written baseline.
//!
//! A flow with three devices holds chains of 1, 10 and 100 change nodes
//! after one inject node; psosc generates them and cargo builds them in
//! release. Callgrind counts the instructions of the one message the inject
//! node starts: everything under the function the timer table fires, from
//! the empty message through the inject node and the whole chain. The
//! baseline function does the same work by hand (a new message, its payload
//! and topic, then the payload set once per hop) and is counted the same
//! way. The difference between the 100 and the 1 chain, over 99, is the
//! cost of one hop.
//!
//! Both counts are deterministic. Counting the executor's task polls
//! instead would add the time driver's thread and lock traffic, which
//! varies from run to run by hundreds of instructions.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::{has_program, root, run};

const CHAINS: [usize; 3] = [1, 10, 100];

/// A flow with one device per chain length.
fn chain_flow() -> String {
    let mut nodes = Vec::new();
    for hops in CHAINS {
        let device = format!("chain{hops}");
        nodes.push(format!(
            r#"{{"id": "{device}", "type": "psos-device", "name": "{device}", "board": "host"}}"#
        ));
        nodes.push(format!(
            r#"{{"id": "{device}.inject", "type": "inject", "device": "{device}", "props": [{{"p": "payload"}}, {{"p": "topic", "vt": "str"}}], "payload": "0", "payloadType": "num", "topic": "bench", "once": true, "onceDelay": "0.05", "repeat": "", "wires": [["{device}.1"]]}}"#
        ));
        for hop in 1..=hops {
            let next = if hop < hops {
                format!(r#""{device}.{}""#, hop + 1)
            } else {
                String::new()
            };
            nodes.push(format!(
                r#"{{"id": "{device}.{hop}", "type": "change", "device": "{device}", "rules": [{{"t": "set", "p": "payload", "pt": "msg", "to": "{hop}", "tot": "num"}}], "wires": [[{next}]]}}"#
            ));
        }
    }
    format!("[\n{}\n]\n", nodes.join(",\n"))
}

/// Writes a flow under `work` and generates its crates with psosc (built in
/// release); returns the output directory.
fn generate(
    root: &Path,
    work: &Path,
    name: &str,
    flow_text: &str,
) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(work).map_err(|error| error.to_string())?;
    let flow = work.join(format!("{name}.json"));
    std::fs::write(&flow, flow_text).map_err(|error| error.to_string())?;
    let out = work.join(name);
    let (flow_arg, out_arg) = (flow.display().to_string(), out.display().to_string());
    let psosc = [
        "run",
        "--quiet",
        "--release",
        "--package",
        "psosc",
        "--",
        "build",
    ];
    let mut args: Vec<&str> = psosc.to_vec();
    args.extend([flow_arg.as_str(), "-o", out_arg.as_str()]);
    run(root, env!("CARGO"), &args)?;
    Ok(out)
}

/// Instructions callgrind collects under the functions matching `pattern`.
fn instructions(
    binary: &Path,
    args: &[&str],
    pattern: &str,
    out_file: &Path,
) -> Result<u64, String> {
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(format!("--toggle-collect={pattern}"))
        .arg("--collect-atstart=no")
        .arg(binary)
        .args(args)
        .env("PSOS_RUN_FOR_MS", "1500")
        .output()
        .map_err(|error| format!("cannot start valgrind: {error}"))?;
    if !status.status.success() {
        return Err(format!(
            "valgrind failed: {}",
            String::from_utf8_lossy(&status.stderr)
        ));
    }
    let text = std::fs::read_to_string(out_file).map_err(|error| error.to_string())?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals: ")
                .or_else(|| line.strip_prefix("summary: "))
        })
        .and_then(|totals| totals.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| format!("no totals in {}", out_file.display()))
}

pub fn hops() -> Result<(), String> {
    let root = root();
    let cargo = env!("CARGO");
    if !has_program("valgrind") {
        run(&root, "apt-get", &["install", "-y", "-qq", "valgrind"])?;
    }
    let work = root.join("target").join("bench");
    let out = generate(&root, &work, "chains", &chain_flow())?;
    // Rust's v0 symbol names keep the closure a timer fires apart from every
    // other `call_once`, so callgrind can count exactly that function.
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release"])
        .current_dir(&out)
        .env("RUSTFLAGS", "-C symbol-mangling-version=v0")
        .status()
        .map_err(|error| format!("cannot start cargo: {error}"))?;
    if !status.success() {
        return Err(format!("cargo build of the chains failed ({status})"));
    }
    let baseline_dir = root.join("benchmarks").join("hand-written-chain");
    run(&baseline_dir, cargo, &["build", "--quiet", "--release"])?;
    let baseline = baseline_dir
        .join("target")
        .join("release")
        .join("hand-written-chain");

    let mut generated = Vec::new();
    let mut hand_written = Vec::new();
    for hops in CHAINS {
        let device = format!("chain{hops}");
        let binary = out.join("target").join("release").join(&device);
        let callgrind_out = work.join(format!("callgrind.{device}.out"));
        // The closure in the generated `TIMERS` table that fires the inject
        // node. Should LTO ever inline it into the timer task, the task's
        // polls are counted instead: their fixed cost drops out of the
        // per-hop difference, but their noise does not.
        let mut count = instructions(
            &binary,
            &[],
            "*::TIMERS::{closure#*}*call_once",
            &callgrind_out,
        )?;
        if count == 0 {
            eprintln!("xtask: the timer closure of {device} was inlined; counting task polls");
            count = instructions(&binary, &[], "*TaskStorage*poll*", &callgrind_out)?;
        }
        generated.push(count);
        let callgrind_out = work.join(format!("callgrind.hand{hops}.out"));
        hand_written.push(instructions(
            &baseline,
            &[&hops.to_string()],
            "*run_chain*",
            &callgrind_out,
        )?);
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "Per-hop cost of a chain of change nodes (instructions, callgrind, release)"
    );
    let _ = writeln!(
        report,
        "{:>6} | {:>12} {:>14} | {:>6}",
        "hops", "generated", "hand-written", "ratio"
    );
    for ((hops, generated), hand) in CHAINS.iter().zip(&generated).zip(&hand_written) {
        let _ = writeln!(
            report,
            "{hops:>6} | {generated:>12} {hand:>14} | {:>6.3}",
            *generated as f64 / (*hand).max(1) as f64
        );
    }
    let per_hop = |counts: &[u64]| -> f64 {
        let (first, last) = (
            counts.first().copied().unwrap_or(0),
            counts.last().copied().unwrap_or(0),
        );
        (last as f64 - first as f64) / (CHAINS[2] - CHAINS[0]) as f64
    };
    let (generated_hop, hand_hop) = (per_hop(&generated), per_hop(&hand_written));
    let _ = writeln!(
        report,
        "per hop: generated {generated_hop:.1}, hand-written {hand_hop:.1}, ratio {:.3} (goal: at most 1.10)",
        generated_hop / hand_hop.max(1.0)
    );
    print!("{report}");
    Ok(())
}

/// The devices of the size benchmark, each one `qemu-lm3s6965` device:
/// the board with no nodes (the executor and the runtime's fixed part);
/// the reference chain inject → switch → change → debug; and the same
/// chain with an MQTT session (an `mqtt out` after the change, an `mqtt in`
/// into the debug node), the client, its buffers and the outbox at their
/// defaults.
#[derive(Clone, Copy)]
enum SizeDevice {
    Baseline,
    Reference,
    Mqtt,
}

fn size_flow(device_kind: SizeDevice) -> String {
    let broker = match device_kind {
        SizeDevice::Mqtt => r#", "broker": "broker""#,
        _ => "",
    };
    let device = format!(
        r#"{{"id": "dev", "type": "psos-device", "name": "reference", "board": "qemu-lm3s6965"{broker}}}"#
    );
    let (to_broker, mqtt_nodes) = match device_kind {
        SizeDevice::Baseline => return format!("[{device}]\n"),
        SizeDevice::Reference => ("", String::new()),
        SizeDevice::Mqtt => (
            r#", "out""#,
            r#",
{"id": "broker", "type": "mqtt-broker", "broker": "localhost", "port": "1883"},
{"id": "out", "type": "mqtt out", "topic": "greenhouse/state", "qos": "1", "broker": "broker"},
{"id": "in", "type": "mqtt in", "topic": "greenhouse/+/set", "qos": "1", "datatype": "auto-detect", "broker": "broker", "wires": [["show"]]}"#
                .to_string(),
        ),
    };
    format!(
        r#"[{device},
{{"id": "tick", "type": "inject", "props": [{{"p": "payload"}}, {{"p": "topic", "vt": "str"}}], "payload": "21.5", "payloadType": "num", "topic": "greenhouse/temperature", "repeat": "1", "wires": [["gate"]]}},
{{"id": "gate", "type": "switch", "property": "payload", "rules": [{{"t": "gt", "v": "20", "vt": "num"}}, {{"t": "else"}}], "checkall": "false", "wires": [["warm"], []]}},
{{"id": "warm", "type": "change", "rules": [{{"t": "set", "p": "payload", "pt": "msg", "to": "warm", "tot": "str"}}], "wires": [["show"{to_broker}]]}},
{{"id": "show", "type": "debug", "name": "state", "wires": []}}{mqtt_nodes}]
"#
    )
}

/// Flash and static RAM of an ELF file, from `size -A`.
fn flash_and_ram(elf: &Path) -> Result<(u64, u64), String> {
    if !elf.is_file() {
        return Err(format!("no firmware at {}", elf.display()));
    }
    let output = Command::new("size")
        .arg("-A")
        .arg(elf)
        .output()
        .map_err(|error| format!("cannot start size: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (mut flash, mut ram) = (0, 0);
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(section), Some(bytes)) = (
            words.next(),
            words.next().and_then(|w| w.parse::<u64>().ok()),
        ) else {
            continue;
        };
        match section {
            ".vector_table" | ".text" | ".rodata" => flash += bytes,
            ".data" => {
                flash += bytes;
                ram += bytes;
            }
            ".bss" | ".uninit" => ram += bytes,
            _ => {}
        }
    }
    Ok((flash, ram))
}

/// The largest symbols of an ELF file, largest first.
fn biggest_symbols(elf: &Path, count: usize) -> Result<Vec<String>, String> {
    let output = Command::new("nm")
        .args([
            "--demangle",
            "--size-sort",
            "--print-size",
            "--reverse-sort",
        ])
        .arg(elf)
        .output()
        .map_err(|error| format!("cannot start nm: {error}"))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .take(count)
        .filter_map(|line| {
            let mut words = line.splitn(4, ' ');
            let (_, size, kind, name) =
                (words.next()?, words.next()?, words.next()?, words.next()?);
            let size = u64::from_str_radix(size, 16).ok()?;
            let place = if matches!(kind, "b" | "B" | "d" | "D") {
                "RAM  "
            } else {
                "flash"
            };
            Some(format!("{size:>7} {place} {name}"))
        })
        .collect())
}

pub fn sizes() -> Result<(), String> {
    let root = root();
    let cargo = env!("CARGO");
    let work = root.join("target").join("bench");
    let mut measured = Vec::new();
    for (name, device_kind) in [
        ("baseline", SizeDevice::Baseline),
        ("reference", SizeDevice::Reference),
        ("mqtt", SizeDevice::Mqtt),
    ] {
        let out = generate(
            &root,
            &work,
            &format!("size-{name}"),
            &size_flow(device_kind),
        )?;
        let device = out.join("reference");
        // The workspace's own target directory, whatever CARGO_TARGET_DIR
        // the bench itself runs with.
        let target = out.join("target");
        let target_arg = target.display().to_string();
        run(
            &device,
            cargo,
            &["build", "--quiet", "--release", "--target-dir", &target_arg],
        )?;
        let elf = target
            .join("thumbv7m-none-eabi")
            .join("release")
            .join("reference");
        measured.push((name, flash_and_ram(&elf)?, elf));
    }
    println!("Size of a reference device on qemu-lm3s6965 (thumbv7m, opt-level s, LTO)");
    println!("{:>10} | {:>8} {:>8}", "", "flash", "RAM");
    for (name, (flash, ram), _) in &measured {
        println!("{name:>10} | {flash:>8} {ram:>8}");
    }
    if let [(_, (base_flash, base_ram), _), (_, (flash, ram), elf), (_, (mqtt_flash, mqtt_ram), mqtt_elf)] =
        measured.as_slice()
    {
        println!(
            "inject → switch → change → debug adds {} bytes of flash and {} of RAM to the board's baseline",
            flash.saturating_sub(*base_flash),
            ram.saturating_sub(*base_ram)
        );
        println!(
            "an MQTT session (client, buffers, an outbox of 16 messages of 512 bytes) with an mqtt in and an mqtt out adds {} bytes of flash and {} of RAM to the reference",
            mqtt_flash.saturating_sub(*flash),
            mqtt_ram.saturating_sub(*ram)
        );
        println!("goal: flash at most 32768 ({flash} now), static RAM at most 8192 ({ram} now)");
        println!("largest symbols of the reference device:");
        for line in biggest_symbols(elf, 12)? {
            println!("  {line}");
        }
        println!("largest symbols of the MQTT device:");
        for line in biggest_symbols(mqtt_elf, 12)? {
            println!("  {line}");
        }
    }
    Ok(())
}
