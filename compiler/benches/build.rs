//! How long `psosc build` takes on synthetic flows of 1k and 10k nodes, with
//! the front end (read, check, lower) and code generation timed separately,
//! against a baseline in the same run: parsing the same text with serde_json,
//! the least any JSON front end must do. Run: `cargo bench -p psosc --bench build`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use psosc::SourceFile;

/// A flow of `n_nodes` nodes on one device: chains of inject → change →
/// switch → debug, as a large real flow would have many small pipelines.
fn synthetic_flow(n_nodes: usize) -> String {
    let mut nodes = vec![
        serde_json::json!({"id": "dev", "type": "psos-device", "name": "big", "board": "host"}),
    ];
    for chain in 0..n_nodes / 4 {
        let id = |step: &str| format!("{chain:06x}.{step}");
        nodes.push(serde_json::json!({
            "id": id("i"), "type": "inject", "name": format!("tick {chain}"),
            "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
            "repeat": "1", "once": false, "topic": format!("chain/{chain}"), "payload": "21.5", "payloadType": "num",
            "x": 100, "y": chain * 40, "wires": [[id("c")]]
        }));
        nodes.push(serde_json::json!({
            "id": id("c"), "type": "change", "name": "",
            "rules": [{"t": "set", "p": "unit", "pt": "msg", "to": "celsius", "tot": "str"}],
            "x": 300, "y": chain * 40, "wires": [[id("s")]]
        }));
        nodes.push(serde_json::json!({
            "id": id("s"), "type": "switch", "name": "", "property": "payload", "propertyType": "msg",
            "rules": [{"t": "gt", "v": "20", "vt": "num"}, {"t": "else"}], "checkall": "false", "outputs": 2,
            "x": 500, "y": chain * 40, "wires": [[id("d")], []]
        }));
        nodes.push(serde_json::json!({
            "id": id("d"), "type": "debug", "name": format!("warm {chain}"), "active": true, "complete": "payload",
            "x": 700, "y": chain * 40, "wires": []
        }));
    }
    serde_json::to_string_pretty(&nodes).unwrap_or_default()
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    println!("psosc build on synthetic flows (median of runs, release build)");
    println!(
        "{:>7} {:>9} | {:>14} {:>14} {:>14} | {:>12}",
        "nodes", "file KiB", "serde_json", "front end", "codegen", "main.rs KiB"
    );
    for n_nodes in [1_000, 10_000] {
        let text = synthetic_flow(n_nodes);
        let runs = if n_nodes > 5_000 { 5 } else { 15 };
        let source = SourceFile::new("synthetic.json", text.clone());
        let environment = |_: &str| None;
        let baseline = median(runs, || {
            black_box(serde_json::from_str::<serde_json::Value>(&text).ok());
        });
        let front_end = median(runs, || {
            black_box(psosc::check(&source, &environment));
        });
        let (flow, diagnostics) = psosc::check(&source, &environment);
        let Some(flow) = flow else {
            eprintln!("the synthetic flow did not check: {diagnostics:?}");
            std::process::exit(1);
        };
        let options = psosc::codegen::Options {
            runtime_path: "../../runtime".to_string(),
            boards_path: "../../boards".to_string(),
            node_crate_paths: Vec::new(),
        };
        let mut size = 0;
        let codegen = median(runs, || {
            let files = psosc::codegen::generate(&flow, &options);
            size = files
                .iter()
                .map(|file| file.contents.len())
                .max()
                .unwrap_or(0);
            black_box(files);
        });
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "{:>7} {:>9} | {:>14} {:>14} {:>14} | {:>12}",
            n_nodes,
            text.len() / 1024,
            ms(baseline),
            format!(
                "{} ({:.1}x)",
                ms(front_end),
                front_end.as_secs_f64() / baseline.as_secs_f64()
            ),
            ms(codegen),
            size / 1024
        );
    }
    println!("goal: front end + codegen under 1 s for 10k nodes");
}
