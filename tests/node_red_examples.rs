//! Every example flow shipped in Node-RED's npm package goes through psosc:
//! it must never panic, and must either accept a flow or reject it with
//! diagnostics that name each node it cannot run.
//!
//! The package is installed by the test command (`tests/run`), into
//! `tests/node-red/node_modules`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use psosc::diagnostic::Code;
use support::repo_root;

/// The files under `dir` whose name ends in `.extension`.
fn files_ending(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_ending(&path, extension, found);
        } else if path.extension().is_some_and(|ext| ext == extension) {
            found.push(path);
        }
    }
}

fn json_files(dir: &Path, found: &mut Vec<PathBuf>) {
    files_ending(dir, "json", found);
}

#[test]
fn every_core_node_type_runs_or_is_refused_with_a_reason() {
    // The types Node-RED's core nodes register, read from their sources.
    let core = repo_root().join("tests/node-red/node_modules/@node-red/nodes/core");
    let mut sources = Vec::new();
    files_ending(&core, "js", &mut sources);
    let mut types = std::collections::BTreeSet::new();
    for source in &sources {
        let text = std::fs::read_to_string(source).expect("readable");
        for (_, rest) in text
            .match_indices("registerType(\"")
            .map(|(at, _)| text.split_at(at + 14))
        {
            if let Some((name, _)) = rest.split_once('"') {
                types.insert(name.to_string());
            }
        }
    }
    assert!(
        types.len() > 40,
        "expected Node-RED's core node types under {}, found {types:?}",
        core.display()
    );
    // `unknown` stands in Node-RED for a type it has no module for.
    let unexplained: Vec<&String> = types
        .iter()
        .filter(|name| *name != "unknown")
        .filter(|name| !psosc::lower::understands(name))
        .filter(|name| psosc::nodes::refused::refusal(name).is_none())
        .collect();
    assert!(
        unexplained.is_empty(),
        "core node types psosc neither runs nor refuses with a reason: {unexplained:?}"
    );
}

#[test]
fn node_red_example_flows_are_accepted_or_rejected_with_reasons() {
    let examples = repo_root().join("tests/node-red/node_modules/@node-red/nodes/examples");
    let mut files = Vec::new();
    json_files(&examples, &mut files);
    files.sort();
    assert!(
        files.len() >= 100,
        "expected Node-RED's example flows under {}, found {}: run tests/run (or npm ci in tests/node-red)",
        examples.display(),
        files.len()
    );
    let (mut accepted, mut rejected) = (0, 0);
    let mut unsupported_types: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file
            .strip_prefix(&examples)
            .unwrap_or(file)
            .display()
            .to_string();
        let source = psosc::SourceFile::new(name.clone(), text.clone());
        let environment = |_: &str| None;
        let Ok((flow, diagnostics)) =
            std::panic::catch_unwind(|| psosc::check(&source, &environment))
        else {
            problems.push(format!("{name}: psosc panicked"));
            continue;
        };
        if let Some(flow) = &flow {
            // Every form of the plan is drawn for any flow psosc accepts.
            let shown = std::panic::catch_unwind(|| {
                [
                    psosc::plan::text(flow),
                    psosc::plan::json(flow),
                    psosc::plan::dot(flow),
                    psosc::plan::svg(flow),
                    psosc::plan::html(flow),
                ]
            });
            if shown.is_err() {
                problems.push(format!("{name}: psosc panicked drawing the plan"));
            }
            accepted += 1;
            continue;
        }
        rejected += 1;
        if !diagnostics.iter().any(|d| d.is_error()) {
            problems.push(format!("{name}: rejected without an error"));
        }
        for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
            if diagnostic.node.is_none() && diagnostic.labels.is_empty() {
                problems.push(format!(
                    "{name}: an error that points nowhere: {}",
                    diagnostic.headline()
                ));
            }
        }
        // Each node of a type psosc does not understand must be named.
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let nodes = json.as_array().cloned().unwrap_or_default();
        for node in &nodes {
            let (Some(id), Some(type_name)) = (node["id"].as_str(), node["type"].as_str()) else {
                continue;
            };
            if psosc::lower::understands(type_name) || node["d"] == true {
                continue;
            }
            *unsupported_types.entry(type_name.to_string()).or_default() += 1;
            let named = diagnostics.iter().any(|d| {
                d.code == Code::UnsupportedNodeType
                    && d.node.as_ref().is_some_and(|node| node.id == id)
            });
            if !named {
                problems.push(format!(
                    "{name}: the {type_name} node {id} is not named by a diagnostic"
                ));
            }
        }
    }
    println!(
        "{} example flows: {accepted} accepted, {rejected} rejected",
        files.len()
    );
    println!("unsupported node types (nodes): {unsupported_types:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(accepted > 0, "no example flow was accepted");
}
